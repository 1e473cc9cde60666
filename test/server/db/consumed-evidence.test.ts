import { expect } from "chai";
import { id } from "ethers";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDatabase } from "../../../server/db/client";
import { migrateDatabase } from "../../../server/db/migrate";
import { MIGRATIONS_ROOT } from "../../../server/db/migrations";
import { DATABASE_PROVIDERS } from "../../../server/db/url";
import { emptyDatabase } from "../../helpers/databases";

/**
 * Migration 0016 creates ConsumedEvidence (the evidence ids of the indexed PaymentExecuted events, keyed for the
 * documents list) and fills it from the events a node indexed before it: every evidence id of every payment, in the
 * array shape and in the object shape an earlier version stored, and nothing of other events.
 */
describe("migration 0016 (consumed evidence) on a database with indexed payments", function () {
  this.timeout(60_000);
  let before0016: string;

  before(function () {
    before0016 = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-0016-"));
    fs.cpSync(MIGRATIONS_ROOT, before0016, { recursive: true });
    for (const provider of DATABASE_PROVIDERS) {
      for (const name of fs.readdirSync(path.join(before0016, provider)))
        if (name >= "0016") fs.rmSync(path.join(before0016, provider, name), { recursive: true });
    }
  });

  after(function () {
    fs.rmSync(before0016, { recursive: true, force: true });
  });

  for (const provider of DATABASE_PROVIDERS) {
    it(`records each evidence id of each payment event on ${provider}`, async function () {
      const empty = emptyDatabase(provider);
      try {
        await migrateDatabase(empty.url, undefined, { migrationsRoot: before0016 });
        const [one, two, three] = ["one", "two", "three"].map((text) => id(text));
        const event = (n: number, name: string, args: object) => ({
          id: `0x${"ab".repeat(32)}:${n}`,
          blockNumber: BigInt(10 + n),
          blockHash: `0x${"ab".repeat(32)}`,
          txHash: `0x${String(n).repeat(64)}`,
          logIndex: n,
          address: "0x0000000000000000000000000000000000000001",
          name,
          args: JSON.stringify(args),
        });
        const payment = (index: string, evidenceIds: unknown) => ({
          facilityId: "7",
          index,
          payee: "0x0000000000000000000000000000000000000002",
          amount: "5",
          evidenceIds,
        });
        const old = createDatabase(empty.url);
        try {
          await old.prisma.chainEvent.createMany({
            data: [
              event(1, "PaymentExecuted", payment("0", [one, two])),
              event(2, "PaymentExecuted", payment("1", { _: three.toUpperCase().replace("0X", "0x") })),
              event(3, "EvidenceConsumed", { evidenceId: one, evidenceIds: [one] }),
            ],
          });
        } finally {
          await old.close();
        }

        const { applied } = await migrateDatabase(empty.url);
        expect(applied).to.deep.equal(["0016_consumed_evidence"]);
        const db = createDatabase(empty.url);
        try {
          const rows = await db.prisma.consumedEvidence.findMany({ orderBy: [{ blockNumber: "asc" }] });
          expect(
            rows.map(({ evidenceId, paymentIndex, blockNumber, facilityId }) => ({
              evidenceId,
              paymentIndex,
              blockNumber,
              facilityId,
            })),
          ).to.have.deep.members([
            { evidenceId: one, paymentIndex: 0, blockNumber: 11n, facilityId: 7n },
            { evidenceId: two, paymentIndex: 0, blockNumber: 11n, facilityId: 7n },
            { evidenceId: three, paymentIndex: 1, blockNumber: 12n, facilityId: 7n },
          ]);
          expect(rows.map((row) => [row.eventId, row.txHash])).to.deep.include([
            `0x${"ab".repeat(32)}:2`,
            `0x${"2".repeat(64)}`,
          ]);
        } finally {
          await db.close();
        }
      } finally {
        await empty.remove();
      }
    });
  }
});
