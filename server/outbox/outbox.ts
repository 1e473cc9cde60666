import { Transaction, type ContractTransaction, type Wallet } from "ethers";
import type { Logger } from "pino";
import type { Chain } from "../chain/chain";
import { decodeRevert, describeError, isTransient } from "../chain/reverts";
import type { Database, Tx } from "../db/client";
import { isDatabaseUnavailable } from "../db/errors";
import type { Metrics } from "../http/metrics";
import { orderedId } from "../ids";
import { createLoop } from "../loop";
import { laneOf, laneWorkers, type LaneWorker } from "./lanes";

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
  /** Records the landed effect, inside the database transaction that marks the job confirmed. */
  onConfirmed(tx: Tx, payload: P, landed: Landed): Promise<void>;
  /**
   * Why this job is not the node's own decision (a row in the database is not one), or undefined; asked before a job
   * not yet signed is located, built or signed. A refused job fails at once and nothing of it is sent.
   */
  refuse?(payload: P): Promise<string | undefined>;
}

export interface OutboxOptions {
  db: Database;
  chain: Chain;
  logger: Logger;
  metrics: Metrics;
  handlers: JobHandler<any>[];
  confirmations: number;
  pollIntervalMs: number;
  /** How long to wait for a broadcast transaction's receipt in one pass. */
  receiptTimeoutMs?: number;
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
 * belongs to, in the lane its kind belongs to (./lanes.ts). Each account has one worker, which handles its jobs one at
 * a time: a due CONTROL job first, then the lanes behind it, each strictly in creation order:
 *
 * 1. if the job's transaction has a receipt, or its effect is found on chain, the job is confirmed;
 * 2. otherwise, if the job holds a signed transaction whose nonce is still unused, the same bytes are broadcast again;
 * 3. otherwise a transaction is built, given the next nonce, signed, and stored (nonce, hash, raw bytes) BEFORE it is
 *    broadcast.
 *
 * So a crash at any point can only rebroadcast the identical transaction: each job lands at most once, and because the
 * row survives, at least once. A refused transaction is re-checked on chain a few times (a race with a transaction not
 * yet mined) before the job fails with the decoded revert.
 */
export function createOutbox(options: OutboxOptions) {
  const { db, chain, logger, metrics, confirmations, pollIntervalMs } = options;
  const receiptTimeoutMs = options.receiptTimeoutMs ?? 30_000;
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
      await handler.onConfirmed(tx, JSON.parse(job.payload), landed);
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

  async function nextNonce(sender: string): Promise<number> {
    // Rows signed before lanes existed name no sender: the node's signer signed them all.
    const ours = sender === chain.signer.address ? { OR: [{ sender }, { sender: null }] } : { sender };
    const [pending, highest] = await Promise.all([
      chain.provider.getTransactionCount(sender, "pending"),
      db.prisma.outboxJob.aggregate({
        where: { status: { in: ["PENDING", "SENT", "CONFIRMED"] }, nonce: { not: null }, ...ours },
        _max: { nonce: true },
      }),
    ]);
    // Never reuse a nonce held by an open job or spent by a mined one of ours.
    return Math.max(pending, (highest._max.nonce ?? -1) + 1);
  }

  async function deepEnough(landed: Landed): Promise<boolean> {
    if (confirmations === 0 || landed.blockNumber === 0n) return true;
    return BigInt(await chain.provider.getBlockNumber()) >= landed.blockNumber + BigInt(confirmations);
  }

  /**
   * The worker's next due job: the oldest open job of its first tier whose oldest is due. Within a tier, strictly in
   * creation order: a job waiting to retry holds the ones behind it (a leaf registration must land before its
   * attestation); it does not hold a tier behind it, which has its own jobs and takes the next nonce.
   */
  async function nextJob(worker: LaneWorker) {
    for (const tier of worker.tiers) {
      const job = await db.prisma.outboxJob.findFirst({
        where: { lane: { in: tier }, status: { in: ["PENDING", "SENT"] } },
        orderBy: { id: "asc" },
      });
      if (job && job.nextRunAt.getTime() <= Date.now()) return job;
    }
    return undefined;
  }

  /** Processes one due job of each worker in turn (tests and the drain); false when none of them had one. */
  async function processNext(): Promise<boolean> {
    let worked = false;
    for (const worker of workers) worked = (await processNextOf(worker)) || worked;
    return worked;
  }

  /** Processes the worker's next due job; returns false when there is nothing to do now. */
  async function processNextOf(worker: LaneWorker): Promise<boolean> {
    const job = await nextJob(worker);
    if (!job) return false;
    const signer = worker.signer;
    const handler = handlers.get(job.kind);
    if (!handler) {
      await db.prisma.outboxJob.update({
        where: { id: job.id },
        data: { status: "FAILED", lastError: `no handler for ${job.kind}` },
      });
      return true;
    }
    const payload = JSON.parse(job.payload);
    const refusal = job.rawTx ? undefined : await handler.refuse?.(payload);
    if (refusal) {
      logger.error({ job: job.id, key: job.key, kind: job.kind, reason: refusal }, "job refused before signing");
      await db.prisma.outboxJob.update({
        where: { id: job.id },
        data: { status: "FAILED", lastError: `refused before signing: ${refusal}`, nonce: null },
      });
      return true;
    }
    const later = () =>
      db.prisma.outboxJob.update({ where: { id: job.id }, data: { nextRunAt: new Date(Date.now() + pollIntervalMs) } });
    try {
      // 1. Landed already?
      let landed: Landed | undefined;
      if (job.txHash) {
        const receipt = await chain.provider.getTransactionReceipt(job.txHash);
        if (receipt?.status === 1) landed = { txHash: receipt.hash, blockNumber: BigInt(receipt.blockNumber) };
      }
      landed ??= await handler.locate(payload);
      if (landed) {
        if (await deepEnough(landed)) await confirm(job, landed);
        else await later();
        return true;
      }

      // 2. Signed before: rebroadcast the same bytes while their nonce is unused; if it was used by them and they
      // reverted, or lost, start over with a new transaction.
      if (job.rawTx && job.nonce !== null) {
        const used = await chain.provider.getTransactionCount(job.sender ?? chain.signer.address, "latest");
        if (used <= job.nonce) {
          if (await broadcast(job.rawTx)) await awaitReceipt(job, job.txHash!);
          else await later();
          return true;
        }
        const receipt = await chain.provider.getTransactionReceipt(job.txHash!);
        if (receipt && receipt.status === 0) throw await revertOf(job.rawTx, receipt.blockNumber);
        await db.prisma.outboxJob.update({ where: { id: job.id }, data: { rawTx: null, txHash: null, nonce: null } });
        return true;
      }

      // 3. Build, sign, store, broadcast.
      const unsigned = await handler.build(payload);
      const nonce = job.nonce ?? (await nextNonce(signer.address));
      const populated = await signer.populateTransaction({ ...unsigned, nonce });
      // A margin over the estimate: the estimate is made against the current block, and a write can cost more in the
      // block it lands in (interest accrued over a new second writes a storage slot the estimate did not).
      populated.gasLimit = (BigInt(populated.gasLimit!) * 125n) / 100n;
      const rawTx = await signer.signTransaction(populated);
      const txHash = Transaction.from(rawTx).hash!;
      await db.prisma.outboxJob.update({
        where: { id: job.id },
        data: { status: "SENT", rawTx, txHash, nonce, sender: signer.address, attempts: { increment: 1 } },
      });
      logger.debug({ job: job.id, kind: job.kind, lane: job.lane, nonce, txHash }, "chain write signed");
      if (await broadcast(rawTx)) await awaitReceipt({ ...job, txHash }, txHash);
      else await db.prisma.outboxJob.update({ where: { id: job.id }, data: { nextRunAt: new Date() } });
    } catch (error) {
      // The database dropped out under the job (a restart, a failover): this is no verdict on the chain write, and the
      // row still holds what was signed and sent, so leave it as it is; the next pass starts again from the chain.
      if (isDatabaseUnavailable(error)) throw error;
      // A refusal may mean the effect is already there (another node registered the same leaf, an earlier attempt
      // landed): ask the chain before calling it a failure.
      const landed = isTransient(error) ? undefined : await handler.locate(payload).catch(() => undefined);
      if (landed) await confirm(job, landed);
      else await fail(job, error);
    }
    return true;
  }

  /**
   * Broadcasts signed bytes; false when their nonce is already spent (the next pass finds out by what: this job's own
   * earlier broadcast, which its receipt shows, or something else, and then it builds a new transaction).
   */
  async function broadcast(rawTx: string): Promise<boolean> {
    try {
      await chain.provider.broadcastTransaction(rawTx);
      return true;
    } catch (error) {
      const text = String((error as Error).message);
      if (/already known|known transaction|already imported/i.test(text)) return true;
      if (/nonce too low|nonce has already been used|NONCE_EXPIRED/i.test(text)) return false;
      throw error;
    }
  }

  async function awaitReceipt(
    job: { id: string; kind: string; payload: string; txHash: string | null },
    txHash: string,
  ): Promise<void> {
    // Poll for the receipt rather than wait for new blocks: on an idle chain that mines only on transactions no new
    // block may come after ours.
    let receipt = await chain.provider.getTransactionReceipt(txHash);
    const deadline = Date.now() + receiptTimeoutMs;
    while (!receipt && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(pollIntervalMs, 250)));
      receipt = await chain.provider.getTransactionReceipt(txHash);
    }
    if (!receipt) logger.warn({ job: job.id, kind: job.kind, txHash }, "no receipt yet; will look again");
    if (receipt?.status === 1) {
      const landed = { txHash, blockNumber: BigInt(receipt.blockNumber) };
      if (await deepEnough(landed)) return confirm(job, landed);
    }
    // Not mined yet, not deep enough, or reverted: the next pass looks again.
    await db.prisma.outboxJob.update({
      where: { id: job.id },
      data: { nextRunAt: new Date(Date.now() + pollIntervalMs) },
    });
  }

  /** The revert of a mined, failed transaction, replayed as a call at its block to decode the reason. */
  async function revertOf(rawTx: string, blockNumber: number): Promise<unknown> {
    const tx = Transaction.from(rawTx);
    try {
      await chain.provider.call({ to: tx.to, data: tx.data, from: tx.from, blockTag: blockNumber });
      return new Error("the transaction reverted");
    } catch (error) {
      return error;
    }
  }

  async function fail(job: { id: string; kind: string; attempts: number }, error: unknown): Promise<void> {
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
        const worked = await processNextOf(worker);
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

    /** Runs until no job is due (tests and the drain after start-up). */
    async drain(): Promise<void> {
      while (await processNext()) {
        // keep going
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
