import type { TransactionResponse } from "ethers";
import type { Logger } from "pino";
import type { Chain } from "../chain/chain";
import { decodeRevert, describeError, isTransient } from "../chain/reverts";
import type { Database, Tx } from "../db/client";
import type { Metrics } from "../http/metrics";
import { orderedId } from "../ids";

/** Where a job's effect landed on chain. */
export interface Landed {
  txHash: string;
  blockNumber: bigint;
}

/**
 * How one kind of chain write is done. Each handler must make its effect idempotent on chain (the contracts refuse a
 * second anchor of the same root, a second verdict of the same verifier), so a job sent twice still lands once.
 */
export interface JobHandler<P> {
  kind: string;
  /** Where the effect already is on chain, or undefined: a previous attempt landed, or someone else did it. */
  locate(payload: P): Promise<Landed | undefined>;
  /** Sends the transaction with the given nonce. */
  send(payload: P, overrides: { nonce: number }): Promise<TransactionResponse>;
  /** Records the landed effect, inside the database transaction that marks the job confirmed. */
  onConfirmed(tx: Tx, payload: P, landed: Landed): Promise<void>;
}

export interface OutboxOptions {
  db: Database;
  chain: Chain;
  logger: Logger;
  metrics: Metrics;
  handlers: JobHandler<any>[];
  confirmations: number;
  pollIntervalMs: number;
  /** How long to wait for a sent transaction before checking the chain and resending with the same nonce. */
  receiptTimeoutMs?: number;
}

const MAX_BACKOFF_MS = 15_000;
const MAX_REFUSALS = 5;

/**
 * The durable outbox: every chain write is a row first (created in the same database transaction as the state it
 * belongs to), then a transaction. One worker sends jobs one at a time, strictly in creation order. A job's nonce is stored
 * before its transaction is sent, so after a crash the job is resent with the same nonce (replacing, or failing as
 * "nonce too low" once the first landed) and never becomes a second transaction; before any send the worker asks the
 * chain whether the effect is already there. Exactly once, nothing lost.
 */
export function createOutbox(options: OutboxOptions) {
  const { db, chain, logger, metrics, confirmations, pollIntervalMs } = options;
  const receiptTimeoutMs = options.receiptTimeoutMs ?? 30_000;
  const handlers = new Map(options.handlers.map((handler) => [handler.kind, handler]));
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  async function enqueue(tx: Tx, job: { key: string; kind: string; payload: unknown }): Promise<void> {
    if (!handlers.has(job.kind)) throw new Error(`no outbox handler for job kind ${job.kind}`);
    await tx.outboxJob.upsert({
      where: { key: job.key },
      create: { id: orderedId(), key: job.key, kind: job.kind, payload: JSON.stringify(job.payload) },
      update: {},
    });
  }

  async function confirm(job: { id: string; kind: string; payload: string }, landed: Landed): Promise<void> {
    const handler = handlers.get(job.kind)!;
    await db.prisma.$transaction(async (tx) => {
      await handler.onConfirmed(tx, JSON.parse(job.payload), landed);
      await tx.outboxJob.update({
        where: { id: job.id },
        data: { status: "CONFIRMED", txHash: landed.txHash, confirmedAt: new Date(), lastError: null },
      });
    });
    logger.info(
      { job: job.id, kind: job.kind, txHash: landed.txHash, block: landed.blockNumber.toString() },
      "chain write confirmed",
    );
  }

  async function nextNonce(): Promise<number> {
    const [pending, highest] = await Promise.all([
      chain.provider.getTransactionCount(chain.signer.address, "pending"),
      db.prisma.outboxJob.aggregate({
        where: { status: { in: ["PENDING", "SENT"] }, nonce: { not: null } },
        _max: { nonce: true },
      }),
    ]);
    // A job of ours that holds a nonce but has not landed yet keeps it: never hand it to another job.
    return Math.max(pending, (highest._max.nonce ?? -1) + 1);
  }

  /** Processes one job; returns false when there is nothing due. */
  async function processNext(): Promise<boolean> {
    // Strictly in creation order: a job waiting to retry holds the ones behind it (a leaf registration must land
    // before its attestation; nonces are handed out in order).
    const job = await db.prisma.outboxJob.findFirst({
      where: { status: { in: ["PENDING", "SENT"] } },
      orderBy: { id: "asc" },
    });
    if (!job || job.nextRunAt.getTime() > Date.now()) return false;
    const handler = handlers.get(job.kind);
    if (!handler) {
      await db.prisma.outboxJob.update({
        where: { id: job.id },
        data: { status: "FAILED", lastError: `no handler for ${job.kind}` },
      });
      return true;
    }
    const payload = JSON.parse(job.payload);
    try {
      const landed = await landedEffect(handler, payload, job.txHash);
      if (landed) {
        if (await deepEnough(landed)) await confirm(job, landed);
        else
          await db.prisma.outboxJob.update({
            where: { id: job.id },
            data: { nextRunAt: new Date(Date.now() + pollIntervalMs) },
          });
        return true;
      }
      const nonce = job.nonce ?? (await nextNonce());
      if (job.nonce === null) await db.prisma.outboxJob.update({ where: { id: job.id }, data: { nonce } });
      const sent = await sendOrRecover(handler, payload, nonce);
      if (sent) {
        await db.prisma.outboxJob.update({
          where: { id: job.id },
          data: { status: "SENT", txHash: sent.hash, attempts: { increment: 1 } },
        });
        const receipt = await chain.provider
          .waitForTransaction(sent.hash, confirmations + 1, receiptTimeoutMs)
          .catch(() => null);
        if (receipt && receipt.status === 1) {
          await confirm(job, { txHash: receipt.hash, blockNumber: BigInt(receipt.blockNumber) });
          return true;
        }
      }
      // Not landed yet (or it reverted because someone else did it first): the next pass asks the chain again.
      await db.prisma.outboxJob.update({
        where: { id: job.id },
        data: { nextRunAt: new Date(Date.now() + pollIntervalMs) },
      });
    } catch (error) {
      // A refused transaction may mean the effect is already there (another node registered the same leaf, an
      // earlier attempt of ours landed): ask the chain before calling it a failure.
      const landed = isTransient(error) ? undefined : await handler.locate(payload).catch(() => undefined);
      if (landed) await confirm(job, landed);
      else await fail(job, error);
    }
    return true;
  }

  async function landedEffect(
    handler: JobHandler<unknown>,
    payload: unknown,
    txHash: string | null,
  ): Promise<Landed | undefined> {
    if (txHash) {
      const receipt = await chain.provider.getTransactionReceipt(txHash);
      if (receipt && receipt.status === 1) return { txHash, blockNumber: BigInt(receipt.blockNumber) };
    }
    return handler.locate(payload);
  }

  async function deepEnough(landed: Landed): Promise<boolean> {
    if (confirmations === 0) return true;
    return BigInt(await chain.provider.getBlockNumber()) >= landed.blockNumber + BigInt(confirmations);
  }

  /** Sends; a nonce that was used meanwhile (by this job's earlier attempt) is not an error: the next pass locates it. */
  async function sendOrRecover(
    handler: JobHandler<unknown>,
    payload: unknown,
    nonce: number,
  ): Promise<TransactionResponse | undefined> {
    try {
      return await handler.send(payload, { nonce });
    } catch (error) {
      const text = String((error as Error).message);
      if (/nonce too low|nonce has already been used|NONCE_EXPIRED|already known/i.test(text)) {
        const current = await chain.provider.getTransactionCount(chain.signer.address, "latest");
        if (current > nonce) {
          // The nonce is spent. If this job's effect is not on chain, it was spent by a lost transaction: take a new one.
          if (!(await handler.locate(payload))) {
            await db.prisma.outboxJob.updateMany({
              where: { nonce, status: { in: ["PENDING", "SENT"] } },
              data: { nonce: null, txHash: null },
            });
          }
        }
        return undefined;
      }
      throw error;
    }
  }

  async function fail(job: { id: string; kind: string; attempts: number }, error: unknown): Promise<void> {
    const retryable = isTransient(error);
    const decoded = decodeRevert(error);
    metrics.outboxFailures.inc({ kind: job.kind, retryable: String(retryable) });
    const attempts = job.attempts + 1;
    const backoff = Math.min(MAX_BACKOFF_MS, pollIntervalMs * 2 ** Math.min(attempts, 10));
    const message = describeError(error);
    // A refusal can be a race with a transaction not yet mined (the other node registering the same leaf, our own
    // earlier attempt): re-check a few times before giving up on the job.
    if (retryable || attempts < MAX_REFUSALS) {
      logger.warn(
        { job: job.id, kind: job.kind, attempts, retryInMs: backoff, error: message },
        retryable ? "chain write failed; will retry" : "chain write refused; will re-check the chain and retry",
      );
      await db.prisma.outboxJob.update({
        where: { id: job.id },
        data: { attempts, lastError: message, nextRunAt: new Date(Date.now() + backoff) },
      });
    } else {
      logger.error(
        { job: job.id, kind: job.kind, error: message, revert: decoded?.name },
        "chain write refused; job failed",
      );
      await db.prisma.outboxJob.update({
        where: { id: job.id },
        data: { status: "FAILED", attempts, lastError: message, nonce: null },
      });
    }
  }

  async function updateGauge(): Promise<number> {
    const pending = await db.prisma.outboxJob.count({ where: { status: { in: ["PENDING", "SENT"] } } });
    metrics.outboxPending.set(pending);
    return pending;
  }

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

    start(): void {
      if (running) return;
      running = true;
      loop = (async () => {
        while (running) {
          let worked = false;
          try {
            worked = await processNext();
            if (!worked) await updateGauge();
          } catch (error) {
            logger.error({ error: describeError(error) }, "outbox pass failed");
          }
          if (!worked && running) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, pollIntervalMs);
            });
          }
        }
      })();
    },

    /** Wakes the worker now (after enqueueing). */
    poke(): void {
      wake?.();
    },

    async stop(): Promise<void> {
      running = false;
      wake?.();
      await loop;
    },

    pendingCount: updateGauge,
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
