import { z } from "zod";
import { GRADES } from "../enums";
import { Text } from "../schema";

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

/** Why a white-list CSV cannot be read: its code is the one the nodes refuse it with. */
export class WhiteListCsvError extends Error {
  constructor(
    readonly code: "empty_white_list" | "invalid_white_list",
    message: string,
  ) {
    super(message);
    this.name = "WhiteListCsvError";
  }
}

/** Parses a white-list CSV (header row with the column names, any order) into raw records. */
export function parseWhiteListCsv(text: string): Record<string, string>[] {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "");
  if (lines.length === 0) throw new WhiteListCsvError("empty_white_list", "the CSV has no header row");
  const header = csvFields(lines[0]).map((h) => h.trim());
  const missing = CSV_COLUMNS.filter((column) => !header.includes(column));
  if (missing.length > 0)
    throw new WhiteListCsvError("invalid_white_list", `the CSV header lacks ${missing.join(", ")}`);
  return lines.slice(1).map((line) => {
    const values = csvFields(line);
    return Object.fromEntries(header.map((name, i) => [name, (values[i] ?? "").trim()]));
  });
}
