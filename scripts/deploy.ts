/**
 * Deploys the contract set to any JSON-RPC node and writes the addresses to deployments/<chainId>.json.
 *
 *   RPC_URL=http://127.0.0.1:8545 npx ts-node scripts/deploy.ts        # a dev node (hardhat node or anvil): dev accounts
 *   RPC_URL=… EXPECTED_CHAIN_ID=… DEPLOYER_KEY=0x… BANK_ADDRESS=… REGULATOR_ADDRESS=… FISCAL_ADDRESS=… \
 *     VERIFIER_ADDRESSES=0x…,0x… VERIFIER_THRESHOLD=2 npx ts-node scripts/deploy.ts
 */
import { JsonRpcProvider, NonceManager, Wallet } from "ethers";
import { deploySystem } from "./lib/deploy";
import { devWallet, parseDeployConfig, type DeployConfig } from "./lib/deploy-config";
import { defaultDeploymentsFile, writeDeployment, type Deployment } from "./lib/deployments";

export async function deploy(config: DeployConfig, log: (line: string) => void = console.log): Promise<Deployment> {
  const provider = new JsonRpcProvider(config.RPC_URL, undefined, { staticNetwork: true, pollingInterval: 100 });
  const { chainId } = await provider.getNetwork();
  if (config.EXPECTED_CHAIN_ID !== undefined && BigInt(config.EXPECTED_CHAIN_ID) !== chainId) {
    throw new Error(
      `chain id check failed: ${config.RPC_URL} is chain ${chainId}, EXPECTED_CHAIN_ID is ${config.EXPECTED_CHAIN_ID}`,
    );
  }
  const deployer = new NonceManager(
    config.dev ? devWallet("admin").connect(provider) : new Wallet(config.DEPLOYER_KEY!, provider),
  );
  const roles = {
    admin: await deployer.getAddress(),
    bank: config.BANK_ADDRESS ?? devWallet("bank").address,
    regulator: config.REGULATOR_ADDRESS ?? devWallet("regulator").address,
    fiscal: config.FISCAL_ADDRESS ?? devWallet("fiscal").address,
    verifiers: config.VERIFIER_ADDRESSES ?? [devWallet("bankVerifier").address, devWallet("regulatorVerifier").address],
    threshold: config.VERIFIER_THRESHOLD ?? 2,
    token: config.TOKEN_ADDRESS,
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
    },
    roles: {
      admin: roles.admin,
      bank: roles.bank,
      regulator: roles.regulator,
      fiscal: roles.fiscal,
      verifiers: roles.verifiers,
      threshold: roles.threshold,
    },
  };
  const file = config.DEPLOYMENTS_FILE ?? defaultDeploymentsFile(chainId);
  writeDeployment(file, deployment);
  for (const [name, address] of Object.entries(deployment.contracts)) log(`  ${name.padEnd(16)} ${address}`);
  log(`wrote ${file}`);
  provider.destroy();
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
