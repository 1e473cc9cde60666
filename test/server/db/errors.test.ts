import { expect } from "chai";
import { Prisma } from "../../../server/db/client";
import { isDatabaseUnavailable, uniqueViolation } from "../../../server/db/errors";
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

describe("uniqueViolation", function () {
  this.timeout(60_000);

  it("names the constraint a model write or a raw insert violated, on both databases", async function () {
    await withDatabases(async (db) => {
      const key = { id: "key-1", keyHash: "hash", role: "bank_officer", institution: "bank", label: "a" };
      await db.prisma.apiKey.create({ data: key });
      const modelWrite = await db.prisma.apiKey.create({ data: { ...key, id: "key-2" } }).catch((e: unknown) => e);
      expect(uniqueViolation(modelWrite)?.names.join(), String(modelWrite)).to.match(/keyHash/);
      const rawInsert = await db.prisma
        .$executeRaw(
          Prisma.sql`INSERT INTO "ApiKey" ("id", "keyHash", "role", "institution", "label") VALUES ('key-3', 'hash', 'bank_officer', 'bank', 'a')`,
        )
        .catch((e: unknown) => e);
      expect(uniqueViolation(rawInsert)?.names.join(), String(rawInsert)).to.match(/keyHash/);
    });
  });

  it("is undefined for anything else", async function () {
    expect(uniqueViolation(new Error("something else"))).to.equal(undefined);
    expect(uniqueViolation(undefined)).to.equal(undefined);
    await withDatabases(async (db) => {
      const missing = await db.prisma.$executeRaw(Prisma.sql`SELECT * FROM "NoSuchTable"`).catch((e: unknown) => e);
      expect(uniqueViolation(missing), String(missing)).to.equal(undefined);
    });
  });
});
