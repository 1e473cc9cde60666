/** The regulator node's views of its own rows: spot checks, its decisions on joint decisions, the verification queue. */
import { VERDICTS } from "../../domain/enums";

/** The bank verifier's verdict as the queue shows it: PENDING until it has decided. */
export const pendingForNone = (verdict: (typeof VERDICTS)[number]) => (verdict === "NONE" ? "PENDING" : verdict);

export function presentSpotCheck(s: {
  id: string;
  facilityId: bigint;
  result: string;
  reportNumber: string;
  findings: string;
  reportHash: string;
  inspector: string;
  freezeTx: string | null;
  createdAt: Date;
}) {
  return { ...s, facilityId: s.facilityId.toString(), createdAt: s.createdAt.toISOString() };
}

export function presentDecision(row: {
  id: string;
  kind: string;
  facilityId: bigint;
  status: string;
  reason: string;
  message: string;
  updatedAt: Date;
}) {
  return {
    approvalId: row.id,
    kind: row.kind,
    facilityId: row.facilityId.toString(),
    status: row.status,
    reason: row.reason,
    message: JSON.parse(row.message),
    decidedAt: row.updatedAt.toISOString(),
  };
}

export function presentQueueItem(
  row: {
    evidenceId: string;
    facilityId: bigint;
    kind: string;
    metadata: string;
    verdict: string;
    reason: string;
    checkedAt: Date;
  },
  chain: { bankVerdict: (typeof VERDICTS)[number]; verifiedOnChain: boolean },
) {
  return {
    evidenceId: row.evidenceId,
    facilityId: row.facilityId.toString(),
    kind: row.kind,
    metadata: JSON.parse(row.metadata),
    regulatorVerdict: row.verdict,
    regulatorReason: row.reason,
    bankVerdict: pendingForNone(chain.bankVerdict),
    verifiedOnChain: chain.verifiedOnChain,
    checkedAt: row.checkedAt.toISOString(),
  };
}
