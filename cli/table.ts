import Table from "cli-table3";

export type Align = "left" | "right" | "center";

/** No colours (the output is the same on a terminal, in a pipe and in a test), and no rule between rows. */
const PLAIN_STYLE = { head: [] as string[], border: [] as string[], compact: true };

/**
 * A table with a header row; `align` gives each column's alignment (amounts read best right-aligned); `widths` caps
 * a column's width (long text wraps onto more lines instead of being cut).
 */
export function renderTable(
  head: string[],
  rows: Array<Array<string | number>>,
  align: Align[] = [],
  widths: Array<number | null> = [],
): string {
  if (rows.length === 0) return "(none)";
  const wrap = widths.some((w) => w !== null && w !== undefined);
  const table = new Table({
    head,
    style: PLAIN_STYLE,
    colAligns: head.map((_, i) => align[i] ?? "left"),
    ...(wrap
      ? {
          colWidths: head.map((_, i) => widths[i] ?? null) as number[],
          wordWrap: true,
          wrapOnWordBoundary: true,
        }
      : {}),
  });
  for (const row of rows) table.push(row.map((cell) => String(cell)));
  return table.toString();
}

/** A two-column table of labels and values, for one record. Pairs whose value is undefined are left out. */
export function renderPairs(pairs: Array<[string, string | number | undefined]>): string {
  const table = new Table({ style: PLAIN_STYLE });
  for (const [label, value] of pairs) if (value !== undefined) table.push([label, String(value)]);
  return table.toString();
}

/** A titled block: the title underlined, then the body. */
export function section(title: string, body: string): string {
  return `${title}\n${"─".repeat(Math.max(title.length, 3))}\n${body}`;
}

/** ✓ or ✗ for a yes/no. */
export const mark = (ok: boolean): string => (ok ? "✓" : "✗");

/** A 0x hash shortened for a table cell: 0x1234abcd…9f8e. */
export function shortHash(hash: string | null | undefined): string {
  if (!hash) return "—";
  return hash.length > 16 ? `${hash.slice(0, 10)}…${hash.slice(-4)}` : hash;
}

/** An ISO 8601 time as "2026-03-01 09:30:00 UTC", or — when there is none. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** "1 row", "2 rows", with thousands separators. */
export function plural(count: number, noun: string): string {
  return `${count.toLocaleString("en-US")} ${noun}${count === 1 ? "" : "s"}`;
}
