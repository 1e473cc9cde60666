import { createAdapterFactory } from "./adapters";
import { PrismaClient as PostgresqlPrismaClient } from "./generated/postgresql/client";
import { Prisma, PrismaClient } from "./generated/sqlite/client";
import { parseDatabaseUrl, type DatabaseProvider } from "./url";

export { Prisma, PrismaClient };
export type { DatabaseProvider };

/** The client inside an interactive transaction (`prisma.$transaction(async (tx) => …)`). */
export type Tx = Prisma.TransactionClient;

export interface Database {
  /**
   * Typed as the SQLite client; on PostgreSQL it is the PostgreSQL client, which is generated from the same models and
   * has the same API.
   */
  prisma: PrismaClient;
  provider: DatabaseProvider;
  /** Disconnects and releases the connections (the pool, or the SQLite file handle). */
  close(): Promise<void>;
}

/**
 * Opens a database from a URL: `file:<path>` (SQLite, created with its directory if missing, in WAL mode with a busy
 * timeout) or `postgresql://…` / `postgres://…` (optional `?schema=name`). Run migrateDatabase first.
 */
export function createDatabase(url: string): Database {
  const target = parseDatabaseUrl(url);
  const adapter = createAdapterFactory(target);
  const prisma =
    target.provider === "sqlite"
      ? new PrismaClient({ adapter })
      : (new PostgresqlPrismaClient({ adapter }) as unknown as PrismaClient);
  return { prisma, provider: target.provider, close: () => prisma.$disconnect() };
}
