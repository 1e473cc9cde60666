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
