import { expect } from "chai";
import { isDatabaseUnavailable } from "../../../server/db/errors";
import {
  createTestDatabase,
  postgresAdmin,
  unreachableDatabase,
  withDatabases,
  type TestDatabase,
} from "../../helpers/databases";

describe("isDatabaseUnavailable", function () {
  this.timeout(60_000);

  it("recognises a PostgreSQL server that cannot be reached", async function () {
    const unreachable = unreachableDatabase();
    try {
      const error = await unreachable.prisma.apiKey.count().catch((error: unknown) => error);
      expect(isDatabaseUnavailable(error), String(error)).to.equal(true);
    } finally {
      await unreachable.close();
    }
  });

  describe("when the server ends a connection under a transaction, as a restart does", function () {
    let db: TestDatabase;

    before(async function () {
      db = await createTestDatabase("postgresql");
    });

    after(async function () {
      await db?.drop();
    });

    it("recognises the failure, and the next query reconnects by itself", async function () {
      const error = await db.prisma
        .$transaction(async (tx) => {
          const [{ pid }] = await tx.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
          // As a restart does (57P01 admin_shutdown), from another connection.
          await postgresAdmin("SELECT pg_terminate_backend($1)", [pid]);
          await tx.$queryRaw`SELECT 1`;
        })
        .catch((error: unknown) => error);
      expect(isDatabaseUnavailable(error), String(error)).to.equal(true);
      expect(await db.prisma.apiKey.count()).to.equal(0);
    });
  });

  it("does not take a constraint violation for an outage", async function () {
    await withDatabases(async (db) => {
      const key = { id: "key-1", keyHash: "hash", role: "bank_officer", institution: "bank", label: "a" };
      await db.prisma.apiKey.create({ data: key });
      const error = await db.prisma.apiKey.create({ data: { ...key, id: "key-2" } }).catch((error: unknown) => error);
      expect((error as { code?: string }).code, "a unique violation").to.equal("P2002");
      expect(isDatabaseUnavailable(error), String(error)).to.equal(false);
    });
  });

  it("does not take other errors for an outage", function () {
    expect(isDatabaseUnavailable(new Error("something else"))).to.equal(false);
    expect(isDatabaseUnavailable(undefined)).to.equal(false);
    expect(isDatabaseUnavailable("P1001")).to.equal(false);
  });
});
