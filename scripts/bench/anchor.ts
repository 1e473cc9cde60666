/**
 * `npm run bench:anchor`: documents per second end to end — upload, Merkle batch, anchor on chain, proof — against
 * the same documents hashed and written straight into a database.
 *
 * Starts a chain node (anvil), deploys, starts a real bank node process (its own SQLite database, verifier off),
 * uploads BENCH_DOCUMENTS (10,000) small distinct PDF documents through POST /documents with BENCH_CONCURRENCY (16) in
 * flight, waits until every one is ANCHORED and fetches every proof: the wall time of that gives docsPerSec. Then, off
 * the clock, it checks every proof with @openzeppelin/merkle-tree and every root on chain. The baseline gives each
 * document the hashes the node gives it (sha256, a random salt, keccak256, the evidence id) and one prisma
 * document.create in a fresh migrated SQLite database, one after another: no API, no file store, no chain. Progress
 * goes to stderr; a table and, as the last line, {"docsPerSec","baselineDocsPerSec","ratio"} to stdout.
 *
 *   BENCH_DOCUMENTS, BENCH_CONCURRENCY, BATCH_MAX_SIZE (1024), BATCH_MAX_AGE_MS (1000), BENCH_CHAIN=anvil|hardhat,
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
  uploadAll,
  waitAnchored,
  type BenchDocument,
  type Proof,
} from "./lib/documents";
import { createHttpClient } from "./lib/http";
import { every, mapPool } from "./lib/pool";
import { fmt, machine, markdownTable, round, today, verdict } from "./lib/report";
import { cpuSeconds, startBenchSystem } from "./lib/system";

const DOCUMENTS = Number(process.env.BENCH_DOCUMENTS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const BATCH_MAX_SIZE = process.env.BATCH_MAX_SIZE ?? "1024";
const BATCH_MAX_AGE_MS = process.env.BATCH_MAX_AGE_MS ?? "1000";
const TARGET_DOCS_PER_SEC = 1_000;
const TARGET_RATIO = 0.3;

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
          evidenceId: evidenceIdOf(facilityId, document.kind, saltedHash),
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

runBenchmark("bench:anchor", async () => {
  log(`${fmt(DOCUMENTS)} documents, ${CONCURRENCY} uploads in flight, batches of up to ${BATCH_MAX_SIZE}`);
  const documents = benchDocuments(DOCUMENTS);

  const baselineSeconds = await baseline(documents);
  const baselineDocsPerSec = DOCUMENTS / baselineSeconds;
  log(`baseline: ${fmt(baselineDocsPerSec)} documents/s`);

  const system = await startBenchSystem({ BATCH_MAX_SIZE, BATCH_MAX_AGE_MS }, log);
  const client = createHttpClient(system.bank.url, system.apiKey, CONCURRENCY * 2);
  onCleanup("close the HTTP client", () => client.close());
  const provider = new JsonRpcProvider(system.chain.url, undefined, { staticNetwork: true });
  onCleanup("close the chain provider", () => provider.destroy());
  const registry = EvidenceRegistry__factory.connect(system.deployment.contracts.EvidenceRegistry, provider);

  let uploaded = 0;
  let anchored = 0;
  let proofs = 0;
  const stopProgress = every(1_000, () =>
    log(`uploaded ${fmt(uploaded)} / anchored ${fmt(anchored)} / proofs ${fmt(proofs)} of ${fmt(DOCUMENTS)}`),
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
  const clientCpuAtStart = process.cpuUsage();
  let uploads: Awaited<ReturnType<typeof uploadAll>>;
  let uploadedAt: number;
  let anchoredAt: number;
  try {
    uploads = await uploadAll(client, documents, CONCURRENCY, () => uploaded++);
    uploadedAt = performance.now();
    await waitAnchored(client, DOCUMENTS, 300_000);
    anchoredAt = performance.now();
  } finally {
    watching = false;
    await watcher;
  }
  anchored = DOCUMENTS;

  // Fetched within the clock; checked after it: verifying costs the client about half a millisecond of CPU a proof,
  // which on a machine this size the node would pay for.
  const proofsOf = await mapPool(uploads, CONCURRENCY, async (document) => {
    const proof = await client.getJson<Proof>(`/documents/${document.id}/proof`);
    if (proof.evidenceId !== document.evidenceId)
      throw new Error(`GET /documents/${document.id}/proof: another evidence`);
    proofs++;
    return proof;
  });
  const end = performance.now();
  const cpuAtEnd = cpuSeconds(system.bank.child.pid);
  const clientCpu = process.cpuUsage(clientCpuAtStart);
  stopProgress();

  const verifyStart = performance.now();
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
  const verifySeconds = seconds(verifyStart);
  log(`all ${fmt(DOCUMENTS)} proofs verify with @openzeppelin/merkle-tree; all ${roots.size} roots are on chain`);

  const total = seconds(start, end);
  const docsPerSec = DOCUMENTS / total;
  const ratio = docsPerSec / baselineDocsPerSec;
  const sizes = [...roots.values()];
  const nodeCpu = cpuAtStart !== undefined && cpuAtEnd !== undefined ? cpuAtEnd - cpuAtStart : undefined;
  const rows = [
    ["upload (POST /documents)", fmt(seconds(start, uploadedAt), 2), fmt(DOCUMENTS / seconds(start, uploadedAt))],
    [
      "anchoring after the last upload",
      fmt(seconds(uploadedAt, anchoredAt), 2),
      `${roots.size} batches, ${fmt(Math.min(...sizes))}–${fmt(Math.max(...sizes))} leaves`,
    ],
    ["proofs (GET /documents/:id/proof)", fmt(seconds(anchoredAt, end), 2), fmt(DOCUMENTS / seconds(anchoredAt, end))],
    ["end to end", fmt(total, 2), fmt(docsPerSec)],
    ["(after the clock) every proof and root verified", fmt(verifySeconds, 2), fmt(DOCUMENTS / verifySeconds)],
    ["baseline: hash + prisma document.create", fmt(baselineSeconds, 2), fmt(baselineDocsPerSec)],
  ];
  return {
    print() {
      console.log(`\nbench:anchor — ${fmt(DOCUMENTS)} documents, ${today()}, ${machine()}`);
      console.log(
        `chain: ${system.chain.kind}; bank node: SQLite, BATCH_MAX_SIZE=${BATCH_MAX_SIZE}, ` +
          `BATCH_MAX_AGE_MS=${BATCH_MAX_AGE_MS}, ${CONCURRENCY} uploads in flight\n`,
      );
      console.log(markdownTable(["phase", "seconds", "documents/s"], rows));
      const clientSeconds = (clientCpu.user + clientCpu.system) / 1e6;
      const node =
        nodeCpu === undefined
          ? "unknown (no /proc)"
          : `${fmt(nodeCpu, 2)} s = ${fmt((nodeCpu / DOCUMENTS) * 1000, 2)} ms a document, ` +
            `${fmt((nodeCpu / total) * 100)}% of one core`;
      console.log(`\nCPU time, first upload to last proof: bank node ${node}; this client ${fmt(clientSeconds, 2)} s`);
      console.log(
        `\nend to end ${fmt(docsPerSec)} documents/s ` +
          `(target ≥ ${fmt(TARGET_DOCS_PER_SEC)}: ${verdict(docsPerSec >= TARGET_DOCS_PER_SEC)}); ` +
          `ratio to the baseline ${fmt(ratio, 3)} (target ≥ ${TARGET_RATIO}: ${verdict(ratio >= TARGET_RATIO)})`,
      );
      console.log(
        JSON.stringify({
          docsPerSec: round(docsPerSec, 1),
          baselineDocsPerSec: round(baselineDocsPerSec, 1),
          ratio: round(ratio, 3),
        }),
      );
    },
  };
});
