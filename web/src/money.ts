/** Money in the dashboard: the domain's rules (domain/money.ts), shared with the nodes and the CLI. */
import { AmountError, formatBps, formatFen, parseCny as parseCnyFen, shareBps } from "../../domain/money";

/** `part / total` in basis points, rounded down as the contracts do. */
export const shareOf = shareBps;

/** Fen (a decimal string, exact) → "¥10,000,000.00"; "—" for no amount; anything that is not fen as it is. */
export function cny(fen: string | number | bigint | null | undefined): string {
  if (fen === null || fen === undefined || fen === "") return "—";
  let text: string;
  try {
    text = formatFen(fen);
  } catch {
    return String(fen);
  }
  return text.startsWith("-") ? `-¥${text.slice(1)}` : `¥${text}`;
}

/** Fen → yuan as a number, only for chart geometry (sizes of Sankey links); labels use cny(). */
export const yuanNumber = (fen: string | bigint): number => Number(BigInt(fen) / 100n);

/** Basis points as a percentage: 9850 → "98.50%"; "—" for no value. */
export const pct = (bps: number | string | null | undefined): string =>
  bps === null || bps === undefined || bps === "" ? "—" : formatBps(bps);

export const shortAddress = (a: string) => (a && a.length > 12 ? `${a.slice(0, 6)}…${a.slice(-4)}` : a);

/**
 * A typed CNY amount ("1,234.56", "¥1234.5", "1234") → fen as a decimal string, by the domain's one rule (separators
 * group by three, at most two decimals); null for anything else, with the reason in `parseCnyError`.
 */
export function parseCny(text: string): string | null {
  return parseCnyError(text) === null ? parseCnyFen(text).toString() : null;
}

/** Why a typed amount is not a CNY amount, or null when it is one. */
export function parseCnyError(text: string): string | null {
  try {
    parseCnyFen(text);
    return null;
  } catch (error) {
    if (error instanceof AmountError) return error.message;
    throw error;
  }
}
