import type { Request, Response } from "express";
import { z, type ZodType } from "zod";
import type { Principal, Role } from "../auth/roles";

export type Method = "get" | "post" | "put" | "patch" | "delete";

/** A response the API can give, for the OpenAPI document. */
export interface ResponseSpec {
  description: string;
  schema?: ZodType;
  /** Defaults to application/json when a schema is given. */
  contentType?: string;
}

/**
 * An uploaded file, streamed to a temporary file as it arrived (never held whole in memory): the service moves it into
 * the document store or leaves it, and it is removed once the request is answered.
 */
export interface UploadedFile {
  fieldName: string;
  originalName: string;
  mimeType: string;
  size: number;
  /** The temporary file holding the bytes. */
  path: string;
  /** sha256 of the bytes (0x-prefixed hex), computed while they streamed in. */
  contentHash: string;
  /** The first bytes (up to server/http/uploads.ts HEAD_BYTES), for the type check. */
  head: Buffer;
}

export interface HandlerContext<P, Q, B, H = unknown> {
  params: P;
  query: Q;
  body: B;
  /** The request headers `RouteDef.headers` validates (by their lower-case names). */
  headers: H;
  file?: UploadedFile;
  /** The files of an upload that takes several (`upload.maxFiles` > 1), in the order they were sent. */
  files?: UploadedFile[];
  principal: Principal | null;
  req: Request;
  res: Response;
}

/** What a handler returns: a JSON body (status 200 unless given), or nothing when it wrote the response itself. */
export type HandlerResult = { status?: number; body: unknown; headers?: Record<string, string> } | void;

/**
 * One API operation: its path, who may call it, the zod schemas of its inputs, its responses and its handler.
 * The same definition registers the Express route, drives the authorization matrix and generates the OpenAPI document.
 */
export interface RouteDef<P = unknown, Q = unknown, B = unknown, H = unknown> {
  method: Method;
  /** Express style: /documents/:id */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  /** Roles allowed, or "public" for unauthenticated access. */
  auth: readonly Role[] | "public";
  params?: ZodType<P>;
  query?: ZodType<Q>;
  body?: ZodType<B>;
  /** Request headers the route reads, by lower-case name; other headers pass through unchecked. */
  headers?: ZodType<H>;
  /**
   * A multipart/form-data upload: a file field plus text fields validated by `body`. With `maxFiles` (> 1) the field
   * may repeat, up to that many files and `maxBytes` in all; the handler gets them as `files`.
   */
  upload?: { fileField: string; description: string; maxFiles?: number; maxBytes?: number };
  responses: Record<number, ResponseSpec>;
  handler: (ctx: HandlerContext<P, Q, B, H>) => Promise<HandlerResult>;
}

/**
 * Typed constructor for a route (infers P, Q, B from the schemas). A request body names only fields the route knows:
 * an unknown one — a misspelt optional field such as "licenseHash", or a smuggled "__proto__" — is refused by name
 * rather than dropped without a word, and the OpenAPI document says so (additionalProperties: false).
 */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined, H = undefined>(
  route: RouteDef<P, Q, B, H>,
): RouteDef<P, Q, B, H> {
  return route.body instanceof z.ZodObject ? { ...route, body: route.body.strict() as unknown as ZodType<B> } : route;
}

/** Shared schema pieces. */
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
