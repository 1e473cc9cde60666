import { expect } from "chai";
import { ethers } from "hardhat";
import type { Signer } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Verdict } from "./helpers/constants";
import { attestation, saltedHash } from "./helpers/factories";
import { governed } from "./helpers/governance";
import { deployFixture } from "./helpers/fixtures";
import { evidenceTree, type EvidenceTree } from "./helpers/batchTree";
import { signBatchAttestation, signRevocation, type BatchAttestation } from "./helpers/signatures";

const FACILITY = 9n;
const COUNTERPARTY = ethers.getAddress("0x" + "c0".repeat(20));
const REASON = ethers.id("reason:the bytes changed");
/** 260 leaves: two bitmap words, the second holding 4 leaves. */
const SIZE = 260;

type Leaf = [bigint, number, string, string];

/** The system with an anchored 260-leaf batch and a signer standing in as the consumer. */
async function batchFixture() {
  const fx = await deployFixture();
  const consumer = (await ethers.getSigners())[11];
  const values: Leaf[] = Array.from({ length: SIZE }, (_, i) => [
    FACILITY,
    i % 7,
    COUNTERPARTY,
    saltedHash(`leaf-${i}`),
  ]);
  const tree = evidenceTree(values);
  await fx.evidence.anchorBatch(tree.root, SIZE);
  await governed(fx, fx.evidence).setConsumer(consumer.address);
  return { ...fx, tree, asConsumer: fx.evidence.connect(consumer) };
}

type BatchFixture = Awaited<ReturnType<typeof batchFixture>>;

/** Bitmap words (word w: leaves 256w … 256w+255) with the given leaves set. */
function bitmap(indexes: readonly number[]): bigint[] {
  const words: bigint[] = [];
  for (const i of indexes) {
    while (words.length <= i >> 8) words.push(0n);
    words[i >> 8] |= 1n << BigInt(i & 255);
  }
  return words;
}

async function signed(
  fx: BatchFixture,
  verifier: Signer,
  verdicts: { accepted?: readonly number[]; rejected?: readonly number[]; root?: string },
  overrides: Partial<BatchAttestation> = {},
) {
  const request: BatchAttestation = {
    root: verdicts.root ?? fx.tree.root,
    accepted: bitmap(verdicts.accepted ?? []),
    rejected: bitmap(verdicts.rejected ?? []),
    nonce: await fx.evidence.nonces(await verifier.getAddress()),
    deadline: BigInt(await time.latest()) + 3_600n,
    ...overrides,
  };
  return { request, signature: await signBatchAttestation(fx.evidence, verifier, request) };
}

async function attestBatch(fx: BatchFixture, verifier: Signer, verdicts: { accepted?: number[]; rejected?: number[] }) {
  const { request, signature } = await signed(fx, verifier, verdicts);
  return fx.evidence.attestBatch(request, signature);
}

function register(fx: BatchFixture, index: number, tree: EvidenceTree<Leaf> = fx.tree, proof = tree.getProof(index)) {
  const [facilityId, kind, counterparty, hash] = tree.at(index)!;
  return fx.evidence.registerBatchedEvidence(tree.root, index, facilityId, kind, counterparty, hash, proof);
}

async function revokeInBatch(fx: BatchFixture, verifier: Signer, index: number) {
  const request = {
    evidenceId: fx.tree.ids[index],
    reasonHash: REASON,
    nonce: await fx.evidence.nonces(await verifier.getAddress()),
    deadline: BigInt(await time.latest()) + 3_600n,
  };
  const signature = await signRevocation(fx.evidence, verifier, request);
  return fx.evidence.revokeBatched(request, signature, fx.tree.root, index, fx.tree.getProof(index));
}

async function revokeRegistered(fx: BatchFixture, verifier: Signer, index: number) {
  const request = {
    evidenceId: fx.tree.ids[index],
    reasonHash: REASON,
    nonce: await fx.evidence.nonces(await verifier.getAddress()),
    deadline: BigInt(await time.latest()) + 3_600n,
  };
  return fx.evidence.revoke(request, await signRevocation(fx.evidence, verifier, request));
}

async function attestRegistered(fx: BatchFixture, verifier: Signer, index: number, verdict: number) {
  const { request, signature } = await attestation(fx, verifier, fx.tree.ids[index], verdict);
  return fx.evidence.attest([request], [signature]);
}

describe("EvidenceRegistry batch verdicts", () => {
  describe("when a verifier attests a batch by position", () => {
    it("records its bitmaps and emits one BatchAttested with the counts and the bitmaps", async () => {
      const fx = await loadFixture(batchFixture);
      const { request, signature } = await signed(fx, fx.bankVerifier, { accepted: [0, 1, 257], rejected: [2, 259] });
      await expect(fx.evidence.connect(fx.stranger).attestBatch(request, signature))
        .to.emit(fx.evidence, "BatchAttested")
        .withArgs(fx.tree.root, fx.bankVerifier.address, 0n, 3n, 2n, request.accepted, request.rejected);
      expect(await fx.evidence.batchVerdictsOf(fx.tree.root, fx.bankVerifier.address, 1)).to.deep.equal([2n, 8n, 0n]);
      expect(await fx.evidence.batchVerdictsOf(fx.tree.root, fx.regulatorVerifier.address, 0)).to.deep.equal([
        0n,
        0n,
        0n,
      ]);
      expect(await fx.evidence.batchAttestationDigest(request)).to.equal(
        ethers.TypedDataEncoder.hash(
          {
            name: "QFM EvidenceRegistry",
            version: "1",
            chainId: (await ethers.provider.getNetwork()).chainId,
            verifyingContract: await fx.evidence.getAddress(),
          },
          {
            BatchAttestation: [
              { name: "root", type: "bytes32" },
              { name: "accepted", type: "uint256[]" },
              { name: "rejected", type: "uint256[]" },
              { name: "nonce", type: "uint256" },
              { name: "deadline", type: "uint64" },
            ],
          },
          request,
        ),
      );
    });

    it("takes partial verdicts: the leaves left out are decided by a later attestation", async () => {
      const fx = await loadFixture(batchFixture);
      await attestBatch(fx, fx.bankVerifier, { accepted: [0, 1, 2] });
      await attestBatch(fx, fx.bankVerifier, { accepted: [3, 258], rejected: [4] });
      const [accepted, rejected] = await fx.evidence.batchVerdictsOf(fx.tree.root, fx.bankVerifier.address, 0);
      expect([accepted, rejected]).to.deep.equal([0b1111n, 0b10000n]);
    });

    it("lets both verifiers decide the same leaves, and registration verifies a leaf both accepted", async () => {
      const fx = await loadFixture(batchFixture);
      await attestBatch(fx, fx.bankVerifier, { accepted: [5, 6] });
      await attestBatch(fx, fx.regulatorVerifier, { accepted: [5], rejected: [6] });
      await expect(register(fx, 5)).to.emit(fx.evidence, "EvidenceVerified").withArgs(fx.tree.ids[5]);
      await expect(register(fx, 6)).not.to.emit(fx.evidence, "EvidenceVerified");
      const five = await fx.evidence.evidenceOf(fx.tree.ids[5]);
      const six = await fx.evidence.evidenceOf(fx.tree.ids[6]);
      expect([five.acceptedMask, five.rejectedMask, six.acceptedMask, six.rejectedMask]).to.deep.equal([
        3n,
        0n,
        1n,
        2n,
      ]);
      expect(await fx.evidence.verdictOf(fx.tree.ids[6], fx.regulatorVerifier.address)).to.equal(Verdict.REJECT);
      await expect(fx.asConsumer.consume(fx.tree.ids[5])).to.emit(fx.evidence, "EvidenceConsumed");
      await expect(fx.asConsumer.consume(fx.tree.ids[6]))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotVerified")
        .withArgs(fx.tree.ids[6]);
    });

    it("leaves a registered leaf nobody decided to the per-evidence attest path", async () => {
      const fx = await loadFixture(batchFixture);
      await register(fx, 7);
      await attestRegistered(fx, fx.bankVerifier, 7, Verdict.ACCEPT);
      await attestRegistered(fx, fx.regulatorVerifier, 7, Verdict.ACCEPT);
      expect(await fx.evidence.isVerified(fx.tree.ids[7])).to.equal(true);
    });
  });

  describe("when a batch attestation is invalid", () => {
    it("reverts with InvalidAccountNonce for a replayed signature", async () => {
      const fx = await loadFixture(batchFixture);
      const { request, signature } = await signed(fx, fx.bankVerifier, { accepted: [1] });
      await fx.evidence.attestBatch(request, signature);
      await expect(fx.evidence.attestBatch(request, signature))
        .to.be.revertedWithCustomError(fx.evidence, "InvalidAccountNonce")
        .withArgs(fx.bankVerifier.address, 1n);
    });

    it("reverts with EvidenceSignatureExpired one second after the deadline", async () => {
      const fx = await loadFixture(batchFixture);
      const deadline = BigInt(await time.latest()) + 60n;
      const { request, signature } = await signed(fx, fx.bankVerifier, { accepted: [1] }, { deadline });
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(fx.evidence.attestBatch(request, signature))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceSignatureExpired")
        .withArgs(deadline);
    });

    it("reverts with EvidenceNotVerifier under another chain id, another contract, a stranger's key or an altered request", async () => {
      const fx = await loadFixture(batchFixture);
      const { request } = await signed(fx, fx.bankVerifier, { accepted: [1] });
      const attempts = [
        await signBatchAttestation(fx.evidence, fx.bankVerifier, request, { chainId: 1n }),
        await signBatchAttestation(fx.evidence, fx.bankVerifier, request, { verifyingContract: COUNTERPARTY }),
        await signBatchAttestation(fx.evidence, fx.stranger, request),
      ];
      for (const signature of attempts) {
        await expect(fx.evidence.attestBatch(request, signature)).to.be.revertedWithCustomError(
          fx.evidence,
          "EvidenceNotVerifier",
        );
      }
      const signature = await signBatchAttestation(fx.evidence, fx.bankVerifier, request);
      await expect(
        fx.evidence.attestBatch({ ...request, accepted: bitmap([1, 2]) }, signature),
      ).to.be.revertedWithCustomError(fx.evidence, "EvidenceNotVerifier");
    });

    it("reverts with EvidenceOverlappingVerdicts when one leaf is both accepted and rejected", async () => {
      const fx = await loadFixture(batchFixture);
      const { request, signature } = await signed(fx, fx.bankVerifier, { accepted: [1, 258], rejected: [2, 258] });
      await expect(fx.evidence.attestBatch(request, signature))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceOverlappingVerdicts")
        .withArgs(fx.tree.root, 1n);
    });

    it("reverts with EvidenceBatchBitsOutOfRange for a leaf past the batch, a word too many, or no leaf", async () => {
      const fx = await loadFixture(batchFixture);
      for (const [verdicts, word] of [
        [{ accepted: [SIZE] }, 1n],
        [{ rejected: [1, 511] }, 1n],
        [{ accepted: [600] }, 2n],
        [{}, 0n],
      ] as const) {
        const { request, signature } = await signed(fx, fx.bankVerifier, verdicts);
        await expect(fx.evidence.attestBatch(request, signature))
          .to.be.revertedWithCustomError(fx.evidence, "EvidenceBatchBitsOutOfRange")
          .withArgs(fx.tree.root, word);
      }
      await expect(attestBatch(fx, fx.bankVerifier, { accepted: [SIZE - 1] })).to.emit(fx.evidence, "BatchAttested");
    });

    it("reverts with EvidenceBatchAlreadyAttested when the verifier decides a leaf a second time", async () => {
      const fx = await loadFixture(batchFixture);
      await attestBatch(fx, fx.bankVerifier, { accepted: [1, 2] });
      for (const verdicts of [{ accepted: [2] }, { rejected: [1] }, { accepted: [3], rejected: [2] }]) {
        await expect(attestBatch(fx, fx.bankVerifier, verdicts))
          .to.be.revertedWithCustomError(fx.evidence, "EvidenceBatchAlreadyAttested")
          .withArgs(fx.tree.root, 0n, fx.bankVerifier.address);
      }
    });

    it("reverts with EvidenceLeafRegistered for a leaf already registered as evidence", async () => {
      const fx = await loadFixture(batchFixture);
      await register(fx, 258);
      await expect(attestBatch(fx, fx.regulatorVerifier, { accepted: [0, 258] }))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceLeafRegistered")
        .withArgs(fx.tree.root, 258n);
    });

    it("reverts with EvidenceBatchNotAnchored for a root never anchored", async () => {
      const fx = await loadFixture(batchFixture);
      const root = ethers.id("never anchored");
      const { request, signature } = await signed(fx, fx.bankVerifier, { accepted: [0], root });
      await expect(fx.evidence.attestBatch(request, signature))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceBatchNotAnchored")
        .withArgs(root);
    });
  });

  describe("when a leaf is registered by position", () => {
    it("reverts with EvidenceInvalidProof for another index, an index past the batch or a proof of the wrong length", async () => {
      const fx = await loadFixture(batchFixture);
      const [facilityId, kind, counterparty, hash] = fx.tree.at(4)!;
      const proof = fx.tree.getProof(4);
      for (const [index, attempt] of [
        [5, proof],
        [4 + 512, proof], // same low bits, past the batch
        [4, [...proof, ethers.ZeroHash]],
        [4, proof.slice(1)],
      ] as const) {
        await expect(
          fx.evidence.registerBatchedEvidence(fx.tree.root, index, facilityId, kind, counterparty, hash, [...attempt]),
        )
          .to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidProof")
          .withArgs(fx.tree.root, fx.tree.ids[4]);
      }
    });

    it("cannot copy another position's verdicts: a leaf is registered only at its own index", async () => {
      const fx = await loadFixture(batchFixture);
      await attestBatch(fx, fx.bankVerifier, { accepted: [1], rejected: [0] });
      await attestBatch(fx, fx.regulatorVerifier, { accepted: [0, 1] });
      // leaf 0 (rejected by the bank) claimed at position 1 (accepted by both) with its own proof
      const [facilityId, kind, counterparty, hash] = fx.tree.at(0)!;
      await expect(
        fx.evidence.registerBatchedEvidence(fx.tree.root, 1, facilityId, kind, counterparty, hash, fx.tree.getProof(0)),
      )
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidProof")
        .withArgs(fx.tree.root, fx.tree.ids[0]);
      await register(fx, 0);
      expect(await fx.evidence.isVerified(fx.tree.ids[0])).to.equal(false);
    });

    it("reverts with EvidenceAlreadyAnchored the second time", async () => {
      const fx = await loadFixture(batchFixture);
      await register(fx, 3);
      await expect(register(fx, 3))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceAlreadyAnchored")
        .withArgs(fx.tree.ids[3]);
    });

    it("copies only the current verifiers' batch verdicts", async () => {
      const fx = await loadFixture(batchFixture);
      const third = (await ethers.getSigners())[12];
      await governed(fx, fx.evidence).addVerifier(third.address);
      await attestBatch(fx, third, { rejected: [8] });
      await governed(fx, fx.evidence).removeVerifier(third.address);
      await attestBatch(fx, fx.bankVerifier, { accepted: [8] });
      await attestBatch(fx, fx.regulatorVerifier, { accepted: [8] });
      await expect(register(fx, 8)).to.emit(fx.evidence, "EvidenceVerified");
      expect((await fx.evidence.evidenceOf(fx.tree.ids[8])).rejectedMask).to.equal(0n);
    });

    it("refuses a batch larger than MAX_BATCH_SIZE with EvidenceInvalidBatch", async () => {
      const fx = await loadFixture(batchFixture);
      expect(await fx.evidence.MAX_BATCH_SIZE()).to.equal(1024n);
      const root = ethers.id("a big batch");
      await expect(fx.evidence.anchorBatch(root, 1025))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidBatch")
        .withArgs(root, 1025);
      await expect(fx.evidence.anchorBatch(root, 1024)).to.emit(fx.evidence, "BatchAnchored");
    });
  });

  describe("when a verifier revokes a batch acceptance", () => {
    it("turns it into a rejection that registration copies, emitting AttestationRevoked", async () => {
      const fx = await loadFixture(batchFixture);
      await attestBatch(fx, fx.bankVerifier, { accepted: [9] });
      await attestBatch(fx, fx.regulatorVerifier, { accepted: [9] });
      await expect(revokeInBatch(fx, fx.regulatorVerifier, 9))
        .to.emit(fx.evidence, "AttestationRevoked")
        .withArgs(fx.tree.ids[9], fx.regulatorVerifier.address, REASON, 1n);
      await register(fx, 9);
      expect(await fx.evidence.verdictOf(fx.tree.ids[9], fx.regulatorVerifier.address)).to.equal(Verdict.REJECT);
    });

    it("reverts with EvidenceNotAccepted, EvidenceLeafRegistered, EvidenceInvalidProof or InvalidAccountNonce", async () => {
      const fx = await loadFixture(batchFixture);
      await attestBatch(fx, fx.bankVerifier, { accepted: [10, 11], rejected: [12] });
      for (const index of [12, 13]) {
        await expect(revokeInBatch(fx, fx.bankVerifier, index))
          .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotAccepted")
          .withArgs(fx.tree.ids[index], fx.bankVerifier.address);
      }
      await register(fx, 11);
      await expect(revokeInBatch(fx, fx.bankVerifier, 11))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceLeafRegistered")
        .withArgs(fx.tree.root, 11n);
      const request = {
        evidenceId: fx.tree.ids[10],
        reasonHash: REASON,
        nonce: await fx.evidence.nonces(fx.bankVerifier.address),
        deadline: BigInt(await time.latest()) + 3_600n,
      };
      const signature = await signRevocation(fx.evidence, fx.bankVerifier, request);
      await expect(
        fx.evidence.revokeBatched(request, signature, fx.tree.root, 11, fx.tree.getProof(11)),
      ).to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidProof");
      await fx.evidence.revokeBatched(request, signature, fx.tree.root, 10, fx.tree.getProof(10));
      await expect(
        fx.evidence.revokeBatched(request, signature, fx.tree.root, 10, fx.tree.getProof(10)),
      ).to.be.revertedWithCustomError(fx.evidence, "InvalidAccountNonce");
    });
  });

  describe("a REJECT by any current verifier blocks consumption whatever path and order it came by", () => {
    type Step = (fx: BatchFixture, index: number) => Promise<unknown>;
    const bankAcceptsInBatch: Step = (fx, i) => attestBatch(fx, fx.bankVerifier, { accepted: [i] });
    const regulatorAcceptsInBatch: Step = (fx, i) => attestBatch(fx, fx.regulatorVerifier, { accepted: [i] });
    const regulatorRejectsInBatch: Step = (fx, i) => attestBatch(fx, fx.regulatorVerifier, { rejected: [i] });
    const bankRejectsInBatch: Step = (fx, i) => attestBatch(fx, fx.bankVerifier, { rejected: [i] });
    const registers: Step = (fx, i) => register(fx, i);
    const regulatorRejects: Step = (fx, i) => attestRegistered(fx, fx.regulatorVerifier, i, Verdict.REJECT);
    const bankAccepts: Step = (fx, i) => attestRegistered(fx, fx.bankVerifier, i, Verdict.ACCEPT);
    const regulatorRevokesInBatch: Step = (fx, i) => revokeInBatch(fx, fx.regulatorVerifier, i);
    const regulatorRevokes: Step = (fx, i) => revokeRegistered(fx, fx.regulatorVerifier, i);
    const scenarios: Record<string, Step[]> = {
      "batch reject, then batch accept, then registration": [regulatorRejectsInBatch, bankAcceptsInBatch, registers],
      "batch accept, batch reject, then registration": [bankAcceptsInBatch, regulatorRejectsInBatch, registers],
      "the bank's own batch reject, then registration": [bankRejectsInBatch, regulatorAcceptsInBatch, registers],
      "batch accept, registration, then a per-evidence reject": [bankAcceptsInBatch, registers, regulatorRejects],
      "registration first, then per-evidence accept and reject": [registers, bankAccepts, regulatorRejects],
      "both accept in the batch, batch revocation, then registration": [
        bankAcceptsInBatch,
        regulatorAcceptsInBatch,
        regulatorRevokesInBatch,
        registers,
      ],
      "both accept in the batch, registration, then revocation": [
        bankAcceptsInBatch,
        regulatorAcceptsInBatch,
        registers,
        regulatorRevokes,
      ],
    };
    for (const [name, steps] of Object.entries(scenarios)) {
      it(name, async () => {
        const fx = await loadFixture(batchFixture);
        for (const index of [20, 259]) {
          for (const step of steps) await step(fx, index);
          await expect(fx.asConsumer.consume(fx.tree.ids[index]))
            .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotVerified")
            .withArgs(fx.tree.ids[index]);
        }
      });
    }

    it("and a batch reject arriving after registration is refused, so it must take the per-evidence path", async () => {
      const fx = await loadFixture(batchFixture);
      await bankAcceptsInBatch(fx, 21);
      await regulatorAcceptsInBatch(fx, 22);
      await registers(fx, 21);
      await expect(regulatorRejectsInBatch(fx, 21)).to.be.revertedWithCustomError(
        fx.evidence,
        "EvidenceLeafRegistered",
      );
      await regulatorRejects(fx, 21);
      await expect(fx.asConsumer.consume(fx.tree.ids[21])).to.be.revertedWithCustomError(
        fx.evidence,
        "EvidenceNotVerified",
      );
    });

    it("while a leaf both accepted is consumed exactly once", async () => {
      const fx = await loadFixture(batchFixture);
      await bankAcceptsInBatch(fx, 23);
      await regulatorAcceptsInBatch(fx, 23);
      await registers(fx, 23);
      await fx.asConsumer.consume(fx.tree.ids[23]);
      await expect(fx.asConsumer.consume(fx.tree.ids[23])).to.be.revertedWithCustomError(
        fx.evidence,
        "EvidenceAlreadyConsumed",
      );
    });
  });
});
