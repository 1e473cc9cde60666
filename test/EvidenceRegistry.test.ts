import { expect } from "chai";
import { ethers } from "hardhat";
import type { Signer, TypedDataDomain } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { hashTypedData, recoverTypedDataAddress, verifyTypedData, type Hex } from "viem";
import { Kind, LEAF_ENCODING, Verdict } from "./helpers/constants";
import { evidenceTree, type EvidenceTree } from "./helpers/batchTree";
import { anchorEvidence, attestation, saltedHash, verifyEvidence } from "./helpers/factories";
import { governed } from "./helpers/governance";
import { deployFixture } from "./helpers/fixtures";
import {
  attestationTypes,
  evidenceDomain,
  revocationTypes,
  signAttestation,
  signRevocation,
  type AttestationRequest,
  type RevocationRequest,
} from "./helpers/signatures";
import { EvidenceRegistry__factory } from "../typechain-types";

const FACILITY = 7n;
const REASON = ethers.id("reason:inspection report does not match the delivery");
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The party the fixture's documents name (a payee or a borrower; the registry does not care which). */
const COUNTERPARTY = ethers.getAddress("0x" + "c0".repeat(20));

type Leaf = [bigint, number, string, string];

/** The system with one anchored purchase contract, plus a signer to stand in as the consumer and a spare verifier. */
async function evidenceFixture() {
  const fx = await deployFixture();
  const signers = await ethers.getSigners();
  const [consumer, thirdVerifier] = [signers[11], signers[12]];
  const hash = ethers.id("purchase contract #1");
  const evidenceId = await anchorEvidence(fx, FACILITY, Kind.PURCHASE_CONTRACT, hash, COUNTERPARTY);
  return { ...fx, consumer, thirdVerifier, hash, evidenceId, governed: governed(fx, fx.evidence) };
}

type EvidenceFixture = Awaited<ReturnType<typeof evidenceFixture>>;

/** One verifier's verdict, signed and relayed by the bank. */
async function attestBy(fx: EvidenceFixture, verifier: Signer, evidenceId: string, verdict: number = Verdict.ACCEPT) {
  const { request, signature } = await attestation(fx, verifier, evidenceId, verdict);
  return fx.evidence.attest([request], [signature]);
}

/** A verifier's signed revocation with its current nonce and a deadline an hour ahead. */
async function revocation(
  fx: EvidenceFixture,
  verifier: Signer,
  evidenceId: string,
  overrides: Partial<RevocationRequest> = {},
): Promise<{ request: RevocationRequest; signature: string }> {
  const request: RevocationRequest = {
    evidenceId,
    reasonHash: REASON,
    nonce: await fx.evidence.nonces(await verifier.getAddress()),
    deadline: BigInt(await time.latest()) + 3_600n,
    ...overrides,
  };
  return { request, signature: await signRevocation(fx.evidence, verifier, request) };
}

async function record(fx: EvidenceFixture, evidenceId: string) {
  const { facilityId, kind, anchoredAt, acceptedMask, rejectedMask, consumed } =
    await fx.evidence.evidenceOf(evidenceId);
  return { facilityId, kind, anchoredAt, acceptedMask, rejectedMask, consumed };
}

/** A position-bound batch tree of `size` fresh evidence leaves of the facility, cycling through the kinds. */
function evidenceBatch(size: number): EvidenceTree<Leaf> {
  const values: Leaf[] = Array.from({ length: size }, (_, i) => [
    FACILITY,
    i % 7,
    COUNTERPARTY,
    saltedHash(`batched-${i}`),
  ]);
  return evidenceTree(values);
}

function registerLeaf(fx: EvidenceFixture, tree: EvidenceTree<Leaf>, index: number, proof = tree.getProof(index)) {
  const [facilityId, kind, counterparty, hash] = tree.at(index)!;
  return fx.evidence.registerBatchedEvidence(tree.root, index, facilityId, kind, counterparty, hash, proof);
}

function viemDomain(domain: TypedDataDomain) {
  return {
    name: domain.name!,
    version: domain.version!,
    chainId: Number(domain.chainId),
    verifyingContract: domain.verifyingContract as Hex,
  };
}

/** The address the contract recovers from `signature` over `request` under its own domain. */
async function recoveredByRegistry(fx: EvidenceFixture, request: AttestationRequest, signature: string) {
  return recoverTypedDataAddress({
    domain: viemDomain(await evidenceDomain(fx.evidence)),
    types: attestationTypes,
    primaryType: "Attestation",
    message: { ...request },
    signature: signature as Hex,
  });
}

describe("EvidenceRegistry", () => {
  describe("when deployed", () => {
    it("lists the two verifier nodes under a 2-of-2 threshold", async () => {
      const fx = await loadFixture(evidenceFixture);
      expect(await fx.evidence.verifiers()).to.deep.equal([fx.bankVerifier.address, fx.regulatorVerifier.address]);
      expect(await fx.evidence.threshold()).to.equal(2n);
      expect(await fx.evidence.isVerifier(fx.bankVerifier.address)).to.equal(true);
      expect(await fx.evidence.isVerifier(fx.stranger.address)).to.equal(false);
    });

    it("gives the bank ANCHORER_ROLE and names the FacilityManager the consumer", async () => {
      const fx = await loadFixture(evidenceFixture);
      expect(await fx.evidence.hasRole(ethers.id("ANCHORER_ROLE"), fx.bank.address)).to.equal(true);
      expect(await fx.evidence.consumer()).to.equal(await fx.manager.getAddress());
    });

    it("emits VerifierAdded for slots 0 and 1 and ThresholdChanged from 0 to 2", async () => {
      const fx = await loadFixture(evidenceFixture);
      const registry = await new EvidenceRegistry__factory(fx.admin).deploy(
        fx.admin.address,
        [fx.bankVerifier.address, fx.regulatorVerifier.address],
        2,
      );
      const deployment = registry.deploymentTransaction()!;
      await expect(deployment).to.emit(registry, "VerifierAdded").withArgs(fx.bankVerifier.address, 0);
      await expect(deployment).to.emit(registry, "VerifierAdded").withArgs(fx.regulatorVerifier.address, 1);
      await expect(deployment).to.emit(registry, "ThresholdChanged").withArgs(0, 2);
    });

    it("rejects a threshold above the verifier count or a duplicate verifier", async () => {
      const fx = await loadFixture(evidenceFixture);
      const factory = new EvidenceRegistry__factory(fx.admin);
      const [bankNode, regulatorNode] = [fx.bankVerifier.address, fx.regulatorVerifier.address];
      await expect(factory.deploy(fx.admin.address, [bankNode, regulatorNode], 3))
        .to.be.revertedWithCustomError(factory, "EvidenceInvalidThreshold")
        .withArgs(3, 2);
      await expect(factory.deploy(fx.admin.address, [bankNode, bankNode], 1))
        .to.be.revertedWithCustomError(factory, "EvidenceInvalidVerifier")
        .withArgs(bankNode);
    });

    it("exposes the EIP-712 domain the verifiers sign under", async () => {
      const fx = await loadFixture(evidenceFixture);
      const domain = await fx.evidence.eip712Domain();
      expect([domain.name, domain.version, domain.chainId, domain.verifyingContract]).to.deep.equal([
        "QFM EvidenceRegistry",
        "1",
        31_337n,
        await fx.evidence.getAddress(),
      ]);
    });
  });

  describe("when the bank anchors a single piece of evidence", () => {
    it("emits EvidenceAnchored with a zero batch root", async () => {
      const fx = await loadFixture(evidenceFixture);
      const hash = saltedHash("invoice");
      const id = await fx.evidence.evidenceIdOf(FACILITY, Kind.INVOICE, COUNTERPARTY, hash);
      await expect(fx.evidence.anchor(FACILITY, Kind.INVOICE, COUNTERPARTY, hash))
        .to.emit(fx.evidence, "EvidenceAnchored")
        .withArgs(id, FACILITY, Kind.INVOICE, COUNTERPARTY, hash, ethers.ZeroHash);
    });

    it("returns the StandardMerkleTree leaf as the evidence id", async () => {
      const fx = await loadFixture(evidenceFixture);
      const value: Leaf = [FACILITY, Kind.INVOICE, COUNTERPARTY, saltedHash("invoice")];
      const leaf = StandardMerkleTree.of([value], LEAF_ENCODING).leafHash(value);
      expect(await fx.evidence.anchor.staticCall(...value)).to.equal(leaf);
      expect(await fx.evidence.evidenceIdOf(...value)).to.equal(leaf);
    });

    it("records the facility, kind and anchoring time with no verdicts", async () => {
      const fx = await loadFixture(evidenceFixture);
      const anchoredAt = BigInt(await time.latest()) + 50n;
      await time.setNextBlockTimestamp(anchoredAt);
      const id = await anchorEvidence(fx, FACILITY, Kind.DELIVERY_NOTE);
      expect(await record(fx, id)).to.deep.equal({
        facilityId: FACILITY,
        kind: BigInt(Kind.DELIVERY_NOTE),
        anchoredAt,
        acceptedMask: 0n,
        rejectedMask: 0n,
        consumed: false,
      });
      expect(await fx.evidence.isVerified(id)).to.equal(false);
    });

    it("reverts with EvidenceAlreadyAnchored the second time", async () => {
      const fx = await loadFixture(evidenceFixture);
      await expect(fx.evidence.anchor(FACILITY, Kind.PURCHASE_CONTRACT, COUNTERPARTY, fx.hash))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceAlreadyAnchored")
        .withArgs(fx.evidenceId);
    });

    it("gives the same document hash under another kind a different id", async () => {
      const fx = await loadFixture(evidenceFixture);
      const id = await anchorEvidence(fx, FACILITY, Kind.INVOICE, fx.hash, COUNTERPARTY);
      expect(id).to.not.equal(fx.evidenceId);
    });

    it("gives the same document hash naming another counterparty a different id, anchored separately", async () => {
      const fx = await loadFixture(evidenceFixture);
      const other = ethers.getAddress("0x" + "c1".repeat(20));
      const id = await anchorEvidence(fx, FACILITY, Kind.PURCHASE_CONTRACT, fx.hash, other);
      expect(id).to.not.equal(fx.evidenceId);
      expect(id).to.equal(await fx.evidence.evidenceIdOf(FACILITY, Kind.PURCHASE_CONTRACT, other, fx.hash));
    });

    it("reverts with AccessControlUnauthorizedAccount for accounts without ANCHORER_ROLE", async () => {
      const fx = await loadFixture(evidenceFixture);
      for (const account of [fx.stranger, fx.admin]) {
        await expect(fx.evidence.connect(account).anchor(FACILITY, Kind.INVOICE, COUNTERPARTY, saltedHash()))
          .to.be.revertedWithCustomError(fx.evidence, "AccessControlUnauthorizedAccount")
          .withArgs(account.address, ethers.id("ANCHORER_ROLE"));
      }
    });

    it("leaves unknown evidence with an empty record", async () => {
      const fx = await loadFixture(evidenceFixture);
      const unknown = await fx.evidence.evidenceIdOf(FACILITY, Kind.INVOICE, COUNTERPARTY, ethers.id("never anchored"));
      expect((await record(fx, unknown)).anchoredAt).to.equal(0n);
      expect(await fx.evidence.isVerified(unknown)).to.equal(false);
    });
  });

  describe("when the bank anchors a Merkle batch", () => {
    it("emits BatchAnchored and batchOf returns the time and size", async () => {
      const fx = await loadFixture(evidenceFixture);
      const tree = evidenceBatch(8);
      const anchoredAt = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(anchoredAt);
      await expect(fx.evidence.anchorBatch(tree.root, 8)).to.emit(fx.evidence, "BatchAnchored").withArgs(tree.root, 8);
      expect(await fx.evidence.batchOf(tree.root)).to.deep.equal([anchoredAt, 8n]);
      expect(await fx.evidence.batchOf(ethers.id("unknown root"))).to.deep.equal([0n, 0n]);
    });

    it("reverts with EvidenceInvalidBatch for a zero root, a zero size or a duplicate root", async () => {
      const fx = await loadFixture(evidenceFixture);
      const tree = evidenceBatch(8);
      await expect(fx.evidence.anchorBatch(ethers.ZeroHash, 8))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidBatch")
        .withArgs(ethers.ZeroHash, 8);
      await expect(fx.evidence.anchorBatch(tree.root, 0))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidBatch")
        .withArgs(tree.root, 0);
      await fx.evidence.anchorBatch(tree.root, 8);
      await expect(fx.evidence.anchorBatch(tree.root, 9))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidBatch")
        .withArgs(tree.root, 9);
    });

    it("reverts with AccessControlUnauthorizedAccount for a stranger", async () => {
      const fx = await loadFixture(evidenceFixture);
      await expect(fx.evidence.connect(fx.stranger).anchorBatch(evidenceBatch(2).root, 2))
        .to.be.revertedWithCustomError(fx.evidence, "AccessControlUnauthorizedAccount")
        .withArgs(fx.stranger.address, ethers.id("ANCHORER_ROLE"));
    });
  });

  describe("when leaves of an anchored batch are registered", () => {
    it("registers every leaf of an 8-leaf batch, emitting EvidenceAnchored with the root", async () => {
      const fx = await loadFixture(evidenceFixture);
      const tree = evidenceBatch(8);
      await fx.evidence.anchorBatch(tree.root, 8);
      for (const [i, value] of tree.entries()) {
        const proof = tree.getProof(i);
        expect(proof).to.have.lengthOf(3);
        expect(tree.verify(i, proof)).to.equal(true);
        await expect(registerLeaf(fx, tree, i))
          .to.emit(fx.evidence, "EvidenceAnchored")
          .withArgs(tree.leafHash(value), ...value, tree.root);
      }
    });

    it("registers every leaf of a 256-leaf batch with 8-hash proofs", async () => {
      const fx = await loadFixture(evidenceFixture);
      const tree = evidenceBatch(256);
      await fx.evidence.anchorBatch(tree.root, 256);
      for (const [i, value] of tree.entries()) {
        const proof = tree.getProof(i);
        expect(proof).to.have.lengthOf(8);
        expect(tree.verify(i, proof)).to.equal(true);
        await registerLeaf(fx, tree, i);
        expect((await record(fx, tree.leafHash(value))).kind).to.equal(BigInt(value[1]));
      }
    });

    it("dates the evidence at the batch's anchoring, not at its registration", async () => {
      const fx = await loadFixture(evidenceFixture);
      const tree = evidenceBatch(8);
      await fx.evidence.anchorBatch(tree.root, 8);
      const [batchAnchoredAt] = await fx.evidence.batchOf(tree.root);
      await time.increase(86_400);
      await registerLeaf(fx, tree, 5);
      expect(await record(fx, tree.leafHash(tree.at(5)!))).to.deep.equal({
        facilityId: FACILITY,
        kind: 5n,
        anchoredAt: batchAnchoredAt,
        acceptedMask: 0n,
        rejectedMask: 0n,
        consumed: false,
      });
    });

    it("lets a stranger register a leaf: the proof is the authority", async () => {
      const fx = await loadFixture(evidenceFixture);
      const tree = evidenceBatch(4);
      await fx.evidence.anchorBatch(tree.root, 4);
      const [facilityId, kind, counterparty, hash] = tree.at(2)!;
      await expect(
        fx.evidence
          .connect(fx.stranger)
          .registerBatchedEvidence(tree.root, 2, facilityId, kind, counterparty, hash, tree.getProof(2)),
      ).to.emit(fx.evidence, "EvidenceAnchored");
    });

    it("registers a one-leaf batch, whose root is the leaf, with an empty proof", async () => {
      const fx = await loadFixture(evidenceFixture);
      const tree = evidenceBatch(1);
      expect(tree.root).to.equal(tree.leafHash(tree.at(0)!));
      await fx.evidence.anchorBatch(tree.root, 1);
      await expect(registerLeaf(fx, tree, 0, [])).to.emit(fx.evidence, "EvidenceAnchored");
    });

    it("lets batched evidence be verified like single evidence", async () => {
      const fx = await loadFixture(evidenceFixture);
      const tree = evidenceBatch(8);
      await fx.evidence.anchorBatch(tree.root, 8);
      await registerLeaf(fx, tree, 3);
      const id = tree.leafHash(tree.at(3)!);
      await verifyEvidence(fx, id);
      expect(await fx.evidence.isVerified(id)).to.equal(true);
    });

    it("reverts with EvidenceBatchNotAnchored for a root never anchored", async () => {
      const fx = await loadFixture(evidenceFixture);
      const tree = evidenceBatch(8);
      await expect(registerLeaf(fx, tree, 0))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceBatchNotAnchored")
        .withArgs(tree.root);
    });

    it("reverts with EvidenceInvalidProof for another leaf's proof", async () => {
      const fx = await loadFixture(evidenceFixture);
      const tree = evidenceBatch(8);
      await fx.evidence.anchorBatch(tree.root, 8);
      const value = tree.at(0)!;
      expect(tree.verify(0, tree.getProof(1))).to.equal(false);
      await expect(registerLeaf(fx, tree, 0, tree.getProof(1)))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidProof")
        .withArgs(tree.root, tree.leafHash(value));
    });

    it("reverts with EvidenceInvalidProof against another anchored root", async () => {
      const fx = await loadFixture(evidenceFixture);
      const [tree, other] = [evidenceBatch(8), evidenceBatch(8)];
      await fx.evidence.anchorBatch(tree.root, 8);
      await fx.evidence.anchorBatch(other.root, 8);
      const [facilityId, kind, counterparty, hash] = tree.at(4)!;
      await expect(
        fx.evidence.registerBatchedEvidence(other.root, 4, facilityId, kind, counterparty, hash, tree.getProof(4)),
      )
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidProof")
        .withArgs(other.root, tree.leafHash(tree.at(4)!));
    });

    it("reverts with EvidenceInvalidProof for a tampered proof or a leaf not in the tree", async () => {
      const fx = await loadFixture(evidenceFixture);
      const tree = evidenceBatch(8);
      await fx.evidence.anchorBatch(tree.root, 8);
      const tampered = [...tree.getProof(6)];
      tampered[1] = ethers.id("tampered sibling");
      await expect(registerLeaf(fx, tree, 6, tampered)).to.be.revertedWithCustomError(
        fx.evidence,
        "EvidenceInvalidProof",
      );
      const forged = ethers.id("forged document");
      await expect(
        fx.evidence.registerBatchedEvidence(
          tree.root,
          1,
          FACILITY,
          Kind.INVOICE,
          COUNTERPARTY,
          forged,
          tree.getProof(1),
        ),
      )
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidProof")
        .withArgs(tree.root, await fx.evidence.evidenceIdOf(FACILITY, Kind.INVOICE, COUNTERPARTY, forged));
      // a leaf of the tree with its counterparty changed is not in the tree either
      const [facilityId, kind, , hash] = tree.at(1)!;
      const swapped = ethers.getAddress("0x" + "c1".repeat(20));
      await expect(
        fx.evidence.registerBatchedEvidence(tree.root, 1, facilityId, kind, swapped, hash, tree.getProof(1)),
      ).to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidProof");
    });

    it("reverts with EvidenceAlreadyAnchored for a leaf registered twice or anchored on its own", async () => {
      const fx = await loadFixture(evidenceFixture);
      const values: Leaf[] = [
        [FACILITY, Kind.PURCHASE_CONTRACT, COUNTERPARTY, fx.hash], // the fixture's evidence, anchored alone
        [FACILITY, Kind.INVOICE, COUNTERPARTY, saltedHash()],
      ];
      const tree = evidenceTree(values);
      await fx.evidence.anchorBatch(tree.root, 2);
      await expect(registerLeaf(fx, tree, 0))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceAlreadyAnchored")
        .withArgs(fx.evidenceId);
      await registerLeaf(fx, tree, 1);
      await expect(registerLeaf(fx, tree, 1))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceAlreadyAnchored")
        .withArgs(tree.leafHash(values[1]));
    });
  });

  describe("when verifiers attest under the 2-of-2 quorum", () => {
    it("records one acceptance without verifying", async () => {
      const fx = await loadFixture(evidenceFixture);
      const tx = await attestBy(fx, fx.bankVerifier, fx.evidenceId);
      await expect(tx)
        .to.emit(fx.evidence, "EvidenceAttested")
        .withArgs(fx.evidenceId, fx.bankVerifier.address, Verdict.ACCEPT, ethers.ZeroHash, 0n);
      await expect(tx).not.to.emit(fx.evidence, "EvidenceVerified");
      expect(await fx.evidence.isVerified(fx.evidenceId)).to.equal(false);
      expect(await fx.evidence.verdictOf(fx.evidenceId, fx.bankVerifier.address)).to.equal(Verdict.ACCEPT);
      expect(await fx.evidence.verdictOf(fx.evidenceId, fx.regulatorVerifier.address)).to.equal(Verdict.NONE);
      expect((await record(fx, fx.evidenceId)).acceptedMask).to.equal(0b01n);
      expect(await fx.evidence.nonces(fx.bankVerifier.address)).to.equal(1n);
    });

    it("verifies on the second acceptance and emits EvidenceVerified", async () => {
      const fx = await loadFixture(evidenceFixture);
      await attestBy(fx, fx.bankVerifier, fx.evidenceId);
      await expect(attestBy(fx, fx.regulatorVerifier, fx.evidenceId))
        .to.emit(fx.evidence, "EvidenceVerified")
        .withArgs(fx.evidenceId);
      expect(await fx.evidence.isVerified(fx.evidenceId)).to.equal(true);
      expect((await record(fx, fx.evidenceId)).acceptedMask).to.equal(0b11n);
    });

    it("accepts both signatures in one transaction", async () => {
      const fx = await loadFixture(evidenceFixture);
      const a = await attestation(fx, fx.bankVerifier, fx.evidenceId, Verdict.ACCEPT, { reasonHash: REASON });
      const b = await attestation(fx, fx.regulatorVerifier, fx.evidenceId);
      const tx = await fx.evidence.attest([a.request, b.request], [a.signature, b.signature]);
      await expect(tx)
        .to.emit(fx.evidence, "EvidenceAttested")
        .withArgs(fx.evidenceId, fx.bankVerifier.address, Verdict.ACCEPT, REASON, 0n);
      await expect(tx)
        .to.emit(fx.evidence, "EvidenceAttested")
        .withArgs(fx.evidenceId, fx.regulatorVerifier.address, Verdict.ACCEPT, ethers.ZeroHash, 0n);
      await expect(tx).to.emit(fx.evidence, "EvidenceVerified").withArgs(fx.evidenceId);
      expect(await fx.evidence.isVerified(fx.evidenceId)).to.equal(true);
    });

    it("lets a stranger relay the signatures", async () => {
      const fx = await loadFixture(evidenceFixture);
      const a = await attestation(fx, fx.bankVerifier, fx.evidenceId);
      const b = await attestation(fx, fx.regulatorVerifier, fx.evidenceId);
      await expect(fx.evidence.connect(fx.stranger).attest([a.request, b.request], [a.signature, b.signature]))
        .to.emit(fx.evidence, "EvidenceAttested")
        .withArgs(fx.evidenceId, fx.bankVerifier.address, Verdict.ACCEPT, ethers.ZeroHash, 0n);
      expect(await fx.evidence.isVerified(fx.evidenceId)).to.equal(true);
    });

    it("lets one verifier attest to two pieces in one transaction with consecutive nonces", async () => {
      const fx = await loadFixture(evidenceFixture);
      const second = await anchorEvidence(fx, FACILITY, Kind.INVOICE);
      const a = await attestation(fx, fx.bankVerifier, fx.evidenceId);
      const b = await attestation(fx, fx.bankVerifier, second, Verdict.REJECT, { nonce: 1n });
      await expect(fx.evidence.attest([a.request, b.request], [a.signature, b.signature]))
        .to.emit(fx.evidence, "EvidenceAttested")
        .withArgs(second, fx.bankVerifier.address, Verdict.REJECT, ethers.ZeroHash, 1n);
      expect(await fx.evidence.nonces(fx.bankVerifier.address)).to.equal(2n);
      expect(await fx.evidence.verdictOf(second, fx.bankVerifier.address)).to.equal(Verdict.REJECT);
    });

    it("blocks verification on any rejection", async () => {
      const fx = await loadFixture(evidenceFixture);
      await attestBy(fx, fx.bankVerifier, fx.evidenceId);
      const tx = await attestBy(fx, fx.regulatorVerifier, fx.evidenceId, Verdict.REJECT);
      await expect(tx)
        .to.emit(fx.evidence, "EvidenceAttested")
        .withArgs(fx.evidenceId, fx.regulatorVerifier.address, Verdict.REJECT, ethers.ZeroHash, 0n);
      await expect(tx).not.to.emit(fx.evidence, "EvidenceVerified");
      await expect(tx).not.to.emit(fx.evidence, "EvidenceUnverified");
      expect(await fx.evidence.isVerified(fx.evidenceId)).to.equal(false);
      expect(await fx.evidence.verdictOf(fx.evidenceId, fx.regulatorVerifier.address)).to.equal(Verdict.REJECT);
      const { acceptedMask, rejectedMask } = await record(fx, fx.evidenceId);
      expect([acceptedMask, rejectedMask]).to.deep.equal([0b01n, 0b10n]);
    });

    it("stays unverified when the rejection comes first", async () => {
      const fx = await loadFixture(evidenceFixture);
      await attestBy(fx, fx.bankVerifier, fx.evidenceId, Verdict.REJECT);
      await expect(attestBy(fx, fx.regulatorVerifier, fx.evidenceId)).not.to.emit(fx.evidence, "EvidenceVerified");
      expect(await fx.evidence.isVerified(fx.evidenceId)).to.equal(false);
    });

    it("accepts a signature in the block whose timestamp equals its deadline", async () => {
      const fx = await loadFixture(evidenceFixture);
      const deadline = BigInt(await time.latest()) + 60n;
      const { request, signature } = await attestation(fx, fx.bankVerifier, fx.evidenceId, Verdict.ACCEPT, {
        deadline,
      });
      await time.setNextBlockTimestamp(deadline);
      await expect(fx.evidence.attest([request], [signature])).to.emit(fx.evidence, "EvidenceAttested");
    });

    it("records nothing when one request of a transaction fails", async () => {
      const fx = await loadFixture(evidenceFixture);
      const a = await attestation(fx, fx.bankVerifier, fx.evidenceId);
      const b = await attestation(fx, fx.regulatorVerifier, fx.evidenceId, Verdict.NONE);
      await expect(fx.evidence.attest([a.request, b.request], [a.signature, b.signature]))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidVerdict")
        .withArgs(fx.evidenceId);
      expect(await fx.evidence.verdictOf(fx.evidenceId, fx.bankVerifier.address)).to.equal(Verdict.NONE);
      expect(await fx.evidence.nonces(fx.bankVerifier.address)).to.equal(0n);
    });
  });

  describe("when an attestation is invalid", () => {
    it("reverts with EvidenceLengthMismatch for different lengths", async () => {
      const fx = await loadFixture(evidenceFixture);
      const a = await attestation(fx, fx.bankVerifier, fx.evidenceId);
      await expect(fx.evidence.attest([a.request], [a.signature, a.signature]))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceLengthMismatch")
        .withArgs(1, 2);
      await expect(fx.evidence.attest([a.request, a.request], [a.signature]))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceLengthMismatch")
        .withArgs(2, 1);
    });

    it("reverts with EvidenceLengthMismatch for no requests", async () => {
      const fx = await loadFixture(evidenceFixture);
      await expect(fx.evidence.attest([], []))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceLengthMismatch")
        .withArgs(0, 0);
    });

    it("reverts with EvidenceSignatureExpired one second after the deadline", async () => {
      const fx = await loadFixture(evidenceFixture);
      const deadline = BigInt(await time.latest()) + 60n;
      const { request, signature } = await attestation(fx, fx.bankVerifier, fx.evidenceId, Verdict.ACCEPT, {
        deadline,
      });
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(fx.evidence.attest([request], [signature]))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceSignatureExpired")
        .withArgs(deadline);
    });

    it("reverts with EvidenceNotVerifier for a stranger's key", async () => {
      const fx = await loadFixture(evidenceFixture);
      const { request, signature } = await attestation(fx, fx.stranger, fx.evidenceId);
      await expect(fx.evidence.attest([request], [signature]))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotVerifier")
        .withArgs(fx.stranger.address);
    });

    it("reverts with EvidenceNotVerifier for a verifier's signature under another chainId", async () => {
      const fx = await loadFixture(evidenceFixture);
      const { request } = await attestation(fx, fx.bankVerifier, fx.evidenceId);
      const wrongDomain = { ...(await evidenceDomain(fx.evidence)), chainId: 1n };
      const signature = await signAttestation(fx.evidence, fx.bankVerifier, request, { chainId: 1n });
      // The signature is genuine for chain 1 …
      expect(
        await verifyTypedData({
          address: fx.bankVerifier.address as Hex,
          domain: viemDomain(wrongDomain),
          types: attestationTypes,
          primaryType: "Attestation",
          message: { ...request },
          signature: signature as Hex,
        }),
      ).to.equal(true);
      // … but under this chain's domain it recovers to an unrelated address.
      const recovered = await recoveredByRegistry(fx, request, signature);
      expect(recovered).to.not.be.oneOf([fx.bankVerifier.address, fx.regulatorVerifier.address]);
      await expect(fx.evidence.attest([request], [signature]))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotVerifier")
        .withArgs(recovered);
    });

    it("reverts with EvidenceNotVerifier for a verifier's signature for another contract", async () => {
      const fx = await loadFixture(evidenceFixture);
      const { request } = await attestation(fx, fx.bankVerifier, fx.evidenceId);
      const signature = await signAttestation(fx.evidence, fx.bankVerifier, request, {
        verifyingContract: await fx.payees.getAddress(),
      });
      const recovered = await recoveredByRegistry(fx, request, signature);
      expect(recovered).to.not.be.oneOf([fx.bankVerifier.address, fx.regulatorVerifier.address]);
      await expect(fx.evidence.attest([request], [signature]))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotVerifier")
        .withArgs(recovered);
    });

    it("reverts with EvidenceNotVerifier for a request altered after signing", async () => {
      const fx = await loadFixture(evidenceFixture);
      const { request, signature } = await attestation(fx, fx.bankVerifier, fx.evidenceId, Verdict.ACCEPT);
      const altered = { ...request, verdict: Verdict.REJECT };
      await expect(fx.evidence.attest([altered], [signature]))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotVerifier")
        .withArgs(await recoveredByRegistry(fx, altered, signature));
    });

    it("reverts with InvalidAccountNonce for a replayed signature", async () => {
      const fx = await loadFixture(evidenceFixture);
      const { request, signature } = await attestation(fx, fx.bankVerifier, fx.evidenceId);
      await fx.evidence.attest([request], [signature]);
      await expect(fx.evidence.connect(fx.stranger).attest([request], [signature]))
        .to.be.revertedWithCustomError(fx.evidence, "InvalidAccountNonce")
        .withArgs(fx.bankVerifier.address, 1n);
    });

    it("reverts with InvalidAccountNonce for a nonce ahead of the verifier's", async () => {
      const fx = await loadFixture(evidenceFixture);
      const { request, signature } = await attestation(fx, fx.bankVerifier, fx.evidenceId, Verdict.ACCEPT, {
        nonce: 5n,
      });
      await expect(fx.evidence.attest([request], [signature]))
        .to.be.revertedWithCustomError(fx.evidence, "InvalidAccountNonce")
        .withArgs(fx.bankVerifier.address, 0n);
    });

    it("reverts with ECDSAInvalidSignatureLength for a malformed signature", async () => {
      const fx = await loadFixture(evidenceFixture);
      const { request, signature } = await attestation(fx, fx.bankVerifier, fx.evidenceId);
      await expect(fx.evidence.attest([request], ["0x1234"]))
        .to.be.revertedWithCustomError(fx.evidence, "ECDSAInvalidSignatureLength")
        .withArgs(2);
      // EIP-2098 compact signatures are not accepted either.
      await expect(fx.evidence.attest([request], [ethers.Signature.from(signature).compactSerialized]))
        .to.be.revertedWithCustomError(fx.evidence, "ECDSAInvalidSignatureLength")
        .withArgs(64);
    });

    it("reverts with ECDSAInvalidSignatureS for the malleated (high-s) twin of a valid signature", async () => {
      const fx = await loadFixture(evidenceFixture);
      const { request, signature } = await attestation(fx, fx.bankVerifier, fx.evidenceId);
      const { r, s, v } = ethers.Signature.from(signature);
      const highS = ethers.toBeHex(SECP256K1_N - BigInt(s), 32);
      const twin = ethers.concat([r, highS, ethers.toBeHex(v === 27 ? 28 : 27, 1)]);
      await expect(fx.evidence.attest([request], [twin]))
        .to.be.revertedWithCustomError(fx.evidence, "ECDSAInvalidSignatureS")
        .withArgs(highS);
    });

    it("reverts with ECDSAInvalidSignature for an invalid recovery id", async () => {
      const fx = await loadFixture(evidenceFixture);
      const { request, signature } = await attestation(fx, fx.bankVerifier, fx.evidenceId);
      const { r, s } = ethers.Signature.from(signature);
      await expect(fx.evidence.attest([request], [ethers.concat([r, s, "0x00"])])).to.be.revertedWithCustomError(
        fx.evidence,
        "ECDSAInvalidSignature",
      );
    });

    it("reverts with EvidenceAlreadyAttested for a second verdict from the same verifier", async () => {
      const fx = await loadFixture(evidenceFixture);
      await attestBy(fx, fx.bankVerifier, fx.evidenceId, Verdict.ACCEPT);
      await expect(attestBy(fx, fx.bankVerifier, fx.evidenceId, Verdict.REJECT))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceAlreadyAttested")
        .withArgs(fx.evidenceId, fx.bankVerifier.address);
      await attestBy(fx, fx.regulatorVerifier, fx.evidenceId, Verdict.REJECT);
      await expect(attestBy(fx, fx.regulatorVerifier, fx.evidenceId, Verdict.ACCEPT))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceAlreadyAttested")
        .withArgs(fx.evidenceId, fx.regulatorVerifier.address);
    });

    it("reverts with EvidenceInvalidVerdict for the NONE verdict", async () => {
      const fx = await loadFixture(evidenceFixture);
      await expect(attestBy(fx, fx.bankVerifier, fx.evidenceId, Verdict.NONE))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidVerdict")
        .withArgs(fx.evidenceId);
    });

    it("reverts with EvidenceNotAnchored for evidence never anchored", async () => {
      const fx = await loadFixture(evidenceFixture);
      const unknown = await fx.evidence.evidenceIdOf(FACILITY, Kind.INVOICE, COUNTERPARTY, ethers.id("never anchored"));
      await expect(attestBy(fx, fx.bankVerifier, unknown))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotAnchored")
        .withArgs(unknown);
    });
  });

  describe("when a verifier revokes its acceptance", () => {
    it("unverifies verified evidence and its verdict reads REJECT", async () => {
      const fx = await loadFixture(evidenceFixture);
      await verifyEvidence(fx, fx.evidenceId);
      const { request, signature } = await revocation(fx, fx.bankVerifier, fx.evidenceId);
      const tx = await fx.evidence.connect(fx.stranger).revoke(request, signature);
      await expect(tx)
        .to.emit(fx.evidence, "AttestationRevoked")
        .withArgs(fx.evidenceId, fx.bankVerifier.address, REASON, 1n);
      await expect(tx).to.emit(fx.evidence, "EvidenceUnverified").withArgs(fx.evidenceId);
      expect(await fx.evidence.isVerified(fx.evidenceId)).to.equal(false);
      expect(await fx.evidence.verdictOf(fx.evidenceId, fx.bankVerifier.address)).to.equal(Verdict.REJECT);
      const { acceptedMask, rejectedMask } = await record(fx, fx.evidenceId);
      expect([acceptedMask, rejectedMask]).to.deep.equal([0b10n, 0b01n]);
    });

    it("emits no EvidenceUnverified when the evidence was not verified", async () => {
      const fx = await loadFixture(evidenceFixture);
      await attestBy(fx, fx.regulatorVerifier, fx.evidenceId);
      const { request, signature } = await revocation(fx, fx.regulatorVerifier, fx.evidenceId);
      const tx = await fx.evidence.revoke(request, signature);
      await expect(tx)
        .to.emit(fx.evidence, "AttestationRevoked")
        .withArgs(fx.evidenceId, fx.regulatorVerifier.address, REASON, 1n);
      await expect(tx).not.to.emit(fx.evidence, "EvidenceUnverified");
    });

    it("does not let the verifier accept again", async () => {
      const fx = await loadFixture(evidenceFixture);
      await attestBy(fx, fx.bankVerifier, fx.evidenceId);
      const { request, signature } = await revocation(fx, fx.bankVerifier, fx.evidenceId);
      await fx.evidence.revoke(request, signature);
      await expect(attestBy(fx, fx.bankVerifier, fx.evidenceId))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceAlreadyAttested")
        .withArgs(fx.evidenceId, fx.bankVerifier.address);
    });

    it("reverts with EvidenceNotAccepted without a prior acceptance, after a rejection or a second time", async () => {
      const fx = await loadFixture(evidenceFixture);
      const never = await revocation(fx, fx.bankVerifier, fx.evidenceId);
      await expect(fx.evidence.revoke(never.request, never.signature))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotAccepted")
        .withArgs(fx.evidenceId, fx.bankVerifier.address);

      await attestBy(fx, fx.regulatorVerifier, fx.evidenceId, Verdict.REJECT);
      const rejected = await revocation(fx, fx.regulatorVerifier, fx.evidenceId);
      await expect(fx.evidence.revoke(rejected.request, rejected.signature))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotAccepted")
        .withArgs(fx.evidenceId, fx.regulatorVerifier.address);

      await attestBy(fx, fx.bankVerifier, fx.evidenceId);
      const first = await revocation(fx, fx.bankVerifier, fx.evidenceId);
      await fx.evidence.revoke(first.request, first.signature);
      const second = await revocation(fx, fx.bankVerifier, fx.evidenceId);
      await expect(fx.evidence.revoke(second.request, second.signature))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotAccepted")
        .withArgs(fx.evidenceId, fx.bankVerifier.address);
    });

    it("reverts with InvalidAccountNonce for a replayed revocation", async () => {
      const fx = await loadFixture(evidenceFixture);
      await verifyEvidence(fx, fx.evidenceId);
      const { request, signature } = await revocation(fx, fx.bankVerifier, fx.evidenceId);
      await fx.evidence.revoke(request, signature);
      await expect(fx.evidence.revoke(request, signature))
        .to.be.revertedWithCustomError(fx.evidence, "InvalidAccountNonce")
        .withArgs(fx.bankVerifier.address, 2n);
    });

    it("reverts with EvidenceSignatureExpired, EvidenceNotVerifier or EvidenceNotAnchored", async () => {
      const fx = await loadFixture(evidenceFixture);
      await verifyEvidence(fx, fx.evidenceId);
      const deadline = BigInt(await time.latest());
      const expired = await revocation(fx, fx.bankVerifier, fx.evidenceId, { deadline });
      await expect(fx.evidence.revoke(expired.request, expired.signature))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceSignatureExpired")
        .withArgs(deadline);

      const byStranger = await revocation(fx, fx.stranger, fx.evidenceId);
      await expect(fx.evidence.revoke(byStranger.request, byStranger.signature))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotVerifier")
        .withArgs(fx.stranger.address);

      const unknown = ethers.id("never anchored");
      const ofUnknown = await revocation(fx, fx.bankVerifier, unknown);
      await expect(fx.evidence.revoke(ofUnknown.request, ofUnknown.signature))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotAnchored")
        .withArgs(unknown);
    });
  });

  describe("when the consumer consumes evidence", () => {
    /** The test signer named consumer in place of the FacilityManager. */
    async function withTestConsumer() {
      const fx = await loadFixture(evidenceFixture);
      await fx.governed.setConsumer(fx.consumer.address);
      return { ...fx, asConsumer: fx.evidence.connect(fx.consumer) };
    }

    it("marks verified evidence consumed and emits EvidenceConsumed", async () => {
      const fx = await withTestConsumer();
      await verifyEvidence(fx, fx.evidenceId);
      await expect(fx.asConsumer.consume(fx.evidenceId))
        .to.emit(fx.evidence, "EvidenceConsumed")
        .withArgs(fx.evidenceId, fx.consumer.address);
      expect((await record(fx, fx.evidenceId)).consumed).to.equal(true);
    });

    it("reverts with EvidenceAlreadyConsumed the second time", async () => {
      const fx = await withTestConsumer();
      await verifyEvidence(fx, fx.evidenceId);
      await fx.asConsumer.consume(fx.evidenceId);
      await expect(fx.asConsumer.consume(fx.evidenceId))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceAlreadyConsumed")
        .withArgs(fx.evidenceId);
    });

    it("reverts with EvidenceNotVerified for evidence short of quorum, rejected or revoked", async () => {
      const fx = await withTestConsumer();
      await expect(fx.asConsumer.consume(fx.evidenceId))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotVerified")
        .withArgs(fx.evidenceId);

      await attestBy(fx, fx.bankVerifier, fx.evidenceId);
      await expect(fx.asConsumer.consume(fx.evidenceId))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotVerified")
        .withArgs(fx.evidenceId);

      const rejected = await anchorEvidence(fx, FACILITY, Kind.INVOICE);
      await attestBy(fx, fx.bankVerifier, rejected);
      await attestBy(fx, fx.regulatorVerifier, rejected, Verdict.REJECT);
      await expect(fx.asConsumer.consume(rejected))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotVerified")
        .withArgs(rejected);

      const revoked = await anchorEvidence(fx, FACILITY, Kind.DELIVERY_NOTE);
      await verifyEvidence(fx, revoked);
      const { request, signature } = await revocation(fx, fx.regulatorVerifier, revoked);
      await fx.evidence.revoke(request, signature);
      await expect(fx.asConsumer.consume(revoked))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotVerified")
        .withArgs(revoked);
    });

    it("reverts with EvidenceNotAnchored for evidence never anchored", async () => {
      const fx = await withTestConsumer();
      const unknown = ethers.id("never anchored");
      await expect(fx.asConsumer.consume(unknown))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotAnchored")
        .withArgs(unknown);
    });

    it("reverts with EvidenceNotConsumer for any other caller, governance included", async () => {
      const fx = await withTestConsumer();
      await verifyEvidence(fx, fx.evidenceId);
      for (const account of [fx.stranger, fx.bank, fx.bankVerifier, fx.admin]) {
        await expect(fx.evidence.connect(account).consume(fx.evidenceId))
          .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotConsumer")
          .withArgs(account.address);
      }
    });

    it("keeps consumed evidence consumed when an acceptance is revoked afterwards", async () => {
      const fx = await withTestConsumer();
      await verifyEvidence(fx, fx.evidenceId);
      await fx.asConsumer.consume(fx.evidenceId);
      const { request, signature } = await revocation(fx, fx.bankVerifier, fx.evidenceId);
      await expect(fx.evidence.revoke(request, signature)).to.emit(fx.evidence, "EvidenceUnverified");
      expect((await record(fx, fx.evidenceId)).consumed).to.equal(true);
    });
  });

  describe("when governance names the consumer", () => {
    it("emits ConsumerChanged from the FacilityManager to the new consumer", async () => {
      const fx = await loadFixture(evidenceFixture);
      await expect(fx.governed.setConsumer(fx.consumer.address))
        .to.emit(fx.evidence, "ConsumerChanged")
        .withArgs(await fx.manager.getAddress(), fx.consumer.address);
      expect(await fx.evidence.consumer()).to.equal(fx.consumer.address);
    });

    it("stops the previous consumer", async () => {
      const fx = await loadFixture(evidenceFixture);
      await verifyEvidence(fx, fx.evidenceId);
      await fx.governed.setConsumer(fx.consumer.address);
      await fx.governed.setConsumer(fx.stranger.address);
      await expect(fx.evidence.connect(fx.consumer).consume(fx.evidenceId))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotConsumer")
        .withArgs(fx.consumer.address);
      await expect(fx.evidence.connect(fx.stranger).consume(fx.evidenceId)).to.emit(fx.evidence, "EvidenceConsumed");
    });

    it("disables consumption with the zero address", async () => {
      const fx = await loadFixture(evidenceFixture);
      await verifyEvidence(fx, fx.evidenceId);
      await fx.governed.setConsumer(fx.consumer.address);
      await expect(fx.governed.setConsumer(ethers.ZeroAddress))
        .to.emit(fx.evidence, "ConsumerChanged")
        .withArgs(fx.consumer.address, ethers.ZeroAddress);
      await expect(fx.evidence.connect(fx.consumer).consume(fx.evidenceId))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotConsumer")
        .withArgs(fx.consumer.address);
    });

    it("reverts with AccessControlUnauthorizedAccount for accounts without DEFAULT_ADMIN_ROLE", async () => {
      const fx = await loadFixture(evidenceFixture);
      for (const account of [fx.bank, fx.stranger]) {
        await expect(fx.evidence.connect(account).setConsumer(account.address))
          .to.be.revertedWithCustomError(fx.evidence, "AccessControlUnauthorizedAccount")
          .withArgs(account.address, ethers.ZeroHash);
      }
    });
  });

  describe("when a third verifier joins (2-of-3)", () => {
    async function withThirdVerifier() {
      const fx = await loadFixture(evidenceFixture);
      await fx.governed.addVerifier(fx.thirdVerifier.address);
      await fx.governed.setThreshold(2);
      return fx;
    }

    it("emits VerifierAdded in slot 2 and ThresholdChanged (2 → 2)", async () => {
      const fx = await loadFixture(evidenceFixture);
      await expect(fx.governed.addVerifier(fx.thirdVerifier.address))
        .to.emit(fx.evidence, "VerifierAdded")
        .withArgs(fx.thirdVerifier.address, 2);
      await expect(fx.governed.setThreshold(2)).to.emit(fx.evidence, "ThresholdChanged").withArgs(2, 2);
    });

    it("lists three verifiers under a threshold of 2", async () => {
      const fx = await withThirdVerifier();
      expect(await fx.evidence.verifiers()).to.deep.equal([
        fx.bankVerifier.address,
        fx.regulatorVerifier.address,
        fx.thirdVerifier.address,
      ]);
      expect(await fx.evidence.threshold()).to.equal(2n);
      expect(await fx.evidence.isVerifier(fx.thirdVerifier.address)).to.equal(true);
    });

    it("verifies with any two acceptances but not with one", async () => {
      const fx = await withThirdVerifier();
      await attestBy(fx, fx.thirdVerifier, fx.evidenceId);
      expect(await fx.evidence.isVerified(fx.evidenceId)).to.equal(false);
      await expect(attestBy(fx, fx.regulatorVerifier, fx.evidenceId))
        .to.emit(fx.evidence, "EvidenceVerified")
        .withArgs(fx.evidenceId);
      expect((await record(fx, fx.evidenceId)).acceptedMask).to.equal(0b110n);

      const other = await anchorEvidence(fx, FACILITY, Kind.INVOICE);
      await attestBy(fx, fx.bankVerifier, other);
      await expect(attestBy(fx, fx.thirdVerifier, other))
        .to.emit(fx.evidence, "EvidenceVerified")
        .withArgs(other);
    });

    it("unverifies when the third verifier rejects after two acceptances", async () => {
      const fx = await withThirdVerifier();
      await verifyEvidence(fx, fx.evidenceId);
      await expect(attestBy(fx, fx.thirdVerifier, fx.evidenceId, Verdict.REJECT))
        .to.emit(fx.evidence, "EvidenceUnverified")
        .withArgs(fx.evidenceId);
      expect(await fx.evidence.isVerified(fx.evidenceId)).to.equal(false);
    });

    it("needs all three once the threshold is raised to 3, and two again once lowered", async () => {
      const fx = await withThirdVerifier();
      await verifyEvidence(fx, fx.evidenceId);
      const raise = await fx.governed.setThreshold(3);
      await expect(raise).to.emit(fx.evidence, "ThresholdChanged").withArgs(2, 3);
      // Governance changes re-read existing evidence without EvidenceUnverified: only the view tells.
      await expect(raise).not.to.emit(fx.evidence, "EvidenceUnverified");
      expect(await fx.evidence.isVerified(fx.evidenceId)).to.equal(false);
      await expect(attestBy(fx, fx.thirdVerifier, fx.evidenceId))
        .to.emit(fx.evidence, "EvidenceVerified")
        .withArgs(fx.evidenceId);

      const other = await anchorEvidence(fx, FACILITY, Kind.INVOICE);
      await verifyEvidence(fx, other);
      expect(await fx.evidence.isVerified(other)).to.equal(false);
      await expect(fx.governed.setThreshold(2)).to.emit(fx.evidence, "ThresholdChanged").withArgs(3, 2);
      expect(await fx.evidence.isVerified(other)).to.equal(true);
    });
  });

  describe("when a verifier is removed", () => {
    /** 2-of-3 with the evidence accepted by the bank and regulator nodes, then the regulator node removed. */
    async function withThirdVerifierAndVerifiedEvidence() {
      const fx = await loadFixture(evidenceFixture);
      await fx.governed.addVerifier(fx.thirdVerifier.address);
      await verifyEvidence(fx, fx.evidenceId);
      return fx;
    }

    it("reverts with EvidenceInvalidThreshold when the 2-of-2 quorum would break", async () => {
      const fx = await loadFixture(evidenceFixture);
      await expect(fx.governed.removeVerifier(fx.regulatorVerifier.address))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidThreshold")
        .withArgs(2, 1);
    });

    it("emits VerifierRemoved and drops it from the set", async () => {
      const fx = await withThirdVerifierAndVerifiedEvidence();
      await expect(fx.governed.removeVerifier(fx.regulatorVerifier.address))
        .to.emit(fx.evidence, "VerifierRemoved")
        .withArgs(fx.regulatorVerifier.address);
      expect(await fx.evidence.verifiers()).to.deep.equal([fx.bankVerifier.address, fx.thirdVerifier.address]);
      expect(await fx.evidence.isVerifier(fx.regulatorVerifier.address)).to.equal(false);
      expect(await fx.evidence.threshold()).to.equal(2n);
    });

    it("stops counting its acceptance and its verdict reads NONE", async () => {
      const fx = await withThirdVerifierAndVerifiedEvidence();
      expect(await fx.evidence.isVerified(fx.evidenceId)).to.equal(true);
      await fx.governed.removeVerifier(fx.regulatorVerifier.address);
      expect(await fx.evidence.isVerified(fx.evidenceId)).to.equal(false);
      expect(await fx.evidence.verdictOf(fx.evidenceId, fx.regulatorVerifier.address)).to.equal(Verdict.NONE);
    });

    it("stops counting its rejection", async () => {
      const fx = await withThirdVerifierAndVerifiedEvidence();
      const other = await anchorEvidence(fx, FACILITY, Kind.INVOICE);
      await attestBy(fx, fx.bankVerifier, other);
      await attestBy(fx, fx.thirdVerifier, other);
      await attestBy(fx, fx.regulatorVerifier, other, Verdict.REJECT);
      expect(await fx.evidence.isVerified(other)).to.equal(false);
      await fx.governed.removeVerifier(fx.regulatorVerifier.address);
      expect(await fx.evidence.isVerified(other)).to.equal(true);
    });

    it("reverts its later signatures with EvidenceNotVerifier", async () => {
      const fx = await withThirdVerifierAndVerifiedEvidence();
      await fx.governed.removeVerifier(fx.regulatorVerifier.address);
      const other = await anchorEvidence(fx, FACILITY, Kind.INVOICE);
      await expect(attestBy(fx, fx.regulatorVerifier, other))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotVerifier")
        .withArgs(fx.regulatorVerifier.address);
    });

    it("gives the same address a fresh slot when re-added, so its old acceptance does not revive", async () => {
      const fx = await withThirdVerifierAndVerifiedEvidence();
      await fx.governed.removeVerifier(fx.regulatorVerifier.address);
      await expect(fx.governed.addVerifier(fx.regulatorVerifier.address))
        .to.emit(fx.evidence, "VerifierAdded")
        .withArgs(fx.regulatorVerifier.address, 3);
      expect(await fx.evidence.verdictOf(fx.evidenceId, fx.regulatorVerifier.address)).to.equal(Verdict.NONE);
      expect(await fx.evidence.isVerified(fx.evidenceId)).to.equal(false);
      expect(await fx.evidence.verifiers()).to.deep.equal([
        fx.bankVerifier.address,
        fx.thirdVerifier.address,
        fx.regulatorVerifier.address,
      ]);
      // It may attest again, in its new slot (bit 3).
      await expect(attestBy(fx, fx.regulatorVerifier, fx.evidenceId))
        .to.emit(fx.evidence, "EvidenceVerified")
        .withArgs(fx.evidenceId);
      expect((await record(fx, fx.evidenceId)).acceptedMask).to.equal(0b1011n);
    });

    it("reverts with EvidenceNotVerifier for an account that is not a verifier", async () => {
      const fx = await withThirdVerifierAndVerifiedEvidence();
      await expect(fx.governed.removeVerifier(fx.stranger.address))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotVerifier")
        .withArgs(fx.stranger.address);
    });
  });

  describe("when governance changes the verifier set with bad input", () => {
    it("reverts with EvidenceInvalidVerifier for the zero address or an existing verifier", async () => {
      const fx = await loadFixture(evidenceFixture);
      await expect(fx.governed.addVerifier(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidVerifier")
        .withArgs(ethers.ZeroAddress);
      await expect(fx.governed.addVerifier(fx.bankVerifier.address))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidVerifier")
        .withArgs(fx.bankVerifier.address);
    });

    it("reverts with EvidenceInvalidThreshold for 0 or more than the verifiers", async () => {
      const fx = await loadFixture(evidenceFixture);
      await expect(fx.governed.setThreshold(0))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidThreshold")
        .withArgs(0, 2);
      await expect(fx.governed.setThreshold(3))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceInvalidThreshold")
        .withArgs(3, 2);
    });

    it("reverts with EvidenceVerifierSlotsExhausted once 32 slots have been used, even after a removal", async () => {
      const fx = await loadFixture(evidenceFixture);
      const extra = Array.from({ length: 30 }, (_, i) => ethers.getAddress(ethers.toBeHex(0x1000 + i, 20)));
      for (const verifier of extra.slice(0, -1)) await fx.governed.addVerifier(verifier);
      await expect(fx.governed.addVerifier(extra[29])).to.emit(fx.evidence, "VerifierAdded").withArgs(extra[29], 31);
      expect(await fx.evidence.verifiers()).to.have.lengthOf(32);

      await expect(fx.governed.addVerifier(fx.stranger.address)).to.be.revertedWithCustomError(
        fx.evidence,
        "EvidenceVerifierSlotsExhausted",
      );
      await fx.governed.removeVerifier(extra[0]);
      await expect(fx.governed.addVerifier(fx.stranger.address)).to.be.revertedWithCustomError(
        fx.evidence,
        "EvidenceVerifierSlotsExhausted",
      );
      expect(await fx.evidence.verifiers()).to.have.lengthOf(31);
    });

    it("reverts with AccessControlUnauthorizedAccount for accounts without DEFAULT_ADMIN_ROLE", async () => {
      const fx = await loadFixture(evidenceFixture);
      for (const account of [fx.bank, fx.stranger]) {
        const registry = fx.evidence.connect(account);
        const calls = [
          () => registry.addVerifier(fx.thirdVerifier.address),
          () => registry.removeVerifier(fx.regulatorVerifier.address),
          () => registry.setThreshold(1),
        ];
        for (const call of calls) {
          await expect(call())
            .to.be.revertedWithCustomError(fx.evidence, "AccessControlUnauthorizedAccount")
            .withArgs(account.address, ethers.ZeroHash);
        }
      }
    });
  });

  describe("when signatures are checked off chain", () => {
    it("computes attestationDigest as ethers' and viem's EIP-712 hash", async () => {
      const fx = await loadFixture(evidenceFixture);
      const { request } = await attestation(fx, fx.bankVerifier, fx.evidenceId, Verdict.REJECT, {
        reasonHash: REASON,
        nonce: 42n,
      });
      const domain = await evidenceDomain(fx.evidence);
      const expected = ethers.TypedDataEncoder.hash(domain, attestationTypes, request);
      expect(await fx.evidence.attestationDigest(request)).to.equal(expected);
      expect(
        hashTypedData({
          domain: viemDomain(domain),
          types: attestationTypes,
          primaryType: "Attestation",
          message: { ...request },
        }),
      ).to.equal(expected);
    });

    it("computes revocationDigest as ethers' and viem's EIP-712 hash", async () => {
      const fx = await loadFixture(evidenceFixture);
      const { request } = await revocation(fx, fx.regulatorVerifier, fx.evidenceId, { nonce: 7n });
      const domain = await evidenceDomain(fx.evidence);
      const expected = ethers.TypedDataEncoder.hash(domain, revocationTypes, request);
      expect(await fx.evidence.revocationDigest(request)).to.equal(expected);
      expect(
        hashTypedData({
          domain: viemDomain(domain),
          types: revocationTypes,
          primaryType: "Revocation",
          message: { ...request },
        }),
      ).to.equal(expected);
    });

    it("uses the type strings documented in IEvidenceRegistry", async () => {
      expect(ethers.TypedDataEncoder.from(attestationTypes).encodeType("Attestation")).to.equal(
        "Attestation(bytes32 evidenceId,uint8 verdict,bytes32 reasonHash,uint256 nonce,uint64 deadline)",
      );
      expect(ethers.TypedDataEncoder.from(revocationTypes).encodeType("Revocation")).to.equal(
        "Revocation(bytes32 evidenceId,bytes32 reasonHash,uint256 nonce,uint64 deadline)",
      );
    });

    it("lets viem recover the verifier from an ethers attestation signature", async () => {
      const fx = await loadFixture(evidenceFixture);
      const { request, signature } = await attestation(fx, fx.bankVerifier, fx.evidenceId);
      const typedData = {
        domain: viemDomain(await evidenceDomain(fx.evidence)),
        types: attestationTypes,
        primaryType: "Attestation",
        message: { ...request },
        signature: signature as Hex,
      } as const;
      expect(await recoverTypedDataAddress(typedData)).to.equal(fx.bankVerifier.address);
      expect(await verifyTypedData({ ...typedData, address: fx.bankVerifier.address as Hex })).to.equal(true);
      expect(await verifyTypedData({ ...typedData, address: fx.regulatorVerifier.address as Hex })).to.equal(false);
    });

    it("lets viem recover the verifier from an ethers revocation signature", async () => {
      const fx = await loadFixture(evidenceFixture);
      const { request, signature } = await revocation(fx, fx.regulatorVerifier, fx.evidenceId);
      const typedData = {
        domain: viemDomain(await evidenceDomain(fx.evidence)),
        types: revocationTypes,
        primaryType: "Revocation",
        message: { ...request },
        signature: signature as Hex,
      } as const;
      expect(await recoverTypedDataAddress(typedData)).to.equal(fx.regulatorVerifier.address);
      expect(await verifyTypedData({ ...typedData, address: fx.regulatorVerifier.address as Hex })).to.equal(true);
    });
  });
});
