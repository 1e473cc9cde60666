/**
 * Documents on the bank node: store the bytes, record the evidence, queue it for anchoring (./uploads.ts), serve
 * them, their proofs and batches, and say from the chain whether one is anchored (./reads.ts).
 */
import type { Chain } from "../chain/chain";
import type { Database } from "../db/client";
import type { Metrics } from "../http/metrics";
import type { Outbox } from "../outbox/outbox";
import { createDocumentReads } from "./reads";
import type { DocumentStore } from "./storage";
import { createUploads } from "./uploads";

export type { Upload } from "./uploads";

export function createDocumentService({
  db,
  store,
  outbox,
  chain,
  metrics,
}: {
  db: Database;
  store: DocumentStore;
  outbox: Outbox;
  chain: Chain;
  metrics: Metrics;
}) {
  const reads = createDocumentReads({ db, store, chain });
  return { ...createUploads({ db, store, outbox, chain, metrics, load: reads.get }), ...reads };
}

export type DocumentService = ReturnType<typeof createDocumentService>;
