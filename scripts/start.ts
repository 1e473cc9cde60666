/**
 * `npm start`: the whole system on one machine, each part its own process:
 *   a chain node (anvil, its state kept in data/chain so a second start resumes it), the contracts deployed once,
 *   the bank node (port 8080) and the market regulator's node (port 8081), each with its own database under data/.
 * `npm start -- --reset` starts over. Ctrl-C stops every process. On the first start it seeds a demo through the APIs
 * (two facilities: one mid-life with a review discount, one frozen after a failed spot check); `--no-seed` skips it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { createApiKeys } from "../server/auth/api-keys";
import type { Role } from "../server/auth/roles";
import { createDatabase } from "../server/db/client";
import { migrateDatabase } from "../server/db/migrate";
import { deploy } from "./deploy";
import { assertPortFree, startChainNode, type ChainNode } from "./lib/chain-node";
import { parseDeployConfig } from "./lib/deploy-config";
import { readDeployment } from "./lib/deployments";
import { seedDemo } from "./lib/demo-seed";

const ROOT = path.resolve(__dirname, "..");
const DATA = path.join(ROOT, "data");
const CHAIN_PORT = Number(process.env.CHAIN_PORT ?? 8545);
const BANK_PORT = Number(process.env.BANK_PORT ?? 8080);
const REGULATOR_PORT = Number(process.env.REGULATOR_PORT ?? 8081);

type DemoKeys = Record<"bank" | "regulator", Array<{ role: Role; institution: string; label: string; key: string }>>;

const step = (n: number, total: number, text: string) => console.log(`[${n}/${total}] ${text}`);

/** Demo API keys: made once, kept in data/demo-keys.json, registered in each node's database. */
async function demoKeys(): Promise<DemoKeys> {
  const file = path.join(DATA, "demo-keys.json");
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8")) as DemoKeys;
  const key = () => `qfm_${randomBytes(24).toString("base64url")}`;
  const keys: DemoKeys = {
    bank: [
      { role: "bank_officer", institution: "Ningbo Bank", label: "credit-officer", key: key() },
      { role: "regulator", institution: "Ningbo AMR", label: "regulator-node", key: key() },
      { role: "borrower", institution: "Ningbo Yongxin Bearings", label: "finance", key: key() },
      { role: "supplier", institution: "Ningbo Precision CNC", label: "sales", key: key() },
    ],
    regulator: [
      { role: "regulator", institution: "Ningbo AMR", label: "inspector", key: key() },
      { role: "bank_officer", institution: "Ningbo Bank", label: "credit-officer", key: key() },
    ],
  };
  fs.writeFileSync(file, JSON.stringify(keys, null, 2) + "\n", { mode: 0o600 });
  return keys;
}

async function registerKeys(node: "bank" | "regulator", keys: DemoKeys[typeof node]): Promise<void> {
  const url = `file:${path.join(DATA, node, "db.sqlite")}`;
  await migrateDatabase(url);
  const db = createDatabase(url);
  try {
    const apiKeys = createApiKeys({ db });
    for (const k of keys) await apiKeys.register(k);
  } finally {
    await db.close();
  }
}

function startNode(role: "bank" | "regulator", env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "server", "main.ts")], {
    cwd: ROOT,
    env: { ...process.env, NODE_ROLE: role, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn", ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const url = `http://127.0.0.1:${env.PORT}/health`;
  return new Promise((resolve, reject) => {
    child.once("exit", (code) =>
      reject(new Error(`the ${role} node exited during start-up (code ${code}); see its output above`)),
    );
    const poll = async () => {
      try {
        if ((await fetch(url)).ok) return resolve(child);
      } catch {
        // not listening yet
      }
      setTimeout(() => void poll(), 250);
    };
    void poll();
  });
}

async function main(): Promise<void> {
  const reset = process.argv.includes("--reset");
  if (reset && fs.existsSync(DATA)) {
    console.log("--reset: removing data/");
    fs.rmSync(DATA, { recursive: true, force: true });
  }
  fs.mkdirSync(path.join(DATA, "chain"), { recursive: true });
  for (const [port, what] of [
    [CHAIN_PORT, "chain node (CHAIN_PORT)"],
    [BANK_PORT, "bank node (BANK_PORT)"],
    [REGULATOR_PORT, "regulator node (REGULATOR_PORT)"],
  ] as const) {
    await assertPortFree(port, what);
  }

  const children: ChildProcess[] = [];
  let chain: ChainNode | undefined;
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log("\nstopping…");
    for (const child of children.reverse()) {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        });
      }
    }
    await chain?.stop();
    console.log("stopped; data/ is kept for the next npm start (npm start -- --reset starts over)");
    process.exit(code);
  };
  process.once("SIGINT", () => void stopAll(0));
  process.once("SIGTERM", () => void stopAll(0));

  try {
    step(1, 5, `starting the chain node (anvil, state in data/chain) on port ${CHAIN_PORT}…`);
    chain = await startChainNode({
      kind: "anvil",
      port: CHAIN_PORT,
      intervalMs: 1_000,
      stateFile: path.join(DATA, "chain", "state.json"),
    });

    const deploymentsFile = path.join(DATA, "deployments.json");
    const provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true });
    const deployed =
      fs.existsSync(deploymentsFile) &&
      (await provider.getCode(readDeployment(deploymentsFile).contracts.FacilityManager)) !== "0x";
    provider.destroy();
    if (deployed) step(2, 5, "contracts already deployed (data/deployments.json)");
    else {
      step(2, 5, "deploying the contracts…");
      await deploy(parseDeployConfig({ RPC_URL: chain.url, DEPLOYMENTS_FILE: deploymentsFile }), (line) =>
        console.log(`      ${line}`),
      );
    }

    step(3, 5, "preparing the nodes' databases and demo API keys…");
    const keys = await demoKeys();
    await registerKeys("bank", keys.bank);
    await registerKeys("regulator", keys.regulator);

    const common = { DEPLOYMENTS_FILE: deploymentsFile, RPC_URL: chain.url, CONFIRMATIONS: "1" };
    step(4, 5, `starting the bank node on port ${BANK_PORT}…`);
    const logins = path.join(DATA, "demo-logins.json");
    fs.writeFileSync(
      logins,
      JSON.stringify(
        [
          { role: "bank_officer", label: "Ningbo Bank credit officer", bankKey: keys.bank[0].key },
          {
            role: "regulator",
            label: "Ningbo AMR inspector",
            bankKey: keys.bank[1].key,
            regulatorKey: keys.regulator[0].key,
          },
          { role: "borrower", label: "Ningbo Yongxin Bearings", bankKey: keys.bank[2].key },
          { role: "supplier", label: "Ningbo Precision CNC", bankKey: keys.bank[3].key },
        ],
        null,
        2,
      ) + "\n",
      { mode: 0o600 },
    );
    children.push(
      await startNode("bank", {
        ...common,
        PORT: String(BANK_PORT),
        DATA_DIR: path.join(DATA, "bank"),
        REGULATOR_NODE_URL: `http://127.0.0.1:${REGULATOR_PORT}`,
        DEMO_LOGINS_FILE: logins,
      }),
    );
    step(5, 5, `starting the regulator node on port ${REGULATOR_PORT}…`);
    children.push(
      await startNode("regulator", {
        ...common,
        PORT: String(REGULATOR_PORT),
        DATA_DIR: path.join(DATA, "regulator"),
        BANK_NODE_URL: `http://127.0.0.1:${BANK_PORT}`,
        BANK_NODE_API_KEY: keys.bank.find((k) => k.role === "regulator")!.key,
        REGISTRY_SEED_FILE: path.join(ROOT, "seed", "regulator-registry.json"),
      }),
    );
    for (const child of children) child.once("exit", () => void stopAll(1));

    const seededMarker = path.join(DATA, "demo-seeded");
    if (!fs.existsSync(seededMarker) && !process.argv.includes("--no-seed")) {
      console.log("seeding the demo (first start only)…");
      await seedDemo(
        { bank: `http://127.0.0.1:${BANK_PORT}`, regulator: `http://127.0.0.1:${REGULATOR_PORT}` },
        { officer: keys.bank[0].key, inspector: keys.regulator[0].key },
        (line) => console.log(`      ${line}`),
      );
      fs.writeFileSync(seededMarker, new Date().toISOString() + "\n");
    }

    console.log(`
ready.
  dashboard       http://127.0.0.1:${BANK_PORT}/   (log in with a demo role: bank officer, regulator, borrower, supplier)
  bank node       http://127.0.0.1:${BANK_PORT}   (API docs: http://127.0.0.1:${BANK_PORT}/docs)
  regulator node  http://127.0.0.1:${REGULATOR_PORT}   (API docs: http://127.0.0.1:${REGULATOR_PORT}/docs)
  chain (anvil)   ${chain.url}   chain id 31337

demo API keys (send as "Authorization: Bearer <key>"; kept in data/demo-keys.json):`);
    for (const node of ["bank", "regulator"] as const) {
      for (const k of keys[node])
        console.log(`  ${node.padEnd(9)} ${k.role.padEnd(12)} ${k.institution.padEnd(24)} ${k.key}`);
    }
    console.log("\nPress Ctrl-C to stop.");
  } catch (error) {
    console.error(`npm start failed: ${(error as Error).message}`);
    await stopAll(1);
  }
}

void main();
