/**
 * Uploading documents to a bank node under load, as a client would: plainly (every upload must succeed) or under
 * faults (a client that retries until the node answers 201, counting every retry by its cause).
 */
import { expect } from "chai";
import { randomBytes, randomUUID } from "node:crypto";
import { contentHashOf } from "../../server/chain/evidence";
import type { UploadedDocument } from "../../scripts/bench/lib/documents";
import type { HttpClient } from "../../scripts/bench/lib/http";
import { client } from "./processes";

export const pdf = (text: string) => Buffer.from(`%PDF-1.7\n% ${text}\n%%EOF\n`);

/** A document as the node presents it (the fields the tests look at). */
export interface Uploaded extends UploadedDocument {
  contentHash: string;
}

/** Uploads `count` documents, `concurrency` at a time; returns them in upload order. Any refusal fails. */
export async function uploadMany(
  url: string,
  apiKey: string,
  count: number,
  label: string,
  concurrency = 8,
): Promise<Uploaded[]> {
  const api = client(url, apiKey);
  const results: Uploaded[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const response = await api.upload(
          { facilityId: String(1 + (i % 3)), kind: "INVOICE", metadata: JSON.stringify({ n: i }) },
          { name: `${label}-${i}.pdf`, type: "application/pdf", bytes: pdf(`${label} document ${i}`) },
        );
        if (response.status !== 201)
          throw new Error(`upload ${i} failed: ${response.status} ${JSON.stringify(response.body)}`);
        results[i] = response.body;
      }
    }),
  );
  return results;
}

type DocumentStatus = "QUEUED" | "BATCHED" | "ANCHORED";

/** Every document the node holds, or every one with `status` (GET /documents, page by page). */
export async function listAllDocuments(http: HttpClient, status?: DocumentStatus): Promise<Uploaded[]> {
  const documents: Uploaded[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: Uploaded[]; nextCursor: string | null } = await http.getJson(
      `/documents?limit=500${status ? `&status=${status}` : ""}${cursor ? `&cursor=${cursor}` : ""}`,
    );
    documents.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return documents;
}

/** Whether the node holds any document with this status (one row of GET /documents). */
export async function anyWithStatus(http: HttpClient, status: DocumentStatus): Promise<boolean> {
  return (await http.getJson<{ items: unknown[] }>(`/documents?status=${status}&limit=1`)).items.length > 0;
}

/** What a client retrying through faults went through. */
export interface UploadTally {
  /** the node's answer for each document it accepted (201), by document number */
  accepted: Map<number, Uploaded>;
  /** the content hash of every document the client tried to upload, by document number */
  contentHashes: Map<number, string>;
  attempts: number;
  /** attempts refused at connect (nothing listening): the node never saw them */
  refused: number;
  /**
   * attempts whose connection broke before an answer (the node was killed mid-request, or a kept-alive connection of
   * the killed node was reused): the node may have stored the document before it died
   */
  interrupted: number;
  /** 503 answers by problem code; the node may have stored the document if its commit's acknowledgement was lost */
  unavailable: Map<string, number>;
  /** 503 answers without a Retry-After header */
  withoutRetryAfter: number;
  /** seconds of Retry-After the 503 answers gave (the largest) */
  maxRetryAfterSeconds: number;
}

/** How many 503 answers the client retried. */
export const unavailableAnswers = (tally: UploadTally) => [...tally.unavailable.values()].reduce((a, b) => a + b, 0);

/** How many attempts the client retried, whatever the cause. */
export const retriesOf = (tally: UploadTally) => tally.refused + tally.interrupted + unavailableAnswers(tally);

/**
 * Uploads distinct documents (document n's bytes name n and this run) with `concurrency` uploaders, each retrying its
 * document until the node answers 201: after a connection failure or a 503, as the API asks of clients, under one
 * Idempotency-Key per document so that a retry whose first attempt was stored gets that document back. Any other
 * answer (a 500, a 4xx) stops the uploads and rejects `done` with it. Stops after `count` documents, or when `stop()`
 * is called (each uploader finishes the document it holds first); `abort()` gives up at once (a failed test's
 * teardown). `paceMs` waits between one uploader's documents.
 */
export function uploadThroughFaults(
  http: HttpClient,
  options: { label: string; concurrency: number; count?: number; paceMs?: number; retryDelayMs?: number },
): { tally: UploadTally; stop(): void; abort(): void; done: Promise<UploadTally> } {
  const { label, concurrency, count = Infinity, paceMs = 0, retryDelayMs = 200 } = options;
  const run = randomBytes(6).toString("hex");
  const tally: UploadTally = {
    accepted: new Map(),
    contentHashes: new Map(),
    attempts: 0,
    refused: 0,
    interrupted: 0,
    unavailable: new Map(),
    withoutRetryAfter: 0,
    maxRetryAfterSeconds: 0,
  };
  let stopped = false;
  let aborted = false;
  let next = 0;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function uploadOne(n: number): Promise<void> {
    const bytes = pdf(`qfm reliability ${run} ${label} document ${n}`);
    tally.contentHashes.set(n, contentHashOf(bytes));
    const idempotencyKey = randomUUID();
    for (;;) {
      if (aborted) throw new Error(`uploads aborted with document ${n} not accepted`);
      tally.attempts++;
      let reply;
      try {
        reply = await http.postMultipart(
          "/documents",
          { facilityId: String(1 + (n % 3)), kind: "INVOICE", metadata: JSON.stringify({ n }) },
          { field: "file", name: `${label}-${n}.pdf`, type: "application/pdf", bytes },
          { "idempotency-key": idempotencyKey },
        );
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ECONNREFUSED") tally.refused++;
        else tally.interrupted++;
        await sleep(retryDelayMs);
        continue;
      }
      if (reply.status === 201) {
        tally.accepted.set(n, JSON.parse(reply.text) as Uploaded);
        return;
      }
      if (reply.status !== 503) throw new Error(`upload of document ${n}: ${reply.status} ${reply.text}`);
      const code = (JSON.parse(reply.text) as { code: string }).code;
      tally.unavailable.set(code, (tally.unavailable.get(code) ?? 0) + 1);
      const retryAfter = Number(reply.headers["retry-after"]);
      if (!Number.isInteger(retryAfter)) tally.withoutRetryAfter++;
      else tally.maxRetryAfterSeconds = Math.max(tally.maxRetryAfterSeconds, retryAfter);
      // The node's Retry-After, capped: the test cannot wait a client's patience out.
      await sleep(Math.min(Number.isInteger(retryAfter) ? retryAfter * 1000 : retryDelayMs, 1_000));
    }
  }

  const done = Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!stopped && next < count) {
        await uploadOne(next++);
        if (paceMs > 0) await sleep(paceMs);
      }
    }),
  ).then(
    () => tally,
    (error: unknown) => {
      stopped = true;
      throw error;
    },
  );
  // Whoever awaits `done` sees the failure; until someone does, it must not count as an unhandled rejection.
  done.catch(() => undefined);
  return {
    tally,
    stop: () => {
      stopped = true;
    },
    abort: () => {
      stopped = aborted = true;
    },
    done,
  };
}

/**
 * The node holds every document the client uploaded, each 201 under the id it answered, and nothing else, counted by
 * content: each upload carries its Idempotency-Key through its retries, so even a retry after a lost answer (the node
 * killed between its commit and its reply) stores nothing twice.
 */
export function assertEveryUploadKept(tally: UploadTally, documents: readonly Uploaded[]): void {
  const ids = new Set(documents.map((document) => document.id));
  const missing = [...tally.accepted].filter(([, accepted]) => !ids.has(accepted.id));
  expect(
    missing.map(([n, accepted]) => `document ${n} (${accepted.id})`),
    "answered 201 but not stored",
  ).to.deep.equal([]);
  const stored = new Set(documents.map((document) => document.contentHash));
  const uploaded = new Set(tally.contentHashes.values());
  expect(stored.size, "distinct documents stored").to.equal(uploaded.size);
  expect(
    [...uploaded].filter((hash) => !stored.has(hash)),
    "uploaded but not stored",
  ).to.deep.equal([]);
  expect(documents.length, "documents stored, one per upload: a retry never stores a second copy").to.equal(
    uploaded.size,
  );
}
