import type { Logger } from "pino";
import type { Database } from "../db/client";
import type { Metrics } from "../http/metrics";
import { integrityMetrics } from "./integrity-metrics";

export interface UnresolvedAnchorOptions {
  /** Tries before an anchor is skipped... */
  retries: number;
  /** ...and at least this long after it was first seen. */
  waitMs: number;
  /** How often a skipped anchor is tried again. */
  retryMs: number;
}

/** An anchor as the chain recorded it: a batch root, or a single evidence id with its salted hash. */
export interface AnchorRef {
  root: string;
  kind: "BATCH" | "SINGLE";
  blockNumber: bigint;
  saltedHash?: string;
}

/**
 * Anchors the bank node cannot resolve (its batch or evidence answers 404: the bank's key anchored outside the node,
 * or its database was restored from an older backup). Each is waited for a bounded time, then marked UNRESOLVED,
 * raised (a warning, the qfm_unresolved_anchors gauge, the verification queue) and skipped, so the anchors after it
 * are verified as usual; it is tried again every `retryMs` and verified once the bank serves it.
 */
export function createUnresolvedAnchors({
  db,
  logger,
  metrics,
  options,
}: {
  db: Database;
  logger: Logger;
  metrics: Metrics;
  options: UnresolvedAnchorOptions;
}) {
  const gauge = integrityMetrics(metrics).unresolvedAnchors;
  const refreshGauge = async () =>
    gauge.set(await db.prisma.unresolvedAnchor.count({ where: { status: "UNRESOLVED" } }));

  /** Notes a failed try: "wait" while the bounded wait lasts (the scan stops here), "skip" once it is over. */
  async function note(anchor: AnchorRef, reason: string): Promise<"wait" | "skip"> {
    const row = await db.prisma.unresolvedAnchor.upsert({
      where: { root: anchor.root },
      create: {
        root: anchor.root,
        kind: anchor.kind,
        blockNumber: anchor.blockNumber,
        saltedHash: anchor.saltedHash ?? null,
        attempts: 1,
        lastError: reason,
        // The node's clock, not the database's: the bounded wait is measured against Date.now().
        firstSeenAt: new Date(),
      },
      update: { attempts: { increment: 1 }, lastError: reason },
    });
    if (row.status === "UNRESOLVED") return "skip";
    if (row.attempts < options.retries || Date.now() - row.firstSeenAt.getTime() < options.waitMs) return "wait";
    await db.prisma.unresolvedAnchor.update({
      where: { root: anchor.root },
      data: { status: "UNRESOLVED", nextAttemptAt: new Date(Date.now() + options.retryMs) },
    });
    await refreshGauge();
    logger.warn(
      { root: anchor.root, kind: anchor.kind, block: anchor.blockNumber.toString(), attempts: row.attempts, reason },
      "anchor unresolved: the bank node cannot serve it; skipped, later anchors are verified, retried at low frequency",
    );
    return "skip";
  }

  /** The anchor was verified: no longer waiting or unresolved. */
  async function resolved(root: string): Promise<void> {
    const { count } = await db.prisma.unresolvedAnchor.updateMany({
      where: { root, status: { not: "RESOLVED" } },
      data: { status: "RESOLVED", resolvedAt: new Date() },
    });
    if (count > 0) {
      logger.info({ root }, "anchor resolved");
      await refreshGauge();
    }
  }

  /** Skipped anchors due for another try. */
  async function due(limit: number): Promise<AnchorRef[]> {
    const rows = await db.prisma.unresolvedAnchor.findMany({
      where: { status: "UNRESOLVED", nextAttemptAt: { lte: new Date() } },
      orderBy: { nextAttemptAt: "asc" },
      take: limit,
    });
    return rows.map((row) => ({
      root: row.root,
      kind: row.kind as AnchorRef["kind"],
      blockNumber: row.blockNumber,
      saltedHash: row.saltedHash ?? undefined,
    }));
  }

  /** A retry found it still unresolvable: try again after `retryMs`. */
  async function stillUnresolved(root: string, reason: string): Promise<void> {
    await db.prisma.unresolvedAnchor.update({
      where: { root },
      data: { attempts: { increment: 1 }, lastError: reason, nextAttemptAt: new Date(Date.now() + options.retryMs) },
    });
  }

  return { note, resolved, due, stillUnresolved, refreshGauge };
}

/** The anchors this node's verifier skipped as unresolved (for the verification queue). */
export async function listUnresolvedAnchors(db: Database) {
  const rows = await db.prisma.unresolvedAnchor.findMany({
    where: { status: "UNRESOLVED" },
    orderBy: { firstSeenAt: "desc" },
    take: 200,
  });
  return rows.map((row) => ({
    root: row.root,
    kind: row.kind,
    status: "UNRESOLVED" as const,
    blockNumber: row.blockNumber.toString(),
    attempts: row.attempts,
    reason: row.lastError,
    firstSeenAt: row.firstSeenAt.toISOString(),
  }));
}
