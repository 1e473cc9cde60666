import type { ContractTransaction, Wallet } from "ethers";
import type { Logger } from "pino";
import type { Chain } from "../chain/chain";
import { decodeRevert, describeError, isTransient } from "../chain/reverts";
import type { Database, Tx } from "../db/client";
import { isDatabaseUnavailable } from "../db/errors";
import type { Metrics } from "../http/metrics";
import { orderedId } from "../ids";
import { createLoop } from "../loop";
import { laneOf, laneWorkers } from "./lanes";
import { createWindow, type OutboxJob } from "./window";

/** A chain write the chain refused for good; `reason` is the decoded revert (e.g. FacilityIsFrozen(3)). */
export class ChainWriteFailed extends Error {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`the chain refused ${key}: ${reason}`);
    this.name = "ChainWriteFailed";
  }
}

/** Where a job's effect landed on chain. */
export interface Landed {
  txHash: string;
  blockNumber: bigint;
}

/**
 * How one kind of chain write is done: what to look for on chain before sending (so an effect that is already there,
 * put by an earlier attempt or by another node, is not sent again), the transaction to send, and what to record once
 * it landed.
 */
export interface JobHandler<P> {
  kind: string;
  /** Where the effect already is on chain, or undefined. */
  locate(payload: P): Promise<Landed | undefined>;
  /** The unsigned transaction (a contract method's populateTransaction). */
  build(payload: P): Promise<ContractTransaction>;
  /**
   * Records the landed effect, inside the database transaction that marks the job confirmed; `queue` queues a job
   * that follows from it in that same transaction (a created facility's funding).
   */
  onConfirmed(tx: Tx, payload: P, landed: Landed, queue: JobQueue): Promise<void>;
  /**
   * Why this job is not the node's own decision (a row in the database is not one), or undefined; asked before a job
   * not yet signed is located, built or signed. A refused job fails at once and nothing of it is sent.
   */
  refuse?(payload: P): Promise<string | undefined>;
}

/** What a confirmation hook may do with the outbox: queue the next job, in the confirming transaction. */
export interface JobQueue {
  enqueue(
    tx: Tx,
    job: { key: string; kind: string; payload: unknown },
    options?: { retryFailed?: boolean },
  ): Promise<void>;
}

export interface OutboxOptions {
  db: Database;
  chain: Chain;
  logger: Logger;
  metrics: Metrics;
  handlers: JobHandler<any>[];
  confirmations: number;
  pollIntervalMs: number;
  /** How long a broadcast transaction may stay unmined before its stored bytes are broadcast again (default 10 s). */
  receiptTimeoutMs?: number;
  /** The most transactions of one account broadcast and not yet mined (default 16). */
  window?: number;
  /**
   * The account that sends the RELAY lane (verifier attestations and leaf registrations, which need no role): the
   * node's verifier key. Without it the node's signer sends them too, after its CONTROL and beside its MAIN jobs.
   */
  relaySigner?: Wallet;
}

const MAX_BACKOFF_MS = 15_000;
const MAX_REFUSALS = 5;

/**
 * The durable outbox. Every chain write is a row first, created in the same database transaction as the state it
 * belongs to, in the lane its kind belongs to (./lanes.ts). Each account has one worker, which keeps up to `window`
 * transactions in flight with consecutive nonces (./window.ts): a due CONTROL job first, then the lanes behind it in
 * creation order. For each job:
 *
 * 1. if its effect is found on chain (`locate`), the job is confirmed and nothing is sent;
 * 2. otherwise a transaction is built, given the account's next free nonce, signed, and stored (nonce, hash, raw bytes)
 *    BEFORE it is broadcast;
 * 3. once a block mines it the job is confirmed (at the configured depth), or, reverted, re-checked and refused; until
 *    then the same stored bytes are broadcast again after a restart or when they stay unmined.
 *
 * So a crash at any point can only rebroadcast the identical transaction: each job lands at most once, and because the
 * row survives, at least once. A refused transaction is re-checked on chain a few times (a race with a transaction not
 * yet mined) before the job fails with the decoded revert; the jobs behind it go on meanwhile.
 */
export function createOutbox(options: OutboxOptions) {
  const { db, chain, logger, metrics, confirmations, pollIntervalMs } = options;
  const rebroadcastMs = options.receiptTimeoutMs ?? 10_000;
  const handlers = new Map(options.handlers.map((handler) => [handler.kind, handler]));
  const relaySigner = options.relaySigner?.connect(chain.provider) as Wallet | undefined;
  const workers = laneWorkers(chain.signer, relaySigner);

  /**
   * Queues a job under its idempotency key; a key already queued, sent or confirmed is left as it is. With
   * `retryFailed`, a job that FAILED (the chain refused it: nothing of it took effect) is queued again under its key,
   * with the new payload and behind every job queued before: a user's retry once the cause has gone (a payment refused
   * while the facility was frozen, asked for again after the unfreeze).
   */
  async function enqueue(
    tx: Tx,
    job: { key: string; kind: string; payload: unknown },
    options: { retryFailed?: boolean } = {},
  ): Promise<void> {
    if (!handlers.has(job.kind)) throw new Error(`no outbox handler for job kind ${job.kind}`);
    if (options.retryFailed) {
      const { count } = await tx.outboxJob.updateMany({
        where: { key: job.key, status: "FAILED" },
        data: {
          id: orderedId(),
          status: "PENDING",
          payload: JSON.stringify(job.payload),
          attempts: 0,
          rawTx: null,
          txHash: null,
          nonce: null,
          sender: null,
          lastError: null,
          nextRunAt: new Date(),
        },
      });
      if (count > 0) return;
    }
    await tx.outboxJob.upsert({
      where: { key: job.key },
      create: {
        id: orderedId(),
        key: job.key,
        kind: job.kind,
        lane: laneOf(job.kind),
        payload: JSON.stringify(job.payload),
      },
      update: {},
    });
  }

  async function confirm(
    job: { id: string; kind: string; payload: string; txHash: string | null },
    landed: Landed,
  ): Promise<void> {
    const handler = handlers.get(job.kind)!;
    await db.prisma.$transaction(async (tx) => {
      await handler.onConfirmed(tx, JSON.parse(job.payload), landed, { enqueue });
      // Keep the nonce only when it was this job's own transaction that landed: the nonces of mined transactions are
      // the floor for the next one, whatever a lagging node reports as its pending count.
      const own = job.txHash !== null && job.txHash === landed.txHash;
      await tx.outboxJob.update({
        where: { id: job.id },
        data: {
          status: "CONFIRMED",
          txHash: landed.txHash,
          confirmedAt: new Date(),
          lastError: null,
          ...(own ? {} : { nonce: null }),
        },
      });
    });
    logger.info(
      { job: job.id, kind: job.kind, txHash: landed.txHash, block: landed.blockNumber.toString() },
      "chain write confirmed",
    );
  }

  const window = createWindow({
    db,
    chain,
    logger,
    handlers,
    confirmations,
    pollIntervalMs,
    rebroadcastMs,
    window: options.window ?? 16,
    confirm: (job, landed) => confirm(job, landed),
    fail: (job, error) => fail(job, error),
  });

  /** One pass of each worker in turn (tests and the drain); false when none of them did anything. */
  async function processNext(): Promise<boolean> {
    let worked = false;
    for (const worker of workers) worked = (await window.pass(worker)) || worked;
    return worked;
  }

  async function fail(job: OutboxJob, error: unknown): Promise<void> {
    // The database dropped out under the job (a restart, a failover): this is no verdict on the chain write, and the
    // row still holds what was signed and sent, so leave it as it is; the next pass starts again from the chain.
    if (isDatabaseUnavailable(error)) throw error;
    const retryable = isTransient(error);
    const decoded = decodeRevert(error);
    metrics.outboxFailures.inc({ kind: job.kind, retryable: String(retryable) });
    const attempts = job.attempts + 1;
    const backoff = Math.min(MAX_BACKOFF_MS, pollIntervalMs * 2 ** Math.min(attempts, 10));
    const message = describeError(error);
    // Refusals are re-checked a few times: the chain may not have settled (a transaction of the other node pending).
    if (retryable || attempts < MAX_REFUSALS) {
      logger.warn(
        { job: job.id, kind: job.kind, attempts, retryInMs: backoff, error: message },
        retryable ? "chain write failed; will retry" : "chain write refused; will re-check the chain and retry",
      );
      await db.prisma.outboxJob.update({
        where: { id: job.id },
        // A network failure keeps the signed transaction (the next pass rebroadcasts the same bytes); a refusal drops it
        // so that the next attempt is built afresh against the chain as it then is.
        data: retryable
          ? { attempts, lastError: message, nextRunAt: new Date(Date.now() + backoff) }
          : {
              attempts,
              lastError: message,
              nextRunAt: new Date(Date.now() + backoff),
              rawTx: null,
              txHash: null,
              nonce: null,
              sender: null,
            },
      });
    } else {
      logger.error(
        { job: job.id, kind: job.kind, error: message, revert: decoded?.name },
        "chain write refused; job failed",
      );
      await db.prisma.outboxJob.update({
        where: { id: job.id },
        data: { status: "FAILED", attempts, lastError: message, nonce: null, rawTx: null },
      });
    }
  }

  async function updateGauge(): Promise<number> {
    const pending = await db.prisma.outboxJob.count({ where: { status: { in: ["PENDING", "SENT"] } } });
    metrics.outboxPending.set(pending);
    return pending;
  }

  const loops = workers.map((worker) =>
    createLoop(
      async () => {
        const worked = await window.pass(worker);
        if (!worked) await updateGauge();
        return worked;
      },
      (error) => logger.error({ error: describeError(error), worker: worker.name }, "outbox pass failed"),
    ),
  );
  const worker = {
    start: (intervalMs: number) => loops.forEach((loop) => loop.start(intervalMs)),
    poke: () => loops.forEach((loop) => loop.poke()),
    stop: () => Promise.all(loops.map((loop) => loop.stop())).then(() => undefined),
  };

  return {
    enqueue,
    processNext,

    /** Runs until no job is due and none is in flight, or nothing moved for `receiptTimeoutMs` (tests). */
    async drain(): Promise<void> {
      let idleSince = Date.now();
      for (;;) {
        if (await processNext()) {
          idleSince = Date.now();
          continue;
        }
        const inFlight = await db.prisma.outboxJob.count({ where: { status: "SENT", rawTx: { not: null } } });
        if (inFlight === 0 || Date.now() - idleSince >= Math.max(rebroadcastMs, 1_000)) break;
        await new Promise((resolve) => setTimeout(resolve, Math.min(pollIntervalMs, 50)));
      }
      await updateGauge();
    },

    start: () => worker.start(pollIntervalMs),

    /** Wakes the worker now (after enqueueing). */
    poke: () => worker.poke(),

    stop: () => worker.stop(),

    pendingCount: updateGauge,

    /**
     * Waits for the job with this key to be confirmed (resolves with its transaction) or failed (rejects with
     * ChainWriteFailed); resolves undefined after `timeoutMs` when it is still on its way.
     */
    async waitFor(key: string, timeoutMs: number): Promise<{ txHash: string } | undefined> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = await db.prisma.outboxJob.findUnique({ where: { key } });
        if (!job) throw new Error(`no outbox job ${key}`);
        if (job.status === "CONFIRMED") return { txHash: job.txHash ?? "0x" };
        if (job.status === "FAILED") throw new ChainWriteFailed(key, job.lastError ?? "refused");
        if (Date.now() >= deadline) return undefined;
        worker.poke();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
