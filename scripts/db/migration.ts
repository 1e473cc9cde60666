/**
 * `npm run db:migration -- <name>`: after changing prisma/schema.prisma, writes the next migration of each provider
 * (prisma/migrations/{sqlite,postgresql}/NNNN_<name>/migration.sql) from the difference between its committed
 * migrations and the schema. A provider whose history already matches gets nothing. Needs PostgreSQL for the shadow
 * schema (SHADOW_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test). Review the SQL, then commit it.
 */
import fs from "node:fs";
import path from "node:path";
import {
  MIGRATION_FILE,
  MIGRATION_LOCKFILE,
  lockfileContent,
  migrationsDirectory,
  readMigrations,
} from "../../server/db/migrations";
import { DATABASE_PROVIDERS } from "../../server/db/url";
import { diffMigrationsToSchema } from "./diff";
import { readSchemas } from "./schemas";

function migrationName(args: string[]): string {
  const name = args
    .join("_")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (name === "") throw new Error("usage: npm run db:migration -- <name>   (e.g. add_payee_table)");
  return name;
}

/** One sequence across both histories, so a change keeps the same number in both. */
function nextNumber(): string {
  const numbers = DATABASE_PROVIDERS.flatMap((provider) =>
    readMigrations(provider).migrationDirectories.map((directory) => Number(/^(\d+)_/.exec(directory.path)?.[1] ?? 0)),
  );
  return String(Math.max(0, ...numbers) + 1).padStart(4, "0");
}

async function main(): Promise<void> {
  const name = `${nextNumber()}_${migrationName(process.argv.slice(2))}`;
  const schemas = readSchemas();
  let written = 0;
  for (const provider of DATABASE_PROVIDERS) {
    const migrations = readMigrations(provider);
    migrations.lockfile.content ??= lockfileContent(provider); // a first migration: the engine needs the provider
    const sql = await diffMigrationsToSchema(provider, migrations, schemas[provider]);
    if (sql === null) {
      console.log(`${provider}: the migrations already match the schema, nothing to write`);
      continue;
    }
    const baseDir = migrationsDirectory(provider);
    const file = path.join(baseDir, name, MIGRATION_FILE);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, sql);
    const lockfile = path.join(baseDir, MIGRATION_LOCKFILE);
    if (!fs.existsSync(lockfile)) fs.writeFileSync(lockfile, lockfileContent(provider));
    console.log(`${provider}: wrote ${path.relative(process.cwd(), file)}`);
    written++;
  }
  if (written === 0) console.log("no schema change: no migration written");
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
