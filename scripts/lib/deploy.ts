import type { Signer } from "ethers";
import {
  EvidenceRegistry__factory,
  FacilityManager__factory,
  PayeeRegistry__factory,
  SettlementToken__factory,
  type EvidenceRegistry,
  type FacilityManager,
  type PayeeRegistry,
  type SettlementToken,
} from "../../typechain-types";

/** Who does what in a deployment: addresses of the institutions' accounts. */
export interface Roles {
  /** Holds DEFAULT_ADMIN_ROLE everywhere (governance). */
  admin: string;
  /** Bank officers / the bank node: create, fund, pay, register payees, anchor. */
  bank: string;
  /** The market-regulation bureau: freeze, co-sign reviews and unfreezes. */
  regulator: string;
  /** The fiscal subsidy account. */
  fiscal: string;
  /** Verifier nodes' signing addresses (bank node, regulator node). */
  verifiers: string[];
  /** Acceptances that make evidence verified (2 of 2 by default). */
  threshold: number;
  /** An existing settlement token; when absent a fresh SettlementToken is deployed (admin = governance, MINTER_ROLE also granted to the bank). */
  token?: string;
}

export interface System {
  token: SettlementToken;
  payees: PayeeRegistry;
  evidence: EvidenceRegistry;
  manager: FacilityManager;
}

/**
 * Deploys the whole contract set and wires the roles. The deployer must be `roles.admin` so it can grant roles;
 * it keeps only DEFAULT_ADMIN_ROLE.
 */
export async function deploySystem(deployer: Signer, roles: Roles): Promise<System> {
  const admin = await deployer.getAddress();
  if (admin.toLowerCase() !== roles.admin.toLowerCase()) {
    throw new Error(`deployer ${admin} must be the admin ${roles.admin}`);
  }

  const token = roles.token
    ? SettlementToken__factory.connect(roles.token, deployer)
    : await (await new SettlementToken__factory(deployer).deploy(admin)).waitForDeployment();
  const payees = await (await new PayeeRegistry__factory(deployer).deploy(admin)).waitForDeployment();
  const evidence = await (
    await new EvidenceRegistry__factory(deployer).deploy(admin, roles.verifiers, roles.threshold)
  ).waitForDeployment();
  const manager = await (
    await new FacilityManager__factory(deployer).deploy(
      admin,
      await token.getAddress(),
      await payees.getAddress(),
      await evidence.getAddress(),
    )
  ).waitForDeployment();

  const grants: Array<
    [{ grantRole(role: string, account: string): Promise<{ wait(): Promise<unknown> }> }, string, string]
  > = [
    [payees, await payees.PAYEE_ADMIN_ROLE(), roles.bank],
    [evidence, await evidence.ANCHORER_ROLE(), roles.bank],
    [manager, await manager.BANK_ROLE(), roles.bank],
    [manager, await manager.REGULATOR_ROLE(), roles.regulator],
    [manager, await manager.FISCAL_ROLE(), roles.fiscal],
  ];
  if (!roles.token) grants.push([token, await token.MINTER_ROLE(), roles.bank]);
  for (const [contract, role, account] of grants) {
    await (await contract.grantRole(role, account)).wait();
  }
  await (await evidence.setConsumer(await manager.getAddress())).wait();
  return { token, payees, evidence, manager };
}
