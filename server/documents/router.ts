import { z, type ZodType } from "zod";
import type { Policy } from "../auth/policy";
import { AppError } from "../errors";
import type { Principal } from "../auth/roles";
import { authorizedRoute } from "../auth/scoped-routes";
import { defineRoute, FacilityId, Hex32, type HandlerResult, type ResponseSpec, type RouteDef } from "../http/route";
import { Address } from "../payees/schema";
import { presentBatch, presentDocument, presentProof, type DocumentRow } from "./presenter";
import {
  BatchRootParams,
  BULK_UPLOAD_MAX_FILES,
  BatchView,
  BulkUploadResult,
  ContentsBody,
  DocumentContents,
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

/** Bytes of contents a bulk read (POST /documents/contents) puts in one answer; the rest are answered too_large. */
export const CONTENTS_MAX_BYTES = 32 * 1024 * 1024;

/** Who may read a document's bytes, one at a time or in bulk (then the policy decides per document). */
const CONTENT_READERS = ["bank_officer", "regulator"] as const;

/** An upload's answer: 201 with its documents, the same when it replays an earlier request under its Idempotency-Key. */
const uploaded = ({ replayed }: Upload, body: unknown): HandlerResult => ({
  status: 201,
  body,
  headers: replayed ? { "idempotent-replayed": "true" } : undefined,
});

/** An upload's answers: 201 with what it stored (or replayed), or why it was refused. */
const uploadResponses = (stored: ResponseSpec, refused: { tooLarge: string; notAccepted: string }) => ({
  201: stored,
  413: { description: refused.tooLarge },
  415: { description: refused.notAccepted },
  422: { description: "idempotency_key_reused: the Idempotency-Key was sent with another upload" },
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
  /**
   * The document a path names, by its id or its evidence id, once the policy lets the caller see it: one it may not
   * is a 404 naming what was asked, as an unknown one is (checked before anything else is read of it).
   */
  const visible = async (principal: Principal, named: { id: string } | { evidenceId: string }) => {
    const [row, notFoundAs] =
      "id" in named
        ? [await documents.get(named.id), `document ${named.id}`]
        : [await documents.byEvidenceId(named.evidenceId), `evidence ${named.evidenceId}`];
    await policy.document(principal, row.facilityId, notFoundAs);
    return row;
  };
  /**
   * The facilities whose documents the policy lets the caller see, of `rows`: the check `visible` makes, asked once a
   * facility, its 404 read as "not visible" (a document refused is then answered as one that does not exist).
   */
  const visibleFacilities = async (principal: Principal, rows: DocumentRow[]) => {
    const seen = new Set<bigint>();
    for (const facilityId of new Set(rows.map((row) => row.facilityId))) {
      const allowed = await policy.document(principal, facilityId, "document").then(
        () => true,
        (error: unknown) => {
          if (error instanceof AppError && error.status === 404) return false;
          throw error;
        },
      );
      if (allowed) seen.add(facilityId);
    }
    return seen;
  };
  /**
   * The bytes of the documents of `ids`, in that order, read in one query: each as GET /documents/:id/content would
   * answer it (its bytes re-hashed as read, or not_found, content_missing, content_tampered), until the page holds
   * CONTENTS_MAX_BYTES; the caller's later visible documents are then too_large (to be read one at a time).
   */
  const contents = async (principal: Principal, ids: string[]): Promise<DocumentContents> => {
    const rows = new Map((await documents.many(ids)).map((row) => [row.id, row]));
    const seen = await visibleFacilities(principal, [...rows.values()]);
    let bytesInPage = 0;
    const items: DocumentContents["items"] = [];
    for (const id of ids) {
      const row = rows.get(id);
      if (!row || !seen.has(row.facilityId)) items.push({ id, error: "not_found" });
      else if (bytesInPage >= CONTENTS_MAX_BYTES) items.push({ id, error: "too_large" });
      else {
        const stored = await documents.storedContent(row);
        if ("error" in stored) items.push({ id, ...stored });
        else if (bytesInPage + stored.bytes.length > CONTENTS_MAX_BYTES) {
          bytesInPage = CONTENTS_MAX_BYTES;
          items.push({ id, error: "too_large" });
        } else {
          bytesInPage += stored.bytes.length;
          items.push({
            id,
            contentHash: stored.actualHash,
            mimeType: row.mimeType,
            content: stored.bytes.toString("base64"),
          });
        }
      }
    }
    return { items };
  };
  /**
   * A document's record and its Merkle proof, by one way of naming it (its id, or its evidence id); the caller's
   * access is checked before either is read.
   */
  const namedRoutes = <P extends { id: string } | { evidenceId: string }>(
    path: string,
    params: ZodType<P>,
    unknown: string,
    naming: {
      record: { operationId: string; summary: string };
      proof: { operationId: string; summary: string };
      /** The proof's declared answers other than 200. */
      proofErrors: Record<number, ResponseSpec>;
    },
  ) => {
    // Both read by the facility's parties and the two institutions.
    const read = { method: "get", auth: ["bank_officer", "regulator", "borrower", "supplier"], params } as const;
    return {
      record: defineRoute({
        ...read,
        path,
        ...naming.record,
        tags: ["documents"],
        responses: { 200: { description: "the document", schema: DocumentView }, 404: { description: unknown } },
        handler: async ({ params, principal }) => ({ body: (await present([await visible(principal!, params)]))[0] }),
      }),
      proof: defineRoute({
        ...read,
        path: `${path}/proof`,
        ...naming.proof,
        tags: ["proofs"],
        responses: {
          200: { description: "verifies as a position-bound batch proof (see Proof)", schema: ProofView },
          ...naming.proofErrors,
        },
        handler: async ({ params, principal }) => {
          // Checked before the proof: "not anchored yet" would tell another tenant that the document exists.
          await visible(principal!, params);
          return { body: presentProof(await documents.proof(params), chain) };
        },
      }),
    };
  };
  const byId = namedRoutes("/documents/:id", DocumentIdParams, "no such document", {
    record: { operationId: "getDocument", summary: "Get a document's record" },
    proof: { operationId: "getDocumentProof", summary: "Get the Merkle proof of an anchored document" },
    proofErrors: { 409: { description: "not anchored yet" } },
  });
  const byEvidenceId = namedRoutes("/evidence/:evidenceId", EvidenceIdParams, "unknown evidence", {
    record: { operationId: "getEvidence", summary: "Get the document behind an evidence id" },
    proof: { operationId: "getEvidenceProof", summary: "Get the Merkle proof of anchored evidence by its id" },
    proofErrors: { 404: { description: "unknown evidence" } },
  });
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
      responses: uploadResponses(
        {
          description: "stored and queued for anchoring, or stored before under this Idempotency-Key",
          schema: DocumentView,
        },
        { tooLarge: "file too large", notAccepted: "type not accepted" },
      ),
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
      responses: uploadResponses(
        {
          description: "all stored and queued for the next Merkle batch, or stored before under this Idempotency-Key",
          schema: BulkUploadResult,
        },
        { tooLarge: "a file, or the whole upload, is too large", notAccepted: "a file's type is not accepted" },
      ),
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
    byId.record,
    defineRoute({
      method: "get",
      path: "/documents/:id/content",
      operationId: "getDocumentContent",
      summary: "Download a document's bytes",
      tags: ["documents"],
      auth: [...CONTENT_READERS],
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
        await visible(principal!, params);
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
      method: "post",
      path: "/documents/contents",
      operationId: "getDocumentContents",
      summary: "Download several documents' bytes",
      tags: ["documents"],
      auth: [...CONTENT_READERS],
      body: ContentsBody,
      responses: {
        200: {
          description:
            "each document asked, in order: its bytes (base64, re-hashed as read), or why not as GET " +
            `/documents/{id}/content would answer (a document the caller may not see is not_found); past ${CONTENTS_MAX_BYTES / 1024 / 1024} MiB ` +
            "of bytes, too_large",
          schema: DocumentContents,
        },
      },
      handler: async ({ body, principal }) => ({ body: await contents(principal!, body.ids) }),
    }),
    byId.proof,
    byEvidenceId.record,
    byEvidenceId.proof,
    authorizedRoute("write", "institutional", {
      method: "get",
      path: "/batches/:root",
      operationId: "getBatch",
      summary: "Get an anchored batch with its leaves",
      tags: ["proofs"],
      auth: ["bank_officer", "regulator"],
      params: BatchRootParams,
      responses: { 200: { description: "the batch", schema: BatchView }, 404: { description: "unknown root" } },
      handler: async ({ params }) => {
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
