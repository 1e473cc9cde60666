/**
 * `npm run bench:verified`: documents per second that become payable — uploaded, anchored, verified on chain by both
 * nodes (the quorum of 2 reached: both verifiers' BatchAttested accepting the leaf's position, or the registry's
 * EvidenceVerified for evidence anchored alone) — against documents per second anchored.
 *
 * The chain set-up of `npm start` (scripts/start.ts): anvil making a block every --block-ms (1,000), both nodes with
 * CONFIRMATIONS=1 and their verifiers on; otherwise the nodes' defaults. --facilities facilities are opened through
 * the API, and one more for the spot check. Then:
 *   1. bulk: --docs documents (10,000) uploaded through POST /documents/bulk (100 a request, 4 in flight), of the kinds
 *      the regulator checks against its registry's supplier licence (purchase contracts, invoices, delivery notes).
 *      anchoredPerSec: documents / seconds from the first upload until every one was anchored on chain;
 *      verifiedPerSec: documents made payable / seconds from the first upload until the last was; ratio = the two.
 *   2. freeze: once every document is anchored (the verification backlog at its largest), a FAIL spot check on the
 *      extra facility: freezeLatencyS from sending it to the regulator node's answer (which waits for the freeze on
 *      chain), and the blocks between.
 *   3. sustained: --rate (100) documents a second for --sustained-s (30) seconds, one bulk request a second;
 *      latencyP50S / latencyP99S from each request's start until its document was seen payable on chain.
 * gasPerVerifiedDocPerNode: gas of every transaction the two verifier accounts sent, over documents made payable, over
 * two nodes. The chain is read every 500 ms (BatchAnchored, BatchAttested and EvidenceVerified logs; a batch's leaves'
 * positions from the bank node's GET /batches/:root).
 *
 * Bounded: the run stops waiting when --budget-s (1,200) is spent, and reports what was reached ("complete": false,
 * the counts, and latencies over the documents that made it, with "unverified" saying how many did not).
 *
 *   npm run bench:verified -- [--docs 10000] [--facilities 4] [--rate 100] [--sustained-s 30] [--block-ms 1000]
 *                             [--budget-s 1200]
 *
 * Progress goes to stderr; stdout gets a table and, as its last line, one JSON object.
 */
import Table from "cli-table3";
import { JsonRpcProvider, type Log } from "ethers";
import path from "node:path";
import { parseArgs } from "node:util";
import { startLiveSystem } from "../../test/helpers/liveSystem";
import { EvidenceRegistry__factory } from "../../typechain-types";
import { freezeUnderBacklog } from "./lib/backlog";
import { onCleanup, runBenchmark } from "./lib/cleanup";
import { benchDocuments, openFacilities, uploadAllBulk, type BenchDocument } from "./lib/documents";
import { createHttpClient } from "./lib/http";
import { every } from "./lib/pool";
import { PLAIN, fmt, machine, round, today } from "./lib/report";
import { freePort } from "./lib/system";

const log = (line: string) => process.stderr.write(`[bench:verified] ${line}\n`);
const KINDS = ["PURCHASE_CONTRACT", "INVOICE", "DELIVERY_NOTE"] as const;

function options() {
  const { values } = parseArgs({
    options: {
      docs: { type: "string", default: "10000" },
      facilities: { type: "string", default: "4" },
      rate: { type: "string", default: "100" },
      "sustained-s": { type: "string", default: "30" },
      "block-ms": { type: "string", default: "1000" },
      "budget-s": { type: "string", default: "1200" },
    },
  });
  const positive = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  return {
    docs: positive("docs"),
    facilities: positive("facilities"),
    rate: positive("rate"),
    sustainedS: positive("sustained-s"),
    blockMs: positive("block-ms"),
    budgetS: positive("budget-s"),
  };
}

/** The p-th quantile (0..1) of sorted numbers, or null when there are none. */
const quantile = (sorted: number[], p: number) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];

runBenchmark("bench:verified", async () => {
  const opts = options();
  const started = Date.now();
  const deadline = started + opts.budgetS * 1000;
  const left = () => deadline - Date.now();
  log(`${fmt(opts.docs)} documents, then ${opts.rate}/s for ${opts.sustainedS} s; budget ${opts.budgetS} s`);
  // Never hang: a step that does not return (a request to a node that stopped answering) ends the run 5 minutes after
  // the budget, stopping every process it started.
  setTimeout(
    () => {
      log("still running 5 minutes after the budget: stopping");
      process.kill(process.pid, "SIGTERM");
    },
    (opts.budgetS + 300) * 1000,
  ).unref();

  const system = await startLiveSystem({
    name: "bench-verified",
    ports: { chain: await freePort(), bank: await freePort(), regulator: await freePort() },
    chain: { kind: "anvil", intervalMs: opts.blockMs },
    env: {
      CONFIRMATIONS: "1",
      LOG_LEVEL: "warn",
      RATE_LIMIT_PER_MINUTE: "100000000",
      UPLOAD_QUOTA_PER_MINUTE: "100000000",
    },
    bankEnv: { REVIEW_CHECK_MS: "0" },
  });
  onCleanup("stop the chain node and both nodes", () => system.stop());
  const officer = createHttpClient(system.nodes.bank.url, system.keys.bank.active.bank_officer, 16);
  onCleanup("close the HTTP client", () => officer.close());
  const provider = new JsonRpcProvider(system.chainNode.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  onCleanup("close the provider", () => provider.destroy());
  const registry = EvidenceRegistry__factory.connect(system.deployment.contracts.EvidenceRegistry, provider);

  const inspector = createHttpClient(system.nodes.regulator.url, system.keys.regulator.active.regulator, 4);
  onCleanup("close the regulator's HTTP client", () => inspector.close());
  log(`opening ${opts.facilities + 1} facilities`);
  const facilityIds = await openFacilities(officer, opts.facilities + 1, inspector);
  const freezeFacility = BigInt(facilityIds.pop()!);
  if (facilityIds.join() !== facilityIds.map((_, i) => String(i + 1)).join()) {
    throw new Error(`facilities opened as ${facilityIds.join()}, not 1..${opts.facilities}`);
  }
  const firstBlock = await provider.getBlockNumber();

  // The chain, read every 500 ms: when each evidence was first seen payable, and the batches anchored. Payable: the
  // registry's EvidenceVerified (registered evidence), or both verifiers' BatchAttested accepting the leaf's position
  // with none rejecting it (what a payment's pre-flight reads, and registers the leaf for).
  const verifiedAt = new Map<string, number>();
  const verifiedTopic = registry.interface.getEvent("EvidenceVerified").topicHash;
  const batchAttestedTopic = registry.interface.getEvent("BatchAttested").topicHash;
  const verifierCount = (await registry.verifiers()).length;
  const threshold = Number(await registry.threshold());
  let batchesAnchored = 0;
  let nextBlock = firstBlock;
  let watching = true;
  const batchTopic = registry.interface.getEvent("BatchAnchored").topicHash;
  const batchRoots = new Set<string>();
  /** Per batch position ("root:index"): how many verifiers accepted it, whether one rejected it, when it became payable. */
  const positions = new Map<string, { accepted: number; rejected: boolean; payableAt?: number }>();
  /** The evidence at each batch position, from the bank node's GET /batches/:root (fetched once per batch). */
  const evidenceAt = new Map<string, string>();
  const leavesFetched = new Map<string, Promise<void>>();
  const fetchLeaves = (root: string) => {
    if (!leavesFetched.has(root)) {
      leavesFetched.set(
        root,
        officer
          .getJson<{ leaves: Array<{ evidenceId: string; index: number }> }>(`/batches/${root}`)
          .then(({ leaves }) => {
            for (const leaf of leaves) evidenceAt.set(`${root}:${leaf.index}`, leaf.evidenceId);
          })
          .catch(() => {
            leavesFetched.delete(root); // asked again on the next read
          }),
      );
    }
  };
  const bitsOf = (words: readonly bigint[]) => {
    const indexes: number[] = [];
    words.forEach((word, w) => {
      for (let b = 0; word >> BigInt(b) !== 0n; b++) if ((word >> BigInt(b)) & 1n) indexes.push(w * 256 + b);
    });
    return indexes;
  };
  const watcher = (async () => {
    while (watching) {
      const head = await provider.getBlockNumber().catch(() => nextBlock - 1);
      if (head >= nextBlock) {
        const logs: Log[] = await provider
          .getLogs({ address: registry.target, fromBlock: nextBlock, toBlock: head })
          .catch(() => []);
        const now = Date.now();
        for (const entry of logs) {
          const evidenceId = entry.topics[1];
          if (entry.topics[0] === verifiedTopic && !verifiedAt.has(evidenceId)) verifiedAt.set(evidenceId, now);
          if (entry.topics[0] === batchTopic) batchRoots.add(entry.topics[1]);
          if (entry.topics[0] === batchAttestedTopic) {
            const { root, accepted, rejected } = registry.interface.parseLog(entry)!.args as unknown as {
              root: string;
              accepted: bigint[];
              rejected: bigint[];
            };
            fetchLeaves(root);
            for (const index of bitsOf(rejected)) {
              const at = positions.get(`${root}:${index}`) ?? { accepted: 0, rejected: false };
              positions.set(`${root}:${index}`, { ...at, rejected: true, payableAt: undefined });
            }
            for (const index of bitsOf(accepted)) {
              const at = positions.get(`${root}:${index}`) ?? { accepted: 0, rejected: false };
              at.accepted++;
              if (!at.rejected && at.accepted >= threshold && at.payableAt === undefined) at.payableAt = now;
              positions.set(`${root}:${index}`, at);
            }
          }
        }
        batchesAnchored = batchRoots.size;
        nextBlock = head + 1;
      }
      await Promise.all(leavesFetched.values());
      for (const [position, at] of positions) {
        const evidenceId = evidenceAt.get(position);
        if (at.payableAt !== undefined && evidenceId && !verifiedAt.has(evidenceId)) {
          verifiedAt.set(evidenceId, at.payableAt);
          positions.delete(position);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  log(`${verifierCount} verifiers, threshold ${threshold}`);
  onCleanup("stop watching the chain", async () => {
    watching = false;
    await watcher;
  });

  /** The bank node's count of documents anchored (a batch anchors only its root; leaves are registered later). */
  const anchoredDocuments = async () => {
    const { text } = await officer.request("GET", "/metrics");
    return Number(/^qfm_documents_anchored_total(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
  };

  /** Waits until `done()` or the budget is spent; false when the budget ran out. */
  async function until(what: string, done: () => Promise<boolean> | boolean): Promise<boolean> {
    while (!(await done())) {
      if (left() <= 0) {
        log(`budget spent while waiting for ${what}`);
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return true;
  }

  // 1. Bulk.
  const bulkDocs = benchDocuments(opts.docs, opts.facilities, KINDS);
  const uploadedAt = new Map<string, number>();
  let uploaded = 0;
  let anchoredCount = 0;
  const bulkIds: string[] = [];
  const stopProgress = every(5_000, () => {
    const verified = bulkIds.filter((id) => verifiedAt.has(id)).length;
    log(
      `uploaded ${fmt(uploaded)} / anchored (bank) ${fmt(anchoredCount)} / payable ${fmt(verified)} of ` +
        `${fmt(opts.docs)}; ${batchesAnchored} batches; ${Math.round(left() / 1000)} s of budget left`,
    );
  });
  const t0 = Date.now();
  const answers = await uploadAllBulk(officer, bulkDocs, 100, 4, (n) => (uploaded += n));
  for (const doc of answers.flat()) {
    bulkIds.push(doc.evidenceId);
    uploadedAt.set(doc.evidenceId, t0);
  }
  const uploadSeconds = (Date.now() - t0) / 1000;
  const allAnchored = await until("every document anchored", async () => {
    anchoredCount = await anchoredDocuments().catch(() => anchoredCount);
    return anchoredCount >= opts.docs;
  });
  const anchoredSeconds = (Date.now() - t0) / 1000;

  // 2. The freeze, with the backlog at its largest.
  log(
    `spot check FAIL on facility ${freezeFacility} with ${fmt(opts.docs - verifiedAt.size)} documents not yet payable`,
  );
  const freeze = await freezeUnderBacklog({
    provider,
    deployment: system.deployment,
    regulatorUrl: system.nodes.regulator.url,
    regulatorKey: system.keys.regulator.active.regulator,
    databaseUrl: `file:${path.join(system.dataDir("regulator"), "db.sqlite")}`,
    facilityId: freezeFacility,
  });
  log(`freeze: ${freeze.status} ${freeze.facilityStatus} in ${freeze.answeredMs} ms, ${freeze.blocks} block(s)`);

  const allVerified = await until("every document payable", () => bulkIds.every((id) => verifiedAt.has(id)));
  const bulkVerified = bulkIds.filter((id) => verifiedAt.has(id));
  const lastVerified = Math.max(t0, ...bulkVerified.map((id) => verifiedAt.get(id)!));
  const verifiedSeconds = (lastVerified - t0) / 1000;

  // 3. Sustained.
  const sustainedIds: string[] = [];
  let sustainedSent = 0;
  if (left() > opts.sustainedS * 1000) {
    log(`sustained: ${opts.rate} documents a second for ${opts.sustainedS} s`);
    const count = opts.rate * opts.sustainedS;
    const docs = benchDocuments(count, opts.facilities, KINDS);
    const requests: Promise<void>[] = [];
    const phaseStart = Date.now();
    for (let second = 0; second < opts.sustainedS; second++) {
      const wait = phaseStart + second * 1000 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const slice: BenchDocument[] = docs.slice(second * opts.rate, (second + 1) * opts.rate);
      const sentAt = Date.now();
      requests.push(
        uploadAllBulk(officer, slice, 100, 1).then((groups) => {
          for (const doc of groups.flat()) {
            sustainedIds.push(doc.evidenceId);
            uploadedAt.set(doc.evidenceId, sentAt);
          }
        }),
      );
      sustainedSent += slice.length;
    }
    await Promise.all(requests);
    await until("the sustained phase's documents payable", () => sustainedIds.every((id) => verifiedAt.has(id)));
  } else log("no budget left for the sustained phase");
  stopProgress();

  // Gas of the verifier accounts, over the blocks of the run.
  const verifiers = new Set((await registry.verifiers()).map((address) => address.toLowerCase()));
  const lastBlock = await provider.getBlockNumber();
  let verifierGas = 0n;
  for (let block = firstBlock + 1; block <= lastBlock; block++) {
    const receipts = (await provider.send("eth_getBlockReceipts", [`0x${block.toString(16)}`])) as {
      from: string;
      gasUsed: string;
    }[];
    for (const receipt of receipts ?? []) {
      if (verifiers.has(receipt.from.toLowerCase())) verifierGas += BigInt(receipt.gasUsed);
    }
  }
  watching = false;
  await watcher;

  const payable = [...bulkIds, ...sustainedIds].filter((id) => verifiedAt.has(id)).length;
  // Over every document of the sustained phase: one not payable when the budget ran out counts as slower than all
  // the others, so a quantile that falls on one is unknown (null), never flattered.
  const latencies = sustainedIds
    .map((id) => (verifiedAt.has(id) ? (verifiedAt.get(id)! - uploadedAt.get(id)!) / 1000 : Infinity))
    .sort((a, b) => a - b);
  const finite = (value: number | null) => (value === null || !Number.isFinite(value) ? null : round(value, 2));
  const anchoredPerSec = allAnchored ? opts.docs / anchoredSeconds : anchoredCount / anchoredSeconds;
  const verifiedPerSec = verifiedSeconds > 0 ? bulkVerified.length / verifiedSeconds : 0;
  const result = {
    docs: opts.docs,
    anchoredPerSec: round(anchoredPerSec, 2),
    verifiedPerSec: round(verifiedPerSec, 3),
    ratio: round(verifiedPerSec / anchoredPerSec, 4),
    latencyP50S: finite(quantile(latencies, 0.5)),
    latencyP99S: finite(quantile(latencies, 0.99)),
    gasPerVerifiedDocPerNode: payable > 0 ? Math.round(Number(verifierGas) / payable / verifiers.size) : null,
    freezeLatencyS: round(freeze.answeredMs / 1000, 2),
    freezeBlocks: freeze.blocks,
    bulkPayable: bulkVerified.length,
    sustainedSent,
    sustainedPayable: latencies.filter(Number.isFinite).length,
    unverified: bulkIds.length + sustainedIds.length - payable,
    complete: allAnchored && allVerified && sustainedIds.length > 0 && latencies.every(Number.isFinite),
    blockMs: opts.blockMs,
    seconds: Math.round((Date.now() - started) / 1000),
  };

  const table = new Table({ head: ["bench:verified", "value"], style: PLAIN, colAligns: ["left", "right"] });
  table.push(
    ["date / machine", `${today()}, ${machine()}`],
    ["chain", `anvil, a block every ${opts.blockMs} ms, CONFIRMATIONS=1 (npm start)`],
    ["bulk: uploaded (s)", fmt(uploadSeconds, 1)],
    ["bulk: all anchored (s from first upload)", allAnchored ? fmt(anchoredSeconds, 1) : "budget spent"],
    ["bulk: payable", `${fmt(bulkVerified.length)} of ${fmt(opts.docs)} in ${fmt(verifiedSeconds, 1)} s`],
    ["anchored / payable per second", `${fmt(anchoredPerSec, 1)} / ${fmt(verifiedPerSec, 2)}`],
    ["freeze (spot check → answer)", `${fmt(freeze.answeredMs)} ms, ${freeze.blocks} block(s), ${freeze.status}`],
    ["sustained: payable", `${fmt(result.sustainedPayable)} of ${fmt(sustainedSent)}`],
    ["sustained: latency p50 / p99 (s)", `${result.latencyP50S ?? "—"} / ${result.latencyP99S ?? "—"}`],
    [
      "verifier gas per payable document per node",
      result.gasPerVerifiedDocPerNode === null ? "—" : fmt(result.gasPerVerifiedDocPerNode),
    ],
  );
  return {
    print() {
      console.log(table.toString());
      console.log(JSON.stringify(result));
    },
  };
});
