/**
 * Money and rates, one set of rules for the server, the CLI and the dashboard. Money is a whole number of fen (1 CNY =
 * 100 fen), sent by the API as a decimal string; people type and read CNY with thousands separators. Parsing is exact,
 * on the digits, never through floating point: "0.1" is 10 fen, not 10.000…02. Rates and shares are basis points.
 */

/** Thrown when a typed amount is not a CNY or fen amount; the message says what is wrong with it. */
export class AmountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AmountError";
  }
}

/** Whole digits with separators every three digits (the full-width ， a Chinese keyboard types counts as one). */
const GROUPED = /^\d{1,3}(,\d{3})+$/;
const PLAIN = /^\d+$/;

/**
 * Parses a CNY amount ("10,000,000.00", "10000000", "4,000.5", "¥12.30", "CNY 12.30") into fen. Thousands separators
 * are optional but must group by three ("1,00" is refused: is it 100 or 1.00?); at most two decimals, since a fen is
 * the smallest amount.
 */
export function parseCny(input: string): bigint {
  const text = input
    .trim()
    .replace(/^(CNY|RMB|¥|￥)\s*/i, "")
    .trim()
    .replace(/，/g, ",");
  if (text === "") throw new AmountError("is empty: give a CNY amount like 10,000,000.00");
  if (text.startsWith("-")) throw new AmountError(`"${input}" is negative: amounts are 0 or more`);
  const [whole, fraction, ...rest] = text.split(".");
  if (rest.length > 0) throw new AmountError(`"${input}" has more than one decimal point`);
  if (!PLAIN.test(whole) && !GROUPED.test(whole)) {
    throw new AmountError(
      whole.includes(",")
        ? `"${input}" groups its digits wrongly: thousands separators go every three digits (10,000,000.00)`
        : `"${input}" is not a CNY amount like 10,000,000.00`,
    );
  }
  if (fraction !== undefined && !PLAIN.test(fraction)) {
    throw new AmountError(`"${input}" is not a CNY amount like 10,000,000.00`);
  }
  if (fraction !== undefined && fraction.length > 2) {
    throw new AmountError(`"${input}" has more than 2 decimals: the smallest amount is 0.01 CNY (1 fen)`);
  }
  return BigInt(whole.replace(/,/g, "")) * 100n + BigInt((fraction ?? "").padEnd(2, "0"));
}

/** Parses an amount already in fen: whole digits only ("1000000000"). */
export function parseFen(input: string): bigint {
  const text = input.trim();
  if (!PLAIN.test(text)) throw new AmountError(`"${input}" is not a whole number of fen`);
  return BigInt(text);
}

/** Fen split into sign, whole yuan and the two decimals. */
function parts(fen: bigint | string | number): { sign: string; yuan: bigint; cents: string } {
  const value = BigInt(fen);
  const abs = value < 0n ? -value : value;
  return { sign: value < 0n ? "-" : "", yuan: abs / 100n, cents: (abs % 100n).toString().padStart(2, "0") };
}

const grouped = (yuan: bigint) => yuan.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** Fen (bigint, or a decimal string as the API sends it) as CNY: 1000000000 → "10,000,000.00". */
export function formatFen(fen: bigint | string | number): string {
  const { sign, yuan, cents } = parts(fen);
  return `${sign}${grouped(yuan)}.${cents}`;
}

/** Fen as CNY with its unit, as the nodes write amounts into messages: 1000000000 → "10,000,000.00 CNY". */
export const formatCny = (fen: bigint | string | number): string => `${formatFen(fen)} CNY`;

/** Fen as plain yuan with two decimals and no separators, for CSV and machine-read files: 123405 → "1234.05". */
export function fenToCny(fen: bigint | string | number): string {
  const { sign, yuan, cents } = parts(fen);
  return `${sign}${yuan}.${cents}`;
}

/** Basis points as a percentage: 435 → "4.35%". */
export function formatBps(bps: number | string | bigint): string {
  return `${(Number(bps) / 100).toFixed(2)}%`;
}

/** `part / total` in basis points, rounded down as the contracts' ShareMath.shareBps, so a share is never overstated. */
export const shareBps = (part: bigint, total: bigint): number => (total === 0n ? 0 : Number((part * 10_000n) / total));
