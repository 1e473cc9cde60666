import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Chain } from "../chain/chain";
import { locateAnchored } from "../chain/anchored";
import { EVIDENCE_KINDS, kindIndex, type EvidenceKind } from "../chain/evidence";
import { batchTreeOf } from "../chain/batch-tree";
import { Prisma, type Database, type Tx } from "../db/client";
import type { EvidenceColumns } from "../documents/presenter";
import type { Metrics } from "../http/metrics";
import type { JobHandler, Landed, Outbox } from "../outbox/outbox";
import { createLoop } from "../loop";

export const ANCHOR_BATCH = "ANCHOR_BATCH";
export const ANCHOR_SINGLE = "ANCHOR_SINGLE";

interface BatchPayload {
  root: string;
  size: number;
}

interface SinglePayload {
  evidenceId: string;
  facilityId: string;
  kind: EvidenceKind;
  counterparty: string;
  saltedHash: string;
}

async function markAnchored(tx: Tx, root: string, landed: Landed): Promise<number> {
  const batch = await tx.batch.update({
    where: { root },
    data: { status: "CONFIRMED", txHash: landed.txHash, blockNumber: landed.blockNumber, confirmedAt: new Date() },
  });
  const { count } = await tx.document.updateMany({
    where: { batchId: batch.id },
    data: { status: "ANCHORED", anchoredAt: new Date() },
  });
  return count;
}

/** Outbox handlers for anchoring: a Merkle root, or one evidence in its own transaction. */
export function anchoringHandlers({ chain, metrics }: { chain: Chain; metrics: Metrics }): JobHandler<any>[] {
  const batchHandler: JobHandler<BatchPayload> = {
    kind: ANCHOR_BATCH,
    async locate({ root }) {
      const [anchoredAt] = await chain.evidence.batchOf(root);
      if (anchoredAt === 0n) return undefined;
      const [event] = await chain.evidence.queryFilter(chain.evidence.filters.BatchAnchored(root));
      return event
        ? { txHash: event.transactionHash, blockNumber: BigInt(event.blockNumber) }
        : { txHash: "0x", blockNumber: 0n };
    },
    build({ root, size }) {
      return chain.evidence.anchorBatch.populateTransaction(root, size);
    },
    async onConfirmed(tx, { root }, landed) {
      metrics.documentsAnchored.inc(await markAnchored(tx, root, landed));
    },
  };

  const singleHandler: JobHandler<SinglePayload> = {
    kind: ANCHOR_SINGLE,
    locate: ({ evidenceId }) => locateAnchored(chain, evidenceId),
    build({ facilityId, kind, counterparty, saltedHash }) {
      return chain.evidence.anchor.populateTransaction(BigInt(facilityId), kindIndex(kind), counterparty, saltedHash);
    },
    async onConfirmed(tx, { evidenceId }, landed) {
      metrics.documentsAnchored.inc(await markAnchored(tx, evidenceId, landed));
    },
  };
  return [batchHandler, singleHandler];
}

/** Queues one document for its own anchor transaction, in the caller's database transaction. */
export async function queueSingleAnchor(tx: Tx, outbox: Outbox, document: EvidenceColumns): Promise<void> {
  const batchId = randomUUID();
  await tx.batch.create({ data: { id: batchId, root: document.evidenceId, size: 1, single: true } });
  await tx.document.update({ where: { id: document.id }, data: { status: "BATCHED", batchId, proof: "[]" } });
  const payload: SinglePayload = {
    evidenceId: document.evidenceId,
    facilityId: document.facilityId.toString(),
    kind: document.kind as EvidenceKind,
    counterparty: document.counterparty,
    saltedHash: document.saltedHash,
  };
  await outbox.enqueue(tx, { key: `anchor-single:${document.evidenceId}`, kind: ANCHOR_SINGLE, payload });
}

/** Documents per UPDATE when a batch is sealed: three bind parameters each, far below SQLite's and PostgreSQL's limits. */
const SEAL_ROWS = 500;

/**
 * The batcher: seals queued documents into a position-bound batch tree (at most MAX_BATCH_SIZE leaves) when `maxSize` are waiting or the oldest has waited
 * `maxAgeMs`, and queues the root's anchor through the outbox — all in one database transaction, so a document is in
 * exactly one batch and every batch gets exactly one anchor job.
 */
export function createBatcher({
  db,
  outbox,
  logger,
  maxSize,
  maxAgeMs,
}: {
  db: Database;
  outbox: Outbox;
  logger: Logger;
  maxSize: number;
  maxAgeMs: number;
}) {
  /** Seals one batch if one is due; returns its root, or undefined. `force` seals whatever is queued. */
  async function sealOnce(force = false): Promise<string | undefined> {
    const oldest = await db.prisma.document.findFirst({ where: { status: "QUEUED" }, orderBy: { createdAt: "asc" } });
    if (!oldest) return undefined;
    const documents = await db.prisma.document.findMany({
      where: { status: "QUEUED" },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      take: maxSize,
      select: { id: true, evidenceId: true },
    });
    const due = force || documents.length >= maxSize || Date.now() - oldest.createdAt.getTime() >= maxAgeMs;
    if (!due) return undefined;

    // Position-bound: leaf i is the i-th document, the bit every batch verdict gives it (server/chain/batch-tree.ts).
    const tree = batchTreeOf(documents.map((d) => d.evidenceId));
    const root = tree.root;
    const batchId = randomUUID();
    await db.prisma.$transaction(async (tx) => {
      await tx.batch.create({ data: { id: batchId, root, size: documents.length } });
      for (let start = 0; start < documents.length; start += SEAL_ROWS) {
        const chunk = documents.slice(start, start + SEAL_ROWS);
        const proofs = chunk.map(
          (document, i) => Prisma.sql`WHEN ${document.id} THEN ${JSON.stringify(tree.proof(start + i))}`,
        );
        const indexes = chunk.map((document, i) => Prisma.sql`WHEN ${document.id} THEN ${start + i}`);
        const count = await tx.$executeRaw`
          UPDATE "Document" SET "status" = 'BATCHED', "batchId" = ${batchId},
            "proof" = CASE "id" ${Prisma.join(proofs, " ")} END,
            "leafIndex" = CAST(CASE "id" ${Prisma.join(indexes, " ")} END AS INTEGER)
          WHERE "status" = 'QUEUED' AND "id" IN (${Prisma.join(chunk.map((document) => document.id))})`;
        if (count !== chunk.length) throw new Error(`documents left the queue while batch ${root} was sealed`);
      }
      await outbox.enqueue(tx, {
        key: `anchor-batch:${root}`,
        kind: ANCHOR_BATCH,
        payload: { root, size: documents.length },
      });
    });
    logger.info({ root, size: documents.length }, "sealed an evidence batch");
    outbox.poke();
    return root;
  }

  // A backlog seals several batches in a row: the loop runs again at once while a pass sealed one.
  const loop = createLoop(
    async () => (await sealOnce()) !== undefined,
    (error) => logger.error({ error: (error as Error).message }, "batch sealing failed; will retry"),
  );

  return {
    sealOnce,

    /** Seals until nothing is queued (tests, shutdown). */
    async flush(): Promise<void> {
      while (await sealOnce(true)) {
        // keep sealing
      }
    },

    start: loop.start,
    stop: loop.stop,
  };
}

export type Batcher = ReturnType<typeof createBatcher>;

export { EVIDENCE_KINDS };
