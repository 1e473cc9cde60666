/**
 * Signing integrity against the running system: a `hardhat node` chain process, the bank node and the regulator node
 * as real processes (free ports), each with its own SQLite database, documents and keys. Regressions of issue 11:
 *
 * 1. Rows written into the regulator's database behind its back (an ATTEST job with verdict ACCEPT; a Verification
 *    row without the node's MAC): nothing is signed on chain, each job fails with a reason, the tamper is counted.
 * 2. An anchor the bank node's database does not know (the bank's key calling anchorBatch / anchor directly): both
 *    verifiers mark it UNRESOLVED after their bounded wait and go on verifying what comes after it.
 * 3. A stored file swapped after both nodes accepted it: both nodes find it on their scheduled re-check and revoke on
 *    chain (EvidenceUnverified), the payment it was to release is refused, and the download answers 410
 *    content_tampered with the hash of the bytes on disk instead of serving them.
 */
import { expect } from "chai";
import { Wallet, ZeroAddress, hexlify, id as keccakText, randomBytes, sha256 } from "ethers";
import fs from "node:fs";
import path from "node:path";
import { devWallet } from "../../scripts/lib/deploy-config";
import { freePort } from "../../scripts/bench/lib/system";
import { contentHashOf, kindIndex, saltedHashOf } from "../../server/chain/evidence";
import { createDatabase, type Database } from "../../server/db/client";
import { randomUUID } from "node:crypto";
import { EvidenceRegistry__factory } from "../../typechain-types";
import { chainVerdicts, leafFromNode, verifiedOnChain, type Leaf } from "../helpers/chainVerdicts";
import { Verdict } from "../helpers/constants";
import { startLiveSystem, type LiveSystem } from "../helpers/liveSystem";
import { recordAccounts } from "../helpers/liveFacility";
import { client, waitFor } from "../helpers/processes";

const NONE = BigInt(Verdict.NONE);
const ACCEPT = BigInt(Verdict.ACCEPT);
const REJECT = BigInt(Verdict.REJECT);
const EQUIPMENT_LICENCE = "91330200MA2H8K3X1Y";
const yuan = (amount: number) => (BigInt(amount) * 100n).toString();
const pdf = (text: string) => Buffer.from(`%PDF-1.7\n% ${text}\n%%EOF\n`);

describe("signing integrity against the running system", function () {
  this.timeout(600_000);
  let system: LiveSystem;
  let failed = false;
  const url = (node: "bank" | "regulator") => system.nodes[node].url;
  const as = (node: "bank" | "regulator", role: "bank_officer" | "regulator") =>
    client(url(node), system.keys[node].active[role]);
  const verifiers = { bank: devWallet("bankVerifier").address, regulator: devWallet("regulatorVerifier").address };
  const vendor = Wallet.createRandom().address;
  let facilityId = 0n;

  before(async function () {
    const ports = { chain: await freePort(), bank: await freePort(), regulator: await freePort() };
    system = await startLiveSystem({
      name: "integrity",
      ports,
      env: {
        POLL_INTERVAL_MS: "200",
        RATE_LIMIT_PER_MINUTE: "100000",
        UNRESOLVED_ANCHOR_RETRIES: "2",
        UNRESOLVED_ANCHOR_WAIT_MS: "1000",
        UNRESOLVED_ANCHOR_RETRY_MS: "2000",
        INTEGRITY_CHECK_MS: "1000",
        INTEGRITY_CHECK_BATCH: "20",
      },
      bankEnv: { BATCH_MAX_AGE_MS: "500", REVIEW_CHECK_MS: "0" },
    });
    const officer = as("bank", "bank_officer");
    const payee = await officer.post("/payees", {
      address: vendor,
      name: "Ningbo Precision CNC Equipment",
      creditCode: EQUIPMENT_LICENCE,
      category: "EQUIPMENT",
      licenceHash: keccakText("licence:vendor"),
    });
    expect(payee.status, JSON.stringify(payee.body)).to.equal(201);
    // The white list is the regulator's; and its own record of whose account the borrower's is (patents attributed).
    const imported = await as("regulator", "regulator").post("/whitelist/import", {
      csv: "creditCode,name,grade,credit,management,brand,foundation,innovation\n91330206MA2AAAAA1X,Ningbo Yongxin Bearings,C,78,74,66,81,72\n",
    });
    expect(imported.status, JSON.stringify(imported.body)).to.equal(200);
    const firm = await as("regulator", "regulator").post("/registry/records", {
      type: "FIRM_ACCOUNT",
      reference: devWallet("borrower").address,
      holder: "Ningbo Yongxin Bearings Co., Ltd.",
      holderCreditCode: "91330206MA2AAAAA1X",
    });
    expect(firm.status, JSON.stringify(firm.body)).to.equal(201);
    await recordAccounts(as("regulator", "regulator"), [[vendor, EQUIPMENT_LICENCE]]);
    const created = await officer.post("/facilities", {
      borrower: devWallet("borrower").address,
      borrowerName: "Ningbo Yongxin Bearings",
      creditCode: "91330206MA2AAAAA1X",
      creditLimit: yuan(3_000_000),
      plan: [
        {
          payee: vendor,
          category: "EQUIPMENT",
          qualityPurpose: true,
          amount: yuan(2_000_000),
          requiredEvidence: ["INVOICE"],
        },
        {
          payee: vendor,
          category: "EQUIPMENT",
          qualityPurpose: true,
          amount: yuan(1_000_000),
          requiredEvidence: ["DELIVERY_NOTE"],
        },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    facilityId = BigInt(created.body.facilityId);
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") failed = true;
  });

  after(async function () {
    if (failed) {
      for (const node of ["bank", "regulator"] as const) {
        const lines = system?.nodes[node]?.logs
          .join("")
          .split("\n")
          .filter((line) => /"level":(40|50)/.test(line));
        console.log(`--- ${node} node warnings ---\n${lines?.slice(-30).join("\n")}`);
      }
    }
    await system?.stop();
    if (system && !failed) fs.rmSync(system.dir, { recursive: true, force: true });
  });

  async function upload(kind: string, text: string, metadata: Record<string, unknown>) {
    const response = await as("bank", "bank_officer").upload(
      { facilityId: facilityId.toString(), kind, metadata: JSON.stringify(metadata), anchor: "batch" },
      { name: `${text}.pdf`, type: "application/pdf", bytes: pdf(text) },
    );
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body as { id: string; evidenceId: string; contentHash: string };
  }

  /** Where an evidence sits in its batch, as the bank node's proof gives it (one cache for the suite). */
  let leafCache: ((evidenceId: string) => Promise<Leaf | undefined>) | undefined;
  const leafOf = (evidenceId: string) => (leafCache ??= leafFromNode(as("bank", "bank_officer")))(evidenceId);
  const verifierList = [verifiers.bank, verifiers.regulator];
  /** Both verifiers' verdicts by the path the evidence took: its record once registered, else its batch's bits. */
  const verdictsOf = (evidenceId: string) => chainVerdicts(system.contracts.registry, evidenceId, verifierList, leafOf);
  /** The evidence record's own verdicts (NONE for a batched leaf no payment registered). */
  const recordVerdictsOf = (evidenceId: string) =>
    Promise.all(verifierList.map((verifier) => system.contracts.registry.verdictOf(evidenceId, verifier)));
  const verified = (evidenceId: string) => verifiedOnChain(system.contracts.registry, evidenceId, verifierList, leafOf);
  /** The batch bits of an evidence: [accepted, rejected] per verifier (zeroes when it is not in a batch). */
  async function batchBitsOf(evidenceId: string): Promise<Array<[boolean, boolean]>> {
    const leaf = await leafOf(evidenceId);
    if (!leaf) return verifierList.map(() => [false, false]);
    const bit = 1n << BigInt(leaf.index & 255);
    return Promise.all(
      verifierList.map(async (verifier): Promise<[boolean, boolean]> => {
        const [accepted, rejected] = await system.contracts.registry.batchVerdictsOf(
          leaf.root,
          verifier,
          leaf.index >> 8,
        );
        return [(accepted & bit) !== 0n, (rejected & bit) !== 0n];
      }),
    );
  }

  async function bothVerdicts(evidenceId: string, expected: [bigint, bigint]) {
    await waitFor(
      `both verdicts on ${evidenceId}`,
      async () => (await verdictsOf(evidenceId)).every((verdict) => verdict !== NONE),
      120_000,
    );
    expect(await verdictsOf(evidenceId)).to.deep.equal(expected);
  }

  /** A counter's value in a node's /metrics (0 when it has not been counted yet). */
  async function metric(node: "bank" | "regulator", name: string): Promise<number> {
    const response = await fetch(`${url(node)}/metrics`, {
      headers: { authorization: `Bearer ${system.keys[node].active.regulator}` },
    });
    const text = await response.text();
    return text
      .split("\n")
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .reduce((sum, line) => sum + Number(line.split(" ").pop()), 0);
  }

  /** Waits until both nodes have nothing left to write (the bank's key is then free for a transaction of the test's). */
  async function quiesce(): Promise<void> {
    await waitFor(
      "both nodes idle",
      async () => {
        const [bank, regulator] = await Promise.all([
          client(url("bank")).get("/ready"),
          client(url("regulator")).get("/ready"),
        ]);
        return bank.body.outboxPending === 0 && regulator.body.outboxPending === 0;
      },
      120_000,
    );
  }

  /** Sends with the bank's key beside its node; a nonce the node took meanwhile is retried with the next one. */
  async function withBankKey<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await quiesce();
      try {
        return await send();
      } catch (error) {
        if (attempt >= 4 || !/nonce/i.test(String((error as Error).message))) throw error;
      }
    }
  }

  /** The bank's own key anchoring outside its node: what its database does not know. */
  function bankKeyRegistry() {
    const signer = new Wallet(devWallet("bank").privateKey, system.provider);
    return EvidenceRegistry__factory.connect(system.contracts.registry.target as string, signer);
  }

  const counterpartyOf = (kind: "PATENT_FILING" | "DELIVERY_NOTE") =>
    kind === "PATENT_FILING" ? devWallet("borrower").address : ZeroAddress;

  /** Anchors one made-up document with the bank's key alone; returns its evidence id (from the chain's event). */
  async function anchorAlone(kind: "PATENT_FILING" | "DELIVERY_NOTE", text: string, salt = hexlify(randomBytes(32))) {
    const registry = bankKeyRegistry();
    const saltedHash = saltedHashOf(salt, contentHashOf(pdf(text)));
    const receipt = await withBankKey(async () =>
      // a made-up document the bank's database knows none of: a patent names the borrower (as one it could restore
      // later must), a delivery note any counterparty (the zero address)
      (await registry.anchor(facilityId, kindIndex(kind), counterpartyOf(kind), saltedHash)).wait(),
    );
    const anchored = receipt!.logs
      .map((log) => registry.interface.parseLog(log))
      .find((parsed) => parsed?.name === "EvidenceAnchored");
    return anchored!.args.evidenceId as string;
  }

  async function withDatabase<T>(node: "bank" | "regulator", use: (db: Database) => Promise<T>): Promise<T> {
    const db = createDatabase(`file:${path.join(system.dataDir(node), "db.sqlite")}`);
    try {
      return await use(db);
    } finally {
      await db.close();
    }
  }

  const unresolvedAt = async (node: "bank" | "regulator") =>
    ((await as(node, "regulator").get("/verifications?limit=1")).body.unresolved as Array<{
      root: string;
      status: string;
    }>) ?? [];

  describe("when an anchor the bank node's database does not know is on chain", function () {
    const unknownRoot = hexlify(randomBytes(32));
    const singleSalt = hexlify(randomBytes(32));
    let single = "";

    before(async function () {
      await withBankKey(async () => (await bankKeyRegistry().anchorBatch(unknownRoot, 3)).wait());
      single = await anchorAlone("PATENT_FILING", "restored later", singleSalt);
    });

    it("both verifiers skip it as UNRESOLVED and verify the documents anchored after it", async function () {
      const later = await upload("DELIVERY_NOTE", "delivery note after the unknown anchor", {
        supplierLicence: EQUIPMENT_LICENCE,
      });
      await bothVerdicts(later.evidenceId, [ACCEPT, ACCEPT]);
      // Batched: its verdicts are its batch's bits; no payment registered it as evidence.
      expect(await leafOf(later.evidenceId)).to.not.equal(undefined);
      expect(await recordVerdictsOf(later.evidenceId)).to.deep.equal([NONE, NONE]);
      for (const node of ["bank", "regulator"] as const) {
        const unresolved = await unresolvedAt(node);
        expect(
          unresolved.map((a) => a.root),
          node,
        ).to.include.members([unknownRoot, single]);
        expect(unresolved.every((a) => a.status === "UNRESOLVED")).to.equal(true);
        expect(await metric(node, "qfm_unresolved_anchors"), node).to.be.at.least(2);
      }
    });

    it("keeps retrying it at low frequency without signing anything for it", async function () {
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(await verdictsOf(single)).to.deep.equal([NONE, NONE]);
      // Nor for the unknown batch: no verifier set a bit of it.
      for (const verifier of verifierList) {
        expect(await system.contracts.registry.batchVerdictsOf(unknownRoot, verifier, 0), verifier).to.deep.equal([
          0n,
          0n,
          0n,
        ]);
      }
      const rows = await withDatabase("regulator", (db) =>
        db.prisma.unresolvedAnchor.findMany({ where: { root: { in: [unknownRoot, single] } } }),
      );
      expect(rows.map((row) => row.status)).to.deep.equal(["UNRESOLVED", "UNRESOLVED"]);
      expect(Math.min(...rows.map((row) => row.attempts))).to.be.at.least(3);
    });

    it("verifies it once the bank node serves it again (its rows and file restored), on both nodes", async function () {
      const bytes = pdf("restored later");
      const contentHash = contentHashOf(bytes);
      const hex = contentHash.slice(2);
      const folder = path.join(system.dataDir("bank"), "documents", hex.slice(0, 2), hex.slice(2, 4));
      fs.mkdirSync(folder, { recursive: true });
      fs.writeFileSync(path.join(folder, hex), bytes);
      await withDatabase("bank", (db) =>
        db.prisma.document.create({
          data: {
            id: randomUUID(),
            facilityId,
            kind: "PATENT_FILING",
            mimeType: "application/pdf",
            size: bytes.length,
            originalName: "restored.pdf",
            metadata: JSON.stringify({ patentNumber: "CN202610654321.0" }),
            contentHash,
            salt: singleSalt,
            saltedHash: saltedHashOf(singleSalt, contentHash),
            evidenceId: single,
            counterparty: devWallet("borrower").address,
            uploadedBy: "restore",
            status: "ANCHORED",
          },
        }),
      );
      await bothVerdicts(single, [ACCEPT, ACCEPT]);
      for (const node of ["bank", "regulator"] as const) {
        expect(
          (await unresolvedAt(node)).map((a) => a.root),
          node,
        ).to.deep.equal([unknownRoot]);
      }
    });
  });

  describe("when rows are written into the regulator's database behind its back", function () {
    let rejected = "";
    let orphan = "";

    before(async function () {
      // A document the regulator rejects from its own registry (a licence it does not hold).
      // (A certificate: the bank checks an invoice's supplier licence against its payee's credit code, and would reject
      // an unknown one too; a lab licence only the regulator checks.)
      const document = await upload("CERTIFICATION", "certificate of an unknown lab", { labLicence: "CNAS-L99999" });
      rejected = document.evidenceId;
      await bothVerdicts(rejected, [ACCEPT, REJECT]);
      // Evidence anchored by the bank's key alone: no node decided anything about it.
      orphan = await anchorAlone("DELIVERY_NOTE", "orphan");
    });

    it("signs nothing for a forged ATTEST job or a forged Verification row, fails each job and counts it", async function () {
      const before = await metric("regulator", "qfm_tampered_jobs_total");
      const stolenMac = await withDatabase("regulator", async (db) => {
        const genuine = await db.prisma.outboxJob.findFirst({ where: { kind: "ATTEST" } });
        return (JSON.parse(genuine!.payload) as { mac: string }).mac;
      });
      // The batch path: the regulator's genuine batch verdict over the rejected leaf, its REJECT turned into ACCEPT.
      const leaf = (await leafOf(rejected))!;
      expect(leaf, "the rejected certificate is batched").to.not.equal(undefined);
      const genuineBatch = await withDatabase("regulator", async (db) => {
        const jobs = await db.prisma.outboxJob.findMany({ where: { kind: "BATCH_ATTEST" } });
        return jobs
          .map(
            (job) => JSON.parse(job.payload) as { root: string; leaves: Array<Record<string, unknown>>; mac: string },
          )
          .find((payload) => payload.root === leaf.root)!;
      });
      expect(genuineBatch, "the regulator's batch verdict job").to.not.equal(undefined);
      const flipped = genuineBatch.leaves.map((l) => (l.evidenceId === rejected ? { ...l, verdict: "ACCEPT" } : l));
      expect(flipped).to.not.deep.equal(genuineBatch.leaves);
      const forged: Array<{ key: string; kind: string; payload: Record<string, unknown> }> = [
        { key: "forged:accept-over-reject", payload: { evidenceId: rejected, verdict: "ACCEPT", reason: "" } },
        { key: "forged:stolen-mac", payload: { evidenceId: rejected, verdict: "ACCEPT", reason: "", mac: stolenMac } },
        { key: "forged:no-record", payload: { evidenceId: orphan, verdict: "ACCEPT", reason: "" } },
        {
          key: "forged:forged-record",
          payload: { evidenceId: orphan, verdict: "ACCEPT", reason: "", mac: "ab".repeat(32) },
        },
      ].map((job) => ({ ...job, kind: "ATTEST" }));
      forged.push(
        { key: "forged:batch-accept-over-reject", kind: "BATCH_ATTEST", payload: { root: leaf.root, leaves: flipped } },
        {
          key: "forged:batch-stolen-mac",
          kind: "BATCH_ATTEST",
          payload: { root: leaf.root, leaves: flipped, mac: genuineBatch.mac },
        },
      );
      await withDatabase("regulator", async (db) => {
        await db.prisma.verification.create({
          data: {
            evidenceId: orphan,
            facilityId,
            kind: "DELIVERY_NOTE",
            verdict: "ACCEPT",
            reason: "",
            mac: "cd".repeat(32),
          },
        });
        for (const [i, job] of forged.entries()) {
          // Ids that sort before every genuine job: the outbox takes them first.
          await db.prisma.outboxJob.create({
            data: { id: `0000000000000forged${i}`, key: job.key, kind: job.kind, payload: JSON.stringify(job.payload) },
          });
        }
      });
      await waitFor(
        "the forged jobs to be refused",
        () =>
          withDatabase("regulator", async (db) =>
            (await db.prisma.outboxJob.findMany({ where: { key: { startsWith: "forged:" } } })).every(
              (job) => job.status === "FAILED",
            ),
          ),
        60_000,
      );
      const jobs = await withDatabase("regulator", (db) =>
        db.prisma.outboxJob.findMany({ where: { key: { startsWith: "forged:" } } }),
      );
      for (const job of jobs) {
        expect(job.lastError, job.key).to.match(/^refused before signing: /);
        expect(job.txHash, job.key).to.equal(null);
      }
      // The rejected leaf's bits are as both nodes decided (the bank's accept, the regulator's reject, no other bit
      // set); its record holds nothing (no payment registered it); the orphan has no verdict at all.
      expect(await verdictsOf(rejected)).to.deep.equal([ACCEPT, REJECT]);
      expect(await batchBitsOf(rejected)).to.deep.equal([
        [true, false],
        [false, true],
      ]);
      expect(await recordVerdictsOf(rejected)).to.deep.equal([NONE, NONE]);
      expect(await verdictsOf(orphan)).to.deep.equal([NONE, NONE]);
      expect(await recordVerdictsOf(orphan)).to.deep.equal([NONE, NONE]);
      expect(await verified(rejected)).to.equal(false);
      expect(await system.contracts.registry.isVerified(rejected)).to.equal(false);
      expect((await metric("regulator", "qfm_tampered_jobs_total")) - before).to.equal(forged.length);
    });
  });

  describe("when a stored file is swapped after both nodes accepted it", function () {
    let document: { id: string; evidenceId: string; contentHash: string };
    const forgedBytes = pdf("a forged invoice, swapped in on disk");
    const storePath = (contentHash: string) => {
      const hex = contentHash.slice(2);
      return path.join(system.dataDir("bank"), "documents", hex.slice(0, 2), hex.slice(2, 4), hex);
    };

    before(async function () {
      document = await upload("INVOICE", "genuine equipment invoice", { supplierLicence: EQUIPMENT_LICENCE });
      await bothVerdicts(document.evidenceId, [ACCEPT, ACCEPT]);
      expect(await leafOf(document.evidenceId), "batched").to.not.equal(undefined);
      expect(await verified(document.evidenceId)).to.equal(true);
    });

    it("serves an intact document with the hash of the bytes served", async function () {
      const response = await fetch(`${url("bank")}/documents/${document.id}/content`, {
        headers: { authorization: `Bearer ${system.keys.bank.active.regulator}` },
      });
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(response.status).to.equal(200);
      expect(response.headers.get("x-content-sha256")).to.equal(sha256(bytes));
      expect(response.headers.get("repr-digest")).to.equal(
        `sha-256=:${Buffer.from(sha256(bytes).slice(2), "hex").toString("base64")}:`,
      );
    });

    it("has both nodes revoke their acceptance on chain, which blocks the payment", async function () {
      const fromBlock = await system.provider.getBlockNumber();
      fs.writeFileSync(storePath(document.contentHash), forgedBytes);
      await waitFor(
        "both nodes to revoke",
        async () => (await verdictsOf(document.evidenceId)).every((verdict) => verdict === REJECT),
        60_000,
      );
      const registry = system.contracts.registry;
      expect(await verified(document.evidenceId)).to.equal(false);
      expect(await registry.isVerified(document.evidenceId)).to.equal(false);
      // Withdrawn in the batch's bits (revokeBatched): each acceptance bit cleared, a rejection bit set.
      expect(await batchBitsOf(document.evidenceId)).to.deep.equal([
        [false, true],
        [false, true],
      ]);
      const revoked = await registry.queryFilter(registry.filters.AttestationRevoked(document.evidenceId), fromBlock);
      expect(revoked.map((e) => e.args.verifier).sort()).to.deep.equal([verifiers.bank, verifiers.regulator].sort());

      const refused = await as("bank", "bank_officer").post(`/facilities/${facilityId}/payments/0`, {});
      expect([refused.status, refused.body.code], JSON.stringify(refused.body)).to.deep.equal([
        409,
        "evidence_not_usable",
      ]);
      expect(refused.body.detail).to.include("it is not verified");
      for (const node of ["bank", "regulator"] as const) {
        const { body } = await as(node, "regulator").get(`/verifications?facilityId=${facilityId}&limit=500`);
        const own = (body.items as Array<{ evidenceId: string; revokedAt: string | null }>).find(
          (item) => item.evidenceId === document.evidenceId,
        );
        expect(own?.revokedAt, node).to.be.a("string");
        expect(await metric(node, "qfm_revocations_total"), node).to.equal(1);
      }
    });

    it("answers the download 410 content_tampered with the hash of the bytes on disk, and revokes only once", async function () {
      const response = await as("bank", "regulator").get(`/documents/${document.id}/content`);
      expect([response.status, response.body.code]).to.deep.equal([410, "content_tampered"]);
      expect(response.body.recordedHash).to.equal(document.contentHash);
      expect(response.body.storedHash).to.equal(sha256(forgedBytes));
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // a few more scheduled passes
      const revokeJobs = await withDatabase("bank", (db) =>
        db.prisma.outboxJob.findMany({ where: { kind: "REVOKE" } }),
      );
      expect(revokeJobs.map((job) => job.status)).to.deep.equal(["CONFIRMED"]);
      const integrity = await withDatabase("bank", (db) =>
        db.prisma.documentIntegrity.findUnique({ where: { documentId: document.id } }),
      );
      expect([integrity?.status, integrity?.actualHash]).to.deep.equal(["TAMPERED", sha256(forgedBytes)]);
    });
  });
});
