import { z } from "zod";
import { JsonObject } from "../../domain/api/json";
import { EVIDENCE_KINDS } from "../chain/evidence";
import { FacilityId, Hex32, QueryInteger } from "../http/route";
import { Address } from "../payees/schema";

export const EvidenceKind = z.enum(EVIDENCE_KINDS, {
  message: `must be one of ${EVIDENCE_KINDS.join(", ")}`,
});

const MetadataJson = z
  .string()
  .max(16 * 1024, { message: "must be at most 16 KiB of JSON" })
  .transform((text, ctx) => {
    try {
      const value: unknown = JSON.parse(text);
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        ctx.addIssue({ code: "custom", message: "must be a JSON object" });
        return z.NEVER;
      }
      return value as Record<string, unknown>;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be valid JSON" });
      return z.NEVER;
    }
  });

/** The text fields of a document upload (multipart/form-data). */
export const UploadDocumentBody = z.object({
  facilityId: FacilityId.meta({ description: "the facility the document is evidence for", example: "1" }),
  kind: EvidenceKind,
  counterparty: Address.optional().meta({
    description:
      "the payee a PURCHASE_CONTRACT, INVOICE, DELIVERY_NOTE or CERTIFICATION is with (a payee of the facility's plan; " +
      "may be left out when one payee of the plan requires the kind, when the metadata's supplierLicence is one such " +
      "payee's credit code, or when a supplier uploads its own); the other " +
      "kinds name the facility's borrower, which is filled in",
  }),
  metadata: MetadataJson.optional().meta({
    description:
      'JSON object describing the document, e.g. {"supplierLicence":"91330200MA2XXXX","contractNumber":"PC-2026-001"}',
  }),
  anchor: z
    .enum(["batch", "single"])
    .default("batch")
    .meta({ description: "batch (default): anchored in the next Merkle batch; single: its own transaction now" }),
});
export type UploadDocumentBody = z.infer<typeof UploadDocumentBody>;

/** Documents a bulk upload takes in one request. */
export const BULK_UPLOAD_MAX_FILES = 100;

const BulkEntry = z.strictObject({
  facilityId: FacilityId,
  kind: EvidenceKind,
  counterparty: Address.optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** The text field of a bulk upload: one entry per file, in the order of the files. */
export const UploadDocumentsBody = z.object({
  documents: z
    .string()
    .max(64 * 1024, { message: "must be at most 64 KiB of JSON" })
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "must be valid JSON" });
        return z.NEVER;
      }
    })
    .pipe(
      z
        .array(BulkEntry, { message: "must be a JSON array with one {facilityId, kind, metadata} per file" })
        .min(1, { message: "must describe at least one file" })
        .max(BULK_UPLOAD_MAX_FILES, { message: `must describe at most ${BULK_UPLOAD_MAX_FILES} files` }),
    )
    .meta({
      description:
        'JSON array, one entry per file in the order of the files: [{"facilityId":"1","kind":"INVOICE",' +
        '"metadata":{"invoiceNumber":"FP-001"}}, …]',
    }),
});
export type UploadDocumentsBody = z.infer<typeof UploadDocumentsBody>;

/** The headers of an upload: an optional Idempotency-Key makes a retry answer with what the first attempt stored. */
export const UploadHeaders = z.object({
  "idempotency-key": z
    .string()
    .regex(/^[\x20-\x7E]{1,128}$/, { message: "must be 1 to 128 printable ASCII characters" })
    .optional()
    .meta({
      description:
        "A key the client makes up for one upload (a UUID, say) and sends again with each retry of it: the first " +
        "request stores the upload, a later one with the same key from the same API key holder stores nothing and " +
        "answers 201 with the same documents and `Idempotent-Replayed: true`; the key with other files or fields is " +
        "422 idempotency_key_reused. Keys are kept for good.",
      example: "5f0c2b8e-3d1a-4e7b-9a55-0c6b1f2d8e44",
    }),
});
export type UploadHeaders = z.infer<typeof UploadHeaders>;

export const DocumentIdParams = z.object({ id: z.uuid({ message: "must be a document id (UUID)" }) });
export type DocumentIdParams = z.infer<typeof DocumentIdParams>;

/** Documents a bulk read of contents (POST /documents/contents) names in one request. */
export const CONTENTS_MAX_IDS = 256;

export const ContentsBody = z.strictObject({
  ids: z
    .array(z.uuid({ message: "must be a document id (UUID)" }))
    .min(1, { message: "must name at least one document" })
    .max(CONTENTS_MAX_IDS, { message: `must name at most ${CONTENTS_MAX_IDS} documents` })
    .meta({ description: `the documents whose bytes to read (1 to ${CONTENTS_MAX_IDS}), answered in this order` }),
});
export type ContentsBody = z.infer<typeof ContentsBody>;

/** Why a bulk read gives no bytes for a document: the single read's 404 and 410s, or the page being full. */
export const CONTENT_ERRORS = ["not_found", "content_missing", "content_tampered", "too_large"] as const;

const ContentBytes = z
  .object({
    id: z.string(),
    contentHash: Hex32.meta({ description: "sha256 of the bytes served, computed from them as they were read" }),
    mimeType: z.string(),
    content: z.string().meta({ description: "the stored bytes, base64" }),
  })
  .meta({ id: "ContentBytes" });

const ContentRefused = z
  .object({
    id: z.string(),
    error: z.enum(CONTENT_ERRORS).meta({
      description:
        "not_found: no such document (or one the caller may not see); content_missing, content_tampered: as GET " +
        "/documents/{id}/content's 410; too_large: the page is full, read it alone with GET /documents/{id}/content",
    }),
    storedHash: Hex32.optional().meta({ description: "content_tampered: the sha256 of the bytes in the store" }),
  })
  .meta({ id: "ContentRefused" });

export const DocumentContents = z
  .object({
    items: z.array(z.union([ContentBytes, ContentRefused])).meta({ description: "one per id asked, in that order" }),
  })
  .meta({ id: "DocumentContents" });
export type DocumentContents = z.infer<typeof DocumentContents>;

export const EvidenceIdParams = z.object({ evidenceId: Hex32 });
export type EvidenceIdParams = z.infer<typeof EvidenceIdParams>;

export const BatchRootParams = z.object({ root: Hex32 });
export type BatchRootParams = z.infer<typeof BatchRootParams>;

export const DOCUMENT_STATUSES = ["QUEUED", "BATCHED", "ANCHORED"] as const;

export const ListDocumentsQuery = z.object({
  facilityId: FacilityId.optional(),
  kind: EvidenceKind.optional(),
  status: z.enum(DOCUMENT_STATUSES).optional(),
  limit: QueryInteger(1, 500).default(50),
  cursor: z.uuid({ message: "must be the id of the last document of the previous page" }).optional(),
});
export type ListDocumentsQuery = z.infer<typeof ListDocumentsQuery>;

const AnchorView = z.object({
  type: z.enum(["single", "batch"]),
  root: z.string(),
  status: z.string(),
  txHash: z.string().nullable(),
  blockNumber: z.string().nullable(),
  anchoredAt: z.string().nullable(),
});

export const DocumentView = z
  .object({
    id: z.string(),
    facilityId: z.string(),
    kind: EvidenceKind,
    mimeType: z.string(),
    size: z.number().int(),
    originalName: z.string(),
    metadata: JsonObject,
    contentHash: z.string().meta({ description: "sha256 of the bytes" }),
    salt: z.string(),
    saltedHash: z.string().meta({ description: "keccak256(salt ‖ contentHash), anchored on chain" }),
    evidenceId: z
      .string()
      .meta({ description: "StandardMerkleTree leaf of [facilityId, kind, counterparty, saltedHash]" }),
    counterparty: z.string().meta({
      description:
        "the party the document is with, part of the evidence id: the payee for PURCHASE_CONTRACT, INVOICE, " +
        "DELIVERY_NOTE and CERTIFICATION; the facility's borrower for the other kinds",
    }),
    counterpartyRole: z.enum(["payee", "borrower"]),
    counterpartyName: z
      .string()
      .nullable()
      .meta({ description: "the payee's name on the bank's file, or the borrower's; null when unknown" }),
    consumedBy: z
      .object({ facilityId: z.string(), paymentIndex: z.number().int(), txHash: z.string() })
      .nullable()
      .meta({ description: "the entrusted payment whose execution on chain consumed this evidence, if any" }),
    status: z.enum(DOCUMENT_STATUSES),
    uploadedBy: z.string(),
    createdAt: z.string(),
    anchor: AnchorView.nullable(),
  })
  .meta({ id: "Document" });

export const DocumentList = z.object({ items: z.array(DocumentView), nextCursor: z.string().nullable() });

export const BulkUploadResult = z
  .object({ items: z.array(DocumentView).meta({ description: "in the order of the files" }) })
  .meta({ id: "BulkUploadResult" });

/** A StandardMerkleTree leaf. `items` that nothing matches closes the tuple at four (the oas ruleset refuses `false`). */
export const Leaf = z
  .tuple([z.string(), z.number(), z.string(), z.string()])
  .meta({ description: "[facilityId, kind, counterparty, saltedHash]", items: { not: {} } });

export const ProofView = z
  .object({
    evidenceId: z.string(),
    leaf: Leaf,
    leafEncoding: z.array(z.string()),
    root: z.string(),
    index: z
      .number()
      .int()
      .meta({ description: "the leaf's position in the batch: the proof's sides, the verdict bit" }),
    proof: z.array(z.string()),
    single: z.boolean(),
    txHash: z.string(),
    blockNumber: z.string(),
    chainId: z.string(),
    evidenceRegistry: z.string(),
  })
  .meta({
    id: "Proof",
    description:
      "The leaf hash is StandardMerkleTree's; the proof is a position-bound batch proof: from the leaf, at level k " +
      "hash keccak256(node ‖ sibling) when bit k of index is 0, keccak256(sibling ‖ node) when it is 1, up to root",
  });

export const BatchView = z
  .object({
    root: z.string(),
    size: z.number().int(),
    single: z.boolean(),
    status: z.string(),
    txHash: z.string().nullable(),
    blockNumber: z.string().nullable(),
    leaves: z.array(
      z.object({
        documentId: z.string(),
        facilityId: z.string(),
        kind: EvidenceKind,
        counterparty: z.string(),
        saltedHash: z.string(),
        salt: z.string(),
        contentHash: z.string(),
        evidenceId: z.string(),
        index: z.number().int(),
        proof: z.array(z.string()),
        metadata: JsonObject,
      }),
    ),
  })
  .meta({ id: "Batch" });
