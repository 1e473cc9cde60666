import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { registeredPayeesFixture } from "./helpers/fixtures";
import {
  anchoredEvidence,
  buildFacility,
  fundFacility,
  standardPlan,
  verifiedEvidence,
  verifiedEvidenceNaming,
} from "./helpers/factories";
import { evidenceForPayment, executeWithEvidence } from "./helpers/entrustedPayments";
import { Category, Kind, Status, kindsMask, yuan } from "./helpers/constants";

/** A standard facility (10,000,000.00 CNY plan) funded with its whole plan. */
async function fundedFacilityFixture() {
  const fx = await registeredPayeesFixture();
  const id = await buildFacility(fx, { fund: yuan(10_000_000) });
  return { ...fx, id };
}

describe("FacilityManager: funding and entrusted payments", () => {
  describe("when the bank funds a facility", () => {
    it("moves the tokens from the bank into the manager and emits FacilityFunded", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const id = await buildFacility(fx);
      await fx.token.connect(fx.issuer).mint(fx.bank.address, yuan(2_500_000));
      await fx.token.approve(await fx.manager.getAddress(), yuan(2_500_000));
      const tx = fx.manager.fund(id, yuan(2_500_000));
      await expect(tx).to.emit(fx.manager, "FacilityFunded").withArgs(id, fx.bank.address, yuan(2_500_000));
      await expect(tx).to.changeTokenBalances(fx.token, [fx.bank, fx.manager], [-yuan(2_500_000), yuan(2_500_000)]);
    });

    it("adds each funding to balance and funded", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const id = await buildFacility(fx, { fund: yuan(6_000_000) });
      await fundFacility(fx, id, yuan(4_000_000));
      const state = await fx.manager.facility(id);
      expect(state.balance).to.equal(yuan(10_000_000));
      expect(state.funded).to.equal(yuan(10_000_000));
    });

    it("reverts with FacilityZeroAmount for zero", async () => {
      const { manager, id } = await loadFixture(fundedFacilityFixture);
      await expect(manager.fund(id, 0n)).to.be.revertedWithCustomError(manager, "FacilityZeroAmount").withArgs();
    });

    it("reverts with FacilityNotFound for an unknown facility", async () => {
      const { manager } = await loadFixture(fundedFacilityFixture);
      await expect(manager.fund(9, 1n)).to.be.revertedWithCustomError(manager, "FacilityNotFound").withArgs(9n);
    });

    it("reverts with AccessControlUnauthorizedAccount for a caller without BANK_ROLE", async () => {
      const { manager, id, borrower } = await loadFixture(fundedFacilityFixture);
      await expect(manager.connect(borrower).fund(id, 1n))
        .to.be.revertedWithCustomError(manager, "AccessControlUnauthorizedAccount")
        .withArgs(borrower.address, await manager.BANK_ROLE());
    });
  });

  describe("when a payment's required evidence is verified", () => {
    it("pays the payee straight from the manager; the borrower receives nothing", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      await expect(executeWithEvidence(fx, fx.id, 0)).to.changeTokenBalances(
        fx.token,
        [fx.equipmentVendor, fx.manager, fx.borrower],
        [yuan(4_000_000), -yuan(4_000_000), 0n],
      );
    });

    it("emits PaymentExecuted with the evidence ids that released it", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const [contract, invoice] = await verifiedEvidence(fx, fx.id, Kind.PURCHASE_CONTRACT, Kind.INVOICE);
      await expect(fx.manager.executePayment(fx.id, 0, [contract, invoice]))
        .to.emit(fx.manager, "PaymentExecuted")
        .withArgs(fx.id, 0n, fx.equipmentVendor.address, yuan(4_000_000), [contract.id, invoice.id]);
    });

    it("consumes each piece of evidence in the registry", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const [report] = await verifiedEvidence(fx, fx.id, Kind.INSPECTION_REPORT);
      await expect(fx.manager.executePayment(fx.id, 1, [report]))
        .to.emit(fx.evidence, "EvidenceConsumed")
        .withArgs(report.id, await fx.manager.getAddress());
      expect((await fx.evidence.evidenceOf(report.id)).consumed).to.equal(true);
    });

    it("accepts the evidence in any order", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const [contract, delivery] = await verifiedEvidenceNaming(
        fx,
        fx.id,
        fx.materials.address,
        Kind.PURCHASE_CONTRACT,
        Kind.DELIVERY_NOTE,
      );
      await expect(fx.manager.executePayment(fx.id, 2, [delivery, contract]))
        .to.emit(fx.manager, "PaymentExecuted")
        .withArgs(fx.id, 2n, fx.materials.address, yuan(5_000_000), [delivery.id, contract.id]);
    });

    it("marks the payment paid and moves the amount from balance to drawn principal", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      await executeWithEvidence(fx, fx.id, 1);
      expect((await fx.manager.payment(fx.id, 1)).paid).to.equal(true);
      expect((await fx.manager.payment(fx.id, 0)).paid).to.equal(false);
      const state = await fx.manager.facility(fx.id);
      expect(state.principal).to.equal(yuan(1_000_000));
      expect(state.drawn).to.equal(yuan(1_000_000));
      expect(state.balance).to.equal(yuan(9_000_000));
      expect(state.funded).to.equal(yuan(10_000_000));
    });

    it("pays the whole plan to the three payees without the borrower ever holding money", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const before = await fx.token.balanceOf(fx.borrower.address);
      for (const index of [0, 1, 2]) await executeWithEvidence(fx, fx.id, index);
      expect(await fx.token.balanceOf(fx.equipmentVendor.address)).to.equal(yuan(4_000_000));
      expect(await fx.token.balanceOf(fx.lab.address)).to.equal(yuan(1_000_000));
      expect(await fx.token.balanceOf(fx.materials.address)).to.equal(yuan(5_000_000));
      expect(await fx.token.balanceOf(fx.borrower.address)).to.equal(before);
      expect(await fx.token.balanceOf(await fx.manager.getAddress())).to.equal(0n);
      const state = await fx.manager.facility(fx.id);
      expect(state.principal).to.equal(yuan(10_000_000));
      expect(state.balance).to.equal(0n);
    });
  });

  describe("when the payment or the facility is not payable", () => {
    it("reverts with FacilityNotFound for an unknown facility", async () => {
      const { manager } = await loadFixture(fundedFacilityFixture);
      await expect(manager.executePayment(7, 0, []))
        .to.be.revertedWithCustomError(manager, "FacilityNotFound")
        .withArgs(7n);
    });

    it("reverts with FacilityPaymentNotFound for an index outside the plan", async () => {
      const { manager, id } = await loadFixture(fundedFacilityFixture);
      await expect(manager.executePayment(id, 3, []))
        .to.be.revertedWithCustomError(manager, "FacilityPaymentNotFound")
        .withArgs(id, 3n);
    });

    it("reverts with FacilityPaymentAlreadyPaid for a second execution", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      await executeWithEvidence(fx, fx.id, 1);
      const [report] = await verifiedEvidence(fx, fx.id, Kind.INSPECTION_REPORT);
      await expect(fx.manager.executePayment(fx.id, 1, [report]))
        .to.be.revertedWithCustomError(fx.manager, "FacilityPaymentAlreadyPaid")
        .withArgs(fx.id, 1n);
    });

    it("reverts with FacilityIsFrozen while the facility is frozen", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const evidenceIds = await evidenceForPayment(fx, fx.id, 0);
      await fx.manager.connect(fx.regulator).freeze(fx.id, ethers.id("spot check failed"));
      await expect(fx.manager.executePayment(fx.id, 0, evidenceIds))
        .to.be.revertedWithCustomError(fx.manager, "FacilityIsFrozen")
        .withArgs(fx.id);
    });

    it("reverts with FacilityInsufficientFunds when the balance does not cover the amount", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const id = await buildFacility(fx, { fund: yuan(3_999_999) });
      const evidenceIds = await evidenceForPayment(fx, id, 0);
      await expect(fx.manager.executePayment(id, 0, evidenceIds))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInsufficientFunds")
        .withArgs(id, yuan(3_999_999), yuan(4_000_000));
    });

    it("cannot spend another facility's money", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const other = await buildFacility(fx, { fund: yuan(100) });
      const evidenceIds = await evidenceForPayment(fx, other, 1);
      // the manager holds 10,000,100.00 CNY, but facility 2 only its own 100.00
      await expect(fx.manager.executePayment(other, 1, evidenceIds))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInsufficientFunds")
        .withArgs(other, yuan(100), yuan(1_000_000));
    });

    it("reverts with AccessControlUnauthorizedAccount for a caller without BANK_ROLE", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const evidenceIds = await evidenceForPayment(fx, fx.id, 1);
      await expect(fx.manager.connect(fx.borrower).executePayment(fx.id, 1, evidenceIds))
        .to.be.revertedWithCustomError(fx.manager, "AccessControlUnauthorizedAccount")
        .withArgs(fx.borrower.address, await fx.manager.BANK_ROLE());
    });
  });

  describe("when the payee changed in the registry after the plan was made", () => {
    it("reverts with the registry's PayeeInactive for a deactivated payee", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const evidenceIds = await evidenceForPayment(fx, fx.id, 0);
      await fx.payees.deactivatePayee(fx.equipmentVendor.address, ethers.id("licence revoked"));
      await expect(fx.manager.executePayment(fx.id, 0, evidenceIds))
        .to.be.revertedWithCustomError(fx.payees, "PayeeInactive")
        .withArgs(fx.equipmentVendor.address);
    });

    it("pays again once the payee is reactivated", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      await fx.payees.deactivatePayee(fx.lab.address, ethers.id("licence lapsed"));
      await fx.payees.reactivatePayee(fx.lab.address);
      await expect(executeWithEvidence(fx, fx.id, 1)).to.changeTokenBalance(fx.token, fx.lab, yuan(1_000_000));
    });

    it("reverts with FacilityPayeeCategoryMismatch when the registered category was updated", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const evidenceIds = await evidenceForPayment(fx, fx.id, 0);
      await fx.payees.updatePayee(fx.equipmentVendor.address, Category.R_AND_D, ethers.id("licence:renewed"));
      await expect(fx.manager.executePayment(fx.id, 0, evidenceIds))
        .to.be.revertedWithCustomError(fx.manager, "FacilityPayeeCategoryMismatch")
        .withArgs(fx.equipmentVendor.address, Category.EQUIPMENT, Category.R_AND_D);
    });
  });

  describe("when the evidence offered does not release the payment", () => {
    it("reverts with FacilityMissingEvidence and the mask of every kind when none is offered", async () => {
      const { manager, id } = await loadFixture(fundedFacilityFixture);
      await expect(manager.executePayment(id, 0, []))
        .to.be.revertedWithCustomError(manager, "FacilityMissingEvidence")
        .withArgs(id, 0n, 0b11n);
    });

    it("reverts with FacilityMissingEvidence and the mask of the missing kinds", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const [contract] = await verifiedEvidenceNaming(fx, fx.id, fx.materials.address, Kind.PURCHASE_CONTRACT);
      await expect(fx.manager.executePayment(fx.id, 2, [contract]))
        .to.be.revertedWithCustomError(fx.manager, "FacilityMissingEvidence")
        .withArgs(fx.id, 2n, 1n << BigInt(Kind.DELIVERY_NOTE));
    });

    it("reverts with FacilityEvidenceNotRequired for a kind the payment does not require", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const [report] = await verifiedEvidence(fx, fx.id, Kind.INSPECTION_REPORT);
      const [invoice] = await verifiedEvidenceNaming(fx, fx.id, fx.lab.address, Kind.INVOICE);
      await expect(fx.manager.executePayment(fx.id, 1, [report, invoice]))
        .to.be.revertedWithCustomError(fx.manager, "FacilityEvidenceNotRequired")
        .withArgs(invoice.id, Kind.INVOICE);
    });

    it("reverts with FacilityEvidenceNotRequired for a repeated kind", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const [first, invoice, second] = await verifiedEvidence(
        fx,
        fx.id,
        Kind.PURCHASE_CONTRACT,
        Kind.INVOICE,
        Kind.PURCHASE_CONTRACT,
      );
      await expect(fx.manager.executePayment(fx.id, 0, [first, invoice, second]))
        .to.be.revertedWithCustomError(fx.manager, "FacilityEvidenceNotRequired")
        .withArgs(second.id, Kind.PURCHASE_CONTRACT);
    });

    it("reverts with the registry's EvidenceNotAnchored for another facility's evidence", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const other = await buildFacility(fx);
      const [contract] = await verifiedEvidence(fx, fx.id, Kind.PURCHASE_CONTRACT);
      const [foreignInvoice] = await verifiedEvidence(fx, other, Kind.INVOICE);
      const recomputed = await fx.evidence.evidenceIdOf(
        fx.id,
        Kind.INVOICE,
        fx.equipmentVendor.address,
        foreignInvoice.saltedHash,
      );
      await expect(fx.manager.executePayment(fx.id, 0, [contract, foreignInvoice]))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotAnchored")
        .withArgs(recomputed);
    });

    it("reverts with the registry's EvidenceNotVerified for evidence only anchored", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const report = await anchoredEvidence(fx, fx.id, Kind.INSPECTION_REPORT);
      await expect(fx.manager.executePayment(fx.id, 1, [report]))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotVerified")
        .withArgs(report.id);
    });

    it("reverts with the registry's EvidenceAlreadyConsumed for evidence that released another payment to the same payee", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const [first] = standardPlan(fx);
      const id = await buildFacility(fx, { plan: [first, { ...first, amount: yuan(1) }], fund: yuan(4_000_001) });
      const [contract, invoice] = await verifiedEvidence(fx, id, Kind.PURCHASE_CONTRACT, Kind.INVOICE);
      const [secondInvoice] = await verifiedEvidence(fx, id, Kind.INVOICE);
      await fx.manager.executePayment(id, 0, [contract, invoice]);
      await expect(fx.manager.executePayment(id, 1, [contract, secondInvoice]))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceAlreadyConsumed")
        .withArgs(contract.id);
    });
  });

  describe("when the evidence names another counterparty than the payment's", () => {
    it("does not pay supplier A against a purchase contract naming supplier C (EvidenceNotAnchored)", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const [contractWithC, invoiceWithC] = await verifiedEvidenceNaming(
        fx,
        fx.id,
        fx.materials.address,
        Kind.PURCHASE_CONTRACT,
        Kind.INVOICE,
      );
      const asIfWithA = await fx.evidence.evidenceIdOf(
        fx.id,
        Kind.PURCHASE_CONTRACT,
        fx.equipmentVendor.address,
        contractWithC.saltedHash,
      );
      await expect(fx.manager.executePayment(fx.id, 0, [contractWithC, invoiceWithC]))
        .to.be.revertedWithCustomError(fx.evidence, "EvidenceNotAnchored")
        .withArgs(asIfWithA);
      expect(await fx.token.balanceOf(fx.equipmentVendor.address)).to.equal(0n);
      expect((await fx.evidence.evidenceOf(contractWithC.id)).consumed).to.equal(false);
    });

    it("does not pay a payee against an inspection report naming someone other than the borrower", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const [report] = await verifiedEvidenceNaming(fx, fx.id, fx.lab.address, Kind.INSPECTION_REPORT);
      await expect(fx.manager.executePayment(fx.id, 1, [report])).to.be.revertedWithCustomError(
        fx.evidence,
        "EvidenceNotAnchored",
      );
    });

    it("pays against an inspection report naming the borrower (a borrower kind)", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const [report] = await verifiedEvidenceNaming(fx, fx.id, fx.borrower.address, Kind.INSPECTION_REPORT);
      await expect(fx.manager.executePayment(fx.id, 1, [report])).to.changeTokenBalance(
        fx.token,
        fx.lab,
        yuan(1_000_000),
      );
    });

    it("pays against a test report (CERTIFICATION) naming the lab, a payee kind", async () => {
      const fx = await loadFixture(registeredPayeesFixture);
      const [, labPayment] = standardPlan(fx);
      const id = await buildFacility(fx, {
        plan: [{ ...labPayment, requiredKinds: kindsMask(Kind.CERTIFICATION) }],
        fund: yuan(1_000_000),
      });
      const [asBorrower] = await verifiedEvidenceNaming(fx, id, fx.borrower.address, Kind.CERTIFICATION);
      await expect(fx.manager.executePayment(id, 0, [asBorrower])).to.be.revertedWithCustomError(
        fx.evidence,
        "EvidenceNotAnchored",
      );
      const [withLab] = await verifiedEvidenceNaming(fx, id, fx.lab.address, Kind.CERTIFICATION);
      await expect(fx.manager.executePayment(id, 0, [withLab])).to.changeTokenBalance(
        fx.token,
        fx.lab,
        yuan(1_000_000),
      );
    });

    it("consumes nothing when the payment reverts", async () => {
      const fx = await loadFixture(fundedFacilityFixture);
      const [contract] = await verifiedEvidence(fx, fx.id, Kind.PURCHASE_CONTRACT);
      await expect(fx.manager.executePayment(fx.id, 0, [contract])).to.be.revertedWithCustomError(
        fx.manager,
        "FacilityMissingEvidence",
      );
      expect((await fx.evidence.evidenceOf(contract.id)).consumed).to.equal(false);
      expect((await fx.manager.facility(fx.id)).status).to.equal(Status.ACTIVE);
    });
  });
});
