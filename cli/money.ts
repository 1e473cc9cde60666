/**
 * Money on the command line. The API counts in fen (1 CNY = 100 fen) as decimal strings; people type and read CNY with
 * thousands separators. Parsing is exact, on the digits, never through floating point: "0.1" is 10 fen, not 10.000…02.
 */

/** Thrown when a typed amount is not a CNY or fen amount; the message says what is wrong with it. */
export class AmountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AmountError";
  }
}

const GROUPED = /^\d{1,3}(,\d{3})+$/;
const PLAIN = /^\d+$/;

/**
 * Parses a CNY amount ("10,000,000.00", "10000000", "4,000.5", "¥12.30", "CNY 12.30") into fen. Thousands separators
 * are optional but must group by three; at most two decimals, since a fen is the smallest amount.
 */
export function parseCny(input: string): bigint {
  const text = input
    .trim()
    .replace(/^(CNY|RMB|¥|￥)\s*/i, "")
    .trim();
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

/** Fen (bigint, or a decimal string as the API sends it) as CNY: 1000000000 → "10,000,000.00". */
export function formatFen(fen: bigint | string | number): string {
  const value = BigInt(fen);
  const sign = value < 0n ? "-" : "";
  const abs = value < 0n ? -value : value;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}${whole}.${(abs % 100n).toString().padStart(2, "0")}`;
}

/** Basis points as a percentage: 435 → "4.35%". */
export function formatBps(bps: number | string): string {
  const value = Number(bps);
  return `${(value / 100).toFixed(2)}%`;
}
