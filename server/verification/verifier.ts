import { ZeroHash, keccak256, toUtf8Bytes, type Wallet } from "ethers";
import type { Logger } from "pino";
import { chainNow, type Chain } from "../chain/chain";
import { ATTESTATION_TYPES, REVOCATION_TYPES } from "../chain/typed-data";
import { EVIDENCE_KINDS, contentHashOf, kindIndex, provesInto, saltedHashOf } from "../chain/evidence";
import { VERDICTS } from "../../domain/enums";
import type { Database } from "../db/client";
import type { Metrics } from "../http/metrics";
import { readEvents } from "../indexer/indexer";
import type { JobHandler, Outbox } from "../outbox/outbox";
import type { Check, RecordCheck } from "./checks";
import { batchAttestHandler } from "./batch-verdicts";
import type { AttestPayload, Decisions, RevokePayload } from "./decisions";
import { ContentTampered, type CandidateEvidence, type DocumentSource } from "./sources";
import { createUnresolvedAnchors, type AnchorRef, type UnresolvedAnchorOptions } from "./unresolved";

export const REGISTER_LEAF = "REGISTER_LEAF";
export const ATTEST = "ATTEST";
export const REVOKE = "REVOKE";

// The contract's Verdict values (domain/enums.ts): NONE as the bigint a read returns, the others as signed.
const VERDICT = {
  NONE: BigInt(VERDICTS.indexOf("NONE")),
  ACCEPT: VERDICTS.indexOf("ACCEPT"),
  REJECT: VERDICTS.indexOf("REJECT"),
} as const;

interface RegisterPayload {
  root: string;
  index: number;
  facilityId: string;
  kind: number;
  counterparty: string;
  saltedHash: string;
  proof: string[];
  evidenceId: string;
}

export const reasonHashOf = (reason: string) => (reason === "" ? ZeroHash : keccak256(toUtf8Bytes(reason)));

/**
 * Outbox handlers of a verifier node: register a batched leaf on chain, submit a signed verdict, revoke an acceptance.
 * An attestation or revocation is signed only when it is what this node's own MAC-sealed decision records say
 * (`decisions`); without them every one is refused.
 */
export function verifierHandlers({
  chain,
  verifierWallet,
  decisions,
}: {
  chain: Chain;
  verifierWallet: Wallet;
  decisions?: Decisions;
}): JobHandler<any>[] {
  const locateEvent = async (filter: Parameters<typeof chain.evidence.queryFilter>[0]) => {
    const [event] = await chain.evidence.queryFilter(filter);
    return event
      ? { txHash: event.transactionHash, blockNumber: BigInt(event.blockNumber) }
      : { txHash: "0x", blockNumber: 0n };
  };
  const domain = async () => ({
    name: "QFM EvidenceRegistry",
    version: "1",
    chainId: chain.chainId,
    verifyingContract: await chain.evidence.getAddress(),
  });
  const deadline = async () => BigInt((await chainNow(chain)) + 3_600);
  const signedAttestation = async (evidenceId: string, verdict: number, reason: string) => {
    const request = {
      evidenceId,
      verdict,
      reasonHash: reasonHashOf(reason),
      nonce: await chain.evidence.nonces(verifierWallet.address),
      deadline: await deadline(),
    };
    const signature = await verifierWallet.signTypedData(await domain(), ATTESTATION_TYPES, request);
    return chain.evidence.attest.populateTransaction([request], [signature]);
  };
  const noRecords = async () => "this node keeps no decision records to check the job against";
  const register: JobHandler<RegisterPayload> = {
    kind: REGISTER_LEAF,
    async locate({ evidenceId }) {
      const evidence = await chain.evidence.evidenceOf(evidenceId);
      return evidence.anchoredAt === 0n ? undefined : locateEvent(chain.evidence.filters.EvidenceAnchored(evidenceId));
    },
    build(p) {
      return chain.evidence.registerBatchedEvidence.populateTransaction(
        p.root,
        p.index,
        BigInt(p.facilityId),
        p.kind,
        p.counterparty,
        p.saltedHash,
        p.proof,
      );
    },
    async onConfirmed() {
      // nothing to record: the attestation job that follows is what the node tracks
    },
  };
  const attest: JobHandler<AttestPayload> = {
    kind: ATTEST,
    refuse: decisions ? (p) => decisions.refuseAttest(p) : noRecords,
    async locate({ evidenceId }) {
      const verdict = await chain.evidence.verdictOf(evidenceId, verifierWallet.address);
      return verdict === VERDICT.NONE
        ? undefined
        : locateEvent(chain.evidence.filters.EvidenceAttested(evidenceId, verifierWallet.address));
    },
    build: ({ evidenceId, verdict, reason }) => signedAttestation(evidenceId, VERDICT[verdict], reason),
    async onConfirmed(tx, { evidenceId }, landed) {
      await tx.verification.update({ where: { evidenceId }, data: { submitted: true, txHash: landed.txHash } });
    },
  };
  const revoke: JobHandler<RevokePayload> = {
    kind: REVOKE,
    refuse: decisions ? (p) => decisions.refuseRevoke(p) : noRecords,
    async locate({ evidenceId }) {
      const verdict = await chain.evidence.verdictOf(evidenceId, verifierWallet.address);
      if (verdict !== BigInt(VERDICT.REJECT)) return undefined;
      const [revoked] = await chain.evidence.queryFilter(
        chain.evidence.filters.AttestationRevoked(evidenceId, verifierWallet.address),
      );
      return revoked
        ? { txHash: revoked.transactionHash, blockNumber: BigInt(revoked.blockNumber) }
        : locateEvent(chain.evidence.filters.EvidenceAttested(evidenceId, verifierWallet.address));
    },
    async build({ evidenceId, reason }) {
      // Not attested yet (the acceptance was withdrawn before it landed): the withdrawal is a rejection.
      if ((await chain.evidence.verdictOf(evidenceId, verifierWallet.address)) === VERDICT.NONE) {
        return signedAttestation(evidenceId, VERDICT.REJECT, reason);
      }
      const nonce = await chain.evidence.nonces(verifierWallet.address);
      const request = { evidenceId, reasonHash: reasonHashOf(reason), nonce, deadline: await deadline() };
      const signature = await verifierWallet.signTypedData(await domain(), REVOCATION_TYPES, request);
      return chain.evidence.revoke.populateTransaction(request, signature);
    },
    async onConfirmed() {
      // the revocation is recorded on the verdict row when decided; the chain event is what the indexer keeps
    },
  };
  return [register, attest, revoke, batchAttestHandler({ chain, verifierWallet, decisions })];
}

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
  async function integrity(
    candidate: CandidateEvidence,
    anchoredSaltedHash: string,
  ): Promise<{ check: Check; contentHash: string | null }> {
    const bytes = await source.content(candidate.documentId).catch((error: unknown) => {
      if (error instanceof ContentTampered) return error;
      throw error;
    });
    if (bytes instanceof ContentTampered) return { check: { ok: false, reason: bytes.message }, contentHash: null };
    if (!bytes) return { check: { ok: false, reason: "document not available from the bank node" }, contentHash: null };
    const contentHash = contentHashOf(bytes);
    const saltedHash = saltedHashOf(candidate.salt, contentHash);
    return saltedHash === anchoredSaltedHash.toLowerCase()
      ? { check: { ok: true }, contentHash }
      : { check: { ok: false, reason: "tampered: the document's bytes do not match the anchored hash" }, contentHash };
  }

  async function decide(candidate: CandidateEvidence, anchoredSaltedHash: string) {
    const checked = await integrity(candidate, anchoredSaltedHash);
    if (!checked.check.ok) return checked;
    return {
      check: await recordCheck({
        kind: candidate.kind,
        metadata: candidate.metadata,
        facilityId: candidate.facilityId,
        counterparty: candidate.counterparty,
        evidenceId: candidate.evidenceId,
        contentHash: checked.contentHash ?? undefined,
      }),
      contentHash: checked.contentHash,
    };
  }

  /** Records the verdict and, when the evidence can be attested on chain, queues the chain writes in one transaction. */
  async function record(
    candidate: CandidateEvidence,
    { check, contentHash }: { check: Check; contentHash: string | null },
    chainWrites: { register?: RegisterPayload } | null,
  ): Promise<void> {
    const verdict = check.ok ? "ACCEPT" : "REJECT";
    const reason = check.ok ? "" : check.reason;
    await db.prisma.$transaction(async (tx) => {
      const existing = await tx.verification.findUnique({ where: { evidenceId: candidate.evidenceId } });
      if (existing && decisions.isOwn(existing)) return; // decided before a crash: the outbox already holds its jobs
      // A row without this node's MAC was written by someone else: it is replaced by the node's own decision.
      if (existing) await tx.verification.delete({ where: { evidenceId: candidate.evidenceId } });
      const decided = {
        evidenceId: candidate.evidenceId,
        facilityId: candidate.facilityId,
        kind: candidate.kind,
        verdict,
        reason,
        contentHash,
      };
      await tx.verification.create({
        data: { ...decided, metadata: JSON.stringify(candidate.metadata), mac: decisions.sealVerdict(decided) },
      });
      if (!chainWrites) return;
      if (chainWrites.register) {
        await outbox.enqueue(tx, {
          key: `register:${candidate.evidenceId}`,
          kind: REGISTER_LEAF,
          payload: chainWrites.register,
        });
      }
      await outbox.enqueue(tx, {
        key: `attest:${verifierWallet.address}:${candidate.evidenceId}`,
        kind: ATTEST,
        payload: decisions.attestPayload(candidate.evidenceId, verdict, reason),
      });
    });
    metrics.verdicts.inc({ verdict });
    logger.info({ evidenceId: candidate.evidenceId, verdict, reason }, "verdict recorded");
  }

  /** Whether this node decided on the evidence already (a row without its MAC is not its decision). */
  async function decidedHere(evidenceId: string): Promise<boolean> {
    const row = await db.prisma.verification.findUnique({ where: { evidenceId } });
    return row !== null && decisions.isOwn(row);
  }

  /** Verifies a batch's documents; false when the bank node does not know the batch. */
  async function handleBatch(root: string): Promise<boolean> {
    const candidates = await source.batch(root);
    if (candidates.length === 0) return false;
    for (const candidate of candidates) {
      if (await decidedHere(candidate.evidenceId)) continue;
      // The bank's claimed leaf counts only if the root on chain proves it; then it is what was anchored.
      if (!provesInto(root, candidate, candidate.proof)) {
        await record(
          candidate,
          { check: { ok: false, reason: "the bank's leaf is not in the anchored root" }, contentHash: null },
          null,
        );
        continue;
      }
      const register: RegisterPayload = {
        root,
        index: candidate.index,
        facilityId: candidate.facilityId.toString(),
        kind: kindIndex(candidate.kind),
        counterparty: candidate.counterparty,
        saltedHash: candidate.saltedHash,
        proof: candidate.proof,
        evidenceId: candidate.evidenceId,
      };
      await record(candidate, await decide(candidate, candidate.saltedHash), { register });
    }
    return true;
  }

  /** Verifies a document anchored alone; false when the bank node does not know the evidence. */
  async function handleSingle(evidenceId: string, anchoredSaltedHash: string): Promise<boolean> {
    if (await decidedHere(evidenceId)) return true;
    const candidate = await source.evidence(evidenceId);
    if (!candidate) return false;
    await record(candidate, await decide(candidate, anchoredSaltedHash), {});
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
