/**
 * The whole system as real processes, as it runs in a deployment: a `hardhat node` chain process with the contracts
 * deployed by scripts/deploy.ts, the bank node and the regulator node (`node --import tsx server/main.ts`), each with
 * its own SQLite database, documents and keys, and API keys of every role on each node (one active and one revoked
 * per role). The regulator node reaches the bank node with a regulator key issued by the admin command.
 */
import { JsonRpcProvider } from "ethers";
import fs from "node:fs";
import path from "node:path";
import { deploy } from "../../scripts/deploy";
import { startChainNode, type ChainNode, type ChainNodeKind } from "../../scripts/lib/chain-node";
import { parseDeployConfig } from "../../scripts/lib/deploy-config";
import type { Deployment } from "../../scripts/lib/deployments";
import { createApiKeys } from "../../server/auth/api-keys";
import { ROLES, type Role } from "../../server/auth/roles";
import { createDatabase } from "../../server/db/client";
import { migrateDatabase } from "../../server/db/migrate";
import {
  EvidenceRegistry__factory,
  FacilityManager__factory,
  PayeeRegistry__factory,
  SettlementToken__factory,
} from "../../typechain-types";
import { matrixSubject, type MatrixKeys, type NodeRole } from "./authorizationMatrix";
import { issueKey, startNodeProcess, tempDir, type NodeProcess } from "./processes";

const ROOT = path.resolve(__dirname, "..", "..");

export interface LiveSystem {
  dir: string;
  chainNode: ChainNode;
  /** A provider of the test's own, on the chain node. */
  provider: JsonRpcProvider;
  deployment: Deployment;
  /** The deployed contracts, read through `provider`. */
  contracts: {
    registry: ReturnType<typeof EvidenceRegistry__factory.connect>;
    manager: ReturnType<typeof FacilityManager__factory.connect>;
    payees: ReturnType<typeof PayeeRegistry__factory.connect>;
    token: ReturnType<typeof SettlementToken__factory.connect>;
  };
  nodes: Record<NodeRole, NodeProcess>;
  keys: Record<NodeRole, MatrixKeys>;
  /** A node's SQLite database file and document store. */
  dataDir(node: NodeRole): string;
  stop(): Promise<void>;
}

/** Issues one active and one revoked key of every role in a node's database, as scripts/keys.ts does. */
async function issueMatrixKeys(databaseUrl: string, node: NodeRole): Promise<MatrixKeys> {
  await migrateDatabase(databaseUrl);
  const db = createDatabase(databaseUrl);
  try {
    const apiKeys = createApiKeys({ db });
    const keys: MatrixKeys = { active: {} as Record<Role, string>, revoked: {} as Record<Role, string> };
    for (const role of ROLES) {
      const institution = `${node}-${role}`;
      const subject = matrixSubject(role);
      keys.active[role] = (await apiKeys.issue({ role, institution, label: "active", subject })).key;
      const old = await apiKeys.issue({ role, institution, label: "revoked", subject });
      await apiKeys.revoke(old.id);
      keys.revoked[role] = old.key;
    }
    return keys;
  } finally {
    await db.close();
  }
}

/**
 * Issues an API key in a running node's database (as `npm run keys -- issue` does), bound to its subject: a borrower's
 * or a payee's address (and a borrower's credit code). The institution is the name admission matches the key by.
 */
export async function issueKeyOn(
  system: Pick<LiveSystem, "dataDir">,
  node: NodeRole,
  key: { role: Role; institution: string; subject?: { address: string; creditCode?: string } },
): Promise<string> {
  const db = createDatabase(`file:${path.join(system.dataDir(node), "db.sqlite")}`);
  try {
    return (await createApiKeys({ db }).issue({ ...key, label: "test" })).key;
  } finally {
    await db.close();
  }
}

/**
 * Starts the system on the given ports. `env` adds settings to both nodes (the bank node also gets
 * REGULATOR_NODE_URL, so it serves the dashboard's /regulator-api proxy).
 */
export async function startLiveSystem(options: {
  name: string;
  ports: { chain: number; bank: number; regulator: number };
  env?: Record<string, string>;
  bankEnv?: Record<string, string>;
  /** The chain node: a `hardhat node` mining on each transaction by default; `npm start` runs anvil, a block a second. */
  chain?: { kind: ChainNodeKind; intervalMs?: number };
}): Promise<LiveSystem> {
  const dir = tempDir(options.name);
  const chainLog = fs.createWriteStream(path.join(dir, "chain.log"));
  const chainNode = await startChainNode({
    kind: options.chain?.kind ?? "hardhat",
    intervalMs: options.chain?.intervalMs,
    port: options.ports.chain,
    log: (line) => chainLog.write(line),
  });
  const provider = new JsonRpcProvider(chainNode.url, undefined, { staticNetwork: true, pollingInterval: 100 });
  const deploymentsFile = path.join(dir, "deployment.json");
  const deployment = await deploy(
    parseDeployConfig({ RPC_URL: chainNode.url, DEPLOYMENTS_FILE: deploymentsFile }),
    () => undefined,
  );
  const dataDir = (node: NodeRole) => path.join(dir, node);
  const url = (node: NodeRole) => `http://127.0.0.1:${options.ports[node]}`;
  const common = { DEPLOYMENTS_FILE: deploymentsFile, LOG_LEVEL: "warn", ...options.env };
  const bankEnv = {
    ...common,
    PORT: String(options.ports.bank),
    DATA_DIR: dataDir("bank"),
    REGULATOR_NODE_URL: url("regulator"),
    ...options.bankEnv,
  };
  const regulatorEnv = {
    ...common,
    PORT: String(options.ports.regulator),
    DATA_DIR: dataDir("regulator"),
    BANK_NODE_URL: url("bank"),
    BANK_NODE_API_KEY: issueKey(bankEnv, "bank", "regulator", "regulator-node"),
    REGISTRY_SEED_FILE: path.join(ROOT, "seed", "regulator-registry.json"),
  };
  const keys = {
    bank: await issueMatrixKeys(`file:${path.join(dataDir("bank"), "db.sqlite")}`, "bank"),
    regulator: await issueMatrixKeys(`file:${path.join(dataDir("regulator"), "db.sqlite")}`, "regulator"),
  };
  const nodes = {} as Record<NodeRole, NodeProcess>;
  const stop = async () => {
    await nodes.regulator?.stop();
    await nodes.bank?.stop();
    provider.destroy();
    await chainNode.stop();
    chainLog.end();
  };
  try {
    nodes.bank = await startNodeProcess("bank", bankEnv);
    nodes.regulator = await startNodeProcess("regulator", regulatorEnv);
  } catch (error) {
    await stop();
    throw error;
  }
  const { contracts } = deployment;
  return {
    dir,
    chainNode,
    provider,
    deployment,
    contracts: {
      registry: EvidenceRegistry__factory.connect(contracts.EvidenceRegistry, provider),
      manager: FacilityManager__factory.connect(contracts.FacilityManager, provider),
      payees: PayeeRegistry__factory.connect(contracts.PayeeRegistry, provider),
      token: SettlementToken__factory.connect(contracts.SettlementToken, provider),
    },
    nodes,
    keys,
    dataDir,
    stop,
  };
}
