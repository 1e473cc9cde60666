import type { Logger } from "pino";
import type { GivenVerdict } from "../../domain/enums";
import type { Database, Tx } from "../db/client";
import type { Metrics } from "../http/metrics";
import { integrityMetrics } from "./integrity-metrics";
import type { NodeMac } from "./mac";
import { inChunks } from "../db/chunks";

/** A verdict a verifier gives (domain/enums.ts GIVEN_VERDICTS). */
export type Verdict = GivenVerdict;

/** An ATTEST job's payload: the verdict to sign, and the MAC this node made when it queued it. */
export interface AttestPayload {
  evidenceId: string;
  verdict: Verdict;
  reason: string;
  mac?: string;
}

/** A REVOKE job's payload: the acceptance to withdraw and why. */
export interface RevokePayload {
  evidenceId: string;
  reason: string;
  mac?: string;
  /**
   * For a batched leaf: where it sits, as this node proved it. Outside the MAC: the contract checks the proof from the
   * signed evidence id, so a changed position proves nothing.
   */
  batch?: { root: string; index: number; proof: string[] };
}

/** One leaf of a BATCH_ATTEST job: its position in the batch, the evidence there, and this node's verdict on it. */
export interface BatchLeafVerdict {
  index: number;
  evidenceId: string;
  verdict: Verdict;
}

/** A BATCH_ATTEST job's payload: this node's verdicts on leaves of one batch, by position, and the MAC it made. */
export interface BatchAttestPayload {
  root: string;
  leaves: BatchLeafVerdict[];
  mac?: string;
}

const batchFields = (root: string, leaves: BatchLeafVerdict[]) => [
  root,
  ...leaves.flatMap((l) => [String(l.index), String(l.evidenceId), String(l.verdict)]),
];

/** The fields of a verdict record that its MAC covers. */
interface VerdictRecord {
  evidenceId: string;
  facilityId: bigint;
  kind: string;
  verdict: string;
  reason: string;
  contentHash: string | null;
}

const verdictFields = (r: VerdictRecord) => [
  r.evidenceId,
  r.facilityId.toString(),
  r.kind,
  r.verdict,
  r.reason,
  r.contentHash ?? "",
];

/**
 * A node's decision records: its verdicts (Verification rows) and revocations, each with a MAC made with a key that is
 * not in the database, and the check that every ATTEST and REVOKE job is exactly what those records decided. Before
 * the node signs, it re-derives what it signs from its own record; a job that disagrees is refused, logged and counted
 * (qfm_tampered_jobs_total).
 */
export function createDecisions({
  db,
  mac,
  metrics,
  logger,
}: {
  db: Database;
  mac: NodeMac;
  metrics: Metrics;
  logger: Logger;
}) {
  const counters = integrityMetrics(metrics);

  /** The verdict record's MAC, to store with it. */
  const sealVerdict = (record: VerdictRecord) => mac.of("verdict", verdictFields(record));

  /** Whether a verdict row is this node's own (carries its valid MAC). */
  const isOwn = (record: VerdictRecord & { mac: string | null }) =>
    mac.verify("verdict", verdictFields(record), record.mac);

  const attestPayload = (evidenceId: string, verdict: Verdict, reason: string): AttestPayload => ({
    evidenceId,
    verdict,
    reason,
    mac: mac.of("attest-job", [evidenceId, verdict, reason]),
  });

  /** A BATCH_ATTEST payload, its leaves sorted by index (both nodes decide the same positions in the same order). */
  const batchAttestPayload = (root: string, leaves: BatchLeafVerdict[]): BatchAttestPayload => {
    const sorted = [...leaves].sort((a, b) => a.index - b.index);
    return { root, leaves: sorted, mac: mac.of("batch-attest-job", batchFields(root, sorted)) };
  };

  const revokePayload = (evidenceId: string, reason: string): RevokePayload => ({
    evidenceId,
    reason,
    mac: mac.of("revoke-job", [evidenceId, reason]),
  });

  function refused(kind: string, evidenceId: unknown, reason: string): string {
    counters.tamperedJobs.inc({ kind });
    logger.error({ kind, evidenceId, reason }, "tampered chain write refused: not this node's own decision");
    return reason;
  }

  /** The node's own verdict record of each evidence (read in one query), when it carries this node's MAC. */
  async function ownRecords(evidenceIds: string[]) {
    const rows = await inChunks(evidenceIds, (chunk) =>
      db.prisma.verification.findMany({ where: { evidenceId: { in: chunk } } }),
    );
    const byId = new Map(rows.map((row) => [row.evidenceId, row]));
    return (evidenceId: string) => {
      const record = byId.get(evidenceId);
      if (!record) return { problem: "this node has no verdict record for the evidence" } as const;
      if (!mac.verify("verdict", verdictFields(record), record.mac)) {
        return { problem: "the verdict record has no valid MAC (not written by this node's verifier)" } as const;
      }
      return { record } as const;
    };
  }
  const ownRecord = async (evidenceId: string) => (await ownRecords([evidenceId]))(evidenceId);

  /** Why an ATTEST job must not be signed, or undefined when it is exactly this node's recorded verdict. */
  async function refuseAttest(p: AttestPayload): Promise<string | undefined> {
    if (typeof p?.evidenceId !== "string") return refused("ATTEST", undefined, "the job names no evidence");
    if (!mac.verify("attest-job", [p.evidenceId, String(p.verdict), String(p.reason)], p.mac)) {
      return refused("ATTEST", p.evidenceId, "the job's payload has no valid MAC");
    }
    const own = await ownRecord(p.evidenceId);
    if (!own.record) return refused("ATTEST", p.evidenceId, own.problem);
    if (own.record.verdict !== p.verdict || own.record.reason !== p.reason) {
      return refused(
        "ATTEST",
        p.evidenceId,
        `the job says ${p.verdict} but this node's verdict record says ${own.record.verdict}`,
      );
    }
    if (p.verdict === "ACCEPT" && own.record.revokedAt) {
      // Not tampering: the node withdrew the acceptance before it was sent (its REVOKE job rejects instead).
      logger.warn({ evidenceId: p.evidenceId }, "acceptance withdrawn before it was signed: not sent");
      return "this node has revoked its acceptance of the evidence";
    }
    return undefined;
  }

  /**
   * Why a BATCH_ATTEST job must not be signed, or undefined when every leaf's verdict is exactly this node's sealed
   * record for that evidence (and the leaves are distinct positions in increasing order). An acceptance this node has
   * revoked since is not tampering: the job is signed with that leaf as a rejection (`revokedAmong`).
   */
  async function refuseBatchAttest(p: BatchAttestPayload): Promise<string | undefined> {
    if (typeof p?.root !== "string" || !Array.isArray(p.leaves) || p.leaves.length === 0) {
      return refused("BATCH_ATTEST", undefined, "the job names no batch leaves");
    }
    if (!mac.verify("batch-attest-job", batchFields(p.root, p.leaves), p.mac)) {
      return refused("BATCH_ATTEST", p.root, "the job's payload has no valid MAC");
    }
    const recordOf = await ownRecords(p.leaves.map((leaf) => String(leaf.evidenceId)));
    for (const [i, leaf] of p.leaves.entries()) {
      if (!Number.isInteger(leaf.index) || leaf.index < 0 || (i > 0 && leaf.index <= p.leaves[i - 1].index)) {
        return refused("BATCH_ATTEST", p.root, "the job's leaves are not distinct positions in increasing order");
      }
      const own = recordOf(leaf.evidenceId);
      if (!own.record) return refused("BATCH_ATTEST", leaf.evidenceId, own.problem);
      if (own.record.verdict !== leaf.verdict) {
        return refused(
          "BATCH_ATTEST",
          leaf.evidenceId,
          `the job says ${leaf.verdict} but this node's verdict record says ${own.record.verdict}`,
        );
      }
    }
    return undefined;
  }

  /**
   * The evidence ids among `evidenceIds` whose acceptance this node withdrew (its sealed revocation): a batch verdict
   * not yet signed gives them as rejections (the REVOKE job behind it then finds the rejection on chain).
   */
  async function revokedAmong(evidenceIds: string[]): Promise<Set<string>> {
    const rows = await inChunks(evidenceIds, (chunk) =>
      db.prisma.verification.findMany({
        where: { evidenceId: { in: chunk }, verdict: "ACCEPT", revokedAt: { not: null } },
      }),
    );
    return new Set(
      rows
        .filter((r) => mac.verify("revocation", [r.evidenceId, r.revokeReason ?? ""], r.revokeMac))
        .map((r) => r.evidenceId),
    );
  }

  /** Why a REVOKE job must not be signed, or undefined when this node's records decided that revocation. */
  async function refuseRevoke(p: RevokePayload): Promise<string | undefined> {
    if (typeof p?.evidenceId !== "string") return refused("REVOKE", undefined, "the job names no evidence");
    if (!mac.verify("revoke-job", [p.evidenceId, String(p.reason)], p.mac)) {
      return refused("REVOKE", p.evidenceId, "the job's payload has no valid MAC");
    }
    const own = await ownRecord(p.evidenceId);
    if (!own.record) return refused("REVOKE", p.evidenceId, own.problem);
    const { record } = own;
    if (
      record.verdict !== "ACCEPT" ||
      record.revokeReason !== p.reason ||
      !mac.verify("revocation", [record.evidenceId, record.revokeReason], record.revokeMac)
    ) {
      return refused("REVOKE", p.evidenceId, "this node's records decided no such revocation");
    }
    return undefined;
  }

  /**
   * Records that this node withdraws its acceptance (with its MAC) and queues the signed revocation, exactly once:
   * false when there is no valid acceptance to withdraw or it was withdrawn already.
   */
  async function revoke(
    tx: Tx,
    evidenceId: string,
    reason: string,
    enqueue: (payload: RevokePayload) => Promise<void>,
  ) {
    const record = await tx.verification.findUnique({ where: { evidenceId } });
    if (!record || record.verdict !== "ACCEPT" || record.revokedAt) return false;
    if (!mac.verify("verdict", verdictFields(record), record.mac)) return false;
    await tx.verification.update({
      where: { evidenceId },
      data: { revokeReason: reason, revokeMac: mac.of("revocation", [evidenceId, reason]), revokedAt: new Date() },
    });
    const batch =
      record.batchRoot !== null && record.leafIndex !== null
        ? { root: record.batchRoot, index: record.leafIndex, proof: JSON.parse(record.proof ?? "[]") as string[] }
        : undefined;
    await enqueue({ ...revokePayload(evidenceId, reason), ...(batch ? { batch } : {}) });
    counters.revocations.inc();
    return true;
  }

  return {
    sealVerdict,
    isOwn,
    attestPayload,
    batchAttestPayload,
    revokePayload,
    refuseAttest,
    refuseBatchAttest,
    revokedAmong,
    refuseRevoke,
    revoke,
  };
}

export type Decisions = ReturnType<typeof createDecisions>;
