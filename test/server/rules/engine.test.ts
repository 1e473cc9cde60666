import { expect } from "chai";
import { decideReview, type ReviewDecision } from "../../../server/rules/engine";
import { computeMetrics } from "../../../server/rules/metrics";
import { BUILT_IN_PRODUCTS, baseRateFor, parseProduct } from "../../../server/rules/products";
import { RulesInputError } from "../../../server/rules/values";

const [yongzhidai] = BUILT_IN_PRODUCTS;
const GRADE_C = baseRateFor(yongzhidai, "C"); // 435 bps

/** A product with three 25 bps targets (one of each comparator kind and the grade) and a 50 bps cap. */
const threeTargets = parseProduct({
  id: "three-targets",
  version: 1,
  name: { zh: "三指标贷", en: "Three-target loan" },
  gradeRatesBps: { A: 385, B: 410, C: 435, D: 465, E: 490 },
  termMonths: 24,
  targets: [
    {
      id: "patents",
      metric: "PATENTS_ADDED",
      comparator: "gte",
      threshold: 1,
      discountBps: 25,
      subsidyEligible: false,
    },
    {
      id: "spend",
      metric: "QUALITY_SPEND_SHARE_BPS",
      comparator: "gte",
      threshold: 3_000,
      discountBps: 25,
      subsidyEligible: true,
    },
    { id: "grade", metric: "GRADE", comparator: "gte", threshold: 4, discountBps: 25, subsidyEligible: true },
  ],
  maxDiscountBps: 50,
});

const outcomes = (d: ReviewDecision) => d.targets.map((t) => [t.id, t.met, t.discountBps]);

describe("rules/engine", function () {
  describe("when a yongzhidai borrower of grade C (435 bps) meets both targets", function () {
    const decision = decideReview(yongzhidai, {
      baseRateBps: GRADE_C,
      metrics: { PATENTS_ADDED: 3, PASS_RATE_BPS: 9_850, QUALITY_SPEND_SHARE_BPS: 5_000, GRADE: 3 },
    });

    it("takes 25 + 25 bps off: 385 bps, and makes it subsidy-eligible", function () {
      expect(outcomes(decision)).to.deep.equal([
        ["patents-added", true, 25],
        ["pass-rate", true, 25],
      ]);
      expect(decision.earnedDiscountBps).to.equal(50);
      expect(decision.discountBps).to.equal(50);
      expect(decision.newRateBps).to.equal(385);
      expect(decision.subsidyEligible).to.equal(true);
    });

    it("gives each target its figures and a reason", function () {
      expect(decision.targets[1]).to.deep.equal({
        id: "pass-rate",
        metric: "PASS_RATE_BPS",
        label: { zh: "产品合格率不低于 98%", en: "product pass rate at least 98.00%" },
        comparator: "gte",
        threshold: 9_800,
        actual: 9_850,
        met: true,
        discountBps: 25,
        subsidyEligible: true,
        reason: "98.50% (9850 bps) ≥ 98.00% (9800 bps): met, −25 bps",
      });
      expect(decision.targets[0].reason).to.equal("3 patents ≥ 2 patents: met, −25 bps");
    });

    it("explains the decision in English and Chinese", function () {
      expect(decision.explanation).to.equal(
        [
          "Yongzhidai quality loan (Ningbo) v1 review, base rate 435 bps.",
          "- at least 2 patents filed per quarter: 3 patents ≥ 2 patents: met, −25 bps.",
          "- product pass rate at least 98.00%: 98.50% (9850 bps) ≥ 98.00% (9800 bps): met, −25 bps.",
          "Discount 50 bps: new rate 385 bps.",
          "Eligible for the fiscal subsidy (300 bps).",
        ].join("\n"),
      );
      expect(decision.explanationZh).to.contain("甬质贷（第 1 版）季度考核，基准利率 435 个基点。");
      expect(decision.explanationZh).to.contain("执行利率 385 个基点");
      expect(decision.explanationZh).to.contain("符合财政贴息条件");
    });
  });

  describe("when a target is missed", function () {
    it("earns nothing for it and, for the pass rate, loses the subsidy", function () {
      const decision = decideReview(yongzhidai, {
        baseRateBps: GRADE_C,
        metrics: { PATENTS_ADDED: 2, PASS_RATE_BPS: 9_799 },
      });
      expect(outcomes(decision)).to.deep.equal([
        ["patents-added", true, 25],
        ["pass-rate", false, 0],
      ]);
      expect(decision.targets[1].reason).to.equal("97.99% (9799 bps) < 98.00% (9800 bps): not met");
      expect(decision.newRateBps).to.equal(410);
      expect(decision.subsidyEligible).to.equal(false);
      expect(decision.explanation).to.contain(
        "Not eligible for the fiscal subsidy: product pass rate at least 98.00% not met.",
      );
    });

    it("counts a value exactly on the threshold as met", function () {
      const decision = decideReview(yongzhidai, {
        baseRateBps: GRADE_C,
        metrics: { PATENTS_ADDED: 1, PASS_RATE_BPS: 9_800 },
      });
      expect(outcomes(decision)).to.deep.equal([
        ["patents-added", false, 0],
        ["pass-rate", true, 25],
      ]);
      expect(decision.newRateBps).to.equal(410);
      expect(decision.subsidyEligible).to.equal(true);
    });
  });

  describe("when a metric has no data", function () {
    it("treats the target as not met, null or absent alike", function () {
      for (const metrics of [{ PATENTS_ADDED: 5, PASS_RATE_BPS: null }, { PATENTS_ADDED: 5 }]) {
        const decision = decideReview(yongzhidai, { baseRateBps: GRADE_C, metrics });
        expect(decision.targets[1]).to.include({ actual: null, met: false, discountBps: 0 });
        expect(decision.targets[1].reason).to.equal(
          "no product pass rate data for the period: not met (wanted ≥ 98.00% (9800 bps))",
        );
        expect(decision.newRateBps).to.equal(410);
        expect(decision.subsidyEligible).to.equal(false);
      }
    });
  });

  describe("when quality slides after a good quarter", function () {
    it("the next review takes the discount away: the rate goes back to the base rate", function () {
      const q1 = decideReview(yongzhidai, {
        baseRateBps: GRADE_C,
        metrics: { PATENTS_ADDED: 2, PASS_RATE_BPS: 9_900 },
      });
      const q2 = decideReview(yongzhidai, {
        baseRateBps: GRADE_C,
        metrics: { PATENTS_ADDED: 0, PASS_RATE_BPS: 9_500 },
      });
      expect([q1.newRateBps, q1.subsidyEligible]).to.deep.equal([385, true]);
      expect([q2.newRateBps, q2.subsidyEligible]).to.deep.equal([435, false]);
      expect(q2.discountBps).to.equal(0);
    });
  });

  describe("when the met targets earn more than the product's maximum", function () {
    it("caps the discount at maxDiscountBps and says so", function () {
      const decision = decideReview(threeTargets, {
        baseRateBps: 435,
        metrics: { PATENTS_ADDED: 1, QUALITY_SPEND_SHARE_BPS: 3_000, GRADE: 5 },
      });
      expect(outcomes(decision)).to.deep.equal([
        ["patents", true, 25],
        ["spend", true, 25],
        ["grade", true, 25],
      ]);
      expect(decision.targets[2].reason).to.equal("grade A ≥ grade B: met, −25 bps");
      expect(decision.earnedDiscountBps).to.equal(75);
      expect(decision.discountBps).to.equal(50);
      expect(decision.newRateBps).to.equal(385);
      expect(decision.explanation).to.contain("Discount 50 bps (75 bps earned, capped at the product's maximum)");
    });

    it("never takes the rate below 0", function () {
      const decision = decideReview(threeTargets, {
        baseRateBps: 30,
        metrics: { PATENTS_ADDED: 1, QUALITY_SPEND_SHARE_BPS: 3_000, GRADE: 5 },
      });
      expect(decision.discountBps).to.equal(30);
      expect(decision.newRateBps).to.equal(0);
      expect(decision.explanation).to.contain("capped at the base rate");
    });
  });

  describe("when subsidy-eligible targets are judged", function () {
    it("grants the subsidy only when every one of them is met", function () {
      const decide = (spend: number, grade: number) =>
        decideReview(threeTargets, {
          baseRateBps: 435,
          metrics: { PATENTS_ADDED: 0, QUALITY_SPEND_SHARE_BPS: spend, GRADE: grade },
        }).subsidyEligible;
      expect([decide(3_000, 4), decide(2_999, 4), decide(3_000, 3)]).to.deep.equal([true, false, false]);
    });

    it("grants none under a product without subsidy-eligible targets", function () {
      const plain = parseProduct({
        ...threeTargets,
        id: "plain",
        targets: [{ ...threeTargets.targets[0] }],
      });
      const decision = decideReview(plain, { baseRateBps: 435, metrics: { PATENTS_ADDED: 9 } });
      expect(decision.subsidyEligible).to.equal(false);
      expect(decision.explanation).to.contain("No target of this product earns the fiscal subsidy.");
    });
  });

  describe("when a target asks for at most a value (lte)", function () {
    it("is met at or below the threshold", function () {
      const capped = parseProduct({
        ...threeTargets,
        id: "lte",
        targets: [{ ...threeTargets.targets[1], comparator: "lte", threshold: 8_000 }],
      });
      const decide = (spend: number) =>
        decideReview(capped, { baseRateBps: 435, metrics: { QUALITY_SPEND_SHARE_BPS: spend } }).targets[0];
      expect(decide(8_000)).to.include({ met: true });
      expect(decide(8_001)).to.include({ met: false, reason: "80.01% (8001 bps) > 80.00% (8000 bps): not met" });
    });
  });

  describe("when the input is invalid", function () {
    it("names every problem", function () {
      expect(() =>
        decideReview(yongzhidai, {
          baseRateBps: 10_001,
          metrics: { PASS_RATE_BPS: 10_500, GRADE: 2.5, REVENUE: 1 } as never,
        }),
      )
        .to.throw(RulesInputError)
        .with.property("issues")
        .that.deep.equals([
          { path: "baseRateBps", message: "must be at most 10000 bps" },
          { path: "metrics.GRADE", message: "must be a whole number, or null when there is no data" },
          { path: "metrics", message: 'Unrecognized key: "REVENUE"' },
        ]);
      expect(() => decideReview(yongzhidai, { baseRateBps: 435, metrics: { PASS_RATE_BPS: 10_500 } })).to.throw(
        "invalid review input: metrics.PASS_RATE_BPS: must be between 0 and 10000 (bps), not 10500",
      );
    });
  });

  describe("when a decision is stored with its input", function () {
    const decision = decideReview(yongzhidai, {
      baseRateBps: GRADE_C,
      metrics: { PATENTS_ADDED: 2, PASS_RATE_BPS: null, GRADE: 3 },
    });

    it("is plain JSON", function () {
      expect(JSON.parse(JSON.stringify(decision))).to.deep.equal(decision);
    });

    it("is made again, identically, from the stored input", function () {
      const stored = JSON.parse(JSON.stringify(decision)) as ReviewDecision;
      expect(decideReview(yongzhidai, stored.input)).to.deep.equal(decision);
      expect(stored.input).to.deep.equal({
        baseRateBps: 435,
        frozen: false,
        metrics: { PATENTS_ADDED: 2, PASS_RATE_BPS: null, QUALITY_SPEND_SHARE_BPS: null, GRADE: 3 },
      });
      expect(stored.product).to.deep.equal({ id: "yongzhidai", version: 1 });
      expect(stored.rulesVersion).to.equal(2);
    });
  });

  describe("when the facility was frozen in the period", function () {
    const metrics = { PATENTS_ADDED: 3, PASS_RATE_BPS: 9_950, GRADE: 3 };
    const frozen = decideReview(yongzhidai, { baseRateBps: GRADE_C, frozen: true, metrics });

    it("earns no discount and no subsidy, though its targets are met", function () {
      expect(frozen.targets.map((t) => [t.id, t.met, t.discountBps])).to.deep.equal([
        ["patents-added", true, 0],
        ["pass-rate", true, 0],
      ]);
      expect(frozen).to.include({ discountBps: 0, newRateBps: GRADE_C, subsidyEligible: false });
      expect(frozen.explanation).to.include("The facility was frozen in the period: no discount and no fiscal subsidy");
    });

    it("decides as before once not frozen", function () {
      expect(decideReview(yongzhidai, { baseRateBps: GRADE_C, frozen: false, metrics })).to.include({
        discountBps: 50,
        subsidyEligible: true,
      });
    });
  });

  describe("when the metrics come from the period's evidence", function () {
    it("decides on computeMetrics' values", function () {
      const inQuarter = new Date("2026-05-15T00:00:00Z");
      const metrics = computeMetrics({
        period: { from: new Date("2026-04-01T00:00:00Z"), to: new Date("2026-07-01T00:00:00Z") },
        evidence: [
          {
            id: "p1",
            kind: "PATENT_FILING",
            verifiedByBothNodes: true,
            anchoredAt: inQuarter,
            metadata: { patentNumber: "CN1" },
          },
          {
            id: "p2",
            kind: "PATENT_FILING",
            verifiedByBothNodes: true,
            anchoredAt: inQuarter,
            metadata: { patentNumber: "CN2" },
          },
          {
            id: "p3",
            kind: "PATENT_FILING",
            verifiedByBothNodes: false,
            anchoredAt: inQuarter,
            metadata: { patentNumber: "CN3" },
          },
          {
            id: "r1",
            kind: "INSPECTION_REPORT",
            verifiedByBothNodes: true,
            anchoredAt: inQuarter,
            metadata: { unitsTested: 2_000, unitsPassed: 1_970 },
          },
        ],
        payments: [{ amount: 400_000_000n, qualityPurpose: true, paidAt: inQuarter }],
        grade: "C",
      });
      const decision = decideReview(yongzhidai, { baseRateBps: GRADE_C, metrics: metrics.values });
      expect(decision.targets.map((t) => [t.id, t.actual, t.met])).to.deep.equal([
        ["patents-added", 2, true],
        ["pass-rate", 9_850, true],
      ]);
      expect([decision.newRateBps, decision.subsidyEligible]).to.deep.equal([385, true]);
    });
  });
});
