import express, { type NextFunction, type Request, type Response } from "express";
import rateLimit, { MemoryStore, ipKeyGenerator } from "express-rate-limit";
import helmet from "helmet";
import os from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import { pinoHttp } from "pino-http";
import type { ApiKeys } from "../auth/api-keys";
import type { Principal, Role } from "../auth/roles";
import { AppError, forbidden, problemHandler, toProblem, unauthorized, validationFailed } from "../errors";
import type { Metrics } from "./metrics";
import { DOCS_HTML, DOCS_INIT_JS, buildOpenApi } from "./openapi";
import { NO_CONTROL_CHARACTERS, type RouteDef, type UploadedFile } from "./route";
import { limitUpload, removeUnfinishedUploads, removeUploads, uploadParser, type StreamedFile } from "./uploads";

export interface AppOptions {
  title: string;
  description: string;
  routes: RouteDef<any, any, any, any>[];
  apiKeys: ApiKeys;
  logger: Logger;
  metrics: Metrics;
  limits: {
    jsonBytes: number;
    uploadBytes: number;
    requestsPerMinute: number;
    /** Documents one API key may upload a minute (a bulk upload counts each); unlimited when not given. */
    uploadsPerMinute?: number;
  };
  /** Readiness: resolves when the node can serve (database and chain reachable), rejects with the reason otherwise. */
  ready: () => Promise<Record<string, unknown>>;
  /** Static files (the dashboard), served at / when given. */
  staticDir?: string;
  /** Extra handlers mounted after the API routes and before the static files (the dashboard's helpers). */
  mount?: (app: express.Express) => void;
  /** Where uploads stream to before the handler takes them (the document store's, so that storing is a rename). */
  uploadDir?: string;
}

const principalOf = new WeakMap<Request, Principal>();
/** Who may read /metrics. */
const METRICS_ROLES: readonly Role[] = ["bank_officer", "regulator"];
/** Why a request's credentials were refused: reported only by routes that need a key (public ones ignore them). */
const authFailureOf = new WeakMap<Request, string>();

/** Builds a node's HTTP API: security headers, limits, auth, validation, problem+json errors, OpenAPI, metrics. */
export function createApp(options: AppOptions): express.Express {
  const { routes, apiKeys, logger, metrics, limits } = options;
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", "loopback");
  // Amounts and chain numbers are bigint internally; JSON carries them as decimal strings.
  app.set("json replacer", (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
  app.use(helmet());
  app.use(
    pinoHttp({
      logger,
      redact: ["req.headers.authorization", "req.headers.cookie"],
      customLogLevel: (_req, res, error) =>
        error || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "info" : "debug",
    }),
  );
  app.use(express.json({ limit: limits.jsonBytes }));

  app.use((req, res, next) => {
    const end = metrics.httpDuration.startTimer({ method: req.method });
    res.on("finish", () =>
      end({ route: (req.route?.path as string | undefined) ?? "unmatched", status: String(res.statusCode) }),
    );
    next();
  });

  const openapi = buildOpenApi(routes, { title: options.title, description: options.description });
  app.get("/openapi.json", (_req, res) => void res.json(openapi));
  app.get("/docs", (_req, res) => void res.type("html").send(DOCS_HTML));
  app.get("/docs/init.js", (_req, res) => void res.type("application/javascript").send(DOCS_INIT_JS));
  app.use(
    "/docs/assets",
    express.static(path.dirname(require.resolve("swagger-ui-dist/package.json")), { index: false }),
  );
  app.get("/health", (_req, res) => void res.json({ status: "ok" }));
  app.get("/ready", async (_req, res) => {
    try {
      res.json({ status: "ready", ...(await options.ready()) });
    } catch (error) {
      const problem = toProblem(
        new AppError(503, "not_ready", (error as Error).message, { retryable: true }),
        "/ready",
      );
      res.status(503).type("application/problem+json").send(JSON.stringify(problem));
    }
  });

  // Authentication for everything below. A refused key is not answered here but by the route when it needs a key: a
  // public route ignores credentials, and the request still passes the rate limiter (keyed by address), so guessing
  // keys is rate limited like any other anonymous traffic.
  app.use(async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    if (!header) return next();
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      authFailureOf.set(req, "the Authorization header must be 'Bearer <api key>'");
      return next();
    }
    try {
      const principal = await apiKeys.authenticate(match[1]);
      if (principal) principalOf.set(req, principal);
      else authFailureOf.set(req, "the API key is unknown or revoked");
      next();
    } catch (error) {
      next(error);
    }
  });

  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: limits.requestsPerMinute,
      standardHeaders: "draft-8",
      legacyHeaders: false,
      // IPv6 clients are counted by subnet (/56), as one client can hold a whole range of addresses.
      keyGenerator: (req) => principalOf.get(req)?.keyId ?? `ip:${ipKeyGenerator(req.ip ?? "")}`,
      handler: (req, res) => {
        const problem = toProblem(
          new AppError(429, "rate_limited", `more than ${limits.requestsPerMinute} requests a minute; slow down`, {
            retryable: true,
          }),
          req.originalUrl,
        );
        res.status(429).type("application/problem+json").send(JSON.stringify(problem));
      },
    }),
  );

  // Operational data (queue depths, failure counts, timings) for the two institutions only, behind a key like the API.
  app.get("/metrics", async (req, res, next) => {
    const principal = principalOf.get(req);
    const refused = authFailureOf.get(req);
    if (refused) return next(unauthorized(refused, true));
    if (!principal) return next(unauthorized("/metrics needs an API key: send 'Authorization: Bearer <key>'"));
    if (!METRICS_ROLES.includes(principal.role)) {
      return next(forbidden(`role ${principal.role} may not read metrics; allowed: ${METRICS_ROLES.join(", ")}`));
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  // Per-key upload quota, in documents a minute: a key that floods the node with documents (each one chain work for
  // both verifiers) is told when to come back. A request counts once before a byte of it is read, and a bulk upload's
  // other documents once they have arrived.
  const uploadsPerMinute = limits.uploadsPerMinute;
  const quotaKey = (req: Request) => principalOf.get(req)?.keyId ?? `ip:${ipKeyGenerator(req.ip ?? "")}`;
  const quotaExceeded = (retryAfterSeconds?: number) =>
    new AppError(
      429,
      "upload_quota_exceeded",
      `more than ${uploadsPerMinute} documents a minute uploaded with this key; try again after Retry-After seconds`,
      { retryable: true, retryAfterSeconds },
    );
  const uploadStore = new MemoryStore();
  const uploadQuota =
    uploadsPerMinute === undefined
      ? undefined
      : rateLimit({
          windowMs: 60_000,
          limit: uploadsPerMinute,
          standardHeaders: "draft-8",
          legacyHeaders: false,
          identifier: "uploads",
          store: uploadStore,
          keyGenerator: quotaKey,
          handler: (req, res) => {
            const problem = toProblem(quotaExceeded(), req.originalUrl);
            res.status(429).type("application/problem+json").send(JSON.stringify(problem));
          },
        });
  const chargeDocuments: express.RequestHandler = async (req, _res, next) => {
    const files = (req.files as Express.Multer.File[] | undefined) ?? [];
    let hits: { totalHits: number; resetTime?: Date } | undefined;
    try {
      for (let i = 1; i < files.length; i++) hits = await uploadStore.increment(quotaKey(req));
    } catch (error) {
      await removeUploads(files);
      return next(error);
    }
    if (!hits || hits.totalHits <= uploadsPerMinute!) return next();
    await removeUploads(files);
    const seconds = Math.ceil(((hits.resetTime?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000);
    next(quotaExceeded(Math.max(1, seconds)));
  };

  const uploadDir = options.uploadDir ?? path.join(os.tmpdir(), "qfm-uploads");
  const single = uploadParser(uploadDir, limits.uploadBytes, 1);

  for (const route of routes) {
    const handlers: express.RequestHandler[] = [];
    handlers.push((req, _res, next) => {
      if (route.auth === "public") return next();
      const principal = principalOf.get(req);
      const refused = authFailureOf.get(req);
      if (refused) return next(unauthorized(refused, true));
      if (!principal) return next(unauthorized("this endpoint needs an API key: send 'Authorization: Bearer <key>'"));
      if (!route.auth.includes(principal.role)) {
        return next(
          forbidden(`role ${principal.role} may not ${route.summary.toLowerCase()}; allowed: ${route.auth.join(", ")}`),
        );
      }
      next();
    });
    if (route.upload) {
      const { fileField, maxFiles = 1, maxBytes } = route.upload;
      if (uploadQuota && route.auth !== "public") handlers.push(uploadQuota);
      const parseUpload =
        maxFiles > 1
          ? uploadParser(uploadDir, limits.uploadBytes, maxFiles).array(fileField, maxFiles)
          : single.single(fileField);
      handlers.push((req, res, next) => {
        if (!req.is("multipart/form-data")) {
          return next(new AppError(415, "unsupported_media_type", "send the upload as multipart/form-data"));
        }
        const declared = Number(req.headers["content-length"] ?? 0);
        if (maxBytes !== undefined && declared > maxBytes) {
          req.resume(); // read off and drop, so the client gets the answer rather than a reset connection
          return next(
            new AppError(413, "upload_too_large", `this upload is ${declared} bytes; at most ${maxBytes} are accepted`),
          );
        }
        // What is counted is what arrives, declared or not (chunked requests declare nothing).
        limitUpload(req, maxBytes ?? limits.uploadBytes);
        // multer answers a form cut short at once, while the file it was writing is never finished: remove it first.
        parseUpload(req, res, (error?: unknown) => {
          if (error === undefined) return next();
          void removeUnfinishedUploads(req).finally(() => next(error));
        });
      });
      if (uploadQuota && route.auth !== "public" && maxFiles > 1) handlers.push(chargeDocuments);
    } else if (route.body) {
      handlers.push((req, _res, next) => {
        // Content the JSON parser left alone is of another media type (no body at all fails validation instead).
        const hasContent = req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"]) > 0;
        if (hasContent && !req.is("application/json")) {
          return next(new AppError(415, "unsupported_media_type", "send the request body as application/json"));
        }
        next();
      });
    }
    handlers.push(async (req, res, next) => {
      const received = route.upload
        ? ((req.files as Express.Multer.File[] | undefined) ?? (req.file ? [req.file] : []))
        : [];
      let result: Awaited<ReturnType<typeof route.handler>> | undefined;
      let failure: { error: unknown } | undefined;
      try {
        const params = parse(route.params, req.params, "params");
        const query = parse(route.query, req.query, "query");
        const body = parse(route.body, route.upload ? (req.body ?? {}) : req.body, "body");
        const headers = parse(route.headers, req.headers, "headers");
        let file: UploadedFile | undefined;
        let files: UploadedFile[] | undefined;
        if (route.upload) {
          files = received.map(uploadedFile);
          if (files.length === 0)
            throw new AppError(
              400,
              "file_missing",
              `attach the document as the multipart field "${route.upload.fileField}"`,
            );
          file = files[0];
        }
        result = await route.handler({
          params,
          query,
          body,
          headers,
          file,
          files,
          principal: principalOf.get(req) ?? null,
          req,
          res,
        });
      } catch (error) {
        failure = { error };
      }
      // Files the handler stored were moved into the document store; the rest go before the answer does, so a
      // refused upload leaves nothing behind by the time its client hears of it.
      if (received.length > 0) await removeUploads(received);
      if (failure) return next(failure.error);
      if (result && !res.headersSent) {
        for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
        res.status(result.status ?? 200).json(result.body);
      }
    });
    app[route.method](route.path, ...handlers);
  }

  options.mount?.(app);
  if (options.staticDir) app.use(express.static(options.staticDir, { index: "index.html" }));
  app.use((req, _res, next) => next(new AppError(404, "route_not_found", `no route ${req.method} ${req.path}`)));
  app.use(problemHandler(logger));
  return app;
}

/** A file's name, not a path: no directory, no control character (PostgreSQL cannot store NUL), not "." or "..". */
const isPlainFileName = (name: string) =>
  NO_CONTROL_CHARACTERS.test(name) && !/[/\\]/.test(name) && name !== "." && name !== "..";

function uploadedFile(received: Express.Multer.File): UploadedFile {
  if (!isPlainFileName(received.originalname)) {
    throw new AppError(
      400,
      "invalid_file_name",
      `the file name ${JSON.stringify(received.originalname)} is not a plain file name: ` +
        "send it without directories or control characters",
    );
  }
  const streamed = received as Express.Multer.File & StreamedFile;
  return {
    fieldName: received.fieldname,
    originalName: received.originalname,
    mimeType: received.mimetype,
    size: streamed.size,
    path: streamed.path,
    contentHash: streamed.contentHash,
    head: streamed.head,
  };
}

function parse<T>(
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: any } } | undefined,
  value: unknown,
  where: string,
): T {
  if (!schema) return value as T;
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(result.error, where);
  return result.data;
}
