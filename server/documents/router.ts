import { z } from "zod";
import type { Policy } from "../auth/policy";
import { defineRoute, FacilityId, Hex32, type HandlerResult, type RouteDef } from "../http/route";
import { Address } from "../payees/schema";
import { presentBatch, presentDocument, presentProof, type DocumentRow } from "./presenter";
import {
  BatchRootParams,
  BULK_UPLOAD_MAX_FILES,
  BatchView,
  BulkUploadResult,
  DocumentIdParams,
  DocumentList,
  DocumentView,
  EvidenceIdParams,
  EvidenceKind,
  Leaf,
  ListDocumentsQuery,
  ProofView,
  UploadDocumentBody,
  UploadDocumentsBody,
  UploadHeaders,
} from "./schema";
import type { DocumentService, Upload } from "./service";

const VerifyByHashBody = z.object({
  contentHash: Hex32.meta({ description: "sha256 of the document's bytes" }),
  salt: Hex32,
  facilityId: FacilityId,
  kind: EvidenceKind,
  counterparty: Address.meta({ description: "the payee or borrower the document names" }),
});

const VerifyDocumentBody = z.object({ salt: Hex32, facilityId: FacilityId, kind: EvidenceKind, counterparty: Address });

const VerifyResult = z
  .object({
    anchored: z.boolean(),
    evidenceId: z.string(),
    saltedHash: z.string(),
    leaf: Leaf,
    leafEncoding: z.array(z.string()),
    root: z.string().nullable(),
    index: z.number().int().nullable(),
    proof: z.array(z.string()),
    anchoredAt: z.string().nullable(),
    verifiedOnChain: z
      .boolean()
      .meta({ description: "whether the evidence is verified by the verifier quorum on chain" }),
    chainId: z.string(),
  })
  .meta({ id: "VerifyResult" });

/** Bytes a bulk upload may carry in all (multipart overhead included). */
const BULK_UPLOAD_MAX_BYTES = 64 * 1024 * 1024;

/** An upload's answer: 201 with its documents, the same when it replays an earlier request under its Idempotency-Key. */
const uploaded = ({ replayed }: Upload, body: unknown): HandlerResult => ({
  status: 201,
  body,
  headers: replayed ? { "idempotent-replayed": "true" } : undefined,
});

/** The bank node's document routes. */
export function documentRoutes({
  documents,
  chain,
  policy,
}: {
  documents: DocumentService;
  chain: { chainId: bigint; evidenceRegistry: string };
  policy: Policy;
}): RouteDef<any, any, any, any>[] {
  /** Documents as the API shows them: with their counterparty's name and the payment that consumed them. */
  const present = async (rows: DocumentRow[]) => {
    const parties = await documents.parties(rows);
    return rows.map((row) => presentDocument(row, parties.get(row.id)));
  };
  return [
    defineRoute({
      method: "post",
      path: "/documents",
      operationId: "uploadDocument",
      summary: "Upload a document as evidence",
      tags: ["documents"],
      auth: ["bank_officer", "borrower", "supplier"],
      body: UploadDocumentBody,
      headers: UploadHeaders,
      upload: { fileField: "file", description: "the document: PDF, PNG, JPEG, JSON or XML" },
      responses: {
        201: {
          description: "stored and queued for anchoring, or stored before under this Idempotency-Key",
          schema: DocumentView,
        },
        413: { description: "file too large" },
        415: { description: "type not accepted" },
        422: { description: "idempotency_key_reused: the Idempotency-Key was sent with another upload" },
      },
      handler: async ({ principal, file, body, headers }) => {
        await policy.facility(principal!, body.facilityId, "write");
        const upload = await documents.upload(principal!, file!, body, headers["idempotency-key"]);
        return uploaded(upload, (await present(upload.documents))[0]);
      },
    }),
    defineRoute({
      method: "post",
      path: "/documents/bulk",
      operationId: "uploadDocuments",
      summary: "Upload several documents as evidence",
      tags: ["documents"],
      auth: ["bank_officer", "borrower", "supplier"],
      body: UploadDocumentsBody,
      headers: UploadHeaders,
      upload: {
        fileField: "files",
        description: `the documents, one multipart part each (at most ${BULK_UPLOAD_MAX_FILES})`,
        maxFiles: BULK_UPLOAD_MAX_FILES,
        maxBytes: BULK_UPLOAD_MAX_BYTES,
      },
      responses: {
        201: {
          description: "all stored and queued for the next Merkle batch, or stored before under this Idempotency-Key",
          schema: BulkUploadResult,
        },
        413: { description: "a file, or the whole upload, is too large" },
        415: { description: "a file's type is not accepted" },
        422: { description: "idempotency_key_reused: the Idempotency-Key was sent with another upload" },
      },
      handler: async ({ principal, files, body, headers }) => {
        for (const facilityId of new Set(body.documents.map((entry) => entry.facilityId)))
          await policy.facility(principal!, facilityId, "write");
        const upload = await documents.uploadMany(principal!, files!, body.documents, headers["idempotency-key"]);
        return uploaded(upload, { items: await present(upload.documents) });
      },
    }),
    defineRoute({
      method: "get",
      path: "/documents",
      operationId: "listDocuments",
      summary: "List documents",
      tags: ["documents"],
      auth: ["bank_officer", "regulator", "borrower"],
      query: ListDocumentsQuery,
      responses: { 200: { description: "newest first", schema: DocumentList } },
      handler: async ({ query, principal }) => {
        const page = await documents.list(query, await policy.documentWhere(principal!));
        return { body: { items: await present(page.items), nextCursor: page.nextCursor } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/documents/:id",
      operationId: "getDocument",
      summary: "Get a document's record",
      tags: ["documents"],
      auth: ["bank_officer", "regulator", "borrower", "supplier"],
      params: DocumentIdParams,
      responses: {
        200: { description: "the document", schema: DocumentView },
        404: { description: "no such document" },
      },
      handler: async ({ params, principal }) => {
        const row = await documents.get(params.id);
        await policy.document(principal!, row.facilityId, `document ${params.id}`);
        return { body: (await present([row]))[0] };
      },
    }),
    defineRoute({
      method: "get",
      path: "/documents/:id/content",
      operationId: "getDocumentContent",
      summary: "Download a document's bytes",
      tags: ["documents"],
      auth: ["bank_officer", "regulator"],
      params: DocumentIdParams,
      responses: {
        200: {
          description: "the stored bytes, re-hashed as served (Repr-Digest)",
          contentType: "application/octet-stream",
        },
        404: { description: "no such document" },
        410: { description: "content_missing, or content_tampered: the stored bytes no longer match the document" },
      },
      handler: async ({ params, res, principal }) => {
        await policy.document(principal!, (await documents.get(params.id)).facilityId, `document ${params.id}`);
        const { row, bytes, actualHash } = await documents.content(params.id);
        // RFC 6266: an ASCII fallback name plus filename*=UTF-8''… so non-ASCII names survive the download.
        res.attachment(row.originalName);
        res.setHeader("content-type", row.mimeType);
        // The hash of the bytes served, computed from them (RFC 9530), not the one on record.
        res.setHeader("x-content-sha256", actualHash);
        res.setHeader("repr-digest", `sha-256=:${Buffer.from(actualHash.slice(2), "hex").toString("base64")}:`);
        res.status(200).end(bytes);
      },
    }),
    defineRoute({
      method: "get",
      path: "/documents/:id/proof",
      operationId: "getDocumentProof",
      summary: "Get the Merkle proof of an anchored document",
      tags: ["proofs"],
      auth: ["bank_officer", "regulator", "borrower", "supplier"],
      params: DocumentIdParams,
      responses: {
        200: { description: "verifies as a position-bound batch proof (see Proof)", schema: ProofView },
        409: { description: "not anchored yet" },
      },
      handler: async ({ params, principal }) => {
        // Checked before the proof: "not anchored yet" would tell another tenant that the document exists.
        await policy.document(principal!, (await documents.get(params.id)).facilityId, `document ${params.id}`);
        return { body: presentProof(await documents.proof({ id: params.id }), chain) };
      },
    }),
    defineRoute({
      method: "get",
      path: "/evidence/:evidenceId",
      operationId: "getEvidence",
      summary: "Get the document behind an evidence id",
      tags: ["documents"],
      auth: ["bank_officer", "regulator", "borrower", "supplier"],
      params: EvidenceIdParams,
      responses: {
        200: { description: "the document", schema: DocumentView },
        404: { description: "unknown evidence" },
      },
      handler: async ({ params, principal }) => {
        const row = await documents.byEvidenceId(params.evidenceId);
        await policy.document(principal!, row.facilityId, `evidence ${params.evidenceId}`);
        return { body: (await present([row]))[0] };
      },
    }),
    defineRoute({
      method: "get",
      path: "/evidence/:evidenceId/proof",
      operationId: "getEvidenceProof",
      summary: "Get the Merkle proof of anchored evidence by its id",
      tags: ["proofs"],
      auth: ["bank_officer", "regulator", "borrower", "supplier"],
      params: EvidenceIdParams,
      responses: {
        200: { description: "verifies as a position-bound batch proof (see Proof)", schema: ProofView },
        404: { description: "unknown evidence" },
      },
      handler: async ({ params, principal }) => {
        const { facilityId } = await documents.byEvidenceId(params.evidenceId);
        await policy.document(principal!, facilityId, `evidence ${params.evidenceId}`);
        return { body: presentProof(await documents.proof({ evidenceId: params.evidenceId }), chain) };
      },
    }),
    defineRoute({
      method: "get",
      path: "/batches/:root",
      operationId: "getBatch",
      summary: "Get an anchored batch with its leaves",
      tags: ["proofs"],
      auth: ["bank_officer", "regulator"],
      params: BatchRootParams,
      responses: { 200: { description: "the batch", schema: BatchView }, 404: { description: "unknown root" } },
      handler: async ({ params, principal }) => {
        policy.institutional(principal!, { type: "institutional" });
        const { batch, documents: rows } = await documents.batch(params.root);
        return { body: presentBatch(batch, rows) };
      },
    }),
    defineRoute({
      method: "post",
      path: "/verify",
      operationId: "verifyByHash",
      summary: "Check whether a document hash is anchored, against the chain",
      tags: ["verify"],
      auth: "public",
      body: VerifyByHashBody,
      responses: { 200: { description: "where it is anchored, or anchored: false", schema: VerifyResult } },
      handler: async ({ body }) => ({ body: await documents.verify(body) }),
    }),
    defineRoute({
      method: "post",
      path: "/verify/document",
      operationId: "verifyDocument",
      summary: "Check whether a document is anchored, against the chain",
      tags: ["verify"],
      auth: "public",
      body: VerifyDocumentBody,
      upload: { fileField: "file", description: "the document to check" },
      responses: { 200: { description: "where it is anchored, or anchored: false", schema: VerifyResult } },
      handler: async ({ body, file }) => ({
        body: await documents.verify({ ...body, contentHash: file!.contentHash }),
      }),
    }),
  ];
}
