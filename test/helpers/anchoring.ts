/** What "anchored exactly once" means, checked against a bank node, its database and the chain. */
import { expect } from "chai";
import type { JsonRpcProvider } from "ethers";
import { ANCHOR_BATCH } from "../../server/anchoring/anchoring";
import { createDatabase } from "../../server/db/client";
import { checkProof, type Proof, type UploadedDocument } from "../../scripts/bench/lib/documents";
import { createHttpClient } from "../../scripts/bench/lib/http";
import { mapPool } from "../../scripts/bench/lib/pool";
import { devWallet } from "../../scripts/lib/deploy-config";
import type { EvidenceRegistry } from "../../typechain-types";

/**
 * Exactly once, from the chain's point of view: every document's proof (GET /documents/:id/proof) verifies with
 * StandardMerkleTree.verify into a root, every such root is anchored on chain with exactly as many leaves as the node
 * put in it, the anchored leaves are exactly `documents`, and the bank sent one transaction per batch and no other.
 * `documents` must be every document the node holds; `sentBefore` is how many transactions the bank had sent before the
 * documents (opening the facilities they are evidence for).
 */
export async function assertAnchoredExactlyOnce(
  url: string,
  apiKey: string,
  documents: readonly UploadedDocument[],
  registry: EvidenceRegistry,
  provider: JsonRpcProvider,
  sentBefore = 0,
): Promise<{ batches: number; proofs: number }> {
  const http = createHttpClient(url, apiKey, 8);
  try {
    const proofs = await mapPool(documents, 8, (document) => http.getJson<Proof>(`/documents/${document.id}/proof`));
    const roots = new Map<string, number>();
    for (const [i, proof] of proofs.entries()) {
      checkProof(documents[i], proof);
      roots.set(proof.root, (roots.get(proof.root) ?? 0) + 1);
    }
    const events = await registry.queryFilter(registry.filters.BatchAnchored());
    const onChain = new Map(events.map((event) => [event.args.root, Number(event.args.size)]));
    expect(onChain.size, "each root anchored once").to.equal(events.length);
    for (const [root, count] of roots) expect(onChain.get(root), `root ${root}`).to.equal(count);
    expect(
      [...onChain.values()].reduce((a, b) => a + b, 0),
      "leaves anchored",
    ).to.equal(documents.length);
    expect(new Set(events.map((event) => event.transactionHash)).size, "one transaction per batch").to.equal(
      events.length,
    );
    const sent = await provider.getTransactionCount(devWallet("bank").address, "latest");
    expect(
      sent - sentBefore,
      "the bank's nonce: one anchoring transaction per batch, none duplicated or reverted",
    ).to.equal(events.length);
    return { batches: events.length, proofs: proofs.length };
  } finally {
    http.close();
  }
}

/**
 * The outbox as the node's own database holds it has drained: every job confirmed (none pending, in flight or
 * failed), one anchoring job per batch, each in a transaction of its own. Returns the number of jobs.
 */
export async function assertOutboxDrained(databaseUrl: string, batches: number): Promise<number> {
  const db = createDatabase(databaseUrl);
  try {
    const jobs = await db.prisma.outboxJob.findMany({ select: { kind: true, status: true, txHash: true } });
    const open = jobs.filter((job) => job.status !== "CONFIRMED");
    expect(open, "outbox jobs not confirmed").to.deep.equal([]);
    const anchoring = jobs.filter((job) => job.kind === ANCHOR_BATCH);
    expect(anchoring.length, "anchoring jobs").to.equal(batches);
    expect(new Set(anchoring.map((job) => job.txHash)).size, "anchoring transactions").to.equal(batches);
    return jobs.length;
  } finally {
    await db.close();
  }
}
