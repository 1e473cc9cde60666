/**
 * Real databases for tests: a fresh, migrated database per suite on SQLite (a temporary file) and on PostgreSQL (a
 * uniquely named schema in TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test, dropped afterwards).
 *
 *   forEachDatabase((db) => {
 *     it("stores a document", async () => {
 *       await db().prisma.document.create({ data: … });
 *     });
 *   });
 *
 * registers the block twice, as `describe("on sqlite")` and `describe("on postgresql")`; the tests of one block share
 * its database. For one database per test, use `withDatabases(async (db) => …)` inside the test.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createDatabase, type Database } from "../../server/db/client";
import { migrateDatabase } from "../../server/db/migrate";
import { DATABASE_PROVIDERS, parseDatabaseUrl, type DatabaseProvider } from "../../server/db/url";

export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

export interface TestDatabase extends Database {
  url: string;
  /** Closes the client and deletes the database (the file, or the schema). */
  drop(): Promise<void>;
}

/** A URL where nothing exists yet (a new temporary file, or an unused schema name), and how to remove it. */
export interface EmptyDatabase {
  provider: DatabaseProvider;
  url: string;
  remove(): Promise<void>;
}

export function emptyDatabase(provider: DatabaseProvider): EmptyDatabase {
  const unique = `${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
  if (provider === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-db-"));
    return {
      provider,
      url: `file:${path.join(dir, "db.sqlite")}`,
      remove: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `test_${unique}`;
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set("schema", schema);
  return { provider, url: url.toString(), remove: () => dropSchema(schema) };
}

/** A fresh database with every committed migration applied, and its client. */
export async function createTestDatabase(provider: DatabaseProvider): Promise<TestDatabase> {
  const empty = emptyDatabase(provider);
  try {
    await migrateDatabase(empty.url);
    const database = createDatabase(empty.url);
    return {
      ...database,
      url: empty.url,
      async drop() {
        try {
          await database.close();
        } finally {
          await empty.remove();
        }
      },
    };
  } catch (error) {
    await empty.remove();
    throw error;
  }
}

/** Registers `suite` once per provider, each inside its own describe with a fresh migrated database. */
export function forEachDatabase(suite: (db: () => TestDatabase) => void): void {
  for (const provider of DATABASE_PROVIDERS) {
    describe(`on ${provider}`, function () {
      let database: TestDatabase | undefined;
      before(async function () {
        database = await createTestDatabase(provider);
      });
      after(async function () {
        await database?.drop();
      });
      suite(() => {
        if (!database) throw new Error(`the ${provider} test database is not ready (did its before hook fail?)`);
        return database;
      });
    });
  }
}

/** Runs `test` against a fresh migrated database of each provider in turn, naming the provider in any failure. */
export async function withDatabases(test: (db: TestDatabase) => Promise<void>): Promise<void> {
  for (const provider of DATABASE_PROVIDERS) {
    const database = await createTestDatabase(provider);
    try {
      await test(database);
    } catch (error) {
      if (error instanceof Error) error.message = `[${provider}] ${error.message}`;
      throw error;
    } finally {
      await database.drop();
    }
  }
}

/** Runs one statement on TEST_POSTGRES_URL over a connection of its own, outside every test database's pool. */
export async function postgresAdmin(sql: string, values: unknown[] = []): Promise<void> {
  const target = parseDatabaseUrl(TEST_POSTGRES_URL);
  if (target.provider !== "postgresql") throw new Error("TEST_POSTGRES_URL must be a PostgreSQL URL");
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    await client.query(sql, values);
  } finally {
    await client.end();
  }
}

/**
 * A PostgreSQL client pointed at a port where nothing listens (19049, kept free in the reliability suite's range):
 * every query fails as it does while the database is down (Prisma's P1001).
 */
export function unreachableDatabase(): Database {
  return createDatabase("postgresql://postgres@127.0.0.1:19049/test");
}

async function dropSchema(schema: string): Promise<void> {
  await postgresAdmin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
