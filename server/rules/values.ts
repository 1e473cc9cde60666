import { z } from "zod";
import { Bps, expected } from "../../domain/schema";

// Rates in basis points and the "is required" message are the domain's (domain/schema.ts), shared with the API.
export { Bps, expected };

/**
 * Value schemas shared by the rules: money in fen and time in seconds arrive as bigints from the chain, as decimal
 * strings from JSON and as plain numbers from hand-written tests; all become bigints. Rates are basis points (numbers).
 */

const DECIMAL = /^(0|[1-9][0-9]*)$/;

function wholeNumber(what: string) {
  return z
    .union(
      [z.bigint(), z.int(), z.string().regex(DECIMAL, { message: `must be ${what} as a decimal string of digits` })],
      expected(`must be ${what} as a bigint, a safe integer or a decimal string`),
    )
    .transform((value) => BigInt(value))
    .pipe(z.bigint().nonnegative({ message: `must be ${what}, not negative` }));
}

/** An amount of money: a whole number of fen (CNY minor unit), never negative. */
export const Fen = wholeNumber("a whole number of fen");

/** A chain timestamp: whole seconds since the Unix epoch. */
export const Seconds = wholeNumber("whole seconds since the epoch");

/** A point in time as a Date or an ISO 8601 date-time with offset. */
export const Instant = z.union(
  [z.date(), z.iso.datetime({ offset: true }).transform((text) => new Date(text))],
  expected("must be a Date or an ISO 8601 date-time"),
);

/** The same value with every bigint as a decimal string and every Date as ISO 8601, ready for JSON.stringify. */
export type Json<T> = T extends bigint
  ? string
  : T extends Date
    ? string
    : T extends Array<infer U>
      ? Json<U>[]
      : T extends object
        ? { [K in keyof T]: Json<T[K]> }
        : T;

/** Converts bigints to decimal strings and Dates to ISO strings, recursively, so a value can be stored as JSON. */
export function toJson<T>(value: T): Json<T> {
  return convert(value) as Json<T>;
}

function convert(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(convert);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, convert(v)]),
    );
  }
  return value;
}

/** `path: message; path: message` for a zod failure, with the path written as `targets.1.threshold`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length === 0 ? "(root)" : issue.path.map(String).join(".")}: ${issue.message}`)
    .join("; ");
}

/** A missing field says so, instead of zod's "expected string, received undefined". */
export const requiredMessage: z.core.$ZodErrorMap = (issue) =>
  issue.code === "invalid_type" && issue.input === undefined ? "is required" : undefined;

/** Thrown when an input to a rule does not validate; `issues` lists every problem. */
export class RulesInputError extends Error {
  readonly issues: Array<{ path: string; message: string }>;

  constructor(what: string, error: z.ZodError) {
    super(`invalid ${what}: ${describeIssues(error)}`);
    this.name = "RulesInputError";
    this.issues = error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
  }
}

/** Parses `value` with `schema`, or throws a {@link RulesInputError} naming `what` and every issue. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value, { error: requiredMessage });
  if (!result.success) throw new RulesInputError(what, result.error);
  return result.data;
}
