/**
 * Faults under load (npm run test:reliability): the bank node killed with SIGKILL three times during a 10,000-document
 * soak, the chain node stopped for 60 s, PostgreSQL restarted under the node's feet. Each test prints what it checked.
 *
 * Retries without duplicates. The client here does what the API asks of one: it retries an upload until the node
 * answers 201, after a connection failure or a 503, sending the same Idempotency-Key with every attempt at one
 * document. Without the key a retry after a lost answer (the node killed between its commit and its reply) would store
 * the document twice, with its own salt and evidence id; with it the retry gets the stored document back. The tests give
 * every document distinct bytes and count by content hash: every document uploaded is on the node exactly once, each
 * 201 under the id it was given, and anchored exactly once.
 */
import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import { execFile } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { createHttpClient, type HttpClient } from "../../scripts/bench/lib/http";
import { freePort } from "../../scripts/bench/lib/system";
import { deploy } from "../../scripts/deploy";
import { startChainNode, type ChainNode, type ChainNodeKind } from "../../scripts/lib/chain-node";
import { devWallet, parseDeployConfig } from "../../scripts/lib/deploy-config";
import { readDeployment } from "../../scripts/lib/deployments";
import { storageOf } from "../../server/config";
import { EvidenceRegistry__factory, type EvidenceRegistry } from "../../typechain-types";
import { assertAnchoredExactlyOnce, assertOutboxDrained } from "../helpers/anchoring";
import { emptyDatabase } from "../helpers/databases";
import { openFacility } from "../helpers/liveFacility";
import { client, issueKey, startNodeProcess, tempDir, waitFor, type NodeProcess } from "../helpers/processes";
import {
  anyWithStatus,
  assertEveryUploadKept,
  listAllDocuments,
  retriesOf,
  unavailableAnswers,
  uploadThroughFaults,
  type UploadTally,
} from "../helpers/uploads";

/** The chain node's and the bank node's ports, the kernel's picks for each test (a restarted node keeps its port). */
let CHAIN_PORT = 0;
let BANK_PORT = 0;

/** Two distinct free ports (the kernel does not hand out a port twice while it is bound, but these are closed again). */
async function twoFreePorts(): Promise<[number, number]> {
  const chain = await freePort();
  let bank = await freePort();
  while (bank === chain) bank = await freePort();
  return [chain, bank];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (since: number) => `${Math.round((Date.now() - since) / 1000)} s`;
const fmt = (n: number) => n.toLocaleString("en-US");

/** Waits for `step`, failing at once if the uploads running meanwhile fail. */
function alongside<T>(uploads: { done: Promise<unknown> }, step: Promise<T>): Promise<T> {
  return Promise.race([step, uploads.done.then(() => step)]);
}

/** A node's Prometheus counter or gauge, summed over the label sets that match `labels`. */
async function metric(http: HttpClient, name: string, labels = ""): Promise<number> {
  const { text } = await http.request("GET", "/metrics");
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${name}{`) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

/** Resolves when a TCP connection to the port is refused: nothing listens there (not a paused process). */
function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

/** Reads (GET /documents) one after another until stopped, counting answers by status; a dropped connection fails. */
function readThroughFaults(http: HttpClient): { statuses: Map<number, number>; stop(): Promise<void>; abort(): void } {
  const statuses = new Map<number, number>();
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const { status } = await http.request("GET", "/documents?limit=10");
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      await sleep(20);
    }
  })();
  done.catch(() => undefined);
  return {
    statuses,
    async stop() {
      stopped = true;
      await done;
    },
    abort: () => void (stopped = true),
  };
}

/** Waits until the node has nothing queued or batched: every document it holds is anchored. */
async function allAnchored(http: HttpClient, timeoutMs: number): Promise<void> {
  await waitFor(
    "every document anchored",
    async () => !(await anyWithStatus(http, "QUEUED")) && !(await anyWithStatus(http, "BATCHED")),
    timeoutMs,
    250,
  );
}

/** Waits until a sealed batch waits for its anchor (an outbox job open), uploads arriving all the while. */
function batchInFlight(uploads: { done: Promise<unknown> }, http: HttpClient): Promise<void> {
  return alongside(
    uploads,
    waitFor("a sealed batch waiting for its anchor", () => anyWithStatus(http, "BATCHED"), 60_000, 20),
  );
}

const POSTGRES_VERSION = fs.existsSync("/etc/postgresql") ? fs.readdirSync("/etc/postgresql")[0] : "15";
const pgCtl = (action: "restart" | "start" | "status") =>
  promisify(execFile)("pg_ctlcluster", ["--skip-systemctl-redirect", POSTGRES_VERSION, "main", action]);

describe("faults under load", function () {
  let dir: string;
  let deploymentsFile: string;
  let chainNode: ChainNode | undefined;
  let provider: JsonRpcProvider | undefined;
  let registry: EvidenceRegistry;
  let bank: NodeProcess | undefined;
  let http: HttpClient | undefined;
  /** The bank's transactions before the uploads: opening the facilities. */
  let sentBefore = 0;
  /** Clients still at work when a test fails: stopped first. */
  const load: Array<{ abort(): void }> = [];
  /** Run after the bank node and the chain node have stopped, last registered first. */
  const cleanups: Array<() => Promise<void>> = [];

  beforeEach(async function () {
    [CHAIN_PORT, BANK_PORT] = await twoFreePorts();
    dir = tempDir("reliability-faults");
    deploymentsFile = path.join(dir, "deployment.json");
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed" && bank) {
      console.log(`--- bank node output ---\n${bank.logs.join("").slice(-5_000)}`);
    }
    for (const client of load.splice(0)) client.abort();
    http?.close();
    await bank?.stop("SIGKILL");
    provider?.destroy();
    await chainNode?.stop();
    [http, bank, provider, chainNode] = [undefined, undefined, undefined, undefined];
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    if (this.currentTest?.state !== "failed") fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A chain node on CHAIN_PORT with the contracts deployed. */
  async function startChain(kind: ChainNodeKind, stateFile?: string): Promise<void> {
    chainNode = await startChainNode({ kind, port: CHAIN_PORT, stateFile });
    await deploy(parseDeployConfig({ RPC_URL: chainNode.url, DEPLOYMENTS_FILE: deploymentsFile }), () => undefined);
    provider = new JsonRpcProvider(chainNode.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    registry = EvidenceRegistry__factory.connect(readDeployment(deploymentsFile).contracts.EvidenceRegistry, provider);
  }

  /** Starts the bank node (verifier off: the bank signer sends anchoring transactions only) and a client of it. */
  async function startBank(extra: Record<string, string> = {}) {
    const env = {
      DEPLOYMENTS_FILE: deploymentsFile,
      PORT: String(BANK_PORT),
      DATA_DIR: path.join(dir, "bank"),
      POLL_INTERVAL_MS: "100",
      BATCH_MAX_SIZE: "256",
      BATCH_MAX_AGE_MS: "1000",
      VERIFIER_ENABLED: "false",
      REVIEW_CHECK_MS: "0",
      RATE_LIMIT_PER_MINUTE: "1000000",
      UPLOAD_QUOTA_PER_MINUTE: "1000000",
      LOG_LEVEL: "warn",
      ...extra,
    };
    const key = issueKey(env, "bank", "bank_officer", "loader");
    bank = await startNodeProcess("bank", env);
    // The facilities the uploads are evidence for (1, 2 and 3): evidence must name an existing, open facility.
    for (let i = 0; i < 3; i++) await openFacility(client(bank.url, key));
    // Their transactions (funding among them) sent and confirmed before the count starts.
    await waitFor("the facilities' transactions confirmed", async () => {
      const ready = await client(bank!.url, key).get("/ready");
      return ready.body?.outboxPending === 0;
    });
    sentBefore = await provider!.getTransactionCount(devWallet("bank").address, "latest");
    http = createHttpClient(bank.url, key, 32);
    return { env, key, http, databaseUrl: storageOf("bank", env).databaseUrl };
  }

  /** Every check after the fault: all kept, all anchored exactly once, the outbox drained; the figures to print. */
  async function assertRecovered(tally: UploadTally, key: string, databaseUrl: string) {
    await allAnchored(http!, 300_000);
    const documents = await listAllDocuments(http!);
    assertEveryUploadKept(tally, documents);
    const { batches, proofs } = await assertAnchoredExactlyOnce(
      bank!.url,
      key,
      documents,
      registry,
      provider!,
      sentBefore,
    );
    const jobs = await assertOutboxDrained(databaseUrl, batches);
    const ready = await http!.getJson<{ outboxPending: number }>("/ready");
    expect(ready.outboxPending, "outbox jobs pending, as the node reports them").to.equal(0);
    return { documents: documents.length, batches, proofs, jobs };
  }

  describe("when the bank node is killed with SIGKILL three times during a 10,000-document soak", function () {
    it("anchors every document exactly once and keeps every accepted upload", async function () {
      this.timeout(600_000);
      const started = Date.now();
      await startChain("anvil");
      const { env, key, databaseUrl } = await startBank();
      const uploads = uploadThroughFaults(http!, { label: "soak", concurrency: 16, count: 10_000 });
      load.push(uploads);
      const atKills: string[] = [];
      for (const threshold of [2_500, 5_000, 7_500]) {
        await alongside(
          uploads,
          waitFor(`${fmt(threshold)} uploads accepted`, async () => uploads.tally.accepted.size >= threshold, 300_000),
        );
        await batchInFlight(uploads, http!);
        const [queued, batched] = await Promise.all([
          listAllDocuments(http!, "QUEUED"),
          listAllDocuments(http!, "BATCHED"),
        ]);
        const accepted = uploads.tally.accepted.size;
        await bank!.stop("SIGKILL");
        atKills.push(`${fmt(accepted)} accepted, ${queued.length} queued, ${batched.length} batched`);
        bank = await startNodeProcess("bank", env);
      }
      const tally = await uploads.done;
      expect(tally.accepted.size).to.equal(10_000);

      const result = await assertRecovered(tally, key, databaseUrl);
      expect(result.documents, "documents stored: the retried uploads stored nothing twice").to.equal(10_000);
      console.log(
        `      documents ${fmt(10_000)} by 16 uploaders; SIGKILLs 3 (at ${atKills.join("; ")}); ` +
          `client retries ${fmt(retriesOf(tally))} (${tally.refused} refused, ${tally.interrupted} interrupted, ` +
          `${unavailableAnswers(tally)} answered 503); stored ${fmt(result.documents)} ` +
          `(0 duplicates of retried uploads); batches ${result.batches} = anchoring transactions ` +
          `= bank nonce; proofs verified ${fmt(result.proofs)}; outbox jobs ${result.jobs}, all confirmed; ` +
          `${seconds(started)}`,
      );
    });
  });

  describe("when the chain node is stopped for 60 s under load", function () {
    it("queues the writes and drains them once it returns, without a duplicate transaction", async function () {
      this.timeout(300_000);
      const started = Date.now();
      const stateFile = path.join(dir, "anvil-state.json");
      await startChain("anvil", stateFile);
      const { key, databaseUrl } = await startBank({ BATCH_MAX_AGE_MS: "2000" });
      const uploads = uploadThroughFaults(http!, { label: "outage", concurrency: 4, paceMs: 100 });
      load.push(uploads);
      await alongside(
        uploads,
        waitFor("documents anchored before the outage", () => anyWithStatus(http!, "ANCHORED")),
      );
      await batchInFlight(uploads, http!);
      const blockAtStop = await provider!.getBlock("latest");
      await chainNode!.stop(); // SIGTERM: anvil writes its state file and exits
      expect(await connectionRefused(CHAIN_PORT), "the chain node's port refuses connections").to.equal(true);
      const acceptedAtStop = uploads.tally.accepted.size;

      // A write on its way at the stop may still be recorded; from then on nothing can land.
      await sleep(5_000);
      const anchoredEarlyInOutage = await metric(http!, "qfm_documents_anchored_total");
      await sleep(55_000); // the outage itself
      expect(await connectionRefused(CHAIN_PORT), "still down after 60 s").to.equal(true);
      expect(await metric(http!, "qfm_documents_anchored_total"), "anchored during the outage").to.equal(
        anchoredEarlyInOutage,
      );
      const batchedInOutage = (await listAllDocuments(http!, "BATCHED")).length;
      expect(batchedInOutage, "documents in sealed batches waiting for the chain").to.be.greaterThan(0);
      const pendingInOutage = await metric(http!, "qfm_outbox_pending_jobs");
      expect(pendingInOutage, "outbox jobs waiting for the chain").to.be.greaterThan(0);
      expect((await http!.request("GET", "/ready")).status, "readiness while the chain is down").to.equal(503);
      const acceptedInOutage = uploads.tally.accepted.size - acceptedAtStop;
      expect(acceptedInOutage, "uploads accepted during the outage").to.be.greaterThan(0);

      chainNode = await startChainNode({ kind: "anvil", port: CHAIN_PORT, stateFile });
      const resumed = await provider!.getBlock(blockAtStop!.number);
      expect(resumed?.hash, "the chain resumed from the state saved at the stop").to.equal(blockAtStop!.hash);
      const acceptedAtReturn = uploads.tally.accepted.size;
      await alongside(
        uploads,
        waitFor("uploads after the chain returned", async () => uploads.tally.accepted.size >= acceptedAtReturn + 200),
      );
      uploads.stop();
      const tally = await uploads.done;
      expect(retriesOf(tally), "uploads retried: the chain's outage never reaches a client").to.equal(0);

      const result = await assertRecovered(tally, key, databaseUrl);
      const outboxRetries = await metric(http!, "qfm_outbox_failures_total", 'retryable="true"');
      console.log(
        `      documents ${fmt(tally.accepted.size)} (${fmt(acceptedInOutage)} accepted while the chain was down ` +
          `60 s, connection refused; 0 retried); queued in the outage: ${pendingInOutage} outbox jobs, ` +
          `${fmt(batchedInOutage)} documents in sealed batches; outbox attempts failed on the unreachable chain ` +
          `${outboxRetries}; chain resumed at block ${blockAtStop!.number} from its saved state; batches ` +
          `${result.batches} = anchoring transactions = bank nonce; duplicates 0; proofs ` +
          `verified ${fmt(result.proofs)}; outbox jobs ${result.jobs}, all confirmed; ${seconds(started)}`,
      );
    });
  });

  describe("when PostgreSQL restarts under load", function () {
    it("answers 503 with Retry-After meanwhile, reconnects by itself and keeps every accepted upload", async function () {
      this.timeout(300_000);
      const started = Date.now();
      await startChain("anvil");
      const database = emptyDatabase("postgresql");
      let restarting: Promise<unknown> | undefined;
      cleanups.push(async () => {
        // Whatever happened, leave PostgreSQL running for everyone else, then drop the node's schema.
        await restarting?.catch(() => undefined);
        await pgCtl("status").catch(() => pgCtl("start"));
        await waitFor("PostgreSQL to accept connections again", async () => {
          await database.remove();
          return true;
        });
      });
      const { key } = await startBank({ DATABASE_URL: database.url });
      const uploads = uploadThroughFaults(http!, { label: "postgres", concurrency: 16 });
      const reads = readThroughFaults(http!);
      load.push(uploads, reads);
      await alongside(
        uploads,
        waitFor("uploads under way", async () => uploads.tally.accepted.size >= 1_000, 120_000),
      );
      await batchInFlight(uploads, http!);
      const restartedAt = Date.now();
      restarting = pgCtl("restart");
      await alongside(uploads, restarting);
      const restartSeconds = (Date.now() - restartedAt) / 1000;
      const acceptedAfterRestart = uploads.tally.accepted.size;
      await alongside(
        uploads,
        waitFor("uploads after the restart", async () => uploads.tally.accepted.size >= acceptedAfterRestart + 1_000),
      );
      uploads.stop();
      const tally = await uploads.done;
      await reads.stop();

      expect(bank!.child.exitCode, "the bank node is still running").to.equal(null);
      expect(tally.refused + tally.interrupted, "connections refused or dropped by the node").to.equal(0);
      expect([...tally.unavailable.keys()], "503 codes").to.deep.equal(["database_unavailable"]);
      expect(tally.withoutRetryAfter, "503 answers without Retry-After").to.equal(0);
      expect(
        [...reads.statuses.keys()].filter((status) => status !== 200 && status !== 503),
        "reads",
      ).to.deep.equal([]);

      const result = await assertRecovered(tally, key, database.url);
      console.log(
        `      documents ${fmt(tally.accepted.size)} by 16 uploaders; PostgreSQL restarted once ` +
          `(${restartSeconds.toFixed(1)} s), node not restarted; answers 503 database_unavailable ` +
          `${unavailableAnswers(tally)} (Retry-After ${tally.maxRetryAfterSeconds} s, all retried), 500s 0, ` +
          `dropped connections 0; reads alongside ${reads.statuses.get(200) ?? 0} × 200 and ` +
          `${reads.statuses.get(503) ?? 0} × 503; stored ${fmt(result.documents)} ` +
          `(0 duplicates of retried uploads); batches ${result.batches} = anchoring ` +
          `transactions = bank nonce; proofs verified ${fmt(result.proofs)}; outbox jobs ${result.jobs}, ` +
          `all confirmed; ${seconds(started)}`,
      );
    });
  });
});
