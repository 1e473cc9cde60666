import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import type { MigrationList } from "@prisma/schema-engine-wasm";
import { createAdapterFactory } from "../../server/db/adapters";
import { CharAsTextClient, NO_FILTERS, withSchemaEngine } from "../../server/db/schemaEngine";
import { parseDatabaseUrl, redact, type DatabaseProvider } from "../../server/db/url";
import type { SchemaFile } from "./schemas";

/** Where PostgreSQL shadow schemas are made (a temporary schema, dropped afterwards). */
export const DEFAULT_SHADOW_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test";

/**
 * The SQL that takes a database from the end of `migrations` to `schema`, or null when they already agree. The
 * engine replays the migrations into a shadow database (SQLite: a temporary file; PostgreSQL: a temporary schema in
 * SHADOW_DATABASE_URL) and diffs what it finds against the datamodel.
 */
export async function diffMigrationsToSchema(
  provider: DatabaseProvider,
  migrations: MigrationList,
  schema: SchemaFile,
  shadowDatabaseUrl = process.env.SHADOW_DATABASE_URL ?? DEFAULT_SHADOW_DATABASE_URL,
): Promise<string | null> {
  const shadow = provider === "sqlite" ? sqliteShadow() : postgresqlShadow(shadowDatabaseUrl);
  try {
    const { exitCode, stdout } = await withSchemaEngine(shadow.factory, (engine) =>
      engine.diff({
        from: { tag: "migrations", ...migrations },
        to: { tag: "schemaDatamodel", files: [{ path: schema.path, content: schema.content }] },
        script: true,
        exitCode: true, // 2 when there is a difference
        filters: NO_FILTERS,
      }),
    );
    return exitCode === 2 && stdout ? stdout : null;
  } finally {
    await shadow.cleanup();
  }
}

interface Shadow {
  factory: SqlMigrationAwareDriverAdapterFactory;
  cleanup(): Promise<void>;
}

function sqliteShadow(): Shadow {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prisma-shadow-"));
  const main = new PrismaBetterSqlite3({ url: ":memory:" });
  const shadow = new PrismaBetterSqlite3({ url: path.join(dir, "shadow.sqlite") });
  return {
    factory: {
      provider: main.provider,
      adapterName: main.adapterName,
      connect: () => main.connect(),
      connectToShadowDb: async () => runsScripts(await shadow.connect()),
    },
    async cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The engine replays a SQLite migration on the shadow database with executeRaw, which better-sqlite3 refuses for more
 * than one statement ("The supplied SQL string contains more than one statement"); run such scripts whole.
 */
function runsScripts(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const executeRaw = adapter.executeRaw.bind(adapter);
  adapter.executeRaw = async (query) => {
    try {
      return await executeRaw(query);
    } catch (error) {
      if (query.args.length > 0 || !/more than one statement/.test((error as Error)?.message ?? "")) throw error;
      await adapter.executeScript(query.sql);
      return 0;
    }
  };
  return adapter;
}

function postgresqlShadow(url: string): Shadow {
  const base = parseDatabaseUrl(url);
  if (base.provider !== "postgresql") throw new Error(`SHADOW_DATABASE_URL must be a PostgreSQL URL: "${redact(url)}"`);
  // The main connection names the same schema as the shadow: the engine qualifies the datamodel's tables with the
  // main connection's schema, so any other name would turn the diff into "drop everything, create everything".
  // The engine creates the schema itself on the shadow connection.
  const schema = `prisma_shadow_${crypto.randomBytes(6).toString("hex")}`;
  const factory = createAdapterFactory(
    { provider: "postgresql", connectionString: base.connectionString, schema },
    { pgClient: CharAsTextClient },
  );
  return {
    factory: {
      provider: factory.provider,
      adapterName: factory.adapterName,
      connect: () => factory.connect(),
      connectToShadowDb: () => factory.connect(),
    },
    async cleanup() {
      const adapter = await createAdapterFactory(base).connect();
      try {
        await adapter.executeScript(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await adapter.dispose();
      }
    },
  };
}
