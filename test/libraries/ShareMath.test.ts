import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { yuan } from "../helpers/constants";
import { testMathFixture } from "../helpers/testMath";

describe("ShareMath", () => {
  describe("when the share is exact", () => {
    it("gives 5,000 bps for 5,000,000.00 of 10,000,000.00 CNY", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.shareBps(yuan(5_000_000), yuan(10_000_000))).to.equal(5_000n);
    });

    it("gives 10,000 bps for the whole", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.shareBps(yuan(10_000_000), yuan(10_000_000))).to.equal(10_000n);
    });

    it("gives 0 bps for a zero part", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.shareBps(0n, yuan(10_000_000))).to.equal(0n);
    });
  });

  describe("when the share has a fraction of a basis point", () => {
    it("rounds one third down to 3,333 bps", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.shareBps(1n, 3n)).to.equal(3_333n);
    });

    it("rounds two thirds down to 6,666 bps, never up to 6,667", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.shareBps(2n, 3n)).to.equal(6_666n);
    });

    it("rounds 1 fen of 10,000,000.00 CNY down to 0 bps", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.shareBps(1n, yuan(10_000_000))).to.equal(0n);
    });
  });

  describe("when the total is zero", () => {
    it("gives 0 bps instead of dividing by zero", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.shareBps(0n, 0n)).to.equal(0n);
      expect(await math.shareBps(yuan(1), 0n)).to.equal(0n);
    });
  });

  describe("when the part exceeds the total", () => {
    it("is not capped: 3 of 2 gives 15,000 bps", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.shareBps(3n, 2n)).to.equal(15_000n);
    });
  });

  describe("when part × 10,000 overflows uint256", () => {
    it("reverts with the arithmetic-overflow panic", async () => {
      const { math } = await loadFixture(testMathFixture);
      await expect(math.shareBps(2n ** 255n, 1n)).to.be.revertedWithPanic(0x11);
    });
  });

  describe("when inputs are random", () => {
    it("equals part × 10,000 / total rounded down, and never exceeds 10,000 when part ≤ total", async () => {
      const { math } = await loadFixture(testMathFixture);
      await fc.assert(
        fc.asyncProperty(
          fc.bigInt({ min: 1n, max: yuan(100_000_000_000) }),
          fc.bigInt({ min: 0n, max: 10_000n }),
          async (total, partBps) => {
            const part = (total * partBps) / 10_000n;
            const share = await math.shareBps(part, total);
            expect(share).to.equal((part * 10_000n) / total);
            expect(share <= partBps).to.equal(true, `share ${share} of part ${part} / total ${total}`);
          },
        ),
        { numRuns: 100 },
      );
    });
  });
});
