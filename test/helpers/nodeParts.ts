/**
 * A node's parts for in-process HTTP tests, assembled as server/node.ts assembles them — a migrated SQLite database,
 * real API keys, the outbox with the node's job handlers, the product catalog, a document store, the bank's facility
 * service — and its route set from `routesOf`. Nothing is started: the caller serves `routes` and may start `outbox`.
 */
import { Wallet } from "ethers";
import path from "node:path";
import type { Logger } from "pino";
import { devWallet } from "../../scripts/lib/deploy-config";
import { createApiKeys, type ApiKeys } from "../../server/auth/api-keys";
import type { Chain } from "../../server/chain/chain";
import type { NodeRole } from "../../server/config";
import { createDatabase, type Database } from "../../server/db/client";
import { migrateDatabase } from "../../server/db/migrate";
import { createDocumentStore, type DocumentStore } from "../../server/documents/storage";
import { createMetrics, type Metrics } from "../../server/http/metrics";
import type { RouteDef } from "../../server/http/route";
import { createFacilityService, type FacilityService } from "../../server/facilities/service";
import { outboxHandlersOf as nodeOutboxHandlers, routesOf, type RouteDeps } from "../../server/node";
import { createOutbox, type JobHandler, type Outbox } from "../../server/outbox/outbox";
import { loadProducts, type ProductCatalog } from "../../server/rules/products";

export interface NodeParts {
  role: NodeRole;
  db: Database;
  apiKeys: ApiKeys;
  metrics: Metrics;
  outbox: Outbox;
  catalog: ProductCatalog;
  store: DocumentStore;
  facilities?: FacilityService;
  routes: RouteDef<any, any, any, any>[];
}

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
    facilities: undefined,
    waitMs: 0,
    bankNode: { url: "http://127.0.0.1:9", apiKey: "inert" },
  };
}

/** The outbox job handlers of a node (server/node.ts's), with the role's development verifier key. */
export function outboxHandlersOf({
  role,
  chain,
  metrics,
  facilities,
}: {
  role: NodeRole;
  chain: Chain;
  metrics: Metrics;
  facilities: () => FacilityService;
}): JobHandler<any>[] {
  const verifierWallet = new Wallet(devWallet(role === "bank" ? "bankVerifier" : "regulatorVerifier").privateKey);
  return nodeOutboxHandlers({ role, chain, verifierWallet, metrics, facilities });
}

/**
 * Builds one node's parts in `dir` (its database file and document store) on `chain`, whose signer is the node's own
 * (the bank's or the regulator's). `waitMs` is how long a chain-writing request waits for its transaction before it
 * answers 202; `bankNode` is what the regulator's lifecycle routes call.
 */
export async function createNodeParts(options: {
  role: NodeRole;
  dir: string;
  chain: Chain;
  logger: Logger;
  waitMs: number;
  bankNode?: { url: string; apiKey: string };
  confirmations?: number;
  pollIntervalMs?: number;
}): Promise<NodeParts> {
  const { role, dir, chain, logger, waitMs } = options;
  const url = `file:${path.join(dir, "db.sqlite")}`;
  await migrateDatabase(url);
  const db = createDatabase(url);
  const apiKeys = createApiKeys({ db });
  const metrics = createMetrics(role);
  // As in server/node.ts: the lifecycle hooks reach the facility service, which itself needs the outbox.
  let facilities: FacilityService | undefined;
  const handlers = outboxHandlersOf({ role, chain, metrics, facilities: () => facilities! });
  const outbox = createOutbox({
    db,
    chain,
    logger,
    metrics,
    handlers,
    confirmations: options.confirmations ?? 0,
    pollIntervalMs: options.pollIntervalMs ?? 1_000,
  });
  const catalog = loadProducts();
  const store = createDocumentStore({ dir: path.join(dir, "documents") });
  if (role === "bank") facilities = createFacilityService({ db, chain, outbox, catalog, waitMs, logger });
  const routes = routesOf(role, {
    db,
    chain,
    outbox,
    catalog,
    metrics,
    store,
    facilities,
    waitMs,
    bankNode: options.bankNode,
  });
  return { role, db, apiKeys, metrics, outbox, catalog, store, facilities, routes };
}
