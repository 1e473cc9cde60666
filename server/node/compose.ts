/**
 * A node's parts, built once: its database, API keys, metrics, the outbox with the node's job handlers, the product
 * catalog, the document store, the bank's services (facilities, settlement) and the route set. Nothing is started
 * here: server/node/start.ts starts the loops and serves the routes; the in-process tests (test/helpers/nodeParts.ts)
 * serve the same parts.
 */
import type { Wallet } from "ethers";
import type { Logger } from "pino";
import { anchoringHandlers } from "../anchoring/anchoring";
import { approvalRoutes } from "../approvals/router";
import { createApprovals, onApprovalApplied, type ApprovalService } from "../approvals/service";
import { auditRoutes } from "../audit/router";
import { createApiKeys, type ApiKeys } from "../auth/api-keys";
import { createPolicy } from "../auth/policy";
import type { Chain } from "../chain/chain";
import type { NodeRole } from "../config";
import { createDatabase, type Database } from "../db/client";
import { migrateDatabase, type MigrationResult } from "../db/migrate";
import { documentRoutes } from "../documents/router";
import { createDocumentService } from "../documents/service";
import { createDocumentStore, type DocumentStore } from "../documents/storage";
import { facilityRoutes } from "../facilities/router";
import { createFacilityReads } from "../facilities/chain-view";
import {
  createFacilityService,
  onFacilityCreated,
  type FacilityService,
  type ServiceDeps,
} from "../facilities/service";
import { createMetrics, type Metrics } from "../http/metrics";
import type { RouteDef } from "../http/route";
import { lifecycleHandlers } from "../outbox/jobs";
import { createOutbox, type JobHandler, type Outbox } from "../outbox/outbox";
import { payeeRoutes } from "../payees/router";
import { createPayeeService, onPayeeRegistered } from "../payees/service";
import { createEvidenceReads } from "../payments/evidence";
import { createPreflight } from "../payments/preflight";
import { paymentRoutes } from "../payments/router";
import { createPayments, type PaymentService } from "../payments/service";
import { registryRoutes } from "../registry/registry";
import { createBankClient, type BankNodeConfig } from "../regulator/bank-client";
import { regulatorRoutes } from "../regulator/router";
import { createRegulatorService } from "../regulator/service";
import { loadProducts, type ProductCatalog } from "../rules/products";
import { settlementRoutes } from "../settlement/router";
import { createSettlement, type Settlement } from "../settlement/service";
import type { Decisions } from "../verification/decisions";
import { verificationRoutes } from "../verification/router";
import { verifierHandlers } from "../verification/verifier";
import { whiteListRoutes } from "../whitelist/router";
import { createRegulatorWhiteList } from "../whitelist/signatures";

/** The bank node's lifecycle services, one of each per node: the routes and the review scheduler share them. */
export interface BankServices {
  facilities: FacilityService;
  payments: PaymentService;
  approvals: ApprovalService;
  settlement: Settlement;
}

export interface RouteDeps {
  db: Database;
  chain: Chain;
  outbox: Outbox;
  catalog: ProductCatalog;
  metrics: Metrics;
  store: DocumentStore;
  /** The bank node's services (required on the bank node). */
  bank?: BankServices;
  waitMs: number;
  bankNode?: BankNodeConfig;
}

/** Every route a node of this role serves (the authorization matrix walks exactly these). */
export function routesOf(role: NodeRole, deps: RouteDeps): RouteDef<any, any, any, any>[] {
  const { db, chain, outbox, catalog, metrics, store, waitMs } = deps;
  const policy = createPolicy({ db });
  // The regulator node's one client of the bank node: it publishes the white list and fetches, refuses and co-signs
  // joint decisions (a call may wait for the bank's chain write: waitMs, and time to answer).
  const bankClient = deps.bankNode && createBankClient({ ...deps.bankNode, timeoutMs: waitMs + 10_000 });
  const common = [
    ...verificationRoutes({ db, nodeRole: role }),
    ...whiteListRoutes({ db, role, chain, bank: bankClient }),
    ...auditRoutes({ db, chain }),
  ];
  if (role === "bank") {
    if (!deps.bank) throw new Error("the bank node's routes need its services (facilities, settlement)");
    const { facilities, payments, approvals, settlement } = deps.bank;
    const documents = createDocumentService({ db, store, outbox, chain, metrics });
    return [
      ...common,
      ...documentRoutes({
        documents,
        chain: { chainId: chain.chainId, evidenceRegistry: chain.deployment.contracts.EvidenceRegistry },
        policy,
      }),
      ...payeeRoutes({ payees: createPayeeService({ db, chain, outbox, waitMs }) }),
      ...facilityRoutes({ facilities, approvals, catalog, policy }),
      ...paymentRoutes({ payments, policy }),
      ...approvalRoutes({ approvals, policy }),
      ...settlementRoutes({ facilities, settlement, policy }),
    ];
  }
  return [
    ...common,
    ...registryRoutes({ db }),
    ...(bankClient
      ? regulatorRoutes({
          regulator: createRegulatorService({ db, chain, outbox, catalog, bank: bankClient, waitMs }),
        })
      : []),
  ];
}

/**
 * A node's outbox job handlers: the verifier's, the lifecycle's (with the hooks that record confirmed payees,
 * facilities and joint decisions) and, on the bank node, the anchoring's.
 */
export function outboxHandlersOf({
  role,
  chain,
  verifierWallet,
  metrics,
  decisions,
}: {
  role: NodeRole;
  chain: Chain;
  verifierWallet: Wallet;
  metrics: Metrics;
  /** The node's MAC-sealed decision records: without them every attestation and revocation job is refused. */
  decisions?: Decisions;
}): JobHandler<any>[] {
  const handlers = [
    ...verifierHandlers({ chain, verifierWallet, decisions }),
    ...lifecycleHandlers({
      chain,
      onConfirmed: {
        REGISTER_PAYEE: onPayeeRegistered,
        CREATE_FACILITY: onFacilityCreated(chain),
        UNFREEZE: onApprovalApplied,
        APPLY_REVIEW: onApprovalApplied,
      },
    }),
  ];
  if (role === "bank") handlers.push(...anchoringHandlers({ chain, metrics }));
  return handlers;
}

/**
 * The bank node's services over its outbox: the facilities, payments and approvals share one set of chain reads, and
 * only the regulator's signed entry prices a white-listed firm or counts in a review.
 */
export function bankServices(deps: ServiceDeps): BankServices {
  const { db, chain } = deps;
  const shared = {
    reads: createFacilityReads({ db, chain }),
    evidence: createEvidenceReads({ db, chain }),
    regulatorEntryOf: createRegulatorWhiteList({ db, chain }),
  };
  const facilities = createFacilityService({ ...deps, ...shared });
  const payments = createPayments({
    ...deps,
    preflight: createPreflight({ chain, ...shared }),
    reads: shared.reads,
    facilities: facilities.list,
  });
  const approvals = createApprovals({ ...deps, ...shared });
  const settlement = createSettlement({ ...deps, known: (facilityId) => facilities.row(facilityId) });
  return { facilities, payments, approvals, settlement };
}

/** Migrates the database at `url` to the current schema and opens it. */
export async function openDatabase(
  url: string,
  log?: (line: string) => void,
): Promise<{ db: Database; applied: MigrationResult }> {
  const applied = await migrateDatabase(url, log);
  return { db: createDatabase(url), applied };
}

export interface NodeParts {
  role: NodeRole;
  db: Database;
  apiKeys: ApiKeys;
  metrics: Metrics;
  outbox: Outbox;
  catalog: ProductCatalog;
  store: DocumentStore;
  /** The bank node's services (the bank node only). */
  bank?: BankServices;
  routes: RouteDef<any, any, any, any>[];
}

/**
 * Builds one node's parts on an open database and a chain whose signer is the node's own. `waitMs` is how long a
 * chain-writing request waits for its transaction before it answers 202; `bankNode` is what the regulator's lifecycle
 * routes call.
 */
export function composeNode(options: {
  role: NodeRole;
  db: Database;
  chain: Chain;
  logger: Logger;
  verifierWallet: Wallet;
  waitMs: number;
  documentsDir: string;
  productsDir?: string;
  bankNode?: BankNodeConfig;
  decisions?: Decisions;
  metrics?: Metrics;
  outbox: {
    confirmations: number;
    pollIntervalMs: number;
    window?: number;
    /** The account that sends the RELAY lane (the node's verifier key, on a running node). */
    relaySigner?: Wallet;
  };
}): NodeParts {
  const { role, db, chain, logger, waitMs } = options;
  const metrics = options.metrics ?? createMetrics(role);
  const apiKeys = createApiKeys({ db });
  const handlers = outboxHandlersOf({
    role,
    chain,
    verifierWallet: options.verifierWallet,
    metrics,
    decisions: options.decisions,
  });
  const outbox = createOutbox({ db, chain, logger, metrics, handlers, ...options.outbox });
  const catalog = loadProducts(options.productsDir);
  const store = createDocumentStore({ dir: options.documentsDir });
  const bank = role === "bank" ? bankServices({ db, chain, outbox, catalog, waitMs, logger }) : undefined;
  const routes = routesOf(role, {
    db,
    chain,
    outbox,
    catalog,
    metrics,
    store,
    bank,
    waitMs,
    bankNode: options.bankNode,
  });
  return { role, db, apiKeys, metrics, outbox, catalog, store, bank, routes };
}
