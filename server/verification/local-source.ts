import type { Database } from "../db/client";
import { storedLeaf } from "../documents/presenter";
import type { DocumentStore } from "../documents/storage";
import type { CandidateEvidence, DocumentSource } from "./sources";

/**
 * The bank's own record of a leaf, without the content hash it claims: the verifier hashes the bytes itself (and
 * takes the hash from them, never from the row).
 */
const candidate = (row: Parameters<typeof storedLeaf>[0]): CandidateEvidence => {
  const { contentHash: _claimed, ...leaf } = storedLeaf(row);
  return leaf;
};

/** The bank's own verifier reads its node's database and document store directly. */
export function localSource({ db, store }: { db: Database; store: DocumentStore }): DocumentSource {
  return {
    async batch(root) {
      const batch = await db.prisma.batch.findUnique({
        where: { root },
        include: { documents: { orderBy: { leafIndex: "asc" } } },
      });
      return batch ? batch.documents.map(candidate) : [];
    },
    async evidence(evidenceId) {
      const row = await db.prisma.document.findUnique({ where: { evidenceId } });
      return row ? candidate(row) : undefined;
    },
    async content(documentId) {
      const row = await db.prisma.document.findUnique({ where: { id: documentId }, select: { contentHash: true } });
      return row ? store.get(row.contentHash) : undefined;
    },
  };
}
