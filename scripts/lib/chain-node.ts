import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";

export type ChainNodeKind = "hardhat" | "anvil";

export interface ChainNode {
  kind: ChainNodeKind;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * The anvil executable from the platform package that @foundry-rs/anvil installs (the package's own `anvil` bin is a
 * Node wrapper that spawns it: a signal to the wrapper would not reach the chain node, so run the binary itself).
 */
export function anvilBinary(): string {
  const arch = { x64: "amd64", arm64: "arm64" }[process.arch as string];
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  try {
    const dir = path.dirname(require.resolve(`${pkg}/package.json`));
    return path.join(dir, "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
  } catch {
    throw new Error(
      `anvil is not installed for ${process.platform}/${process.arch} (npm package ${pkg}); run npm install`,
    );
  }
}

/** Resolves when nothing listens on 127.0.0.1:`port`; rejects with a message naming the port otherwise. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      reject(
        new Error(
          `port ${port} is already in use, so the ${what} cannot start there; stop what holds it or choose another port`,
        ),
      );
    });
    socket.once("error", () => resolve());
  });
}

/** Polls eth_chainId until the node answers or `timeoutMs` passes. */
export async function waitForRpc(url: string, timeoutMs = 30_000): Promise<bigint> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      const body = (await response.json()) as { result?: string };
      if (body.result) return BigInt(body.result);
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no JSON-RPC node answered at ${url} within ${timeoutMs} ms (${String(lastError)})`);
}

/**
 * Starts a real chain node as a separate process: `hardhat node` or anvil (from the npm package @foundry-rs/anvil).
 * Both use the standard development mnemonic, so the same dev accounts exist on either.
 */
export async function startChainNode(options: {
  kind: ChainNodeKind;
  port: number;
  chainId?: number;
  /** Also mine a block every this many milliseconds (default: only on transactions). */
  intervalMs?: number;
  /** anvil only: load the chain from this file at start and save it there on exit, so a restart resumes it. */
  stateFile?: string;
  /** anvil only: the genesis block's time (seconds), e.g. a year ago for a demo that moves its clock forward. */
  genesisTimestamp?: number;
  /** anvil only: further command-line options (e.g. `--base-fee 0 --gas-price 0` for a free-gas chain). */
  args?: string[];
  log?: (line: string) => void;
  /** Called with the process as soon as it is spawned (so a caller can stop it even while it starts). */
  onSpawn?: (child: ChildProcess) => void;
}): Promise<ChainNode> {
  const { kind, port } = options;
  await assertPortFree(port, `${kind} chain node`);
  const [command, args] =
    kind === "hardhat"
      ? [process.execPath, [require.resolve("hardhat/internal/cli/bootstrap"), "node", "--port", String(port)]]
      : [
          anvilBinary(),
          [
            "--port",
            String(port),
            "--chain-id",
            String(options.chainId ?? 31337),
            "--silent",
            ...(options.intervalMs ? ["--block-time", String(Math.max(1, Math.round(options.intervalMs / 1000)))] : []),
            ...(options.genesisTimestamp !== undefined ? ["--timestamp", String(options.genesisTimestamp)] : []),
            ...(options.stateFile
              ? ["--state", options.stateFile, "--state-interval", "5", "--preserve-historical-states"]
              : []),
            ...(options.args ?? []),
          ],
        ];
  const env = { ...process.env, ...(options.intervalMs ? { HARDHAT_INTERVAL_MS: String(options.intervalMs) } : {}) };
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  options.onSpawn?.(child);
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    if (output.length < 200) output.push(text);
    options.log?.(text);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) =>
      reject(new Error(`${kind} node exited early (code ${code}): ${output.join("").slice(-2_000)}`)),
    ),
  );
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([waitForRpc(url, 60_000), exited]);
  child.removeAllListeners("exit");
  return {
    kind,
    url,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
