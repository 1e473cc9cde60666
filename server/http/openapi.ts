import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { z, type ZodType } from "zod";
import { Problem as ProblemSchema } from "../../domain/api/problem";
import type { RouteDef } from "./route";

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

/**
 * The version of the API contract (/openapi.json's info.version), semantic versioning: an operation, an optional
 * field or a response added is a minor version; a field removed, renamed or retyped, a required field added to a
 * request, a status or an error code changed is a major version. Paths carry no version; both nodes serve one.
 * README "API versioning" says how a change is announced.
 */
export const API_VERSION = "1.1.0";

const VERSIONING =
  `Versioning: \`info.version\` is this contract's semantic version. Additions (an operation, an optional request ` +
  `field, a response field) raise the minor version; removing, renaming or retyping a field, requiring a new request ` +
  `field or changing a status or an error code raises the major version. Paths carry no version.`;

/** What each node's document says about itself. */
export const NODE_API: Record<"bank" | "regulator", { title: string; description: string }> = {
  bank: {
    title: "Quality-financing monitor: bank node",
    description: "The bank node: documents, anchoring, proofs, the bank's verifier.",
  },
  regulator: {
    title: "Quality-financing monitor: regulator node",
    description: "The market regulator's node: its own verifier and registry.",
  },
};

/** Every tag an operation may carry, with what it groups: an operation with another tag fails the build. */
export const TAGS: Readonly<Record<string, string>> = {
  facilities: "Loan facilities: creation from a product, funding, the chain's view and the statement",
  payments: "Entrusted payments to registered payees, each backed by verified evidence",
  settlement: "The end of the loan: repayments and subsidy payments signed by the payer, closing, withdrawal",
  reviews: "Quarterly reviews and the joint approvals both institutions sign (rate changes, unfreezing)",
  documents: "Evidence documents: upload, anchoring on chain, reading by the facility's parties",
  proofs: "Merkle proofs of anchored evidence and the batches they belong to",
  verify: "Checking a document or a hash against the chain, for anyone",
  verification: "The verifier nodes' verdicts on anchored evidence",
  audit: "A facility's audit report: every fund movement matched to its evidence",
  payees: "The payee registry: suppliers, testing bodies and other counterparties of entrusted payments",
  "white list": "The regulator's white list of graded firms, shared with the bank",
  registry: "The regulator's own records: licences, patents, inspections, firm accounts",
  "spot checks": "The regulator's spot checks of anchored evidence",
};

/** Headers every operation's answers carry (the rate limiter runs before any route) and the ones some do. */
const HEADERS = {
  RateLimit: {
    description:
      'The client\'s quota left in the current window (IETF draft-ietf-httpapi-ratelimit-headers-08), one item per policy, e.g. `"100-in-1min"; r=99; t=60`',
    schema: { type: "string" },
  },
  "RateLimit-Policy": {
    description:
      'The quota policies applied to the request, e.g. `"100-in-1min"; q=100; w=60; pk=:…:` (an upload also counts against `"uploads"`)',
    schema: { type: "string" },
  },
  "Retry-After": { description: "seconds to wait before trying again", schema: { type: "integer", minimum: 0 } },
  "WWW-Authenticate": {
    description:
      'The scheme to authenticate with: `Bearer realm="qfm"`, with `error="invalid_token"` when a key was refused',
    schema: { type: "string" },
  },
} as const;
const ref = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });
const RATE_LIMIT_HEADERS = { RateLimit: ref("RateLimit"), "RateLimit-Policy": ref("RateLimit-Policy") };

/** The OpenAPI 3.1 document of a node's routes, generated from the same zod schemas that validate requests. */
export function buildOpenApi(routes: RouteDef<any, any, any, any>[], info: { title: string; description: string }) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "An API key issued with `npm run keys -- issue`, sent as `Authorization: Bearer qfm_…`",
  });
  for (const [name, header] of Object.entries(HEADERS)) registry.registerComponent("headers", name, header as never);
  const used = new Set<string>();
  for (const route of routes) {
    for (const tag of route.tags) {
      if (!(tag in TAGS))
        throw new Error(`${route.operationId}: tag "${tag}" is not one of server/http/openapi.ts TAGS`);
      used.add(tag);
    }
    const problem = (description: string, headers: Record<string, unknown> = {}) => ({
      description,
      headers: { ...RATE_LIMIT_HEADERS, ...headers },
      content: { "application/problem+json": { schema: ProblemSchema } },
    });
    const errorResponses: Record<number, ReturnType<typeof problem>> = {};
    errorResponses[400] = problem("invalid input: the problem lists each offending field");
    if (route.auth !== "public") {
      errorResponses[401] = problem("missing or unknown API key", { "WWW-Authenticate": ref("WWW-Authenticate") });
      errorResponses[403] = problem(`the key's role may not call this; allowed: ${route.auth.join(", ")}`);
    }
    errorResponses[429] = problem("rate limit exceeded", { "Retry-After": ref("Retry-After") });
    const responses: Record<number, unknown> = { ...errorResponses };
    for (const [status, spec] of Object.entries(route.responses)) {
      responses[Number(status)] = spec.schema
        ? {
            description: spec.description,
            headers: RATE_LIMIT_HEADERS,
            content: { [spec.contentType ?? "application/json"]: { schema: spec.schema } },
          }
        : Number(status) >= 400
          ? problem(spec.description)
          : { description: spec.description, headers: RATE_LIMIT_HEADERS };
    }
    // A route with a body refuses a request without one, unless its schema accepts none (an optional body).
    const body = route.upload
      ? {
          required: true,
          content: {
            "multipart/form-data": {
              schema: (route.body as unknown as z.ZodObject).extend({
                [route.upload.fileField]: fileSchema(route.upload),
              }),
            },
          },
        }
      : route.body
        ? {
            required: !route.body.safeParse(undefined).success,
            content: { "application/json": { schema: route.body } },
          }
        : undefined;
    registry.registerPath({
      method: route.method,
      path: toOpenApiPath(route.path),
      operationId: route.operationId,
      summary: route.summary,
      description: route.auth === "public" ? "Public." : `Roles: ${route.auth.join(", ")}.`,
      tags: route.tags,
      security: route.auth === "public" ? [] : [{ apiKey: [] }],
      request: {
        params: route.params as z.ZodObject | undefined,
        query: route.query as z.ZodObject | undefined,
        headers: route.headers as z.ZodObject | undefined,
        body,
      },
      responses: responses as never,
    });
  }
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: info.title,
      version: API_VERSION,
      description: `${info.description}\n\n${VERSIONING}`,
      contact: { name: "Quality-financing monitor", url: "https://qfm.example/" },
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: "/" }],
    tags: Object.entries(TAGS)
      .filter(([name]) => used.has(name))
      .map(([name, description]) => ({ name, description })),
  });
  return nullableAsAnyOf(document);
}

/**
 * zod-to-openapi writes a nullable reference as `oneOf: [X, {type: "null"}]`, which refuses null when X itself takes
 * null (JsonValue: oneOf wants exactly one match). `anyOf` says what is meant in every case.
 */
function nullableAsAnyOf<T>(node: T): T {
  if (Array.isArray(node)) return node.map(nullableAsAnyOf) as T;
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = nullableAsAnyOf(value);
  const oneOf = out.oneOf as Array<Record<string, unknown>> | undefined;
  if (oneOf?.length === 2 && oneOf.some((s) => s.type === "null" && Object.keys(s).length === 1)) {
    out.anyOf = oneOf;
    delete out.oneOf;
  }
  return out as T;
}

/** The interactive page at /docs: Swagger UI from the swagger-ui-dist package, no CDN. */
export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>API docs</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>`;

export const DOCS_INIT_JS = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });`;

/** A multipart file field: one binary string, or an array of them when the field may repeat. */
function fileSchema(upload: NonNullable<RouteDef["upload"]>) {
  const file = z.string().meta({ format: "binary" });
  return (upload.maxFiles ?? 1) > 1
    ? z.array(file).min(1).max(upload.maxFiles!).meta({ description: upload.description })
    : file.meta({ description: upload.description });
}
