import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, yuan } from "../helpers/constants";
import { ACT360_DENOMINATOR, act360 } from "../helpers/interest";
import { testMathFixture } from "../helpers/testMath";
const RATE_BPS = 435n; // the 1-year LPR-like base rate of the standard terms

describe("InterestMath", () => {
  describe("when the interest is a whole number of fen", () => {
    it("charges 43,500.00 CNY on 4,000,000.00 CNY at 435 bps for 90 days", async () => {
      const { math } = await loadFixture(testMathFixture);
      // 400_000_000 fen × 0.0435 × 90 / 360 = 4_350_000 fen exactly.
      expect(await math.accrued(yuan(4_000_000), RATE_BPS, 90n * DAY)).to.equal(4_350_000n);
      expect(yuan(43_500)).to.equal(4_350_000n);
    });

    it("charges the annual rate on a full 360-day year", async () => {
      const { math } = await loadFixture(testMathFixture);
      // 400_000_000 fen × 0.0435 = 17_400_000 fen (174,000.00 CNY).
      expect(await math.accrued(yuan(4_000_000), RATE_BPS, 360n * DAY)).to.equal(17_400_000n);
    });

    it("charges 365/360 of the annual rate over 365 days (ACT/360)", async () => {
      const { math } = await loadFixture(testMathFixture);
      // 400_000_000 × 435 × 365 / 3_600_000 = 17_641_666.67 → 17_641_666 fen.
      expect(await math.accrued(yuan(4_000_000), RATE_BPS, 365n * DAY)).to.equal(17_641_666n);
    });
  });

  describe("when the exact interest has a fraction of a fen", () => {
    it("charges 1,208.33 CNY on 10,000,000.00 CNY at 435 bps for 1 day (exactly 120_833.33 fen)", async () => {
      const { math } = await loadFixture(testMathFixture);
      // 1_000_000_000 × 435 / 3_600_000 = 120_833.333… fen
      expect(await math.accrued(yuan(10_000_000), RATE_BPS, DAY)).to.equal(120_833n);
    });

    it("rounds 1.999… fen down to 1 fen", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(ACT360_DENOMINATOR).to.equal(311_040_000_000n);
      expect(await math.accrued(2n * ACT360_DENOMINATOR - 1n, 1n, 1n)).to.equal(1n);
      expect(await math.accrued(2n * ACT360_DENOMINATOR, 1n, 1n)).to.equal(2n);
    });

    it("rounds the 0.56 fen of one second on 4,000,000.00 CNY down to zero", async () => {
      const { math } = await loadFixture(testMathFixture);
      // 400_000_000 × 435 × 1 / 311_040_000_000 = 0.559…
      expect(await math.accrued(yuan(4_000_000), RATE_BPS, 1n)).to.equal(0n);
      // Two seconds make the first whole fen: 400_000_000 × 435 × 2 / 311_040_000_000 = 1.118…
      expect(await math.accrued(yuan(4_000_000), RATE_BPS, 2n)).to.equal(1n);
    });
  });

  describe("when any factor is zero", () => {
    it("charges nothing on a zero principal", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.accrued(0n, RATE_BPS, 90n * DAY)).to.equal(0n);
    });

    it("charges nothing at a zero rate", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.accrued(yuan(4_000_000), 0n, 90n * DAY)).to.equal(0n);
    });

    it("charges nothing for zero seconds", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.accrued(yuan(4_000_000), RATE_BPS, 0n)).to.equal(0n);
    });
  });

  describe("when the product overflows uint256", () => {
    it("reverts with the arithmetic-overflow panic", async () => {
      const { math } = await loadFixture(testMathFixture);
      await expect(math.accrued(2n ** 255n, 2n, 1n)).to.be.revertedWithPanic(0x11);
    });
  });

  describe("when inputs are random", () => {
    it("equals principal × rate × seconds / (10_000 × 360 × 86_400), rounded down", async () => {
      const { math } = await loadFixture(testMathFixture);
      await fc.assert(
        fc.asyncProperty(
          fc.bigInt({ min: 0n, max: yuan(10_000_000_000) }),
          fc.bigInt({ min: 0n, max: 10_000n }),
          fc.bigInt({ min: 0n, max: 10n * 365n * DAY }),
          async (principal, rateBps, elapsed) => {
            expect(await math.accrued(principal, rateBps, elapsed)).to.equal(act360(principal, rateBps, elapsed));
          },
        ),
        { numRuns: 100 },
      );
    });

    it("never charges more for two split periods than for the whole period", async () => {
      const { math } = await loadFixture(testMathFixture);
      await fc.assert(
        fc.asyncProperty(
          fc.bigInt({ min: 1n, max: yuan(10_000_000_000) }),
          fc.bigInt({ min: 1n, max: 10_000n }),
          fc.bigInt({ min: 0n, max: 365n * DAY }),
          fc.bigInt({ min: 0n, max: 365n * DAY }),
          async (principal, rateBps, first, second) => {
            const split =
              (await math.accrued(principal, rateBps, first)) + (await math.accrued(principal, rateBps, second));
            const whole = await math.accrued(principal, rateBps, first + second);
            expect(split <= whole && whole - split <= 1n).to.equal(true, `split ${split} whole ${whole}`);
          },
        ),
        { numRuns: 50 },
      );
    });
  });

  describe("when segments are summed as numerators", () => {
    it("rounds down once: the split equals the whole period exactly", async () => {
      const { math } = await loadFixture(testMathFixture);
      await fc.assert(
        fc.asyncProperty(
          fc.bigInt({ min: 1n, max: yuan(10_000_000_000) }),
          fc.bigInt({ min: 1n, max: 10_000n }),
          fc.bigInt({ min: 0n, max: 365n * DAY }),
          fc.bigInt({ min: 0n, max: 365n * DAY }),
          async (principal, rateBps, first, second) => {
            const summed =
              (await math.numerator(principal, rateBps, first)) + (await math.numerator(principal, rateBps, second));
            expect(await math.toFen(summed)).to.equal(await math.accrued(principal, rateBps, first + second));
          },
        ),
        { numRuns: 50 },
      );
    });

    it("keeps the fractions of short segments: ten 1-second segments of 0.559 fen book 5 fen", async () => {
      const { math } = await loadFixture(testMathFixture);
      expect(await math.accrued(yuan(4_000_000), 435n, 1n)).to.equal(0n);
      const oneSecond = await math.numerator(yuan(4_000_000), 435n, 1n);
      expect(oneSecond).to.equal(174_000_000_000n);
      expect(await math.toFen(oneSecond * 10n)).to.equal(5n);
    });
  });
});
