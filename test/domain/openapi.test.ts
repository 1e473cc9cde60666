import { expect } from "chai";
import http, { type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buildOpenApi } from "../../server/http/openapi";
import { routesOf } from "../../server/node/compose";
import { inertRouteDeps } from "../helpers/nodeParts";
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

/** The success responses of a node's document whose JSON schema is open: at the top, or anywhere inside. */
function openResponses(role: "bank" | "regulator", anywhere: boolean): string[] {
  const doc = buildOpenApi(routesOf(role, inertRouteDeps()), { title: role, description: role }) as any;
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

/** The settlement routes of #14, merged with open responses: to be given domain/api schemas (listed so none is added). */
const NOT_YET_TYPED = [
  "closeFacility 200",
  "closeFacility 202",
  "paySubsidy 200",
  "paySubsidy 202",
  "prepareRepayment 200",
  "prepareSubsidyPayment 200",
  "repay 200",
  "repay 202",
  "withdrawToTreasury 200",
  "withdrawToTreasury 202",
];

describe("the API contract", function () {
  describe("when the OpenAPI document is generated", function () {
    for (const role of ["bank", "regulator"] as const) {
      it(`declares every success response of the ${role} node as a typed object, not an open one`, function () {
        expect(openResponses(role, false)).to.deep.equal(role === "bank" ? NOT_YET_TYPED : []);
      });
    }

    it("leaves open only the free-form parts inside: a document's metadata and a metric's figures", function () {
      // Named here so that a new open object anywhere else fails this test.
      expect(openResponses("bank", true)).to.deep.equal(
        [
          ...NOT_YET_TYPED,
          "getApproval 200", // the review report's metric figures and the bank's inputs
          "getBatch 200", // document metadata
          "getDocument 200",
          "getEvidence 200",
          "listDocuments 200",
          "listFacilityEvidence 200",
          "listReviews 200", // the review report's metric figures and the inputs
          "proposeReview 201",
          "uploadDocument 201",
          "uploadDocuments 201",
        ].sort(),
      );
      expect(openResponses("regulator", true)).to.deep.equal([
        "createRegistryRecord 201", // a registry record's figures, by kind
        "listRegistryRecords 200",
        "listRegulatorDecisions 200", // the message it was asked to sign
        "verificationQueue 200", // document metadata
      ]);
    });
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
