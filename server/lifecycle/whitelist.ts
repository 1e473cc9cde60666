import { z } from "zod";
import type { Database } from "../db/client";
import { AppError, badRequest } from "../errors";
import { Text } from "../http/route";
import { GRADES } from "../rules/products";

const SCORE = { message: "must be 0–100" };
/** A radar score: a JSON number, or the digits of a CSV cell (an empty cell is a missing score, not 0). */
const Score = z.union(
  [
    z.int(SCORE).min(0, SCORE).max(100, SCORE),
    z
      .string()
      .trim()
      .regex(/^(?:100|[1-9]?[0-9])$/, SCORE)
      .transform(Number),
  ],
  SCORE,
);

/** One firm of the regulator's quality white list, with its grade and five-dimension quality radar. */
export const WhiteListEntryInput = z.object({
  creditCode: z
    .string()
    .trim()
    .regex(/^[0-9A-Z]{18}$/, { message: "must be an 18-character unified social credit code" }),
  name: Text(200),
  grade: z.enum(GRADES, { message: `must be one of ${GRADES.join(", ")}` }),
  credit: Score,
  management: Score,
  brand: Score,
  foundation: Score,
  innovation: Score,
});
export type WhiteListEntryInput = z.infer<typeof WhiteListEntryInput>;

/** An entry as stored with its seal (the proof as JSON text). */
export type PublishedEntry = WhiteListEntryInput & {
  publishedAt: Date;
  root: string;
  proof: string;
  signature: string;
};

export const CSV_COLUMNS = [
  "creditCode",
  "name",
  "grade",
  "credit",
  "management",
  "brand",
  "foundation",
  "innovation",
] as const;

/** Splits one CSV line (RFC 4180 quoting). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** Parses a white-list CSV (header row with the column names, any order) into raw records. */
export function parseWhiteListCsv(text: string): Record<string, string>[] {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "");
  if (lines.length === 0) throw badRequest("empty_white_list", "the CSV has no header row");
  const header = csvFields(lines[0]).map((h) => h.trim());
  const missing = CSV_COLUMNS.filter((column) => !header.includes(column));
  if (missing.length > 0) throw badRequest("invalid_white_list", `the CSV header lacks ${missing.join(", ")}`);
  return lines.slice(1).map((line) => {
    const values = csvFields(line);
    return Object.fromEntries(header.map((name, i) => [name, (values[i] ?? "").trim()]));
  });
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
