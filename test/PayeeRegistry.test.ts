import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Category } from "./helpers/constants";
import { registeredPayeesFixture } from "./helpers/fixtures";
import { governed } from "./helpers/governance";
import type { PayeeRegistry } from "../typechain-types";

const LICENCE = ethers.id("licence:new-supplier");
const RENEWED_LICENCE = ethers.id("licence:new-supplier:2026");
const REASON = ethers.id("reason:licence suspended");

/** The three standard payees registered, plus an unregistered supplier to register in the tests. */
async function payeesFixture() {
  const fx = await registeredPayeesFixture();
  const newSupplier = (await ethers.getSigners())[11];
  return { ...fx, newSupplier };
}

async function record(payees: PayeeRegistry, payee: string) {
  const { category, active, registeredAt, licenceHash } = await payees.payeeOf(payee);
  return { category, active, registeredAt, licenceHash };
}

describe("PayeeRegistry", () => {
  describe("when deployed", () => {
    it("gives governance (the timelock) DEFAULT_ADMIN_ROLE and the bank PAYEE_ADMIN_ROLE; the deployer keeps neither", async () => {
      const { payees, timelock, admin, bank, stranger } = await loadFixture(payeesFixture);
      const payeeAdminRole = await payees.PAYEE_ADMIN_ROLE();
      const adminRole = await payees.DEFAULT_ADMIN_ROLE();
      expect(payeeAdminRole).to.equal(ethers.id("PAYEE_ADMIN_ROLE"));
      expect(await payees.hasRole(adminRole, await timelock.getAddress())).to.equal(true);
      expect(await payees.hasRole(adminRole, admin.address)).to.equal(false);
      expect(await payees.hasRole(adminRole, bank.address)).to.equal(false);
      expect(await payees.hasRole(payeeAdminRole, admin.address)).to.equal(false);
      expect(await payees.hasRole(payeeAdminRole, bank.address)).to.equal(true);
      expect(await payees.hasRole(payeeAdminRole, stranger.address)).to.equal(false);
    });
  });

  describe("when the bank registers a new payee", () => {
    it("emits PayeeRegistered", async () => {
      const { payees, newSupplier } = await loadFixture(payeesFixture);
      await expect(payees.registerPayee(newSupplier.address, Category.R_AND_D, LICENCE))
        .to.emit(payees, "PayeeRegistered")
        .withArgs(newSupplier.address, Category.R_AND_D, LICENCE);
    });

    it("records the category, licence and registration time as active", async () => {
      const { payees, newSupplier } = await loadFixture(payeesFixture);
      const registeredAt = BigInt(await time.latest()) + 100n;
      await time.setNextBlockTimestamp(registeredAt);
      await payees.registerPayee(newSupplier.address, Category.R_AND_D, LICENCE);
      expect(await record(payees, newSupplier.address)).to.deep.equal({
        category: BigInt(Category.R_AND_D),
        active: true,
        registeredAt,
        licenceHash: LICENCE,
      });
      expect(await payees.isActive(newSupplier.address)).to.equal(true);
      expect(await payees.requireActive(newSupplier.address)).to.equal(Category.R_AND_D);
    });
  });

  describe("when a registration is invalid", () => {
    it("reverts with PayeeZeroAddress for the zero address", async () => {
      const { payees } = await loadFixture(payeesFixture);
      await expect(payees.registerPayee(ethers.ZeroAddress, Category.EQUIPMENT, LICENCE))
        .to.be.revertedWithCustomError(payees, "PayeeZeroAddress")
        .withArgs();
    });

    it("reverts with PayeeZeroAddress before checking the licence", async () => {
      const { payees } = await loadFixture(payeesFixture);
      await expect(
        payees.registerPayee(ethers.ZeroAddress, Category.EQUIPMENT, ethers.ZeroHash),
      ).to.be.revertedWithCustomError(payees, "PayeeZeroAddress");
    });

    it("reverts with PayeeMissingLicence for a zero licence hash", async () => {
      const { payees, newSupplier } = await loadFixture(payeesFixture);
      await expect(payees.registerPayee(newSupplier.address, Category.EQUIPMENT, ethers.ZeroHash))
        .to.be.revertedWithCustomError(payees, "PayeeMissingLicence")
        .withArgs(newSupplier.address);
    });

    it("reverts with PayeeAlreadyRegistered for a registered payee", async () => {
      const { payees, equipmentVendor } = await loadFixture(payeesFixture);
      await expect(payees.registerPayee(equipmentVendor.address, Category.SERVICES, LICENCE))
        .to.be.revertedWithCustomError(payees, "PayeeAlreadyRegistered")
        .withArgs(equipmentVendor.address);
    });

    it("reverts with PayeeAlreadyRegistered for a deactivated payee", async () => {
      const { payees, lab } = await loadFixture(payeesFixture);
      await payees.deactivatePayee(lab.address, REASON);
      await expect(payees.registerPayee(lab.address, Category.TESTING_CERT, LICENCE))
        .to.be.revertedWithCustomError(payees, "PayeeAlreadyRegistered")
        .withArgs(lab.address);
    });

    it("reverts without a reason for a category outside the enum", async () => {
      const { payees, newSupplier } = await loadFixture(payeesFixture);
      await expect(payees.registerPayee(newSupplier.address, 5, LICENCE)).to.be.revertedWithoutReason();
    });
  });

  describe("when the bank updates a payee", () => {
    it("emits PayeeUpdated and stores the new category and licence", async () => {
      const { payees, lab } = await loadFixture(payeesFixture);
      const before = await record(payees, lab.address);
      await time.increase(30n * 86_400n);
      await expect(payees.updatePayee(lab.address, Category.SERVICES, RENEWED_LICENCE))
        .to.emit(payees, "PayeeUpdated")
        .withArgs(lab.address, Category.SERVICES, RENEWED_LICENCE);
      expect(await record(payees, lab.address)).to.deep.equal({
        category: BigInt(Category.SERVICES),
        active: true,
        registeredAt: before.registeredAt,
        licenceHash: RENEWED_LICENCE,
      });
    });

    it("keeps a deactivated payee inactive", async () => {
      const { payees, lab } = await loadFixture(payeesFixture);
      await payees.deactivatePayee(lab.address, REASON);
      await payees.updatePayee(lab.address, Category.TESTING_CERT, RENEWED_LICENCE);
      expect(await payees.isActive(lab.address)).to.equal(false);
      expect((await payees.payeeOf(lab.address)).licenceHash).to.equal(RENEWED_LICENCE);
    });

    it("reverts with PayeeNotRegistered for an unknown payee", async () => {
      const { payees, newSupplier } = await loadFixture(payeesFixture);
      await expect(payees.updatePayee(newSupplier.address, Category.EQUIPMENT, LICENCE))
        .to.be.revertedWithCustomError(payees, "PayeeNotRegistered")
        .withArgs(newSupplier.address);
    });

    it("reverts with PayeeMissingLicence for a zero licence hash", async () => {
      const { payees, lab } = await loadFixture(payeesFixture);
      await expect(payees.updatePayee(lab.address, Category.TESTING_CERT, ethers.ZeroHash))
        .to.be.revertedWithCustomError(payees, "PayeeMissingLicence")
        .withArgs(lab.address);
    });
  });

  describe("when the bank deactivates a payee", () => {
    it("emits PayeeDeactivated with the reason", async () => {
      const { payees, materials } = await loadFixture(payeesFixture);
      await expect(payees.deactivatePayee(materials.address, REASON))
        .to.emit(payees, "PayeeDeactivated")
        .withArgs(materials.address, REASON);
    });

    it("makes isActive false and requireActive revert with PayeeInactive", async () => {
      const { payees, materials } = await loadFixture(payeesFixture);
      await payees.deactivatePayee(materials.address, REASON);
      expect(await payees.isActive(materials.address)).to.equal(false);
      expect((await payees.payeeOf(materials.address)).active).to.equal(false);
      await expect(payees.requireActive(materials.address))
        .to.be.revertedWithCustomError(payees, "PayeeInactive")
        .withArgs(materials.address);
    });

    it("reverts with PayeeInactive when deactivated twice", async () => {
      const { payees, materials } = await loadFixture(payeesFixture);
      await payees.deactivatePayee(materials.address, REASON);
      await expect(payees.deactivatePayee(materials.address, REASON))
        .to.be.revertedWithCustomError(payees, "PayeeInactive")
        .withArgs(materials.address);
    });

    it("reverts with PayeeNotRegistered for an unknown payee", async () => {
      const { payees, newSupplier } = await loadFixture(payeesFixture);
      await expect(payees.deactivatePayee(newSupplier.address, REASON))
        .to.be.revertedWithCustomError(payees, "PayeeNotRegistered")
        .withArgs(newSupplier.address);
    });
  });

  describe("when the bank reactivates a payee", () => {
    it("emits PayeeReactivated and makes it payable again with its category", async () => {
      const { payees, equipmentVendor } = await loadFixture(payeesFixture);
      await payees.deactivatePayee(equipmentVendor.address, REASON);
      await expect(payees.reactivatePayee(equipmentVendor.address))
        .to.emit(payees, "PayeeReactivated")
        .withArgs(equipmentVendor.address);
      expect(await payees.isActive(equipmentVendor.address)).to.equal(true);
      expect(await payees.requireActive(equipmentVendor.address)).to.equal(Category.EQUIPMENT);
    });

    it("reverts with PayeeAlreadyActive for an active payee", async () => {
      const { payees, equipmentVendor } = await loadFixture(payeesFixture);
      await expect(payees.reactivatePayee(equipmentVendor.address))
        .to.be.revertedWithCustomError(payees, "PayeeAlreadyActive")
        .withArgs(equipmentVendor.address);
    });

    it("reverts with PayeeNotRegistered for an unknown payee", async () => {
      const { payees, newSupplier } = await loadFixture(payeesFixture);
      await expect(payees.reactivatePayee(newSupplier.address))
        .to.be.revertedWithCustomError(payees, "PayeeNotRegistered")
        .withArgs(newSupplier.address);
    });
  });

  describe("when a payee is not registered", () => {
    it("payeeOf returns an empty record and isActive is false", async () => {
      const { payees, newSupplier } = await loadFixture(payeesFixture);
      expect(await record(payees, newSupplier.address)).to.deep.equal({
        category: 0n,
        active: false,
        registeredAt: 0n,
        licenceHash: ethers.ZeroHash,
      });
      expect(await payees.isActive(newSupplier.address)).to.equal(false);
    });

    it("requireActive reverts with PayeeNotRegistered, also for the zero address", async () => {
      const { payees, newSupplier } = await loadFixture(payeesFixture);
      await expect(payees.requireActive(newSupplier.address))
        .to.be.revertedWithCustomError(payees, "PayeeNotRegistered")
        .withArgs(newSupplier.address);
      await expect(payees.requireActive(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(payees, "PayeeNotRegistered")
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe("when the fixture's payees are registered", () => {
    it("requireActive returns each payee's category", async () => {
      const { payees, equipmentVendor, lab, materials } = await loadFixture(payeesFixture);
      expect(await payees.requireActive(equipmentVendor.address)).to.equal(Category.EQUIPMENT);
      expect(await payees.requireActive(lab.address)).to.equal(Category.TESTING_CERT);
      expect(await payees.requireActive(materials.address)).to.equal(Category.MATERIALS);
      expect((await payees.payeeOf(lab.address)).licenceHash).to.equal(ethers.id("licence:lab"));
    });
  });

  describe("when an account without PAYEE_ADMIN_ROLE calls an admin function", () => {
    it("reverts every one with AccessControlUnauthorizedAccount", async () => {
      const { payees, stranger, lab, newSupplier } = await loadFixture(payeesFixture);
      const role = await payees.PAYEE_ADMIN_ROLE();
      const asStranger = payees.connect(stranger);
      const calls = [
        () => asStranger.registerPayee(newSupplier.address, Category.EQUIPMENT, LICENCE),
        () => asStranger.updatePayee(lab.address, Category.SERVICES, LICENCE),
        () => asStranger.deactivatePayee(lab.address, REASON),
        () => asStranger.reactivatePayee(lab.address),
      ];
      for (const call of calls) {
        await expect(call())
          .to.be.revertedWithCustomError(payees, "AccessControlUnauthorizedAccount")
          .withArgs(stranger.address, role);
      }
    });

    it("reverts for a payee registering itself", async () => {
      const { payees, newSupplier } = await loadFixture(payeesFixture);
      await expect(payees.connect(newSupplier).registerPayee(newSupplier.address, Category.EQUIPMENT, LICENCE))
        .to.be.revertedWithCustomError(payees, "AccessControlUnauthorizedAccount")
        .withArgs(newSupplier.address, await payees.PAYEE_ADMIN_ROLE());
    });

    it("lets the bank act again once governance gives the role back", async () => {
      const fx = await loadFixture(payeesFixture);
      const { payees, bank, newSupplier } = fx;
      const role = await payees.PAYEE_ADMIN_ROLE();
      await governed(fx, payees).revokeRole(role, bank.address);
      await expect(payees.registerPayee(newSupplier.address, Category.EQUIPMENT, LICENCE))
        .to.be.revertedWithCustomError(payees, "AccessControlUnauthorizedAccount")
        .withArgs(bank.address, role);
      await governed(fx, payees).grantRole(role, bank.address);
      await expect(payees.registerPayee(newSupplier.address, Category.EQUIPMENT, LICENCE)).to.emit(
        payees,
        "PayeeRegistered",
      );
    });
  });
});
