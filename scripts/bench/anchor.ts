/**
 * `npm run bench:anchor`: documents per second end to end — upload, Merkle batch, anchor on chain, proof — against
 * the same documents hashed and written straight into a database.
 *
 * Each run starts a chain node (anvil), deploys, starts a real bank node process (its own SQLite database, verifier
 * off), uploads BENCH_DOCUMENTS (10,000) small distinct PDF documents, waits until every one is ANCHORED and fetches
 * every proof: the wall time of that gives the rate. Two runs, as two kinds of client upload:
 *   bulk   — POST /documents/bulk, BENCH_BULK_SIZE (100) files a request, BENCH_BULK_CONCURRENCY (4) in flight; the
 *            proofs batch by batch (GET /batches/:root, the roots from each upload's first document). The headline.
 *   single — POST /documents, one file a request, BENCH_CONCURRENCY (16) in flight; GET /documents/:id/proof each.
 * Off the clock, every proof is checked with @openzeppelin/merkle-tree and every root on chain. The baseline gives
 * each document the hashes the node gives it (sha256, a random salt, keccak256, the evidence id) and one prisma
 * document.create in a fresh migrated SQLite database, one after another: no API, no file store, no chain. Progress
 * goes to stderr; a table and, as the last line, {"docsPerSec","baselineDocsPerSec","ratio",...} to stdout.
 *
 *   BENCH_MODES (bulk,single), BATCH_MAX_SIZE (1024), BATCH_MAX_AGE_MS (1000), BENCH_CHAIN=anvil|hardhat,
 *   BENCH_PROFILE=<dir> (CPU profile of the bank node), BENCH_KEEP=1 (keep the temporary directory)
 */
import { JsonRpcProvider, hexlify, randomBytes } from "ethers";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { contentHashOf, evidenceIdOf, saltedHashOf } from "../../server/chain/evidence";
import { createDatabase } from "../../server/db/client";
import { migrateDatabase } from "../../server/db/migrate";
import { tempDir } from "../../test/helpers/processes";
import { EvidenceRegistry__factory } from "../../typechain-types";
import { onCleanup, runBenchmark } from "./lib/cleanup";
import {
  anchoredCount,
  benchDocuments,
  checkProof,
  openFacilities,
  proofsByBatch,
  uploadAll,
  uploadAllBulk,
  waitAnchored,
  type BenchDocument,
  type Proof,
  type UploadedDocument,
} from "./lib/documents";
import { createHttpClient } from "./lib/http";
import { every, mapPool } from "./lib/pool";
import { fmt, machine, markdownTable, round, today, verdict } from "./lib/report";
import { cpuSeconds, startBenchSystem } from "./lib/system";

const DOCUMENTS = Number(process.env.BENCH_DOCUMENTS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const BATCH_MAX_SIZE = process.env.BATCH_MAX_SIZE ?? "1024";
const BATCH_MAX_AGE_MS = process.env.BATCH_MAX_AGE_MS ?? "1000";
const BULK_SIZE = Number(process.env.BENCH_BULK_SIZE ?? 100);
const BULK_CONCURRENCY = Number(process.env.BENCH_BULK_CONCURRENCY ?? 4);
const BENCH_CHAIN = process.env.BENCH_CHAIN ?? "anvil";
type Mode = "bulk" | "single";
const MODES: Mode[] = (process.env.BENCH_MODES ?? "bulk,single").split(",").map((mode) => {
  if (mode !== "bulk" && mode !== "single") throw new Error(`BENCH_MODES: unknown mode ${mode} (bulk, single)`);
  return mode;
});
const TARGET_DOCS_PER_SEC = 1_000;
const TARGET_RATIO = 0.3;
/** The counterparty the baseline's rows name (only their cost is measured). */
const BENCH_COUNTERPARTY = "0x00000000000000000000000000000000000000b1";

const log = (line: string) => console.error(`[bench:anchor] ${line}`);
const seconds = (from: number, to = performance.now()) => (to - from) / 1000;

/** The same documents, hashed as the node hashes them and written one by one into a fresh SQLite database. */
async function baseline(documents: readonly BenchDocument[]): Promise<number> {
  const dir = tempDir("bench-baseline");
  onCleanup(`remove ${dir}`, () => fs.rmSync(dir, { recursive: true, force: true }));
  const url = `file:${path.join(dir, "db.sqlite")}`;
  await migrateDatabase(url);
  const db = createDatabase(url);
  try {
    const start = performance.now();
    for (const [i, document] of documents.entries()) {
      const contentHash = contentHashOf(document.bytes);
      const salt = hexlify(randomBytes(32));
      const saltedHash = saltedHashOf(salt, contentHash);
      const facilityId = BigInt(document.facilityId);
      await db.prisma.document.create({
        data: {
          id: randomUUID(),
          facilityId,
          kind: document.kind,
          mimeType: "application/pdf",
          size: document.bytes.length,
          originalName: document.name,
          metadata: document.metadata,
          contentHash,
          salt,
          saltedHash,
          evidenceId: evidenceIdOf(facilityId, document.kind, BENCH_COUNTERPARTY, saltedHash),
          counterparty: BENCH_COUNTERPARTY,
          uploadedBy: "bench/baseline",
        },
      });
      if ((i + 1) % 2_500 === 0) log(`baseline: ${fmt(i + 1)} / ${fmt(documents.length)} written`);
    }
    return seconds(start);
  } finally {
    await db.close();
  }
}

/** One end-to-end run: a fresh chain node and bank node, every document uploaded, anchored, and its proof served. */
async function endToEnd(mode: Mode, documents: readonly BenchDocument[]) {
  const say = (line: string) => log(`${mode}: ${line}`);
  const system = await startBenchSystem({ BATCH_MAX_SIZE, BATCH_MAX_AGE_MS }, say);
  const client = createHttpClient(system.bank.url, system.apiKey, CONCURRENCY * 2);
  const provider = new JsonRpcProvider(system.chain.url, undefined, { staticNetwork: true });
  const registry = EvidenceRegistry__factory.connect(system.deployment.contracts.EvidenceRegistry, provider);
  try {
    // The documents name facility 1: open it (off the clock), as evidence needs an open facility.
    const opened = await openFacilities(client, 1);
    if (opened[0] !== "1") throw new Error(`the first facility on a fresh chain got id ${opened[0]}, not 1`);
    let uploaded = 0;
    let anchored = 0;
    let proofs = 0;
    const stopProgress = every(1_000, () =>
      say(`uploaded ${fmt(uploaded)} / anchored ${fmt(anchored)} / proofs ${fmt(proofs)} of ${fmt(documents.length)}`),
    );
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        anchored = await anchoredCount(client).catch(() => anchored);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();

    const start = performance.now();
    const cpuAtStart = cpuSeconds(system.bank.child.pid);
    let uploads: UploadedDocument[];
    let requests: UploadedDocument[][] = [];
    let uploadedAt: number;
    let anchoredAt: number;
    try {
      if (mode === "bulk") {
        requests = await uploadAllBulk(client, documents, BULK_SIZE, BULK_CONCURRENCY, (n) => (uploaded += n));
        uploads = requests.flat();
      } else {
        uploads = await uploadAll(client, documents, CONCURRENCY, () => uploaded++);
      }
      uploadedAt = performance.now();
      await waitAnchored(client, documents.length, 300_000);
      anchoredAt = performance.now();
    } finally {
      watching = false;
      await watcher;
    }
    anchored = documents.length;

    // Fetched within the clock; checked after it: verifying costs the client about half a millisecond of CPU a proof,
    // which on a machine this size the node would pay for.
    let proofsOf: Proof[];
    if (mode === "bulk") {
      const byDocument = await proofsByBatch(client, requests, BULK_CONCURRENCY, (n) => (proofs += n));
      proofsOf = uploads.map((document) => {
        const proof = byDocument.get(document.id);
        if (!proof) throw new Error(`no batch holds document ${document.id}`);
        return proof;
      });
    } else {
      proofsOf = await mapPool(uploads, CONCURRENCY, async (document) => {
        const proof = await client.getJson<Proof>(`/documents/${document.id}/proof`);
        proofs++;
        return proof;
      });
    }
    const end = performance.now();
    const cpuAtEnd = cpuSeconds(system.bank.child.pid);
    stopProgress();

    const roots = new Map<string, number>();
    for (const [i, proof] of proofsOf.entries()) {
      checkProof(uploads[i], proof);
      roots.set(proof.root, (roots.get(proof.root) ?? 0) + 1);
    }
    for (const [root, size] of roots) {
      const [onChainAt, onChainSize] = await registry.batchOf(root);
      if (onChainAt === 0n || Number(onChainSize) !== size) {
        throw new Error(
          `root ${root} is not on chain with ${size} leaves (chain: anchored ${onChainAt}, ${onChainSize})`,
        );
      }
    }
    say(
      `all ${fmt(documents.length)} proofs verify with @openzeppelin/merkle-tree; all ${roots.size} roots are on chain`,
    );
    const sizes = [...roots.values()];
    return {
      mode,
      upload: seconds(start, uploadedAt),
      anchoring: seconds(uploadedAt, anchoredAt),
      proofs: seconds(anchoredAt, end),
      total: seconds(start, end),
      batches: `${roots.size} batches, ${fmt(Math.min(...sizes))}–${fmt(Math.max(...sizes))} leaves`,
      nodeCpu: cpuAtStart !== undefined && cpuAtEnd !== undefined ? cpuAtEnd - cpuAtStart : undefined,
    };
  } finally {
    client.close();
    provider.destroy();
    await system.stop();
  }
}

runBenchmark("bench:anchor", async () => {
  log(
    `${fmt(DOCUMENTS)} documents; bulk: ${BULK_SIZE} a request, ${BULK_CONCURRENCY} in flight; ` +
      `single: ${CONCURRENCY} in flight; batches of up to ${BATCH_MAX_SIZE}`,
  );
  const documents = benchDocuments(DOCUMENTS);

  const baselineSeconds = await baseline(documents);
  const baselineDocsPerSec = DOCUMENTS / baselineSeconds;
  log(`baseline: ${fmt(baselineDocsPerSec)} documents/s`);

  const runs: Awaited<ReturnType<typeof endToEnd>>[] = [];
  for (const mode of MODES) runs.push(await endToEnd(mode, benchDocuments(DOCUMENTS)));
  const rate = (run: (typeof runs)[number]) => DOCUMENTS / run.total;
  const headline = runs.find((run) => run.mode === "bulk") ?? runs[0];
  const single = runs.find((run) => run.mode === "single");
  const docsPerSec = rate(headline);
  const ratio = docsPerSec / baselineDocsPerSec;

  const rows = runs.flatMap((run) => {
    const how = run.mode === "bulk" ? `POST /documents/bulk, ${BULK_SIZE} a request` : "POST /documents, one a request";
    const proofs = run.mode === "bulk" ? "GET /batches/:root" : "GET /documents/:id/proof";
    return [
      [`${run.mode}: upload (${how})`, fmt(run.upload, 2), fmt(DOCUMENTS / run.upload)],
      [`${run.mode}: anchoring after the last upload`, fmt(run.anchoring, 2), run.batches],
      [`${run.mode}: proofs (${proofs})`, fmt(run.proofs, 2), fmt(DOCUMENTS / run.proofs)],
      [`${run.mode}: end to end`, fmt(run.total, 2), fmt(rate(run))],
    ];
  });
  rows.push(["baseline: hash + prisma document.create", fmt(baselineSeconds, 2), fmt(baselineDocsPerSec)]);
  return {
    print() {
      console.log(`\nbench:anchor — ${fmt(DOCUMENTS)} documents a run, ${today()}, ${machine()}`);
      console.log(
        `chain: ${BENCH_CHAIN}; bank node: SQLite, BATCH_MAX_SIZE=${BATCH_MAX_SIZE}, BATCH_MAX_AGE_MS=${BATCH_MAX_AGE_MS}\n`,
      );
      console.log(markdownTable(["phase", "seconds", "documents/s"], rows));
      for (const run of runs) {
        const cpu =
          run.nodeCpu === undefined
            ? "unknown (no /proc)"
            : `${fmt(run.nodeCpu, 2)} s = ${fmt((run.nodeCpu / DOCUMENTS) * 1000, 2)} ms a document`;
        console.log(`bank node CPU, first upload to last proof (${run.mode}): ${cpu}`);
      }
      console.log(
        `\nend to end (${headline.mode}) ${fmt(docsPerSec)} documents/s ` +
          `(target ≥ ${fmt(TARGET_DOCS_PER_SEC)}: ${verdict(docsPerSec >= TARGET_DOCS_PER_SEC)}); ` +
          `ratio to the baseline ${fmt(ratio, 3)} (target ≥ ${TARGET_RATIO}: ${verdict(ratio >= TARGET_RATIO)})` +
          (single ? `; one document a request: ${fmt(rate(single))} documents/s` : ""),
      );
      console.log(
        JSON.stringify({
          docsPerSec: round(docsPerSec, 1),
          baselineDocsPerSec: round(baselineDocsPerSec, 1),
          ratio: round(ratio, 3),
          mode: headline.mode,
          ...(single
            ? { singleDocsPerSec: round(rate(single), 1), singleRatio: round(rate(single) / baselineDocsPerSec, 3) }
            : {}),
        }),
      );
    },
  };
});
