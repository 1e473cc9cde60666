/** Fen (a decimal string, exact) → "¥10,000,000.00", with BigInt arithmetic only: no floating point. */
export function cny(fen: string | number | bigint | null | undefined): string {
  if (fen === null || fen === undefined || fen === "") return "—";
  let value: bigint;
  try {
    value = BigInt(fen);
  } catch {
    return String(fen);
  }
  const negative = value < 0n;
  if (negative) value = -value;
  const yuan = (value / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const cents = (value % 100n).toString().padStart(2, "0");
  return `${negative ? "-" : ""}¥${yuan}.${cents}`;
}

/** Fen → yuan as a number, only for chart geometry (sizes of Sankey links); labels use cny(). */
export const yuanNumber = (fen: string | bigint): number => Number(BigInt(fen) / 100n);

export { pct } from "./format";

export const shortAddress = (a: string) => (a && a.length > 12 ? `${a.slice(0, 6)}…${a.slice(-4)}` : a);

/**
 * "1,234.56", "¥1234.5" or "1234" (yuan, at most two decimals) → fen as a decimal string, exactly: digits and string
 * arithmetic only, no floating point. null for anything else (empty, negative, three decimals, letters).
 */
export function parseCny(text: string): string | null {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(
    text
      .trim()
      .replace(/^[¥￥]\s*/, "")
      .replace(/[,，\s]/g, ""),
  );
  if (!m) return null;
  return (BigInt(m[1]) * 100n + BigInt((m[2] ?? "").padEnd(2, "0"))).toString();
}
