import { expect } from "chai";
import Sqlite from "better-sqlite3";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SQLITE_BUSY_TIMEOUT_MS } from "../../../server/db/adapters";
import { createDatabase } from "../../../server/db/client";
import { migrateDatabase } from "../../../server/db/migrate";
import {
  MIGRATION_FILE,
  MIGRATIONS_ROOT,
  lockfileContent,
  migrationsDirectory,
  readMigrations,
} from "../../../server/db/migrations";
import { DATABASE_PROVIDERS, parseDatabaseUrl, type DatabaseProvider } from "../../../server/db/url";
import { diffMigrationsToSchema } from "../../../scripts/db/diff";
import { readSchemas } from "../../../scripts/db/schemas";
import { emptyDatabase, type EmptyDatabase } from "../../helpers/databases";

const TABLES = [
  "ApiKey",
  "Approval",
  "Batch",
  "Borrower",
  "ChainEvent",
  "Checkpoint",
  "ConsumedEvidence",
  "Document",
  "DocumentIntegrity",
  "EvidenceSeen",
  "Facility",
  "IdempotencyKey",
  "IndexedBlock",
  "OutboxJob",
  "Payee",
  "RegistryRecord",
  "ReviewDecision",
  "SpotCheck",
  "UnresolvedAnchor",
  "Verification",
  "WhiteListEntry",
  "_prisma_migrations",
];

interface AppliedMigration {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
  applied_steps_count: number | bigint;
}

async function tablesOf(url: string, provider: DatabaseProvider): Promise<string[]> {
  const database = createDatabase(url);
  try {
    const rows =
      provider === "sqlite"
        ? await database.prisma.$queryRawUnsafe<{ name: string }[]>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
          )
        : await database.prisma.$queryRawUnsafe<{ name: string }[]>(
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()",
          );
    return rows.map((row) => row.name).sort();
  } finally {
    await database.close();
  }
}

async function appliedMigrations(url: string): Promise<AppliedMigration[]> {
  const database = createDatabase(url);
  try {
    return await database.prisma.$queryRawUnsafe<AppliedMigration[]>(
      "SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name",
    );
  } finally {
    await database.close();
  }
}

function committedMigrations(provider: DatabaseProvider): { name: string; checksum: string }[] {
  return readMigrations(provider).migrationDirectories.map((directory) => {
    const sql = fs.readFileSync(path.join(migrationsDirectory(provider), directory.path, MIGRATION_FILE));
    return { name: directory.path, checksum: crypto.createHash("sha256").update(sql).digest("hex") };
  });
}

describe("migrateDatabase", function () {
  for (const provider of DATABASE_PROVIDERS) {
    describe(`when the ${provider} database is new`, function () {
      let empty: EmptyDatabase;
      let log: string[];
      let first: Awaited<ReturnType<typeof migrateDatabase>>;

      before(async function () {
        empty = emptyDatabase(provider);
        log = [];
        first = await migrateDatabase(empty.url, (line) => log.push(line));
      });

      after(async function () {
        await empty.remove();
      });

      it("applies every committed migration and logs each", function () {
        const names = committedMigrations(provider).map((migration) => migration.name);
        expect(names).to.include("0001_init");
        expect(first).to.deep.equal({ provider, applied: names });
        expect(log).to.deep.equal(names.map((name) => `applied ${provider} migration ${name}`));
      });

      it("creates every model's table", async function () {
        expect(await tablesOf(empty.url, provider)).to.deep.equal(TABLES);
      });

      it("records the migrations in _prisma_migrations as the Prisma CLI does", async function () {
        const rows = await appliedMigrations(empty.url);
        expect(rows.map((row) => ({ name: row.migration_name, checksum: row.checksum }))).to.deep.equal(
          committedMigrations(provider),
        );
        for (const row of rows) {
          expect(row.finished_at, row.migration_name).to.not.equal(null);
          expect(row.rolled_back_at, row.migration_name).to.equal(null);
          expect(Number(row.applied_steps_count), row.migration_name).to.equal(1);
        }
      });

      it("applies nothing the second time", async function () {
        expect(await migrateDatabase(empty.url)).to.deep.equal({ provider, applied: [] });
        expect(await appliedMigrations(empty.url)).to.have.length(committedMigrations(provider).length);
      });
    });
  }

  describe("when the SQLite file's directory does not exist", function () {
    it("creates it and puts the database in WAL mode", async function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-db-"));
      try {
        const file = path.join(dir, "nested", "node", "db.sqlite");
        await migrateDatabase(`file:${file}`);
        const database = createDatabase(`file:${file}`);
        try {
          const [mode] = await database.prisma.$queryRawUnsafe<{ journal_mode: string }[]>("PRAGMA journal_mode");
          expect(mode.journal_mode).to.equal("wal");
          const [busy] = await database.prisma.$queryRawUnsafe<{ timeout: bigint }[]>("PRAGMA busy_timeout");
          expect(Number(busy.timeout)).to.equal(5_000);
        } finally {
          await database.close();
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("when another connection holds a write transaction on an up-to-date SQLite database", function () {
    it("returns at once without waiting for the engine's exclusive lock", async function () {
      const empty = emptyDatabase("sqlite");
      const target = parseDatabaseUrl(empty.url);
      if (target.provider !== "sqlite") throw new Error("expected a SQLite URL");
      const writer = new Sqlite(target.file);
      try {
        await migrateDatabase(empty.url);
        writer.exec(
          "BEGIN IMMEDIATE; INSERT INTO Checkpoint (name, blockNumber, blockHash, updatedAt) VALUES ('w', 1, '0x', 0)",
        );
        const started = Date.now();
        expect(await migrateDatabase(empty.url)).to.deep.equal({ provider: "sqlite", applied: [] });
        expect(Date.now() - started).to.be.below(SQLITE_BUSY_TIMEOUT_MS);
      } finally {
        if (writer.inTransaction) writer.exec("ROLLBACK");
        writer.close();
        await empty.remove();
      }
    });
  });

  describe("when the PostgreSQL URL names a schema", function () {
    it("creates the schema and puts the tables and the search path there", async function () {
      const empty = emptyDatabase("postgresql");
      try {
        await migrateDatabase(empty.url);
        const database = createDatabase(empty.url);
        try {
          const [row] = await database.prisma.$queryRawUnsafe<{ schema: string }[]>(
            "SELECT current_schema() AS schema",
          );
          expect(row.schema).to.equal(new URL(empty.url).searchParams.get("schema"));
          expect(await tablesOf(empty.url, "postgresql")).to.deep.equal(TABLES);
        } finally {
          await database.close();
        }
      } finally {
        await empty.remove();
      }
    });
  });

  describe("when the URL is invalid", function () {
    it("rejects with an error naming the problem", async function () {
      await expect(migrateDatabase("mysql://u@h/db")).to.be.rejectedWith(
        /Invalid database URL "mysql:\/\/u@h\/db": expected file:<path>/,
      );
    });
  });
});

describe("migration 0012 (unique credit codes) on a SQLite database that has facilities", function () {
  it("records each credit code's first borrower account, and refuses duplicate payee credit codes from then on", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-0012-"));
    const db = new Sqlite(path.join(dir, "db.sqlite"));
    try {
      const migrations = fs
        .readdirSync(migrationsDirectory("sqlite"))
        .filter((name) => /^\d{4}_/.test(name))
        .sort();
      const sql = (name: string) =>
        fs.readFileSync(path.join(migrationsDirectory("sqlite"), name, MIGRATION_FILE), "utf8");
      for (const name of migrations.filter((n) => n < "0012")) db.exec(sql(name));
      const facility = db.prepare(
        `INSERT INTO "Facility" ("id", "borrower", "borrowerName", "creditCode", "productId", "productVersion", "grade",
          "creditLimit", "termMonths", "baseRateBps", "qualityFloorBps", "subsidyBps", "plan", "targets", "createdBy",
          "appliedAt") VALUES (?, ?, ?, ?, 'yongzhidai', 1, 'C', 100, 36, 435, 3000, 300, '[]', '[]', 'test', ?)`,
      );
      // Two facilities of one firm and account; a later one that put the firm's code on another account (the bug).
      facility.run("a", "0xA", "Yongxin", "91330206MA2AAAAA1X", 1_000);
      facility.run("b", "0xA", "Yongxin", "91330206MA2AAAAA1X", 2_000);
      facility.run("c", "0xB", "Yongxin (again)", "91330206MA2AAAAA1X", 3_000);
      facility.run("d", "0xC", "Cixi", "91330282MA2BBBBB2Y", 4_000);
      db.exec(sql(migrations.find((n) => n.startsWith("0012_"))!));
      expect(db.prepare(`SELECT "creditCode", "address" FROM "Borrower" ORDER BY "creditCode"`).all()).to.deep.equal([
        { creditCode: "91330206MA2AAAAA1X", address: "0xA" },
        { creditCode: "91330282MA2BBBBB2Y", address: "0xC" },
      ]);
      const payee = db.prepare(
        `INSERT INTO "Payee" ("address", "name", "creditCode", "category", "licenceHash", "updatedAt")
          VALUES (?, 'firm', ?, 'EQUIPMENT', '0x', 0)`,
      );
      payee.run("0xP1", "91330200MA2H8K3X1Y");
      expect(() => payee.run("0xP2", "91330200MA2H8K3X1Y")).to.throw(/UNIQUE constraint failed: Payee.creditCode/);
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the committed migrations", function () {
  for (const provider of DATABASE_PROVIDERS) {
    it(`produce exactly prisma/schema.prisma on ${provider} (run npm run db:migration -- <name> if not)`, async function () {
      const schemas = readSchemas();
      expect(await diffMigrationsToSchema(provider, readMigrations(provider), schemas[provider])).to.equal(null);
    });
  }

  describe("when the schema changes", function () {
    let root: string;

    before(function () {
      root = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-migrations-"));
      fs.cpSync(MIGRATIONS_ROOT, root, { recursive: true });
    });

    after(function () {
      fs.rmSync(root, { recursive: true, force: true });
    });

    for (const provider of DATABASE_PROVIDERS) {
      it(`diffs to a next ${provider} migration that applies on top of the history`, async function () {
        const schema = readSchemas()[provider];
        const changed = {
          ...schema,
          content: schema.content.replace(/(model ApiKey \{\n)/, "$1  lastUsedAt  DateTime?\n"),
        };
        expect(changed.content).to.not.equal(schema.content);
        const sql = await diffMigrationsToSchema(provider, readMigrations(provider, root), changed);
        expect(sql).to.match(/ALTER TABLE "ApiKey" ADD COLUMN\s+"lastUsedAt"/);

        fs.mkdirSync(path.join(root, provider, "9999_api_key_last_used"));
        fs.writeFileSync(path.join(root, provider, "9999_api_key_last_used", MIGRATION_FILE), sql as string);
        expect(readMigrations(provider, root).lockfile.content).to.equal(lockfileContent(provider));
        expect(await diffMigrationsToSchema(provider, readMigrations(provider, root), changed)).to.equal(null);

        const empty = emptyDatabase(provider);
        try {
          const { applied } = await migrateDatabase(empty.url, undefined, { migrationsRoot: root });
          expect(applied.slice(-1)).to.deep.equal(["9999_api_key_last_used"]);
        } finally {
          await empty.remove();
        }
      });
    }
  });
});
