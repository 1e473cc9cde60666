import { ZeroHash, keccak256, toUtf8Bytes, type Wallet } from "ethers";
import type { Logger } from "pino";
import type { Chain } from "../chain/chain";
import { EVIDENCE_KINDS, contentHashOf, provesInto, saltedHashOf } from "../chain/evidence";
import type { Database } from "../db/client";
import type { Metrics } from "../http/metrics";
import { readEvents } from "../indexer/read";
import type { Outbox } from "../outbox/outbox";
import type { Check, RecordCandidate, RecordCheck } from "./checks";
import { BATCH_ATTEST } from "./batch-verdicts";
import type { BatchLeafVerdict, Decisions } from "./decisions";
import { ATTEST, REVOKE } from "./handlers";
import { ContentTampered, fetchOne, type CandidateEvidence, type DocumentSource, type Fetched } from "./sources";
import { createUnresolvedAnchors, type AnchorRef, type UnresolvedAnchorOptions } from "./unresolved";
import { forEachChunk, inChunks } from "../db/chunks";

export { ATTEST, REGISTER_LEAF, REVOKE, reasonHashOf, verifierHandlers } from "./handlers";

/**
 * A verifier node: learns of anchored evidence from the indexed chain events, fetches each document, re-hashes it
 * itself, proves it against the root the chain holds, applies its institution's own record checks, records its
 * verdict (sealed with its MAC) and queues the signed attestation (and, for batched evidence, the leaf registration it
 * needs). An anchor the bank node cannot resolve is waited for a bounded time, then skipped as unresolved.
 */
export function createVerifier({
  db,
  chain,
  verifierWallet,
  source,
  recordCheck,
  outbox,
  logger,
  metrics,
  decisions,
  unresolvedAnchors,
}: {
  db: Database;
  chain: Chain;
  verifierWallet: Wallet;
  source: DocumentSource;
  recordCheck: RecordCheck;
  outbox: Outbox;
  logger: Logger;
  metrics: Metrics;
  decisions: Decisions;
  unresolvedAnchors: UnresolvedAnchorOptions;
}) {
  const CURSOR = "verifier";
  const unresolved = createUnresolvedAnchors({ db, logger, metrics, options: unresolvedAnchors });
  let busy = false;

  /** Integrity: the bytes, re-hashed here, give exactly the salted hash the chain committed to. */
  function integrityOf(candidate: CandidateEvidence, anchoredSaltedHash: string, bytes: Fetched): Decided {
    if (bytes instanceof ContentTampered) return { check: { ok: false, reason: bytes.message }, contentHash: null };
    if (!bytes) return { check: { ok: false, reason: "document not available from the bank node" }, contentHash: null };
    const contentHash = contentHashOf(bytes);
    const saltedHash = saltedHashOf(candidate.salt, contentHash);
    return saltedHash === anchoredSaltedHash.toLowerCase()
      ? { check: { ok: true }, contentHash }
      : { check: { ok: false, reason: "tampered: the document's bytes do not match the anchored hash" }, contentHash };
  }

  /** Integrity of one document, its bytes fetched alone. */
  async function integrity(candidate: CandidateEvidence, anchoredSaltedHash: string): Promise<Decided> {
    return integrityOf(candidate, anchoredSaltedHash, await fetchOne(source, candidate.documentId));
  }

  /**
   * Integrity of a slice of candidates, each proven into `root` first (null for one the root does not prove); the
   * bytes fetched in bulk when the source can, else one document at a time. A fetch that fails leaves its documents
   * undecided (the error in their place).
   */
  async function integrityOfSlice(root: string, slice: CandidateEvidence[]): Promise<unknown[]> {
    const proven = slice.map((c) => provesInto(root, c, c.proof));
    if (!source.contents) {
      return Promise.all(
        slice.map((c, i) => (proven[i] ? integrity(c, c.saltedHash).catch((error: unknown) => error) : null)),
      );
    }
    const fetched = await source
      .contents(slice.filter((_, i) => proven[i]).map((c) => c.documentId))
      .catch((error: unknown) => error);
    return slice.map((c, i) => {
      if (!proven[i]) return null;
      return fetched instanceof Map ? integrityOf(c, c.saltedHash, fetched.get(c.documentId)) : fetched;
    });
  }

  /** What the institution's record checks see of a document whose bytes hold. */
  const recordCandidate = (candidate: CandidateEvidence, contentHash: string | null): RecordCandidate => ({
    kind: candidate.kind,
    metadata: candidate.metadata,
    facilityId: candidate.facilityId,
    counterparty: candidate.counterparty,
    evidenceId: candidate.evidenceId,
    contentHash: contentHash ?? undefined,
  });

  async function decide(candidate: CandidateEvidence, anchoredSaltedHash: string): Promise<Decided> {
    const checked = await integrity(candidate, anchoredSaltedHash);
    if (!checked.check.ok) return checked;
    return {
      check: await recordCheck(recordCandidate(candidate, checked.contentHash)),
      contentHash: checked.contentHash,
    };
  }

  type Decided = { check: Check; contentHash: string | null };
  const isDecided = (value: unknown): value is Decided =>
    typeof value === "object" && value !== null && "check" in value && !(value instanceof Error);
  type Leaf = { root: string; index: number; proof: string[] };

  /** The verdict row of a decision, sealed with this node's MAC (for a batched leaf: where it sits, as proven). */
  function verdictRow(candidate: CandidateEvidence, { check, contentHash }: Decided, leaf?: Leaf) {
    const decided = {
      evidenceId: candidate.evidenceId,
      facilityId: candidate.facilityId,
      kind: candidate.kind,
      verdict: check.ok ? ("ACCEPT" as const) : ("REJECT" as const),
      reason: check.ok ? "" : check.reason,
      contentHash,
    };
    return {
      ...decided,
      metadata: JSON.stringify(candidate.metadata),
      mac: decisions.sealVerdict(decided),
      ...(leaf ? { batchRoot: leaf.root, leafIndex: leaf.index, proof: JSON.stringify(leaf.proof) } : {}),
    };
  }

  /**
   * Records verdicts and queues their chain write in one database transaction, so that after a crash either both are
   * there or neither: `attest` queues one ATTEST per evidence (anchored alone), `batch` one BATCH_ATTEST over the
   * batched leaves (sorted by position), none when the evidence cannot be attested on chain. A decision of this node
   * recorded before (a crash, a concurrent pass) is kept with the job it was queued with; a row without its MAC was
   * written by someone else and is replaced by the node's own decision. Returns the verdicts newly recorded.
   */
  async function record(
    decided: Array<{ candidate: CandidateEvidence; decided: Decided; leaf?: Leaf }>,
    chainWrite: "attest" | "batch" | "none",
    root?: string,
  ): Promise<Array<ReturnType<typeof verdictRow>>> {
    const recorded = await db.prisma.$transaction(async (tx) => {
      const ids = decided.map((d) => d.candidate.evidenceId);
      const existing = await inChunks(ids, (chunk) =>
        tx.verification.findMany({ where: { evidenceId: { in: chunk } } }),
      );
      const own = new Set(existing.filter((row) => decisions.isOwn(row)).map((row) => row.evidenceId));
      const foreign = existing.filter((row) => !own.has(row.evidenceId)).map((row) => row.evidenceId);
      await forEachChunk(foreign, (chunk) => tx.verification.deleteMany({ where: { evidenceId: { in: chunk } } }));
      const rows = decided
        .filter((d) => !own.has(d.candidate.evidenceId))
        .map((d) => verdictRow(d.candidate, d.decided, d.leaf));
      if (rows.length === 0) return rows;
      await tx.verification.createMany({ data: rows });
      if (chainWrite === "attest") {
        for (const row of rows) {
          await outbox.enqueue(tx, {
            key: `attest:${verifierWallet.address}:${row.evidenceId}`,
            kind: ATTEST,
            payload: decisions.attestPayload(row.evidenceId, row.verdict, row.reason),
          });
        }
      } else if (chainWrite === "batch") {
        const leaves: BatchLeafVerdict[] = rows.map((row) => ({
          index: row.leafIndex!,
          evidenceId: row.evidenceId,
          verdict: row.verdict,
        }));
        const payload = decisions.batchAttestPayload(root!, leaves);
        // One key per set of positions: a later job over leaves decided later has its own.
        const positions = keccak256(toUtf8Bytes(payload.leaves.map((leaf) => leaf.index).join(","))).slice(2, 18);
        await outbox.enqueue(tx, {
          key: `batch-attest:${verifierWallet.address}:${root}:${positions}`,
          kind: BATCH_ATTEST,
          payload,
        });
      }
      return rows;
    });
    for (const row of recorded) {
      metrics.verdicts.inc({ verdict: row.verdict });
      if (row.verdict === "REJECT") {
        logger.info({ evidenceId: row.evidenceId, verdict: row.verdict, reason: row.reason }, "verdict recorded");
      }
    }
    return recorded;
  }

  /** Whether this node decided on the evidence already (a row without its MAC is not its decision). */
  async function decidedHere(evidenceIds: string[]): Promise<Set<string>> {
    const rows = await inChunks(evidenceIds, (chunk) =>
      db.prisma.verification.findMany({ where: { evidenceId: { in: chunk } } }),
    );
    return new Set(rows.filter((row) => decisions.isOwn(row)).map((row) => row.evidenceId));
  }

  /** Candidates checked for integrity (their bytes fetched and hashed) this many at a time. */
  const LOOKAHEAD = 64;

  /**
   * Verifies a batch's documents; false when the bank node does not know the batch. Both nodes decide the same
   * positions in the same order (by leaf index, whatever order the bank lists them in): integrity first, every leaf
   * (LOOKAHEAD at a time), then the record checks of the leaves whose bytes hold, in leaf order in one pass (so "one
   * document, one use" sees the earlier leaves); then every verdict is recorded and ONE signed batch verdict over the
   * leaves decided is queued, in one database transaction. A leaf that cannot be decided now (its bytes not fetchable)
   * is left out: the pass then fails, the scan comes back to the batch, and a later job covers the leaves decided then.
   */
  async function handleBatch(root: string): Promise<boolean> {
    const listed = await source.batch(root);
    if (listed.length === 0) return false;
    const done = await decidedHere(listed.map((c) => c.evidenceId));
    // One candidate per position (a bank listing two for one position has at most one the root proves there).
    const byPosition = new Map<number, CandidateEvidence>();
    for (const c of [...listed].sort((a, b) => a.index - b.index)) {
      if (!done.has(c.evidenceId) && !byPosition.has(c.index)) byPosition.set(c.index, c);
    }
    const candidates = [...byPosition.values()];
    // The bank's claimed leaf counts only if the root on chain proves it at its position; then it is what was anchored.
    const checked = await inChunks(candidates, (slice) => integrityOfSlice(root, slice), LOOKAHEAD);
    const proven: Array<{ candidate: CandidateEvidence; decided: Decided; leaf: Leaf }> = [];
    const unproven: Array<{ candidate: CandidateEvidence; decided: Decided }> = [];
    let undecided: unknown;
    for (const [i, candidate] of candidates.entries()) {
      const integrityChecked = checked[i];
      if (integrityChecked === null) {
        unproven.push({
          candidate,
          decided: { check: { ok: false, reason: "the bank's leaf is not in the anchored root" }, contentHash: null },
        });
      } else if (!isDecided(integrityChecked)) {
        undecided ??= integrityChecked;
      } else {
        proven.push({
          candidate,
          leaf: { root, index: candidate.index, proof: candidate.proof },
          decided: integrityChecked,
        });
      }
    }
    const intact = proven.filter((p) => p.decided.check.ok);
    const records = await recordCheck.many(intact.map((p) => recordCandidate(p.candidate, p.decided.contentHash)));
    intact.forEach((p, i) => (p.decided = { check: records[i], contentHash: p.decided.contentHash }));
    if (unproven.length > 0) await record(unproven, "none");
    if (proven.length > 0) {
      const recorded = await record(proven, "batch", root);
      if (recorded.length > 0) {
        logger.info(
          {
            root,
            leaves: recorded.length,
            accepted: recorded.filter((row) => row.verdict === "ACCEPT").length,
          },
          "batch verdicts recorded; batch attestation queued",
        );
      }
    }
    if (undecided !== undefined) throw undecided;
    return true;
  }

  /** Verifies a document anchored alone; false when the bank node does not know the evidence. */
  async function handleSingle(evidenceId: string, anchoredSaltedHash: string): Promise<boolean> {
    if ((await decidedHere([evidenceId])).has(evidenceId)) return true;
    const candidate = await source.evidence(evidenceId);
    if (!candidate) return false;
    await record([{ candidate, decided: await decide(candidate, anchoredSaltedHash) }], "attest");
    return true;
  }

  const handle = (anchor: AnchorRef) =>
    anchor.kind === "BATCH" ? handleBatch(anchor.root) : handleSingle(anchor.root, anchor.saltedHash ?? ZeroHash);
  const missing = (anchor: AnchorRef) =>
    anchor.kind === "BATCH"
      ? `the bank node does not know batch ${anchor.root}`
      : `the bank node does not know evidence ${anchor.root}`;

  /** Tries the anchors skipped as unresolved whose retry is due (a few a pass: they are retried at low frequency). */
  async function retryUnresolved(): Promise<number> {
    let found = 0;
    for (const anchor of await unresolved.due(5)) {
      // A failing retry must not hold the anchors behind it: it waits for its next turn.
      const outcome = await handle(anchor).catch((error: Error) => error);
      if (outcome === true) {
        await unresolved.resolved(anchor.root);
        found++;
      } else {
        await unresolved.stillUnresolved(anchor.root, outcome === false ? missing(anchor) : outcome.message);
      }
    }
    return found;
  }

  /** Processes anchoring events indexed since the last pass; safe to repeat after a crash. */
  async function scan(): Promise<number> {
    if (busy) return 0;
    busy = true;
    try {
      let handled = await retryUnresolved();
      const cursor = await db.prisma.checkpoint.findUnique({ where: { name: CURSOR } });
      const events = await readEvents(db, {
        names: ["BatchAnchored", "EvidenceAnchored"],
        fromBlock: cursor ? cursor.blockNumber + 1n : undefined,
      });
      let lastBlock: bigint | undefined;
      for (const event of events) {
        if (lastBlock !== undefined && event.blockNumber !== lastBlock) {
          await db.prisma.checkpoint.upsert({
            where: { name: CURSOR },
            create: { name: CURSOR, blockNumber: lastBlock, blockHash: "" },
            update: { blockNumber: lastBlock },
          });
        }
        const anchor: AnchorRef | undefined =
          event.name === "BatchAnchored"
            ? { root: event.args.root, kind: "BATCH", blockNumber: event.blockNumber }
            : event.args.batchRoot === ZeroHash
              ? {
                  root: event.args.evidenceId,
                  kind: "SINGLE",
                  blockNumber: event.blockNumber,
                  saltedHash: event.args.saltedHash,
                }
              : undefined;
        if (anchor) {
          if (await handle(anchor)) await unresolved.resolved(anchor.root);
          // Within the bounded wait the scan stops here (the bank may not have recorded it yet); after it, skips it.
          else if ((await unresolved.note(anchor, missing(anchor))) === "wait")
            throw new Error(`${missing(anchor)} yet`);
        }
        lastBlock = event.blockNumber;
        handled++;
      }
      if (lastBlock !== undefined) {
        await db.prisma.checkpoint.upsert({
          where: { name: CURSOR },
          create: { name: CURSOR, blockNumber: lastBlock, blockHash: "" },
          update: { blockNumber: lastBlock },
        });
      }
      if (handled > 0) outbox.poke();
      return handled;
    } finally {
      busy = false;
    }
  }

  /**
   * Withdraws this node's acceptance of evidence whose bytes changed after it accepted them: records the revocation
   * (MAC-sealed) and queues the signed revocation, exactly once. False when there is no acceptance to withdraw.
   */
  async function revoke(evidenceId: string, reason: string): Promise<boolean> {
    const queued = await db.prisma.$transaction((tx) =>
      decisions.revoke(tx, evidenceId, reason, (payload) =>
        outbox.enqueue(tx, { key: `revoke:${verifierWallet.address}:${evidenceId}`, kind: REVOKE, payload }),
      ),
    );
    if (queued) {
      logger.error({ evidenceId, reason }, "acceptance withdrawn: revocation queued for the chain");
      outbox.poke();
    }
    return queued;
  }

  return { scan, revoke, address: verifierWallet.address, kinds: EVIDENCE_KINDS };
}

export type Verifier = ReturnType<typeof createVerifier>;
