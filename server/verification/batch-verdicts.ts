import type { Wallet } from "ethers";
import { chainNow, type Chain } from "../chain/chain";
import { BATCH_ATTESTATION_TYPES } from "../chain/typed-data";
import type { JobHandler } from "../outbox/outbox";
import type { BatchAttestPayload, BatchLeafVerdict, Decisions } from "./decisions";
import { forEachChunk } from "../db/chunks";

export const BATCH_ATTEST = "BATCH_ATTEST";

/** What signs a verifier's verdicts: the chain, the verifier's key and (when it keeps them) its decision records. */
export interface VerdictSigner {
  chain: Chain;
  verifierWallet: Wallet;
  decisions?: Decisions;
}

/** Bitmap words of the leaves' positions (bit b of word w is leaf 256w + b), as EvidenceRegistry.attestBatch takes them. */
export function bitmapOf(indexes: readonly number[]): bigint[] {
  const words: bigint[] = [];
  for (const index of indexes) {
    while (words.length <= index >> 8) words.push(0n);
    words[index >> 8] |= 1n << BigInt(index & 255);
  }
  return words;
}

/**
 * The outbox handler of a verifier's batch verdict: one EIP-712 BatchAttestation over a batch root and two bitmaps,
 * signed only when every leaf is this node's sealed verdict (`decisions.refuseBatchAttest`). Leaves this verifier
 * already decided on chain are not sent again (a job rebuilt after a crash), nor leaves registered as evidence since
 * (their verdicts go through the per-evidence attest from then on).
 */
export function batchAttestHandler({
  chain,
  verifierWallet,
  decisions,
}: VerdictSigner): JobHandler<BatchAttestPayload> {
  /** The payload's leaves by where they stand on chain for this verifier. */
  async function onChain(p: BatchAttestPayload) {
    const words = new Map<number, { decided: bigint; registered: bigint }>();
    for (const w of new Set(p.leaves.map((leaf) => leaf.index >> 8))) {
      const [accepted, rejected, registered] = await chain.evidence.batchVerdictsOf(p.root, verifierWallet.address, w);
      words.set(w, { decided: accepted | rejected, registered });
    }
    const bit = (leaf: BatchLeafVerdict) => 1n << BigInt(leaf.index & 255);
    const word = (leaf: BatchLeafVerdict) => words.get(leaf.index >> 8)!;
    const open = p.leaves.filter((leaf) => ((word(leaf).decided | word(leaf).registered) & bit(leaf)) === 0n);
    return { open };
  }

  return {
    kind: BATCH_ATTEST,
    refuse: decisions
      ? (p) => decisions.refuseBatchAttest(p)
      : async () => "this node keeps no decision records to check the job against",
    async locate(p) {
      if ((await onChain(p)).open.length > 0) return undefined;
      const events = await chain.evidence.queryFilter(
        chain.evidence.filters.BatchAttested(p.root, verifierWallet.address),
      );
      const last = events[events.length - 1];
      return last
        ? { txHash: last.transactionHash, blockNumber: BigInt(last.blockNumber) }
        : { txHash: "0x", blockNumber: 0n };
    },
    async build(p) {
      const { open } = await onChain(p);
      // An acceptance withdrawn since it was queued (its bytes changed) is signed as the rejection it now is.
      const revoked = decisions ? await decisions.revokedAmong(open.map((leaf) => leaf.evidenceId)) : new Set();
      const accepts = (leaf: BatchLeafVerdict) => leaf.verdict === "ACCEPT" && !revoked.has(leaf.evidenceId);
      const request = {
        root: p.root,
        accepted: bitmapOf(open.filter(accepts).map((leaf) => leaf.index)),
        rejected: bitmapOf(open.filter((leaf) => !accepts(leaf)).map((leaf) => leaf.index)),
        nonce: await chain.evidence.nonces(verifierWallet.address),
        deadline: BigInt((await chainNow(chain)) + 3_600),
      };
      const domain = {
        name: "QFM EvidenceRegistry",
        version: "1",
        chainId: chain.chainId,
        verifyingContract: await chain.evidence.getAddress(),
      };
      const signature = await verifierWallet.signTypedData(domain, BATCH_ATTESTATION_TYPES, request);
      return chain.evidence.attestBatch.populateTransaction(request, signature);
    },
    async onConfirmed(tx, p, landed) {
      await forEachChunk(
        p.leaves.map((leaf) => leaf.evidenceId),
        (chunk) =>
          tx.verification.updateMany({
            where: { evidenceId: { in: chunk } },
            data: { submitted: true, txHash: landed.txHash },
          }),
      );
    },
  };
}
