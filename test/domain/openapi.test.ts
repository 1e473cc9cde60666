import { expect } from "chai";
import http, { type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { openApiDocument } from "../../scripts/lib/openapi-document";
import { API_VERSION } from "../../server/http/openapi";
import { expectDeclaredResponse } from "../helpers/openApiContract";

type Schema = Record<string, any>;

/** Whether a schema is, or holds, an object that takes any property (`additionalProperties: {}`), $refs followed. */
function isOpen(schema: Schema | undefined, components: Record<string, Schema>, seen = new Set<string>()): boolean {
  if (!schema || typeof schema !== "object") return false;
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.split("/").pop()!;
    if (seen.has(name)) return false;
    seen.add(name);
    return isOpen(components[name], components, seen);
  }
  const extra = schema.additionalProperties;
  if (extra && typeof extra === "object" && Object.keys(extra).length === 0) return true;
  const parts = [
    ...Object.values(schema.properties ?? {}),
    schema.items,
    ...(schema.anyOf ?? []),
    ...(schema.oneOf ?? []),
    ...(schema.allOf ?? []),
  ];
  return parts.some((part) => isOpen(part as Schema, components, seen));
}

const deref = (schema: Schema | undefined, components: Record<string, Schema>): Schema | undefined =>
  typeof schema?.$ref === "string" ? components[schema.$ref.split("/").pop()!] : schema;

/** An object that takes any property, at the top of a schema or as the items of its `items` list. */
function isOpenAtTop(schema: Schema | undefined, components: Record<string, Schema>): boolean {
  const target = deref(schema, components);
  const extra = target?.additionalProperties;
  if (extra && typeof extra === "object" && Object.keys(extra).length === 0) return true;
  const items = deref(target?.properties?.items, components);
  return items?.type === "array" && isOpenAtTop(items.items, components);
}

/** A node's document as it serves it at /openapi.json. */
const documentOf = (role: "bank" | "regulator") => openApiDocument(role) as any;

/** The success responses of a node's document whose JSON schema is open: at the top, or anywhere inside. */
function openResponses(role: "bank" | "regulator", anywhere: boolean): string[] {
  const doc = documentOf(role);
  const components = doc.components?.schemas ?? {};
  const open: string[] = [];
  for (const item of Object.values<any>(doc.paths))
    for (const operation of Object.values<any>(item))
      for (const [status, response] of Object.entries<any>(operation.responses)) {
        const schema = response.content?.["application/json"]?.schema;
        if (Number(status) >= 300 || !schema) continue;
        if (anywhere ? isOpen(schema, components) : isOpenAtTop(schema, components))
          open.push(`${operation.operationId} ${status}`);
      }
  return open.sort();
}

const operationsOf = (doc: any) =>
  Object.entries<any>(doc.paths).flatMap(([path, item]) =>
    Object.entries<any>(item).map(([method, operation]) => ({ path, method, operation })),
  );

describe("the API contract", function () {
  describe("when the OpenAPI document is generated", function () {
    for (const role of ["bank", "regulator"] as const) {
      describe(`for the ${role} node`, function () {
        const doc = documentOf(role);

        it("declares every success response as a typed object, with no open object anywhere inside", function () {
          expect(openResponses(role, false)).to.deep.equal([]);
          expect(openResponses(role, true)).to.deep.equal([]);
        });

        it("declares, with a description, every tag an operation uses, and tags every operation", function () {
          const declared = new Map<string, string>(doc.tags.map((t: any) => [t.name, t.description]));
          for (const { method, path, operation } of operationsOf(doc)) {
            expect(operation.tags, `${method} ${path}`).to.have.length.greaterThan(0);
            for (const tag of operation.tags) expect(declared.get(tag), `tag ${tag}`).to.be.a("string").and.not.empty;
          }
          const used = new Set(operationsOf(doc).flatMap(({ operation }) => operation.tags));
          expect([...declared.keys()].filter((tag) => !used.has(tag))).to.deep.equal([]);
        });

        it("pages every list with a cursor: limit and cursor in, nextCursor out", function () {
          const components = doc.components.schemas;
          const lists = operationsOf(doc).filter(({ method, operation }) => {
            const schema = deref(operation.responses[200]?.content?.["application/json"]?.schema, components);
            return method === "get" && deref(schema?.properties?.items, components)?.type === "array";
          });
          expect(lists.length).to.equal(role === "bank" ? 10 : 6);
          for (const { path, operation } of lists) {
            const query = (operation.parameters ?? []).filter((p: any) => p.in === "query").map((p: any) => p.name);
            expect(query, path).to.include.members(["limit", "cursor"]);
            const schema = deref(operation.responses[200].content["application/json"].schema, components);
            expect(schema?.required, path).to.include.members(["items", "nextCursor"]);
          }
        });

        it("declares the RateLimit headers on every answer, Retry-After on 429, WWW-Authenticate on 401", function () {
          expect(Object.keys(doc.components.headers)).to.include.members([
            "RateLimit",
            "RateLimit-Policy",
            "Retry-After",
            "WWW-Authenticate",
          ]);
          for (const { method, path, operation } of operationsOf(doc))
            for (const [status, response] of Object.entries<any>(operation.responses)) {
              const where = `${method} ${path} ${status}`;
              expect(Object.keys(response.headers ?? {}), where).to.include.members(["RateLimit", "RateLimit-Policy"]);
              if (status === "401") expect(response.headers, where).to.have.property("WWW-Authenticate");
              if (status === "429") expect(response.headers, where).to.have.property("Retry-After");
            }
        });

        it("states its version and the versioning policy", function () {
          expect(doc.info.version)
            .to.equal(API_VERSION)
            .and.match(/^\d+\.\d+\.\d+$/);
          expect(doc.info.description).to.contain("Versioning:");
          expect(doc.info.license.identifier).to.equal("MIT");
        });
      });
    }
  });

  describe("when a node answers (test/helpers/openApiContract.ts)", function () {
    let server: Server;
    let url = "";
    let answer: unknown;
    before(async function () {
      const doc = {
        paths: {
          "/things/{id}": {
            get: {
              responses: {
                200: {
                  content: { "application/json": { schema: { $ref: "#/components/schemas/Thing" } } },
                },
              },
            },
          },
        },
        components: {
          schemas: {
            Thing: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
          },
        },
      };
      server = http.createServer((req, res) => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(req.url === "/openapi.json" ? doc : answer));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(function () {
      server.close();
    });

    it("passes a body its declared schema takes", async function () {
      await expectDeclaredResponse(url, "GET", "/things/1", 200, { id: "1" });
    });

    it("fails a body that drifted from its declared schema", async function () {
      const drifted = await expectDeclaredResponse(url, "GET", "/things/1?x=1", 200, { id: 1 }).then(
        () => undefined,
        (error: Error) => error.message,
      );
      expect(drifted).to.contain("GET /things/1?x=1 answered 200 with a body its OpenAPI schema refuses");
    });

    it("does not judge what the document declares no schema for", async function () {
      await expectDeclaredResponse(url, "GET", "/other", 200, { anything: true });
      await expectDeclaredResponse(url, "GET", "/things/1", 404, { code: "not_found" });
    });
  });
});
