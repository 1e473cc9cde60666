import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { registeredPayeesFixture } from "./helpers/fixtures";
import { buildFacility, standardPlan } from "./helpers/factories";
import { evidenceForPayment, executeWithEvidence } from "./helpers/entrustedPayments";
import { applyJointReview } from "./helpers/jointApprovals";
import { giveTokens } from "./helpers/tokens";
import { act360 } from "./helpers/interest";
import { DAY, yuan } from "./helpers/constants";

/**
 * The standard 10,000,000.00 CNY facility at 435 bps (subsidy 300 bps), funded, with verified evidence ready for each
 * payment, and `t0`: a second safely after the fixture's last block, where the tests put day 0.
 */
async function readyToDrawFixture() {
  const fx = await registeredPayeesFixture();
  const id = await buildFacility(fx, { fund: yuan(10_000_000) });
  const paymentEvidence = [
    await evidenceForPayment(fx, id, 0),
    await evidenceForPayment(fx, id, 1),
    await evidenceForPayment(fx, id, 2),
  ];
  const t0 = BigInt(await time.latest()) + 1_000n;
  return { ...fx, id, paymentEvidence, t0 };
}

type Ready = Awaited<ReturnType<typeof readyToDrawFixture>>;

/** Executes payment `index` of the fixture's facility in a block stamped `at`. */
async function payAt(fx: Ready, index: number, at: bigint) {
  await time.setNextBlockTimestamp(at);
  return fx.manager.executePayment(fx.id, index, fx.paymentEvidence[index]);
}

const day = (t0: bigint, n: bigint) => t0 + n * DAY;

describe("FacilityManager: interest", () => {
  describe("when 4,000,000.00 CNY is drawn at 435 bps for 90 days", () => {
    it("accrues 43,500.00 CNY (4,350,000 fen), shown by the views before it is booked", async () => {
      const fx = await loadFixture(readyToDrawFixture);
      // 400,000,000 fen × 435 × 90 days / (10,000 × 360) = 4,350,000 fen
      expect(act360(yuan(4_000_000), 435, 90n * DAY)).to.equal(4_350_000n);
      await payAt(fx, 0, fx.t0);
      await time.increaseTo(day(fx.t0, 90n));
      const state = await fx.manager.facility(fx.id);
      expect(state.interestAccrued).to.equal(4_350_000n);
      expect(state.lastAccrual).to.equal(fx.t0);
      expect(await fx.manager.outstanding(fx.id)).to.deep.equal([yuan(4_000_000), 4_350_000n]);
    });

    it("books the segment with InterestAccrued when the next payment closes it", async () => {
      const fx = await loadFixture(readyToDrawFixture);
      await payAt(fx, 0, fx.t0);
      await expect(payAt(fx, 1, day(fx.t0, 90n)))
        .to.emit(fx.manager, "InterestAccrued")
        .withArgs(fx.id, fx.t0, day(fx.t0, 90n), yuan(4_000_000), 435n, 4_350_000n, 0n);
      const state = await fx.manager.facility(fx.id);
      expect(state.interestAccrued).to.equal(4_350_000n);
      expect(state.lastAccrual).to.equal(day(fx.t0, 90n));
    });

    it("books no segment at the first draw, as nothing was owed before it", async () => {
      const fx = await loadFixture(readyToDrawFixture);
      await expect(payAt(fx, 0, fx.t0)).not.to.emit(fx.manager, "InterestAccrued");
      expect((await fx.manager.facility(fx.id)).lastAccrual).to.equal(fx.t0);
    });

    it("keeps accruing at the same rate while frozen", async () => {
      const fx = await loadFixture(readyToDrawFixture);
      await payAt(fx, 0, fx.t0);
      await fx.manager.connect(fx.regulator).freeze(fx.id, ethers.id("spot check failed"));
      await time.increaseTo(day(fx.t0, 90n));
      expect((await fx.manager.facility(fx.id)).interestAccrued).to.equal(4_350_000n);
    });
  });

  describe("when the plan is drawn on day 0, 30 and 60 and interest is counted on day 90", () => {
    // By hand, principal × 435 × 30 days / (10,000 × 360) per segment:
    //   days  0–30:  4,000,000.00 CNY →   400,000,000 × 435 × 30 / 3,600,000 = 1,450,000 fen (14,500.00 CNY)
    //   days 30–60:  5,000,000.00 CNY →   500,000,000 × 435 × 30 / 3,600,000 = 1,812,500 fen (18,125.00 CNY)
    //   days 60–90: 10,000,000.00 CNY → 1,000,000,000 × 435 × 30 / 3,600,000 = 3,625,000 fen (36,250.00 CNY)
    //   total                                                                  6,887,500 fen (68,875.00 CNY)
    const segments: Array<[bigint, bigint]> = [
      [yuan(4_000_000), 1_450_000n],
      [yuan(5_000_000), 1_812_500n],
      [yuan(10_000_000), 3_625_000n],
    ];

    it("matches the ACT/360 formula segment by segment", () => {
      for (const [principal, interest] of segments) {
        expect(act360(principal, 435, 30n * DAY)).to.equal(interest);
      }
      expect(segments.reduce((sum, [, interest]) => sum + interest, 0n)).to.equal(6_887_500n);
    });

    it("books one segment per principal change", async () => {
      const fx = await loadFixture(readyToDrawFixture);
      const [t30, t60, t90] = [day(fx.t0, 30n), day(fx.t0, 60n), day(fx.t0, 90n)];
      await payAt(fx, 0, fx.t0);
      await expect(payAt(fx, 1, t30))
        .to.emit(fx.manager, "InterestAccrued")
        .withArgs(fx.id, fx.t0, t30, yuan(4_000_000), 435n, act360(yuan(4_000_000), 435, t30 - fx.t0), 0n);
      await expect(payAt(fx, 2, t60))
        .to.emit(fx.manager, "InterestAccrued")
        .withArgs(fx.id, t30, t60, yuan(5_000_000), 435n, 1_812_500n, 0n);
      // the borrower pays the day-90 interest, which closes the third segment
      await giveTokens(fx, fx.borrower, 6_887_500n);
      await time.setNextBlockTimestamp(t90);
      const repayment = fx.manager.connect(fx.borrower).repay(fx.id, 6_887_500n);
      await expect(repayment)
        .to.emit(fx.manager, "InterestAccrued")
        .withArgs(fx.id, t60, t90, yuan(10_000_000), 435n, 3_625_000n, 0n);
      await expect(repayment).to.emit(fx.manager, "Repaid").withArgs(fx.id, fx.borrower.address, 6_887_500n, 0n);
      expect(await fx.manager.outstanding(fx.id)).to.deep.equal([yuan(10_000_000), 0n]);
    });

    it("owes 68,875.00 CNY (6,887,500 fen) of interest on day 90", async () => {
      const fx = await loadFixture(readyToDrawFixture);
      await payAt(fx, 0, fx.t0);
      await payAt(fx, 1, day(fx.t0, 30n));
      await payAt(fx, 2, day(fx.t0, 60n));
      await time.increaseTo(day(fx.t0, 90n));
      const state = await fx.manager.facility(fx.id);
      expect(state.interestAccrued).to.equal(6_887_500n);
      expect(state.drawn).to.equal(yuan(10_000_000));
      expect(await fx.manager.outstanding(fx.id)).to.deep.equal([yuan(10_000_000), 6_887_500n]);
    });
  });

  describe("when a review on day 45 lowers the rate from 435 to 385 bps", () => {
    // By hand: days 0–45 at 435: 400,000,000 × 435 × 45 / 3,600,000 = 2,175,000 fen (21,750.00 CNY)
    //          days 45–90 at 385: 400,000,000 × 385 × 45 / 3,600,000 = 1,925,000 fen (19,250.00 CNY)
    //          total 4,100,000 fen (41,000.00 CNY), against 4,350,000 at 435 throughout
    const reportHash = ethers.id("Q1 review report");

    it("closes the 435 bps segment on day 45 and applies the new rate", async () => {
      const fx = await loadFixture(readyToDrawFixture);
      const t45 = day(fx.t0, 45n);
      expect(act360(yuan(4_000_000), 435, 45n * DAY)).to.equal(2_175_000n);
      await payAt(fx, 0, fx.t0);
      const review = applyJointReview(fx, fx.id, { newRateBps: 385, reportHash }, { at: t45 });
      await expect(review)
        .to.emit(fx.manager, "InterestAccrued")
        .withArgs(fx.id, fx.t0, t45, yuan(4_000_000), 435n, 2_175_000n, 0n);
      await expect(review)
        .to.emit(fx.manager, "ReviewApplied")
        .withArgs(fx.id, 0n, 435n, 385n, false, reportHash, fx.bank.address, fx.regulator.address);
      const state = await fx.manager.facility(fx.id);
      expect(state.rateBps).to.equal(385n);
      expect(state.baseRateBps).to.equal(435n);
    });

    it("owes 41,000.00 CNY (4,100,000 fen) on day 90, the sum of the two segments", async () => {
      const fx = await loadFixture(readyToDrawFixture);
      expect(act360(yuan(4_000_000), 385, 45n * DAY)).to.equal(1_925_000n);
      await payAt(fx, 0, fx.t0);
      await applyJointReview(fx, fx.id, { newRateBps: 385, reportHash }, { at: day(fx.t0, 45n) });
      await time.increaseTo(day(fx.t0, 90n));
      expect((await fx.manager.facility(fx.id)).interestAccrued).to.equal(4_100_000n);
      expect(await fx.manager.outstanding(fx.id)).to.deep.equal([yuan(4_000_000), 4_100_000n]);
    });
  });

  describe("when a segment earns a fraction of a fen", () => {
    it("rounds 1,234,567.89 CNY at 435 bps for 31 days (462,448.56 fen) down to 462,448 fen", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const plan = [{ ...standardPlan(fx)[1], amount: 123_456_789n }];
      const id = await buildFacility(fx, { plan, fund: 123_456_789n });
      const t0 = BigInt(await time.latest()) + 100n;
      // 123,456,789 × 435 × 31 / 3,600,000 = 462,448.555…
      expect(act360(123_456_789n, 435, 31n * DAY)).to.equal(462_448n);
      await executeWithEvidence(fx, id, 0, { at: t0 });
      await time.increaseTo(day(t0, 31n));
      expect(await fx.manager.outstanding(id)).to.deep.equal([123_456_789n, 462_448n]);
    });

    it("rounds down once over the segments: two 1-second segments book the same 1 fen as one 2-second segment", async () => {
      const fx = await loadFixture(readyToDrawFixture);
      // 400,000,000 × 435 / 311,040,000,000 = 0.559 fen a second: rounding each segment on its own would book 0 + 0
      expect(act360(yuan(4_000_000), 435, 1n)).to.equal(0n);
      expect(act360(yuan(4_000_000), 435, 2n)).to.equal(1n);
      await payAt(fx, 0, fx.t0);
      // reviews that keep the rate still close the segment; the fraction carries into the next one
      await expect(applyJointReview(fx, fx.id, {}, { at: fx.t0 + 1n }))
        .to.emit(fx.manager, "InterestAccrued")
        .withArgs(fx.id, fx.t0, fx.t0 + 1n, yuan(4_000_000), 435n, 0n, 0n);
      await expect(applyJointReview(fx, fx.id, {}, { at: fx.t0 + 2n }))
        .to.emit(fx.manager, "InterestAccrued")
        .withArgs(fx.id, fx.t0 + 1n, fx.t0 + 2n, yuan(4_000_000), 435n, 1n, 0n);
      expect((await fx.manager.facility(fx.id)).interestAccrued).to.equal(1n);
    });

    it("cannot be shaved by a borrower closing a segment every second", async () => {
      const fx = await loadFixture(readyToDrawFixture);
      await giveTokens(fx, fx.borrower, 100n);
      await payAt(fx, 0, fx.t0);
      const manager = fx.manager.connect(fx.borrower);
      for (let second = 1n; second <= 10n; second++) {
        await time.setNextBlockTimestamp(fx.t0 + second);
        // 1 fen of principal each second: each repayment closes a segment
        await manager.repay(fx.id, 1n);
      }
      // the exact sum over ten 1-second segments of ≈ 0.559 fen each is 5.59 fen: 5 fen are booked, not 0
      const state = await fx.manager.facility(fx.id);
      expect(state.interestAccrued).to.equal(5n);
    });
  });

  describe("when a review makes the facility subsidy-eligible on day 30", () => {
    // By hand: days  0–30 (not eligible): interest 400,000,000 × 435 × 30 / 3,600,000 = 1,450,000 fen, subsidy 0
    //          days 30–90 (eligible):     interest 400,000,000 × 435 × 60 / 3,600,000 = 2,900,000 fen,
    //                                     subsidy  400,000,000 × 300 × 60 / 3,600,000 = 2,000,000 fen
    //          the borrower owes 1,450,000 + 900,000 = 2,350,000 fen; the fiscal account owes 2,000,000 fen
    it("accrues no subsidy before eligibility", async () => {
      const fx = await loadFixture(readyToDrawFixture);
      await payAt(fx, 0, fx.t0);
      await expect(applyJointReview(fx, fx.id, { subsidyEligible: true }, { at: day(fx.t0, 30n) }))
        .to.emit(fx.manager, "InterestAccrued")
        .withArgs(fx.id, fx.t0, day(fx.t0, 30n), yuan(4_000_000), 435n, 1_450_000n, 0n);
      expect(await fx.manager.subsidyDue(fx.id)).to.equal(0n);
    });

    it("subsidizes 300 bps of the eligible period and leaves the rest to the borrower", async () => {
      const fx = await loadFixture(readyToDrawFixture);
      expect(act360(yuan(4_000_000), 300, 60n * DAY)).to.equal(2_000_000n);
      await payAt(fx, 0, fx.t0);
      await applyJointReview(fx, fx.id, { subsidyEligible: true }, { at: day(fx.t0, 30n) });
      await time.increaseTo(day(fx.t0, 90n));
      const state = await fx.manager.facility(fx.id);
      expect(state.interestAccrued).to.equal(4_350_000n);
      expect(state.subsidyAccrued).to.equal(2_000_000n);
      expect(await fx.manager.subsidyDue(fx.id)).to.equal(2_000_000n);
      expect(await fx.manager.outstanding(fx.id)).to.deep.equal([yuan(4_000_000), 2_350_000n]);
    });

    it("books the subsidy with the segment and stops it when a later review withdraws eligibility", async () => {
      const fx = await loadFixture(readyToDrawFixture);
      await payAt(fx, 0, fx.t0);
      await applyJointReview(fx, fx.id, { subsidyEligible: true }, { at: day(fx.t0, 30n) });
      await expect(applyJointReview(fx, fx.id, { subsidyEligible: false }, { at: day(fx.t0, 90n) }))
        .to.emit(fx.manager, "InterestAccrued")
        .withArgs(fx.id, day(fx.t0, 30n), day(fx.t0, 90n), yuan(4_000_000), 435n, 2_900_000n, 2_000_000n);
      await time.increaseTo(day(fx.t0, 120n));
      const state = await fx.manager.facility(fx.id);
      // days 90–120, not eligible: 1,450,000 fen more interest, no more subsidy
      expect(state.interestAccrued).to.equal(5_800_000n);
      expect(state.subsidyAccrued).to.equal(2_000_000n);
      expect(await fx.manager.outstanding(fx.id)).to.deep.equal([yuan(4_000_000), 3_800_000n]);
    });
  });

  describe("when the rate falls below the subsidy rate", () => {
    it("subsidizes at min(300, 200) bps, so the subsidy equals the interest and never exceeds it", async () => {
      const fx = await loadFixture(readyToDrawFixture);
      // By hand: 400,000,000 × 200 × 30 / 3,600,000 = 666,666.67 → 666,666 fen, interest and subsidy alike
      expect(act360(yuan(4_000_000), 200, 30n * DAY)).to.equal(666_666n);
      await applyJointReview(fx, fx.id, { newRateBps: 200, subsidyEligible: true }, { at: fx.t0 - 10n });
      await payAt(fx, 0, fx.t0);
      await expect(applyJointReview(fx, fx.id, {}, { at: day(fx.t0, 30n) }))
        .to.emit(fx.manager, "InterestAccrued")
        .withArgs(fx.id, fx.t0, day(fx.t0, 30n), yuan(4_000_000), 200n, 666_666n, 666_666n);
      expect(await fx.manager.subsidyDue(fx.id)).to.equal(666_666n);
      expect(await fx.manager.outstanding(fx.id)).to.deep.equal([yuan(4_000_000), 0n]);
    });
  });
});
