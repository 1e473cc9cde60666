import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { issueKey, tempDir, waitFor } from "../../../test/helpers/processes";
import { deploy } from "../../deploy";
import { startChainNode, type ChainNode, type ChainNodeKind } from "../../lib/chain-node";
import { parseDeployConfig } from "../../lib/deploy-config";
import { readDeployment, type Deployment } from "../../lib/deployments";
import { onCleanup, track } from "./cleanup";

/** A port nothing listens on now (the kernel's pick), for a process started right after. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const ROOT = path.resolve(__dirname, "..", "..", "..");

/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux; undefined elsewhere): unlike wall time,
 * hardly moved by whatever else the machine runs.
 */
export function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export interface BankProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM (a clean stop, which writes the CPU profile), then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The bank node as a process of its own (node --import tsx server/main.ts), as test/helpers/processes.ts starts it but
 * with node flags: --cpu-prof cannot be given through NODE_OPTIONS.
 */
async function startBankProcess(env: Record<string, string>, nodeFlags: string[]): Promise<BankProcess> {
  const child = spawn(process.execPath, [...nodeFlags, "--import", "tsx", path.join(ROOT, "server", "main.ts")], {
    cwd: ROOT,
    env: { ...process.env, NODE_ROLE: "bank", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  track(child);
  let output = "";
  const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-4_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const stop = async (graceMs = 15_000) => {
    if (exited()) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await gone;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${env.PORT}`;
  const early = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`the bank node exited during start-up (code ${code})`))),
  );
  early.catch(() => undefined); // after start-up an exit is the cleanup's business
  await Promise.race([
    waitFor(`the bank node at ${url}`, async () => (await fetch(`${url}/health`)).ok, 90_000),
    early,
  ]).catch(async (error: Error) => {
    await stop(0);
    throw new Error(`${error.message}\n--- bank node output ---\n${output}`);
  });
  return { url, child, stop };
}

export interface BenchSystem {
  chain: ChainNode;
  deployment: Deployment;
  bank: BankProcess;
  /** A bank_officer key on the bank node. */
  apiKey: string;
  dir: string;
  /** Stops the bank node, then the chain node (the cleanup still removes the directory at exit). */
  stop(): Promise<void>;
}

/**
 * A chain node (anvil by default; BENCH_CHAIN=hardhat for the other), the contracts deployed to it, and a real bank
 * node process with its own SQLite database in a temporary directory and a bank_officer key — each registered for
 * cleanup as soon as it exists. `env` overrides the node's settings; BENCH_PROFILE=<dir> runs the node under
 * `node --cpu-prof` and leaves its profile there.
 */
export async function startBenchSystem(env: Record<string, string>, log: (line: string) => void): Promise<BenchSystem> {
  const dir = tempDir("bench");
  onCleanup(`remove ${dir}`, () => {
    if (process.env.BENCH_KEEP) log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  });

  const kind = (process.env.BENCH_CHAIN ?? "anvil") as ChainNodeKind;
  if (kind !== "anvil" && kind !== "hardhat") throw new Error(`BENCH_CHAIN must be anvil or hardhat, not ${kind}`);
  const chain = await startChainNode({ kind, port: await freePort() });
  track(chain.process);
  onCleanup(`stop the ${kind} node`, () => chain.stop());
  log(`${kind} chain node at ${chain.url}`);

  const deploymentsFile = path.join(dir, "deployment.json");
  await deploy(parseDeployConfig({ RPC_URL: chain.url, DEPLOYMENTS_FILE: deploymentsFile }), () => undefined);
  const deployment = readDeployment(deploymentsFile);

  const dataDir = path.join(dir, "bank");
  const profileDir = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : undefined;
  const nodeEnv: Record<string, string> = {
    DEPLOYMENTS_FILE: deploymentsFile,
    PORT: String(await freePort()),
    DATA_DIR: dataDir,
    // Explicit, so a DATABASE_URL in the caller's environment cannot point the benchmark at a real database.
    DATABASE_URL: `file:${path.join(dataDir, "db.sqlite")}`,
    LOG_LEVEL: "warn",
    VERIFIER_ENABLED: "false",
    // The limiter is per key; a benchmark is one key sending far more than a person would.
    RATE_LIMIT_PER_MINUTE: "100000000",
    UPLOAD_QUOTA_PER_MINUTE: "100000000",
    ...env,
  };
  const apiKey = issueKey(nodeEnv, "bank", "bank_officer", "bench");
  const bank = await startBankProcess(nodeEnv, profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []);
  onCleanup("stop the bank node", async () => {
    await bank.stop();
    if (profileDir) log(`bank node CPU profile in ${profileDir}`);
  });
  log(`bank node at ${bank.url} (data in ${dataDir})`);
  return {
    chain,
    deployment,
    bank,
    apiKey,
    dir,
    async stop() {
      await bank.stop();
      await chain.stop();
    },
  };
}
