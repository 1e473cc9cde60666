/**
 * The fund-use audit report of one facility, from chain events alone.
 *
 *   npm run report -- --facility 1                       # JSON from the bank node's indexed events (its database)
 *   npm run report -- --facility 1 --format csv --out facility-1.csv
 *   npm run report -- --facility 1 --rebuild             # index the chain afresh into a temporary database first
 *
 * Without --rebuild it reads the bank node's database (DATABASE_URL, or DATA_DIR/db.sqlite, as the node does).
 * With --rebuild it trusts no database: it indexes the chain named by the deployments file (DEPLOYMENTS_FILE, default
 * deployments/31337.json; RPC_URL overrides its node) into a fresh one, so the result can be compared with the node's.
 * Lines are dated from the chain's block headers when the chain node answers. Progress and messages go to stderr.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { z } from "zod";
import { storageOf } from "../server/config";
import type { Chain } from "../server/chain/chain";
import { createDatabase } from "../server/db/client";
import { redact } from "../server/db/url";
import { FacilityId } from "../server/http/route";
import { toCsv } from "../server/audit/csv";
import { readOnlyChain, rebuildAuditEvents, type RebuildProgress } from "../server/audit/rebuild";
import type { AuditEvent } from "../server/audit/report";
import { auditReportOf, createBlockClock, readAuditEvents, type BlockClock } from "../server/audit/service";
import { readDeployment, type Deployment } from "./lib/deployments";

const ROOT = path.resolve(__dirname, "..");

const USAGE = `usage: npm run report -- --facility <id> [--format json|csv] [--rebuild] [--out <file>]

  --facility <id>   the facility's on-chain id
  --format          json (default) or csv (the ledger, one line per event)
  --rebuild         index the chain into a fresh temporary database instead of reading the bank node's
  --out <file>      write the report to a file instead of stdout

environment: DEPLOYMENTS_FILE, RPC_URL, CONFIRMATIONS (with --rebuild); DATABASE_URL or DATA_DIR (without)`;

class UsageError extends Error {}

const Options = z.object({
  facility: FacilityId,
  format: z.enum(["json", "csv"], { message: "must be json or csv" }),
  rebuild: z.boolean(),
  out: z.string().min(1).optional(),
  confirmations: z.coerce.number().int().min(0).max(1_000),
});

function parseOptions(argv: string[], env: NodeJS.ProcessEnv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        facility: { type: "string" },
        format: { type: "string", default: "json" },
        rebuild: { type: "boolean", default: false },
        out: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return undefined;
  if (values.facility === undefined) throw new UsageError("--facility <id> is required");
  const parsed = Options.safeParse({ ...values, confirmations: env.CONFIRMATIONS ?? 0 });
  if (!parsed.success) {
    const names: Record<string, string> = { confirmations: "CONFIRMATIONS" };
    throw new UsageError(
      parsed.error.issues
        .map((issue) => `${names[String(issue.path[0])] ?? `--${String(issue.path[0])}`}: ${issue.message}`)
        .join("; "),
    );
  }
  return parsed.data;
}

function loadDeployment(env: NodeJS.ProcessEnv, required: boolean): Deployment | undefined {
  const file = path.resolve(env.DEPLOYMENTS_FILE ?? path.join(ROOT, "deployments", "31337.json"));
  if (fs.existsSync(file)) return readDeployment(file);
  if (required) throw new Error(`DEPLOYMENTS_FILE: no deployments file at ${file}; it names the chain to rebuild from`);
  return undefined;
}

/** Shows indexing progress on stderr: one updating line on a terminal, a line per step otherwise. */
function progressPrinter(): (progress: RebuildProgress) => void {
  return ({ block, head, events }) => {
    const text = `indexing: block ${block} / head ${head} (${events} events)`;
    if (process.stderr.isTTY) process.stderr.write(`\r${text}`);
    else process.stderr.write(`${text}\n`);
  };
}

async function nodeEvents(env: NodeJS.ProcessEnv): Promise<AuditEvent[]> {
  const { databaseUrl } = storageOf("bank", env);
  if (databaseUrl.startsWith("file:") && !fs.existsSync(databaseUrl.slice("file:".length))) {
    throw new Error(
      `no bank node database at ${redact(databaseUrl)}: start the bank node, set DATABASE_URL or DATA_DIR, or use --rebuild`,
    );
  }
  const db = createDatabase(databaseUrl);
  try {
    return await readAuditEvents(db);
  } finally {
    await db.close();
  }
}

/** Builds the report as the command line asks; returns the text written and where. */
export async function runReport(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ text: string; out?: string } | undefined> {
  const options = parseOptions(argv, env);
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return undefined;
  }
  const deployment = loadDeployment(env, options.rebuild);
  const chain: Chain | undefined = deployment && readOnlyChain(deployment, env.RPC_URL);
  try {
    let events: AuditEvent[];
    if (options.rebuild) {
      const showProgress = progressPrinter();
      events = await rebuildAuditEvents({
        chain: chain!,
        confirmations: options.confirmations,
        logger: pino({ level: "warn" }, pino.destination(2)),
        onProgress: showProgress,
      });
      if (process.stderr.isTTY) process.stderr.write("\n");
      process.stderr.write(`indexed ${events.length} audit events from ${chain!.url} into a fresh database\n`);
    } else {
      events = await nodeEvents(env);
    }

    let clock: BlockClock | undefined;
    if (chain) {
      const headers = createBlockClock(chain.provider);
      clock = {
        timesOf: (list) =>
          headers.timesOf(list).catch((error: Error) => {
            process.stderr.write(
              `block times unavailable (${error.message}); lines are dated only where interest events tell the time\n`,
            );
            return {};
          }),
      };
    }
    const report = await auditReportOf(events, options.facility, clock);
    if (!report) throw new Error(`facility ${options.facility} has no FacilityCreated event on this chain`);

    const text = options.format === "csv" ? toCsv(report) : `${JSON.stringify(report, null, 2)}\n`;
    if (options.out) {
      fs.writeFileSync(options.out, text);
      process.stderr.write(`wrote ${options.out} (${report.ledger.length} ledger lines)\n`);
    } else {
      process.stdout.write(text);
    }
    return { text, out: options.out };
  } finally {
    chain?.close();
  }
}

if (require.main === module) {
  runReport(process.argv.slice(2)).catch((error: Error) => {
    if (error instanceof UsageError) {
      process.stderr.write(`report: ${error.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`report failed: ${error.message}\n`);
    process.exit(1);
  });
}
