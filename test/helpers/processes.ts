import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
/** Runs a TypeScript entry point in one process (node with tsx's loader), so a signal reaches the program itself. */
const tsNode = (script: string, args: string[] = []) =>
  [process.execPath, ["--import", "tsx", script, ...args]] as const;

export interface NodeProcess {
  role: "bank" | "regulator";
  url: string;
  child: ChildProcess;
  logs: string[];
  env: Record<string, string>;
  /** Stops with SIGTERM (clean) or the given signal (SIGKILL for crash tests). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `qfm-${prefix}-`));
}

/** Waits until `check` resolves true, polling every `intervalMs`; fails with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`,
  );
}

/** Issues an API key with the project's admin command, against a node's data directory. */
export function issueKey(env: Record<string, string>, node: "bank" | "regulator", role: string, label: string): string {
  const [command, args] = tsNode(path.join(ROOT, "scripts", "keys.ts"), [
    "issue",
    "--node",
    node,
    "--role",
    role,
    "--institution",
    `${node}-institution`,
    "--label",
    label,
  ]);
  const result = spawnSync(command, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`keys issue failed: ${result.stderr}`);
  const key = result.stdout.split("\n").find((line) => line.startsWith("qfm_"));
  if (!key) throw new Error(`no key in the output of keys issue: ${result.stdout}`);
  return key.trim();
}

/** Starts a bank or regulator node as a real process (node --import tsx server/main.ts: one process, so SIGKILL kills the node itself) and waits until it answers /health. */
export async function startNodeProcess(role: "bank" | "regulator", env: Record<string, string>): Promise<NodeProcess> {
  const fullEnv = { ...process.env, NODE_ROLE: role, LOG_LEVEL: "info", ...env } as Record<string, string>;
  const [command, args] = tsNode(path.join(ROOT, "server", "main.ts"));
  const child = spawn(command, args, {
    cwd: ROOT,
    env: fullEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const keep = (chunk: Buffer) => {
    logs.push(chunk.toString());
    if (logs.length > 2_000) logs.splice(0, 1_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const url = `http://127.0.0.1:${env.PORT}`;
  let exited = false;
  child.once("exit", () => (exited = true));
  await waitFor(
    `the ${role} node at ${url}`,
    async () => {
      if (exited) throw new Error(`the ${role} node exited: ${logs.join("").slice(-3_000)}`);
      return (await fetch(`${url}/health`)).ok;
    },
    90_000,
  ).catch((error: Error) => {
    child.kill("SIGKILL");
    throw new Error(`${error.message}\n--- ${role} node output ---\n${logs.join("").slice(-3_000)}`);
  });
  return {
    role,
    url,
    child,
    logs,
    env: fullEnv,
    stop: (signal: NodeJS.Signals = "SIGTERM") =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill(signal);
      }),
  };
}

/** A small authenticated JSON client for a node. */
export function client(url: string, apiKey?: string) {
  const headers = (extra: Record<string, string> = {}) => ({
    ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    ...extra,
  });
  return {
    async get(pathname: string) {
      const response = await fetch(`${url}${pathname}`, { headers: headers() });
      return {
        status: response.status,
        body: (await response.json().catch(() => undefined)) as any,
        headers: response.headers,
      };
    },
    async post(pathname: string, body: unknown) {
      const response = await fetch(`${url}${pathname}`, {
        method: "POST",
        headers: headers({ "content-type": "application/json" }),
        body: JSON.stringify(body),
      });
      return {
        status: response.status,
        body: (await response.json().catch(() => undefined)) as any,
        headers: response.headers,
      };
    },
    async upload(
      fields: Record<string, string>,
      file: { name: string; type: string; bytes: Uint8Array },
      pathname = "/documents",
    ) {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append("file", new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
      const response = await fetch(`${url}${pathname}`, { method: "POST", headers: headers(), body: form });
      return {
        status: response.status,
        body: (await response.json().catch(() => undefined)) as any,
        headers: response.headers,
      };
    },
  };
}
