/**
 * Uploads on the bank node: each file checked (type, bytes), admitted (./admission.ts), hashed, salted and stored,
 * its row written with its Idempotency-Key in one transaction, queued for anchoring.
 */
import { hexlify, randomBytes } from "ethers";
import { createHash, randomUUID } from "node:crypto";
import { queueSingleAnchor } from "../anchoring/anchoring";
import type { Principal } from "../auth/roles";
import type { Chain } from "../chain/chain";
import { evidenceIdOf, saltedHashOf, type EvidenceKind } from "../chain/evidence";
import { Prisma, type Database, type Tx } from "../db/client";
import { uniqueViolation } from "../db/errors";
import { insertRows } from "../db/rows";
import { AppError, badRequest, conflict, unprocessable } from "../errors";
import type { Metrics } from "../http/metrics";
import type { UploadedFile } from "../http/route";
import type { Outbox } from "../outbox/outbox";
import { createAdmission, releaseIdentities, type FacilityReads } from "./admission";
import { ALLOWED_CONTENT_TYPES, fileMatchesType, isAllowedType, mediaTypeOf } from "./content-types";
import type { DocumentRow } from "./presenter";
import { fromChain, withBatch } from "./reads";
import type { UploadDocumentBody, UploadDocumentsBody } from "./schema";
import type { DocumentStore } from "./storage";

/** An upload's documents, and whether they are those an earlier request under its Idempotency-Key stored. */
export interface Upload {
  documents: DocumentRow[];
  replayed: boolean;
}

/** An Idempotency-Key with the fingerprint of the request that carries it. */
interface Idempotency {
  key: string;
  fingerprint: string;
}

/** The key's holder: keys are scoped to the institution/label of the API key, as `uploadedBy` names it. */
const scopeOf = (principal: Principal) => `${principal.institution}/${principal.label}`;

/**
 * What makes two uploads the same request: the operation, each file's content hash, type and name, and the fields.
 * A retry sends the same; reusing a key for anything else is refused rather than answered with other documents.
 */
function fingerprintOf(operation: string, files: UploadedFile[], fields: unknown[]): string {
  const request = files.map((file, i) => [
    file.contentHash,
    file.mimeType,
    file.originalName,
    JSON.stringify(fields[i], (_, value: unknown) => (typeof value === "bigint" ? value.toString() : value)),
  ]);
  return createHash("sha256")
    .update(JSON.stringify([operation, request]))
    .digest("hex");
}

export function createUploads({
  db,
  store,
  outbox,
  chain,
  metrics,
  load,
}: {
  db: Database;
  store: DocumentStore;
  outbox: Outbox;
  chain: Chain;
  metrics: Metrics;
  /** A stored document with its batch (./reads.ts). */
  load: (id: string) => Promise<DocumentRow>;
}) {
  const admission = createAdmission({ db, chain });

  /** Refuses a file whose type is not accepted, that is empty, or whose bytes are not what its type says. */
  async function checkFile(file: UploadedFile, which = "the file"): Promise<void> {
    const mediaType = mediaTypeOf(file.mimeType);
    if (!isAllowedType(mediaType)) {
      throw new AppError(
        415,
        "unsupported_media_type",
        `${which}: documents of type ${mediaType} are not accepted; send one of ${ALLOWED_CONTENT_TYPES.join(", ")}`,
      );
    }
    if (file.size === 0) throw new AppError(400, "empty_file", `${which}: the uploaded file is empty`);
    if (!(await fileMatchesType(mediaType, file))) {
      throw new AppError(
        400,
        "content_type_mismatch",
        `${which}: the file's bytes are not ${mediaType}; declare the type it really has`,
      );
    }
  }

  /** The documents an earlier request stored under this key, or null if none did; the key with another request is 422. */
  async function replayOf(principal: Principal, idempotency: Idempotency): Promise<Upload | null> {
    const earlier = await db.prisma.idempotencyKey.findUnique({
      where: { principal_key: { principal: scopeOf(principal), key: idempotency.key } },
    });
    if (!earlier) return null;
    if (earlier.fingerprint !== idempotency.fingerprint) {
      throw unprocessable(
        "idempotency_key_reused",
        `the Idempotency-Key ${JSON.stringify(idempotency.key)} was sent with another upload; ` +
          "send a new key for each upload, and the same files and fields with each retry of it",
      );
    }
    const ids = JSON.parse(earlier.documentIds) as string[];
    const rows = await db.prisma.document.findMany({ where: { id: { in: ids } }, include: withBatch });
    const byId = new Map(rows.map((row) => [row.id, row]));
    return { documents: ids.map((id) => byId.get(id) ?? missing(id)), replayed: true };
  }

  /**
   * A refusal of an upload as a duplicate may be a retry racing the attempt it retries (the first stored the same
   * bytes under the same key a moment ago): then that attempt's documents are the answer, else the refusal stands.
   */
  async function replayAfter(error: unknown, principal: Principal, idempotency?: Idempotency): Promise<Upload> {
    if (idempotency && error instanceof AppError && error.code === "document_duplicate") {
      const earlier = await replayOf(principal, idempotency);
      if (earlier) return earlier;
    }
    throw error;
  }

  const missing = (id: string): never => {
    throw new Error(`document ${id} of an idempotency key is not in the database`);
  };

  /**
   * Writes an upload in one transaction that also records its Idempotency-Key, if it has one. When a concurrent
   * request recorded the same key first (a retry racing the attempt it retries), the key's unique constraint rolls this
   * one back and the first request's documents are the answer.
   */
  async function writeOnce(
    principal: Principal,
    idempotency: Idempotency | undefined,
    documentIds: string[],
    write: (tx: Tx) => Promise<DocumentRow[]>,
  ): Promise<Upload> {
    try {
      const documents = await db.prisma.$transaction(async (tx) => {
        if (idempotency) {
          await tx.idempotencyKey.create({
            data: {
              principal: scopeOf(principal),
              key: idempotency.key,
              fingerprint: idempotency.fingerprint,
              documentIds: JSON.stringify(documentIds),
            },
          });
        }
        return write(tx);
      });
      return { documents, replayed: false };
    } catch (error) {
      const violated = uniqueViolation(error);
      if (!violated) throw error;
      const earlier = idempotency && (await replayOf(principal, idempotency));
      if (earlier) return earlier;
      // Not the Idempotency-Key: a concurrent upload took the same bytes or the same business identity first.
      if (violated.names.some((name) => /contentKey/i.test(name))) {
        throw conflict(
          "document_duplicate",
          "another upload of the same bytes was stored at the same moment: one document backs one use",
        );
      }
      throw conflict(
        "document_business_duplicate",
        "another upload with the same business identity (issuer and number) was stored at the same moment: " +
          "one document backs one use",
      );
    }
  }

  /**
   * Admits a checked file (facility, counterparty, rights, one document one use), hashes and salts it, stores its bytes
   * and gives the document's row (not written yet).
   */
  async function prepareRow(
    principal: Principal,
    file: UploadedFile,
    entry: { facilityId: bigint; kind: EvidenceKind; counterparty?: string; metadata?: Record<string, unknown> },
    facilities?: FacilityReads,
  ) {
    const contentHash = file.contentHash;
    const { counterparty, businessKey, releases, releasesContent } = await fromChain(
      admission.admit(principal, entry, contentHash, facilities),
    );
    const salt = hexlify(randomBytes(32));
    const saltedHash = saltedHashOf(salt, contentHash);
    await store.putFile(contentHash, file.path);
    return {
      id: randomUUID(),
      facilityId: entry.facilityId,
      kind: entry.kind,
      mimeType: mediaTypeOf(file.mimeType),
      size: file.size,
      originalName: file.originalName.slice(0, 255),
      metadata: JSON.stringify(entry.metadata ?? {}),
      contentHash,
      contentKey: contentHash,
      salt,
      saltedHash,
      evidenceId: evidenceIdOf(entry.facilityId, entry.kind, counterparty, saltedHash),
      counterparty,
      businessKey,
      uploadedBy: `${principal.institution}/${principal.label}`,
      releases,
      releasesContent,
    };
  }

  return {
    /** One document; with an Idempotency-Key, a retry of an upload stored already answers with that document. */
    async upload(
      principal: Principal,
      file: UploadedFile,
      body: UploadDocumentBody,
      idempotencyKey?: string,
    ): Promise<Upload> {
      await checkFile(file);
      const idempotency = idempotencyKey
        ? { key: idempotencyKey, fingerprint: fingerprintOf("uploadDocument", [file], [body]) }
        : undefined;
      const earlier = idempotency && (await replayOf(principal, idempotency));
      if (earlier) return earlier;
      let data: Awaited<ReturnType<typeof prepareRow>>;
      try {
        data = await prepareRow(principal, file, body);
      } catch (error) {
        return replayAfter(error, principal, idempotency);
      }
      // Even for one statement: on SQLite a write outside an interactive transaction runs inside whichever one holds
      // the connection (a batch being sealed) and would roll back with it.
      const { releases: _released, releasesContent: _releasedContent, ...row } = data;
      const written = await writeOnce(principal, idempotency, [data.id], async (tx) => {
        await releaseIdentities(tx, [data]);
        const document = await tx.document.create({ data: row });
        if (body.anchor === "single") await queueSingleAnchor(tx, outbox, document);
        // Queued: no batch yet, so the row as created is the whole answer and reading it back would cost a query.
        return [{ ...document, batch: null }];
      });
      if (written.replayed) return written;
      metrics.documentsUploaded.inc();
      if (body.anchor === "single") {
        outbox.poke();
        return { documents: [await load(data.id)], replayed: false }; // now in its own batch
      }
      return written;
    },

    /**
     * Several documents in one request, all or none: every file is checked before anything is stored, and the rows
     * are written in one transaction. They are queued for the next Merkle batch. With an Idempotency-Key, a retry of
     * an upload stored already answers with those documents.
     */
    async uploadMany(
      principal: Principal,
      files: UploadedFile[],
      entries: UploadDocumentsBody["documents"],
      idempotencyKey?: string,
    ): Promise<Upload> {
      if (files.length !== entries.length) {
        throw badRequest(
          "documents_mismatch",
          `${files.length} file(s) were sent but "documents" describes ${entries.length}: send one entry per file, ` +
            "in the order of the files",
        );
      }
      for (const [i, file] of files.entries()) await checkFile(file, `file ${i + 1} (${file.originalName})`);
      const idempotency = idempotencyKey
        ? { key: idempotencyKey, fingerprint: fingerprintOf("uploadDocuments", files, entries) }
        : undefined;
      const earlier = idempotency && (await replayOf(principal, idempotency));
      if (earlier) return earlier;
      const createdAt = new Date();
      let rows: Array<Awaited<ReturnType<typeof prepareRow>> & { createdAt: Date }>;
      const facilities: FacilityReads = new Map();
      try {
        rows = await Promise.all(
          files.map(async (file, i) => ({
            ...(await prepareRow(principal, file, entries[i], facilities)),
            createdAt,
          })),
        );
      } catch (error) {
        return replayAfter(error, principal, idempotency);
      }
      const evidence = new Set(rows.map((row) => row.evidenceId));
      if (evidence.size !== rows.length) throw new Error("two documents of one upload got the same evidence id");
      const contents = new Set(rows.map((row) => row.contentHash));
      const identities = rows.flatMap((row) => (row.businessKey ? [row.businessKey] : []));
      if (contents.size !== rows.length || new Set(identities).size !== identities.length) {
        throw conflict(
          "document_duplicate",
          "two files of this upload are the same document: one document backs one use",
        );
      }
      const written = await writeOnce(
        principal,
        idempotency,
        rows.map((row) => row.id),
        async (tx) => {
          await releaseIdentities(tx, rows);
          await insertRows(
            tx,
            rows.map(
              (r) => Prisma.sql`(${r.id}, ${r.facilityId}, ${r.kind}, ${r.mimeType}, ${r.size}, ${r.originalName},
                ${r.metadata}, ${r.contentHash}, ${r.contentKey}, ${r.salt}, ${r.saltedHash}, ${r.evidenceId}, ${r.counterparty},
                ${r.businessKey}, ${r.uploadedBy}, ${r.createdAt}, ${"QUEUED"})`,
            ),
            (values) => Prisma.sql`
              INSERT INTO "Document" ("id", "facilityId", "kind", "mimeType", "size", "originalName", "metadata",
                "contentHash", "contentKey", "salt", "saltedHash", "evidenceId", "counterparty", "businessKey", "uploadedBy",
                "createdAt", "status")
              VALUES ${values}`,
          );
          return rows.map(({ releases: _, releasesContent: _content, ...row }) => ({
            ...row,
            status: "QUEUED",
            batchId: null,
            proof: null,
            leafIndex: null,
            anchoredAt: null,
            batch: null,
          }));
        },
      );
      if (!written.replayed) metrics.documentsUploaded.inc(rows.length);
      return written;
    },
  };
}
