import type { EvidenceKind } from "../chain/evidence";
import type { Database } from "../db/client";
import type { DocumentStore } from "../documents/storage";
import type { CandidateEvidence, DocumentSource } from "./sources";

type Row = {
  id: string;
  facilityId: bigint;
  kind: string;
  counterparty: string;
  salt: string;
  saltedHash: string;
  evidenceId: string;
  proof: string | null;
  leafIndex: number | null;
  metadata: string;
};

const candidate = (row: Row): CandidateEvidence => ({
  documentId: row.id,
  facilityId: row.facilityId,
  kind: row.kind as EvidenceKind,
  counterparty: row.counterparty,
  salt: row.salt,
  saltedHash: row.saltedHash,
  evidenceId: row.evidenceId,
  index: row.leafIndex ?? 0,
  proof: JSON.parse(row.proof ?? "[]") as string[],
  metadata: JSON.parse(row.metadata) as Record<string, unknown>,
});

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
