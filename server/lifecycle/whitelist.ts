import { z } from "zod";
import type { Database } from "../db/client";
import { AppError, badRequest, notFound } from "../errors";
import { Text, defineRoute, type RouteDef } from "../http/route";
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

const CSV_COLUMNS = [
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
export async function importWhiteList(db: Database, rows: unknown[], source: string) {
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
  let created = 0;
  await db.prisma.$transaction(async (tx) => {
    for (const entry of entries) {
      const existing = await tx.whiteListEntry.findUnique({ where: { creditCode: entry.creditCode } });
      if (!existing) created++;
      await tx.whiteListEntry.upsert({
        where: { creditCode: entry.creditCode },
        create: { ...entry, source },
        update: { ...entry, source, importedAt: new Date() },
      });
    }
  });
  return { imported: entries.length, created, updated: entries.length - created };
}

const EntryView = WhiteListEntryInput.extend({ source: z.string(), importedAt: z.string() }).meta({
  id: "WhiteListEntry",
});

const present = (row: Omit<WhiteListEntryInput, "grade"> & { grade: string; source: string; importedAt: Date }) => ({
  creditCode: row.creditCode,
  name: row.name,
  grade: row.grade,
  credit: row.credit,
  management: row.management,
  brand: row.brand,
  foundation: row.foundation,
  innovation: row.innovation,
  source: row.source,
  importedAt: row.importedAt.toISOString(),
});

/** The quality white list routes (bank node: imported from the regulator's publication). */
export function whiteListRoutes({ db }: { db: Database }): RouteDef<any, any, any, any>[] {
  return [
    defineRoute({
      method: "post",
      path: "/whitelist/import",
      operationId: "importWhiteList",
      summary: "Import the regulator's quality white list",
      tags: ["white list"],
      auth: ["bank_officer", "regulator"],
      body: z.object({
        source: Text(200).default("regulator white list"),
        entries: z.array(WhiteListEntryInput).optional().meta({ description: "the firms" }),
        csv: z
          .string()
          .max(5 * 1024 * 1024)
          .optional()
          .meta({ description: `or CSV text with the columns ${CSV_COLUMNS.join(",")}` }),
      }),
      responses: {
        200: {
          description: "imported",
          schema: z.object({ imported: z.number(), created: z.number(), updated: z.number() }),
        },
      },
      handler: async ({ body }) => {
        if (body.entries && body.csv) throw badRequest("validation_failed", "give entries or csv, not both");
        if (!body.entries && !body.csv)
          throw badRequest("validation_failed", "give the firms as entries (JSON objects) or as csv (text)");
        const rows = body.entries ?? parseWhiteListCsv(body.csv!);
        return { body: await importWhiteList(db, rows, body.source) };
      },
    }),
    defineRoute({
      method: "get",
      path: "/whitelist",
      operationId: "listWhiteList",
      summary: "List the quality white list",
      tags: ["white list"],
      auth: ["bank_officer", "regulator", "borrower", "supplier"],
      query: z.object({ grade: z.enum(GRADES).optional() }),
      responses: { 200: { description: "firms", schema: z.object({ items: z.array(EntryView) }) } },
      handler: async ({ query }) => ({
        body: {
          items: (
            await db.prisma.whiteListEntry.findMany({ where: { grade: query.grade }, orderBy: { creditCode: "asc" } })
          ).map(present),
        },
      }),
    }),
    defineRoute({
      method: "get",
      path: "/whitelist/:creditCode",
      operationId: "getWhiteListEntry",
      summary: "Get one firm of the white list",
      tags: ["white list"],
      auth: ["bank_officer", "regulator", "borrower", "supplier"],
      params: z.object({
        creditCode: z
          .string()
          .regex(/^[0-9A-Z]{18}$/, { message: "must be an 18-character unified social credit code" }),
      }),
      responses: { 200: { description: "the firm", schema: EntryView }, 404: { description: "not on the white list" } },
      handler: async ({ params }) => {
        const row = await db.prisma.whiteListEntry.findUnique({ where: { creditCode: params.creditCode } });
        if (!row) throw notFound(`white-list entry ${params.creditCode}`);
        return { body: present(row) };
      },
    }),
  ];
}
