import { expect } from "chai";
import { ethers } from "ethers";
import { randomUUID } from "node:crypto";
import pino from "pino";
import { createBatcher } from "../../server/anchoring/anchoring";
import { batchTreeOf, verifyBatchProof } from "../../server/chain/batch-tree";
import { EVIDENCE_KINDS, evidenceIdOf } from "../../server/chain/evidence";
import type { Tx } from "../../server/db/client";
import type { Outbox } from "../../server/outbox/outbox";
import { forEachDatabase, type TestDatabase } from "../helpers/databases";

/** Queues `count` documents, oldest first, as an upload would. */
async function queueDocuments(db: TestDatabase, count: number) {
  const start = Date.now() - 60_000;
  const rows = Array.from({ length: count }, (_, i) => {
    const facilityId = BigInt(1 + (i % 3));
    const kind = EVIDENCE_KINDS[i % EVIDENCE_KINDS.length];
    const saltedHash = ethers.id(`document ${i}`);
    const counterparty = ethers.getAddress(`0x${(0xb0 + (i % 5)).toString(16).padStart(40, "0")}`);
    return {
      id: randomUUID(),
      facilityId,
      kind,
      mimeType: "application/pdf",
      size: 10,
      originalName: `${i}.pdf`,
      contentHash: ethers.id(`content ${i}`),
      salt: ethers.id(`salt ${i}`),
      saltedHash,
      evidenceId: evidenceIdOf(facilityId, kind, counterparty, saltedHash),
      counterparty,
      uploadedBy: "test/anchoring",
      createdAt: new Date(start + i),
    };
  });
  await db.prisma.document.createMany({ data: rows });
  return rows;
}

/** The outbox as the batcher sees it: jobs written in the sealing transaction, so they roll back with it. */
function recordingOutbox() {
  let pokes = 0;
  const outbox = {
    async enqueue(tx: Tx, job: { key: string; kind: string; payload: unknown }) {
      await tx.outboxJob.create({
        data: { id: randomUUID(), key: job.key, kind: job.kind, payload: JSON.stringify(job.payload) },
      });
    },
    poke: () => void pokes++,
  };
  return { outbox: outbox as unknown as Outbox, pokes: () => pokes };
}

describe("the batcher", function () {
  forEachDatabase((db) => {
    beforeEach(async function () {
      await db().prisma.outboxJob.deleteMany();
      await db().prisma.document.deleteMany();
      await db().prisma.batch.deleteMany();
    });

    const batcherOf = (outbox: Outbox, maxSize: number) =>
      createBatcher({ db: db(), outbox, logger: pino({ level: "silent" }), maxSize, maxAgeMs: 1_000 });

    it("seals the oldest queued documents into position-bound batch trees in order, one anchor job each", async function () {
      const rows = await queueDocuments(db(), 1_200);
      const { outbox, pokes } = recordingOutbox();
      const batcher = batcherOf(outbox, 1_000);
      const first = await batcher.sealOnce();
      const second = await batcher.sealOnce(true);
      expect(await batcher.sealOnce(true)).to.equal(undefined);
      expect(pokes()).to.equal(2);

      for (const [root, expected] of [
        [first, rows.slice(0, 1_000)],
        [second, rows.slice(1_000)],
      ] as const) {
        const ids = expected.map((row) => evidenceIdOf(row.facilityId, row.kind, row.counterparty, row.saltedHash));
        const tree = batchTreeOf(ids);
        expect(root).to.equal(tree.root);
        const batch = await db().prisma.batch.findUniqueOrThrow({ where: { root: root! } });
        expect(batch.size).to.equal(expected.length);
        const stored = await db().prisma.document.findMany({ where: { batchId: batch.id } });
        expect(stored).to.have.length(expected.length);
        for (const document of stored) {
          expect(document.status).to.equal("BATCHED");
          // leaf i is the i-th oldest document: its position and its verdict bit
          const index = ids.indexOf(document.evidenceId);
          expect(document.leafIndex).to.equal(index);
          const proof = JSON.parse(document.proof!) as string[];
          expect(proof).to.deep.equal(tree.proof(index));
          expect(verifyBatchProof(tree.root, document.evidenceId, index, proof, expected.length)).to.equal(true);
        }
      }
      const jobs = await db().prisma.outboxJob.findMany({ orderBy: { key: "asc" } });
      expect(jobs.map((job) => JSON.parse(job.payload))).to.have.deep.members([
        { root: first, size: 1_000 },
        { root: second, size: 200 },
      ]);
    });

    it("waits for a full batch or the oldest document's age, unless forced", async function () {
      const fresh = await queueDocuments(db(), 3);
      await db().prisma.document.updateMany({ data: { createdAt: new Date() } });
      const batcher = batcherOf(recordingOutbox().outbox, 10);
      expect(await batcher.sealOnce()).to.equal(undefined);
      expect(await batcher.sealOnce(true)).to.be.a("string");
      expect(await db().prisma.document.count({ where: { status: "BATCHED" } })).to.equal(fresh.length);
    });

    it("leaves the documents queued, and no batch or job, when the sealing transaction fails", async function () {
      const rows = await queueDocuments(db(), 20);
      const { outbox } = recordingOutbox();
      const racing = {
        ...outbox,
        // Runs inside the sealing transaction, after the documents were claimed.
        async enqueue(tx: Tx, job: { key: string; kind: string; payload: unknown }) {
          await outbox.enqueue(tx, job);
          throw new Error("the job could not be written");
        },
      } as Outbox;
      await expect(batcherOf(racing, 20).sealOnce()).to.be.rejectedWith(/could not be written/);
      expect(await db().prisma.document.count({ where: { status: "QUEUED", batchId: null } })).to.equal(rows.length);
      expect(await db().prisma.batch.count()).to.equal(0);
      expect(await db().prisma.outboxJob.count()).to.equal(0);
    });
  });
});
