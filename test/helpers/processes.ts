import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expectDeclaredResponse } from "./openApiContract";

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

/** Runs the project's API-key admin command (scripts/keys.ts) against a node's data directory; returns its output. */
function keysCommand(env: Record<string, string>, args: string[]): string {
  const [command, commandArgs] = tsNode(path.join(ROOT, "scripts", "keys.ts"), args);
  const result = spawnSync(command, commandArgs, { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`keys ${args[0]} failed: ${result.stderr}`);
  return result.stdout;
}

/** Issues an API key with the project's admin command; returns the key and its id (for `revokeKey`). */
export function issueKeyWithId(
  env: Record<string, string>,
  node: "bank" | "regulator",
  role: string,
  label: string,
  /** More flags: a borrower's `--borrower ADDRESS --credit-code CODE`, a supplier's `--payee ADDRESS`. */
  subject: string[] = [],
  institution = `${node}-institution`,
): { id: string; key: string } {
  const output = keysCommand(env, [
    "issue",
    "--node",
    node,
    "--role",
    role,
    "--institution",
    institution,
    "--label",
    label,
    ...subject,
  ]);
  const id = /^issued key (\S+) /m.exec(output)?.[1];
  const key = output.split("\n").find((line) => line.startsWith("qfm_"));
  if (!id || !key) throw new Error(`no key in the output of keys issue: ${output}`);
  return { id, key: key.trim() };
}

/** Issues an API key with the project's admin command, against a node's data directory. */
export function issueKey(
  env: Record<string, string>,
  node: "bank" | "regulator",
  role: string,
  label: string,
  institution?: string,
  subject: string[] = [],
): string {
  return issueKeyWithId(env, node, role, label, subject, institution).key;
}

/** Revokes an API key with the project's admin command (the node may be running). */
export function revokeKey(env: Record<string, string>, node: "bank" | "regulator", id: string): void {
  const output = keysCommand(env, ["revoke", "--node", node, "--id", id]);
  if (!output.startsWith(`revoked ${id}`)) throw new Error(`keys revoke did not revoke ${id}: ${output}`);
}

/**
 * Starts a bank or regulator node as a real process (node --import tsx server/main.ts: one process, so SIGKILL kills the
 * node itself) and waits until it answers /health. NODE_CPU_PROFILE=<dir> in this process's environment runs every node
 * under `node --cpu-prof` and leaves its profiles (written on a clean stop; one a thread) in <dir>/<role>.
 */
export async function startNodeProcess(role: "bank" | "regulator", env: Record<string, string>): Promise<NodeProcess> {
  const fullEnv = { ...process.env, NODE_ROLE: role, LOG_LEVEL: "info", ...env } as Record<string, string>;
  const [command, args] = tsNode(path.join(ROOT, "server", "main.ts"));
  const profileDir = process.env.NODE_CPU_PROFILE;
  const profile = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(profileDir, role)}`] : [];
  const child = spawn(command, [...profile, ...args], {
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
  async function send(method: string, pathname: string, body: unknown) {
    const response = await fetch(`${url}${pathname}`, {
      method,
      headers: headers({ "content-type": "application/json" }),
      body: JSON.stringify(body),
    });
    const reply = {
      status: response.status,
      body: (await response.json().catch(() => undefined)) as any,
      headers: response.headers,
    };
    await expectDeclaredResponse(url, method, pathname, reply.status, reply.body);
    return reply;
  }
  return {
    async get(pathname: string) {
      // A GET is safe to send again: once, when a kept-alive connection the node had closed while this process was
      // blocked (running the admin command synchronously) fails with "other side closed".
      const response = await fetch(`${url}${pathname}`, { headers: headers() }).catch((error: Error) => {
        if (!/other side closed/.test(String((error as { cause?: unknown }).cause))) throw error;
        return fetch(`${url}${pathname}`, { headers: headers() });
      });
      const reply = {
        status: response.status,
        body: (await response.json().catch(() => undefined)) as any,
        headers: response.headers,
      };
      await expectDeclaredResponse(url, "GET", pathname, reply.status, reply.body);
      return reply;
    },
    post(pathname: string, body: unknown) {
      return send("POST", pathname, body);
    },
    patch(pathname: string, body: unknown) {
      return send("PATCH", pathname, body);
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
