import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { registeredPayeesFixture } from "./helpers/fixtures";
import { buildFacility, fundFacility } from "./helpers/factories";
import { evidenceForPayment, executeWithEvidence } from "./helpers/entrustedPayments";
import { applyJointReview, currentUnfreeze, nextReview, signedReview, signedUnfreeze } from "./helpers/jointApprovals";
import { giveTokens } from "./helpers/tokens";
import { act360 } from "./helpers/interest";
import { DAY, Status, yuan } from "./helpers/constants";

/**
 * The standard facility funded with 10,000,000.00 CNY, its 4,000,000.00 CNY equipment payment made at `t0`
 * (so 6,000,000.00 CNY stays in its balance); the borrower and the fiscal account hold tokens approved to the manager.
 */
async function drawnFacilityFixture() {
  const fx = await registeredPayeesFixture();
  const id = await buildFacility(fx, { fund: yuan(10_000_000) });
  const t0 = BigInt(await time.latest()) + 100n;
  await executeWithEvidence(fx, id, 0, { at: t0 });
  await giveTokens(fx, fx.borrower, yuan(5_000_000));
  await giveTokens(fx, fx.fiscal, yuan(100_000));
  return { ...fx, id, t0 };
}

const day = (t0: bigint, n: bigint) => t0 + n * DAY;

// By hand: 4,000,000.00 CNY at 435 bps for 90 days = 400,000,000 × 435 × 90 / 3,600,000 = 4,350,000 fen (43,500.00 CNY)
const INTEREST_DAY_90 = 4_350_000n;

describe("FacilityManager: repayment, subsidy, withdrawal and closing", () => {
  describe("when the borrower repays less than the interest due", () => {
    it("pays interest only", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      await time.setNextBlockTimestamp(day(fx.t0, 90n));
      await expect(fx.manager.connect(fx.borrower).repay(fx.id, yuan(10_000)))
        .to.emit(fx.manager, "Repaid")
        .withArgs(fx.id, fx.borrower.address, yuan(10_000), 0n);
      expect(await fx.manager.outstanding(fx.id)).to.deep.equal([yuan(4_000_000), INTEREST_DAY_90 - yuan(10_000)]);
    });
  });

  describe("when the borrower repays more than the interest due", () => {
    it("pays the interest first, then principal", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      await time.increaseTo(day(fx.t0, 90n));
      expect(await fx.manager.outstanding(fx.id)).to.deep.equal([yuan(4_000_000), INTEREST_DAY_90]);
      // one second later: 4,350,000.56 fen, still 4,350,000 rounded down
      const repaidAt = day(fx.t0, 90n) + 1n;
      expect(act360(yuan(4_000_000), 435, repaidAt - fx.t0)).to.equal(INTEREST_DAY_90);
      await time.setNextBlockTimestamp(repaidAt);
      const tx = fx.manager.connect(fx.borrower).repay(fx.id, yuan(50_000));
      await expect(tx)
        .to.emit(fx.manager, "InterestAccrued")
        .withArgs(fx.id, fx.t0, repaidAt, yuan(4_000_000), 435n, INTEREST_DAY_90, 0n);
      await expect(tx).to.emit(fx.manager, "Repaid").withArgs(fx.id, fx.borrower.address, INTEREST_DAY_90, 650_000n);
      await expect(tx).to.changeTokenBalances(fx.token, [fx.borrower, fx.manager], [-yuan(50_000), yuan(50_000)]);
      expect(await fx.manager.outstanding(fx.id)).to.deep.equal([yuan(4_000_000) - 650_000n, 0n]);
      const state = await fx.manager.facility(fx.id);
      expect(state.interestRepaid).to.equal(INTEREST_DAY_90);
      expect(state.principalRepaid).to.equal(650_000n);
      expect(state.principal).to.equal(399_350_000n);
      expect(state.drawn).to.equal(yuan(4_000_000));
      expect(state.balance).to.equal(yuan(6_000_000) + yuan(50_000));
    });

    it("accrues later interest on the reduced principal", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      await time.setNextBlockTimestamp(day(fx.t0, 90n));
      await fx.manager.connect(fx.borrower).repay(fx.id, yuan(50_000));
      await time.increaseTo(day(fx.t0, 180n));
      // By hand: 399,350,000 × 435 × 90 / 3,600,000 = 4,342,931.25 → 4,342,931 fen
      expect(act360(399_350_000n, 435, 90n * DAY)).to.equal(4_342_931n);
      expect(await fx.manager.outstanding(fx.id)).to.deep.equal([399_350_000n, 4_342_931n]);
    });

    it("accepts a repayment from a third party", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      await giveTokens(fx, fx.stranger, yuan(1));
      await time.setNextBlockTimestamp(day(fx.t0, 90n));
      await expect(fx.manager.connect(fx.stranger).repay(fx.id, yuan(1)))
        .to.emit(fx.manager, "Repaid")
        .withArgs(fx.id, fx.stranger.address, yuan(1), 0n);
    });
  });

  describe("when a repayment is not acceptable", () => {
    it("reverts with FacilityRepaymentExceedsDebt above principal plus interest", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      const owed = yuan(4_000_000) + INTEREST_DAY_90;
      await giveTokens(fx, fx.borrower, owed);
      await time.setNextBlockTimestamp(day(fx.t0, 90n));
      await expect(fx.manager.connect(fx.borrower).repay(fx.id, owed + 1n))
        .to.be.revertedWithCustomError(fx.manager, "FacilityRepaymentExceedsDebt")
        .withArgs(fx.id, owed + 1n, owed);
    });

    it("reverts with FacilityZeroAmount for zero", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      await expect(fx.manager.connect(fx.borrower).repay(fx.id, 0n))
        .to.be.revertedWithCustomError(fx.manager, "FacilityZeroAmount")
        .withArgs();
    });

    it("reverts with FacilityNotFound for an unknown facility", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      await expect(fx.manager.connect(fx.borrower).repay(6, 1n))
        .to.be.revertedWithCustomError(fx.manager, "FacilityNotFound")
        .withArgs(6n);
    });
  });

  describe("when the fiscal account pays the subsidy of an eligible period", () => {
    // By hand: eligible from day 30: 400,000,000 × 300 × 60 / 3,600,000 = 2,000,000 fen by day 90
    async function eligibleFromDay30() {
      const fx = await loadFixture(drawnFacilityFixture);
      await applyJointReview(fx, fx.id, { subsidyEligible: true }, { at: day(fx.t0, 30n) });
      return fx;
    }

    it("moves the subsidy into the facility and emits SubsidyPaid", async () => {
      const fx = await eligibleFromDay30();
      await time.setNextBlockTimestamp(day(fx.t0, 90n));
      const tx = fx.manager.connect(fx.fiscal).paySubsidy(fx.id, 2_000_000n);
      await expect(tx).to.emit(fx.manager, "SubsidyPaid").withArgs(fx.id, fx.fiscal.address, 2_000_000n);
      await expect(tx).to.changeTokenBalances(fx.token, [fx.fiscal, fx.manager], [-2_000_000n, 2_000_000n]);
      expect(await fx.manager.subsidyDue(fx.id)).to.equal(0n);
      const state = await fx.manager.facility(fx.id);
      expect(state.subsidyPaid).to.equal(2_000_000n);
      expect(state.balance).to.equal(yuan(6_000_000) + 2_000_000n);
    });

    it("reverts with FacilitySubsidyExceedsDue above the subsidy accrued", async () => {
      const fx = await eligibleFromDay30();
      await time.setNextBlockTimestamp(day(fx.t0, 90n));
      await expect(fx.manager.connect(fx.fiscal).paySubsidy(fx.id, 2_000_001n))
        .to.be.revertedWithCustomError(fx.manager, "FacilitySubsidyExceedsDue")
        .withArgs(fx.id, 2_000_001n, 2_000_000n);
    });

    it("reverts with FacilitySubsidyExceedsDue when nothing is due (never eligible)", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      await time.increaseTo(day(fx.t0, 90n));
      await expect(fx.manager.connect(fx.fiscal).paySubsidy(fx.id, 1n))
        .to.be.revertedWithCustomError(fx.manager, "FacilitySubsidyExceedsDue")
        .withArgs(fx.id, 1n, 0n);
    });

    it("reverts with FacilityZeroAmount for zero", async () => {
      const fx = await eligibleFromDay30();
      await expect(fx.manager.connect(fx.fiscal).paySubsidy(fx.id, 0n))
        .to.be.revertedWithCustomError(fx.manager, "FacilityZeroAmount")
        .withArgs();
    });

    it("reverts with FacilityNotFound for an unknown facility", async () => {
      const fx = await eligibleFromDay30();
      await expect(fx.manager.connect(fx.fiscal).paySubsidy(3, 1n))
        .to.be.revertedWithCustomError(fx.manager, "FacilityNotFound")
        .withArgs(3n);
    });

    it("reverts with AccessControlUnauthorizedAccount for the bank", async () => {
      const fx = await eligibleFromDay30();
      await expect(fx.manager.paySubsidy(fx.id, 1n))
        .to.be.revertedWithCustomError(fx.manager, "AccessControlUnauthorizedAccount")
        .withArgs(fx.bank.address, await fx.manager.FISCAL_ROLE());
    });
  });

  describe("when the bank withdraws from a facility's balance", () => {
    it("sends the amount to the treasury and emits FundsWithdrawn", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      const tx = fx.manager.withdraw(fx.id, yuan(1_000_000), fx.treasury.address);
      await expect(tx).to.emit(fx.manager, "FundsWithdrawn").withArgs(fx.id, fx.treasury.address, yuan(1_000_000));
      await expect(tx).to.changeTokenBalances(fx.token, [fx.manager, fx.treasury], [-yuan(1_000_000), yuan(1_000_000)]);
      const state = await fx.manager.facility(fx.id);
      expect(state.balance).to.equal(yuan(5_000_000));
      expect(state.withdrawn).to.equal(yuan(1_000_000));
    });

    it("reverts with FacilityInsufficientFunds above the facility's own balance", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      await buildFacility(fx, { fund: yuan(1_000_000) });
      // the manager holds 7,000,000.00 CNY, facility 1 only 6,000,000.00 of it
      await expect(fx.manager.withdraw(fx.id, yuan(6_000_000) + 1n, fx.treasury.address))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInsufficientFunds")
        .withArgs(fx.id, yuan(6_000_000), yuan(6_000_000) + 1n);
    });

    it("reverts with FacilityWithdrawalNotToTreasury for the zero recipient", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      await expect(fx.manager.withdraw(fx.id, 1n, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(fx.manager, "FacilityWithdrawalNotToTreasury")
        .withArgs(ethers.ZeroAddress, fx.treasury.address);
    });

    it("reverts with FacilityZeroAmount for zero", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      await expect(fx.manager.withdraw(fx.id, 0n, fx.treasury.address))
        .to.be.revertedWithCustomError(fx.manager, "FacilityZeroAmount")
        .withArgs();
    });

    it("reverts with FacilityNotFound for an unknown facility", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      await expect(fx.manager.withdraw(2, 1n, fx.treasury.address))
        .to.be.revertedWithCustomError(fx.manager, "FacilityNotFound")
        .withArgs(2n);
    });

    it("reverts with AccessControlUnauthorizedAccount for the borrower", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      await expect(fx.manager.connect(fx.borrower).withdraw(fx.id, 1n, fx.borrower.address))
        .to.be.revertedWithCustomError(fx.manager, "AccessControlUnauthorizedAccount")
        .withArgs(fx.borrower.address, await fx.manager.BANK_ROLE());
    });
  });

  describe("when closing a facility that still owes", () => {
    it("reverts with FacilityOutstandingDebt naming principal and interest", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      await time.setNextBlockTimestamp(day(fx.t0, 90n));
      await expect(fx.manager.close(fx.id))
        .to.be.revertedWithCustomError(fx.manager, "FacilityOutstandingDebt")
        .withArgs(fx.id, yuan(4_000_000), INTEREST_DAY_90);
    });

    it("reverts with AccessControlUnauthorizedAccount for a stranger", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      await expect(fx.manager.connect(fx.stranger).close(fx.id))
        .to.be.revertedWithCustomError(fx.manager, "AccessControlUnauthorizedAccount")
        .withArgs(fx.stranger.address, await fx.manager.BANK_ROLE());
    });

    it("reverts with FacilityNotFound for an unknown facility", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      await expect(fx.manager.close(2)).to.be.revertedWithCustomError(fx.manager, "FacilityNotFound").withArgs(2n);
    });
  });

  describe("when the borrower has repaid everything", () => {
    /** Repays principal and interest on day 90 (404,350,000 fen) and closes on day 90 + 1 second. */
    async function closedFixture() {
      const fx = await loadFixture(drawnFacilityFixture);
      const owed = yuan(4_000_000) + INTEREST_DAY_90;
      await giveTokens(fx, fx.borrower, owed);
      await time.setNextBlockTimestamp(day(fx.t0, 90n));
      await fx.manager.connect(fx.borrower).repay(fx.id, owed);
      await fx.manager.close(fx.id);
      return fx;
    }

    it("repays principal and interest in one payment and owes nothing", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      const owed = yuan(4_000_000) + INTEREST_DAY_90;
      await giveTokens(fx, fx.borrower, owed);
      await time.setNextBlockTimestamp(day(fx.t0, 90n));
      await expect(fx.manager.connect(fx.borrower).repay(fx.id, owed))
        .to.emit(fx.manager, "Repaid")
        .withArgs(fx.id, fx.borrower.address, INTEREST_DAY_90, yuan(4_000_000));
      expect(await fx.manager.outstanding(fx.id)).to.deep.equal([0n, 0n]);
      await expect(fx.manager.close(fx.id)).to.emit(fx.manager, "FacilityClosed").withArgs(fx.id);
      expect((await fx.manager.facility(fx.id)).status).to.equal(Status.CLOSED);
    });

    it("refuses funding, payments, freezes, reviews and a second close with FacilityIsClosed", async () => {
      const fx = await closedFixture();
      await fx.token.connect(fx.issuer).mint(fx.bank.address, 1n);
      await fx.token.approve(await fx.manager.getAddress(), 1n);
      const evidenceIds = await evidenceForPayment(fx, fx.id, 1);
      const review = await signedReview(fx, await nextReview(fx, fx.id, { newRateBps: 300 }));
      const attempts = [
        () => fx.manager.fund(fx.id, 1n),
        () => fx.manager.executePayment(fx.id, 1, evidenceIds),
        () => fx.manager.connect(fx.regulator).freeze(fx.id, ethers.id("late spot check")),
        () => fx.manager.applyReview(...review),
        () => fx.manager.close(fx.id),
      ];
      for (const attempt of attempts) {
        await expect(attempt()).to.be.revertedWithCustomError(fx.manager, "FacilityIsClosed").withArgs(fx.id);
      }
    });

    it("refuses an unfreeze with FacilityNotFrozen and any repayment with FacilityRepaymentExceedsDebt", async () => {
      const fx = await closedFixture();
      const decision = await signedUnfreeze(fx, await currentUnfreeze(fx, fx.id));
      await expect(fx.manager.unfreeze(...decision))
        .to.be.revertedWithCustomError(fx.manager, "FacilityNotFrozen")
        .withArgs(fx.id);
      await expect(fx.manager.connect(fx.borrower).repay(fx.id, 1n))
        .to.be.revertedWithCustomError(fx.manager, "FacilityRepaymentExceedsDebt")
        .withArgs(fx.id, 1n, 0n);
    });

    it("lets the bank withdraw the leftover balance to the treasury", async () => {
      const fx = await closedFixture();
      // 10,000,000.00 funded − 4,000,000.00 paid out + 4,043,500.00 repaid = 10,043,500.00 CNY
      const leftover = yuan(10_043_500);
      expect((await fx.manager.facility(fx.id)).balance).to.equal(leftover);
      const tx = fx.manager.withdraw(fx.id, leftover, fx.treasury.address);
      await expect(tx).to.emit(fx.manager, "FundsWithdrawn").withArgs(fx.id, fx.treasury.address, leftover);
      await expect(tx).to.changeTokenBalances(fx.token, [fx.manager, fx.treasury], [-leftover, leftover]);
      expect((await fx.manager.facility(fx.id)).balance).to.equal(0n);
    });

    it("accrues nothing after closing", async () => {
      const fx = await closedFixture();
      await time.increaseTo(day(fx.t0, 365n));
      expect(await fx.manager.outstanding(fx.id)).to.deep.equal([0n, 0n]);
      expect((await fx.manager.facility(fx.id)).interestAccrued).to.equal(INTEREST_DAY_90);
    });
  });

  describe("when a subsidized facility is repaid, closed and then subsidized", () => {
    it("charges the borrower only the unsubsidized interest and still takes the subsidy after closing", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      await applyJointReview(fx, fx.id, { subsidyEligible: true }, { at: day(fx.t0, 30n) });
      // By hand: 1,450,000 (days 0–30) + 2,900,000 − 2,000,000 (days 30–90, 300 bps subsidized) = 2,350,000 fen
      const owed = yuan(4_000_000) + 2_350_000n;
      await giveTokens(fx, fx.borrower, owed);
      await time.setNextBlockTimestamp(day(fx.t0, 90n));
      await expect(fx.manager.connect(fx.borrower).repay(fx.id, owed))
        .to.emit(fx.manager, "Repaid")
        .withArgs(fx.id, fx.borrower.address, 2_350_000n, yuan(4_000_000));
      await expect(fx.manager.close(fx.id)).to.emit(fx.manager, "FacilityClosed").withArgs(fx.id);
      expect(await fx.manager.subsidyDue(fx.id)).to.equal(2_000_000n);
      await expect(fx.manager.connect(fx.fiscal).paySubsidy(fx.id, 2_000_000n))
        .to.emit(fx.manager, "SubsidyPaid")
        .withArgs(fx.id, fx.fiscal.address, 2_000_000n);
      // the bank got 4,350,000 fen of interest in all: 2,350,000 from the borrower, 2,000,000 from the fiscal account
      const state = await fx.manager.facility(fx.id);
      expect(state.balance).to.equal(yuan(6_000_000) + owed + 2_000_000n);
      expect(state.balance - yuan(10_000_000)).to.equal(INTEREST_DAY_90);
    });
  });

  describe("when a frozen facility owes nothing", () => {
    it("cannot be closed (FacilityIsFrozen): closing would free its money for withdrawal", async () => {
      const fx = await loadFixture(drawnFacilityFixture);
      const undrawn = await buildFacility(fx);
      await fx.manager.connect(fx.regulator).freeze(undrawn, ethers.id("spot check failed"));
      await expect(fx.manager.close(undrawn))
        .to.be.revertedWithCustomError(fx.manager, "FacilityIsFrozen")
        .withArgs(undrawn);
    });
  });
});
