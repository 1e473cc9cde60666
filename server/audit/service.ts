import { blockHashOfEventId, createBlockTimes, type BlockTimes, type RpcSender } from "../chain/block-times";
import type { Database } from "../db/client";
import { readEvents } from "../indexer/read";
import { AUDIT_EVENT_NAMES, buildAuditReport, type AuditEvent, type AuditReport } from "./report";

export type { RpcSender };

/** The indexed events the report reads, oldest first, from a node's ChainEvent table. */
export function readAuditEvents(db: Database): Promise<AuditEvent[]> {
  return readEvents(db, { names: [...AUDIT_EVENT_NAMES] });
}

/**
 * Block timestamps from the node's block headers (server/chain/block-times.ts: the node's chain's cache, or one of its
 * own over `source`). A header is fetched by the hash the indexer recorded (the event id is `<blockHash>:<logIndex>`),
 * so a cached time can never belong to another fork's block of the same number.
 */
export function createBlockClock(source: RpcSender | BlockTimes, { maxCached = 100_000 } = {}) {
  // Built on first use: route definitions are read (openapi, the authorization matrix) without a chain behind them.
  let times: BlockTimes | undefined;
  const blockTimes = () => (times ??= "many" in source ? source : createBlockTimes(source, { maxCached }));
  return {
    /** Unix seconds by decimal block number, for the blocks of `events`; blocks the node no longer has are left out. */
    async timesOf(events: readonly AuditEvent[]): Promise<Record<string, number>> {
      const blocks = new Map<string, string>();
      for (const event of events) {
        const hash = blockHashOfEventId(event.id);
        if (hash) blocks.set(String(event.blockNumber), hash.toLowerCase());
      }
      const seconds = await blockTimes().many(blocks.values());
      const result: Record<string, number> = {};
      for (const [number, hash] of blocks) {
        const time = seconds.get(hash);
        if (time !== undefined) result[number] = time;
      }
      return result;
    },
  };
}

export type BlockClock = ReturnType<typeof createBlockClock>;

/** Every block the report points at (each `{ block, tx, … }` reference in it). */
function blocksOf(report: AuditReport): Set<string> {
  const blocks = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") {
      const record = value as Record<string, unknown>;
      if (typeof record.block === "string" && typeof record.tx === "string") blocks.add(record.block);
      Object.values(record).forEach(walk);
    }
  };
  walk(report);
  return blocks;
}

/**
 * The facility's report from `events`, dated from the block headers when a clock is given: the events are read twice
 * (cheap and pure), first to learn which blocks the report needs, then with those blocks' times.
 */
export async function auditReportOf(
  events: readonly AuditEvent[],
  facilityId: bigint | string,
  clock?: BlockClock,
): Promise<AuditReport | null> {
  const draft = buildAuditReport(events, { facilityId });
  if (!draft || !clock) return draft;
  const blocks = blocksOf(draft);
  const blockTimes = await clock.timesOf(events.filter((event) => blocks.has(String(event.blockNumber))));
  return buildAuditReport(events, { facilityId, blockTimes });
}
