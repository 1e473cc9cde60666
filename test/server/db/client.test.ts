import { expect } from "chai";
import { Prisma, createDatabase } from "../../../server/db/client";
import { forEachDatabase } from "../../helpers/databases";

/** Past Number.MAX_SAFE_INTEGER (2^53 - 1), where a float would round. */
const BEYOND_2_53 = 2n ** 53n + 1n;
const INT64_MAX = 2n ** 63n - 1n;
const HASH = (byte: string) => `0x${byte.repeat(32)}`;
const AT = new Date("2026-03-04T05:06:07.089Z");
const LATER = new Date("2026-03-05T00:00:00.001Z");

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

function expectUniqueViolation(error: unknown): void {
  expect(error).to.be.instanceOf(Prisma.PrismaClientKnownRequestError);
  expect((error as Prisma.PrismaClientKnownRequestError).code).to.equal("P2002");
}

describe("createDatabase", function () {
  forEachDatabase((db) => {
    it("reports its provider", function () {
      expect(db().provider).to.equal(db().url.startsWith("file:") ? "sqlite" : "postgresql");
    });

    describe("when every model is written and read back", function () {
      it("round-trips a Batch and a Document with its relation", async function () {
        const { prisma } = db();
        const batch = {
          id: "batch-1",
          root: HASH("ab"),
          size: 2,
          single: false,
          status: "CONFIRMED",
          txHash: HASH("01"),
          blockNumber: INT64_MAX,
          createdAt: AT,
          confirmedAt: LATER,
        };
        const document = {
          id: "doc-1",
          facilityId: BEYOND_2_53,
          kind: "INVOICE",
          mimeType: "application/pdf",
          size: 1_234,
          originalName: "发票 invoice.pdf",
          metadata: '{"supplier":"宁波"}',
          contentHash: HASH("cd"),
          contentKey: HASH("cd"),
          salt: HASH("ef"),
          saltedHash: HASH("12"),
          evidenceId: HASH("34"),
          uploadedBy: "bank:officer-1",
          createdAt: AT,
          status: "ANCHORED",
          batchId: batch.id,
          proof: JSON.stringify([HASH("56")]),
          leafIndex: 1,
          anchoredAt: LATER,
          counterparty: "0x5A0b54D5dc17e0AadC383d2db43B0a0D3E029c4c",
          businessKey: "91330200MA2H8K3X1Y:INVOICE:NO-2026-0001",
        };
        await prisma.batch.create({ data: batch });
        await prisma.document.create({ data: document });

        expect(await prisma.batch.findUniqueOrThrow({ where: { id: batch.id } })).to.deep.equal(batch);
        const read = await prisma.document.findUniqueOrThrow({ where: { id: document.id }, include: { batch: true } });
        expect(read).to.deep.equal({ ...document, batch });
        expect(read.facilityId).to.equal(2n ** 53n + 1n);
        expect(await prisma.document.count({ where: { facilityId: { gt: 2n ** 53n } } })).to.equal(1);
      });

      it("fills the defaults", async function () {
        const { prisma } = db();
        const before = Date.now();
        const document = await prisma.document.create({
          data: {
            id: "doc-defaults",
            facilityId: 1n,
            kind: "INVOICE",
            mimeType: "application/pdf",
            size: 1,
            originalName: "a.pdf",
            contentHash: HASH("aa"),
            salt: HASH("bb"),
            saltedHash: HASH("cc"),
            evidenceId: HASH("dd"),
            uploadedBy: "bank:officer-1",
          },
        });
        expect(document).to.include({ metadata: "{}", status: "QUEUED", batchId: null, proof: null, anchoredAt: null });
        expect(document.createdAt.getTime()).to.be.within(before - 5_000, Date.now() + 5_000);
      });

      it("round-trips an OutboxJob and sets updatedAt", async function () {
        const { prisma } = db();
        const job = {
          id: "job-1",
          key: `anchor-batch:${HASH("ab")}`,
          kind: "ANCHOR_BATCH",
          payload: JSON.stringify({ root: HASH("ab"), amount: INT64_MAX.toString() }),
          status: "SENT",
          attempts: 3,
          rawTx: "0x02f86d",
          txHash: HASH("02"),
          nonce: 2_147_483_647,
          lastError: "nonce too low",
          nextRunAt: LATER,
          createdAt: AT,
          confirmedAt: null,
          lane: "CONTROL",
          sender: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
        };
        const { updatedAt, ...written } = await prisma.outboxJob.create({ data: job });
        expect(written).to.deep.equal(job);
        expect(updatedAt).to.be.instanceOf(Date);
        const { updatedAt: readUpdatedAt, ...read } = await prisma.outboxJob.findUniqueOrThrow({
          where: { key: job.key },
        });
        expect(read).to.deep.equal(job);
        expect(readUpdatedAt.getTime()).to.equal(updatedAt.getTime());
      });

      it("round-trips a ChainEvent, an IndexedBlock and a Checkpoint", async function () {
        const { prisma } = db();
        const event = {
          id: "event-1",
          blockNumber: BEYOND_2_53,
          blockHash: HASH("aa"),
          txHash: HASH("bb"),
          logIndex: 7,
          address: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
          name: "PaymentExecuted",
          args: JSON.stringify({ amount: INT64_MAX.toString() }),
          createdAt: AT,
        };
        const block = { number: INT64_MAX, hash: HASH("cc"), parentHash: HASH("dd") };
        const checkpoint = { name: "facility-manager", blockNumber: INT64_MAX - 1n, blockHash: HASH("ee") };
        await prisma.chainEvent.create({ data: event });
        await prisma.indexedBlock.create({ data: block });
        await prisma.checkpoint.create({ data: checkpoint });

        expect(await prisma.chainEvent.findUniqueOrThrow({ where: { id: event.id } })).to.deep.equal(event);
        expect(await prisma.indexedBlock.findUniqueOrThrow({ where: { number: INT64_MAX } })).to.deep.equal(block);
        const { updatedAt, ...readCheckpoint } = await prisma.checkpoint.findUniqueOrThrow({
          where: { name: checkpoint.name },
        });
        expect(readCheckpoint).to.deep.equal(checkpoint);
        expect(updatedAt).to.be.instanceOf(Date);
        const latest = await prisma.chainEvent.findMany({ where: { blockNumber: { gte: BEYOND_2_53 } } });
        expect(latest.map((row) => row.id)).to.deep.equal([event.id]);
      });

      it("round-trips a Verification, a RegistryRecord and an ApiKey", async function () {
        const { prisma } = db();
        const verification = {
          evidenceId: HASH("11"),
          facilityId: INT64_MAX,
          kind: "INSPECTION_REPORT",
          verdict: "ACCEPT",
          reason: "hash matches the lab's record",
          contentHash: HASH("22"),
          metadata: '{"unitsTested":5000,"unitsPassed":4950}',
          checkedAt: AT,
          submitted: true,
          txHash: HASH("33"),
          mac: HASH("55"),
          recheckedAt: LATER,
          revokeReason: "the stored bytes no longer match the accepted hash",
          revokeMac: HASH("66"),
          revokedAt: LATER,
          batchRoot: HASH("77"),
          leafIndex: 1_023,
          proof: JSON.stringify([HASH("88")]),
        };
        const record = {
          id: "record-1",
          type: "LICENSED_LAB",
          reference: "CNAS L1234",
          holder: "Ningbo Testing Lab",
          holderCreditCode: "91330200MA2H8K3X1Y",
          outcome: "PASS",
          passRateBps: 9_950,
          data: '{"scope":["ISO 17025"]}',
          createdAt: AT,
        };
        const apiKey = {
          id: "key-1",
          keyHash: HASH("44"),
          role: "BANK_OFFICER",
          institution: "bank",
          label: "officer one",
          subjectKind: "BORROWER",
          subjectAddress: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
          subjectCreditCode: "91330206MA2AAAAA1X",
          createdAt: AT,
          revokedAt: LATER,
        };
        await prisma.verification.create({ data: verification });
        await prisma.registryRecord.create({ data: record });
        await prisma.apiKey.create({ data: apiKey });

        expect(
          await prisma.verification.findUniqueOrThrow({ where: { evidenceId: verification.evidenceId } }),
        ).to.deep.equal(verification);
        expect(
          await prisma.registryRecord.findUniqueOrThrow({
            where: { type_reference: { type: record.type, reference: record.reference } },
          }),
        ).to.deep.equal(record);
        expect(await prisma.apiKey.findUniqueOrThrow({ where: { keyHash: apiKey.keyHash } })).to.deep.equal(apiKey);
      });
    });

    describe("when a unique constraint is violated", function () {
      it("rejects a second OutboxJob with the same key with P2002", async function () {
        const { prisma } = db();
        const job = { key: "attest:duplicate", kind: "ATTEST", payload: "{}" };
        await prisma.outboxJob.create({ data: { id: "job-a", ...job } });
        expectUniqueViolation(await rejection(prisma.outboxJob.create({ data: { id: "job-b", ...job } })));
        expect(await prisma.outboxJob.count({ where: { key: job.key } })).to.equal(1);
      });

      it("rejects a ChainEvent repeating (blockHash, logIndex) with P2002", async function () {
        const { prisma } = db();
        const event = {
          blockNumber: 5n,
          blockHash: HASH("99"),
          txHash: HASH("98"),
          logIndex: 0,
          address: "0x0000000000000000000000000000000000000001",
          name: "EvidenceAnchored",
          args: "{}",
        };
        await prisma.chainEvent.create({ data: { id: "dup-1", ...event } });
        expectUniqueViolation(await rejection(prisma.chainEvent.create({ data: { id: "dup-2", ...event } })));
      });
    });

    describe("when an interactive transaction throws", function () {
      it("keeps none of its writes", async function () {
        const { prisma } = db();
        const failure = await rejection(
          prisma.$transaction(async (tx) => {
            await tx.checkpoint.create({ data: { name: "rolled-back", blockNumber: 1n, blockHash: HASH("77") } });
            throw new Error("abort");
          }),
        );
        expect((failure as Error).message).to.equal("abort");
        expect(await prisma.checkpoint.findUnique({ where: { name: "rolled-back" } })).to.equal(null);
      });
    });
  });

  describe("when the URL is invalid", function () {
    it("throws an error naming the problem", function () {
      expect(() => createDatabase("mysql://app:pw@db/bank")).to.throw(
        /^Invalid database URL "mysql:\/\/app:\*\*\*@db\/bank": expected file:<path> \(SQLite\) or postgresql:\/\//,
      );
      expect(() => createDatabase("")).to.throw(/Invalid database URL: it is empty/);
    });
  });
});
