import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { registeredPayeesFixture } from "../../helpers/fixtures";
import { buildFacility } from "../../helpers/factories";
import { executeWithEvidence } from "../../helpers/entrustedPayments";
import { Category, DAY, Kind, kindsMask, yuan } from "../../helpers/constants";
import { accruedOf, effectsOf, expectStatementMatchesChain } from "../../helpers/interestMirror";
import {
  DENOMINATOR,
  InterestHistoryError,
  splitRepayment,
  statementAt,
  type HistoryEvent,
  type StatementInput,
} from "../../../server/rules/interest";
import { RulesInputError, toJson } from "../../../server/rules/values";

const T0 = 1_780_000_000n; // day 0, a second in 2026
const day = (n: bigint) => T0 + n * DAY;
const TERMS = { baseRateBps: 435, subsidyBps: 300 };

function statement(events: HistoryEvent[], at: bigint, extra: Partial<StatementInput> = {}) {
  return statementAt({ terms: TERMS, events, at, ...extra });
}

const pay = (at: bigint, amount: bigint): HistoryEvent => ({ type: "PaymentExecuted", at, amount });
const review = (at: bigint, newRateBps: number, subsidyEligible = false): HistoryEvent => ({
  type: "ReviewApplied",
  at,
  newRateBps,
  subsidyEligible,
});

// The 10,000,000.00 CNY facility at 435 bps drawn as 4,000,000 / 3,000,000 / 3,000,000 CNY on days 0, 30 and 60.
// By hand, principal (fen) × 435 × 30 days / (10,000 × 360) for each 30-day segment:
//   days  0–30:   400,000,000 × 435 × 30 / 3,600,000 = 1,450,000 fen
//   days 30–60:   700,000,000 × 435 × 30 / 3,600,000 = 2,537,500 fen
//   days 60–90: 1,000,000,000 × 435 × 30 / 3,600,000 = 3,625,000 fen
//   interest at day 90                                 7,612,500 fen (76,125.00 CNY)
const HAND_SEGMENTS = [1_450_000n, 2_537_500n, 3_625_000n];
const HAND_TOTAL = 7_612_500n;
const HAND_HISTORY = [pay(day(0n), yuan(4_000_000)), pay(day(30n), yuan(3_000_000)), pay(day(60n), yuan(3_000_000))];

describe("rules/interest", function () {
  describe("when 10,000,000.00 CNY at 435 bps is drawn 4M / 3M / 3M on days 0, 30 and 60", function () {
    it("owes 7,612,500 fen of interest on day 90, the sum of the hand-computed segments", function () {
      expect((400_000_000n * 435n * 30n) / 3_600_000n).to.equal(1_450_000n);
      expect((700_000_000n * 435n * 30n) / 3_600_000n).to.equal(2_537_500n);
      expect((1_000_000_000n * 435n * 30n) / 3_600_000n).to.equal(3_625_000n);
      const s = statement(HAND_HISTORY, day(90n));
      expect(s.interestAccrued).to.equal(HAND_TOTAL);
      expect(s.interestDue).to.equal(HAND_TOTAL);
      expect(s.principal).to.equal(yuan(10_000_000));
      expect(s.segments.map((x) => [x.from, x.to, x.principal, x.interestFen, x.closed])).to.deep.equal([
        [day(0n), day(30n), yuan(4_000_000), HAND_SEGMENTS[0], true],
        [day(30n), day(60n), yuan(7_000_000), HAND_SEGMENTS[1], true],
        [day(60n), day(90n), yuan(10_000_000), HAND_SEGMENTS[2], false],
      ]);
    });

    it("agrees with the contract: the same events, segments and views to the fen", async function () {
      const fx = await loadFixture(registeredPayeesFixture);
      const plan = [
        {
          payee: fx.equipmentVendor.address,
          amount: yuan(4_000_000),
          category: Category.EQUIPMENT,
          qualityPurpose: true,
        },
        { payee: fx.lab.address, amount: yuan(3_000_000), category: Category.TESTING_CERT, qualityPurpose: true },
        { payee: fx.materials.address, amount: yuan(3_000_000), category: Category.MATERIALS, qualityPurpose: false },
      ].map((p) => ({ ...p, requiredKinds: kindsMask(Kind.INVOICE), paid: false }));
      const id = await buildFacility(fx, { plan, fund: yuan(10_000_000) });
      const t0 = BigInt(await time.latest()) + 1_000n;
      const events: HistoryEvent[] = [];
      const accrued = [];
      for (const [index, d] of [0n, 30n, 60n].entries()) {
        const receipt = (await (await executeWithEvidence(fx, id, index, { at: t0 + d * DAY })).wait())!;
        const effects = await effectsOf(fx, id, receipt);
        events.push(...effects.events);
        accrued.push(...effects.accrued);
      }
      await time.increaseTo(t0 + 90n * DAY);
      const s = statementAt({ terms: TERMS, events, at: t0 + 90n * DAY });
      expect(s.interestAccrued).to.equal(HAND_TOTAL);
      await expectStatementMatchesChain(fx, id, s);
      expect(accrued).to.deep.equal(accruedOf(s));
      expect(accrued.map((a) => a.interest)).to.deep.equal(HAND_SEGMENTS.slice(0, 2));
    });
  });

  describe("when a review on day 45 lowers the rate to 385 bps and grants the subsidy", function () {
    const history = [pay(day(0n), yuan(4_000_000)), review(day(45n), 385, true)];

    it("closes the 435 bps segment and accrues subsidy at 300 bps from then on", function () {
      const s = statement(history, day(90n));
      expect(s.segments.map((x) => [x.rateBps, x.subsidyRateBps, x.interestFen, x.subsidyFen])).to.deep.equal([
        [435, 0, 2_175_000n, 0n],
        [385, 300, 1_925_000n, 1_500_000n],
      ]);
      expect(s.interestAccrued).to.equal(4_100_000n);
      expect(s.subsidyAccrued).to.equal(1_500_000n);
      expect(s.interestDue).to.equal(2_600_000n);
      expect(s.subsidyDue).to.equal(1_500_000n);
      expect([s.rateBps, s.subsidyEligible]).to.deep.equal([385, true]);
    });

    it("takes the subsidy paid, from the SubsidyPaid events or as an input", function () {
      const paid: HistoryEvent = { type: "SubsidyPaid", at: day(80n), amount: 1_000_000n };
      expect(statement([...history, paid], day(90n)).subsidyDue).to.equal(500_000n);
      expect(statement(history, day(90n), { subsidyPaid: 1_200_000n }).subsidyDue).to.equal(300_000n);
    });
  });

  describe("when the subsidy rate is above the loan rate", function () {
    it("subsidises at the loan rate, so the borrower owes nothing and the subsidy never exceeds the interest", function () {
      const s = statement([pay(day(0n), yuan(1_000_000)), review(day(0n), 200, true)], day(30n));
      expect(s.segments[0]).to.include({ rateBps: 200, subsidyRateBps: 200 });
      expect(s.subsidyAccrued).to.equal(s.interestAccrued);
      expect(s.interestDue).to.equal(0n);
    });
  });

  describe("when segments are short", function () {
    it("rounds the total down once, not each segment", function () {
      // 1 fen at 1 bps for 1 second is 1/311,040,000,000 of a fen; DENOMINATOR such seconds make one fen.
      const events: HistoryEvent[] = [pay(T0, 1n)];
      const end = T0 + DENOMINATOR / 435n + 1n;
      for (let t = T0 + 1n; t < end; t += (end - T0) / 7n) events.push(review(t, 435));
      const s = statement(events, end);
      expect(s.interestNumerator).to.equal(1n * 435n * (end - T0));
      expect(s.interestAccrued).to.equal(1n);
      expect(s.segments.reduce((sum, x) => sum + x.interestFen, 0n)).to.equal(1n);
      expect(s.segments.filter((x) => x.interestFen === 1n)).to.have.length(1);
    });
  });

  describe("when nothing is owed", function () {
    it("books no segment before the first payment, nor for events in the same second", function () {
      const s = statement(
        [review(day(0n), 400), pay(day(10n), 100n), review(day(10n), 300), pay(day(10n), 100n)],
        day(10n),
      );
      expect(s.segments).to.deep.equal([]);
      expect(s.lastAccrual).to.equal(day(10n));
      expect(s.principal).to.equal(200n);
    });

    it("starts lastAccrual at the facility's opening when given", function () {
      const s = statementAt({ terms: { ...TERMS, openedAt: T0 - 5n }, events: [], at: T0 });
      expect(s.lastAccrual).to.equal(T0 - 5n);
      expect(s.interestAccrued).to.equal(0n);
    });
  });

  describe("when the borrower repays", function () {
    const history = [pay(day(0n), yuan(4_000_000))];

    it("splits a repayment interest first, then principal, as the contract does", function () {
      const s = statement(history, day(90n));
      expect(s.interestDue).to.equal(4_350_000n);
      expect(splitRepayment(s, 1_000_000n)).to.deep.equal({ interestPaid: 1_000_000n, principalPaid: 0n });
      expect(splitRepayment(s, 5_350_000n)).to.deep.equal({ interestPaid: 4_350_000n, principalPaid: 1_000_000n });
      expect(() => splitRepayment(s, 4_350_000n + yuan(4_000_000) + 1n)).to.throw(
        InterestHistoryError,
        `exceeds the debt of ${4_350_000n + yuan(4_000_000)} fen`,
      );
    });

    it("takes the repaid principal off from then on", function () {
      const repaid: HistoryEvent = {
        type: "Repaid",
        at: day(90n),
        interestPaid: 4_350_000n,
        principalPaid: yuan(2_000_000),
      };
      const s = statement([...history, repaid], day(180n));
      expect(s.principal).to.equal(yuan(2_000_000));
      expect(s.principalRepaid).to.equal(yuan(2_000_000));
      expect(s.drawn).to.equal(yuan(4_000_000));
      expect(s.interestRepaid).to.equal(4_350_000n);
      expect(s.interestAccrued).to.equal(4_350_000n + 2_175_000n);
      expect(s.interestDue).to.equal(2_175_000n);
    });

    it("refuses a Repaid event the contract could not have emitted", function () {
      const wrong: HistoryEvent = { type: "Repaid", at: day(90n), interestPaid: 0n, principalPaid: 1_000n };
      expect(() => statement([...history, wrong], day(90n))).to.throw(
        InterestHistoryError,
        "event 1 (Repaid at 1787776000): the contract would take 1000 fen of interest from a repayment of 1000 fen, not 0",
      );
    });
  });

  describe("when the history is inconsistent", function () {
    it("refuses events out of order", function () {
      expect(() => statement([pay(day(2n), 1n), pay(day(1n), 1n)], day(3n))).to.throw(
        InterestHistoryError,
        `event 1 (PaymentExecuted at ${day(1n)}) is earlier than ${day(2n)}`,
      );
    });

    it("refuses a review above the base rate", function () {
      expect(() => statement([review(day(1n), 436)], day(2n))).to.throw(
        InterestHistoryError,
        `event 0 (ReviewApplied at ${day(1n)}): 436 bps is above the base rate of 435 bps`,
      );
    });

    it("refuses a subsidy payment above the subsidy due", function () {
      const paid: HistoryEvent = { type: "SubsidyPaid", at: day(1n), amount: 1n };
      expect(() => statement([pay(day(0n), 1n), paid], day(2n))).to.throw(
        InterestHistoryError,
        "1 fen of subsidy paid, but only 0 fen was due",
      );
    });

    it("refuses invalid values with their paths", function () {
      expect(() =>
        statementAt({
          terms: { baseRateBps: 435, subsidyBps: -1 },
          events: [{ type: "Drawn", at: 1n } as never, { type: "PaymentExecuted", at: 1n, amount: "1e6" }],
          at: 5n,
        }),
      )
        .to.throw(RulesInputError)
        .with.property("issues")
        .that.deep.equals([
          { path: "terms.subsidyBps", message: "must be at least 0 bps" },
          {
            path: "events.0.type",
            message: "must be an event of type PaymentExecuted, Repaid, ReviewApplied or SubsidyPaid",
          },
          { path: "events.1.amount", message: "must be a whole number of fen as a decimal string of digits" },
        ]);
    });
  });

  describe("when a statement is taken in the past or sent as JSON", function () {
    it("leaves out the events after its time", function () {
      expect(statement(HAND_HISTORY, day(45n)).principal).to.equal(yuan(7_000_000));
    });

    it("takes amounts and times as decimal strings and numbers, and gives JSON with bigints as strings", function () {
      const fromJson = statementAt({
        terms: TERMS,
        events: HAND_HISTORY.map((e) => JSON.parse(JSON.stringify(toJson(e)))),
        at: Number(day(90n)),
      });
      expect(fromJson).to.deep.equal(statement(HAND_HISTORY, day(90n)));
      const json = toJson(fromJson);
      expect(json.interestAccrued).to.equal("7612500");
      expect(json.segments[0]).to.deep.equal({
        from: day(0n).toString(),
        to: day(30n).toString(),
        principal: "400000000",
        rateBps: 435,
        subsidyRateBps: 0,
        interestFen: "1450000",
        subsidyFen: "0",
        closed: true,
      });
    });
  });
});
