/**
 * `npm run bench:verify`: how many evidence proofs a regulator node checks per second, without a database or chain.
 *
 * Builds --proofs documents (--bytes random bytes each, a random 32-byte salt, a facility and a kind), their salted
 * hashes and evidence ids, and StandardMerkleTrees of --batch leaves as the bank node seals them. Then times what the
 * verifier does for each document (server/verification/verifier.ts, with server/chain/evidence.ts): re-hash the bytes
 * (sha256), recompute the salted hash (keccak256) and compare it with the anchored one, recompute the evidence id and
 * process the proof from it to the batch root (provesInto). Each stage is also timed on its own, next to
 * StandardMerkleTree.verify (what the verifier did before) and a bare processProof, to show where the time goes.
 * Then the full check runs on --workers worker threads (default: one per core), each over its share of the proofs:
 * proofsPerSec is that figure, singleThreadProofsPerSec the one-thread one.
 *
 *   npm run bench:verify -- [--proofs 10000] [--batch 256] [--bytes 16384] [--rounds 3] [--workers <cores>]
 *
 * Progress goes to stderr; stdout gets the tables and, as its last line, one JSON object: { proofsPerSec, ... }.
 * Each figure is the median of --rounds timed passes over every proof; an untimed pass first checks that every genuine
 * proof verifies (and warms the code up).
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { batchTreeOf, verifyBatchProof } from "../../server/chain/batch-tree";
import Table from "cli-table3";
import { concat, hexlify, keccak256 } from "ethers";
import crypto from "node:crypto";
import os from "node:os";
import { parseArgs } from "node:util";
import {
  EVIDENCE_KINDS,
  LEAF_ENCODING,
  contentHashOf,
  evidenceIdOf,
  leafValue,
  saltedHashOf,
  type EvidenceKind,
} from "../../server/chain/evidence";
import { keccakReady, processIndexedProof, wordOf } from "../../server/chain/keccak";
import { checkProof, startProofWorkers } from "./lib/proof-workers";
import { PLAIN, fmt, machine } from "./lib/report";

/** One uploaded document as the regulator receives it from the bank node: bytes, salt, claimed leaf and proof. */
interface Candidate {
  bytes: Uint8Array;
  salt: string;
  facilityId: bigint;
  kind: EvidenceKind;
  counterparty: string;
  contentHash: string;
  /** What the chain committed to (EvidenceAnchored / the batch leaf). */
  saltedHash: string;
  evidenceId: string;
  root: string;
  /** The leaf's position in its batch tree. */
  index: number;
  proof: string[];
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Payees and borrowers the generated documents name (the counterparty is part of the evidence id). */
const COUNTERPARTIES = Array.from({ length: 8 }, (_, i) => `0x${(i + 1).toString(16).padStart(40, "0")}`);

function options() {
  const { values } = parseArgs({
    options: {
      proofs: { type: "string", default: "10000" },
      batch: { type: "string", default: "256" },
      bytes: { type: "string", default: "16384" },
      rounds: { type: "string", default: "3" },
      workers: { type: "string", default: String(os.availableParallelism()) },
    },
  });
  const positive = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  return {
    proofs: positive("proofs"),
    batch: positive("batch"),
    bytes: positive("bytes"),
    rounds: positive("rounds"),
    workers: positive("workers"),
  };
}

/** The bank side, untimed: documents, their hashes, and one StandardMerkleTree per batch with each leaf's proof. */
function buildCandidates(count: number, batchSize: number, size: number): Candidate[] {
  const candidates: Candidate[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, count - start) }, (_, k) => {
      const i = start + k;
      const bytes = crypto.randomBytes(size);
      const salt = hexlify(crypto.randomBytes(32));
      const facilityId = BigInt(1 + (i % 50));
      const kind = EVIDENCE_KINDS[i % EVIDENCE_KINDS.length];
      const contentHash = contentHashOf(bytes);
      const saltedHash = saltedHashOf(salt, contentHash);
      const counterparty = COUNTERPARTIES[i % COUNTERPARTIES.length];
      return { bytes, salt, facilityId, kind, counterparty, contentHash, saltedHash };
    });
    const ids = batch.map((d) => evidenceIdOf(d.facilityId, d.kind, d.counterparty, d.saltedHash));
    const tree = batchTreeOf(ids);
    batch.forEach((d, k) =>
      candidates.push({ ...d, evidenceId: ids[k], root: tree.root, index: k, proof: tree.proof(k) }),
    );
  }
  return candidates;
}

const verifyCandidate = checkProof;

/**
 * OpenZeppelin MerkleProof.processProof over lowercase hex: for equal-length lowercase hex, string order is numeric
 * order, so each step is one comparison, one concatenation and one keccak256 (the library converts and re-checks
 * hex and compares through BigInt at every step).
 */
function processProof(leaf: string, proof: string[]): string {
  return proof.reduce(
    (node, sibling) => keccak256(node < sibling ? concat([node, sibling]) : concat([sibling, node])),
    leaf,
  );
}

interface Stage {
  name: string;
  /** What a row of the table measures, for the reader. */
  note: string;
  run: (c: Candidate) => unknown;
  /** Part of the verifier's own pipeline (its stages add up to the full check). */
  pipeline?: boolean;
}

const STAGES: Stage[] = [
  {
    name: "full check (verifier.ts)",
    note: "sha256 + salted hash + evidence id + the proof from it",
    run: verifyCandidate,
  },
  { name: "  sha256 of the bytes", note: "contentHashOf", run: (c) => contentHashOf(c.bytes), pipeline: true },
  {
    name: "  salted hash",
    note: "saltedHashOf: keccak256(salt ‖ contentHash)",
    run: (c) => saltedHashOf(c.salt, c.contentHash),
    pipeline: true,
  },
  {
    name: "  evidence id",
    note: "evidenceIdOf: four words, keccak256 twice",
    run: (c) => evidenceIdOf(c.facilityId, c.kind, c.counterparty, c.saltedHash),
    pipeline: true,
  },
  {
    name: "  processProof on bytes (server/chain/keccak)",
    note: "provesInto's walk: hex read once, 64-byte WebAssembly keccak",
    run: (c) =>
      processIndexedProof(
        wordOf(c.evidenceId)!,
        c.index,
        c.proof.map((p) => wordOf(p)!),
      ),
    pipeline: true,
  },
  {
    name: "verifyBatchProof(root, evidenceId, index)",
    note: "the same position-bound walk with ethers' keccak256 (server/chain/batch-tree.ts)",
    run: (c) => verifyBatchProof(c.root, c.evidenceId, c.index, c.proof),
  },
  {
    name: "StandardMerkleTree.verify",
    note: "what the verifier used before: hashes the leaf again, then the proof",
    run: (c) =>
      StandardMerkleTree.verify(
        c.root,
        LEAF_ENCODING,
        leafValue(c.facilityId, c.kind, c.counterparty, c.saltedHash),
        c.proof,
      ),
  },
  {
    name: "processProof over hex (ethers keccak256)",
    note: "MerkleProof.processProof, no library checks",
    run: (c) => processProof(c.evidenceId, c.proof) === c.root,
  },
];

/** Median seconds of `rounds` passes of `run` over every candidate. */
function time(candidates: Candidate[], run: (c: Candidate) => unknown, rounds: number): number {
  const passes: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    for (const c of candidates) run(c);
    passes.push((performance.now() - started) / 1000);
  }
  return passes.sort((a, b) => a - b)[Math.floor(passes.length / 2)];
}

async function main(): Promise<void> {
  const opts = options();
  await keccakReady;
  log(`building ${fmt(opts.proofs)} documents of ${fmt(opts.bytes)} bytes in batches of ${opts.batch} …`);
  const built = performance.now();
  const candidates = buildCandidates(opts.proofs, opts.batch, opts.bytes);
  const buildSeconds = (performance.now() - built) / 1000;
  const trees = Math.ceil(opts.proofs / opts.batch);
  log(`built ${fmt(trees)} trees in ${fmt(buildSeconds, 2)} s`);

  // The checks must hold for every genuine document and fail for altered ones, or the figures mean nothing.
  const failed = candidates.filter((c) => !verifyCandidate(c)).length;
  if (failed > 0) throw new Error(`${failed} genuine documents failed verification`);
  const tampered = candidates.slice(0, 20).map((c, i) => {
    const bytes = Uint8Array.from(c.bytes);
    bytes[i % bytes.length] ^= 1;
    return i % 2 === 0 ? { ...c, bytes } : { ...c, proof: [...c.proof].reverse(), facilityId: c.facilityId + 1n };
  });
  if (tampered.some((c) => verifyCandidate(c))) {
    throw new Error("an altered document passed verification");
  }
  log("checked: every genuine proof verifies and altered documents are rejected; timing …");

  const results = STAGES.map((stage) => {
    log(`  ${stage.name.trim()}`);
    return { stage, seconds: time(candidates, stage.run, opts.rounds) };
  });
  const full = results[0].seconds;
  const singleThreadProofsPerSec = Math.round(opts.proofs / full);

  log(`  full check on ${opts.workers} worker thread(s)`);
  const workers = await startProofWorkers(candidates, opts.workers);
  const passes: number[] = [];
  try {
    for (let round = 0; round < opts.rounds; round++) {
      const { seconds, failed } = await workers.round();
      if (failed > 0) throw new Error(`${failed} genuine documents failed verification in a worker`);
      passes.push(seconds);
    }
  } finally {
    await workers.stop();
  }
  const parallel = passes.sort((a, b) => a - b)[Math.floor(passes.length / 2)];
  const proofsPerSec = Math.round(opts.proofs / parallel);

  const setup = new Table({ head: ["regulator verification", "value"], style: PLAIN, colAligns: ["left", "right"] });
  setup.push(
    ["machine", machine()],
    ["proofs", fmt(opts.proofs)],
    ["document size (bytes)", fmt(opts.bytes)],
    ["batch size / trees / proof length", `${opts.batch} / ${trees} / ${candidates[0].proof.length}`],
    ["timed passes (median)", `${opts.rounds}, after an untimed checking pass`],
    ["seconds (full check of every proof, one thread)", fmt(full, 3)],
    ["proofs/s, one thread", fmt(singleThreadProofsPerSec)],
    [`seconds on ${opts.workers} worker thread(s)`, fmt(parallel, 3)],
    [`proofs/s on ${opts.workers} worker thread(s)`, fmt(proofsPerSec)],
  );
  console.log(setup.toString());

  const stages = new Table({
    head: ["stage (each over every proof)", "µs / proof", "per second", "of full check", "what it does"],
    style: PLAIN,
    colAligns: ["left", "right", "right", "right", "left"],
  });
  for (const { stage, seconds } of results) {
    stages.push([
      stage.name,
      fmt((seconds / opts.proofs) * 1e6, 1),
      fmt(opts.proofs / seconds),
      `${fmt((100 * seconds) / full, 1)}%`,
      stage.note,
    ]);
  }
  const pipelineSum = results.filter((r) => r.stage.pipeline).reduce((sum, r) => sum + r.seconds, 0);
  stages.push(["  (sum of the four stages)", fmt((pipelineSum / opts.proofs) * 1e6, 1), "", "", ""]);
  console.log(stages.toString());

  const of = (name: string) => results.find((r) => r.stage.name === name)!.seconds;
  console.log(
    JSON.stringify({
      proofsPerSec,
      workers: opts.workers,
      singleThreadProofsPerSec,
      proofs: opts.proofs,
      seconds: Number(parallel.toFixed(3)),
      documentBytes: opts.bytes,
      batchSize: opts.batch,
      standardMerkleTreeVerifyPerSec: Math.round(opts.proofs / of("StandardMerkleTree.verify")),
      processProofPerSec: Math.round(opts.proofs / of("processProof over hex (ethers keccak256)")),
      processProofBytesPerSec: Math.round(opts.proofs / of("  processProof on bytes (server/chain/keccak)")),
    }),
  );
}

main().catch((error) => {
  log(`bench:verify failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
