import type { Command } from "commander";
import { createApi, type Api } from "./api";
import { createProgress, type Progress } from "./progress";

/** Where the CLI writes: the process's streams, or buffers in a test. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal: progress redraws one line there, and prints plain lines elsewhere. */
  stderrIsTTY: boolean;
}

export const processIo: Io = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  stderrIsTTY: Boolean(process.stderr.isTTY),
};

/** A failure the CLI itself detects (bad input, a missing file), with its exit code and lines of detail. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = "CliError";
  }
}

export interface GlobalOptions {
  bank: string;
  regulator: string;
  key?: string;
  regulatorKey?: string;
  json?: boolean;
  quiet?: boolean;
  timeout: number;
}

/** What every command's action works with: the two nodes' clients and the output. */
export interface Context {
  io: Io;
  json: boolean;
  /** The bank node with --key. */
  bank: Api<"bank">;
  /** The regulator node with --regulator-key, else --key. */
  regulator: Api<"regulator">;
  /** The bank node without credentials (the public /verify routes). */
  publicBank: Api<"bank">;
  /** --quiet: no progress, and commands that create something print only its id. */
  quiet: boolean;
  /** Prints `data` as JSON with --json, else the human rendering. */
  print(data: unknown, human: () => string): void;
  /** Like print, but with --quiet prints only `id` (for scripts: ID=$(qfm facility create … --quiet)). */
  printId(id: string, data: unknown, human: () => string): void;
  /** A progress display on stderr (silent with --quiet). */
  progress(label: string): Progress;
  /** Runs a request that waits on the chain, with a progress line on stderr while it waits. */
  waiting<T>(label: string, work: Promise<T>): Promise<T>;
}

function checkedUrl(value: string, option: string, variable: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`${option} (or ${variable}): "${value}" is not a URL like http://127.0.0.1:8080`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`${option} (or ${variable}): "${value}" is not an http(s) URL`);
  }
  return value;
}

export function contextOf(command: Command, io: Io): Context {
  const options = command.optsWithGlobals<GlobalOptions>();
  const timeoutMs = options.timeout * 1000;
  const bankUrl = checkedUrl(options.bank, "--bank", "QFM_BANK_URL");
  const regulatorUrl = checkedUrl(options.regulator, "--regulator", "QFM_REGULATOR_URL");
  const json = Boolean(options.json);
  const progress = (label: string) => createProgress(io, label, { silent: Boolean(options.quiet) });
  return {
    io,
    json,
    bank: createApi({ node: "bank", baseUrl: bankUrl, apiKey: options.key, timeoutMs }),
    regulator: createApi({
      node: "regulator",
      baseUrl: regulatorUrl,
      apiKey: options.regulatorKey ?? options.key,
      timeoutMs,
    }),
    publicBank: createApi({ node: "bank", baseUrl: bankUrl, timeoutMs }),
    quiet: Boolean(options.quiet),
    print(data, human) {
      if (json) io.stdout(`${JSON.stringify(data, null, 2)}\n`);
      else io.stdout(`${human().replace(/\n+$/, "")}\n`);
    },
    printId(id, data, human) {
      if (!json && options.quiet) io.stdout(`${id}\n`);
      else this.print(data, human);
    },
    progress,
    async waiting(label, work) {
      const line = progress(label);
      line.spin();
      try {
        const result = await work;
        line.done();
        return result;
      } catch (error) {
        line.stop();
        throw error;
      }
    },
  };
}
