import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { registeredPayeesFixture } from "./helpers/fixtures";
import { buildFacility, standardPlan, standardTerms } from "./helpers/factories";
import { Category, Kind, Status, kindsMask, yuan } from "./helpers/constants";

describe("FacilityManager: creation", () => {
  describe("when deployed", () => {
    it("names the token and registries it works with", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      expect(await fx.manager.dependencies()).to.deep.equal([
        await fx.token.getAddress(),
        await fx.payees.getAddress(),
        await fx.evidence.getAddress(),
      ]);
      expect(await fx.manager.facilityCount()).to.equal(0n);
    });
  });

  describe("when the bank creates a facility with the standard terms and plan", () => {
    it("emits FacilityCreated with the default 3,000 bps floor and a 5,000 bps quality share", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      await expect(fx.manager.createFacility(standardTerms(fx), standardPlan(fx)))
        .to.emit(fx.manager, "FacilityCreated")
        .withArgs(1n, fx.borrower.address, yuan(10_000_000), 435n, 3_000n, 300n, yuan(10_000_000), 5_000n);
    });

    it("emits PaymentPlanned for each payment of the plan", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const tx = fx.manager.createFacility(standardTerms(fx), standardPlan(fx));
      await expect(tx)
        .to.emit(fx.manager, "PaymentPlanned")
        .withArgs(1n, 0n, fx.equipmentVendor.address, Category.EQUIPMENT, yuan(4_000_000), true, 0b11n);
      await expect(tx)
        .to.emit(fx.manager, "PaymentPlanned")
        .withArgs(1n, 1n, fx.lab.address, Category.TESTING_CERT, yuan(1_000_000), true, 0b1000n);
      await expect(tx)
        .to.emit(fx.manager, "PaymentPlanned")
        .withArgs(1n, 2n, fx.materials.address, Category.MATERIALS, yuan(5_000_000), false, 0b101n);
    });

    it("stores each payment unpaid, readable through payment()", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const id = await buildFacility(fx);
      const lab = await fx.manager.payment(id, 1);
      expect(lab.payee).to.equal(fx.lab.address);
      expect(lab.amount).to.equal(yuan(1_000_000));
      expect(lab.category).to.equal(BigInt(Category.TESTING_CERT));
      expect(lab.requiredKinds).to.equal(BigInt(kindsMask(Kind.INSPECTION_REPORT)));
      expect(lab.qualityPurpose).to.equal(true);
      expect(lab.paid).to.equal(false);
      expect((await fx.manager.payment(id, 2)).qualityPurpose).to.equal(false);
    });

    it("reports an active, undrawn facility through facility()", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const id = await buildFacility(fx);
      const createdAt = BigInt(await time.latest());
      const state = await fx.manager.facility(id);
      expect(state.borrower).to.equal(fx.borrower.address);
      expect(state.status).to.equal(Status.ACTIVE);
      expect(state.baseRateBps).to.equal(435n);
      expect(state.rateBps).to.equal(435n);
      expect(state.subsidyBps).to.equal(300n);
      expect(state.qualityFloorBps).to.equal(3_000n);
      expect(state.subsidyEligible).to.equal(false);
      expect(state.freezeCount).to.equal(0n);
      expect(state.reviewNonce).to.equal(0n);
      expect(state.paymentCount).to.equal(3n);
      expect(state.creditLimit).to.equal(yuan(10_000_000));
      expect(state.planTotal).to.equal(yuan(10_000_000));
      expect(state.qualityTotal).to.equal(yuan(5_000_000));
      expect(state.drawn).to.equal(0n);
      expect(state.principal).to.equal(0n);
      expect(state.balance).to.equal(0n);
      expect(state.funded).to.equal(0n);
      expect(state.interestAccrued).to.equal(0n);
      expect(state.lastAccrual).to.equal(createdAt);
    });

    it("numbers facilities from 1 upwards", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      expect(await fx.manager.facilityCount()).to.equal(0n);
      expect(await buildFacility(fx)).to.equal(1n);
      expect(await buildFacility(fx)).to.equal(2n);
      expect(await fx.manager.facilityCount()).to.equal(2n);
    });
  });

  describe("when the terms give a quality floor", () => {
    it("records the custom floor", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      await expect(fx.manager.createFacility(standardTerms(fx, { qualityFloorBps: 4_000 }), standardPlan(fx)))
        .to.emit(fx.manager, "FacilityCreated")
        .withArgs(1n, fx.borrower.address, yuan(10_000_000), 435n, 4_000n, 300n, yuan(10_000_000), 5_000n);
    });

    it("accepts a plan whose quality share equals the floor exactly", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const id = await buildFacility(fx, { terms: { qualityFloorBps: 5_000 } });
      expect((await fx.manager.facility(id)).qualityFloorBps).to.equal(5_000n);
    });

    it("reverts with FacilityQualityShareBelowFloor when the share is under a custom floor", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      await expect(fx.manager.createFacility(standardTerms(fx, { qualityFloorBps: 6_000 }), standardPlan(fx)))
        .to.be.revertedWithCustomError(fx.manager, "FacilityQualityShareBelowFloor")
        .withArgs(5_000n, 6_000n);
    });

    it("reverts with FacilityQualityShareBelowFloor against the default 3,000 when the terms give 0", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      // 2,999,999.99 of 10,000,000.00 to quality is 29.9999999%: the share rounds down to 2,999 bps
      const plan = standardPlan(fx);
      plan[0].amount = yuan(3_000_000) - 1n;
      plan[1].qualityPurpose = false;
      plan[1].amount = yuan(2_000_000) + 1n;
      await expect(fx.manager.createFacility(standardTerms(fx, { qualityFloorBps: 0 }), plan))
        .to.be.revertedWithCustomError(fx.manager, "FacilityQualityShareBelowFloor")
        .withArgs(2_999n, 3_000n);
    });
  });

  describe("when the terms are invalid", () => {
    it("reverts with FacilityZeroAddress for a zero borrower", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      await expect(fx.manager.createFacility(standardTerms(fx, { borrower: ethers.ZeroAddress }), standardPlan(fx)))
        .to.be.revertedWithCustomError(fx.manager, "FacilityZeroAddress")
        .withArgs();
    });

    it("reverts with FacilityZeroAmount for a zero credit limit", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      await expect(fx.manager.createFacility(standardTerms(fx, { creditLimit: 0n }), standardPlan(fx)))
        .to.be.revertedWithCustomError(fx.manager, "FacilityZeroAmount")
        .withArgs();
    });

    it("reverts with FacilityInvalidBps for a base rate above 10,000", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      await expect(fx.manager.createFacility(standardTerms(fx, { baseRateBps: 10_001 }), standardPlan(fx)))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidBps")
        .withArgs(10_001n);
    });

    it("reverts with FacilityInvalidBps for a subsidy rate above 10,000", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      await expect(fx.manager.createFacility(standardTerms(fx, { subsidyBps: 10_002 }), standardPlan(fx)))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidBps")
        .withArgs(10_002n);
    });

    it("reverts with FacilityInvalidBps for a quality floor above 10,000", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      await expect(fx.manager.createFacility(standardTerms(fx, { qualityFloorBps: 10_003 }), standardPlan(fx)))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidBps")
        .withArgs(10_003n);
    });

    it("accepts rates of exactly 10,000 bps", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const id = await buildFacility(fx, { terms: { baseRateBps: 10_000, subsidyBps: 10_000 } });
      expect((await fx.manager.facility(id)).baseRateBps).to.equal(10_000n);
    });
  });

  describe("when the plan is invalid", () => {
    it("reverts with FacilityInvalidPlanLength for an empty plan", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      await expect(fx.manager.createFacility(standardTerms(fx), []))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidPlanLength")
        .withArgs(0n, 64n);
    });

    it("reverts with FacilityInvalidPlanLength for 65 payments", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const plan = Array.from({ length: 65 }, () => ({ ...standardPlan(fx)[1], amount: yuan(1) }));
      await expect(fx.manager.createFacility(standardTerms(fx), plan))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidPlanLength")
        .withArgs(65n, 64n);
    });

    it("accepts 64 payments", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const plan = Array.from({ length: 64 }, () => ({ ...standardPlan(fx)[1], amount: yuan(1) }));
      const id = await buildFacility(fx, { plan });
      expect((await fx.manager.facility(id)).paymentCount).to.equal(64n);
      expect((await fx.manager.payment(id, 63)).payee).to.equal(fx.lab.address);
    });

    it("reverts with FacilityPlanExceedsLimit when the plan totals more than the limit", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const limit = yuan(10_000_000) - 1n;
      await expect(fx.manager.createFacility(standardTerms(fx, { creditLimit: limit }), standardPlan(fx)))
        .to.be.revertedWithCustomError(fx.manager, "FacilityPlanExceedsLimit")
        .withArgs(yuan(10_000_000), limit);
    });

    it("reverts with FacilityZeroAmount for a zero payment", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const plan = standardPlan(fx);
      plan[2].amount = 0n;
      await expect(fx.manager.createFacility(standardTerms(fx), plan))
        .to.be.revertedWithCustomError(fx.manager, "FacilityZeroAmount")
        .withArgs();
    });

    it("reverts with FacilityPayeeIsBorrower when a payment goes to the borrower", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const plan = standardPlan(fx);
      plan[2].payee = fx.borrower.address;
      await expect(fx.manager.createFacility(standardTerms(fx), plan))
        .to.be.revertedWithCustomError(fx.manager, "FacilityPayeeIsBorrower")
        .withArgs(fx.borrower.address);
    });

    it("reverts with FacilityPayeeIsBorrower even when the borrower is a registered payee", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      await fx.payees.registerPayee(fx.borrower.address, Category.MATERIALS, ethers.id("licence:borrower"));
      const plan = standardPlan(fx);
      plan[2].payee = fx.borrower.address;
      await expect(fx.manager.createFacility(standardTerms(fx), plan))
        .to.be.revertedWithCustomError(fx.manager, "FacilityPayeeIsBorrower")
        .withArgs(fx.borrower.address);
    });

    it("reverts with FacilityInvalidRequiredKinds for an empty evidence mask", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const plan = standardPlan(fx);
      plan[1].requiredKinds = 0;
      await expect(fx.manager.createFacility(standardTerms(fx), plan))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidRequiredKinds")
        .withArgs(1n, 0n);
    });

    it("reverts with FacilityInvalidRequiredKinds for a bit above the seven kinds (0x80)", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const plan = standardPlan(fx);
      plan[2].requiredKinds = 0x80 | kindsMask(Kind.PURCHASE_CONTRACT);
      await expect(fx.manager.createFacility(standardTerms(fx), plan))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidRequiredKinds")
        .withArgs(2n, 0x81n);
    });

    it("accepts a mask of all seven kinds (0x7f)", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const plan = standardPlan(fx);
      plan[0].requiredKinds = 0x7f;
      const id = await buildFacility(fx, { plan });
      expect((await fx.manager.payment(id, 0)).requiredKinds).to.equal(0x7fn);
    });

    it("reverts with FacilityPayeeCategoryMismatch when the planned category is not the registered one", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const plan = standardPlan(fx);
      plan[1].category = Category.EQUIPMENT;
      await expect(fx.manager.createFacility(standardTerms(fx), plan))
        .to.be.revertedWithCustomError(fx.manager, "FacilityPayeeCategoryMismatch")
        .withArgs(fx.lab.address, Category.EQUIPMENT, Category.TESTING_CERT);
    });

    it("reverts with the registry's PayeeNotRegistered for an unregistered payee", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const plan = standardPlan(fx);
      plan[2].payee = fx.stranger.address;
      await expect(fx.manager.createFacility(standardTerms(fx), plan))
        .to.be.revertedWithCustomError(fx.payees, "PayeeNotRegistered")
        .withArgs(fx.stranger.address);
    });

    it("reverts with the registry's PayeeInactive for a deactivated payee", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      await fx.payees.deactivatePayee(fx.lab.address, ethers.id("licence expired"));
      await expect(fx.manager.createFacility(standardTerms(fx), standardPlan(fx)))
        .to.be.revertedWithCustomError(fx.payees, "PayeeInactive")
        .withArgs(fx.lab.address);
    });

    it("leaves the facility count unchanged", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      await expect(fx.manager.createFacility(standardTerms(fx), [])).to.be.reverted;
      expect(await fx.manager.facilityCount()).to.equal(0n);
    });
  });

  describe("when someone without BANK_ROLE creates a facility", () => {
    it("reverts with AccessControlUnauthorizedAccount", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      await expect(fx.manager.connect(fx.stranger).createFacility(standardTerms(fx), standardPlan(fx)))
        .to.be.revertedWithCustomError(fx.manager, "AccessControlUnauthorizedAccount")
        .withArgs(fx.stranger.address, await fx.manager.BANK_ROLE());
    });
  });

  describe("when reading a facility that does not exist", () => {
    it("reverts every view with FacilityNotFound", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      await buildFacility(fx);
      const reads: Array<[bigint, () => Promise<unknown>]> = [
        [0n, () => fx.manager.facility(0)],
        [2n, () => fx.manager.facility(2)],
        [2n, () => fx.manager.payment(2, 0)],
        [2n, () => fx.manager.outstanding(2)],
        [2n, () => fx.manager.subsidyDue(2)],
      ];
      for (const [id, read] of reads) {
        await expect(read()).to.be.revertedWithCustomError(fx.manager, "FacilityNotFound").withArgs(id);
      }
    });

    it("reverts payment() with FacilityPaymentNotFound for an index outside the plan", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const id = await buildFacility(fx);
      await expect(fx.manager.payment(id, 3))
        .to.be.revertedWithCustomError(fx.manager, "FacilityPaymentNotFound")
        .withArgs(id, 3n);
    });
  });
});
