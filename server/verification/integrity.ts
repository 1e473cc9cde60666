import type { Logger } from "pino";
import { contentHashOf } from "../chain/evidence";
import type { Database } from "../db/client";
import type { DocumentStore } from "../documents/storage";
import type { Metrics } from "../http/metrics";
import { createLoop } from "../loop";
import { integrityMetrics } from "./integrity-metrics";
import { ContentTampered, type DocumentSource } from "./sources";
import type { Verifier } from "./verifier";

export const TAMPERED_REASON = "stored document changed after acceptance: its bytes no longer match the accepted hash";
export const MISSING_REASON = "stored document no longer available: the accepted bytes cannot be produced";

/**
 * Re-checks the documents a node accepted: on a schedule, a few at a time (least recently checked first), each
 * document's bytes are fetched from where the node gets them (the bank: its own store; the regulator: the bank node)
 * and re-hashed against the hash this node accepted. A mismatch, or bytes that are gone, is raised (an error log,
 * qfm_document_integrity_checks_total{outcome}, the document's integrity status on the bank node) and the node
 * withdraws its acceptance on chain (EvidenceRegistry.revoke through the outbox, once), which blocks any payment the
 * evidence has not yet released. The bank node also re-hashes before every download (server/documents/storage.ts) and
 * reports a mismatch found there through `tampered`.
 */
export function createIntegrityChecker({
  db,
  source,
  store,
  verifier,
  logger,
  metrics,
  batchSize,
}: {
  db: Database;
  source: DocumentSource;
  /** The bank node's store: its documents get an integrity status (DocumentIntegrity). */
  store?: DocumentStore;
  verifier?: Verifier;
  logger: Logger;
  metrics: Metrics;
  batchSize: number;
}) {
  const counters = integrityMetrics(metrics);

  async function markDocuments(contentHash: string, status: "OK" | "TAMPERED" | "MISSING", actualHash: string | null) {
    if (!store) return [];
    const documents = await db.prisma.document.findMany({
      where: { contentHash },
      select: { id: true, evidenceId: true },
    });
    for (const { id } of documents) {
      await db.prisma.documentIntegrity.upsert({
        where: { documentId: id },
        create: { documentId: id, status, actualHash },
        update: { status, actualHash, checkedAt: new Date() },
      });
    }
    return documents;
  }

  /** Raises a document whose accepted bytes changed or went, and withdraws this node's acceptance of it. */
  async function raise(evidenceId: string, reason: string, detail: Record<string, unknown>): Promise<void> {
    logger.error({ evidenceId, ...detail, reason }, "stored document failed its integrity check");
    if (!verifier) return;
    await verifier.revoke(evidenceId, reason);
  }

  /** A mismatch found outside the schedule (the bank node's download path): every document with that address. */
  async function tampered(contentHash: string, actualHash: string): Promise<void> {
    counters.integrityChecks.inc({ outcome: "tampered" });
    const documents = await markDocuments(contentHash, "TAMPERED", actualHash);
    for (const { evidenceId } of documents) {
      await raise(evidenceId, TAMPERED_REASON, { recordedHash: contentHash, storedHash: actualHash });
    }
  }

  /** One pass over the least recently re-checked accepted documents; returns how many failed. */
  async function pass(): Promise<number> {
    const rows = await db.prisma.verification.findMany({
      where: { verdict: "ACCEPT", revokedAt: null, contentHash: { not: null } },
      orderBy: { recheckedAt: { sort: "asc", nulls: "first" } },
      take: batchSize,
      select: { evidenceId: true, contentHash: true },
    });
    let failed = 0;
    for (const row of rows) {
      const accepted = row.contentHash!;
      const candidate = await source.evidence(row.evidenceId);
      const bytes = candidate
        ? await source.content(candidate.documentId).catch((error: unknown) => {
            if (error instanceof ContentTampered) return error;
            throw error;
          })
        : undefined;
      // The bank node withholding the bytes as tampered counts as tampered, with the hash it found on disk.
      const actualHash =
        bytes instanceof ContentTampered ? (bytes.storedHash ?? "unknown") : bytes ? contentHashOf(bytes) : null;
      const outcome = actualHash === null ? "missing" : actualHash === accepted ? "ok" : "tampered";
      counters.integrityChecks.inc({ outcome });
      await markDocuments(
        accepted,
        outcome === "ok" ? "OK" : outcome === "missing" ? "MISSING" : "TAMPERED",
        actualHash,
      );
      await db.prisma.verification.update({ where: { evidenceId: row.evidenceId }, data: { recheckedAt: new Date() } });
      if (outcome === "ok") continue;
      failed++;
      await raise(row.evidenceId, outcome === "missing" ? MISSING_REASON : TAMPERED_REASON, {
        acceptedHash: accepted,
        storedHash: actualHash,
      });
    }
    return failed;
  }

  const loop = createLoop(
    async () => {
      await pass();
      return false;
    },
    (error) => logger.warn({ error: (error as Error).message }, "integrity pass failed; will retry"),
  );

  // A download that found swapped bytes: raise it at once, not at the next scheduled pass.
  store?.onMismatch((contentHash, actualHash) => {
    tampered(contentHash, actualHash).catch((error: Error) =>
      logger.error({ contentHash, error: error.message }, "could not raise a tampered document"),
    );
  });

  return { pass, tampered, start: (intervalMs: number) => loop.start(intervalMs), stop: () => loop.stop() };
}

export type IntegrityChecker = ReturnType<typeof createIntegrityChecker>;
