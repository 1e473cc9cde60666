/**
 * `npm start`: the whole system on one machine, each part its own process:
 *   a chain node (anvil, its state kept in data/chain so a second start resumes it), the contracts deployed once,
 *   the bank node (port 8080) and the market regulator's node (port 8081), each with its own database under data/.
 * `npm start -- --reset` starts over. On the first start it seeds a demo through the APIs (two facilities: one a year
 * into its loan with three quarterly reviews — a new chain begins a year ago and the seed moves its clock forward — one
 * frozen after a failed spot check); `--no-seed` skips it, and a start stopped mid-seed is not seeded over.
 * SIGINT (Ctrl-C), SIGTERM and SIGHUP stop every child process and free its port (the npm script `exec`s node so that
 * npm's forwarded signal reaches this process, not an intermediate shell). The console speaks to people; each process's
 * own output (the nodes' JSON log lines) goes to data/logs/<chain|bank|regulator>.log.
 * Environment: CHAIN_PORT, BANK_PORT, REGULATOR_PORT (8545, 8080, 8081), START_DATA_DIR (data/), LOG_LEVEL (info).
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
import { devWallet, parseDeployConfig } from "./lib/deploy-config";
import { fundDemoIssuer, seedDeposits } from "./lib/demo-deposits";
import { readDeployment } from "./lib/deployments";
import { DEMO_QUARTER, DEMO_SIGNER_KEYS, DEMO_SUBJECTS, seedDemo } from "./lib/demo-seed";

/** How far in the past a new demo chain begins: four quarters and an hour for deploying and seeding. */
const DEMO_YEAR_SECONDS = 4 * DEMO_QUARTER + 3_600;

const ROOT = path.resolve(__dirname, "..");
/** Everything `npm start` keeps: the chain's state, both nodes' databases and documents, demo keys, logs. */
const DATA = path.resolve(process.env.START_DATA_DIR || path.join(ROOT, "data"));
const LOGS = path.join(DATA, "logs");

/** A port from the environment, or the default; anything else stops the start with a message naming the variable. */
function portOf(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    console.error(`npm start: ${variable}=${raw} is not a port number (1–65535)`);
    process.exit(1);
  }
  return port;
}
const CHAIN_PORT = portOf("CHAIN_PORT", 8545);
const BANK_PORT = portOf("BANK_PORT", 8080);
const REGULATOR_PORT = portOf("REGULATOR_PORT", 8081);

/** A path as a person would type it from here: relative when it is under the current folder. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

type DemoKeys = Record<"bank" | "regulator", Array<{ role: Role; institution: string; label: string; key: string }>>;

const step = (n: number, total: number, text: string) => console.log(`[${n}/${total}] ${text}`);

/** Demo API keys: made once, kept in data/demo-keys.json, registered in each node's database. */
async function demoKeys(): Promise<DemoKeys> {
  const file = path.join(DATA, "demo-keys.json");
  const key = () => `qfm_${randomBytes(24).toString("base64url")}`;
  const fiscal = () => ({
    role: "fiscal" as Role,
    institution: "Ningbo Finance Bureau",
    label: "subsidy-desk",
    key: key(),
  });
  if (fs.existsSync(file)) {
    const kept = JSON.parse(fs.readFileSync(file, "utf8")) as DemoKeys;
    // Keys made before the fiscal account had one: add it.
    if (!kept.bank.some((k) => k.role === "fiscal")) {
      kept.bank.push(fiscal());
      fs.writeFileSync(file, JSON.stringify(kept, null, 2) + "\n", { mode: 0o600 });
    }
    return kept;
  }
  const keys: DemoKeys = {
    bank: [
      { role: "bank_officer", institution: "Ningbo Bank", label: "credit-officer", key: key() },
      { role: "regulator", institution: "Ningbo AMR", label: "regulator-node", key: key() },
      { role: "borrower", institution: "Ningbo Yongxin Bearings", label: "finance", key: key() },
      { role: "supplier", institution: "Ningbo Precision CNC", label: "sales", key: key() },
      fiscal(),
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
    // The demo borrower's and supplier's keys act for the seeded borrower and equipment vendor.
    for (const k of keys)
      await apiKeys.register({ ...k, subject: (DEMO_SUBJECTS as Record<string, { address: string }>)[k.role] });
  } finally {
    await db.close();
  }
}

/** The last `lines` lines of a log file, for a message about a process that stopped. */
function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** The processes `npm start` runs, in start order; every one is stopped on SIGINT, SIGTERM, SIGHUP or a failure. */
const children: Array<{ name: string; process: ChildProcess; log: string }> = [];
let stopping = false;
const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** Stops one process: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (!alive(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Stops every child, the newest first (the nodes before the chain they talk to), then exits with `code`. */
async function stopAll(code: number, why?: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (why) console.log(`\n${why}`);
  console.log("stopping every process…");
  for (const { name, process: child } of [...children].reverse()) {
    if (!alive(child)) continue;
    await stopChild(child);
    console.log(`  ${name} stopped`);
  }
  console.log(`stopped; ${shown(DATA)} is kept for the next npm start (npm start -- --reset starts over)`);
  process.exit(code);
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    // A second signal while stopping: do not wait any longer.
    for (const { process: child } of children) if (alive(child)) child.kill("SIGKILL");
    process.exit(1);
  }
  void stopAll(0, `${signal} received.`);
}

function startNode(role: "bank" | "regulator", env: Record<string, string>): Promise<ChildProcess> {
  const log = path.join(LOGS, `${role}.log`);
  const fd = fs.openSync(log, "a");
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "server", "main.ts")], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ROLE: role,
      LOG_LEVEL: process.env.LOG_LEVEL || "info",
      DATABASE_URL: `file:${path.join(env.DATA_DIR, "db.sqlite")}`,
      ...env,
    },
    stdio: ["ignore", fd, fd],
  });
  fs.closeSync(fd);
  children.push({ name: `the ${role} node`, process: child, log });
  const url = `http://127.0.0.1:${env.PORT}/health`;
  return new Promise((resolve, reject) => {
    const exited = (code: number | null, signal: NodeJS.Signals | null) =>
      reject(
        new Error(
          `the ${role} node stopped while starting (${signal ?? `exit code ${code}`}); the end of ${shown(log)}:\n${tail(log)}`,
        ),
      );
    child.once("exit", exited);
    const poll = async () => {
      if (!alive(child) || stopping) return;
      try {
        if ((await fetch(url)).ok) {
          child.off("exit", exited);
          return resolve(child);
        }
      } catch {
        // not listening yet
      }
      setTimeout(() => void poll(), 250);
    };
    void poll();
  });
}

/**
 * If whatever started this process goes away without a signal reaching it (npm killed with SIGKILL, say), this
 * process is re-parented: stop everything then too, so no chain node or node is left holding its port.
 */
function watchParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stopAll(1, `the process that ran npm start (pid ${parent}) is gone.`);
  }, 1_000).unref();
}

async function main(): Promise<void> {
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  watchParent();
  // A console that went away (the terminal closed, the parent killed) must not crash the stop of the children.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  const reset = process.argv.includes("--reset");
  if (reset && fs.existsSync(DATA)) {
    console.log(`--reset: removing ${shown(DATA)}`);
    fs.rmSync(DATA, { recursive: true, force: true });
  }
  fs.mkdirSync(path.join(DATA, "chain"), { recursive: true });
  fs.mkdirSync(LOGS, { recursive: true });
  for (const [port, what] of [
    [CHAIN_PORT, "chain node (CHAIN_PORT)"],
    [BANK_PORT, "bank node (BANK_PORT)"],
    [REGULATOR_PORT, "regulator node (REGULATOR_PORT)"],
  ] as const) {
    await assertPortFree(port, what);
  }
  console.log(
    `data in ${shown(DATA)}; each process writes its log to ${shown(LOGS)}/ (chain.log, bank.log, regulator.log)`,
  );

  try {
    step(
      1,
      5,
      `starting the chain node (anvil, its state in ${shown(path.join(DATA, "chain"))}) on port ${CHAIN_PORT}…`,
    );
    const chainLog = fs.createWriteStream(path.join(LOGS, "chain.log"), { flags: "a" });
    const stateFile = path.join(DATA, "chain", "state.json");
    const chain: ChainNode = await startChainNode({
      // A new chain begins a year ago, so the demo's seed can live a year of loan by moving its clock forward.
      ...(fs.existsSync(stateFile) ? {} : { genesisTimestamp: Math.floor(Date.now() / 1000) - DEMO_YEAR_SECONDS }),
      kind: "anvil",
      port: CHAIN_PORT,
      intervalMs: 1_000,
      stateFile,
      log: (line) => chainLog.write(line),
      onSpawn: (child) => children.push({ name: "the chain node", process: child, log: path.join(LOGS, "chain.log") }),
    });
    const deploymentsFile = path.join(DATA, "deployments.json");
    const provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true });
    const deployed =
      fs.existsSync(deploymentsFile) &&
      (await provider.getCode(readDeployment(deploymentsFile).contracts.FacilityManager)) !== "0x";
    provider.destroy();
    if (deployed) step(2, 5, `contracts already deployed (${shown(deploymentsFile)})`);
    else {
      step(2, 5, "deploying the contracts…");
      // A demo deposit issuer mints the payers' money (scripts/lib/demo-deposits.ts).
      const issuer = await fundDemoIssuer(chain.url);
      await deploy(
        parseDeployConfig({ RPC_URL: chain.url, DEPLOYMENTS_FILE: deploymentsFile, ISSUER_ADDRESS: issuer }),
        (line) => console.log(`      ${line}`),
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
          // The officer's key at the regulator node too: its timeline shows the regulator's reason for a REJECT.
          {
            role: "bank_officer",
            label: "Ningbo Bank credit officer",
            bankKey: keys.bank[0].key,
            regulatorKey: keys.regulator.find((k) => k.role === "bank_officer")?.key,
          },
          {
            role: "regulator",
            label: "Ningbo AMR inspector",
            bankKey: keys.bank[1].key,
            regulatorKey: keys.regulator[0].key,
          },
          // The payers' chain keys (development chain only): the dashboard signs their repayments and subsidy.
          {
            role: "borrower",
            label: "Ningbo Yongxin Bearings",
            bankKey: keys.bank[2].key,
            signerKey: DEMO_SIGNER_KEYS.yongxin,
          },
          { role: "supplier", label: "Ningbo Precision CNC", bankKey: keys.bank[3].key },
          {
            role: "fiscal",
            label: "Ningbo Finance Bureau",
            bankKey: keys.bank.find((k) => k.role === "fiscal")!.key,
            signerKey: devWallet("fiscal").privateKey,
          },
        ],
        null,
        2,
      ) + "\n",
      { mode: 0o600 },
    );
    await startNode("bank", {
      ...common,
      PORT: String(BANK_PORT),
      DATA_DIR: path.join(DATA, "bank"),
      REGULATOR_NODE_URL: `http://127.0.0.1:${REGULATOR_PORT}`,
      DEMO_LOGINS_FILE: logins,
    });
    step(5, 5, `starting the regulator node on port ${REGULATOR_PORT}…`);
    await startNode("regulator", {
      ...common,
      PORT: String(REGULATOR_PORT),
      DATA_DIR: path.join(DATA, "regulator"),
      BANK_NODE_URL: `http://127.0.0.1:${BANK_PORT}`,
      BANK_NODE_API_KEY: keys.bank.find((k) => k.role === "regulator")!.key,
      REGISTRY_SEED_FILE: path.join(ROOT, "seed", "regulator-registry.json"),
    });
    for (const { name, process: child, log } of children)
      child.once("exit", (code, signal) =>
        stopAll(
          1,
          `${name} stopped unexpectedly (${signal ?? `exit code ${code}`}); the end of ${shown(log)}:\n${tail(log)}`,
        ),
      );

    const seededMarker = path.join(DATA, "demo-seeded");
    const seedingMarker = path.join(DATA, "demo-seeding");
    if (fs.existsSync(seedingMarker) && !fs.existsSync(seededMarker)) {
      // The seed is not idempotent (payees, facilities): a half-seeded demo is kept as it is, and said so.
      console.log(
        `the demo's seed was interrupted on an earlier start: the demo is incomplete (npm start -- --reset seeds it anew)`,
      );
    } else if (!fs.existsSync(seededMarker) && !process.argv.includes("--no-seed")) {
      console.log("seeding the demo (first start only): a year of loan, a quarter at a time…");
      fs.writeFileSync(seedingMarker, new Date().toISOString() + "\n");
      await seedDemo(
        {
          bank: `http://127.0.0.1:${BANK_PORT}`,
          regulator: `http://127.0.0.1:${REGULATOR_PORT}`,
          chain: chain.url,
        },
        { officer: keys.bank[0].key, inspector: keys.regulator[0].key },
        (line) => console.log(`      ${line}`),
      );
      await seedDeposits(chain.url, readDeployment(deploymentsFile), (line) => console.log(`      ${line}`));
      fs.writeFileSync(seededMarker, new Date().toISOString() + "\n");
    }

    console.log(`
ready.
  dashboard       http://127.0.0.1:${BANK_PORT}/   (log in with a demo role: bank officer, regulator, borrower, supplier, fiscal)
  bank node       http://127.0.0.1:${BANK_PORT}   (API docs: http://127.0.0.1:${BANK_PORT}/docs)
  regulator node  http://127.0.0.1:${REGULATOR_PORT}   (API docs: http://127.0.0.1:${REGULATOR_PORT}/docs)
  chain (anvil)   ${chain.url}   chain id 31337
  logs            ${shown(LOGS)}/chain.log, bank.log, regulator.log (the nodes' JSON log lines)

demo API keys (send as "Authorization: Bearer <key>"; kept in ${shown(path.join(DATA, "demo-keys.json"))}):`);
    for (const node of ["bank", "regulator"] as const) {
      for (const k of keys[node])
        console.log(`  ${node.padEnd(9)} ${k.role.padEnd(12)} ${k.institution.padEnd(24)} ${k.key}`);
    }
    console.log(
      "\nthe chain is the local development chain and the nodes use its well-known test keys: never send real money here.",
    );
    console.log("Press Ctrl-C to stop (SIGTERM works too): every process stops and frees its port.");
  } catch (error) {
    if (stopping) return;
    console.error(`\nnpm start failed: ${(error as Error).message}`);
    await stopAll(1);
  }
}

void main();
