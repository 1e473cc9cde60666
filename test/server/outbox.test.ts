import { expect } from "chai";
import pino from "pino";
import type { Chain } from "../../server/chain/chain";
import type { Database } from "../../server/db/client";
import { createMetrics } from "../../server/http/metrics";
import { orderedId } from "../../server/ids";
import { createOutbox, type JobHandler } from "../../server/outbox/outbox";
import { createTestDatabase, unreachableDatabase, type TestDatabase } from "../helpers/databases";

/** A real "cannot reach the database" error (P1001), as a database restart gives. */
async function databaseOutage(): Promise<unknown> {
  const unreachable = unreachableDatabase();
  try {
    return await unreachable.prisma.apiKey.count().then(
      () => expect.fail("a database that is down answered"),
      (error: unknown) => error,
    );
  } finally {
    await unreachable.close();
  }
}

/** `db` whose next outbox-job update fails with `error` once `armed()` is called, as a database restart would. */
function failingOnce(db: Database, error: unknown): { db: Database; arm(): void } {
  let armed = false;
  const outboxJob = new Proxy(db.prisma.outboxJob, {
    get(target, property, receiver) {
      if (property === "update" && armed) {
        armed = false;
        return () => Promise.reject(error);
      }
      return Reflect.get(target, property, receiver);
    },
  });
  const prisma = new Proxy(db.prisma, {
    get(target, property, receiver) {
      return property === "outboxJob" ? outboxJob : Reflect.get(target, property, receiver);
    },
  });
  return { db: { ...db, prisma }, arm: () => (armed = true) };
}

describe("the outbox", function () {
  this.timeout(60_000);
  let db: TestDatabase;

  beforeEach(async function () {
    db = await createTestDatabase("sqlite");
  });

  afterEach(async function () {
    await db?.drop();
  });

  describe("when the database drops out while a sent transaction awaits its receipt", function () {
    it("keeps the signed transaction and its nonce for the next pass, and counts no refusal", async function () {
      // A transaction signed and broadcast before, not mined yet: its nonce is still unused on chain.
      const job = {
        id: orderedId(),
        key: "test:1",
        kind: "TEST",
        payload: "{}",
        status: "SENT",
        rawTx: "0x02f8",
        txHash: `0x${"ab".repeat(32)}`,
        nonce: 7,
      };
      await db.prisma.outboxJob.create({ data: job });
      const chain = {
        signer: { address: `0x${"11".repeat(20)}` },
        provider: {
          getBlockNumber: async () => 100,
          getTransactionReceipt: async () => null,
          getTransactionCount: async () => 7,
          broadcastTransaction: async () => undefined,
        },
      } as unknown as Chain;
      const handler: JobHandler<unknown> = {
        kind: "TEST",
        locate: async () => undefined,
        build: () => Promise.reject(new Error("a sent transaction must not be rebuilt")),
        onConfirmed: async () => undefined,
      };
      const outage = await databaseOutage();
      const failing = failingOnce(db, outage);
      const outbox = createOutbox({
        db: failing.db,
        chain,
        logger: pino({ level: "silent" }),
        metrics: createMetrics("bank"),
        handlers: [handler],
        confirmations: 0,
        pollIntervalMs: 100,
        receiptTimeoutMs: 0,
      });

      // The rebroadcast goes out, no receipt comes, and recording "look again later" fails: the database is gone.
      failing.arm();
      expect(
        await outbox.processNext().then(
          () => "resolved",
          (error: unknown) => error,
        ),
      ).to.equal(outage);

      const row = await db.prisma.outboxJob.findUniqueOrThrow({ where: { id: job.id } });
      expect(row).to.include({ status: "SENT", rawTx: job.rawTx, txHash: job.txHash, nonce: 7, attempts: 0 });
      expect(row.lastError).to.equal(null);
    });
  });

  describe("when a job is queued under a key it had before", function () {
    const handler: JobHandler<unknown> = {
      kind: "TEST",
      locate: async () => undefined,
      build: () => Promise.reject(new Error("not sent in this test")),
      onConfirmed: async () => undefined,
    };
    const outboxOf = () =>
      createOutbox({
        db,
        chain: {} as Chain,
        logger: pino({ level: "silent" }),
        metrics: createMetrics("bank"),
        handlers: [handler],
        confirmations: 0,
        pollIntervalMs: 100,
      });
    const job = (payload: unknown) => ({ key: "payment:1:0", kind: "TEST", payload });

    it("leaves a queued, sent or confirmed job as it is, with or without retryFailed", async function () {
      const outbox = outboxOf();
      for (const status of ["PENDING", "SENT", "CONFIRMED"]) {
        await db.prisma.outboxJob.deleteMany();
        await db.prisma.$transaction((tx) => outbox.enqueue(tx, job({ n: 1 })));
        await db.prisma.outboxJob.updateMany({ data: { status, nonce: 3, txHash: "0xsent" } });
        const before = await db.prisma.outboxJob.findUniqueOrThrow({ where: { key: "payment:1:0" } });
        await db.prisma.$transaction((tx) => outbox.enqueue(tx, job({ n: 2 })));
        await db.prisma.$transaction((tx) => outbox.enqueue(tx, job({ n: 3 }), { retryFailed: true }));
        const after = await db.prisma.outboxJob.findUniqueOrThrow({ where: { key: "payment:1:0" } });
        expect(after, status).to.deep.include({
          id: before.id,
          status,
          payload: '{"n":1}',
          nonce: 3,
          txHash: "0xsent",
        });
      }
    });

    it("queues a failed job again only when asked, behind the jobs queued before, with the new payload", async function () {
      const outbox = outboxOf();
      await db.prisma.$transaction((tx) => outbox.enqueue(tx, job({ n: 1 })));
      await db.prisma.outboxJob.updateMany({
        data: { status: "FAILED", attempts: 5, lastError: "FacilityFrozen(1)", nonce: null },
      });
      await db.prisma.$transaction((tx) => outbox.enqueue(tx, { key: "anchor-batch:0x01", kind: "TEST", payload: {} }));
      const failed = await db.prisma.outboxJob.findUniqueOrThrow({ where: { key: "payment:1:0" } });

      await db.prisma.$transaction((tx) => outbox.enqueue(tx, job({ n: 2 })));
      expect(await db.prisma.outboxJob.findUniqueOrThrow({ where: { key: "payment:1:0" } })).to.include({
        status: "FAILED",
        payload: '{"n":1}',
      });

      await db.prisma.$transaction((tx) => outbox.enqueue(tx, job({ n: 3 }), { retryFailed: true }));
      const retried = await db.prisma.outboxJob.findUniqueOrThrow({ where: { key: "payment:1:0" } });
      expect(retried).to.include({ status: "PENDING", payload: '{"n":3}', attempts: 0, lastError: null, nonce: null });
      const order = await db.prisma.outboxJob.findMany({ orderBy: { id: "asc" }, select: { key: true } });
      expect(order.map((row) => row.key)).to.deep.equal(["anchor-batch:0x01", "payment:1:0"]);
      expect(retried.id > failed.id).to.equal(true);
    });
  });
});
