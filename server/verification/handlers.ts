import { ZeroHash, keccak256, toUtf8Bytes } from "ethers";
import { chainNow } from "../chain/chain";
import { ATTESTATION_TYPES, BATCH_ATTESTATION_TYPES, REVOCATION_TYPES } from "../chain/typed-data";
import { VERDICTS } from "../../domain/enums";
import type { JobHandler } from "../outbox/outbox";
import { batchAttestHandler, bitmapOf, type VerdictSigner } from "./batch-verdicts";
import type { AttestPayload, RevokePayload } from "./decisions";
import { REGISTER_EVIDENCE, registerLeafHandler } from "./registration";

export const REGISTER_LEAF = "REGISTER_LEAF";
export const ATTEST = "ATTEST";
export const REVOKE = "REVOKE";

// The contract's Verdict values (domain/enums.ts): NONE as the bigint a read returns, the others as signed.
const VERDICT = {
  NONE: BigInt(VERDICTS.indexOf("NONE")),
  ACCEPT: VERDICTS.indexOf("ACCEPT"),
  REJECT: VERDICTS.indexOf("REJECT"),
} as const;

export const reasonHashOf = (reason: string) => (reason === "" ? ZeroHash : keccak256(toUtf8Bytes(reason)));

/**
 * Outbox handlers of a verifier node: submit a signed verdict (one evidence, or a batch's leaves by position), revoke an
 * acceptance.
 * An attestation or revocation is signed only when it is what this node's own MAC-sealed decision records say
 * (`decisions`); without them every one is refused.
 */
export function verifierHandlers({ chain, verifierWallet, decisions }: VerdictSigner): JobHandler<any>[] {
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
  /** This verifier's batch verdict on a leaf not registered, or undefined when the leaf is registered (or not batched). */
  const batchVerdictOf = async (p: RevokePayload) => {
    if (!p.batch || (await chain.evidence.evidenceOf(p.evidenceId)).anchoredAt !== 0n) return undefined;
    const [accepted, rejected] = await chain.evidence.batchVerdictsOf(
      p.batch.root,
      verifierWallet.address,
      p.batch.index >> 8,
    );
    const bit = 1n << BigInt(p.batch.index & 255);
    return rejected & bit ? "REJECT" : accepted & bit ? "ACCEPT" : "NONE";
  };
  const revoke: JobHandler<RevokePayload> = {
    kind: REVOKE,
    refuse: decisions ? (p) => decisions.refuseRevoke(p) : noRecords,
    async locate(p) {
      const { evidenceId } = p;
      const inBatch = await batchVerdictOf(p);
      const verdict = inBatch ?? VERDICTS[Number(await chain.evidence.verdictOf(evidenceId, verifierWallet.address))];
      if (verdict !== "REJECT") return undefined;
      const [revoked] = await chain.evidence.queryFilter(
        chain.evidence.filters.AttestationRevoked(evidenceId, verifierWallet.address),
      );
      if (revoked) return { txHash: revoked.transactionHash, blockNumber: BigInt(revoked.blockNumber) };
      // Rejected without a revocation: the verdict itself went out as a rejection (it was withdrawn before it was sent).
      return inBatch
        ? locateEvent(chain.evidence.filters.BatchAttested(p.batch!.root, verifierWallet.address))
        : locateEvent(chain.evidence.filters.EvidenceAttested(evidenceId, verifierWallet.address));
    },
    async build(p) {
      const { evidenceId, reason } = p;
      const inBatch = await batchVerdictOf(p);
      const nonce = await chain.evidence.nonces(verifierWallet.address);
      const request = { evidenceId, reasonHash: reasonHashOf(reason), nonce, deadline: await deadline() };
      if (inBatch === "ACCEPT") {
        // A batched leaf not registered: the acceptance is withdrawn in its batch's bits, the proof showing where.
        const signature = await verifierWallet.signTypedData(await domain(), REVOCATION_TYPES, request);
        return chain.evidence.revokeBatched.populateTransaction(
          request,
          signature,
          p.batch!.root,
          p.batch!.index,
          p.batch!.proof,
        );
      }
      if (inBatch === "NONE") {
        // Its batch verdict never went out: the withdrawal is a rejection in the batch.
        const batchRequest = {
          root: p.batch!.root,
          accepted: [],
          rejected: bitmapOf([p.batch!.index]),
          nonce,
          deadline: request.deadline,
        };
        const signature = await verifierWallet.signTypedData(await domain(), BATCH_ATTESTATION_TYPES, batchRequest);
        return chain.evidence.attestBatch.populateTransaction(batchRequest, signature);
      }
      // Not attested yet (the acceptance was withdrawn before it landed): the withdrawal is a rejection.
      if ((await chain.evidence.verdictOf(evidenceId, verifierWallet.address)) === VERDICT.NONE) {
        return signedAttestation(evidenceId, VERDICT.REJECT, reason);
      }
      const signature = await verifierWallet.signTypedData(await domain(), REVOCATION_TYPES, request);
      return chain.evidence.revoke.populateTransaction(request, signature);
    },
    async onConfirmed() {
      // the revocation is recorded on the verdict row when decided; the chain event is what the indexer keeps
    },
  };
  return [
    // REGISTER_LEAF: only for jobs queued by an earlier version (verifiers no longer register leaves; a payment does).
    registerLeafHandler(chain, REGISTER_LEAF),
    registerLeafHandler(chain, REGISTER_EVIDENCE),
    attest,
    revoke,
    batchAttestHandler({ chain, verifierWallet, decisions }),
  ];
}
