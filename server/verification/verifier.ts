import { ZeroHash, keccak256, toUtf8Bytes, type Wallet } from "ethers";
import type { Logger } from "pino";
import { chainNow, type Chain } from "../chain/chain";
import { ATTESTATION_TYPES } from "../chain/typed-data";
import { EVIDENCE_KINDS, contentHashOf, kindIndex, provesInto, saltedHashOf } from "../chain/evidence";
import type { Database } from "../db/client";
import type { Metrics } from "../http/metrics";
import { readEvents } from "../indexer/indexer";
import type { JobHandler, Outbox } from "../outbox/outbox";
import type { Check, RecordCheck } from "./checks";
import type { CandidateEvidence, DocumentSource } from "./sources";

export const REGISTER_LEAF = "REGISTER_LEAF";
export const ATTEST = "ATTEST";

const VERDICT = { ACCEPT: 1, REJECT: 2 } as const;

interface RegisterPayload {
  root: string;
  facilityId: string;
  kind: number;
  saltedHash: string;
  proof: string[];
  evidenceId: string;
}

interface AttestPayload {
  evidenceId: string;
  verdict: keyof typeof VERDICT;
  reason: string;
}

export const reasonHashOf = (reason: string) => (reason === "" ? ZeroHash : keccak256(toUtf8Bytes(reason)));

/** Outbox handlers of a verifier node: register a batched leaf on chain, submit a signed verdict. */
export function verifierHandlers({
  chain,
  verifierWallet,
}: {
  chain: Chain;
  verifierWallet: Wallet;
}): JobHandler<any>[] {
  const locateEvent = async (filter: Parameters<typeof chain.evidence.queryFilter>[0]) => {
    const [event] = await chain.evidence.queryFilter(filter);
    return event
      ? { txHash: event.transactionHash, blockNumber: BigInt(event.blockNumber) }
      : { txHash: "0x", blockNumber: 0n };
  };
  const register: JobHandler<RegisterPayload> = {
    kind: REGISTER_LEAF,
    async locate({ evidenceId }) {
      const evidence = await chain.evidence.evidenceOf(evidenceId);
      return evidence.anchoredAt === 0n ? undefined : locateEvent(chain.evidence.filters.EvidenceAnchored(evidenceId));
    },
    build(p) {
      return chain.evidence.registerBatchedEvidence.populateTransaction(
        p.root,
        BigInt(p.facilityId),
        p.kind,
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
    async locate({ evidenceId }) {
      const verdict = await chain.evidence.verdictOf(evidenceId, verifierWallet.address);
      return verdict === 0n
        ? undefined
        : locateEvent(chain.evidence.filters.EvidenceAttested(evidenceId, verifierWallet.address));
    },
    async build({ evidenceId, verdict, reason }) {
      const { chainId } = chain;
      const request = {
        evidenceId,
        verdict: VERDICT[verdict],
        reasonHash: reasonHashOf(reason),
        nonce: await chain.evidence.nonces(verifierWallet.address),
        deadline: BigInt((await chainNow(chain)) + 3_600),
      };
      const domain = {
        name: "QFM EvidenceRegistry",
        version: "1",
        chainId,
        verifyingContract: await chain.evidence.getAddress(),
      };
      const signature = await verifierWallet.signTypedData(domain, ATTESTATION_TYPES, request);
      return chain.evidence.attest.populateTransaction([request], [signature]);
    },
    async onConfirmed(tx, { evidenceId }, landed) {
      await tx.verification.update({ where: { evidenceId }, data: { submitted: true, txHash: landed.txHash } });
    },
  };
  return [register, attest];
}

/**
 * A verifier node: learns of anchored evidence from the indexed chain events, fetches each document, re-hashes it
 * itself, proves it against the root the chain holds, applies its institution's own record checks, records its
 * verdict and queues the signed attestation (and, for batched evidence, the leaf registration it needs).
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
}: {
  db: Database;
  chain: Chain;
  verifierWallet: Wallet;
  source: DocumentSource;
  recordCheck: RecordCheck;
  outbox: Outbox;
  logger: Logger;
  metrics: Metrics;
}) {
  const CURSOR = "verifier";
  let busy = false;

  /** Integrity: the bytes, re-hashed here, give exactly the salted hash the chain committed to. */
  async function integrity(candidate: CandidateEvidence, anchoredSaltedHash: string): Promise<Check> {
    const bytes = await source.content(candidate.documentId);
    if (!bytes) return { ok: false, reason: "document not available from the bank node" };
    const saltedHash = saltedHashOf(candidate.salt, contentHashOf(bytes));
    return saltedHash === anchoredSaltedHash.toLowerCase()
      ? { ok: true }
      : { ok: false, reason: "tampered: the document's bytes do not match the anchored hash" };
  }

  async function decide(candidate: CandidateEvidence, anchoredSaltedHash: string): Promise<Check> {
    const checked = await integrity(candidate, anchoredSaltedHash);
    if (!checked.ok) return checked;
    return recordCheck({ kind: candidate.kind, metadata: candidate.metadata });
  }

  /** Records the verdict and, when the evidence can be attested on chain, queues the chain writes in one transaction. */
  async function record(
    candidate: CandidateEvidence,
    check: Check,
    chainWrites: { register?: RegisterPayload } | null,
  ): Promise<void> {
    const verdict = check.ok ? "ACCEPT" : "REJECT";
    const reason = check.ok ? "" : check.reason;
    await db.prisma.$transaction(async (tx) => {
      const existing = await tx.verification.findUnique({ where: { evidenceId: candidate.evidenceId } });
      if (existing) return; // decided before a crash: the outbox already holds its jobs
      await tx.verification.create({
        data: {
          evidenceId: candidate.evidenceId,
          facilityId: candidate.facilityId,
          kind: candidate.kind,
          verdict,
          reason,
          metadata: JSON.stringify(candidate.metadata),
        },
      });
      if (!chainWrites) return;
      if (chainWrites.register) {
        await outbox.enqueue(tx, {
          key: `register:${candidate.evidenceId}`,
          kind: REGISTER_LEAF,
          payload: chainWrites.register,
        });
      }
      const payload: AttestPayload = { evidenceId: candidate.evidenceId, verdict, reason };
      await outbox.enqueue(tx, {
        key: `attest:${verifierWallet.address}:${candidate.evidenceId}`,
        kind: ATTEST,
        payload,
      });
    });
    metrics.verdicts.inc({ verdict });
    logger.info({ evidenceId: candidate.evidenceId, verdict, reason }, "verdict recorded");
  }

  async function handleBatch(root: string): Promise<void> {
    const candidates = await source.batch(root);
    if (candidates.length === 0) throw new Error(`the bank node does not know batch ${root} yet`);
    for (const candidate of candidates) {
      if (await db.prisma.verification.findUnique({ where: { evidenceId: candidate.evidenceId } })) continue;
      // The bank's claimed leaf counts only if the root on chain proves it; then it is what was anchored.
      if (!provesInto(root, candidate, candidate.proof)) {
        await record(candidate, { ok: false, reason: "the bank's leaf is not in the anchored root" }, null);
        continue;
      }
      const register: RegisterPayload = {
        root,
        facilityId: candidate.facilityId.toString(),
        kind: kindIndex(candidate.kind),
        saltedHash: candidate.saltedHash,
        proof: candidate.proof,
        evidenceId: candidate.evidenceId,
      };
      await record(candidate, await decide(candidate, candidate.saltedHash), { register });
    }
  }

  async function handleSingle(evidenceId: string, anchoredSaltedHash: string): Promise<void> {
    if (await db.prisma.verification.findUnique({ where: { evidenceId } })) return;
    const candidate = await source.evidence(evidenceId);
    if (!candidate) throw new Error(`the bank node does not know evidence ${evidenceId} yet`);
    await record(candidate, await decide(candidate, anchoredSaltedHash), {});
  }

  /** Processes anchoring events indexed since the last pass; safe to repeat after a crash. */
  async function scan(): Promise<number> {
    if (busy) return 0;
    busy = true;
    try {
      const cursor = await db.prisma.checkpoint.findUnique({ where: { name: CURSOR } });
      const events = await readEvents(db, {
        names: ["BatchAnchored", "EvidenceAnchored"],
        fromBlock: cursor ? cursor.blockNumber + 1n : undefined,
      });
      let handled = 0;
      let lastBlock: bigint | undefined;
      for (const event of events) {
        if (lastBlock !== undefined && event.blockNumber !== lastBlock) {
          await db.prisma.checkpoint.upsert({
            where: { name: CURSOR },
            create: { name: CURSOR, blockNumber: lastBlock, blockHash: "" },
            update: { blockNumber: lastBlock },
          });
        }
        if (event.name === "BatchAnchored") await handleBatch(event.args.root);
        else if (event.args.batchRoot === ZeroHash) await handleSingle(event.args.evidenceId, event.args.saltedHash);
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

  return { scan, address: verifierWallet.address, kinds: EVIDENCE_KINDS };
}

export type Verifier = ReturnType<typeof createVerifier>;
