/** fen → yuan with two decimals ("1234.05"): exact, no floating point. */
export function fenToCny(amount: bigint | string): string {
  const value = BigInt(amount);
  const sign = value < 0n ? "-" : "";
  const abs = value < 0n ? -value : value;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
}

/** `part / total` in basis points, rounded down as the contracts' ShareMath.shareBps, so a share is never overstated. */
export const shareBps = (part: bigint, total: bigint): number => (total === 0n ? 0 : Number((part * 10_000n) / total));
