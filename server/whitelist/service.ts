import type { Chain } from "../chain/chain";
import type { Database } from "../db/client";
import { AppError, badRequest, notFound } from "../errors";
import { readPage, type PageArgs } from "../http/page";
import type { BankClient } from "../regulator/bank-client";
import {
  CSV_COLUMNS,
  WhiteListCsvError,
  WhiteListEntryInput,
  parseWhiteListCsv as parseCsv,
} from "../../domain/api/whitelist";
import { presentEntry, signedEntryJson } from "./presenter";
import { PUBLISH_CHUNK, type GradeFilter, type ImportBody, type Publication, type ReceiveBody } from "./schema";
import { sealWhiteList, whiteListDomain, type RegulatorCheck, type SealReader } from "./signatures";

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

/** Sends signed entries to the bank node, in chunks; says how many it stored. */
async function publishToBank(
  bank: BankClient | undefined,
  entries: PublishedEntry[],
  source: string,
): Promise<Publication> {
  if (!bank) return { published: false, accepted: 0, detail: "no bank node is configured (BANK_NODE_URL)" };
  let accepted = 0;
  for (let i = 0; i < entries.length; i += PUBLISH_CHUNK) {
    const chunk = entries.slice(i, i + PUBLISH_CHUNK).map(signedEntryJson);
    const { status, body } = await bank.importWhiteList(source, chunk);
    if (status !== 200)
      return {
        published: false,
        accepted,
        detail: `the bank node answered ${status}: ${body.detail ?? ""}; POST /whitelist/publish sends the list again`,
      };
    accepted += body.imported ?? 0;
  }
  return { published: true, accepted, detail: `the bank node took ${accepted} of ${entries.length} entries` };
}

/** The regulator node's edits: import (signing each entry), then publish to the bank node. */
export function createWhiteListPublisher({ db, chain, bank }: { db: Database; chain: Chain; bank?: BankClient }) {
  const seal = async (entries: WhiteListEntryInput[]) => {
    // Whole seconds: the leaf holds publishedAt as a uint64 of seconds.
    const publishedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const seals = await sealWhiteList(
      chain.signer,
      whiteListDomain(chain),
      entries.map((entry) => ({ ...entry, publishedAt })),
    );
    return seals.map(({ root, proof, signature }) => ({ publishedAt, root, proof: JSON.stringify(proof), signature }));
  };
  const publish = (entries: PublishedEntry[], source: string) =>
    publishToBank(bank, entries, source).catch((error: Error) => ({
      published: false,
      accepted: 0,
      detail: error.message,
    }));
  return {
    async importEntries(body: ImportBody) {
      if (body.entries && body.csv) throw badRequest("validation_failed", "give entries or csv, not both");
      if (!body.entries && !body.csv)
        throw badRequest("validation_failed", "give the firms as entries (JSON objects) or as csv (text)");
      const rows = body.entries ?? parseWhiteListCsv(body.csv!);
      const { entries, ...counts } = await importWhiteList(db, rows, body.source, seal);
      return { ...counts, bankNode: await publish(entries as PublishedEntry[], body.source) };
    },
    async publishAll() {
      const rows = await db.prisma.whiteListEntry.findMany({ orderBy: { creditCode: "asc" } });
      const signed = rows.filter(
        (row) => row.publishedAt && row.root && row.proof && row.signature,
      ) as PublishedEntry[];
      return publish(signed, "regulator white list");
    },
  };
}

/**
 * The bank node's one white-list edit: entries the regulator signed, each newer than what it holds. Nothing is
 * stored when one entry's seal is not the regulator's (422 not_signed_by_regulator).
 */
export async function receiveSignedEntries(
  { db, readSeal, isRegulator }: { db: Database; readSeal: SealReader; isRegulator: RegulatorCheck },
  body: ReceiveBody,
) {
  const problems: Array<{ path: string; message: string }> = [];
  for (const [index, entry] of body.entries.entries()) {
    const signer = readSeal(entry, entry);
    if (!signer || !(await isRegulator(signer)))
      problems.push({
        path: `entries.${index}.signature`,
        message: signer
          ? `signed by ${signer}, which does not hold REGULATOR_ROLE`
          : "its proof does not hold under its root, or the signature over the root is not valid",
      });
  }
  if (problems.length > 0)
    throw new AppError(
      422,
      "not_signed_by_regulator",
      `${problems.length} entr${problems.length === 1 ? "y is" : "ies are"} not signed by the regulator; nothing was stored: ${problems[0].path}: ${problems[0].message}`,
      { errors: problems },
    );
  let created = 0;
  let stale = 0;
  await db.prisma.$transaction(async (tx) => {
    for (const entry of body.entries) {
      const existing = await tx.whiteListEntry.findUnique({ where: { creditCode: entry.creditCode } });
      // A replayed older publication must not roll a grade back.
      if (existing?.publishedAt && existing.signature && existing.publishedAt >= entry.publishedAt) {
        stale++;
        continue;
      }
      if (!existing) created++;
      const data = { ...entry, proof: JSON.stringify(entry.proof), source: body.source, importedAt: new Date() };
      await tx.whiteListEntry.upsert({ where: { creditCode: entry.creditCode }, create: data, update: data });
    }
  });
  const imported = body.entries.length - stale;
  return { imported, created, updated: imported - created, stale };
}

/** The list, by credit code, optionally of one grade. */
export async function listEntries(db: Database, query: GradeFilter) {
  const read = (page: PageArgs<"creditCode">) =>
    db.prisma.whiteListEntry.findMany({ where: { grade: query.grade }, orderBy: { creditCode: "asc" }, ...page });
  return readPage(query, "creditCode", read, presentEntry);
}

export async function getEntry(db: Database, creditCode: string) {
  const row = await db.prisma.whiteListEntry.findUnique({ where: { creditCode } });
  if (!row) throw notFound(`white-list entry ${creditCode}`);
  return presentEntry(row);
}
