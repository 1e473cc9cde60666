/**
 * The first steps of every test on real processes: a `hardhat node` on a port the kernel picked, the contracts
 * deployed by scripts/deploy.ts, and the settings of the bank node and the regulator node (their ports picked, the
 * regulator's key at the bank node issued). The caller issues its keys and starts the nodes (startNodeProcess).
 */
import { JsonRpcProvider } from "ethers";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../scripts/bench/lib/system";
import { deploy } from "../../scripts/deploy";
import { startChainNode, type ChainNode } from "../../scripts/lib/chain-node";
import { devWallet, parseDeployConfig } from "../../scripts/lib/deploy-config";
import { createChain, type Chain } from "../../server/chain/chain";
import type { Deployment } from "../../server/chain/deployment";
import { issueKey } from "./processes";

const ROOT = path.resolve(__dirname, "..", "..");

export interface LiveChain {
  chainNode: ChainNode;
  provider: JsonRpcProvider;
  deployment: Deployment;
  bankPort: number;
  regulatorPort: number;
  /** The bank node's settings (reviews on demand: no scheduler). */
  bankEnv: Record<string, string>;
  /** The regulator node's settings, with its key at the bank node and the seeded registry. */
  regulatorEnv: Record<string, string>;
}

/**
 * Starts the chain node (its log in `dir`/chain.log) and deploys; `deployEnv` adds deploy settings, read from the
 * chain node once it runs (an issuer account, for example).
 */
export async function startLiveChain(
  dir: string,
  deployEnv: (provider: JsonRpcProvider) => Promise<Record<string, string>> = async () => ({}),
): Promise<LiveChain> {
  const [chainPort, bankPort, regulatorPort] = [await freePort(), await freePort(), await freePort()];
  const chainLog = fs.createWriteStream(path.join(dir, "chain.log"));
  const chainNode = await startChainNode({ kind: "hardhat", port: chainPort, log: (line) => chainLog.write(line) });
  const provider = new JsonRpcProvider(chainNode.url, undefined, { staticNetwork: true, pollingInterval: 100 });
  const deploymentsFile = path.join(dir, "deployment.json");
  const deployment = await deploy(
    parseDeployConfig({ RPC_URL: chainNode.url, DEPLOYMENTS_FILE: deploymentsFile, ...(await deployEnv(provider)) }),
    () => undefined,
  );
  const common = { DEPLOYMENTS_FILE: deploymentsFile, POLL_INTERVAL_MS: "100", LOG_LEVEL: "warn" };
  const bankEnv = {
    ...common,
    PORT: String(bankPort),
    DATA_DIR: path.join(dir, "bank"),
    BATCH_MAX_AGE_MS: "300",
    REVIEW_CHECK_MS: "0",
  };
  const regulatorEnv = {
    ...common,
    PORT: String(regulatorPort),
    DATA_DIR: path.join(dir, "regulator"),
    BANK_NODE_URL: `http://127.0.0.1:${bankPort}`,
    BANK_NODE_API_KEY: issueKey(bankEnv, "bank", "regulator", "regulator-node"),
    REGISTRY_SEED_FILE: path.join(ROOT, "seed", "regulator-registry.json"),
  };
  return { chainNode, provider, deployment, bankPort, regulatorPort, bankEnv, regulatorEnv };
}

/** A chain node with the contracts deployed, for tests that compose a node in process (serveBankNode). */
export interface DeployedChain {
  /** a new temporary directory (the deployments file is there), removed by `stop` */
  dir: string;
  chainNode: ChainNode;
  deployment: Deployment;
  /** the chain as the bank node reaches it, with the bank's key */
  chain: Chain;
  stop(): Promise<void>;
}

/** A `hardhat node` on a free port with the contracts deployed by scripts/deploy.ts, in a directory named by `prefix`. */
export async function startDeployedChain(prefix: string): Promise<DeployedChain> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `qfm-${prefix}-`));
  let chainNode: ChainNode | undefined;
  try {
    chainNode = await startChainNode({ kind: "hardhat", port: await freePort() });
    const deployment = await deploy(
      parseDeployConfig({ RPC_URL: chainNode.url, DEPLOYMENTS_FILE: path.join(dir, "deployment.json") }),
      () => undefined,
    );
    const chain = createChain({ deployment, signerKey: devWallet("bank").privateKey });
    const node = chainNode;
    return {
      dir,
      chainNode: node,
      deployment,
      chain,
      async stop() {
        chain.close();
        await node.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await chainNode?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
