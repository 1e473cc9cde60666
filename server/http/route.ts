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

/**
 * The route with `guard` run on the parsed inputs before its handler: an authorization that needs them (the facility
 * or document a path names), declared once beside the route instead of as each handler's first line.
 */
export function guardRoute<P, Q, B, H>(
  guard: (ctx: HandlerContext<P, Q, B, H>) => unknown,
  route: RouteDef<P, Q, B, H>,
): RouteDef<P, Q, B, H> {
  return {
    ...route,
    handler: async (ctx) => {
      await guard(ctx);
      return route.handler(ctx);
    },
  };
}

/** The answers of a route that queues a chain write and waits a while for it: 200 once on chain, 202 while on its way. */
export const chainWriteResponses = (schema: ZodType, onChain: string, onItsWay = "on its way") => ({
  200: { description: onChain, schema },
  202: { description: onItsWay, schema },
});

/** The answers of a route that creates something by a chain write: 201 once on chain, 202 while on its way. */
export const chainCreateResponses = (schema: ZodType, onChain: string, onItsWay: string) => ({
  201: { description: onChain, schema },
  202: { description: onItsWay, schema },
});

/** The answer to a queued chain write: 200 when its transaction landed in the wait, 202 while it is on its way. */
export const chainWriteAnswer = (txHash: string | null | undefined, body: unknown): HandlerResult => ({
  status: txHash ? 200 : 202,
  body,
});

/** Shared schema pieces: the domain's (domain/schema.ts), shared with the CLI and the dashboard. */
export {
  CreditCode,
  FacilityId,
  Hex32,
  NO_CONTROL_CHARACTERS,
  QueryInteger,
  Text,
  UintString,
} from "../../domain/schema";
