import { VERDICTS, type Verdict } from "../../domain/enums";
import { verifyBatchProof } from "../chain/batch-tree";
import type { Chain } from "../chain/chain";
import type { Database } from "../db/client";
import { inChunks } from "../db/chunks";

/** Where a batched evidence sits: its batch root, its position (the verdict bit) and the proof of both. */
export interface LeafRef {
  root: string;
  index: number;
  proof: string[];
}

/** One evidence as the chain judges it now. */
export interface EvidenceStatus {
  evidenceId: string;
  /** recorded as evidence on chain (anchored alone, or a batched leaf registered): consumable */
  registered: boolean;
  /** the chain's evidence record (zeroes when not registered) */
  record: { anchoredAt: bigint; facilityId: bigint; kind: bigint; consumed: boolean };
  /** a batched leaf not registered: its batch, whose bits hold the verdicts */
  batch: (LeafRef & { anchoredAt: bigint }) | null;
  consumed: boolean;
  /** verified under the current verifier set and threshold (EvidenceRegistry._isVerified), by either path */
  verified: boolean;
  /** each current verifier's verdict (a revoked acceptance reads REJECT) */
  verdicts: Array<{ verifier: string; verdict: Verdict }>;
}

const NONE_RECORD = { anchoredAt: 0n, facilityId: 0n, kind: 0n, consumed: false };

/**
 * "Is this evidence verified by both nodes?" in one place, for every reader (payment pre-flight, /verify, the
 * regulator's queue and review, the rules' metrics, the documents' verdicts, duplicates' rejection). Registered evidence
 * is read from its record (isVerified, verdictOf). A batched leaf not registered is read from the batch's verdict bits
 * (batchVerdictsOf), by the rule the contract applies when the leaf is registered: no current verifier rejected it and
 * at least `threshold` accepted it. Which leaf an evidence is comes from this node's database (the bank's document
 * rows, a verifier's own verdict rows), and is believed only when its proof leads from the evidence id at that
 * position to the root (a row altered to point at another, accepted position proves nothing and reads as not batched).
 */
export function createEvidenceStatus({ chain, db }: { chain: Pick<Chain, "evidence">; db: Database }) {
  /** The leaf this node knows for each evidence id, proven; missing when it knows none. */
  async function leavesOf(evidenceIds: string[]): Promise<Map<string, LeafRef>> {
    const leaves = new Map<string, LeafRef>();
    if (evidenceIds.length === 0) return leaves;
    const [documents, verdicts] = await Promise.all([
      inChunks(evidenceIds, (chunk) =>
        db.prisma.document.findMany({
          where: { evidenceId: { in: chunk }, leafIndex: { not: null }, batch: { single: false } },
          select: { evidenceId: true, leafIndex: true, proof: true, batch: { select: { root: true, size: true } } },
        }),
      ),
      inChunks(evidenceIds, (chunk) =>
        db.prisma.verification.findMany({
          where: { evidenceId: { in: chunk }, batchRoot: { not: null }, leafIndex: { not: null } },
          select: { evidenceId: true, batchRoot: true, leafIndex: true, proof: true },
        }),
      ),
    ]);
    const offer = (evidenceId: string, root: string, index: number, proofJson: string | null, size?: number) => {
      if (leaves.has(evidenceId)) return;
      let proof: unknown;
      try {
        proof = JSON.parse(proofJson ?? "null");
      } catch {
        return;
      }
      if (!Array.isArray(proof) || !proof.every((p) => typeof p === "string")) return;
      try {
        if (verifyBatchProof(root, evidenceId, index, proof, size)) leaves.set(evidenceId, { root, index, proof });
      } catch {
        // a malformed word proves nothing
      }
    };
    for (const d of documents) {
      if (d.batch) offer(d.evidenceId, d.batch.root, d.leafIndex!, d.proof, d.batch.size);
    }
    for (const v of verdicts) offer(v.evidenceId, v.batchRoot!, v.leafIndex!, v.proof);
    return leaves;
  }

  /** The statuses of many evidence ids, reading each batch word and the verifier set once. */
  async function statusesOf(evidenceIds: string[]): Promise<Map<string, EvidenceStatus>> {
    const ids = [...new Set(evidenceIds)];
    const [verifiers, threshold, leaves, records] = await Promise.all([
      chain.evidence.verifiers(),
      chain.evidence.threshold(),
      leavesOf(ids),
      Promise.all(ids.map((id) => chain.evidence.evidenceOf(id))),
    ]);
    const words = new Map<string, Promise<Array<{ accepted: bigint; rejected: bigint; registered: bigint }>>>();
    const wordOf = (root: string, w: number) => {
      const key = `${root.toLowerCase()}:${w}`;
      let read = words.get(key);
      if (!read) {
        read = Promise.all(
          verifiers.map(async (verifier) => {
            const [accepted, rejected, registered] = await chain.evidence.batchVerdictsOf(root, verifier, w);
            return { accepted, rejected, registered };
          }),
        );
        words.set(key, read);
      }
      return read;
    };
    const batches = new Map<string, Promise<bigint>>();
    const batchAnchoredAt = (root: string) => {
      let read = batches.get(root);
      if (!read) {
        read = chain.evidence.batchOf(root).then(([anchoredAt]) => anchoredAt);
        batches.set(root, read);
      }
      return read;
    };
    const statuses = await Promise.all(
      ids.map(async (evidenceId, i): Promise<EvidenceStatus> => {
        const r = records[i];
        const record = {
          anchoredAt: r.anchoredAt,
          facilityId: r.facilityId,
          kind: r.kind,
          consumed: r.consumed,
        };
        const leaf = leaves.get(evidenceId);
        if (record.anchoredAt !== 0n || !leaf) {
          const [verified, ...verdicts] = await Promise.all([
            record.anchoredAt === 0n ? false : chain.evidence.isVerified(evidenceId),
            ...verifiers.map((v) => (record.anchoredAt === 0n ? 0n : chain.evidence.verdictOf(evidenceId, v))),
          ]);
          return {
            evidenceId,
            registered: record.anchoredAt !== 0n,
            record: record.anchoredAt === 0n ? NONE_RECORD : record,
            batch: null,
            consumed: record.consumed,
            verified: Boolean(verified),
            verdicts: verifiers.map((verifier, v) => ({ verifier, verdict: VERDICTS[Number(verdicts[v])] })),
          };
        }
        const [anchoredAt, word] = await Promise.all([batchAnchoredAt(leaf.root), wordOf(leaf.root, leaf.index >> 8)]);
        const bit = 1n << BigInt(leaf.index & 255);
        const verdicts = verifiers.map((verifier, v): { verifier: string; verdict: Verdict } => ({
          verifier,
          verdict: word[v].rejected & bit ? "REJECT" : word[v].accepted & bit ? "ACCEPT" : "NONE",
        }));
        const accepted = verdicts.filter((v) => v.verdict === "ACCEPT").length;
        const verified =
          anchoredAt !== 0n &&
          !verdicts.some((v) => v.verdict === "REJECT") &&
          accepted > 0 &&
          accepted >= Number(threshold);
        return {
          evidenceId,
          registered: false,
          record: NONE_RECORD,
          batch: { ...leaf, anchoredAt },
          consumed: false,
          verified,
          verdicts,
        };
      }),
    );
    return new Map(statuses.map((s) => [s.evidenceId, s]));
  }

  const statusOf = async (evidenceId: string) => (await statusesOf([evidenceId])).get(evidenceId)!;

  return { statusOf, statusesOf, leavesOf };
}

export type EvidenceStatusReader = ReturnType<typeof createEvidenceStatus>;
