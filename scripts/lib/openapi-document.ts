/**
 * A node's OpenAPI document without a node: its route set read from `routesOf` with dependencies that only serve to
 * read the route definitions. Used by `npm run lint` (scripts/lint-openapi.ts), the client type generation and the tests.
 */
import type { Chain } from "../../server/chain/chain";
import type { NodeRole } from "../../server/config";
import { NODE_API, buildOpenApi } from "../../server/http/openapi";
import { routesOf, type RouteDeps } from "../../server/node/compose";

/** An object any use of which fails: proves route definitions do not touch a dependency when they are built. */
function inert<T>(name: string): T {
  return new Proxy(
    {},
    {
      get(_target, property) {
        throw new Error(`${name}.${String(property)} was used while only reading the route definitions`);
      },
    },
  ) as T;
}

/**
 * Dependencies that serve only to read route definitions (method, path, roles, schemas): the chain has the two
 * constants the document routes copy, everything else throws if used. `bankNode` is given so the regulator's
 * lifecycle routes are part of its route set, as they are on a node configured with the bank node's address.
 */
export function inertRouteDeps(): RouteDeps {
  return {
    db: inert("db"),
    chain: { chainId: 0n, deployment: { contracts: { EvidenceRegistry: "" } } } as unknown as Chain,
    outbox: inert("outbox"),
    catalog: inert("catalog"),
    metrics: inert("metrics"),
    store: inert("store"),
    bank: {
      facilities: inert("facilities"),
      payments: inert("payments"),
      approvals: inert("approvals"),
      settlement: inert("settlement"),
    },
    waitMs: 0,
    bankNode: { url: "http://127.0.0.1:9", apiKey: "inert" },
  };
}

/** The document a node of this role serves at /openapi.json. */
export function openApiDocument(role: NodeRole) {
  return buildOpenApi(routesOf(role, inertRouteDeps()), NODE_API[role]);
}
