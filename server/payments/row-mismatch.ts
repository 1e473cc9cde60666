import type { Chain } from "../chain/chain";
import { EVIDENCE_KINDS, evidenceIdOf, saltedHashOf, type EvidenceKind } from "../chain/evidence";
import type { Database } from "../db/client";

/** A document row's fields its evidence id commits to, with the salt and content hash its salted hash is made of. */
export interface EvidenceRow {
  facilityId: bigint;
  kind: string;
  counterparty: string;
  saltedHash: string;
  salt: string;
  contentHash: string;
  evidenceId: string;
}

/**
 * Values a changed field may have had, to try against the evidence id (which alone decides): the facilities this
 * node's own verifier recorded for those evidence ids and those of the documents batched with them, and the
 * facility's borrower and payees on chain.
 */
export interface KnownValues {
  facilityIds: bigint[];
  /** the facility's borrower and the payees of its plan */
  parties: string[];
}

/** Whether a row's facility, kind, counterparty and salted hash give its evidence id (else the row was altered). */
export function rowIdHolds(row: Omit<EvidenceRow, "salt" | "contentHash">): boolean {
  try {
    return (
      evidenceIdOf(row.facilityId, row.kind as EvidenceKind, row.counterparty, row.saltedHash) ===
      row.evidenceId.toLowerCase()
    );
  } catch {
    return false;
  }
}

/**
 * The values to try for the altered `rows` of facility `facilityId`. Bounded by what the rows name (their verdict
 * rows, their batches), not by the number of facilities: a row's facility is tried among these, never among all.
 */
export async function knownValues(
  db: Database,
  chain: Chain,
  facilityId: bigint,
  rows: Array<{ evidenceId: string; batchId: string | null }>,
): Promise<KnownValues> {
  const batchIds = rows.flatMap((row) => (row.batchId ? [row.batchId] : []));
  const [verified, batched, count] = await Promise.all([
    db.prisma.verification.findMany({
      where: { evidenceId: { in: rows.map((row) => row.evidenceId) } },
      select: { facilityId: true },
    }),
    db.prisma.document.findMany({
      where: { batchId: { in: batchIds } },
      select: { facilityId: true },
      distinct: ["facilityId"],
    }),
    chain.manager.facilityCount(),
  ]);
  const facilityIds = [...new Set([...verified, ...batched].map((row) => row.facilityId))];
  if (facilityId < 1n || facilityId > count) return { facilityIds, parties: [] };
  const state = await chain.manager.facility(facilityId);
  const payments = await Promise.all(
    Array.from({ length: Number(state.paymentCount) }, (_, index) => chain.manager.payment(facilityId, index)),
  );
  return { facilityIds, parties: [state.borrower, ...new Set(payments.map((p) => p.payee))] };
}

/**
 * What an altered row changed, said by the field that gives the evidence id again when put back: the kind (one of
 * the seven), the facility (one of `known`'s), the counterparty (the facility's borrower or a payee of its plan), or
 * the salted hash (the one its salt and content hash give). The evidence id is what the chain holds (a record, or
 * a leaf proven in an anchored batch root), so whichever value reproduces it is the one the chain proves. When no
 * single field does, the salt was changed (a new salt gives a new salted hash), or more than one field was.
 * Undefined when the row gives its evidence id.
 */
export function rowMismatch(row: EvidenceRow, known: KnownValues): string | undefined {
  if (rowIdHolds(row)) return undefined;
  const holds = (change: Partial<EvidenceRow>) => rowIdHolds({ ...row, ...change });
  const notCommitted = (field: string, value: unknown, committed: unknown) =>
    `its row's ${field} ${value} is not the one its evidence id commits to (${committed})`;
  const kind = EVIDENCE_KINDS.find((k) => holds({ kind: k }));
  if (kind) return notCommitted("kind", row.kind, kind);
  const facilityId = known.facilityIds.find((id) => holds({ facilityId: id }));
  if (facilityId !== undefined) return notCommitted("facility", row.facilityId, facilityId);
  const party = known.parties.find((p) => holds({ counterparty: p }));
  if (party) return notCommitted("counterparty", row.counterparty, party);
  const ofSalt = saltedHashOf(row.salt, row.contentHash);
  if (holds({ saltedHash: ofSalt })) return notCommitted("salted hash", row.saltedHash, `${ofSalt}, of its salt`);
  return (
    `its row's salted hash ${row.saltedHash} is not the one its evidence id commits to: its salt was changed, or ` +
    "more than one field (no other kind, known facility or party of the facility gives the id)"
  );
}
