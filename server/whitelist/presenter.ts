/** The white list's rows as the API shows them, and a signed entry in the JSON the bank node takes. */
import type { SignedEntryJson } from "../regulator/bank-client";
import type { PublishedEntry, WhiteListEntryInput } from "./service";

export const presentEntry = (
  row: Omit<WhiteListEntryInput, "grade"> & {
    grade: string;
    source: string;
    importedAt: Date;
    publishedAt: Date | null;
    root: string | null;
    signature: string | null;
  },
) => ({
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
  publishedAt: row.publishedAt?.toISOString() ?? null,
  root: row.root,
  signature: row.signature,
});

export const signedEntryJson = (entry: PublishedEntry): SignedEntryJson => ({
  creditCode: entry.creditCode,
  name: entry.name,
  grade: entry.grade,
  credit: entry.credit,
  management: entry.management,
  brand: entry.brand,
  foundation: entry.foundation,
  innovation: entry.innovation,
  publishedAt: entry.publishedAt.toISOString(),
  root: entry.root,
  proof: JSON.parse(entry.proof) as string[],
  signature: entry.signature,
});
