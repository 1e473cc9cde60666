/**
 * Deploys the contract set to any JSON-RPC node and writes the addresses to deployments/<chainId>.json.
 *
 *   RPC_URL=http://127.0.0.1:8545 npm run deploy        # a dev node (hardhat node or anvil, chain 31337): dev accounts
 *   RPC_URL=… EXPECTED_CHAIN_ID=… DEPLOYER_KEY_FILE=… BANK_ADDRESS=… REGULATOR_ADDRESS=… FISCAL_ADDRESS=… \
 *     VERIFIER_ADDRESSES=0x…,0x… VERIFIER_THRESHOLD=2 TREASURY_ADDRESS=… GOVERNANCE_ADDRESSES=0x…,0x… npm run deploy
 *
 * The deployer keeps no role: admin powers go to a timelock whose only proposer is the council of GOVERNANCE_ADDRESSES
 * (docs/deployment.md has the key ceremony).
 *
 * On any chain but 31337 it requires EXPECTED_CHAIN_ID and DEPLOYER_KEY(_FILE), and it refuses to overwrite a deployments file
 * whose contracts are live on that chain (docs/deployment.md).
 */
import fs from "node:fs";
import { JsonRpcProvider, NonceManager, Wallet } from "ethers";
import { deploySystem, type Roles } from "./lib/deploy";
import {
  DEFAULT_GOVERNANCE_DELAY_SECONDS,
  DEV_CHAIN_ID,
  DEV_FLOAT_FEN,
  DEV_GOVERNANCE_DELAY_SECONDS,
  checkDeployTarget,
  devWallet,
  parseDeployConfig,
  type DeployConfig,
} from "./lib/deploy-config";
import { defaultDeploymentsFile, readDeployment, writeDeployment, type Deployment } from "./lib/deployments";

/**
 * Off the development chain a second deployment must not replace a live one's file: the nodes would follow new, empty
 * contracts on their next start while the facilities' money stays in the old ones.
 */
async function refuseOverwrite(file: string, chainId: bigint, provider: JsonRpcProvider): Promise<void> {
  if (chainId === DEV_CHAIN_ID || !fs.existsSync(file)) return;
  const existing = readDeployment(file);
  if (existing.chainId !== chainId.toString()) return;
  const manager = existing.contracts.FacilityManager;
  if ((await provider.getCode(manager)) === "0x") return;
  throw new Error(
    `DEPLOYMENTS_FILE: ${file} describes a live deployment on chain ${chainId} (FacilityManager ${manager} has code); move it away or set DEPLOYMENTS_FILE to another file to deploy a second set`,
  );
}

export async function deploy(config: DeployConfig, log: (line: string) => void = console.log): Promise<Deployment> {
  const provider = new JsonRpcProvider(config.RPC_URL, undefined, { staticNetwork: true, pollingInterval: 100 });
  try {
    return await deployWith(provider, config, log);
  } finally {
    provider.destroy();
  }
}

async function deployWith(
  provider: JsonRpcProvider,
  config: DeployConfig,
  log: (line: string) => void,
): Promise<Deployment> {
  for (const warning of config.warnings ?? []) log(`warning: ${warning}`);
  const { chainId } = await provider.getNetwork();
  checkDeployTarget(config, chainId);
  const file = config.DEPLOYMENTS_FILE ?? defaultDeploymentsFile(chainId);
  await refuseOverwrite(file, chainId, provider);
  const deployer = new NonceManager(
    config.dev ? devWallet("admin").connect(provider) : new Wallet(config.DEPLOYER_KEY!, provider),
  );
  const governance = config.GOVERNANCE_ADDRESSES ?? [
    devWallet("bankGovernance").address,
    devWallet("regulatorGovernance").address,
  ];
  const roles: Roles = {
    admin: await deployer.getAddress(),
    bank: config.BANK_ADDRESS ?? devWallet("bank").address,
    regulator: config.REGULATOR_ADDRESS ?? devWallet("regulator").address,
    fiscal: config.FISCAL_ADDRESS ?? devWallet("fiscal").address,
    verifiers: config.VERIFIER_ADDRESSES ?? [devWallet("bankVerifier").address, devWallet("regulatorVerifier").address],
    threshold: config.VERIFIER_THRESHOLD ?? 2,
    treasury: config.TREASURY_ADDRESS ?? devWallet("treasury").address,
    governance,
    governanceThreshold: config.GOVERNANCE_THRESHOLD ?? governance.length,
    governanceDelay:
      config.GOVERNANCE_DELAY_SECONDS ??
      (chainId === DEV_CHAIN_ID ? DEV_GOVERNANCE_DELAY_SECONDS : DEFAULT_GOVERNANCE_DELAY_SECONDS),
    token: config.TOKEN_ADDRESS,
    issuer: config.ISSUER_ADDRESS,
    float: config.TOKEN_ADDRESS ? undefined : (config.INITIAL_FLOAT_FEN ?? (config.dev ? DEV_FLOAT_FEN : 0n)),
  };
  log(`deploying to chain ${chainId} at ${config.RPC_URL} from ${roles.admin}${config.dev ? " (dev accounts)" : ""}`);
  const startBlock = await provider.getBlockNumber();
  const system = await deploySystem(deployer, roles);
  const deployment: Deployment = {
    chainId: chainId.toString(),
    rpcUrl: config.RPC_URL,
    deployedAt: new Date().toISOString(),
    startBlock,
    blockNumber: await provider.getBlockNumber(),
    contracts: {
      SettlementToken: await system.token.getAddress(),
      PayeeRegistry: await system.payees.getAddress(),
      EvidenceRegistry: await system.evidence.getAddress(),
      FacilityManager: await system.manager.getAddress(),
      TimelockController: await system.timelock.getAddress(),
      GovernanceCouncil: await system.council.getAddress(),
    },
    roles: {
      admin: roles.admin,
      bank: roles.bank,
      regulator: roles.regulator,
      fiscal: roles.fiscal,
      verifiers: roles.verifiers,
      threshold: roles.threshold,
      treasury: roles.treasury,
      governance: {
        members: roles.governance,
        threshold: roles.governanceThreshold,
        delaySeconds: roles.governanceDelay,
      },
      ...(roles.issuer ? { issuer: roles.issuer } : {}),
      ...(roles.float ? { float: roles.float.toString() } : {}),
    },
    holders: system.holders,
    deployerKeeps: [],
  };
  writeDeployment(file, deployment);
  for (const [name, address] of Object.entries(deployment.contracts)) log(`  ${name.padEnd(16)} ${address}`);
  log(`wrote ${file}`);
  return deployment;
}

if (require.main === module) {
  Promise.resolve()
    .then(() => deploy(parseDeployConfig()))
    .catch((error: Error) => {
      console.error(`deploy failed: ${error.message}`);
      process.exit(1);
    });
}
