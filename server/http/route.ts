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

/** An uploaded file, held in memory until the service stores it. */
export interface UploadedFile {
  fieldName: string;
  originalName: string;
  mimeType: string;
  size: number;
  buffer: Buffer;
}

export interface HandlerContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
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
export interface RouteDef<P = unknown, Q = unknown, B = unknown> {
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
  /**
   * A multipart/form-data upload: a file field plus text fields validated by `body`. With `maxFiles` (> 1) the field
   * may repeat, up to that many files and `maxBytes` in all; the handler gets them as `files`.
   */
  upload?: { fileField: string; description: string; maxFiles?: number; maxBytes?: number };
  responses: Record<number, ResponseSpec>;
  handler: (ctx: HandlerContext<P, Q, B>) => Promise<HandlerResult>;
}

/** Typed constructor for a route (infers P, Q, B from the schemas). */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined>(
  route: RouteDef<P, Q, B>,
): RouteDef<P, Q, B> {
  return route;
}

/** Shared schema pieces. */
export const Hex32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, { message: "must be 0x followed by 64 hex digits" })
  .transform((value) => value.toLowerCase());

/** A decimal string or integer of a non-negative integer, parsed to bigint (ids and fen amounts). */
export const UintString = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const text = String(value).trim();
  if (!/^\d{1,30}$/.test(text)) {
    ctx.addIssue({ code: "custom", message: "must be a non-negative integer written in decimal digits" });
    return z.NEVER;
  }
  return BigInt(text);
});

/**
 * A facility id. The contract's ids are uint64 counted up from 1, but both databases store them as a signed 64-bit
 * BIGINT, so the API takes 1 … 2^63 - 1: a larger id cannot exist yet and would fail in the database, not here.
 */
export const FacilityId = UintString.refine((value) => value > 0n && value < 2n ** 63n, {
  message: "must be between 1 and 2^63 - 1",
});
