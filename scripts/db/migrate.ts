/**
 * `npm run db:migrate`: applies the committed migrations to DATABASE_URL (default file:./data/bank/db.sqlite) and
 * prints what it applied.
 */
import { migrateDatabase } from "../../server/db/migrate";
import { redact } from "../../server/db/url";

export const DEFAULT_DATABASE_URL = "file:./data/bank/db.sqlite";

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const started = Date.now();
  const { provider, applied } = await migrateDatabase(url, (line) => console.log(line));
  const took = `${Date.now() - started} ms`;
  console.log(
    applied.length === 0
      ? `${redact(url)} (${provider}) is up to date (${took})`
      : `${redact(url)} (${provider}): applied ${applied.length} migration(s) in ${took}`,
  );
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
