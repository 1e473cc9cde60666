import { Transaction, type Wallet } from "ethers";
import type { Logger } from "pino";
import type { Chain } from "../chain/chain";
import { isTransient } from "../chain/reverts";
import type { Database } from "../db/client";
import { isDatabaseUnavailable } from "../db/errors";
import { sequenceOf, type LaneWorker } from "./lanes";
import type { JobHandler, Landed } from "./outbox";

/** An outbox row, as the window reads it. */
export interface OutboxJob {
  id: string;
  key: string;
  kind: string;
  lane: string;
  payload: string;
  status: string;
  attempts: number;
  rawTx: string | null;
  txHash: string | null;
  nonce: number | null;
  sender: string | null;
  nextRunAt: Date;
}

/** What the window needs of the outbox around it: recording a landed job, and a refusal. */
export interface WindowContext {
  db: Database;
  chain: Chain;
  logger: Logger;
  handlers: Map<string, JobHandler<any>>;
  confirmations: number;
  pollIntervalMs: number;
  /** How long a broadcast transaction may stay unmined before its bytes are broadcast again. */
  rebroadcastMs: number;
  /** The most transactions of one account broadcast and not yet mined. */
  window: number;
  confirm(job: OutboxJob, landed: Landed): Promise<void>;
  fail(job: OutboxJob, error: unknown): Promise<void>;
}

/** The nonces an account's worker holds: spent on chain below `floor`; `held` by its broadcast, unmined jobs. */
export function nextFreeNonce(floor: number, held: ReadonlySet<number>): number {
  let nonce = floor;
  while (held.has(nonce)) nonce++;
  return nonce;
}

/**
 * One pass of one account's worker over its window of transactions in flight:
 *
 * 1. Follow: the account's mined nonce count and the block number, once a pass; receipts only of the window's jobs
 *    whose nonce is spent, and only when a block came since they were last looked at. A mined job is confirmed once
 *    deep enough; a reverted one is recorded as refused (located first: another node may have done it); a nonce spent
 *    by other bytes sends the job back to be built again. An unmined job is broadcast again (the same stored bytes, in
 *    nonce order) when this process has not broadcast it yet (a restart) or it stayed unmined `rebroadcastMs`: a
 *    transaction the chain node dropped is put back, and the ones behind it get mined.
 * 2. Fill: while fewer than `window` are unmined, the next due job (CONTROL before the lanes behind it, each in
 *    creation order) gets the lowest nonce the account does not hold (so a nonce released by a refused broadcast is
 *    filled first), is signed and stored (nonce, hash, raw bytes) BEFORE it is broadcast.
 *
 * A job whose gas estimate fails while earlier transactions of the account are unmined waits for them (it may depend
 * on one: a leaf registration before its attestation, a facility before its payment) without counting a refusal; once
 * they are mined an estimate that still fails is a refusal. Jobs behind it go on.
 */
export function createWindow(ctx: WindowContext) {
  const { db, chain, logger, handlers } = ctx;
  /** Transactions this process broadcast (a restart broadcasts the stored ones again at once). */
  const broadcastHere = new Set<string>();
  /** Per account: the block and nonce count its window was last followed at. */
  const followed = new Map<string, { block: number; count: number }>();
  /** Jobs waiting for earlier transactions: the account's nonce count that has to be reached first. */
  const waitingFor = new Map<string, number>();

  /** Broadcasts signed bytes; false when their nonce is already spent. */
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

  const deepEnough = (landed: Landed, block: number) =>
    ctx.confirmations === 0 ||
    landed.blockNumber === 0n ||
    BigInt(block) >= landed.blockNumber + BigInt(ctx.confirmations);

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

  /** A refusal, unless the effect is on chain already (another node, an earlier attempt). */
  async function refused(job: OutboxJob, error: unknown): Promise<void> {
    const handler = handlers.get(job.kind)!;
    const landed = isTransient(error)
      ? undefined
      : await handler.locate(JSON.parse(job.payload)).catch(() => undefined);
    if (landed) await ctx.confirm(job, landed);
    else await ctx.fail(job, error);
  }

  /** Step 1 for one account; returns the nonces its unmined jobs hold and whether anything was recorded. */
  async function follow(sender: string, ours: object) {
    const [count, block] = await Promise.all([
      chain.provider.getTransactionCount(sender, "latest"),
      chain.provider.getBlockNumber(),
    ]);
    const last = followed.get(sender);
    const moved = !last || last.block !== block || last.count !== count;
    const inFlight = await db.prisma.outboxJob.findMany({
      where: { status: "SENT", rawTx: { not: null }, nonce: { not: null }, ...ours },
      orderBy: { nonce: "asc" },
    });
    const held = new Set<number>();
    /** Sequences with a transaction unmined: the next job of each is built only once it is mined. */
    const busy = new Set<string>();
    let worked = false;
    const mined = inFlight.filter((job) => job.nonce! < count);
    if (moved) {
      const receipts = await Promise.all(mined.map((job) => chain.provider.getTransactionReceipt(job.txHash!)));
      for (const [i, job] of mined.entries()) {
        const receipt = receipts[i];
        if (receipt?.status === 1) {
          const landed = { txHash: receipt.hash, blockNumber: BigInt(receipt.blockNumber) };
          if (deepEnough(landed, block)) {
            await ctx.confirm(job, landed);
            worked = true;
          }
        } else if (receipt) {
          await refused(job, await revertOf(job.rawTx!, receipt.blockNumber));
          worked = true;
        } else {
          // Its nonce went to other bytes (an earlier attempt's, or another sender's): find the effect, or start over.
          const landed = await handlers.get(job.kind)?.locate(JSON.parse(job.payload));
          if (landed) await ctx.confirm(job, landed);
          else {
            await db.prisma.outboxJob.update({
              where: { id: job.id },
              data: { rawTx: null, txHash: null, nonce: null, sender: null, nextRunAt: new Date() },
            });
          }
          worked = true;
        }
      }
    }
    // Recorded only once every mined job was looked at: a pass cut short (the chain or the database gone mid-way) looks
    // again on the next pass, not only at the next block.
    followed.set(sender, { block, count });
    for (const job of inFlight) {
      if (job.nonce! < count) continue;
      held.add(job.nonce!);
      const sequence = sequenceOf(job.kind);
      if (sequence) busy.add(sequence);
      if (broadcastHere.has(job.txHash!) && job.nextRunAt.getTime() > Date.now()) continue;
      let accepted: boolean;
      try {
        accepted = await broadcast(job.rawTx!);
      } catch (error) {
        if (isTransient(error)) throw error;
        // The node will not take these bytes: the nonce is free again, for the next job.
        held.delete(job.nonce!);
        await refused(job, error);
        worked = true;
        continue;
      }
      if (accepted) {
        broadcastHere.add(job.txHash!);
        worked = true;
        await db.prisma.outboxJob.update({
          where: { id: job.id },
          data: { nextRunAt: new Date(Date.now() + ctx.rebroadcastMs) },
        });
      }
    }
    return { count, held, busy, worked };
  }

  /**
   * Step 2 for one job with the nonce it is given: `inFlight` transactions of the account are unmined, and `count` of
   * its nonces are spent.
   */
  async function sendOne(
    worker: LaneWorker,
    job: OutboxJob,
    nonce: number,
    account: { inFlight: number; count: number },
  ): Promise<"sent" | "done" | "waiting"> {
    const signer: Wallet = worker.signer;
    const handler = handlers.get(job.kind);
    if (!handler) {
      await db.prisma.outboxJob.update({
        where: { id: job.id },
        data: { status: "FAILED", lastError: `no handler for ${job.kind}` },
      });
      return "done";
    }
    const payload = JSON.parse(job.payload);
    const refusal = await handler.refuse?.(payload);
    if (refusal) {
      logger.error({ job: job.id, key: job.key, kind: job.kind, reason: refusal }, "job refused before signing");
      await db.prisma.outboxJob.update({
        where: { id: job.id },
        data: { status: "FAILED", lastError: `refused before signing: ${refusal}`, nonce: null },
      });
      return "done";
    }
    const landed = await handler.locate(payload);
    if (landed) {
      const block = await chain.provider.getBlockNumber();
      if (deepEnough(landed, block)) await ctx.confirm(job, landed);
      else {
        await db.prisma.outboxJob.update({
          where: { id: job.id },
          data: { nextRunAt: new Date(Date.now() + ctx.pollIntervalMs) },
        });
      }
      return "done";
    }
    let populated;
    try {
      const unsigned = await handler.build(payload);
      populated = await signer.populateTransaction({ ...unsigned, nonce });
      const estimate = BigInt(populated.gasLimit!);
      // A margin over the estimate: the estimate is made against the current block, and a write can cost more in the
      // block it lands in (interest accrued over a new second writes a storage slot the estimate did not).
      populated.gasLimit = (estimate * 125n) / 100n;
    } catch (error) {
      if (isTransient(error) || isDatabaseUnavailable(error)) throw error;
      // Estimated against the chain as mined so far: an earlier transaction of the account may be what it needs (a
      // leaf registered before its attestation, a facility created before its funding). It waits until the ones
      // unmined when it first failed are mined; then a failing estimate is a refusal.
      const until = waitingFor.get(job.id) ?? nonce;
      if (account.inFlight > 0 && account.count < until) {
        waitingFor.set(job.id, until);
        logger.debug({ job: job.id, kind: job.kind, nonce }, "estimate failed; waiting for earlier transactions");
        return "waiting";
      }
      waitingFor.delete(job.id);
      await refused(job, error);
      return "done";
    }
    waitingFor.delete(job.id);
    const rawTx = await signer.signTransaction(populated);
    const txHash = Transaction.from(rawTx).hash!;
    await db.prisma.outboxJob.update({
      where: { id: job.id },
      data: {
        status: "SENT",
        rawTx,
        txHash,
        nonce,
        sender: signer.address,
        attempts: { increment: 1 },
        nextRunAt: new Date(Date.now() + ctx.rebroadcastMs),
      },
    });
    logger.debug({ job: job.id, kind: job.kind, lane: job.lane, nonce, txHash }, "chain write signed");
    try {
      if (await broadcast(rawTx)) broadcastHere.add(txHash);
    } catch (error) {
      if (isTransient(error) || isDatabaseUnavailable(error)) return "sent"; // the stored bytes go out again later
      await refused({ ...job, rawTx, txHash, nonce, sender: signer.address, attempts: job.attempts + 1 }, error);
      return "done";
    }
    return "sent";
  }

  /** One pass of `worker`: follow its window, then fill it. True when it did something. */
  async function pass(worker: LaneWorker): Promise<boolean> {
    const sender = worker.signer.address;
    // Rows signed before lanes existed name no sender: the node's signer signed them all.
    const ours = sender === chain.signer.address ? { OR: [{ sender }, { sender: null }] } : { sender };
    const { count, held, busy, worked: followedWork } = await follow(sender, ours);
    let worked = followedWork;
    const highest = await db.prisma.outboxJob.aggregate({
      where: { status: "CONFIRMED", nonce: { not: null }, ...ours },
      _max: { nonce: true },
    });
    // Mined nonces of ours are a floor too, whatever a lagging node reports.
    const floor = Math.max(count, (highest._max.nonce ?? -1) + 1);
    const now = Date.now();
    /** Sequences held in this pass: one of their jobs is unmined, or waits; their later jobs wait too. */
    const waitingSequences = busy;
    for (const tier of worker.tiers) {
      if (held.size >= ctx.window) break;
      const open = await db.prisma.outboxJob.findMany({
        where: { lane: { in: tier }, status: { in: ["PENDING", "SENT"] }, rawTx: null },
        orderBy: { id: "asc" },
        take: ctx.window * 2,
      });
      for (const job of open) {
        if (held.size >= ctx.window) break;
        const sequence = sequenceOf(job.kind);
        if (sequence && waitingSequences.has(sequence)) continue;
        // A job waiting to re-check a refusal holds no other job (its retry takes a later nonce), except the later jobs
        // of its sequence.
        if (job.nextRunAt.getTime() > now) {
          if (sequence) waitingSequences.add(sequence);
          continue;
        }
        const nonce = nextFreeNonce(floor, held);
        const outcome = await sendOne(worker, job, nonce, { inFlight: held.size, count });
        if (outcome === "sent") held.add(nonce);
        // A handler may build from chain state its sequence's last transaction changes (an attestation signs the
        // verifier's current EIP-712 nonce): one transaction of a sequence in flight at a time.
        if (sequence) waitingSequences.add(sequence);
        if (outcome !== "waiting") worked = true;
      }
    }
    return worked;
  }

  return { pass };
}
