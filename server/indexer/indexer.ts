import { Interface, getAddress, toQuantity } from "ethers";
import type { Logger } from "pino";
import { EvidenceRegistry__factory, FacilityManager__factory, PayeeRegistry__factory } from "../../typechain-types";
import type { Chain } from "../chain/chain";
import type { Database } from "../db/client";
import type { Metrics } from "../http/metrics";

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

/** Event arguments as JSON-safe values: bigints as decimal strings, structs as objects, arrays kept. */
function plain(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) {
    const named = value as unknown as { toObject?: (deep?: boolean) => Record<string, unknown> };
    if (typeof named.toObject === "function") {
      try {
        const object = named.toObject(false);
        if (Object.keys(object).length > 0 && !Object.keys(object).every((key) => /^\d+$/.test(key))) {
          return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, plain(item)]));
        }
      } catch {
        // unnamed members: keep it as an array
      }
    }
    return Array.from(value, plain);
  }
  return value;
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
  const byAddress = new Map(contracts.map((c) => [c.address.toLowerCase(), c]));
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

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

  async function readLogs(from: number, to: number): Promise<RpcLog[]> {
    return chain.provider.send("eth_getLogs", [
      { address: contracts.map((c) => c.address), fromBlock: toQuantity(from), toBlock: toQuantity(to) },
    ]);
  }

  function parse(log: RpcLog): IndexedEvent | undefined {
    const source = byAddress.get(log.address.toLowerCase());
    const parsed = source?.iface.parseLog({ topics: log.topics, data: log.data });
    if (!source || !parsed) return undefined;
    const args: Record<string, unknown> = {};
    parsed.fragment.inputs.forEach((input, i) => {
      args[input.name || String(i)] = plain(parsed.args[i]);
    });
    const logIndex = Number(log.logIndex);
    return {
      id: `${log.blockHash}:${logIndex}`,
      blockNumber: BigInt(log.blockNumber),
      blockHash: log.blockHash,
      txHash: log.transactionHash,
      logIndex,
      address: getAddress(log.address),
      contract: source.contract,
      name: parsed.name,
      args,
    };
  }

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
    const read = await readStep();
    if (!read) return 0;
    const { from, to, toHash, logs } = read;
    const events = logs.map(parse).filter((event): event is IndexedEvent => event !== undefined);
    const blocks = new Map<bigint, string>([[BigInt(to), toHash]]);
    for (const event of events) blocks.set(event.blockNumber, event.blockHash);

    await db.prisma.$transaction(async (tx) => {
      if (events.length > 0) {
        await tx.chainEvent.createMany({
          data: events.map((event) => ({
            id: event.id,
            blockNumber: event.blockNumber,
            blockHash: event.blockHash,
            txHash: event.txHash,
            logIndex: event.logIndex,
            address: event.address,
            name: event.name,
            args: JSON.stringify(event.args),
          })),
        });
      }
      for (const [number, hash] of blocks) {
        await tx.indexedBlock.upsert({ where: { number }, create: { number, hash, parentHash: "" }, update: { hash } });
      }
      await tx.checkpoint.upsert({
        where: { name },
        create: { name, blockNumber: BigInt(to), blockHash: toHash },
        update: { blockNumber: BigInt(to), blockHash: toHash },
      });
      await tx.indexedBlock.deleteMany({ where: { number: { lt: BigInt(to - keepBlocks) } } });
    });
    metrics.indexedBlock.set(to);
    if (events.length > 0) {
      logger.debug({ from, to, events: events.length }, "indexed events");
      await onEvents?.(events);
    }
    return to - from + 1;
  }

  return {
    step,
    checkpoint,

    /** Indexes until caught up with head − confirmations. */
    async catchUp(): Promise<void> {
      while ((await step()) > 0) {
        // next chunk
      }
    },

    start(pollIntervalMs: number): void {
      if (running) return;
      running = true;
      loop = (async () => {
        while (running) {
          let covered = 0;
          try {
            covered = await step();
          } catch (error) {
            logger.warn({ error: (error as Error).message }, "indexer step failed; will retry");
          }
          if (covered === 0 && running) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, pollIntervalMs);
            });
          }
        }
      })();
    },

    poke(): void {
      wake?.();
    },

    async stop(): Promise<void> {
      running = false;
      wake?.();
      await loop;
    },
  };
}

export type Indexer = ReturnType<typeof createIndexer>;

/** Reads indexed events back, oldest first. */
export async function readEvents(
  db: Database,
  where: { names?: string[]; fromBlock?: bigint } = {},
): Promise<Array<{ id: string; name: string; blockNumber: bigint; txHash: string; args: Record<string, any> }>> {
  const rows = await db.prisma.chainEvent.findMany({
    where: {
      name: where.names ? { in: where.names } : undefined,
      blockNumber: where.fromBlock ? { gte: where.fromBlock } : undefined,
    },
    orderBy: [{ blockNumber: "asc" }, { logIndex: "asc" }],
  });
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    blockNumber: row.blockNumber,
    txHash: row.txHash,
    args: JSON.parse(row.args),
  }));
}
