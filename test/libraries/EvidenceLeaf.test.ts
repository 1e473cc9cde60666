import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Kind, LEAF_ENCODING } from "../helpers/constants";
import { testMathFixture } from "../helpers/testMath";

type Leaf = [bigint, number, string, string];

const SUPPLIER = ethers.getAddress("0x" + "5a".repeat(20));

const MAX_UINT64 = 2n ** 64n - 1n;

/** StandardMerkleTree's own leaf hash for `value` (a tree needs at least one value; its leafHash ignores the others). */
function merkleLeafHash(value: Leaf): string {
  return StandardMerkleTree.of([value], LEAF_ENCODING).leafHash(value);
}

describe("EvidenceLeaf", () => {
  describe("when given a typical piece of evidence", () => {
    it("equals StandardMerkleTree.leafHash with the evidence leaf encoding", async () => {
      const { math } = await loadFixture(testMathFixture);
      const value: Leaf = [7n, Kind.INSPECTION_REPORT, SUPPLIER, ethers.id("inspection report #1")];
      expect(await math.leaf(...value)).to.equal(merkleLeafHash(value));
    });

    it("equals keccak256(keccak256(abi.encode(facilityId, kind, counterparty, saltedHash)))", async () => {
      const { math } = await loadFixture(testMathFixture);
      const value: Leaf = [7n, Kind.INSPECTION_REPORT, SUPPLIER, ethers.id("inspection report #1")];
      const encoded = ethers.AbiCoder.defaultAbiCoder().encode(LEAF_ENCODING, value);
      expect(await math.leaf(...value)).to.equal(ethers.keccak256(ethers.keccak256(encoded)));
    });
  });

  describe("when any field changes", () => {
    it("gives a different leaf", async () => {
      const { math } = await loadFixture(testMathFixture);
      const hash = ethers.id("purchase contract");
      const other = ethers.getAddress("0x" + "5b".repeat(20));
      const base = await math.leaf(1n, Kind.PURCHASE_CONTRACT, SUPPLIER, hash);
      expect(await math.leaf(2n, Kind.PURCHASE_CONTRACT, SUPPLIER, hash)).to.not.equal(base);
      expect(await math.leaf(1n, Kind.INVOICE, SUPPLIER, hash)).to.not.equal(base);
      expect(await math.leaf(1n, Kind.PURCHASE_CONTRACT, other, hash)).to.not.equal(base);
      expect(await math.leaf(1n, Kind.PURCHASE_CONTRACT, SUPPLIER, ethers.id("purchase contract v2"))).to.not.equal(
        base,
      );
    });
  });

  describe("when the fields are at their extremes", () => {
    it("matches StandardMerkleTree for zeros and for the largest uint64 / uint8 / address / bytes32", async () => {
      const { math } = await loadFixture(testMathFixture);
      const zeros: Leaf = [0n, 0, ethers.ZeroAddress, ethers.ZeroHash];
      const maxima: Leaf = [MAX_UINT64, 255, ethers.getAddress("0x" + "ff".repeat(20)), "0x" + "ff".repeat(32)];
      expect(await math.leaf(...zeros)).to.equal(merkleLeafHash(zeros));
      expect(await math.leaf(...maxima)).to.equal(merkleLeafHash(maxima));
    });
  });

  describe("when the values are random", () => {
    it("matches StandardMerkleTree.leafHash for each", async () => {
      const { math } = await loadFixture(testMathFixture);
      await fc.assert(
        fc.asyncProperty(
          fc.bigInt({ min: 0n, max: MAX_UINT64 }),
          fc.integer({ min: 0, max: 255 }),
          fc.uint8Array({ minLength: 20, maxLength: 20 }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          async (facilityId, kind, address, bytes) => {
            const value: Leaf = [facilityId, kind, ethers.getAddress(ethers.hexlify(address)), ethers.hexlify(bytes)];
            expect(await math.leaf(...value)).to.equal(merkleLeafHash(value));
          },
        ),
        { numRuns: 50 },
      );
    });

    it("matches the leaves of one tree built from many random values", async () => {
      const { math } = await loadFixture(testMathFixture);
      const values: Leaf[] = Array.from({ length: 16 }, (_, i) => [
        BigInt(ethers.hexlify(ethers.randomBytes(8))),
        i % 7,
        ethers.getAddress(ethers.hexlify(ethers.randomBytes(20))),
        ethers.hexlify(ethers.randomBytes(32)),
      ]);
      const tree = StandardMerkleTree.of(values, LEAF_ENCODING);
      for (const [, value] of tree.entries()) {
        expect(await math.leaf(...value)).to.equal(tree.leafHash(value));
      }
    });
  });
});
