import { ethers } from "hardhat";
import { deploySystem } from "../../scripts/lib/deploy";
import { Category } from "./constants";

/**
 * The whole system on the in-process Hardhat network with named actors:
 * admin (governance), bank (officer + node), regulator, fiscal, two verifier nodes, a borrower, three payees, a stranger.
 */
export async function deployFixture() {
  const [
    admin,
    bank,
    regulator,
    fiscal,
    bankVerifier,
    regulatorVerifier,
    borrower,
    equipmentVendor,
    lab,
    materials,
    stranger,
  ] = await ethers.getSigners();
  const system = await deploySystem(admin, {
    admin: admin.address,
    bank: bank.address,
    regulator: regulator.address,
    fiscal: fiscal.address,
    verifiers: [bankVerifier.address, regulatorVerifier.address],
    threshold: 2,
  });
  return {
    ...system,
    token: system.token.connect(bank),
    payees: system.payees.connect(bank),
    evidence: system.evidence.connect(bank),
    manager: system.manager.connect(bank),
    admin,
    bank,
    regulator,
    fiscal,
    bankVerifier,
    regulatorVerifier,
    borrower,
    equipmentVendor,
    lab,
    materials,
    stranger,
  };
}

export type Fixture = Awaited<ReturnType<typeof deployFixture>>;

/** The fixture with the three payees registered by the bank. */
export async function registeredPayeesFixture() {
  const fx = await deployFixture();
  await fx.payees.registerPayee(fx.equipmentVendor.address, Category.EQUIPMENT, ethers.id("licence:equipment"));
  await fx.payees.registerPayee(fx.lab.address, Category.TESTING_CERT, ethers.id("licence:lab"));
  await fx.payees.registerPayee(fx.materials.address, Category.MATERIALS, ethers.id("licence:materials"));
  return fx;
}
