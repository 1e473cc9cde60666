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

/**
 * The bank's own verifier reads its node's database and document store directly. The content address of each
 * document of the batch last listed is kept, so reading its bytes next costs no query (the store still checks that
 * the bytes hash to that address, and the verifier re-hashes them against the chain).
 */
export function localSource({ db, store }: { db: Database; store: DocumentStore }): DocumentSource {
  let listed = new Map<string, string>();
  return {
    async batch(root) {
      const batch = await db.prisma.batch.findUnique({
        where: { root },
        include: { documents: { orderBy: { leafIndex: "asc" } } },
      });
      listed = new Map((batch?.documents ?? []).map((row) => [row.id, row.contentHash]));
      return batch ? batch.documents.map(candidate) : [];
    },
    async evidence(evidenceId) {
      const row = await db.prisma.document.findUnique({ where: { evidenceId } });
      return row ? candidate(row) : undefined;
    },
    async content(documentId) {
      const contentHash =
        listed.get(documentId) ??
        (await db.prisma.document.findUnique({ where: { id: documentId }, select: { contentHash: true } }))
          ?.contentHash;
      return contentHash ? store.get(contentHash) : undefined;
    },
  };
}
