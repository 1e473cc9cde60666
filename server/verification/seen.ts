import type { Database } from "../db/client";
import { uniqueViolation } from "../db/errors";
import { holderAmong, type RejectedOnChain } from "./rejected";
import { inChunks } from "../db/chunks";

/** What the one-document-one-use memory keeps of an evidence: its bytes and its business identity. */
export interface SeenEvidence {
  evidenceId: string;
  contentHash: string;
  businessKey: string | null;
}

/** At most this many earlier holders of the same bytes or identity are asked about (newest first), as before. */
const HOLDERS_ASKED = 20;

/**
 * One document, one use, from this node's own memory (EvidenceSeen), for one pass of record checks: the rows that
 * could match the pass's candidates are read in one query, each candidate is decided in order against them and
 * against the candidates decided before it in the pass, and the new rows are written in one statement by `flush`
 * (before the pass records its verdicts). The first evidence seen with some bytes or an identity keeps them until the
 * chain records a verifier's REJECT of it (a final veto): a rejected forgery citing a real number does not block the
 * genuine document.
 */
export function seenMemory(db: Database, rejected: RejectedOnChain) {
  /** Newest first, as the single query ordered them; rows of this pass go in front as they are decided. */
  let known: SeenEvidence[] = [];
  const asked = { hashes: new Set<string>(), keys: new Set<string>() };
  const pending: SeenEvidence[] = [];

  async function prefetch(candidates: Array<Pick<SeenEvidence, "contentHash" | "businessKey">>): Promise<void> {
    const hashes = [...new Set(candidates.map((c) => c.contentHash))].filter((h) => !asked.hashes.has(h));
    const keys = [...new Set(candidates.flatMap((c) => (c.businessKey ? [c.businessKey] : [])))].filter(
      (k) => !asked.keys.has(k),
    );
    if (hashes.length === 0 && keys.length === 0) return;
    const select = { evidenceId: true, contentHash: true, businessKey: true, createdAt: true } as const;
    const found = [
      ...(await inChunks(hashes, (chunk) =>
        db.prisma.evidenceSeen.findMany({ where: { contentHash: { in: chunk } }, select }),
      )),
      ...(await inChunks(keys, (chunk) =>
        db.prisma.evidenceSeen.findMany({ where: { businessKey: { in: chunk } }, select }),
      )),
    ].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    const rows = [...new Map(found.map(({ createdAt: _, ...row }) => [row.evidenceId, row])).values()];
    for (const h of hashes) asked.hashes.add(h);
    for (const k of keys) asked.keys.add(k);
    const have = new Set(known.map((row) => row.evidenceId));
    // Rows read now are older than any this pass decided (those are not written until `flush`).
    known = [...known, ...rows.filter((row) => !have.has(row.evidenceId))];
  }

  /**
   * A REJECT reason when another evidence still holds these bytes or this identity; otherwise the evidence now holds
   * them (remembered, and written by `flush` unless it was remembered before).
   */
  async function check(c: SeenEvidence): Promise<string | undefined> {
    await prefetch([c]);
    const others = known
      .filter(
        (o) =>
          o.evidenceId !== c.evidenceId &&
          (o.contentHash === c.contentHash || (c.businessKey !== null && o.businessKey === c.businessKey)),
      )
      .slice(0, HOLDERS_ASKED);
    const other = await holderAmong(rejected, others);
    if (other) {
      return other.contentHash === c.contentHash
        ? `the same document (sha256 ${c.contentHash}) was already presented as evidence ${other.evidenceId}`
        : `${c.businessKey} was already presented as evidence ${other.evidenceId}`;
    }
    if (!known.some((o) => o.evidenceId === c.evidenceId)) {
      const row = { evidenceId: c.evidenceId, contentHash: c.contentHash, businessKey: c.businessKey };
      known.unshift(row);
      pending.push(row);
    }
    return undefined;
  }

  /** Writes the evidence remembered in this pass (one statement; row by row only if another writer got there first). */
  async function flush(): Promise<void> {
    const rows = pending.splice(0);
    if (rows.length === 0) return;
    try {
      await db.prisma.evidenceSeen.createMany({ data: rows });
    } catch (error) {
      if (!uniqueViolation(error)) throw error;
      for (const row of rows) {
        await db.prisma.evidenceSeen.upsert({ where: { evidenceId: row.evidenceId }, create: row, update: {} });
      }
    }
  }

  return { prefetch, check, flush };
}
export type SeenMemory = ReturnType<typeof seenMemory>;
