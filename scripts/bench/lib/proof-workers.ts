/**
 * Worker threads for bench:verify: each checks its share of the proofs with the verifier's own functions
 * (server/chain/evidence.ts), so the figure shows what a node checks with every core, not one.
 *
 * The main thread starts the workers with `startProofWorkers(candidates, n)`: each gets a slice once (copied; never
 * timed). `round()` tells every worker to check its slice once and resolves with the wall-clock seconds until the last
 * one answers, and the number of proofs that failed (which must be 0 for genuine proofs).
 */
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { contentHashOf, provesInto, saltedHashOf, type EvidenceKind } from "../../../server/chain/evidence";
import { keccakReady } from "../../../server/chain/keccak";

/** What a worker needs of a document to check it as the verifier does. */
export interface ProofCase {
  bytes: Uint8Array;
  salt: string;
  facilityId: bigint;
  kind: EvidenceKind;
  counterparty: string;
  saltedHash: string;
  evidenceId: string;
  root: string;
  /** The leaf's position in its batch tree. */
  index: number;
  proof: string[];
}

/** The regulator's check of one document, as verifier.ts does it: integrity first, then the leaf against the root. */
export function checkProof(c: ProofCase): boolean {
  const saltedHash = saltedHashOf(c.salt, contentHashOf(c.bytes));
  if (saltedHash !== c.saltedHash.toLowerCase()) return false;
  return provesInto(c.root, { ...c, saltedHash }, c.proof);
}

export interface ProofWorkers {
  round(): Promise<{ seconds: number; failed: number }>;
  stop(): Promise<void>;
}

export async function startProofWorkers(cases: readonly ProofCase[], count: number): Promise<ProofWorkers> {
  const share = Math.ceil(cases.length / count);
  const workers = Array.from(
    { length: count },
    // A worker does not inherit tsx's loader hooks: it registers them itself before loading this file.
    (_, i) =>
      new Worker(`require("tsx/cjs"); require(${JSON.stringify(__filename)});`, {
        eval: true,
        workerData: cases.slice(i * share, (i + 1) * share),
      }),
  );
  const next = (worker: Worker) =>
    new Promise<any>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      worker.once("error", onError);
      worker.once("message", (message) => {
        worker.off("error", onError);
        resolve(message);
      });
    });
  await Promise.all(workers.map(next)); // each says "ready" once its keccak is loaded and its code warmed up
  return {
    async round() {
      const started = performance.now();
      const answers = await Promise.all(
        workers.map((worker) => {
          const answer = next(worker);
          worker.postMessage("check");
          return answer as Promise<{ failed: number }>;
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      return { seconds, failed: answers.reduce((sum, a) => sum + a.failed, 0) };
    },
    async stop() {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const cases = workerData as ProofCase[];
  const pass = () => cases.reduce((failed, c) => failed + (checkProof(c) ? 0 : 1), 0);
  void keccakReady.then(() => {
    pass();
    port.postMessage("ready");
    port.on("message", () => port.postMessage({ failed: pass() }));
  });
}
