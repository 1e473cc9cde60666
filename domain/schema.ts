import { z } from "zod";

/** Schema pieces the API's requests and responses share (server/http/route.ts re-exports them for the routes). */

export const Hex32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, { message: "must be 0x followed by 64 hex digits" })
  .transform((value) => value.toLowerCase());

/**
 * A non-negative integer as decimal digits in a string, or as a JSON number while that is exact (up to 2^53 - 1: a
 * larger one has lost digits in JSON.parse before it gets here), parsed to bigint (ids and fen amounts).
 */
export const UintString = z
  .union(
    [
      z
        .string()
        .trim()
        .regex(/^[0-9]{1,30}$/, { message: "must be a non-negative integer written in decimal digits" }),
      // multipleOf(1) rather than int(), which would refuse 2^53 and above as "not whole"; the document says integer.
      z
        .number()
        .nonnegative({ message: "must not be negative" })
        .multipleOf(1, { message: "must be a whole number" })
        .max(Number.MAX_SAFE_INTEGER, {
          message: "is over 2^53 - 1, where a JSON number loses digits: send it as a string of decimal digits",
        })
        // multipleOf compares with a float tolerance and lets a denormal such as 7e-323 through, which BigInt refuses.
        .refine(Number.isInteger, { message: "must be a whole number" })
        .meta({ type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    ],
    { message: "must be a non-negative integer: decimal digits in a string, or a JSON number" },
  )
  .transform((value) => BigInt(value));

/**
 * A facility id. The contract's ids are uint64 counted up from 1, but both databases store them as a signed 64-bit
 * BIGINT, so the API takes 1 … 2^63 - 1: a larger id cannot exist yet and would fail in the database, not here.
 */
export const FacilityId = UintString.refine((value) => value > 0n && value < 2n ** 63n, {
  message: "must be between 1 and 2^63 - 1",
});

/** No control characters other than tab and line breaks: PostgreSQL cannot store NUL, and none of them is text. */
export const NO_CONTROL_CHARACTERS = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$/;
/** Half of a UTF-16 surrogate pair without its other half: not Unicode, and stored as U+FFFD it would change. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Free text a person writes (a name, a reason, findings): at most `max` characters of text, then trimmed, at least
 * `min` (in that order, so the OpenAPI document's maxLength and pattern hold for what is sent).
 */
export function Text(max: number, { min = 1 }: { min?: number } = {}) {
  return z
    .string()
    .max(max)
    .regex(NO_CONTROL_CHARACTERS, { message: "must not contain control characters" })
    .refine((value) => !LONE_SURROGATE.test(value), { message: "must be well-formed Unicode (no lone surrogate)" })
    .trim()
    .min(min);
}

/**
 * A whole number in a query string, `min` to `max`, in decimal digits (z.coerce.number() would also read "", " ",
 * "1e2" and "0x10" as numbers).
 */
export function QueryInteger(min: number, max: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.preprocess(
    (value) => (typeof value === "string" && /^[0-9]{1,9}$/.test(value) ? Number(value) : value),
    z.int({ message }).min(min, { message }).max(max, { message }),
  );
}

/** A schema's own message for a wrong value that still says "is required" when the value is missing. */
export function expected(message: string) {
  return { error: (issue: { input?: unknown }) => (issue.input === undefined ? "is required" : message) };
}

/** A rate or share in basis points, 0 to 10,000 (the contract's bound). */
export const Bps = z
  .int(expected("must be a whole number of basis points"))
  .min(0, { message: "must be at least 0 bps" })
  .max(10_000, { message: "must be at most 10000 bps" });

/**
 * A unified social credit code (统一社会信用代码): 18 digits and capital letters. Written as people copy it, so
 * spaces anywhere are dropped and letters upper-cased first: " 91330200ma2h8k3x1y" and "91330200MA2H8K3X1Y" are one
 * firm, which is how duplicates are found.
 */
export const CreditCode = z
  .string()
  // What is sent: 18 letters and digits in either case, spaces anywhere (the document's pattern says so)…
  .regex(/^\s*(?:[0-9A-Za-z]\s*){18}$/, { message: "must be an 18-character unified social credit code" })
  // …and what is kept: without the spaces, in upper case.
  .overwrite((value) => value.replace(/\s+/g, "").toUpperCase());
