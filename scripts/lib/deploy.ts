import { ZeroAddress, ZeroHash, id, type Signer } from "ethers";
import {
  EvidenceRegistry__factory,
  FacilityManager__factory,
  GovernanceCouncil__factory,
  PayeeRegistry__factory,
  SettlementToken__factory,
  TimelockController__factory,
  type EvidenceRegistry,
  type FacilityManager,
  type GovernanceCouncil,
  type PayeeRegistry,
  type SettlementToken,
  type TimelockController,
} from "../../typechain-types";

/** Who does what in a deployment: addresses of the institutions' accounts. */
export interface Roles {
  /** The deployer: holds roles only while it wires them, then renounces every one (it keeps nothing). */
  admin: string;
  /** The bank node's hot key: create, fund, pay, withdraw to the treasury, register payees, anchor, freeze. */
  bank: string;
  /** The market-regulation bureau: freeze, co-sign reviews and unfreezes. */
  regulator: string;
  /** The fiscal subsidy account. */
  fiscal: string;
  /** Verifier nodes' signing addresses (bank node, regulator node). */
  verifiers: string[];
  /** Acceptances that make evidence verified (2 of 2 by default). */
  threshold: number;
  /** The only account withdrawals may go to (the bank's treasury account); governance can change it. */
  treasury: string;
  /** The institutions' governance keys (cold keys or their own multisigs), members of the council. */
  governance: string[];
  /** Council approvals that schedule an operation (2 of 2: the bank and the regulator). */
  governanceThreshold: number;
  /** Seconds an approved operation waits in the timelock before anyone may execute it. */
  governanceDelay: number;
  /** An existing settlement token; when absent a fresh SettlementToken is deployed, administered by governance. */
  token?: string;
  /** Fresh token only: an issuer that keeps MINTER_ROLE besides governance (a test's or the demo's deposit issuer). */
  issuer?: string;
  /** Fresh token only: fen minted to the bank's hot key at deployment, its operating float for funding facilities. */
  float?: bigint;
}

export interface System {
  token: SettlementToken;
  payees: PayeeRegistry;
  evidence: EvidenceRegistry;
  manager: FacilityManager;
  timelock: TimelockController;
  council: GovernanceCouncil;
  /** Every role of every contract and who holds it after deployment (the deployer holds none). */
  holders: RoleHolders;
}

/** contract name → role name → holders. */
export type RoleHolders = Record<string, Record<string, string[]>>;

interface RoleContract {
  getAddress(): Promise<string>;
  grantRole(role: string, account: string): Promise<{ wait(): Promise<unknown> }>;
  renounceRole(role: string, account: string): Promise<{ wait(): Promise<unknown> }>;
  hasRole(role: string, account: string): Promise<boolean>;
}

/**
 * Deploys the contract set and the governance in front of it, grants each role to the account the roles name, and
 * renounces every role the deployer held while wiring them. Admin powers (DEFAULT_ADMIN_ROLE of the four contracts,
 * the token's MINTER_ROLE) end with the timelock, whose only proposer is the council of the institutions' governance
 * keys. Throws if the deployer still holds any role afterwards.
 */
export async function deploySystem(deployer: Signer, roles: Roles): Promise<System> {
  const admin = await deployer.getAddress();
  if (admin.toLowerCase() !== roles.admin.toLowerCase()) {
    throw new Error(`deployer ${admin} must be the admin ${roles.admin}`);
  }
  const holdersNamed = [roles.bank, roles.regulator, roles.fiscal, roles.treasury, ...roles.governance];
  if (holdersNamed.some((account) => account.toLowerCase() === admin.toLowerCase())) {
    throw new Error(`deployer ${admin} renounces every role: it must not also be a role holder, treasury or member`);
  }
  const send = async (tx: Promise<{ wait(): Promise<unknown> }>) => void (await (await tx).wait());

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
  // The timelock administers itself; the deployer is its admin only until the council is its proposer.
  const timelock = await (
    await new TimelockController__factory(deployer).deploy(roles.governanceDelay, [], [ZeroAddress], admin)
  ).waitForDeployment();
  const council = await (
    await new GovernanceCouncil__factory(deployer).deploy(
      await timelock.getAddress(),
      roles.governance,
      roles.governanceThreshold,
    )
  ).waitForDeployment();
  const governance = await timelock.getAddress();
  const DEFAULT_ADMIN = await manager.DEFAULT_ADMIN_ROLE();

  const grants: Array<[RoleContract, string, string]> = [
    [timelock, await timelock.PROPOSER_ROLE(), await council.getAddress()],
    [timelock, await timelock.CANCELLER_ROLE(), await council.getAddress()],
    [payees, await payees.PAYEE_ADMIN_ROLE(), roles.bank],
    [evidence, await evidence.ANCHORER_ROLE(), roles.bank],
    [manager, await manager.BANK_ROLE(), roles.bank],
    [manager, await manager.REGULATOR_ROLE(), roles.regulator],
    [manager, await manager.FISCAL_ROLE(), roles.fiscal],
    [payees, DEFAULT_ADMIN, governance],
    [evidence, DEFAULT_ADMIN, governance],
    [manager, DEFAULT_ADMIN, governance],
  ];
  const renounce: Array<[RoleContract, string]> = [
    [timelock, DEFAULT_ADMIN],
    [payees, DEFAULT_ADMIN],
    [payees, await payees.PAYEE_ADMIN_ROLE()],
    [evidence, DEFAULT_ADMIN],
    [manager, DEFAULT_ADMIN],
  ];
  if (!roles.token) {
    const MINTER = await token.MINTER_ROLE();
    grants.push([token, DEFAULT_ADMIN, governance], [token, MINTER, governance]);
    if (roles.issuer) grants.push([token, MINTER, roles.issuer]);
    renounce.push([token, DEFAULT_ADMIN], [token, MINTER]);
  }
  for (const [contract, role, account] of grants) await send(contract.grantRole(role, account));
  await send(evidence.setConsumer(await manager.getAddress()));
  await send(manager.setTreasury(roles.treasury));
  if (!roles.token && roles.float) await send(token.mint(roles.bank, roles.float));
  // Renounce last, the admin role of each contract after its other roles.
  for (const [contract, role] of renounce.reverse()) await send(contract.renounceRole(role, admin));

  const tables: Array<[string, RoleContract, string[]]> = [
    ["TimelockController", timelock, ["DEFAULT_ADMIN_ROLE", "PROPOSER_ROLE", "CANCELLER_ROLE", "EXECUTOR_ROLE"]],
    ["PayeeRegistry", payees, ["DEFAULT_ADMIN_ROLE", "PAYEE_ADMIN_ROLE"]],
    ["EvidenceRegistry", evidence, ["DEFAULT_ADMIN_ROLE", "ANCHORER_ROLE"]],
    ["FacilityManager", manager, ["DEFAULT_ADMIN_ROLE", "BANK_ROLE", "REGULATOR_ROLE", "FISCAL_ROLE"]],
  ];
  if (!roles.token) tables.push(["SettlementToken", token, ["DEFAULT_ADMIN_ROLE", "MINTER_ROLE"]]);
  const candidates = [
    ...new Set([
      admin,
      governance,
      await council.getAddress(),
      roles.bank,
      roles.regulator,
      roles.fiscal,
      roles.treasury,
      ...roles.governance,
      ...(roles.issuer ? [roles.issuer] : []),
      ZeroAddress, // an open role (the timelock's executor: anyone, once the delay has passed)
    ]),
  ];
  const holders: RoleHolders = {};
  for (const [name, contract, roleNames] of tables) {
    holders[name] = {};
    for (const roleName of roleNames) {
      const role = roleName === "DEFAULT_ADMIN_ROLE" ? ZeroHash : id(roleName);
      const held = await Promise.all(candidates.map((account) => contract.hasRole(role, account)));
      holders[name][roleName] = candidates.filter((_, i) => held[i]);
    }
  }
  const kept = Object.entries(holders).flatMap(([name, byRole]) =>
    Object.entries(byRole)
      .filter(([, accounts]) => accounts.some((account) => account.toLowerCase() === admin.toLowerCase()))
      .map(([role]) => `${name}.${role}`),
  );
  if (kept.length > 0) throw new Error(`the deployer ${admin} still holds ${kept.join(", ")}`);
  return { token, payees, evidence, manager, timelock, council, holders };
}
