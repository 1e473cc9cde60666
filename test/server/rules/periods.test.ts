import { expect } from "chai";
import { frozenDuring, nextPeriodStart, periodRefusal } from "../../../server/rules/periods";

const at = (seconds: number) => new Date(seconds * 1000);
const iso = (seconds: number) => at(seconds).toISOString();

describe("rules/periods", function () {
  const opened = 1_780_000_000;
  const facts = { openedAt: opened, appliedEnds: [] as number[], now: opened + 100 * 86_400 };

  describe("when no review has been applied", function () {
    it("starts the period at the facility's opening", function () {
      expect(nextPeriodStart(facts)).to.equal(opened);
      expect(periodRefusal({ from: at(opened), to: at(opened + 90 * 86_400) }, facts)).to.equal(undefined);
    });

    it("refuses a period that starts before the facility existed", function () {
      expect(periodRefusal({ from: at(opened - 86_400), to: at(opened + 86_400) }, facts)).to.equal(
        `the review period must start at ${iso(opened)}, where the facility opened, not at ${iso(opened - 86_400)}`,
      );
    });

    it("refuses a period that starts later, skipping time", function () {
      expect(periodRefusal({ from: at(opened + 1), to: at(opened + 86_400) }, facts)).to.match(/must start at/);
    });

    it("refuses a period that reaches past the chain's time, and one that ends before it starts", function () {
      expect(periodRefusal({ from: at(opened), to: at(facts.now + 1) }, facts)).to.equal(
        `the review period ends at ${iso(facts.now + 1)}, after the chain's current time ${iso(facts.now)}`,
      );
      expect(periodRefusal({ from: at(opened), to: at(opened) }, facts)).to.match(/must end after it starts/);
      expect(periodRefusal({ from: at(opened), to: at(facts.now) }, facts)).to.equal(undefined);
    });
  });

  describe("when reviews have been applied", function () {
    const applied = { ...facts, appliedEnds: [opened + 90 * 86_400, opened + 30 * 86_400] };

    it("starts where the latest applied review ended", function () {
      expect(nextPeriodStart(applied)).to.equal(opened + 90 * 86_400);
      expect(periodRefusal({ from: at(opened), to: at(facts.now) }, applied)).to.equal(
        `the review period must start at ${iso(opened + 90 * 86_400)}, where the last applied review ended, not at ${iso(opened)}`,
      );
    });
  });

  describe("when the facility was frozen", function () {
    const period = { from: at(1_000), to: at(2_000) };

    it("counts a freeze inside the period, one still in force at its start, and a freeze now", function () {
      expect(frozenDuring([{ at: 1_500, frozen: true }], period, false)).to.equal(true);
      expect(frozenDuring([{ at: 500, frozen: true }], period, false)).to.equal(true);
      expect(frozenDuring([], period, true)).to.equal(true);
      expect(
        frozenDuring(
          [
            { at: 1_200, frozen: false },
            { at: 500, frozen: true },
          ],
          period,
          false,
        ),
      ).to.equal(true);
    });

    it("does not count a freeze lifted before the period, or one after it", function () {
      const lifted = [
        { at: 300, frozen: true },
        { at: 600, frozen: false },
      ];
      expect(frozenDuring(lifted, period, false)).to.equal(false);
      expect(frozenDuring([{ at: 2_000, frozen: true }], period, false)).to.equal(false);
    });
  });
});
