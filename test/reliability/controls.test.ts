/**
 * The regulator's controls and the nodes' limits against the running system (npm run test:reliability): a
 * `hardhat node` chain process, the bank node and the regulator node as real processes on free ports.
 *
 * 1. A FAIL spot check on the regulator node while its outbox holds 10,000 attestations (and their 10,000 leaf
 *    registrations) to send, with the chain making a block every 2 s: the freeze is on chain within two blocks.
 * 2. 70 MiB sent chunked to the bank node (no Content-Length to refuse it by): 413 once the limit's bytes arrived, the
 *    node's memory bounded, no temporary file left; a single file over the limit the same.
 * 3. Per-key upload quotas: 429 with Retry-After and RateLimit headers once a key passed its quota; other keys go on.
 * 4. A key revoked with the admin command while a client keeps calling: refused from the next request on.
 * 5. /metrics only with a bank officer's or regulator's key.
 *
 * Each test prints what it checked. CONTROLS_BACKLOG sets the number of queued attestations (default 10,000),
 * CONTROLS_BLOCK_MS the block period (default 2,000).
 */
import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import {
  freezeUnderBacklog,
  facilityOnChain,
  intervalMining,
  queueVerifierBacklog,
} from "../../scripts/bench/lib/backlog";
import { freePort } from "../../scripts/bench/lib/system";
import { devWallet } from "../../scripts/lib/deploy-config";
import { createDatabase } from "../../server/db/client";
import { startLiveSystem, type LiveSystem } from "../helpers/liveSystem";
import { client, issueKeyWithId, revokeKey, waitFor } from "../helpers/processes";

const BACKLOG = Number(process.env.CONTROLS_BACKLOG ?? 10_000);
/** The block period of the consortium chain in docs/deployment.md (Besu QBFT, blockperiodseconds 2). */
const BLOCK_MS = Number(process.env.CONTROLS_BLOCK_MS ?? 2_000);
/**
 * What the bank node's memory may grow by while it reads and refuses 70 MiB: garbage the collector has not reclaimed
 * yet (measured 16–26 MiB), where a node that held the upload needs more than the 64 MiB it holds.
 */
const RSS_GROWTH_LIMIT = 40 * 1024 * 1024;
const UPLOAD_QUOTA = 20;
const MiB = 1024 * 1024;
const say = (line: string) => console.log(`      ${line}`);
const fmt = (n: number) => n.toLocaleString("en-US");

/** Resident memory of a process in bytes (Linux /proc). */
function rssOf(pid: number): number {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? 0) * 1024;
}

/**
 * POSTs a multipart upload with Transfer-Encoding: chunked (no Content-Length), `files` parts of `fileBytes` each,
 * written as the node takes them; resolves with the node's answer.
 */
function chunkedUpload(
  url: string,
  apiKey: string,
  pathname: string,
  options: { field: string; files: number; fileBytes: number; fields?: Record<string, string> },
): Promise<{ status: number; body: any; sent: number }> {
  const boundary = `----qfm${Date.now()}`;
  return new Promise((resolve, reject) => {
    let sent = 0;
    const req = http.request(`${url}${pathname}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${apiKey}`,
        "content-type": `multipart/form-data; boundary=${boundary}`,
        "transfer-encoding": "chunked",
      },
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, sent });
      });
    });
    // The node may answer and close before everything is written: that is its right.
    req.on("error", (error: NodeJS.ErrnoException) => (error.code === "EPIPE" ? undefined : reject(error)));
    const write = (chunk: Buffer | string) =>
      new Promise<void>((done) => {
        sent += Buffer.byteLength(chunk);
        if (req.write(chunk)) done();
        else req.once("drain", done);
      });
    void (async () => {
      for (const [name, value] of Object.entries(options.fields ?? {})) {
        await write(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
      }
      const filler = Buffer.alloc(256 * 1024, 0x20);
      for (let i = 0; i < options.files && !req.destroyed; i++) {
        await write(
          `--${boundary}\r\nContent-Disposition: form-data; name="${options.field}"; filename="scan-${i}.pdf"\r\n` +
            "Content-Type: application/pdf\r\n\r\n%PDF-1.7\n",
        );
        for (let at = 9; at < options.fileBytes && !req.destroyed; at += filler.length) {
          await write(filler.subarray(0, Math.min(filler.length, options.fileBytes - at)));
        }
        await write("\r\n");
      }
      await write(`--${boundary}--\r\n`);
      req.end();
    })().catch(reject);
  });
}

describe("the regulator's controls and the nodes' limits against the running system", function () {
  this.timeout(900_000);
  let system: LiveSystem;
  const regulatorDatabase = () => `file:${path.join(system.dataDir("regulator"), "db.sqlite")}`;

  before(async function () {
    system = await startLiveSystem({
      name: "controls",
      ports: { chain: await freePort(), bank: await freePort(), regulator: await freePort() },
      env: {
        POLL_INTERVAL_MS: "200",
        RATE_LIMIT_PER_MINUTE: "100000",
        UPLOAD_QUOTA_PER_MINUTE: String(UPLOAD_QUOTA),
      },
      // Only the regulator's verifier matters here; the bank's would fetch nothing and only spend CPU.
      bankEnv: { REVIEW_CHECK_MS: "0", VERIFIER_ENABLED: "false" },
    });
  });

  after(async function () {
    await system?.stop();
  });

  describe(`when ${fmt(BACKLOG)} attestations are queued on the regulator node`, function () {
    after(async function () {
      await system.provider.send("evm_setIntervalMining", [0]);
      await system.provider.send("evm_setAutomine", [true]);
      // The rest of the backlog only costs CPU from here on.
      const db = await createDatabase(regulatorDatabase());
      await db.prisma.outboxJob.deleteMany({ where: { status: "PENDING", lane: "RELAY" } });
      await db.close();
    });

    it("has a FAIL spot check freeze the facility on chain within two blocks", async function () {
      const facilityId = await facilityOnChain(system.provider, system.deployment);
      // A block every BLOCK_MS from here on, as a consortium chain makes them: the relays go at the chain's pace.
      await intervalMining(system.provider, BLOCK_MS);
      const started = Date.now();
      const { jobs } = await queueVerifierBacklog({
        provider: system.provider,
        deployment: system.deployment,
        databaseUrl: regulatorDatabase(),
        facilityId,
        count: BACKLOG,
        verifierKey: devWallet("regulatorVerifier").privateKey,
      });
      say(`queued ${fmt(jobs)} verifier jobs on the regulator node in ${Date.now() - started} ms`);
      // The relays are under way: the outbox is busy, not idle, when the spot check arrives.
      const registry = system.contracts.registry;
      // (an attestation landed: the node's own sealed decisions, signed and relayed, not refused as tampered)
      await waitFor("the first relayed attestations", async () => {
        const attested = await registry.queryFilter(registry.filters.EvidenceAttested(), 0);
        return attested.length >= 2;
      });
      const measure = await freezeUnderBacklog({
        provider: system.provider,
        deployment: system.deployment,
        regulatorUrl: system.nodes.regulator.url,
        regulatorKey: system.keys.regulator.active.regulator,
        databaseUrl: regulatorDatabase(),
        facilityId,
      });
      say(
        `spot check answered ${measure.status} in ${measure.answeredMs} ms, facility ${measure.facilityStatus}; ` +
          `freeze on chain ${measure.blocks} block(s) after the spot check was sent (${BLOCK_MS} ms blocks), with ` +
          `${fmt(measure.attestationsQueued)} attestations queued and ${measure.attestationsLanded} of them landed meanwhile`,
      );
      expect(measure.status).to.equal(201);
      expect(measure.facilityStatus).to.equal("FROZEN");
      expect(measure.blocks).to.be.at.most(2);
      expect(measure.attestationsQueued).to.be.at.least(BACKLOG - 50);
      expect((await system.contracts.manager.facility(facilityId)).status).to.equal(2n);
    });
  });

  describe("when an upload is larger than the node reads", function () {
    const incoming = () => path.join(system.dataDir("bank"), "documents", ".incoming");

    it("refuses 70 MiB sent chunked with 413 upload_too_large, with the node's memory bounded", async function () {
      const { key } = issueKeyWithId(system.nodes.bank.env, "bank", "bank_officer", "chunked-bulk");
      const pid = system.nodes.bank.child.pid!;
      const before = rssOf(pid);
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
      const reply = await chunkedUpload(system.nodes.bank.url, key, "/documents/bulk", {
        field: "files",
        files: 70,
        fileBytes: MiB,
        fields: { documents: "[]" },
      }).finally(() => clearInterval(sampler));
      const growth = peak - before;
      say(
        `70 MiB chunked bulk upload: ${reply.status} ${reply.body?.code} after ${fmt(reply.sent)} bytes sent; ` +
          `bank node RSS ${Math.round(before / MiB)} MiB → peak ${Math.round(peak / MiB)} MiB (+${(growth / MiB).toFixed(1)} MiB)`,
      );
      expect(reply.status).to.equal(413);
      expect(reply.body.code).to.equal("upload_too_large");
      expect(growth).to.be.below(RSS_GROWTH_LIMIT);
      expect(fs.existsSync(incoming()) ? fs.readdirSync(incoming()) : []).to.deep.equal([]);
    });

    it("refuses a single file over the limit sent chunked with 413 file_too_large", async function () {
      const { key } = issueKeyWithId(system.nodes.bank.env, "bank", "bank_officer", "chunked-single");
      const reply = await chunkedUpload(system.nodes.bank.url, key, "/documents", {
        field: "file",
        files: 1,
        fileBytes: 70 * MiB,
        fields: { facilityId: "1", kind: "INVOICE" },
      });
      say(`one 70 MiB file sent chunked: ${reply.status} ${reply.body?.code}`);
      expect(reply.status).to.equal(413);
      expect(reply.body.code).to.equal("file_too_large");
      expect(fs.existsSync(incoming()) ? fs.readdirSync(incoming()) : []).to.deep.equal([]);
    });
  });

  describe("when a key uploads more than its quota", function () {
    it("answers 429 with Retry-After and RateLimit headers, and other keys go on", async function () {
      const flooder = client(
        system.nodes.bank.url,
        issueKeyWithId(system.nodes.bank.env, "bank", "bank_officer", "flood").key,
      );
      const statuses: number[] = [];
      let limited: Headers | undefined;
      for (let i = 0; i < UPLOAD_QUOTA + 10; i++) {
        const reply = await flooder.upload(
          { facilityId: "1", kind: "INVOICE", metadata: "{}" },
          { name: `flood-${i}.pdf`, type: "application/pdf", bytes: Buffer.from(`%PDF-1.7\n% flood ${i}\n%%EOF\n`) },
        );
        statuses.push(reply.status);
        if (reply.status === 429) limited ??= reply.headers;
      }
      const refused = statuses.filter((status) => status === 429).length;
      const other = client(
        system.nodes.bank.url,
        issueKeyWithId(system.nodes.bank.env, "bank", "bank_officer", "calm").key,
      );
      const calm = await other.upload(
        { facilityId: "1", kind: "INVOICE", metadata: "{}" },
        { name: "calm.pdf", type: "application/pdf", bytes: Buffer.from("%PDF-1.7\n% calm\n%%EOF\n") },
      );
      say(
        `${statuses.length} uploads from one key: ${statuses.length - refused} taken, ${refused} refused with 429 ` +
          `(Retry-After ${limited?.get("retry-after")} s); another key's upload: ${calm.status}`,
      );
      expect(statuses.slice(0, UPLOAD_QUOTA)).to.not.include(429);
      expect(refused).to.equal(10);
      expect(Number(limited!.get("retry-after"))).to.be.within(1, 60);
      expect(limited!.get("ratelimit")).to.match(/r=0/);
      expect(calm.status).to.not.equal(429);
    });

    it("counts each document of a bulk upload against the quota", async function () {
      const { key } = issueKeyWithId(system.nodes.bank.env, "bank", "bank_officer", "bulk-flood");
      const form = new FormData();
      const count = UPLOAD_QUOTA + 10;
      form.append(
        "documents",
        JSON.stringify(Array.from({ length: count }, () => ({ facilityId: "1", kind: "INVOICE" }))),
      );
      for (let i = 0; i < count; i++) {
        form.append(
          "files",
          new Blob([`%PDF-1.7\n% bulk ${i}\n%%EOF\n`], { type: "application/pdf" }),
          `bulk-${i}.pdf`,
        );
      }
      const response = await fetch(`${system.nodes.bank.url}/documents/bulk`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}` },
        body: form,
      });
      const body = (await response.json()) as { code: string };
      say(
        `one bulk upload of ${count} documents from a fresh key: ${response.status} ${body.code} (Retry-After ${response.headers.get("retry-after")} s)`,
      );
      expect(response.status).to.equal(429);
      expect(body.code).to.equal("upload_quota_exceeded");
      expect(Number(response.headers.get("retry-after"))).to.be.within(1, 60);
      const incoming = path.join(system.dataDir("bank"), "documents", ".incoming");
      expect(fs.existsSync(incoming) ? fs.readdirSync(incoming) : []).to.deep.equal([]);
    });
  });

  describe("when a key is revoked with the admin command while a client keeps calling", function () {
    it("refuses it from the next request on, on both nodes", async function () {
      for (const node of ["bank", "regulator"] as const) {
        const { env, url } = system.nodes[node];
        const { id, key } = issueKeyWithId(env, node, "regulator", "revoked-under-load");
        const caller = client(url, key);
        const calls: Array<{ sentAt: number; status: number }> = [];
        let revokedAt = Number.POSITIVE_INFINITY;
        let stop = false;
        const calling = (async () => {
          while (!stop) {
            const sentAt = Date.now();
            calls.push({ sentAt, status: (await caller.get("/verifications?limit=1")).status });
          }
        })();
        await new Promise((resolve) => setTimeout(resolve, 500));
        revokeKey(env, node, id); // synchronous: the command has committed when it returns
        revokedAt = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        stop = true;
        await calling;
        const before = calls.filter((c) => c.sentAt < revokedAt);
        const after = calls.filter((c) => c.sentAt >= revokedAt);
        const servedAfter = after.filter((c) => c.status === 200).length;
        say(
          `${node} node: ${before.filter((c) => c.status === 200).length} calls served before the revocation; ` +
            `${after.length} after it, ${servedAfter} served, ${after.filter((c) => c.status === 401).length} refused 401`,
        );
        expect(before.some((c) => c.status === 200)).to.equal(true);
        expect(after.length).to.be.above(0);
        expect(servedAfter).to.equal(0);
      }
    });
  });

  describe("when /metrics is scraped", function () {
    it("serves it only with a bank officer's or regulator's key", async function () {
      const answers: string[] = [];
      for (const node of ["bank", "regulator"] as const) {
        const keys = system.keys[node].active;
        const cases: Array<[string, string | undefined, number]> = [
          ["no key", undefined, 401],
          ["a revoked key", system.keys[node].revoked.regulator, 401],
          ["a borrower's key", keys.borrower, 403],
          ["a supplier's key", keys.supplier, 403],
          ["a bank officer's key", keys.bank_officer, 200],
          ["a regulator's key", keys.regulator, 200],
        ];
        for (const [who, key, status] of cases) {
          const response = await fetch(`${system.nodes[node].url}/metrics`, {
            headers: key ? { authorization: `Bearer ${key}` } : {},
          });
          const text = await response.text();
          expect(response.status, `${node}, ${who}`).to.equal(status);
          if (status === 200) expect(text).to.include("qfm_outbox_pending_jobs");
          else expect(text).to.not.include("qfm_");
          answers.push(`${status}`);
        }
      }
      say(`/metrics on both nodes: ${answers.length} callers, ${answers.filter((a) => a !== "200").length} refused`);
    });
  });
});
