/**
 * The documents' reads on the bank node: one document, a page of them, their bytes (re-hashed before they are
 * served), proofs, batches, and whether a document is anchored, answered from the chain.
 */
import type { Chain } from "../chain/chain";
import { isTransient } from "../chain/reverts";
import { LEAF_ENCODING, evidenceIdOf, leafValue, saltedHashOf, type EvidenceKind } from "../chain/evidence";
import { verifyBatchProof } from "../chain/batch-tree";
import type { Database } from "../db/client";
import { AppError, conflict, notFound, unavailable } from "../errors";
import { createEvidenceStatus } from "../verification/evidence-status";
import { partiesOf } from "./parties";
import type { DocumentRow } from "./presenter";
import type { ListDocumentsQuery } from "./schema";
import type { DocumentStore } from "./storage";

/** A read from the chain; a node that cannot be reached is a retryable 503, not an internal error. */
export async function fromChain<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    if (!isTransient(error)) throw error;
    // The cause names the node's address: the error handler logs it; a public client is not told.
    throw Object.assign(unavailable("chain_unavailable", "the blockchain node did not answer; try again shortly"), {
      cause: error,
    });
  }
}

export const withBatch = {
  batch: { select: { root: true, size: true, single: true, status: true, txHash: true, blockNumber: true } },
} as const;

export function createDocumentReads({ db, store, chain }: { db: Database; store: DocumentStore; chain: Chain }) {
  const evidenceStatus = createEvidenceStatus({ chain, db });
  async function load(id: string): Promise<DocumentRow> {
    const row = await db.prisma.document.findUnique({ where: { id }, include: withBatch });
    if (!row) throw notFound(`document ${id}`);
    return row;
  }

  /**
   * A document's stored bytes, re-hashed as they are read, or why they cannot be served: gone from the store, or no
   * longer hashing to the document's content hash (then never served as if good).
   */
  async function storedContent(
    row: DocumentRow,
  ): Promise<
    | { bytes: Buffer; actualHash: string }
    | { error: "content_missing" }
    | { error: "content_tampered"; storedHash: string }
  > {
    const stored = await store.read(row.contentHash);
    if (!stored) return { error: "content_missing" };
    if (!stored.intact) return { error: "content_tampered", storedHash: stored.actualHash };
    return { bytes: stored.bytes, actualHash: stored.actualHash };
  }

  return {
    get: load,

    /** Each document's counterparty by name and the payment that consumed it (server/documents/parties.ts). */
    parties: (rows: DocumentRow[]) => partiesOf(db, rows),

    async byEvidenceId(evidenceId: string): Promise<DocumentRow> {
      const row = await db.prisma.document.findUnique({ where: { evidenceId }, include: withBatch });
      if (!row) throw notFound(`evidence ${evidenceId}`);
      return row;
    },

    /** A page of the documents matching `query` within `scope` (the policy's filter of what the caller may list). */
    async list(
      query: ListDocumentsQuery,
      scope: { facilityId?: { in: bigint[] } } = {},
    ): Promise<{ items: DocumentRow[]; nextCursor: string | null }> {
      const rows = await db.prisma.document.findMany({
        where: { AND: [{ facilityId: query.facilityId, kind: query.kind, status: query.status }, scope] },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: query.limit + 1,
        ...(query.cursor ? { cursor: { id: query.cursor }, skip: 1 } : {}),
        include: withBatch,
      });
      const items = rows.slice(0, query.limit);
      return { items, nextCursor: rows.length > query.limit ? items[items.length - 1].id : null };
    },

    /** The documents of `ids` that exist, in one query (in no particular order; at most a few hundred ids). */
    many: (ids: string[]): Promise<DocumentRow[]> =>
      db.prisma.document.findMany({ where: { id: { in: ids } }, include: withBatch }),

    /**
     * The stored bytes, re-hashed before they are served: bytes that no longer hash to the document's content hash
     * are never served as if good (410 content_tampered; the store's listeners mark it and withdraw the acceptance).
     */
    async content(id: string): Promise<{ row: DocumentRow; bytes: Buffer; actualHash: string }> {
      const row = await load(id);
      const stored = await storedContent(row);
      if ("error" in stored) {
        throw stored.error === "content_missing"
          ? new AppError(410, "content_missing", `the bytes of document ${id} are no longer in the store`)
          : new AppError(
              410,
              "content_tampered",
              `the stored bytes of document ${id} no longer match its recorded hash: withheld, and the acceptance withdrawn`,
              { extensions: { recordedHash: row.contentHash, storedHash: stored.storedHash } },
            );
      }
      return { row, ...stored };
    },

    storedContent,

    async proof(where: { id: string } | { evidenceId: string }): Promise<DocumentRow> {
      const row =
        "id" in where
          ? await load(where.id)
          : await db.prisma.document.findUnique({ where: { evidenceId: where.evidenceId }, include: withBatch });
      if (!row) throw notFound(`evidence ${"evidenceId" in where ? where.evidenceId : ""}`);
      if (row.status !== "ANCHORED" || !row.batch?.txHash) {
        throw conflict(
          "not_anchored_yet",
          `document ${row.id} is ${row.status.toLowerCase()}, not anchored yet; try again shortly`,
          {
            documentStatus: row.status,
          },
        );
      }
      return row;
    },

    async batch(root: string) {
      const batch = await db.prisma.batch.findUnique({ where: { root } });
      if (!batch) throw notFound(`batch ${root}`);
      const documents = await db.prisma.document.findMany({
        where: { batchId: batch.id },
        orderBy: [{ leafIndex: "asc" }, { createdAt: "asc" }],
        include: withBatch,
      });
      return { batch, documents };
    },

    /**
     * Whether a document (its bytes, or its content hash) with its salt, facility and kind is anchored — answered
     * from the chain: the database only suggests which batch and proof to check.
     */
    async verify(input: {
      contentHash: string;
      salt: string;
      facilityId: bigint;
      kind: EvidenceKind;
      counterparty: string;
    }) {
      const saltedHash = saltedHashOf(input.salt, input.contentHash);
      const evidenceId = evidenceIdOf(input.facilityId, input.kind, input.counterparty, saltedHash);
      const leaf = leafValue(input.facilityId, input.kind, input.counterparty, saltedHash);
      const onChain = await fromChain(chain.evidence.evidenceOf(evidenceId));
      const base = { evidenceId, saltedHash, leaf, leafEncoding: LEAF_ENCODING, chainId: chain.chainId.toString() };
      if (onChain.anchoredAt !== 0n) {
        const [verified, row] = await Promise.all([
          fromChain(chain.evidence.isVerified(evidenceId)),
          db.prisma.document.findUnique({ where: { evidenceId }, include: withBatch }),
        ]);
        return {
          ...base,
          anchored: true,
          anchoredAt: new Date(Number(onChain.anchoredAt) * 1000).toISOString(),
          root: row?.batch?.root ?? evidenceId,
          index: row?.leafIndex ?? 0,
          proof: JSON.parse(row?.proof ?? "[]") as string[],
          verifiedOnChain: verified,
        };
      }
      const row = await db.prisma.document.findUnique({ where: { evidenceId }, include: withBatch });
      if (row?.batch && !row.batch.single) {
        const proof = JSON.parse(row.proof ?? "[]") as string[];
        const [anchoredAt] = await fromChain(chain.evidence.batchOf(row.batch.root));
        const index = row.leafIndex ?? 0;
        if (anchoredAt !== 0n && verifyBatchProof(row.batch.root, evidenceId, index, proof, row.batch.size)) {
          return {
            ...base,
            anchored: true,
            anchoredAt: new Date(Number(anchoredAt) * 1000).toISOString(),
            root: row.batch.root,
            index,
            proof,
            // Not registered: verified (or not) by the verifiers' bits for its position in the batch.
            verifiedOnChain: (await fromChain(evidenceStatus.statusOf(evidenceId))).verified,
          };
        }
      }
      return { ...base, anchored: false, anchoredAt: null, root: null, index: null, proof: [], verifiedOnChain: false };
    },
  };
}

export type DocumentReads = ReturnType<typeof createDocumentReads>;
