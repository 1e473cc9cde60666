import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { batchTreeDepth, batchTreeOf, processBatchProof, verifyBatchProof } from "../../server/chain/batch-tree";
import {
  EVIDENCE_KINDS,
  LEAF_ENCODING,
  evidenceIdOf,
  kindIndex,
  leafValue,
  provesInto,
} from "../../server/chain/evidence";
import { deployFixture } from "../helpers/fixtures";

const uint64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const kind = fc.constantFrom(...EVIDENCE_KINDS);
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => ethers.hexlify(bytes));
const address = fc
  .uint8Array({ minLength: 20, maxLength: 20 })
  .map((bytes) => ethers.getAddress(ethers.hexlify(bytes)));

describe("evidence ids (server/chain/evidence)", function () {
  it("equal StandardMerkleTree's leaf hash of [facilityId, kind, counterparty, saltedHash] (1,000 random leaves)", function () {
    fc.assert(
      fc.property(uint64, kind, address, bytes32, (facilityId, evidenceKind, counterparty, saltedHash) => {
        const tree = StandardMerkleTree.of(
          [leafValue(facilityId, evidenceKind, counterparty, saltedHash)],
          LEAF_ENCODING,
        );
        expect(evidenceIdOf(facilityId, evidenceKind, counterparty, saltedHash)).to.equal(tree.leafHash(tree.at(0)!));
      }),
      { numRuns: 1_000 },
    );
  });

  it("equal the contract's evidenceIdOf", async function () {
    const { evidence } = await loadFixture(deployFixture);
    const samples = fc.sample(fc.tuple(uint64, kind, address, bytes32), 20);
    for (const [facilityId, evidenceKind, counterparty, saltedHash] of samples) {
      expect(evidenceIdOf(facilityId, evidenceKind, counterparty, saltedHash)).to.equal(
        await evidence.evidenceIdOf(facilityId, kindIndex(evidenceKind), counterparty, saltedHash),
      );
    }
  });

  it("build position-bound batch trees: each proof leads to the root from its own index only", function () {
    fc.assert(
      fc.property(fc.array(fc.tuple(uint64, kind, address, bytes32), { minLength: 1, maxLength: 40 }), (leaves) => {
        const ids = leaves.map(([f, k, c, h]) => evidenceIdOf(f, k, c, h));
        const tree = batchTreeOf(ids);
        expect(tree.size).to.equal(ids.length);
        for (const [i, id] of ids.entries()) {
          const proof = tree.proof(i);
          expect(proof).to.have.lengthOf(batchTreeDepth(ids.length));
          expect(processBatchProof(id, i, proof)).to.equal(tree.root);
          expect(verifyBatchProof(tree.root, id, i, proof, ids.length)).to.equal(true);
          const j = (i + 1) % ids.length;
          if (j !== i && ids[j] !== id) expect(verifyBatchProof(tree.root, id, j, proof)).to.equal(false);
          expect(verifyBatchProof(tree.root, id, i + 2 ** proof.length, proof)).to.equal(false);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("prove a leaf into its root at its index, and nothing the bank could change", function () {
    fc.assert(
      fc.property(fc.array(fc.tuple(uint64, kind, address, bytes32), { minLength: 2, maxLength: 30 }), (leaves) => {
        const ids = leaves.map(([f, k, c, h]) => evidenceIdOf(f, k, c, h));
        const tree = batchTreeOf(ids);
        const [facilityId, evidenceKind, counterparty, saltedHash] = leaves[0];
        const evidence = { facilityId, kind: evidenceKind, counterparty, saltedHash, evidenceId: ids[0], index: 0 };
        const proof = tree.proof(0);
        expect(provesInto(tree.root, evidence, proof)).to.equal(true);
        // Each lie the bank could tell: another id for the leaf, another leaf for the id, another index, proof or root.
        const other = ids[1];
        expect(provesInto(tree.root, { ...evidence, evidenceId: other }, proof)).to.equal(false);
        expect(provesInto(tree.root, { ...evidence, facilityId: facilityId ^ 1n }, proof)).to.equal(false);
        // the same document claimed to name another party is another leaf
        const otherParty = ethers.getAddress(`0x${(BigInt(counterparty) ^ 1n).toString(16).padStart(40, "0")}`);
        expect(provesInto(tree.root, { ...evidence, counterparty: otherParty }, proof)).to.equal(false);
        expect(provesInto(tree.root, { ...evidence, index: 1 }, proof)).to.equal(ids[0] === other);
        expect(provesInto(tree.root, evidence, tree.proof(1))).to.equal(ids[0] === other);
        expect(provesInto(other, evidence, proof)).to.equal(false);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses what the leaf encoding cannot hold", function () {
    const hash = ethers.id("x");
    const party = ethers.ZeroAddress;
    expect(() => evidenceIdOf(1n << 64n, "INVOICE", party, hash)).to.throw(RangeError, /not a uint64/);
    expect(() => evidenceIdOf(-1n, "INVOICE", party, hash)).to.throw(RangeError, /not a uint64/);
    expect(() => evidenceIdOf(1n, "RECEIPT" as never, party, hash)).to.throw(RangeError, /unknown evidence kind/);
    expect(() => evidenceIdOf(1n, "INVOICE", party, "0x1234")).to.throw(RangeError, /not 32 bytes/);
    expect(() => evidenceIdOf(1n, "INVOICE", "0x1234", hash)).to.throw(/invalid address/);
  });
});
