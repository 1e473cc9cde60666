import { Command, Option } from "commander";
import path from "node:path";
import { parseWhiteListCsv, WhiteListEntryInput } from "../../domain/api/whitelist";
import { ApiError, type Api } from "../api";
import type { Cli } from "../command";
import { CliError, type Context } from "../context";
import { examples, positiveIntArg, readBytes } from "../input";
import { plural, renderTable } from "../table";

type Row = Record<string, unknown>;

/** The server's JSON body limit is 256 KiB by default: chunks stay well under it whatever the rows hold. */
const MAX_CHUNK_BYTES = 192 * 1024;

/** Reads a white list: CSV with a header row, or JSON (an array of firms, or { "entries": [...] }). */
export function readWhiteList(file: string): Row[] {
  const text = readBytes(file, "white list").toString("utf8");
  if (path.extname(file).toLowerCase() === ".json") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.replace(/^\uFEFF/, ""));
    } catch (error) {
      throw new CliError(`the white list ${file} is not valid JSON: ${(error as Error).message}`);
    }
    const rows = Array.isArray(parsed) ? parsed : (parsed as { entries?: unknown })?.entries;
    if (!Array.isArray(rows) || rows.some((r) => r === null || typeof r !== "object" || Array.isArray(r)))
      throw new CliError(`the white list ${file} must be a JSON array of firms, or { "entries": [ … ] }`);
    return rows as Row[];
  }
  try {
    return parseWhiteListCsv(text);
  } catch (error) {
    throw new CliError(`the white list ${file}: ${(error as Error).message}`);
  }
}

/** Validates each row with the node's own schema, so a bad file is refused before any chunk is imported. */
export function validateWhiteList(rows: Row[], onProgress: (done: number) => void = () => undefined): string[] {
  const problems: string[] = [];
  rows.forEach((row, index) => {
    const parsed = WhiteListEntryInput.safeParse(row);
    if (!parsed.success)
      for (const issue of parsed.error.issues)
        problems.push(`row ${index + 1}${issue.path.length ? `, ${issue.path.join(".")}` : ""}: ${issue.message}`);
    if ((index + 1) % 500 === 0) onProgress(index + 1);
  });
  onProgress(rows.length);
  return problems;
}

/** Splits the rows into requests of at most `maxRows` rows and about MAX_CHUNK_BYTES of JSON. */
export function chunkRows(rows: Row[], maxRows: number, maxBytes = MAX_CHUNK_BYTES): Row[][] {
  const chunks: Row[][] = [];
  let current: Row[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = Buffer.byteLength(JSON.stringify(row)) + 1;
    if (current.length > 0 && (current.length >= maxRows || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

const nodeOption = () =>
  new Option("--node <node>", "the node to talk to (both keep a white list)")
    .choices(["bank", "regulator"])
    .default("bank");
const apiOf = (ctx: Context, node: string): Api<"bank"> | Api<"regulator"> =>
  node === "regulator" ? ctx.regulator : ctx.bank;
const count = (n: number) => n.toLocaleString("en-US");

/** `qfm whitelist …`: the regulator's quality white list. */
export function whiteListCommands(cli: Cli): Command {
  const whitelist = new Command("whitelist").description(
    "the regulator's quality white list (grades and radar scores)",
  );

  whitelist
    .command("import <file>")
    .description(
      "import a white list from CSV (columns creditCode,name,grade,credit,management,brand,foundation,innovation) or " +
        "JSON; every row is validated first, then sent in chunks",
    )
    .option("--source <text>", "where the list comes from (stored with each firm)")
    .option("--chunk-size <rows>", "rows per request", positiveIntArg, 500)
    .addOption(nodeOption())
    .addHelpText(
      "after",
      examples(
        "qfm whitelist import ningbo-2026q1.csv",
        'qfm whitelist import firms.json --source "Ningbo AMR 2026 Q1" --chunk-size 1000',
      ),
    )
    .action(
      cli.act(async (ctx, file: string, options) => {
        const rows = readWhiteList(file);
        if (rows.length === 0) throw new CliError(`the white list ${file} has no rows`);
        const validating = ctx.progress("validating");
        const problems = validateWhiteList(rows, (done) => validating.update(done, rows.length, "rows"));
        if (problems.length > 0) {
          validating.stop();
          const shown = problems.slice(0, 20);
          if (problems.length > shown.length) shown.push(`… and ${count(problems.length - shown.length)} more`);
          throw new CliError(
            `the white list ${file} has ${plural(problems.length, "problem")}; nothing was imported`,
            1,
            shown,
          );
        }
        validating.done(`${plural(rows.length, "row")} valid`);

        const api = apiOf(ctx, options.node);
        const source = (options.source as string | undefined) ?? `qfm import of ${path.basename(file)}`;
        const chunks = chunkRows(rows, options.chunkSize);
        const importing = ctx.progress("importing ");
        const totals = { imported: 0, created: 0, updated: 0, requests: 0 };
        importing.update(0, rows.length, "rows");
        for (const [i, chunk] of chunks.entries()) {
          try {
            const { body } = await api.post("/whitelist/import", { source, entries: chunk });
            totals.imported += body.imported;
            totals.created += body.created;
            totals.updated += body.updated;
            totals.requests++;
          } catch (error) {
            importing.stop();
            if (error instanceof ApiError && totals.imported > 0) {
              ctx.io.stderr(
                `rows 1–${count(totals.imported)} were imported; chunk ${i + 1} of ${chunks.length} (rows ${count(totals.imported + 1)}–${count(totals.imported + chunk.length)}) failed, and the rest was not sent:\n`,
              );
            }
            throw error;
          }
          importing.update(totals.imported, rows.length, "rows");
        }
        importing.done(`${plural(totals.imported, "row")} in ${plural(totals.requests, "request")}`);
        ctx.print(
          totals,
          () =>
            `imported ${plural(totals.imported, "firm")} into the ${api.node} node's white list (${count(totals.created)} new, ${count(totals.updated)} updated)`,
        );
      }),
    );

  whitelist
    .command("list")
    .description("list the white list")
    .option("--grade <grade>", "one grade only: A, B, C, D or E")
    .addOption(nodeOption())
    .addHelpText("after", examples("qfm whitelist list", "qfm whitelist list --grade A --json"))
    .action(
      cli.act(async (ctx, options) => {
        const { body } = await apiOf(ctx, options.node).get("/whitelist", {
          grade: options.grade,
        });
        ctx.print(body, () =>
          renderTable(
            ["credit code", "name", "grade", "credit", "mgmt", "brand", "found.", "innov.", "imported"],
            body.items.map((e) => [
              e.creditCode,
              e.name,
              e.grade,
              e.credit,
              e.management,
              e.brand,
              e.foundation,
              e.innovation,
              String(e.importedAt).slice(0, 10),
            ]),
            ["left", "left", "center", "right", "right", "right", "right", "right", "left"],
          ),
        );
      }),
    );
  return whitelist;
}
