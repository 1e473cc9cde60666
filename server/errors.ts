import type { ErrorRequestHandler } from "express";
import type { Logger } from "pino";
import { ZodError } from "zod";
import type { Problem } from "../domain/api/problem";
import { isDatabaseUnavailable } from "./db/errors";

/** Problem details (RFC 9457) as the API renders them: the domain's (domain/api/problem.ts), shared with the CLI. */
export type { Problem };

/**
 * Every error the API reports: an HTTP status, a stable machine-readable code, a message that says what is wrong,
 * and whether retrying the same request can succeed.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly options: {
      retryable?: boolean;
      /** sent as Retry-After: when the client should try again */
      retryAfterSeconds?: number;
      /** sent as WWW-Authenticate (RFC 9110 §11.6.1) with a 401: how to authenticate */
      challenge?: string;
      errors?: Problem["errors"];
      extensions?: Record<string, unknown>;
    } = {},
  ) {
    super(message);
    this.name = "AppError";
  }

  get retryable(): boolean {
    return this.options.retryable ?? this.status >= 500;
  }
}

export const badRequest = (code: string, message: string, extensions?: Record<string, unknown>) =>
  new AppError(400, code, message, { extensions });
/**
 * A request without a usable API key. The challenge names the scheme (RFC 6750): `Bearer realm="qfm"`, with
 * `error="invalid_token"` when a key was sent and refused (unknown, revoked, or not in the Bearer form).
 */
export const unauthorized = (message: string, refused = false) =>
  new AppError(401, "unauthorized", message, {
    challenge: `Bearer realm="qfm"${refused ? ', error="invalid_token"' : ""}`,
  });
export const forbidden = (message: string) => new AppError(403, "forbidden", message);
export const notFound = (what: string) => new AppError(404, "not_found", `${what} was not found`);
export const conflict = (code: string, message: string, extensions?: Record<string, unknown>) =>
  new AppError(409, code, message, { extensions });
export const unprocessable = (code: string, message: string, extensions?: Record<string, unknown>) =>
  new AppError(422, code, message, { extensions });
export const unavailable = (code: string, message: string, retryAfterSeconds = 1) =>
  new AppError(503, code, message, { retryable: true, retryAfterSeconds });

/** A zod failure as a 400 listing each offending field. */
export function validationFailed(error: ZodError, where: string): AppError {
  const errors = error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  const summary = errors.map((e) => `${e.path}: ${e.message}`).join("; ");
  return new AppError(400, "validation_failed", `invalid request: ${summary}`, { errors });
}

/** `FacilityIsFrozen` → `facility_is_frozen`: a contract's custom error and the API share one code. */
export function codeOfContractError(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

export function toProblem(error: AppError, instance?: string): Problem {
  return {
    type: `https://qfm.example/problems/${error.code}`,
    title: TITLES[error.status] ?? "Error",
    status: error.status,
    code: error.code,
    detail: error.message,
    retryable: error.retryable,
    ...(instance ? { instance } : {}),
    ...(error.options.errors ? { errors: error.options.errors } : {}),
    ...error.options.extensions,
  };
}

/** Errors thrown by Express's own parsers, by multer and by the database client, turned into the API's codes. */
function fromFrameworkError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof ZodError) return validationFailed(error, "request");
  // A database restart or failover: the same request succeeds once the database is back.
  if (isDatabaseUnavailable(error)) {
    return unavailable("database_unavailable", "the database did not answer; try again shortly");
  }
  const e = error as { type?: string; status?: number; code?: string; message?: string; field?: string; name?: string };
  if (e.type === "entity.too.large")
    return new AppError(413, "payload_too_large", "the request body is larger than the limit");
  if (e.type === "entity.parse.failed") return badRequest("malformed_json", "the request body is not valid JSON");
  if (e.type === "encoding.unsupported" || e.type === "charset.unsupported") {
    return new AppError(415, "unsupported_encoding", e.message ?? "unsupported content encoding");
  }
  if (e.name === "MulterError") {
    if (e.code === "LIMIT_FILE_SIZE")
      return new AppError(413, "file_too_large", "the uploaded file is larger than the limit");
    return badRequest(
      "invalid_multipart",
      `invalid multipart upload: ${e.message}${e.field ? ` (field ${e.field})` : ""}`,
    );
  }
  if (
    typeof e.message === "string" &&
    /Multipart: Boundary not found|Unexpected end of form|Malformed part header/i.test(e.message)
  ) {
    return badRequest("invalid_multipart", `invalid multipart upload: ${e.message}`);
  }
  if (typeof e.status === "number" && e.status >= 400 && e.status < 500) {
    return new AppError(e.status, "bad_request", e.message ?? "bad request");
  }
  return undefined;
}

/** The one Express error handler: problem+json out, structured log line in. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const known = fromFrameworkError(error);
    // An error nobody anticipated is not known to be transient: a client that retries it gets the same answer.
    const appError =
      known ??
      new AppError(500, "internal_error", "an unexpected error occurred; it has been logged", { retryable: false });
    const log = appError.status >= 500 ? logger.error.bind(logger) : logger.info.bind(logger);
    log(
      {
        // Server-side failures keep their cause in the log (a known 503 wraps the error that caused it).
        err: known && appError.status < 500 ? undefined : error,
        code: appError.code,
        status: appError.status,
        method: req.method,
        path: req.path,
      },
      appError.message,
    );
    if (res.headersSent) return;
    if (appError.options.retryAfterSeconds !== undefined) {
      res.setHeader("retry-after", String(appError.options.retryAfterSeconds));
    }
    if (appError.options.challenge !== undefined) res.setHeader("www-authenticate", appError.options.challenge);
    res
      .status(appError.status)
      .type("application/problem+json")
      .send(JSON.stringify(toProblem(appError, req.originalUrl)));
  };
}
