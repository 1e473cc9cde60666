import type { SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { createAdapterFactory } from "./adapters";
import { MIGRATIONS_ROOT, readMigrations } from "./migrations";
import { CharAsTextClient, NO_FILTERS, withSchemaEngine } from "./schemaEngine";
import { parseDatabaseUrl, type DatabaseProvider, type DatabaseTarget } from "./url";

export interface MigrationResult {
  provider: DatabaseProvider;
  /** names of the migrations applied by this call, oldest first; empty when the database was up to date */
  applied: string[];
}

export interface MigrateOptions {
  /** where the per-provider histories live (tests point this elsewhere) */
  migrationsRoot?: string;
}

/**
 * Applies the committed migrations of the URL's provider that the database has not seen, and records them in
 * `_prisma_migrations` exactly as `prisma migrate deploy` would (same table, checksums and advisory lock), so the
 * Prisma CLI can take over the database later. Idempotent. With `postgresql://…?schema=x` the schema is created first.
 */
export async function migrateDatabase(
  url: string,
  log: (line: string) => void = () => {},
  options: MigrateOptions = {},
): Promise<MigrationResult> {
  const target = parseDatabaseUrl(url);
  const factory = createAdapterFactory(target, { pgClient: CharAsTextClient });
  if (target.provider === "postgresql" && target.schema !== undefined) await createSchemaIfMissing(target, factory);

  const migrationsList = readMigrations(target.provider, options.migrationsRoot ?? MIGRATIONS_ROOT);
  if (migrationsList.migrationDirectories.length === 0) {
    throw new Error(`No ${target.provider} migrations in ${migrationsList.baseDir}`);
  }
  const names = migrationsList.migrationDirectories.map((directory) => directory.path);
  if (await isUpToDate(factory, names)) return { provider: target.provider, applied: [] };

  const { appliedMigrationNames } = await withSchemaEngine(
    factory,
    (engine) => engine.applyMigrations({ migrationsList, filters: NO_FILTERS }),
    { log },
  );
  for (const name of appliedMigrationNames) log(`applied ${target.provider} migration ${name}`);
  return { provider: target.provider, applied: appliedMigrationNames };
}

/**
 * Whether `_prisma_migrations` records every committed migration as finished and none as failed: then the engine would
 * apply nothing. Checked with a plain read first because the engine locks the database for the whole command, and on
 * SQLite that lock (locking_mode=EXCLUSIVE) must wait until no other connection is reading or writing, which a busy
 * node (or a CLI run beside it) may not allow within the busy timeout.
 */
async function isUpToDate(factory: SqlDriverAdapterFactory, names: string[]): Promise<boolean> {
  const adapter = await factory.connect();
  try {
    const { rows } = await adapter.queryRaw({
      sql: "SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations",
      args: [],
      argTypes: [],
    });
    const finished = new Set(
      rows.filter(([, done, rolledBack]) => done !== null && rolledBack === null).map(([n]) => n),
    );
    const failed = rows.some(([, done, rolledBack]) => done === null && rolledBack === null);
    return !failed && names.every((name) => finished.has(name));
  } catch {
    return false; // no migrations table yet: a new database
  } finally {
    await adapter.dispose();
  }
}

async function createSchemaIfMissing(
  target: Extract<DatabaseTarget, { provider: "postgresql" }>,
  factory: SqlDriverAdapterFactory,
): Promise<void> {
  const adapter = await factory.connect();
  try {
    // The name was checked to be a plain identifier by parseDatabaseUrl.
    await adapter.executeScript(`CREATE SCHEMA IF NOT EXISTS "${target.schema}"`);
  } finally {
    await adapter.dispose();
  }
}
