import { ZeroHash } from "ethers";
import type { Database } from "../db/client";
import { inChunks } from "../db/chunks";

type StoredEvent = { id: string; name: string; blockNumber: bigint; txHash: string; args: Record<string, any> };

/** The positions (leaf indexes) whose bits are set in bitmap words as a BatchAttested event stores them. */
function positionsOf(words: unknown): number[] {
  const indexes: number[] = [];
  if (!Array.isArray(words)) return indexes;
  words.forEach((value, w) => {
    let word = BigInt(String(value));
    for (let b = 0; word !== 0n; b++, word >>= 1n) if (word & 1n) indexes.push(w * 256 + b);
  });
  return indexes;
}

/**
 * A BatchAttested event as per-document verdicts: one EvidenceAttested for each leaf it decides whose evidence this
 * node knows at that position (the bank's documents, a verifier's own verdict rows), with the batch's root and the
 * leaf's index among its arguments and a zero reason hash (a batch verdict carries none: the reason is the verifier
 * node's record, GET /verifications). Expanded when read, so a leaf this node learns of after the event was indexed
 * (the regulator decides after the bank's verdict landed) is shown too.
 */
async function expandBatchVerdicts(
  db: Database,
  event: StoredEvent,
  registered: Map<string, string>,
): Promise<StoredEvent[]> {
  const root = String(event.args.root);
  const verdicts = new Map<number, string>();
  for (const index of positionsOf(event.args.accepted)) verdicts.set(index, "1");
  for (const index of positionsOf(event.args.rejected)) verdicts.set(index, "2");
  if (verdicts.size === 0) return [];
  const indexes = [...verdicts.keys()];
  const [documents, own] = await Promise.all([
    inChunks(indexes, (chunk) =>
      db.prisma.document.findMany({
        where: { batch: { root }, leafIndex: { in: chunk } },
        select: { evidenceId: true, leafIndex: true },
      }),
    ),
    inChunks(indexes, (chunk) =>
      db.prisma.verification.findMany({
        where: { batchRoot: root, leafIndex: { in: chunk } },
        select: { evidenceId: true, leafIndex: true },
      }),
    ),
  ]);
  // The chain's own registrations first (the same for every node, and for a rebuild from the chain alone).
  const evidenceAt = new Map<number, string>();
  for (const index of indexes) {
    const id = registered.get(`${root.toLowerCase()}:${index}`);
    if (id) evidenceAt.set(index, id);
  }
  for (const row of [...documents, ...own])
    if (!evidenceAt.has(row.leafIndex!)) evidenceAt.set(row.leafIndex!, row.evidenceId);
  return indexes
    .sort((a, b) => a - b)
    .filter((index) => evidenceAt.has(index))
    .map((index) => ({
      id: `${event.id}:${index}`,
      name: "EvidenceAttested",
      blockNumber: event.blockNumber,
      txHash: event.txHash,
      args: {
        evidenceId: evidenceAt.get(index)!,
        verifier: event.args.verifier,
        verdict: verdicts.get(index)!,
        reasonHash: ZeroHash,
        nonce: event.args.nonce,
        batchRoot: root,
        leafIndex: index,
      },
    }));
}

/**
 * Reads indexed events back, oldest first. Asked for EvidenceAttested, it gives the per-document verdicts of every
 * BatchAttested too (in the batch event's place), so timelines and the audit see a batch verdict as they see one
 * attestation.
 */
export async function readEvents(
  db: Database,
  where: { names?: string[]; fromBlock?: bigint } = {},
): Promise<StoredEvent[]> {
  const expand = !where.names || where.names.includes("EvidenceAttested");
  const names = where.names && expand ? [...where.names, "BatchAttested"] : where.names;
  const rows = await db.prisma.chainEvent.findMany({
    where: {
      name: names ? { in: names } : undefined,
      blockNumber: where.fromBlock ? { gte: where.fromBlock } : undefined,
    },
    orderBy: [{ blockNumber: "asc" }, { logIndex: "asc" }],
  });
  // Batched leaves registered on chain, by "root:index" (their EvidenceAnchored carries the index the indexer decoded).
  const registered = new Map<string, string>();
  if (expand) {
    const anchors = await db.prisma.chainEvent.findMany({
      where: { name: "EvidenceAnchored" },
      select: { args: true },
    });
    for (const { args } of anchors) {
      const a = JSON.parse(args);
      if (a.leafIndex !== undefined)
        registered.set(`${String(a.batchRoot).toLowerCase()}:${a.leafIndex}`, a.evidenceId);
    }
  }
  const events: StoredEvent[] = [];
  for (const row of rows) {
    const event = {
      id: row.id,
      name: row.name,
      blockNumber: row.blockNumber,
      txHash: row.txHash,
      args: JSON.parse(row.args),
    };
    if (event.name === "BatchAttested" && expand) {
      if (!where.names || where.names.includes("BatchAttested")) events.push(event);
      events.push(...(await expandBatchVerdicts(db, event, registered)));
    } else events.push(event);
  }
  return events;
}
