import { expect } from "chai";
import { computeMetrics, type MetricsInput } from "../../../server/rules/metrics";
import { RulesInputError } from "../../../server/rules/values";

type EvidenceInput = MetricsInput["evidence"][number];

// The second quarter of 2026, [1 April, 1 July).
const Q2 = { from: new Date("2026-04-01T00:00:00+08:00"), to: new Date("2026-07-01T00:00:00+08:00") };
const IN_Q2 = new Date("2026-05-15T10:00:00+08:00");
const BEFORE_Q2 = new Date("2026-02-01T10:00:00+08:00");
const AFTER_Q2 = new Date("2026-07-02T10:00:00+08:00");

let counter = 0;
function evidence(kind: EvidenceInput["kind"], overrides: Partial<EvidenceInput> = {}): EvidenceInput {
  return {
    id: `0x${(++counter).toString(16).padStart(64, "0")}`,
    kind,
    verifiedByBothNodes: true,
    anchoredAt: IN_Q2,
    metadata: {},
    ...overrides,
  };
}
const patent = (patentNumber: string | undefined, overrides: Partial<EvidenceInput> = {}) =>
  evidence("PATENT_FILING", { metadata: patentNumber === undefined ? {} : { patentNumber }, ...overrides });
const report = (metadata: Record<string, unknown>, overrides: Partial<EvidenceInput> = {}) =>
  evidence("INSPECTION_REPORT", { metadata: { labLicence: "CNAS-L12345", ...metadata }, ...overrides });

function metrics(input: Partial<MetricsInput>) {
  return computeMetrics({ period: Q2, evidence: [], payments: [], grade: "C", ...input });
}

describe("rules/metrics", function () {
  describe("PATENTS_ADDED", function () {
    it("counts the verified patent filings anchored in the period, with their evidence", function () {
      const a = patent("CN202610123456.7");
      const b = patent("CN202610654321.0");
      const result = metrics({ evidence: [a, b, evidence("INVOICE")] }).metrics.PATENTS_ADDED;
      expect(result.value).to.equal(2);
      expect(result.evidenceIds).to.deep.equal([a.id, b.id]);
      expect(result.inputs).to.deep.equal({ patents: ["CN202610123456.7", "CN202610654321.0"] });
    });

    it("leaves out filings not verified by both nodes, and says so", function () {
      const unverified = patent("CN1", { verifiedByBothNodes: false });
      const result = metrics({ evidence: [unverified, patent("CN2")] }).metrics.PATENTS_ADDED;
      expect(result.value).to.equal(1);
      expect(result.excluded).to.deep.equal([{ evidenceId: unverified.id, reason: "not verified by both nodes" }]);
    });

    it("counts from the first instant of the period up to, not including, its end", function () {
      const atStart = patent("CN1", { anchoredAt: Q2.from });
      const atEnd = patent("CN2", { anchoredAt: Q2.to });
      const result = metrics({ evidence: [atStart, atEnd, patent("CN3", { anchoredAt: BEFORE_Q2 })] });
      expect(result.values.PATENTS_ADDED).to.equal(1);
      expect(result.metrics.PATENTS_ADDED.evidenceIds).to.deep.equal([atStart.id]);
    });

    it("counts a patent once, however often it is filed as evidence", function () {
      const first = patent("CN1", { anchoredAt: new Date("2026-04-02T00:00:00Z") });
      const again = patent(" CN1 ", { anchoredAt: new Date("2026-05-02T00:00:00Z") });
      const result = metrics({ evidence: [again, first] }).metrics.PATENTS_ADDED;
      expect(result.value).to.equal(1);
      expect(result.excluded).to.deep.equal([
        { evidenceId: again.id, reason: `patent CN1 is already counted by evidence ${first.id}` },
      ]);
    });

    it("does not count again a patent verified in an earlier period", function () {
      const again = patent("CN1");
      const result = metrics({ evidence: [patent("CN1", { anchoredAt: BEFORE_Q2 }), again] }).metrics.PATENTS_ADDED;
      expect(result.value).to.equal(0);
      expect(result.excluded).to.deep.equal([
        { evidenceId: again.id, reason: "patent CN1 was counted before the period" },
      ]);
    });

    it("counts a filing without a patent number on its own", function () {
      expect(metrics({ evidence: [patent(undefined), patent(undefined)] }).values.PATENTS_ADDED).to.equal(2);
    });

    it("is 0, not missing, when nothing was filed", function () {
      expect(metrics({}).values.PATENTS_ADDED).to.equal(0);
    });
  });

  describe("PASS_RATE_BPS", function () {
    it("pools unit counts, so a large inspection weighs more than a small one", function () {
      const large = report({ unitsTested: 1_000, unitsPassed: 990 }); // 99.00%
      const small = report({ unitsTested: 100, unitsPassed: 90 }); // 90.00%
      const result = metrics({ evidence: [large, small] }).metrics.PASS_RATE_BPS;
      // ⌊1,080 × 10,000 / 1,100⌋ = 9,818 (the unweighted mean would be 9,450)
      expect(result.value).to.equal(9_818);
      expect(result.evidenceIds).to.deep.equal([large.id, small.id]);
      expect(result.note).to.equal("1080 of 1100 units passed in 2 report(s), pooled");
    });

    it("rounds down, so a rate is never overstated", function () {
      expect(metrics({ evidence: [report({ unitsTested: 3, unitsPassed: 2 })] }).values.PASS_RATE_BPS).to.equal(6_666);
    });

    it("takes passRateBps when a report gives no counts", function () {
      expect(metrics({ evidence: [report({ passRateBps: 9_870 })] }).values.PASS_RATE_BPS).to.equal(9_870);
    });

    it("averages the reports' rates when not all give counts", function () {
      const result = metrics({
        evidence: [report({ passRateBps: 9_870 }), report({ unitsTested: 3, unitsPassed: 2 })],
      });
      // ⌊(9,870 + 6,666) / 2⌋
      expect(result.values.PASS_RATE_BPS).to.equal(8_268);
    });

    it("accepts passRateBps beside counts when they agree", function () {
      const evidenceList = [report({ unitsTested: 3, unitsPassed: 2, passRateBps: 6_666 })];
      expect(metrics({ evidence: evidenceList }).values.PASS_RATE_BPS).to.equal(6_666);
    });

    it("has no value without a verified report in the period", function () {
      const result = metrics({
        evidence: [
          report({ passRateBps: 9_900 }, { verifiedByBothNodes: false }),
          report({ passRateBps: 9_900 }, { anchoredAt: AFTER_Q2 }),
        ],
      }).metrics.PASS_RATE_BPS;
      expect(result.value).to.equal(null);
      expect(result.note).to.equal("no verified inspection report in the period");
      expect(result.excluded).to.have.length(1);
    });

    it("has no value when a verified report's metadata is invalid, as leaving it out could hide a failure", function () {
      const good = report({ passRateBps: 9_950 });
      const cases: Array<[Record<string, unknown>, string]> = [
        [{}, "needs unitsTested and unitsPassed, or passRateBps"],
        [{ unitsTested: 100 }, "needs both unitsTested and unitsPassed"],
        [{ unitsTested: 100, unitsPassed: 101 }, "unitsPassed 101 exceeds unitsTested 100"],
        [{ unitsTested: 0, unitsPassed: 0 }, "unitsTested: must be at least 1 unit"],
        [{ passRateBps: 10_001 }, "passRateBps: must be 0–10000 bps"],
        [{ passRateBps: "9900" }, "passRateBps: must be a whole number of bps"],
        [
          { unitsTested: 3, unitsPassed: 2, passRateBps: 6_667 },
          "passRateBps 6667 disagrees with 2/3 units (6666 bps)",
        ],
      ];
      for (const [metadata, problem] of cases) {
        const bad = report(metadata);
        const result = metrics({ evidence: [good, bad] }).metrics.PASS_RATE_BPS;
        expect(result.value, JSON.stringify(metadata)).to.equal(null);
        expect(result.excluded).to.deep.equal([
          { evidenceId: bad.id, reason: `invalid inspection metadata: ${problem}` },
        ]);
        expect(result.note).to.equal(`no pass rate: verified inspection report(s) ${bad.id} have invalid metadata`);
      }
    });
  });

  describe("QUALITY_SPEND_SHARE_BPS", function () {
    it("is the quality-purpose share of everything paid by the period's end, rounded down", function () {
      const result = metrics({
        payments: [
          { id: "0", amount: 400_000_000n, qualityPurpose: true, paidAt: BEFORE_Q2 },
          { id: "1", amount: "100000000", qualityPurpose: true, paidAt: IN_Q2 },
          { id: "2", amount: 500_000_001n, qualityPurpose: false, paidAt: IN_Q2 },
          { id: "3", amount: 900_000_000n, qualityPurpose: true, paidAt: Q2.to },
        ],
      }).metrics.QUALITY_SPEND_SHARE_BPS;
      // 500,000,000 / 1,000,000,001 = 0.4999999995 → 4,999 bps
      expect(result.value).to.equal(4_999);
      expect(result.inputs).to.deep.equal({
        qualityPaidFen: "500000000",
        totalPaidFen: "1000000001",
        paymentCount: 3,
        paymentIds: ["0", "1", "2"],
      });
    });

    it("has no value before any payment", function () {
      const result = metrics({ payments: [{ amount: 1n, qualityPurpose: true, paidAt: AFTER_Q2 }] });
      expect(result.values.QUALITY_SPEND_SHARE_BPS).to.equal(null);
    });
  });

  describe("GRADE", function () {
    it("is the grade's score, A = 5 to E = 1", function () {
      expect(metrics({ grade: "A" }).values.GRADE).to.equal(5);
      expect(metrics({ grade: "E" }).values.GRADE).to.equal(1);
    });

    it("has no value without a grade", function () {
      expect(metrics({ grade: undefined }).values.GRADE).to.equal(null);
    });
  });

  describe("when the input is invalid", function () {
    it("refuses a period that ends before it starts", function () {
      expect(() => metrics({ period: { from: Q2.to, to: Q2.from } })).to.throw(
        RulesInputError,
        "invalid metrics input: period.to: from must be before to",
      );
    });

    it("refuses a repeated evidence id", function () {
      const e = evidence("INVOICE");
      expect(() => metrics({ evidence: [e, { ...e }] })).to.throw(
        RulesInputError,
        `invalid metrics input: evidence.1.id: duplicate evidence id ${e.id}`,
      );
    });

    it("refuses an unknown kind, a negative or fractional amount and a date without a time", function () {
      expect(() =>
        metrics({
          evidence: [evidence("INVOICE"), evidence("SELFIE" as EvidenceInput["kind"])],
          payments: [
            { amount: -1n, qualityPurpose: true, paidAt: IN_Q2 },
            { amount: "1.5", qualityPurpose: true, paidAt: "2026-05-01" },
          ],
        }),
      )
        .to.throw(RulesInputError)
        .with.property("issues")
        .that.deep.equals([
          {
            path: "evidence.1.kind",
            message: `must be one of PURCHASE_CONTRACT, INVOICE, DELIVERY_NOTE, INSPECTION_REPORT, CERTIFICATION, PATENT_FILING, SPOT_CHECK_REPORT`,
          },
          { path: "payments.0.amount", message: "must be a whole number of fen, not negative" },
          {
            path: "payments.1.amount",
            message: "must be a whole number of fen as a decimal string of digits",
          },
          { path: "payments.1.paidAt", message: "must be a Date or an ISO 8601 date-time" },
        ]);
    });
  });

  describe("when the result is stored", function () {
    it("is plain JSON and the same whatever the order of the evidence", function () {
      const items = [
        patent("CN1"),
        patent("CN2", { anchoredAt: Q2.from }),
        report({ unitsTested: 50, unitsPassed: 49 }),
      ];
      const payments = [{ amount: 7n, qualityPurpose: true, paidAt: IN_Q2 }];
      const result = metrics({ evidence: items, payments });
      expect(JSON.parse(JSON.stringify(result))).to.deep.equal(result);
      expect(metrics({ evidence: [...items].reverse(), payments })).to.deep.equal(result);
      expect(result.period).to.deep.equal({ from: "2026-03-31T16:00:00.000Z", to: "2026-06-30T16:00:00.000Z" });
      expect(result.values).to.deep.equal({
        PATENTS_ADDED: 2,
        PASS_RATE_BPS: 9_800,
        QUALITY_SPEND_SHARE_BPS: 10_000,
        GRADE: 3,
      });
    });

    it("takes ISO date-times as well as Dates", function () {
      const fromJson = computeMetrics({
        period: { from: "2026-04-01T00:00:00+08:00", to: "2026-07-01T00:00:00+08:00" },
        evidence: [{ ...patent("CN1"), anchoredAt: "2026-05-15T10:00:00+08:00" }],
        payments: [],
      });
      expect(fromJson.values.PATENTS_ADDED).to.equal(1);
    });
  });
});
