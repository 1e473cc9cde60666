import fs from "node:fs";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import Sqlite from "better-sqlite3";
import pg from "pg";
import type { DatabaseTarget } from "./url";

/** How long a SQLite connection waits for another process's write lock before failing (SQLITE_BUSY). */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

type ClientClass = new (config?: string | pg.ClientConfig) => pg.Client;

export interface AdapterOptions {
  /** node-postgres client class for the pool (the schema engine needs one that reports "char" columns as text) */
  pgClient?: ClientClass;
}

/** The Prisma driver adapter factory for a target: better-sqlite3 for SQLite, node-postgres for PostgreSQL. */
export function createAdapterFactory(
  target: DatabaseTarget,
  options: AdapterOptions = {},
): SqlMigrationAwareDriverAdapterFactory {
  if (target.provider === "sqlite") {
    prepareSqliteFile(target.file);
    return new PrismaBetterSqlite3({ url: target.file, timeout: SQLITE_BUSY_TIMEOUT_MS });
  }
  const config: pg.PoolConfig = { connectionString: target.connectionString };
  // The search path makes raw SQL and the migrations' unqualified DDL land in the schema; `schema` below makes
  // Prisma's own queries and the schema engine qualify names with it.
  if (target.schema !== undefined) config.options = `-c search_path=${target.schema}`;
  config.Client = alwaysListening(options.pgClient ?? pg.Client);
  return new PrismaPg(config, target.schema === undefined ? undefined : { schema: target.schema });
}

/**
 * A node-postgres client class whose instances always listen for 'error'. A client whose connection the server ends
 * (a restart's "terminating connection") emits 'error', and an 'error' event nobody hears ends the process. Nobody
 * hears it in one gap: when a query's end releases a client, the pool hands it at once to the next waiter by resolving
 * a promise, and the adapter attaches its listener a microtask later, after the rest of that socket read — which can
 * already hold the server's goodbye. With a listener always there the failure still reaches the queries, the pool
 * drops the client, and the next query gets a fresh connection.
 */
function alwaysListening(Client: ClientClass): ClientClass {
  return class extends Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on("error", () => undefined);
    }
  };
}

/**
 * Creates the file's directory and switches the database to write-ahead logging, so readers never block the writer
 * and both node processes' tools (server, migrator, CLI) can share one file. WAL is a property of the file: setting it
 * once here covers every later connection.
 */
export function prepareSqliteFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Sqlite(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  try {
    db.pragma("journal_mode = WAL");
  } finally {
    db.close();
  }
}
