/**
 * A node's parts for in-process HTTP tests, composed as a running node composes them (server/node/compose.ts) — a
 * migrated SQLite database, real API keys, the outbox with the node's job handlers, the product catalog, a document
 * store, the bank's services — and its route set from `routesOf`. Nothing is started: the caller serves `routes` and
 * may start `outbox`.
 */
import { Wallet } from "ethers";
import path from "node:path";
import type { Logger } from "pino";
import { devWallet } from "../../scripts/lib/deploy-config";
import type { Chain } from "../../server/chain/chain";
import type { NodeRole } from "../../server/config";
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
