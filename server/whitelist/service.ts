import type { Database } from "../db/client";
import { AppError, badRequest } from "../errors";
import {
  CSV_COLUMNS,
  WhiteListCsvError,
  WhiteListEntryInput,
  parseWhiteListCsv as parseCsv,
} from "../../domain/api/whitelist";

// The entry schema and the CSV reader are the domain's (domain/api/whitelist.ts): the CLI checks a file with them
// before it sends a row.
export { CSV_COLUMNS, WhiteListEntryInput };

/** An entry as stored with its seal (the proof as JSON text). */
export type PublishedEntry = WhiteListEntryInput & {
  publishedAt: Date;
  root: string;
  proof: string;
  signature: string;
};

/** Parses a white-list CSV (header row with the column names, any order) into raw records; a 400 when it cannot. */
export function parseWhiteListCsv(text: string): Record<string, string>[] {
  try {
    return parseCsv(text);
  } catch (error) {
    if (!(error instanceof WhiteListCsvError)) throw error;
    throw error.code === "empty_white_list"
      ? badRequest("empty_white_list", error.message)
      : badRequest("invalid_white_list", error.message);
  }
}

/**
 * Validates every row first and imports nothing when any row is invalid (the problem lists each row and field), then
 * upserts all rows in one transaction.
 */
export async function importWhiteList(
  db: Database,
  rows: unknown[],
  source: string,
  seal?: (entries: WhiteListEntryInput[]) => Promise<Array<Omit<PublishedEntry, keyof WhiteListEntryInput>>>,
) {
  const problems: Array<{ path: string; message: string }> = [];
  const entries: WhiteListEntryInput[] = [];
  rows.forEach((row, index) => {
    const parsed = WhiteListEntryInput.safeParse(row);
    if (parsed.success) entries.push(parsed.data);
    else
      for (const issue of parsed.error.issues)
        problems.push({ path: `rows.${index + 1}.${issue.path.join(".")}`, message: issue.message });
  });
  if (problems.length > 0) {
    throw new AppError(
      400,
      "validation_failed",
      `the white list has ${problems.length} problem(s); nothing was imported: ${problems
        .slice(0, 5)
        .map((p) => `${p.path}: ${p.message}`)
        .join("; ")}`,
      { errors: problems },
    );
  }
  // Sealed before the transaction: the seal is the regulator's word on the entries, stored with each.
  const seals = seal ? await seal(entries) : undefined;
  const stamped = seals ? entries.map((entry, i) => ({ ...entry, ...seals[i] })) : entries;
  let created = 0;
  await db.prisma.$transaction(async (tx) => {
    for (const entry of stamped) {
      const existing = await tx.whiteListEntry.findUnique({ where: { creditCode: entry.creditCode } });
      if (!existing) created++;
      await tx.whiteListEntry.upsert({
        where: { creditCode: entry.creditCode },
        create: { ...entry, source },
        update: { ...entry, source, importedAt: new Date() },
      });
    }
  });
  return { imported: entries.length, created, updated: entries.length - created, entries: stamped };
}
