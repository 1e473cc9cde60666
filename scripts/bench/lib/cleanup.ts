import type { ChildProcess } from "node:child_process";

/**
 * What a benchmark started, undone in reverse order however the run ends: success, failure, Ctrl-C or SIGTERM. A
 * child process still alive when this process exits is killed outright: a benchmark leaves no chain or bank node
 * behind.
 */
const tasks: Array<{ what: string; run: () => Promise<void> | void }> = [];
const children = new Set<ChildProcess>();

export function onCleanup(what: string, run: () => Promise<void> | void): void {
  tasks.push({ what, run });
}

/** A child process to kill on exit if its own cleanup task did not stop it. */
export function track(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
}

async function cleanup(): Promise<void> {
  for (let task = tasks.pop(); task; task = tasks.pop()) {
    try {
      await task.run();
    } catch (error) {
      console.error(`cleanup: ${task.what} failed: ${(error as Error).message}`);
    }
  }
}

process.on("exit", () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** What a benchmark reports: printed after every process it started has stopped, the JSON object last. */
export interface BenchReport {
  print(): void;
}

/**
 * Runs a benchmark: cleans up on every path, then prints the report (so its JSON line is the last line of stdout
 * whatever the cleanup logs). Exits 1 on failure and 130 on Ctrl-C.
 */
export function runBenchmark(name: string, body: () => Promise<BenchReport>): void {
  let stopping = false;
  const interrupt = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.error(`${name}: ${signal}; stopping every process it started`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  body().then(
    async (report) => {
      if (stopping) return;
      stopping = true;
      await cleanup();
      report.print();
      process.exit(0);
    },
    async (error: Error) => {
      if (stopping) return;
      stopping = true;
      console.error(`${name} failed: ${error.stack ?? error.message}`);
      await cleanup();
      process.exit(1);
    },
  );
}
