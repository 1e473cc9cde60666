import { ethers } from "hardhat";
import { deploySystem } from "../../scripts/lib/deploy";
import { Category } from "./constants";

/**
 * The whole system on the in-process Hardhat network with named actors:
 * admin (the deployer, which keeps no role), bank (officer + node hot key), regulator, fiscal, two verifier nodes, a
 * borrower, three payees, a stranger; the bank's and the regulator's governance keys (the council, 2 of 2, in front of a
 * one-hour timelock: see test/helpers/governance.ts), the treasury, and a deposit issuer that can mint test money.
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
  const [bankGovernance, regulatorGovernance, treasury, issuer] = (await ethers.getSigners()).slice(15, 19);
  const system = await deploySystem(admin, {
    admin: admin.address,
    bank: bank.address,
    regulator: regulator.address,
    fiscal: fiscal.address,
    verifiers: [bankVerifier.address, regulatorVerifier.address],
    threshold: 2,
    treasury: treasury.address,
    governance: [bankGovernance.address, regulatorGovernance.address],
    governanceThreshold: 2,
    governanceDelay: GOVERNANCE_DELAY,
    issuer: issuer.address,
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
    bankGovernance,
    regulatorGovernance,
    treasury,
    issuer,
  };
}

/** The fixture's timelock delay. */
export const GOVERNANCE_DELAY = 3_600;

export type Fixture = Awaited<ReturnType<typeof deployFixture>>;

/** The fixture with the three payees registered by the bank. */
export async function registeredPayeesFixture() {
  const fx = await deployFixture();
  await fx.payees.registerPayee(fx.equipmentVendor.address, Category.EQUIPMENT, ethers.id("licence:equipment"));
  await fx.payees.registerPayee(fx.lab.address, Category.TESTING_CERT, ethers.id("licence:lab"));
  await fx.payees.registerPayee(fx.materials.address, Category.MATERIALS, ethers.id("licence:materials"));
  return fx;
}
