/**
 * `npm run bench:indexer`: how fast the indexer backfills contract events from a JSON-RPC node into SQLite.
 *
 * Starts anvil, deploys the contracts with the dev accounts, has the bank anchor --events evidence (one event per
 * transaction, --per-block to a block), then times one `createIndexer(...).catchUp()` from the deployment block into a
 * fresh migrated SQLite database, and checks that it stored every event. Progress goes to stderr; stdout gets the
 * tables and, as its last line, one JSON object: { eventsPerSec, eventCount, seconds, ... }.
 *
 *   npm run bench:indexer -- [--events 50000] [--per-block 100] [--max-blocks-per-step 2000] [--profile out.cpuprofile]
 *
 * --profile also runs the backfill under the V8 CPU profiler, writes the profile (open it in Chrome DevTools) and
 * prints where the self time went. Timing spans (JSON-RPC calls, database calls) are always measured.
 */
import Table from "cli-table3";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { deploy } from "../deploy";
import { startChainNode, type ChainNode } from "../lib/chain-node";
import { devWallet, parseDeployConfig } from "../lib/deploy-config";
import { createChain, type Chain } from "../../server/chain/chain";
import { createDatabase, type Database } from "../../server/db/client";
import { migrateDatabase } from "../../server/db/migrate";
import { createMetrics } from "../../server/http/metrics";
import { createIndexer } from "../../server/indexer/indexer";
import { countLogs, generateAnchorEvents } from "./lib/indexer-load";
import { createSpans, probeChain, probeDatabase, profiled, summariseProfile } from "./lib/indexer-probe";
import { PLAIN, fmt } from "./lib/report";
import { freePort } from "./lib/system";

const log = (line: string) => process.stderr.write(`${line}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      events: { type: "string", default: "50000" },
      "per-block": { type: "string", default: "100" },
      "max-blocks-per-step": { type: "string", default: "2000" },
      profile: { type: "string" },
    },
  });
  const positive = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  return {
    events: positive("events"),
    perBlock: positive("per-block"),
    maxBlocksPerStep: positive("max-blocks-per-step"),
    profile: values.profile,
  };
}

async function main(): Promise<void> {
  const opts = options();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-bench-indexer-"));
  let node: ChainNode | undefined;
  let chain: Chain | undefined;
  let db: Database | undefined;
  const cleanUp = async () => {
    chain?.close();
    await db?.close().catch(() => {});
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the chain node`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    node = await startChainNode({ kind: "anvil", port: await freePort() });
    log(`anvil at ${node.url}`);
    const deployment = await deploy(
      parseDeployConfig({ RPC_URL: node.url, DEPLOYMENTS_FILE: path.join(dir, "deployment.json") }),
      log,
    );
    const startBlock = deployment.startBlock ?? 0;

    log(`generating ${fmt(opts.events)} events, ${opts.perBlock} a block …`);
    let reported = 0;
    const generated = await generateAnchorEvents({
      url: node.url,
      deployment,
      count: opts.events,
      perBlock: opts.perBlock,
      onProgress: (sent, seconds) => {
        if (sent - reported < 5_000 && sent < opts.events) return;
        reported = sent;
        log(`  ${fmt(sent)} / ${fmt(opts.events)} events (${fmt(sent / seconds)} tx/s)`);
      },
    });
    const deploymentEvents = await countLogs(node.url, deployment, startBlock, generated.firstBlock - 1);
    const expectedRows = deploymentEvents + generated.eventCount;
    log(
      `generated ${fmt(generated.eventCount)} events in blocks ${generated.firstBlock}-${generated.lastBlock} ` +
        `in ${fmt(generated.seconds, 1)} s; the deployment emitted ${deploymentEvents} more`,
    );

    const url = `file:${path.join(dir, "indexer.sqlite")}`;
    await migrateDatabase(url);
    db = createDatabase(url);
    chain = createChain({ deployment, rpcUrl: node.url, signerKey: devWallet("bank").privateKey });
    const spans = createSpans();
    probeChain(chain, spans);
    const indexer = createIndexer({
      db: probeDatabase(db, spans),
      chain,
      logger: pino({ level: "silent" }),
      metrics: createMetrics("bench"),
      confirmations: 0,
      startBlock,
      maxBlocksPerStep: opts.maxBlocksPerStep,
    });

    log(`backfilling blocks ${startBlock}-${generated.lastBlock} into a fresh SQLite database …`);
    const backfill = async () => {
      const started = performance.now();
      await indexer.catchUp();
      return (performance.now() - started) / 1000;
    };
    let seconds: number;
    if (opts.profile) {
      const { result, profile } = await profiled(backfill);
      seconds = result;
      fs.writeFileSync(opts.profile, JSON.stringify(profile));
      log(`wrote the CPU profile of the backfill to ${opts.profile}`);
      printProfile(summariseProfile(profile));
    } else {
      seconds = await backfill();
    }

    const rows = await db.prisma.chainEvent.count();
    const anchors = await db.prisma.chainEvent.count({
      where: { name: { in: ["EvidenceAnchored", "BatchAnchored"] } },
    });
    if (anchors !== generated.eventCount || rows !== expectedRows) {
      throw new Error(
        `the indexer stored ${rows} events (${anchors} anchors) but the chain has ${expectedRows} ` +
          `(${generated.eventCount} anchors)`,
      );
    }
    const eventsPerSec = Math.round(rows / seconds);
    printResults({ rows, anchors, seconds, eventsPerSec, spans, opts, blocks: generated.lastBlock - startBlock + 1 });
    console.log(
      JSON.stringify({
        eventsPerSec,
        eventCount: rows,
        seconds: Number(seconds.toFixed(3)),
        blocks: generated.lastBlock - startBlock + 1,
        maxBlocksPerStep: opts.maxBlocksPerStep,
      }),
    );
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cleanUp();
  }
}

function printResults({
  rows,
  anchors,
  seconds,
  eventsPerSec,
  spans,
  opts,
  blocks,
}: {
  rows: number;
  anchors: number;
  seconds: number;
  eventsPerSec: number;
  spans: ReturnType<typeof createSpans>;
  opts: ReturnType<typeof options>;
  blocks: number;
}): void {
  const summary = new Table({
    head: ["backfill (anvil → SQLite)", "value"],
    style: PLAIN,
    colAligns: ["left", "right"],
  });
  summary.push(
    ["events stored (all verified present)", fmt(rows)],
    ["  of which generated anchors", fmt(anchors)],
    ["blocks", fmt(blocks)],
    ["maxBlocksPerStep", fmt(opts.maxBlocksPerStep)],
    ["steps (eth_getLogs calls)", fmt(spans.get("http eth_getLogs").calls)],
    ["seconds", fmt(seconds, 2)],
    ["events/s", fmt(eventsPerSec)],
  );
  console.log(summary.toString());

  const totalMs = seconds * 1000;
  const entries = spans.entries();
  const breakdown = new Table({
    head: ["where the backfill's time went", "calls", "ms", "share"],
    style: PLAIN,
    colAligns: ["left", "right", "right", "right"],
  });
  const row = (label: string, calls: number | string, ms: number) =>
    breakdown.push([
      label,
      typeof calls === "number" ? fmt(calls) : calls,
      fmt(ms),
      `${fmt((100 * ms) / totalMs, 1)}%`,
    ]);
  // Per JSON-RPC method: the HTTP exchange (the node's work and the transfer), then, for calls made through
  // provider.send, ethers' decoding of the response on top of it.
  const methods = new Set(entries.filter((e) => /^(rpc|http) /.test(e.label)).map((e) => e.label.split(" ")[1]));
  let rpcMs = 0;
  for (const method of [...methods].sort((a, b) => spans.get(`http ${b}`).ms - spans.get(`http ${a}`).ms)) {
    const http = spans.get(`http ${method}`);
    const rpc = spans.get(`rpc ${method}`);
    row(`${method}: node + HTTP transfer`, http.calls, http.ms);
    if (rpc.calls > 0) row(`${method}: ethers: batching wait + response decoding`, "", rpc.ms - http.ms);
    rpcMs += Math.max(http.ms, rpc.ms);
  }
  const inTx = entries.filter((e) => e.label.includes("(in tx)"));
  const outsideTx = entries.filter(
    (e) => e.label.startsWith("db ") && !e.label.includes("(in tx)") && e.label !== "db $transaction",
  );
  for (const e of outsideTx.sort((a, b) => b.ms - a.ms)) row(e.label, e.calls, e.ms);
  for (const e of inTx.sort((a, b) => b.ms - a.ms)) row(e.label, e.calls, e.ms);
  const tx = spans.get("db $transaction");
  const inTxMs = inTx.reduce((sum, e) => sum + e.ms, 0);
  row("db $transaction begin/commit", tx.calls, tx.ms - inTxMs);
  const accounted = rpcMs + outsideTx.reduce((sum, e) => sum + e.ms, 0) + tx.ms;
  row("the rest: parsing logs, building rows", "", totalMs - accounted);
  console.log(breakdown.toString());
}

function printProfile(summary: ReturnType<typeof summariseProfile>): void {
  const table = new Table({
    head: ["CPU self time by origin", "ms", "share"],
    style: PLAIN,
    colAligns: ["left", "right", "right"],
  });
  for (const { name, ms } of summary.origins) table.push([name, fmt(ms), `${fmt((100 * ms) / summary.totalMs, 1)}%`]);
  const functions = new Table({
    head: ["CPU self time by function", "ms", "share"],
    style: PLAIN,
    colAligns: ["left", "right", "right"],
  });
  for (const { name, ms } of summary.functions)
    functions.push([name.slice(0, 100), fmt(ms), `${fmt((100 * ms) / summary.totalMs, 1)}%`]);
  log(table.toString());
  log(functions.toString());
}

main().catch((error: Error) => {
  log(`bench:indexer failed: ${error.stack ?? error.message}`);
  process.exitCode = 1;
});
