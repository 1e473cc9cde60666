/**
 * The demo scenario on real processes, for the dashboard in Chromium: anvil with the contracts deployed, the bank node
 * serving web/dist with demo logins, the regulator node with the registry seed, and the demo seeded through the APIs
 * (scripts/lib/demo-seed.ts: facility 1 paid in part and reviewed, facility 2 frozen by a failed spot check). Each role
 * has a demo login; the bank officer's also holds its key at the regulator node, so its timeline shows the
 * regulator's reasons for a REJECT.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { deploy } from "../../scripts/deploy";
import { freePort } from "../../scripts/bench/lib/system";
import { startChainNode, type ChainNode } from "../../scripts/lib/chain-node";
import { parseDeployConfig } from "../../scripts/lib/deploy-config";
import { DEMO_SUBJECTS, seedDemo } from "../../scripts/lib/demo-seed";
import { createApiKeys } from "../../server/auth/api-keys";
import type { Role } from "../../server/auth/roles";
import { createDatabase } from "../../server/db/client";
import { migrateDatabase } from "../../server/db/migrate";
import type { Browser } from "playwright-core";
import { browserSessions, ensureWebBuilt, launchBrowser, WEB_DIST } from "./browser";
import { client, startNodeProcess, tempDir, type NodeProcess } from "./processes";

const ROOT = path.resolve(__dirname, "..", "..");
export const DEMO_BORROWER = "宁波甬鑫轴承有限公司 Ningbo Yongxin Bearings";

const newKey = () => `qfm_${randomBytes(24).toString("base64url")}`;

async function registerKeys(
  dataDir: string,
  keys: Array<{ role: Role; institution: string; label: string; key: string; subject?: { address: string } }>,
) {
  const url = `file:${path.join(dataDir, "db.sqlite")}`;
  fs.mkdirSync(dataDir, { recursive: true });
  await migrateDatabase(url);
  const db = createDatabase(url);
  try {
    const apiKeys = createApiKeys({ db });
    for (const k of keys) await apiKeys.register(k);
  } finally {
    await db.close();
  }
}

export interface LiveDemo {
  chainNode: ChainNode;
  provider: JsonRpcProvider;
  bank: NodeProcess;
  regulator: NodeProcess;
  bankUrl: string;
  regulatorUrl: string;
  dir: string;
  keys: {
    officer: string;
    regulatorAtBank: string;
    borrower: string;
    supplier: string;
    inspector: string;
    officerAtRegulator: string;
  };
  /** Clients of the nodes: the bank officer and the inspector. */
  officer: ReturnType<typeof client>;
  inspector: ReturnType<typeof client>;
  /** Moves the chain's time on by `seconds` and mines a block. */
  advance(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startLiveDemo(name: string): Promise<LiveDemo> {
  ensureWebBuilt();
  const dir = tempDir(name);
  const keys: LiveDemo["keys"] = {
    officer: newKey(),
    regulatorAtBank: newKey(),
    borrower: newKey(),
    supplier: newKey(),
    inspector: newKey(),
    officerAtRegulator: newKey(),
  };
  const [chainPort, bankPort, regulatorPort] = [await freePort(), await freePort(), await freePort()];
  const bankUrl = `http://127.0.0.1:${bankPort}`;
  const regulatorUrl = `http://127.0.0.1:${regulatorPort}`;
  const chainNode = await startChainNode({ kind: "anvil", port: chainPort });
  const deploymentsFile = path.join(dir, "deployment.json");
  await deploy(parseDeployConfig({ RPC_URL: chainNode.url, DEPLOYMENTS_FILE: deploymentsFile }), () => undefined);
  await registerKeys(path.join(dir, "bank"), [
    { role: "bank_officer", institution: "Ningbo Bank", label: "credit-officer", key: keys.officer },
    { role: "regulator", institution: "Ningbo AMR", label: "regulator-node", key: keys.regulatorAtBank },
    {
      role: "borrower",
      institution: DEMO_BORROWER,
      label: "finance",
      key: keys.borrower,
      subject: DEMO_SUBJECTS.borrower,
    },
    {
      role: "supplier",
      institution: "Ningbo Precision CNC",
      label: "sales",
      key: keys.supplier,
      subject: DEMO_SUBJECTS.supplier,
    },
  ]);
  await registerKeys(path.join(dir, "regulator"), [
    { role: "regulator", institution: "Ningbo AMR", label: "inspector", key: keys.inspector },
    { role: "bank_officer", institution: "Ningbo Bank", label: "credit-officer", key: keys.officerAtRegulator },
  ]);
  const logins = path.join(dir, "demo-logins.json");
  fs.writeFileSync(
    logins,
    JSON.stringify([
      {
        role: "bank_officer",
        label: "Ningbo Bank credit officer",
        bankKey: keys.officer,
        regulatorKey: keys.officerAtRegulator,
      },
      { role: "regulator", label: "Ningbo AMR inspector", bankKey: keys.regulatorAtBank, regulatorKey: keys.inspector },
      { role: "borrower", label: "Ningbo Yongxin Bearings", bankKey: keys.borrower },
      { role: "supplier", label: "Ningbo Precision CNC", bankKey: keys.supplier },
    ]),
  );
  const common = {
    DEPLOYMENTS_FILE: deploymentsFile,
    RPC_URL: chainNode.url,
    POLL_INTERVAL_MS: "100",
    LOG_LEVEL: "warn",
    BATCH_MAX_AGE_MS: "300",
    REVIEW_CHECK_MS: "0",
  };
  const bank = await startNodeProcess("bank", {
    ...common,
    PORT: String(bankPort),
    DATA_DIR: path.join(dir, "bank"),
    WEB_DIR: WEB_DIST,
    REGULATOR_NODE_URL: regulatorUrl,
    DEMO_LOGINS_FILE: logins,
  });
  const regulator = await startNodeProcess("regulator", {
    ...common,
    PORT: String(regulatorPort),
    DATA_DIR: path.join(dir, "regulator"),
    BANK_NODE_URL: bankUrl,
    BANK_NODE_API_KEY: keys.regulatorAtBank,
    REGISTRY_SEED_FILE: path.join(ROOT, "seed", "regulator-registry.json"),
  });
  await seedDemo(
    { bank: bankUrl, regulator: regulatorUrl },
    { officer: keys.officer, inspector: keys.inspector },
    () => undefined,
  );
  const provider = new JsonRpcProvider(chainNode.url);
  return {
    chainNode,
    provider,
    bank,
    regulator,
    bankUrl,
    regulatorUrl,
    dir,
    keys,
    officer: client(bankUrl, keys.officer),
    inspector: client(regulatorUrl, keys.inspector),
    async advance(seconds) {
      await provider.send("evm_increaseTime", [seconds]);
      await provider.send("evm_mine", []);
    },
    async stop() {
      provider.destroy();
      await regulator.stop();
      await bank.stop();
      await chainNode.stop();
      if (!process.env.E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The mocha hooks of a suite of dashboard tests on one live demo: before, the demo (then `setUp`, e.g. a decision to
 * co-sign) and a browser; after each test, the pages' text when it failed and its sessions closed; after, both stopped.
 */
export function liveDemoInChromium(name: string, setUp: (demo: LiveDemo) => Promise<void> = async () => undefined) {
  const state: { demo?: LiveDemo; browser?: Browser } = {};
  const sessions = browserSessions(
    () => state.browser!,
    () => state.demo!.bankUrl,
  );
  before(async function () {
    // Deploying and seeding takes a minute or two, more on a loaded machine.
    this.timeout(900_000);
    state.demo = await startLiveDemo(name);
    await setUp(state.demo);
    state.browser = await launchBrowser();
  });
  after(async function () {
    await state.browser?.close();
    await state.demo?.stop();
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed") await sessions.dump();
    await sessions.closeAll();
  });
  return {
    sessions,
    demo: (): LiveDemo => state.demo!,
    browser: (): Browser => state.browser!,
  };
}
