import { ApiError, NetworkError } from "./api";
import { CliError, type Io } from "./context";

/** Exit codes: 0 done, 1 failed, 2 an entrusted payment refused (its blockers are listed). */
export const EXIT = { ok: 0, failed: 1, refused: 2 } as const;

const KEY_HINT = {
  bank: "give the bank node's API key with --key or QFM_API_KEY",
  regulator: "give the regulator node's API key with --regulator-key or QFM_REGULATOR_KEY (or --key)",
} as const;

/** The lines that explain an API error: its detail, each field error, each blocker, and a hint where one helps. */
export function describeApiError(error: ApiError): { headline: string; lines: string[]; exitCode: number } {
  const { problem } = error;
  const blockers = Array.isArray(problem.blockers) ? problem.blockers : [];
  const source = `${problem.code}, HTTP ${problem.status} from the ${error.node} node`;
  if (blockers.length > 0) {
    return {
      headline: `✗ ${problem.detail.split(": ")[0]} (${source}); ${blockers.length === 1 ? "1 blocker" : `${blockers.length} blockers`}:`,
      lines: blockers.map((b) => `  • ${b.message} [${b.code}]`),
      exitCode: EXIT.refused,
    };
  }
  const lines = (problem.errors ?? []).map((e) => `  • ${e.path}: ${e.message}`);
  // A validation detail repeats its field errors after a colon; they are listed one a line instead.
  const detail = lines.length > 0 && problem.detail.includes(": ") ? problem.detail.split(": ")[0] : problem.detail;
  if (Array.isArray(problem.problems)) lines.push(...problem.problems.map((p) => `  • ${String(p)}`));
  if (problem.status === 401) lines.push(`  hint: ${KEY_HINT[error.node]}`);
  if (problem.retryable) lines.push("  (the node says this may succeed if you try again)");
  return { headline: `error: ${detail} (${source})`, lines, exitCode: EXIT.failed };
}

/** Writes any error to stderr (and, with --json, the problem to stdout) and returns the exit code. */
export function reportError(error: unknown, io: Io, json: boolean): number {
  if (error instanceof ApiError) {
    const { headline, lines, exitCode } = describeApiError(error);
    if (json) io.stdout(`${JSON.stringify(error.problem, null, 2)}\n`);
    io.stderr([headline, ...lines].join("\n") + "\n");
    return exitCode;
  }
  if (error instanceof NetworkError) {
    if (json) io.stdout(`${JSON.stringify({ code: "network_error", detail: error.message, url: error.url })}\n`);
    io.stderr(`error: ${error.message}\n`);
    return EXIT.failed;
  }
  if (error instanceof CliError) {
    if (json) io.stdout(`${JSON.stringify({ code: "cli_error", detail: error.message, details: error.details })}\n`);
    io.stderr([`error: ${error.message}`, ...error.details.map((d) => `  • ${d}`)].join("\n") + "\n");
    return error.exitCode;
  }
  const e = error as Error;
  io.stderr(`error: unexpected failure: ${e?.stack ?? String(error)}\n`);
  return EXIT.failed;
}
