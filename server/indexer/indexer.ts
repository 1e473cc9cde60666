import { Interface, getAddress, toQuantity, type EventFragment } from "ethers";
import type { Logger } from "pino";
import { EvidenceRegistry__factory, FacilityManager__factory, PayeeRegistry__factory } from "../../typechain-types";
import type { Chain } from "../chain/chain";
import { Prisma, type Database, type Tx } from "../db/client";
import { insertRows } from "../db/rows";
import type { Metrics } from "../http/metrics";
import { createLoop } from "../loop";
import { fetchBody } from "./fetch-body";
import { hasStructuredArgs, plainArgs, reshapeStoredArgs } from "../chain/events";

export { readEvents } from "./read";

/** An indexed contract event, as stored and as handed to listeners. */
export interface IndexedEvent {
  id: string;
  blockNumber: bigint;
  blockHash: string;
  txHash: string;
  logIndex: number;
  address: string;
  contract: "EvidenceRegistry" | "FacilityManager" | "PayeeRegistry";
  name: string;
  args: Record<string, unknown>;
}

/** A log as `eth_getLogs` returns it. */
interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  logIndex: string;
}

/** How often a step re-reads its range when the chain reorganises while it reads, before giving up until next time. */
const READ_ATTEMPTS = 3;

/**
 * Writes a step's events and kept block hashes with multi-row INSERTs: Prisma's createMany made most of a backfill's
 * time (2,500 rows/s for a 50,000-event step), and an upsert per block is a round trip each; these statements store
 * about 70,000 rows/s.
 */
async function storeStep(tx: Tx, events: IndexedEvent[], blocks: Map<bigint, string>): Promise<void> {
  const createdAt = new Date();
  await insertRows(
    tx,
    events.map(
      (e) => Prisma.sql`(${e.id}, ${e.blockNumber}, ${e.blockHash}, ${e.txHash}, ${e.logIndex}, ${e.address},
        ${e.name}, ${JSON.stringify(e.args)}, ${createdAt})`,
    ),
    (values) => Prisma.sql`
      INSERT INTO "ChainEvent" ("id", "blockNumber", "blockHash", "txHash", "logIndex", "address", "name", "args",
        "createdAt")
      VALUES ${values}`,
  );
  // Each evidence id a payment consumed, keyed for the documents list (server/documents/parties.ts).
  await insertRows(
    tx,
    events.flatMap((e) =>
      e.name === "PaymentExecuted" && Array.isArray(e.args.evidenceIds)
        ? e.args.evidenceIds.map(
            (id) => Prisma.sql`(${String(id).toLowerCase()}, ${e.id}, ${BigInt(String(e.args.facilityId))},
              ${Number(e.args.index)}, ${e.txHash}, ${e.blockNumber})`,
          )
        : [],
    ),
    (values) => Prisma.sql`
      INSERT INTO "ConsumedEvidence" ("evidenceId", "eventId", "facilityId", "paymentIndex", "txHash", "blockNumber")
      VALUES ${values}`,
  );
  await insertRows(
    tx,
    [...blocks].map(([number, hash]) => Prisma.sql`(${number}, ${hash}, ${""})`),
    (values) => Prisma.sql`
      INSERT INTO "IndexedBlock" ("number", "hash", "parentHash") VALUES ${values}
      ON CONFLICT ("number") DO UPDATE SET "hash" = excluded."hash"`,
  );
}

/**
 * Follows the contracts' events into the node's database with a confirmation depth. Progress (the last processed
 * block and its hash) is committed in the same database transaction as the events, so a restart resumes exactly
 * where it stopped. Before each step it checks that the checkpoint block is still on the canonical chain; if not (a
 * reorg), it walks back through the block hashes it kept to the last common block and drops everything above it.
 *
 * The chain is read with raw JSON-RPC calls: ethers' providers answer a repeated request (the same block, the same log
 * range, the head) from a 250 ms cache, and a stale answer right after a reorg would let a step confirm a dropped
 * block and index the new fork on top of it.
 */
export function createIndexer({
  db,
  chain,
  logger,
  metrics,
  confirmations,
  startBlock = 0,
  maxBlocksPerStep = 2_000,
  keepBlocks = 1_000,
  name = "contracts",
  onEvents,
}: {
  db: Database;
  chain: Chain;
  logger: Logger;
  metrics: Metrics;
  confirmations: number;
  startBlock?: number;
  maxBlocksPerStep?: number;
  keepBlocks?: number;
  name?: string;
  onEvents?: (events: IndexedEvent[]) => void | Promise<void>;
}) {
  const contracts = [
    {
      contract: "EvidenceRegistry" as const,
      address: chain.deployment.contracts.EvidenceRegistry,
      iface: new Interface(EvidenceRegistry__factory.abi),
    },
    {
      contract: "FacilityManager" as const,
      address: chain.deployment.contracts.FacilityManager,
      iface: new Interface(FacilityManager__factory.abi),
    },
    {
      contract: "PayeeRegistry" as const,
      address: chain.deployment.contracts.PayeeRegistry,
      iface: new Interface(PayeeRegistry__factory.abi),
    },
  ];
  // Looked up once: ethers' parseLog finds a log's event by hashing every event signature of the ABI again, per log.
  const byAddress = new Map(
    contracts.map((c) => {
      const events = new Map<string, EventFragment>();
      c.iface.forEachEvent((fragment) => events.set(fragment.topicHash, fragment));
      return [c.address.toLowerCase(), { ...c, address: getAddress(c.address), events }];
    }),
  );

  async function headNumber(): Promise<number> {
    return Number(await chain.provider.send("eth_blockNumber", []));
  }

  /** The canonical hash of block `number` now, or undefined when the chain is not that long. */
  async function blockHash(number: number | bigint): Promise<string | undefined> {
    const block = (await chain.provider.send("eth_getBlockByNumber", [toQuantity(number), false])) as {
      hash?: string;
    } | null;
    return block?.hash ?? undefined;
  }

  /**
   * eth_getLogs over the provider's connection (its URL, headers, timeout and retries), but received by fetchBody and
   * decoded by TextDecoder: ethers' own transport takes seconds over the tens of megabytes a backfill step can return.
   */
  async function readLogs(from: number, to: number): Promise<RpcLog[]> {
    const filter = { address: contracts.map((c) => c.address), fromBlock: toQuantity(from), toBlock: toQuantity(to) };
    // Providers other than a plain JSON-RPC one (Hardhat's in-process provider in tests) go through `send`.
    if (typeof (chain.provider as { _getConnection?: unknown })._getConnection !== "function") {
      return (await chain.provider.send("eth_getLogs", [filter])) as RpcLog[];
    }
    const request = chain.provider._getConnection();
    request.body = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "eth_getLogs",
      params: [filter],
    });
    request.setHeader("content-type", "application/json");
    request.getUrlFunc = fetchBody;
    const response = await request.send();
    response.assertOk();
    const answer = JSON.parse(new TextDecoder().decode(response.body ?? new Uint8Array())) as {
      result?: RpcLog[];
      error?: { code?: number; message?: string };
    };
    if (!Array.isArray(answer.result)) {
      throw new Error(
        `eth_getLogs ${from}-${to} failed: ${answer.error?.message ?? "the node returned no logs array"}`,
      );
    }
    return answer.result;
  }

  function parse(log: RpcLog): IndexedEvent | undefined {
    const source = byAddress.get(log.address.toLowerCase());
    const fragment = source?.events.get(log.topics[0]?.toLowerCase());
    if (!source || !fragment || fragment.anonymous) return undefined;
    const args = plainArgs(fragment, source.iface.decodeEventLog(fragment, log.data, log.topics));
    const logIndex = Number(log.logIndex);
    return {
      id: `${log.blockHash}:${logIndex}`,
      blockNumber: BigInt(log.blockNumber),
      blockHash: log.blockHash,
      txHash: log.transactionHash,
      logIndex,
      address: source.address,
      contract: source.contract,
      name: fragment.name,
      args,
    };
  }

  const registry = byAddress.get(chain.deployment.contracts.EvidenceRegistry.toLowerCase())!;

  /**
   * A batched leaf's registration (EvidenceAnchored with a batch root) gets the leaf's index among its arguments, read
   * from the registering transaction's call (registerBatchedEvidence(root, index, …)): the event does not carry it, and
   * it is what a batch verdict's bit stands for, so the audit can apply batch verdicts from the chain alone. A call
   * through another contract is not decoded (the leaf is then known only from this node's records).
   */
  async function withLeafIndexes(events: IndexedEvent[]): Promise<void> {
    for (const event of events) {
      if (event.name !== "EvidenceAnchored" || /^0x0*$/.test(String(event.args.batchRoot))) continue;
      const tx = (await chain.provider.send("eth_getTransactionByHash", [event.txHash])) as { input?: string } | null;
      try {
        const call = registry.iface.parseTransaction({ data: tx?.input ?? "0x" });
        if (
          call?.name === "registerBatchedEvidence" &&
          String(call.args[0]).toLowerCase() === String(event.args.batchRoot).toLowerCase()
        ) {
          event.args.leafIndex = Number(call.args[1]);
        }
      } catch {
        // not a direct call of the registry
      }
    }
  }

  /**
   * Rows stored by an earlier version may hold an array argument as an object (a one-element bytes32[] as
   * `{"_": value}`): re-shapes them by the ABI, once per start, before the first step. Only events with array or
   * struct arguments are read, and only changed rows are written.
   */
  async function repairStoredArgs(): Promise<number> {
    let repaired = 0;
    for (const source of byAddress.values()) {
      for (const fragment of source.events.values()) {
        if (!hasStructuredArgs(fragment)) continue;
        const rows = await db.prisma.chainEvent.findMany({
          where: { name: fragment.name, address: source.address },
          select: { id: true, args: true },
        });
        for (const row of rows) {
          const args = JSON.stringify(reshapeStoredArgs(fragment, JSON.parse(row.args)));
          if (args === row.args) continue;
          await db.prisma.chainEvent.update({ where: { id: row.id }, data: { args } });
          repaired++;
        }
      }
    }
    if (repaired > 0) logger.info({ repaired }, "re-shaped stored event arguments by the ABI");
    return repaired;
  }
  let repair: Promise<number> | undefined;

  async function checkpoint() {
    return db.prisma.checkpoint.findUnique({ where: { name } });
  }

  /** Rolls back to the newest kept block that is still canonical; returns the block rolled back to. */
  async function rollBack(fromBlock: bigint): Promise<bigint> {
    const kept = await db.prisma.indexedBlock.findMany({
      where: { number: { lte: fromBlock } },
      orderBy: { number: "desc" },
    });
    let ancestor: { number: bigint; hash: string } | undefined;
    for (const block of kept) {
      if ((await blockHash(block.number)) === block.hash) {
        ancestor = block;
        break;
      }
    }
    const to = ancestor?.number ?? BigInt(startBlock) - 1n;
    await db.prisma.$transaction(async (tx) => {
      const { count } = await tx.chainEvent.deleteMany({ where: { blockNumber: { gt: to } } });
      await tx.consumedEvidence.deleteMany({ where: { blockNumber: { gt: to } } });
      await tx.indexedBlock.deleteMany({ where: { number: { gt: to } } });
      if (ancestor) {
        await tx.checkpoint.update({
          where: { name },
          data: { blockNumber: ancestor.number, blockHash: ancestor.hash },
        });
      } else {
        await tx.checkpoint.deleteMany({ where: { name } });
      }
      logger.warn(
        { from: fromBlock.toString(), to: to.toString(), eventsDropped: count },
        "chain reorganised: rolled back",
      );
    });
    metrics.indexerReorgs.inc();
    return to;
  }

  /**
   * The range of the next step and its logs, read so that they belong to one chain: the last block's hash is the same
   * before and after the logs are read, and the checkpoint block is still canonical after. Undefined when caught up.
   */
  async function readStep() {
    for (let attempt = 1; ; attempt++) {
      const target = (await headNumber()) - confirmations;
      let cp = await checkpoint();
      if (cp && (await blockHash(cp.blockNumber)) !== cp.blockHash) {
        await rollBack(cp.blockNumber);
        cp = await checkpoint();
      }
      const from = cp ? Number(cp.blockNumber) + 1 : startBlock;
      if (from > target) return undefined;
      const to = Math.min(target, from + maxBlocksPerStep - 1);
      const toHash = await blockHash(to);
      if (!toHash) throw new Error(`block ${to} is not available from the node`);
      const logs = await readLogs(from, to);
      const [toHashAfter, cpHashAfter] = await Promise.all([blockHash(to), cp ? blockHash(cp.blockNumber) : undefined]);
      if (toHashAfter === toHash && cpHashAfter === cp?.blockHash) return { from, to, toHash, logs };
      if (attempt === READ_ATTEMPTS) {
        throw new Error(`the chain reorganised while blocks ${from}-${to} were read, ${READ_ATTEMPTS} times in a row`);
      }
      logger.info({ from, to }, "chain reorganised while reading a step; reading again");
    }
  }

  /** Indexes one step; returns the number of blocks covered (0 when caught up). */
  async function step(): Promise<number> {
    repair ??= repairStoredArgs().catch((error) => {
      repair = undefined;
      throw error;
    });
    await repair;
    const read = await readStep();
    if (!read) return 0;
    const { from, to, toHash, logs } = read;
    const events = logs.map(parse).filter((event): event is IndexedEvent => event !== undefined);
    await withLeafIndexes(events);
    // Only the blocks the prune below keeps: a long step of sparse events would otherwise write a row per block only
    // to delete most of them in the same transaction.
    const oldestKept = BigInt(to - keepBlocks);
    const blocks = new Map<bigint, string>([[BigInt(to), toHash]]);
    for (const event of events) if (event.blockNumber >= oldestKept) blocks.set(event.blockNumber, event.blockHash);

    await db.prisma.$transaction(async (tx) => {
      await storeStep(tx, events, blocks);
      await tx.checkpoint.upsert({
        where: { name },
        create: { name, blockNumber: BigInt(to), blockHash: toHash },
        update: { blockNumber: BigInt(to), blockHash: toHash },
      });
      await tx.indexedBlock.deleteMany({ where: { number: { lt: oldestKept } } });
    });
    metrics.indexedBlock.set(to);
    if (events.length > 0) {
      logger.debug({ from, to, events: events.length }, "indexed events");
      await onEvents?.(events);
    }
    return to - from + 1;
  }

  const worker = createLoop(
    async () => (await step()) > 0,
    (error) => logger.warn({ error: (error as Error).message }, "indexer step failed; will retry"),
  );

  return {
    step,
    checkpoint,
    repairStoredArgs,

    /** Indexes until caught up with head − confirmations. */
    async catchUp(): Promise<void> {
      while ((await step()) > 0) {
        // next chunk
      }
    },

    start: (pollIntervalMs: number) => worker.start(pollIntervalMs),
    poke: () => worker.poke(),
    stop: () => worker.stop(),
  };
}

export type Indexer = ReturnType<typeof createIndexer>;
