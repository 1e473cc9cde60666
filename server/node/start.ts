/**
 * Starting a node: its configuration checked against the deployment, its chain probed, its parts composed
 * (./compose.ts), its loops started (outbox, indexer, verifier, integrity checks, batcher, review scheduler), its HTTP
 * API served, and stopped on SIGINT/SIGTERM (server/main.ts is the process's entry).
 */
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { Wallet } from "ethers";
import pino, { type Logger } from "pino";
import { DEV_CHAIN_ID, devWallet } from "../chain/dev-accounts";
import { readDeployment, type Deployment } from "../chain/deployment";
import { createBatcher } from "../anchoring/anchoring";
import { createReviewScheduler } from "../approvals/scheduler";
import { ChainMismatch, createChain } from "../chain/chain";
import { createChainGate, keyProblems } from "../chain/startup";
import { ConfigError, type NodeConfig } from "../config";
import { createApp } from "../http/app";
import { NODE_API } from "../http/openapi";
import { mountDashboardHelpers } from "../http/dashboard";
import { createMetrics } from "../http/metrics";
import { createIndexer } from "../indexer/indexer";
import { createLoop } from "../loop";
import { seedRegistry } from "../registry/registry";
import { bankRecordCheck, regulatorRecordCheck } from "../verification/checks";
import { createDecisions } from "../verification/decisions";
import { createIntegrityChecker } from "../verification/integrity";
import { localSource } from "../verification/local-source";
import { createNodeMac, macKeyOf } from "../verification/mac";
import { rejectedOnChain } from "../verification/rejected";
import { bankNodeSource } from "../verification/sources";
import { createVerifier } from "../verification/verifier";
import { composeNode, openDatabase } from "./compose";

export interface RunningNode {
  url: string;
  config: NodeConfig;
  logger: Logger;
  close(): Promise<void>;
}

function loadDeployment(file: string): Deployment {
  if (!fs.existsSync(file)) {
    throw new ConfigError(
      `DEPLOYMENTS_FILE: no deployments file at ${file}; deploy the contracts first (npm run deploy, or npm start)`,
    );
  }
  return readDeployment(file);
}

/**
 * The chain this node must run on: the deployment's, which EXPECTED_CHAIN_ID must confirm on every chain but the
 * development chain (a deployments file of a test chain must not quietly run a production node).
 */
function checkChainId(config: NodeConfig, deployment: Deployment): void {
  if (config.expectedChainId !== undefined && String(config.expectedChainId) !== deployment.chainId) {
    throw new ConfigError(
      `EXPECTED_CHAIN_ID: is ${config.expectedChainId} but ${config.deploymentsFile} is a deployment on chain ${deployment.chainId}`,
    );
  }
  if (config.expectedChainId === undefined && BigInt(deployment.chainId) !== DEV_CHAIN_ID) {
    throw new ConfigError(
      `EXPECTED_CHAIN_ID: required on chain ${deployment.chainId} (every chain but the development chain ${DEV_CHAIN_ID}); set it to the chain id this node must run on`,
    );
  }
}

/** The node's two keys: from the configuration, or the development accounts on a development chain only. */
function keysOf(config: NodeConfig, deployment: Deployment, logger: Logger): { signer: string; verifier: string } {
  const dev = BigInt(deployment.chainId) === DEV_CHAIN_ID;
  const [signerRole, verifierRole] =
    config.role === "bank" ? (["bank", "bankVerifier"] as const) : (["regulator", "regulatorVerifier"] as const);
  if ((!config.signerKey || !config.verifierKey) && !dev) {
    throw new ConfigError(
      `SIGNER_KEY(_FILE) and VERIFIER_KEY(_FILE): required on chain ${deployment.chainId} (development keys are only used on chain 31337)`,
    );
  }
  if (!config.signerKey || !config.verifierKey)
    logger.warn("using the development keys of the standard test mnemonic: never on a real chain");
  return {
    signer: config.signerKey ?? devWallet(signerRole).privateKey,
    verifier: config.verifierKey ?? devWallet(verifierRole).privateKey,
  };
}

/**
 * Starts one node — bank or regulator — as configured: checks its chain (refusing another chain id, or an endpoint
 * without the deployment's contracts), migrates and opens its own database, starts its outbox, indexer and verifier
 * (and, on the bank node, the document store and the anchoring batcher), and serves its HTTP API. When the chain node
 * does not answer yet, the API starts and the chain work waits for it (server/chain/startup.ts).
 */
export async function startNode(config: NodeConfig, options: { logger?: Logger } = {}): Promise<RunningNode> {
  const logger = options.logger ?? pino({ name: `qfm-${config.role}`, level: config.logLevel });
  for (const warning of config.warnings ?? []) logger.warn(warning);
  const deployment = loadDeployment(config.deploymentsFile);
  checkChainId(config, deployment);
  const keys = keysOf(config, deployment, logger);

  // Before the database: a node pointed at the wrong chain refuses at once, whatever state it holds.
  const chain = createChain({
    deployment,
    rpcUrl: config.rpcUrl,
    expectedChainId: config.expectedChainId,
    signerKey: keys.signer,
  });
  const gate = createChainGate({ chain, logger });
  const chainAnswered = await gate.probe().catch((error: Error) => {
    chain.close();
    throw error instanceof ChainMismatch ? new ConfigError(`RPC_URL: ${error.message}`) : error;
  });
  if (!chainAnswered) {
    logger.warn(
      { rpcUrl: chain.url, error: gate.lastError() },
      "the chain node does not answer: the API starts, chain work begins once it answers as the deployment's chain",
    );
  }

  const { db, applied } = await openDatabase(config.databaseUrl, (line) => logger.info(line));
  logger.info({ applied }, "database ready");
  const metrics = createMetrics(config.role);
  const verifierWallet = new Wallet(keys.verifier);
  // The MAC key is not in the database: a verdict row or outbox job written there by anyone else is refused.
  const decisions = createDecisions({
    db,
    mac: createNodeMac(macKeyOf({ macKey: config.macKey, verifierKey: keys.verifier })),
    metrics,
    logger,
  });
  const { apiKeys, outbox, store, bank, routes } = composeNode({
    role: config.role,
    db,
    chain,
    logger,
    verifierWallet,
    waitMs: config.chainWaitMs,
    documentsDir: config.documentsDir,
    productsDir: config.productsDir,
    bankNode: config.bankNode,
    decisions,
    metrics,
    outbox: {
      confirmations: config.confirmations,
      pollIntervalMs: config.pollIntervalMs,
      window: config.outboxWindow,
      // Bulk verifier work goes from the verifier's own account: the signer's lane stays free for freezes.
      relaySigner: verifierWallet,
    },
  });

  let batcher: ReturnType<typeof createBatcher> | undefined;
  let scheduler: ReturnType<typeof createReviewScheduler> | undefined;
  if (bank) {
    if (config.reviewCheckMs > 0) scheduler = createReviewScheduler({ db, chain, approvals: bank.approvals, logger });
    batcher = createBatcher({ db, outbox, logger, maxSize: config.batch.maxSize, maxAgeMs: config.batch.maxAgeMs });
  } else if (config.registrySeedFile) {
    logger.info({ records: await seedRegistry(db, config.registrySeedFile) }, "registry seeded");
  }

  const source = config.role === "bank" ? localSource({ db, store }) : bankNodeSource(config.bankNode!);
  const verifier = config.verifierEnabled
    ? createVerifier({
        db,
        chain,
        verifierWallet,
        source,
        recordCheck: (config.role === "bank" ? bankRecordCheck : regulatorRecordCheck)(db, {
          rejected: rejectedOnChain(chain, db),
        }),
        outbox,
        logger,
        metrics,
        decisions,
        unresolvedAnchors: config.unresolvedAnchors,
      })
    : undefined;
  const integrity = createIntegrityChecker({
    db,
    source,
    store: config.role === "bank" ? store : undefined,
    verifier,
    logger,
    metrics,
    batchSize: config.integrity.batchSize,
  });
  // A scan on every interval, and at once when the indexer stored new events.
  const verifierLoop = createLoop(
    async () => {
      await verifier?.scan();
      return false;
    },
    (error) => logger.warn({ error: (error as Error).message }, "verification pass failed; will retry"),
  );

  const indexer = createIndexer({
    db,
    chain,
    logger,
    metrics,
    confirmations: config.confirmations,
    startBlock: deployment.startBlock ?? 0,
    onEvents: () => verifierLoop.poke(),
  });

  const app = createApp({
    ...NODE_API[config.role],
    routes,
    apiKeys,
    logger,
    metrics,
    limits: config.limits,
    uploadDir: store.incoming,
    staticDir: config.role === "bank" && config.webDir && fs.existsSync(config.webDir) ? config.webDir : undefined,
    mount: config.role === "bank" ? (app) => mountDashboardHelpers(app, config) : undefined,
    ready: async () => {
      await db.prisma.$queryRawUnsafe("SELECT 1");
      const chainState = await chain.check();
      return {
        role: config.role,
        database: db.provider,
        chain: chainState,
        outboxPending: await outbox.pendingCount(),
      };
    },
  });

  // The batcher only seals documents into batches in the database: it runs while the chain is away.
  batcher?.start(Math.min(500, config.batch.maxAgeMs));
  const startChainWork = () => {
    outbox.start();
    indexer.start(config.pollIntervalMs);
    scheduler?.start(config.reviewCheckMs);
    if (config.integrity.intervalMs > 0) integrity.start(config.integrity.intervalMs);
    if (verifier) verifierLoop.start(Math.max(config.pollIntervalMs, 1_000));
    keyProblems(chain, config.role, verifier ? verifierWallet.address : undefined).then(
      (problems) => {
        for (const problem of problems) logger.warn({ problem }, "key check failed: writes will be refused");
        if (problems.length === 0) {
          logger.info({ signer: chain.signer.address, verifier: verifierWallet.address }, "key check passed");
        }
      },
      (error: Error) => logger.warn({ error: error.message }, "key check could not run"),
    );
  };
  if (chainAnswered) startChainWork();
  else gate.whenReady(startChainWork);

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE" ? new ConfigError(`PORT: ${config.host}:${config.port} is already in use`) : error,
      ),
    );
  });
  const address = server.address() as AddressInfo;
  const url = `http://${config.host}:${address.port}`;
  logger.info({ url, role: config.role, chainId: deployment.chainId, database: db.provider }, "node listening");

  let closed = false;
  return {
    url,
    config: { ...config, port: address.port },
    logger,
    async close() {
      if (closed) return;
      closed = true;
      gate.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await Promise.all([
        verifierLoop.stop(),
        batcher?.stop(),
        scheduler?.stop(),
        indexer.stop(),
        outbox.stop(),
        integrity.stop(),
      ]);
      chain.close();
      await db.close();
      logger.info("node stopped");
    },
  };
}

/** Stops `node` on SIGINT or SIGTERM, once, and ends the process (1 when it did not stop cleanly). */
export function stopOnSignals(node: RunningNode): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    node.logger.info({ signal }, "stopping");
    node.close().then(
      () => process.exit(0),
      (error: Error) => {
        node.logger.error({ error: error.message }, "unclean stop");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}
