import { getAddress } from "ethers";
import { EVIDENCE_KINDS, PAYEE_CATEGORIES, VERDICTS, enumName, kindsOfMask } from "../../domain/enums";
import type { ChainRef } from "./schema";

/**
 * A contract event as the indexer stores it (a ChainEvent row through `readEvents`): arguments by name, bigints as
 * decimal strings. `logIndex` may be omitted: it is then read from the indexer's id, `<blockHash>:<logIndex>`.
 */
export interface AuditEvent {
  id: string;
  name: string;
  blockNumber: bigint | string | number;
  txHash: string;
  logIndex?: number;
  args: Record<string, any>;
}

/** An event with its place on chain. */
export interface Positioned extends AuditEvent {
  block: bigint;
  position: number | null;
}

/** Writes one ledger line for an event. */
export type LineWriter = (
  event: Positioned,
  type: string,
  party: string,
  amount: bigint | null,
  details: string,
) => void;

/** The events by block and log index (a stable sort: events without a log index keep their order within a block). */
export function inChainOrder(events: readonly AuditEvent[]): Positioned[] {
  const list = events.map((event) => {
    const fromId = /:(\d+)$/.exec(event.id)?.[1];
    const position = event.logIndex ?? (fromId === undefined ? null : Number(fromId));
    return { ...event, block: BigInt(event.blockNumber), position };
  });
  return list.sort((a, b) =>
    a.block !== b.block ? (a.block < b.block ? -1 : 1) : (a.position ?? 0) - (b.position ?? 0),
  );
}

export type Category = (typeof PAYEE_CATEGORIES)[number];
export type Kind = (typeof EVIDENCE_KINDS)[number];

export const categoryOf = (value: unknown): Category => enumName(PAYEE_CATEGORIES, value, "payee category");
export const kindOf = (value: unknown): Kind => enumName(EVIDENCE_KINDS, value, "evidence kind");
export const verdictOf = (value: unknown) => enumName(VERDICTS, value, "verdict");
export { kindsOfMask };

export const hex = (value: unknown) => String(value).toLowerCase();
export const address = (value: unknown) => getAddress(String(value));
export const int = (value: unknown) => Number(value);
export const fen = (value: unknown) => BigInt(String(value));
export const isoOf = (seconds: number) => new Date(seconds * 1_000).toISOString();
export const yesNo = (value: unknown) => (value ? "yes" : "no");

/** A place on chain, dated when the block's time is known. */
export function chainRef(event: Positioned, times: ReadonlyMap<string, number>): ChainRef {
  const seconds = times.get(event.block.toString());
  return {
    block: event.block.toString(),
    tx: hex(event.txHash),
    logIndex: event.position,
    time: seconds === undefined ? null : isoOf(seconds),
  };
}
