import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { z, type ZodType } from "zod";
import { Problem as ProblemSchema } from "../../domain/api/problem";
import type { RouteDef } from "./route";

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

/** The OpenAPI 3.1 document of a node's routes, generated from the same zod schemas that validate requests. */
export function buildOpenApi(
  routes: RouteDef<any, any, any, any>[],
  info: { title: string; version: string; description: string },
) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "An API key issued with `npm run keys -- issue`, sent as `Authorization: Bearer qfm_…`",
  });
  for (const route of routes) {
    const errorResponses: Record<number, { description: string; content: Record<string, { schema: ZodType }> }> = {};
    const problem = (description: string) => ({
      description,
      content: { "application/problem+json": { schema: ProblemSchema } },
    });
    errorResponses[400] = problem("invalid input: the problem lists each offending field");
    if (route.auth !== "public") {
      errorResponses[401] = problem("missing or unknown API key");
      errorResponses[403] = problem(`the key's role may not call this; allowed: ${route.auth.join(", ")}`);
    }
    errorResponses[429] = problem("rate limit exceeded");
    const responses: Record<number, unknown> = { ...errorResponses };
    for (const [status, spec] of Object.entries(route.responses)) {
      responses[Number(status)] = spec.schema
        ? {
            description: spec.description,
            content: { [spec.contentType ?? "application/json"]: { schema: spec.schema } },
          }
        : Number(status) >= 400
          ? problem(spec.description)
          : { description: spec.description };
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
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info,
    servers: [{ url: "/" }],
  });
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
