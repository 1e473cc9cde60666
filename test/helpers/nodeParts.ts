/**
 * A node's parts for in-process HTTP tests, composed as a running node composes them (server/node/compose.ts) — a
 * migrated SQLite database, real API keys, the outbox with the node's job handlers, the product catalog, a document
 * store, the bank's services — and its route set from `routesOf`. Nothing is started: the caller serves `routes` and
 * may start `outbox`.
 */
import { Wallet } from "ethers";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Logger } from "pino";
import { devWallet } from "../../scripts/lib/deploy-config";
import type { Chain } from "../../server/chain/chain";
import type { NodeRole } from "../../server/config";
import type { Database } from "../../server/db/client";
import { createApp } from "../../server/http/app";
import { composeNode, openDatabase, type NodeParts } from "../../server/node/compose";

export type { NodeParts };

/** Route dependencies that only serve to read route definitions (scripts/lib/openapi-document.ts). */
export { inertRouteDeps } from "../../scripts/lib/openapi-document";

/** The role's development verifier key (a running node's VERIFIER_KEY on the development chain). */
export function devVerifierWallet(role: NodeRole): Wallet {
  return new Wallet(devWallet(role === "bank" ? "bankVerifier" : "regulatorVerifier").privateKey);
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
  const { db } = await openDatabase(`file:${path.join(dir, "db.sqlite")}`);
  return composeNode({
    role,
    db,
    chain,
    logger,
    verifierWallet: devVerifierWallet(role),
    waitMs,
    documentsDir: path.join(dir, "documents"),
    bankNode: options.bankNode,
    outbox: { confirmations: options.confirmations ?? 0, pollIntervalMs: options.pollIntervalMs ?? 1_000 },
  });
}

/**
 * Serves a node's route set on a free local port, in an app as a running node builds it (the rate limit raised for
 * tests, JSON bodies up to `jsonBytes`); its server, URL, and how to stop serving.
 */
export async function serveNode(
  parts: Pick<NodeParts, "routes" | "apiKeys" | "metrics">,
  logger: Logger,
  jsonBytes = 64 * 1024,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const app = createApp({
    title: "node under test",
    description: "served in process",
    routes: parts.routes,
    apiKeys: parts.apiKeys,
    logger,
    metrics: parts.metrics,
    limits: { jsonBytes, uploadBytes: 1024 * 1024, requestsPerMinute: 1_000_000 },
    ready: async () => ({}),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A bank node served in process: its parts, its URL, a bank officer's API key, and how to stop serving. */
export interface ServedBankNode {
  parts: NodeParts;
  url: string;
  officerKey: string;
  close(): Promise<void>;
}

/**
 * The bank node on `db` and `chain`, composed as a running node composes it and served on a free local port (the
 * outbox is not started), with a bank officer's key.
 */
export async function serveBankNode(options: {
  db: Database;
  chain: Chain;
  logger: Logger;
  documentsDir: string;
}): Promise<ServedBankNode> {
  const { db, chain, logger } = options;
  const parts = composeNode({
    role: "bank",
    db,
    chain,
    logger,
    verifierWallet: devVerifierWallet("bank"),
    waitMs: 200,
    documentsDir: options.documentsDir,
    outbox: { confirmations: 0, pollIntervalMs: 1_000 },
  });
  const { url, close } = await serveNode(parts, logger);
  const { key } = await parts.apiKeys.issue({ role: "bank_officer", institution: "bank", label: "officer" });
  return { parts, url, officerKey: key, close };
}
