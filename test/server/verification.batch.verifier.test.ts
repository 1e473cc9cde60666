import { expect } from "chai";
import { Wallet, getAddress } from "ethers";
import pino from "pino";
import { batchTreeOf } from "../../server/chain/batch-tree";
import type { Chain } from "../../server/chain/chain";
import { contentHashOf, evidenceIdOf, saltedHashOf } from "../../server/chain/evidence";
import type { Tx } from "../../server/db/client";
import { createMetrics } from "../../server/http/metrics";
import type { Outbox } from "../../server/outbox/outbox";
import { BATCH_ATTEST } from "../../server/verification/batch-verdicts";
import { checkingEach, regulatorRecordCheck, type RecordCheck } from "../../server/verification/checks";
import { createDecisions, type BatchAttestPayload } from "../../server/verification/decisions";
import { createNodeMac, macKeyOf } from "../../server/verification/mac";
import type { CandidateEvidence, DocumentSource } from "../../server/verification/sources";
import { createVerifier } from "../../server/verification/verifier";
import { forEachDatabase, type TestDatabase } from "../helpers/databases";

const logger = pino({ level: "silent" });
const COUNTERPARTY = getAddress(`0x${"c1".repeat(20)}`);
const bytesOf = (i: number) => Buffer.from(`%PDF-1.7\n% batch leaf ${i}\n%%EOF\n`);

/** A batch of `n` invoices as the bank serves it (listed in the order given), with its tree. */
function batchOf(n: number, listOrder: (indexes: number[]) => number[] = (x) => x) {
  const leaves = Array.from({ length: n }, (_, i) => {
    const salt = `0x${(i + 1).toString(16).padStart(64, "0")}`;
    const saltedHash = saltedHashOf(salt, contentHashOf(bytesOf(i)));
    return { i, salt, saltedHash, evidenceId: evidenceIdOf(7n, "INVOICE", COUNTERPARTY, saltedHash) };
  });
  const tree = batchTreeOf(leaves.map((l) => l.evidenceId));
  const candidates: CandidateEvidence[] = leaves.map((l) => ({
    documentId: `doc-${l.i}`,
    facilityId: 7n,
    kind: "INVOICE",
    counterparty: COUNTERPARTY,
    salt: l.salt,
    saltedHash: l.saltedHash,
    evidenceId: l.evidenceId,
    index: l.i,
    proof: tree.proof(l.i),
    metadata: { invoiceNumber: `INV-${l.i}` },
  }));
  return { root: tree.root, candidates, listed: listOrder(candidates.map((_, i) => i)).map((i) => candidates[i]) };
}

describe("the verifier's batch verdicts (server/verification/verifier handleBatch)", function () {
  forEachDatabase((database) => {
    let db: TestDatabase;
    const wallet = Wallet.createRandom();
    const mac = createNodeMac(macKeyOf({ verifierKey: wallet.privateKey }));

    before(function () {
      db = database();
    });

    /** A verifier over `source`, whose outbox records the jobs queued (and can be made to fail, as a crash would). */
    function verifierOver(
      source: DocumentSource,
      failEnqueue: { times: number } = { times: 0 },
      recordCheck: RecordCheck = checkingEach(async ({ metadata }) =>
        metadata.invoiceNumber === "INV-3" ? { ok: false, reason: "INV-3 is a forgery" } : { ok: true },
      ),
    ) {
      const metrics = createMetrics("regulator");
      const decisions = createDecisions({ db, mac, metrics, logger });
      const outbox = {
        async enqueue(tx: Tx, job: { key: string; kind: string; payload: unknown }) {
          if (failEnqueue.times > 0) {
            failEnqueue.times--;
            throw new Error("the node died while queueing");
          }
          await tx.outboxJob.upsert({
            where: { key: job.key },
            create: { id: job.key, key: job.key, kind: job.kind, lane: "RELAY", payload: JSON.stringify(job.payload) },
            update: {},
          });
        },
        poke() {},
      } as unknown as Outbox;
      return {
        decisions,
        verifier: createVerifier({
          db,
          chain: {} as Chain,
          verifierWallet: wallet as unknown as Parameters<typeof createVerifier>[0]["verifierWallet"],
          source,
          recordCheck,
          outbox,
          logger,
          metrics,
          decisions,
          unresolvedAnchors: { retries: 3, waitMs: 60_000, retryMs: 60_000 },
        }),
      };
    }

    async function anchorEvent(root: string, size: number, block: bigint) {
      await db.prisma.chainEvent.create({
        data: {
          id: `0x${block.toString(16).padStart(64, "0")}:0`,
          blockNumber: block,
          blockHash: `0x${block.toString(16).padStart(64, "0")}`,
          txHash: `0x${"ee".repeat(32)}`,
          logIndex: 0,
          address: COUNTERPARTY,
          name: "BatchAnchored",
          args: JSON.stringify({ root, size: String(size) }),
        },
      });
    }

    const jobsOf = async () =>
      (await db.prisma.outboxJob.findMany({ orderBy: { createdAt: "asc" } })).map((job) => ({
        kind: job.kind,
        payload: JSON.parse(job.payload) as BatchAttestPayload,
      }));

    beforeEach(async function () {
      await db.prisma.outboxJob.deleteMany();
      await db.prisma.verification.deleteMany();
      await db.prisma.chainEvent.deleteMany();
      await db.prisma.checkpoint.deleteMany();
      await db.prisma.evidenceSeen.deleteMany();
    });

    it("decides a largest batch (1,024 leaves) with the regulator's record checks: no query exceeds the database's parameter limit", async function () {
      this.timeout(120_000);
      const size = 1_024; // EvidenceRegistry.MAX_BATCH_SIZE
      const batch = batchOf(size);
      const { verifier, decisions } = verifierOver(
        {
          batch: async () => batch.listed,
          evidence: async () => undefined,
          content: async (documentId) => bytesOf(Number(documentId.slice(4))),
        },
        { times: 0 },
        regulatorRecordCheck(db),
      );
      await anchorEvent(batch.root, size, 10n);
      await verifier.scan();
      const [job, ...more] = await jobsOf();
      expect(more).to.have.length(0);
      expect(job.payload.leaves.map((leaf) => leaf.index)).to.deep.equal(batch.candidates.map((_, i) => i));
      // No supplier licence in the metadata: every leaf is a REJECT with that reason, after "one document, one use"
      // read and remembered all 1,024 (their bytes and invoice numbers in two lists of 1,024).
      expect(new Set(job.payload.leaves.map((leaf) => leaf.verdict))).to.deep.equal(new Set(["REJECT"]));
      expect(await db.prisma.evidenceSeen.count()).to.equal(size);
      expect(await decisions.refuseBatchAttest(job.payload)).to.equal(undefined);
      expect((await decisions.revokedAmong(batch.candidates.map((c) => c.evidenceId))).size).to.equal(0);
    });

    it("decides every leaf by position, whatever order the bank lists them in, and queues one batch verdict", async function () {
      const batch = batchOf(6, (x) => [...x].reverse());
      const { verifier, decisions } = verifierOver({
        batch: async () => batch.listed,
        evidence: async () => undefined,
        content: async (documentId) => bytesOf(Number(documentId.slice(4))),
      });
      await anchorEvent(batch.root, 6, 10n);
      await verifier.scan();
      const jobs = await jobsOf();
      expect(jobs.map((j) => j.kind)).to.deep.equal([BATCH_ATTEST]);
      const [{ payload }] = jobs;
      expect(payload.root).to.equal(batch.root);
      expect(payload.leaves.map((l) => [l.index, l.verdict])).to.deep.equal([
        [0, "ACCEPT"],
        [1, "ACCEPT"],
        [2, "ACCEPT"],
        [3, "REJECT"],
        [4, "ACCEPT"],
        [5, "ACCEPT"],
      ]);
      expect(await decisions.refuseBatchAttest(payload)).to.equal(undefined);
      const rows = await db.prisma.verification.findMany({ orderBy: { leafIndex: "asc" } });
      expect(rows.map((r) => [r.leafIndex, r.batchRoot, decisions.isOwn(r)])).to.deep.equal(
        [0, 1, 2, 3, 4, 5].map((i) => [i, batch.root, true]),
      );
      expect(JSON.parse(rows[2].proof!)).to.deep.equal(batch.candidates[2].proof);
      // A second pass over the same anchor queues nothing more.
      await db.prisma.checkpoint.deleteMany();
      await verifier.scan();
      expect(await jobsOf()).to.have.length(1);
    });

    it("records nothing when it dies while queueing the batch verdict, and queues it once when it comes back", async function () {
      const batch = batchOf(4);
      const source: DocumentSource = {
        batch: async () => batch.listed,
        evidence: async () => undefined,
        content: async (documentId) => bytesOf(Number(documentId.slice(4))),
      };
      await anchorEvent(batch.root, 4, 11n);
      const crashing = verifierOver(source, { times: 1 });
      await expect(crashing.verifier.scan()).to.be.rejectedWith(/died while queueing/);
      expect(await db.prisma.verification.count()).to.equal(0);
      expect(await jobsOf()).to.deep.equal([]);
      await verifierOver(source).verifier.scan();
      expect(await db.prisma.verification.count()).to.equal(4);
      const jobs = await jobsOf();
      expect(jobs.map((j) => j.payload.leaves.length)).to.deep.equal([4]);
    });

    it("leaves out a leaf it cannot decide now, and a later job covers it", async function () {
      const batch = batchOf(5);
      let reachable = false;
      const { verifier } = verifierOver({
        batch: async () => batch.listed,
        evidence: async () => undefined,
        content: async (documentId) => {
          if (documentId === "doc-2" && !reachable) throw new Error("the bank node timed out");
          return bytesOf(Number(documentId.slice(4)));
        },
      });
      await anchorEvent(batch.root, 5, 12n);
      await expect(verifier.scan()).to.be.rejectedWith(/timed out/);
      let jobs = await jobsOf();
      expect(jobs.map((j) => j.payload.leaves.map((l) => l.index))).to.deep.equal([[0, 1, 3, 4]]);
      reachable = true;
      await verifier.scan();
      jobs = await jobsOf();
      expect(jobs.map((j) => j.payload.leaves.map((l) => l.index))).to.deep.equal([[0, 1, 3, 4], [2]]);
    });

    it("replaces a verdict row an insider wrote (no MAC) with its own decision, and proves every leaf", async function () {
      const batch = batchOf(3);
      // An insider's ACCEPT for the forgery's position... and a bank listing a leaf at a position its proof does not hold.
      await db.prisma.verification.create({
        data: {
          evidenceId: batch.candidates[3 - 1].evidenceId,
          facilityId: 7n,
          kind: "INVOICE",
          verdict: "ACCEPT",
          reason: "",
          batchRoot: batch.root,
          leafIndex: 2,
        },
      });
      const moved = { ...batch.candidates[1], index: 5 };
      const { verifier, decisions } = verifierOver({
        batch: async () => [batch.candidates[0], moved, batch.candidates[2]],
        evidence: async () => undefined,
        content: async (documentId) => bytesOf(Number(documentId.slice(4))),
      });
      await anchorEvent(batch.root, 3, 13n);
      await verifier.scan();
      const [job] = await jobsOf();
      expect(job.payload.leaves.map((l) => l.index)).to.deep.equal([0, 2]);
      const rows = await db.prisma.verification.findMany();
      expect(rows.every((r) => decisions.isOwn(r))).to.equal(true);
      const unproven = rows.find((r) => r.evidenceId === moved.evidenceId)!;
      expect([unproven.verdict, unproven.reason, unproven.batchRoot]).to.deep.equal([
        "REJECT",
        "the bank's leaf is not in the anchored root",
        null,
      ]);
    });
  });
});
