import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { testMathFixture } from "../helpers/testMath";

/** Reference popcount over the binary digits. */
function popCount(mask: bigint): bigint {
  return BigInt([...mask.toString(2)].filter((digit) => digit === "1").length);
}

describe("BitMath", () => {
  describe("when the mask is empty", () => {
    it("counts zero bits", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.popCount(0n)).to.equal(0n);
    });
  });

  describe("when the mask is small", () => {
    it("counts the set bits", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.popCount(1n)).to.equal(1n);
      expect(await math.popCount(0b1011n)).to.equal(3n);
      expect(await math.popCount(0xffn)).to.equal(8n);
      expect(await math.popCount(0xffff_ffffn)).to.equal(32n); // every verifier slot
    });
  });

  describe("when only the top bit is set", () => {
    it("counts one bit", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.popCount(1n << 255n)).to.equal(1n);
    });
  });

  describe("when every bit is set", () => {
    it("counts 256 bits", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.popCount(ethers.MaxUint256)).to.equal(256n);
    });
  });

  describe("popCount256 (constant time, for batch verdict words)", () => {
    it("counts 0, 1, 255 and 256 bits, and matches the reference on random words", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.popCount256(0n)).to.equal(0n);
      expect(await math.popCount256(1n << 255n)).to.equal(1n);
      expect(await math.popCount256(ethers.MaxUint256 - 1n)).to.equal(255n);
      expect(await math.popCount256(ethers.MaxUint256)).to.equal(256n);
      await fc.assert(
        fc.asyncProperty(fc.bigInt({ min: 0n, max: ethers.MaxUint256 }), async (word) => {
          expect(await math.popCount256(word)).to.equal(popCount(word));
        }),
        { numRuns: 100 },
      );
    });
  });

  describe("when the mask is random", () => {
    it("matches a reference count of the binary digits", async () => {
      const { math } = await loadFixture(testMathFixture);
      await fc.assert(
        fc.asyncProperty(fc.bigInt({ min: 0n, max: ethers.MaxUint256 }), async (mask) => {
          expect(await math.popCount(mask)).to.equal(popCount(mask));
        }),
        { numRuns: 100 },
      );
    });
  });
});
