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
});
