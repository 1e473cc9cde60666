/**
 * Block timestamps, read once per block and kept in a bounded cache keyed by the block's hash: a time cached for one
 * fork's block can never be answered for another fork's block of the same number (a reorganisation), and a node that
 * reads many blocks keeps at most `maxCached` of them (least recently used first out). Every reader of block times on
 * the server uses it (audit/, facilities/, regulator/).
 */

/** The part of a JSON-RPC provider it needs (an ethers JsonRpcProvider, or Hardhat's). */
export interface RpcSender {
  send(method: string, params: unknown[]): Promise<any>;
}

/** JSON-RPC providers batch concurrent requests; each wave stays under any node's batch limit. */
const WAVE = 20;

/** The block hash of an indexed event's id (`<blockHash>:<logIndex>`, server/indexer/indexer.ts), if it is one. */
export const blockHashOfEventId = (id: string): string | undefined => /^(0x[0-9a-fA-F]{64}):\d+$/.exec(id)?.[1];

export function createBlockTimes(provider: RpcSender, { maxCached = 10_000 } = {}) {
  const cache = new Map<string, number>();

  function remember(hash: string, seconds: number) {
    cache.delete(hash);
    cache.set(hash, seconds);
    // A Map iterates in insertion order: the first key is the least recently used.
    while (cache.size > maxCached) cache.delete(cache.keys().next().value!);
  }

  function cached(hash: string): number | undefined {
    const seconds = cache.get(hash);
    if (seconds !== undefined) remember(hash, seconds);
    return seconds;
  }

  /** Unix seconds of the block with this hash; undefined when the node does not have it (any more). */
  async function at(blockHash: string): Promise<number | undefined> {
    const hash = blockHash.toLowerCase();
    const known = cached(hash);
    if (known !== undefined) return known;
    const block = (await provider.send("eth_getBlockByHash", [hash, false])) as { timestamp?: string } | null;
    if (block?.timestamp === undefined) return undefined;
    const seconds = Number(BigInt(block.timestamp));
    remember(hash, seconds);
    return seconds;
  }

  /** Unix seconds by block hash for several blocks (fetched in small waves); blocks the node lacks are left out. */
  async function many(blockHashes: Iterable<string>): Promise<Map<string, number>> {
    const hashes = [...new Set([...blockHashes].map((hash) => hash.toLowerCase()))];
    const times = new Map<string, number>();
    for (let i = 0; i < hashes.length; i += WAVE) {
      const wave = hashes.slice(i, i + WAVE);
      const seconds = await Promise.all(wave.map(at));
      wave.forEach((hash, j) => seconds[j] !== undefined && times.set(hash, seconds[j]!));
    }
    return times;
  }

  /** The time of a block that must exist (an event's or a receipt's): a block the node lacks is an error. */
  async function of(blockHash: string): Promise<number> {
    const seconds = await at(blockHash);
    if (seconds === undefined) throw new Error(`the chain node has no block ${blockHash}`);
    return seconds;
  }

  return { at, of, many, size: () => cache.size };
}

export type BlockTimes = ReturnType<typeof createBlockTimes>;
