import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import pino, { type Logger } from "pino";
import type { Deployment } from "../chain/deployment";
import { createChain, type Chain } from "../chain/chain";
import { createDatabase } from "../db/client";
import { migrateDatabase } from "../db/migrate";
import { createMetrics } from "../http/metrics";
import { createIndexer } from "../indexer/indexer";
import type { AuditEvent } from "./report";
import { readAuditEvents } from "./service";

export interface RebuildProgress {
  /** the last block indexed so far */
  block: number;
  /** the chain's head when that step finished */
  head: number;
  /** contract events stored so far */
  events: number;
}

/**
 * A chain connection for reading only: the indexer and the block clock never send a transaction, so the signer is a
 * throwaway key rather than one of the institutions'.
 */
export function readOnlyChain(deployment: Deployment, rpcUrl?: string): Chain {
  return createChain({ deployment, rpcUrl, signerKey: Wallet.createRandom().privateKey });
}

/**
 * Indexes the deployment's contracts from its start block into a FRESH temporary SQLite database, with the nodes' own
 * indexer and migrations, and returns the audit events read back from it; the database is deleted afterwards. The
 * report built from these depends on nothing but the chain, so it can be compared with a node's live one.
 */
export async function rebuildAuditEvents({
  chain,
  confirmations = 0,
  maxBlocksPerStep,
  logger = pino({ level: "silent" }),
  onProgress,
}: {
  chain: Chain;
  confirmations?: number;
  maxBlocksPerStep?: number;
  logger?: Logger;
  onProgress?: (progress: RebuildProgress) => void;
}): Promise<AuditEvent[]> {
  await chain.check().catch((error: Error) => {
    throw new Error(`cannot rebuild from the chain node at ${chain.url}: ${error.message}`);
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-audit-"));
  try {
    const url = `file:${path.join(dir, "db.sqlite")}`;
    await migrateDatabase(url);
    const db = createDatabase(url);
    try {
      const indexer = createIndexer({
        db,
        chain,
        logger,
        metrics: createMetrics("audit-rebuild"),
        confirmations,
        startBlock: chain.deployment.startBlock ?? 0,
        maxBlocksPerStep,
      });
      // What indexer.catchUp() does, one step at a time so that progress can be shown.
      while ((await indexer.step()) > 0) {
        const [checkpoint, head, events] = await Promise.all([
          indexer.checkpoint(),
          chain.provider.send("eth_blockNumber", []),
          db.prisma.chainEvent.count(),
        ]);
        onProgress?.({ block: Number(checkpoint?.blockNumber ?? 0), head: Number(head), events });
      }
      return await readAuditEvents(db);
    } finally {
      await db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
