/**
 * `npm run bench:freeze`: how long the regulator's freeze takes while its node has a large verification backlog.
 *
 * Starts the system as processes (a `hardhat node` chain making a block every --block-ms, the bank node and the
 * regulator node), creates a facility on chain, anchors --backlog evidence leaves in one batch and queues the regulator
 * verifier's jobs for them (a leaf registration and an attestation each: 2 × --backlog chain writes) in the regulator
 * node's database. Once the relays are under way it sends --checks FAIL spot checks, each on a new facility, and
 * measures the blocks from the spot check to the freeze on chain and the time until the node answered.
 *
 *   npm run bench:freeze -- [--backlog 10000] [--block-ms 1000] [--checks 3]
 *
 * Progress goes to stderr; stdout gets one line per spot check and, as its last line, one JSON object.
 */
import { parseArgs } from "node:util";
import path from "node:path";
import { devWallet } from "../lib/deploy-config";
import { startLiveSystem } from "../../test/helpers/liveSystem";
import { waitFor } from "../../test/helpers/processes";
import { facilityOnChain, freezeUnderBacklog, intervalMining, queueVerifierBacklog } from "./lib/backlog";
import { freePort } from "./lib/system";

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backlog: { type: "string", default: "10000" },
      "block-ms": { type: "string", default: "1000" },
      checks: { type: "string", default: "3" },
    },
  });
  const backlog = Number(values.backlog);
  const blockMs = Number(values["block-ms"]);
  const checks = Number(values.checks);
  log(`bench:freeze: starting the chain, the bank node and the regulator node`);
  const system = await startLiveSystem({
    name: "bench-freeze",
    ports: { chain: await freePort(), bank: await freePort(), regulator: await freePort() },
    env: { POLL_INTERVAL_MS: "200", RATE_LIMIT_PER_MINUTE: "100000", LOG_LEVEL: "warn" },
    bankEnv: { REVIEW_CHECK_MS: "0", VERIFIER_ENABLED: "false" },
  });
  try {
    const databaseUrl = `file:${path.join(system.dataDir("regulator"), "db.sqlite")}`;
    const facilities: bigint[] = [];
    for (let i = 0; i < checks + 1; i++) facilities.push(await facilityOnChain(system.provider, system.deployment));
    await intervalMining(system.provider, blockMs);
    log(`bench:freeze: queueing ${backlog} attestations (and their leaf registrations) on the regulator node`);
    await queueVerifierBacklog({
      provider: system.provider,
      deployment: system.deployment,
      databaseUrl,
      facilityId: facilities[checks],
      count: backlog,
      verifierKey: devWallet("regulatorVerifier").privateKey,
    });
    const registry = system.contracts.registry;
    await waitFor("the first relayed attestations", async () => {
      return (await registry.queryFilter(registry.filters.EvidenceAttested(), 0)).length >= 2;
    });
    const results = [];
    for (const facilityId of facilities.slice(0, checks)) {
      const measure = await freezeUnderBacklog({
        provider: system.provider,
        deployment: system.deployment,
        regulatorUrl: system.nodes.regulator.url,
        regulatorKey: system.keys.regulator.active.regulator,
        databaseUrl,
        facilityId,
      });
      console.log(
        `freeze latency with ${measure.attestationsQueued} attestations queued: ${measure.blocks} block(s) ` +
          `(${blockMs} ms blocks), spot check answered ${measure.status} ${measure.facilityStatus} in ${measure.answeredMs} ms`,
      );
      results.push(measure);
    }
    const worst = results.reduce((a, b) => (b.blocks > a.blocks ? b : a));
    console.log(
      JSON.stringify({
        backlog,
        blockMs,
        checks,
        maxBlocks: worst.blocks,
        maxAnsweredMs: Math.max(...results.map((r) => r.answeredMs)),
        allFrozen: results.every((r) => r.facilityStatus === "FROZEN"),
      }),
    );
  } finally {
    await system.stop();
  }
}

main().catch((error: Error) => {
  log(`bench:freeze failed: ${error.stack ?? String(error)}`);
  process.exitCode = 1;
});
