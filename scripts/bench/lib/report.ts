import os from "node:os";

/** The 1-minute load average when the benchmark started: what else the machine was running (2 = both cores busy). */
const LOAD_BEFORE = os.loadavg()[0];

/** The machine a number was measured on: cores, CPU, memory, Node, and how busy it was before the run. */
export function machine(): string {
  const cpus = os.cpus();
  return [
    `${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"})`,
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `Node ${process.version}`,
    `${os.platform()} ${os.release()}`,
    `load average before the run ${LOAD_BEFORE.toFixed(1)}`,
  ].join(", ");
}

export const today = (): string => new Date().toISOString().slice(0, 10);

/** A Markdown table (pasteable into the README), columns padded; numbers right-aligned. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const numeric = header.map((_, c) => rows.every((row) => /^[\d—]/.test(row[c])));
  const cell = (text: string, c: number) => (numeric[c] ? text.padStart(widths[c]) : text.padEnd(widths[c]));
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  const rule = `| ${widths.map((w, c) => (numeric[c] ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** 12345.678 → "12,346"; fractions keep `digits` places. */
/** cli-table3 style without ANSI colours: the tables are read in logs and pasted into reports. */
export const PLAIN = { head: [], border: [] };

export function fmt(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Rounds for the JSON line: enough places to compare runs, none of the noise. */
export function round(value: number, places = 3): number {
  const scale = 10 ** places;
  return Math.round(value * scale) / scale;
}

/** How a measured number stands against its (informational) target. */
export const verdict = (met: boolean): string => (met ? "met" : "not met");
