/**
 * Lints both nodes' OpenAPI documents, generated without a node (scripts/lib/openapi-document.ts) into a temporary
 * directory: spectral's oas ruleset (.spectral.yaml) and redocly's recommended one (redocly.yaml). A warning fails
 * like an error. Part of `npm run lint`.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openApiDocument } from "./lib/openapi-document";

const root = path.resolve(__dirname, "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
// Redocly collects usage data and checks for updates unless told not to; this runs offline, in CI too.
const env = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" };

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-openapi-"));
let failed = false;
try {
  const files = (["bank", "regulator"] as const).map((role) => {
    const file = path.join(dir, `${role}.json`);
    fs.writeFileSync(file, `${JSON.stringify(openApiDocument(role), null, 2)}\n`);
    return file;
  });

  const spectral = spawnSync(
    bin("spectral"),
    ["lint", "--ruleset", path.join(root, ".spectral.yaml"), "--fail-severity", "warn", "--format", "text", ...files],
    { cwd: root, env, encoding: "utf8" },
  );
  const spectralProblems = spectral.stdout.split("\n").filter((line) => /\s(error|warning|info|hint)\s/.test(line));
  for (const line of spectralProblems) console.error(`spectral: ${line.replace(dir + path.sep, "")}`);
  if (spectral.status !== 0 || spectralProblems.length > 0) {
    if (spectralProblems.length === 0) console.error(spectral.stdout, spectral.stderr);
    failed = true;
  }

  // One JSON report per document.
  const redocly = { errors: 0, warnings: 0 };
  for (const file of files) {
    const run = spawnSync(
      bin("redocly"),
      ["lint", "--config", path.join(root, "redocly.yaml"), "--format", "json", file],
      {
        cwd: root,
        env,
        encoding: "utf8",
      },
    );
    let report: { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
    try {
      report = JSON.parse(run.stdout);
    } catch {
      console.error(run.stdout, run.stderr);
      throw new Error(`redocly lint did not print its JSON report for ${path.basename(file)}`);
    }
    for (const p of report.problems) console.error(`redocly: ${path.basename(file)}: ${p.ruleId}: ${p.message}`);
    redocly.errors += report.totals.errors;
    redocly.warnings += report.totals.warnings;
    if (run.status !== 0 || report.totals.errors + report.totals.warnings > 0) failed = true;
  }

  console.log(
    `openapi lint: spectral ${spectralProblems.length} problems, redocly ${redocly.errors} errors and ` +
      `${redocly.warnings} warnings (${files.length} documents)`,
  );
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
