import type { z } from "zod";
import { LEAF_ENCODING, kindIndex, type EvidenceKind } from "../chain/evidence";
import { bareParties, type DocumentParties } from "./parties";
import type { BatchView, DocumentView, ProofView } from "./schema";

/** A document row with its batch, as the service loads it. */
export interface DocumentRow {
  id: string;
  facilityId: bigint;
  kind: string;
  mimeType: string;
  size: number;
  originalName: string;
  metadata: string;
  contentHash: string;
  salt: string;
  saltedHash: string;
  evidenceId: string;
  counterparty: string;
  uploadedBy: string;
  createdAt: Date;
  status: string;
  proof: string | null;
  leafIndex: number | null;
  anchoredAt: Date | null;
  batch: { root: string; single: boolean; status: string; txHash: string | null; blockNumber: bigint | null } | null;
}

/** The columns of a document row that its evidence id commits to, with the row's id. */
export type EvidenceColumns = Pick<
  DocumentRow,
  "id" | "facilityId" | "kind" | "counterparty" | "saltedHash" | "evidenceId"
>;

/** A batch leaf as stored on this node: what GET /batches/:root shows, and what the bank's own verifier is given. */
export const storedLeaf = (
  d: EvidenceColumns & Pick<DocumentRow, "salt" | "contentHash" | "leafIndex" | "proof" | "metadata">,
) => ({
  documentId: d.id,
  facilityId: d.facilityId,
  kind: d.kind as EvidenceKind,
  counterparty: d.counterparty,
  saltedHash: d.saltedHash,
  salt: d.salt,
  contentHash: d.contentHash,
  evidenceId: d.evidenceId,
  index: d.leafIndex ?? 0,
  proof: JSON.parse(d.proof ?? "[]") as string[],
  metadata: JSON.parse(d.metadata) as Record<string, unknown>,
});

export function presentDocument(row: DocumentRow, parties = bareParties(row)): z.input<typeof DocumentView> {
  return {
    id: row.id,
    facilityId: row.facilityId.toString(),
    kind: row.kind as EvidenceKind,
    mimeType: row.mimeType,
    size: row.size,
    originalName: row.originalName,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    contentHash: row.contentHash,
    salt: row.salt,
    saltedHash: row.saltedHash,
    evidenceId: row.evidenceId,
    counterparty: row.counterparty,
    ...parties,
    status: row.status as "QUEUED" | "BATCHED" | "ANCHORED",
    uploadedBy: row.uploadedBy,
    createdAt: row.createdAt.toISOString(),
    anchor: row.batch
      ? {
          type: row.batch.single ? "single" : "batch",
          root: row.batch.root,
          status: row.batch.status,
          txHash: row.batch.txHash,
          blockNumber: row.batch.blockNumber?.toString() ?? null,
          anchoredAt: row.anchoredAt?.toISOString() ?? null,
        }
      : null,
  };
}

export function presentProof(
  row: DocumentRow,
  chain: { chainId: bigint; evidenceRegistry: string },
): z.input<typeof ProofView> {
  return {
    evidenceId: row.evidenceId,
    leaf: [row.facilityId.toString(), kindIndex(row.kind as EvidenceKind), row.counterparty, row.saltedHash],
    leafEncoding: LEAF_ENCODING,
    root: row.batch!.root,
    index: row.leafIndex ?? 0,
    proof: JSON.parse(row.proof ?? "[]") as string[],
    single: row.batch!.single,
    txHash: row.batch!.txHash!,
    blockNumber: row.batch!.blockNumber!.toString(),
    chainId: chain.chainId.toString(),
    evidenceRegistry: chain.evidenceRegistry,
  };
}

export function presentBatch(
  batch: {
    root: string;
    size: number;
    single: boolean;
    status: string;
    txHash: string | null;
    blockNumber: bigint | null;
  },
  documents: DocumentRow[],
): z.input<typeof BatchView> {
  return {
    root: batch.root,
    size: batch.size,
    single: batch.single,
    status: batch.status,
    txHash: batch.txHash,
    blockNumber: batch.blockNumber?.toString() ?? null,
    leaves: documents.map((d) => ({ ...storedLeaf(d), facilityId: d.facilityId.toString() })),
  };
}
