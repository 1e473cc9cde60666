import { DAY } from "./constants";

/** Basis points times the seconds of a 360-day year: the ACT/360 denominator. */
export const ACT360_DENOMINATOR = 10_000n * 360n * DAY;

/**
 * Simple ACT/360 interest in fen for one rate segment, rounded down: `principal * bps * seconds / (10_000 * 360 * 86_400)`.
 * Written out from DESIGN.md rather than read from the contract, so the tests check the contract against the convention.
 */
export function act360(principal: bigint, rateBps: bigint | number, seconds: bigint): bigint {
  return (principal * BigInt(rateBps) * seconds) / ACT360_DENOMINATOR;
}
