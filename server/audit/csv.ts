import { fenToCny } from "./money";
import type { AuditReport } from "./schema";

export const CSV_COLUMNS = ["time", "block", "tx", "type", "party", "amount_fen", "amount_cny", "details"] as const;

/** One CSV field as RFC 4180 writes it: quoted when it holds a comma, a double quote or a line break; quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The report's ledger as one RFC 4180 CSV document: a header line, then one line per event, CRLF line ends. */
export function toCsv(report: Pick<AuditReport, "ledger">): string {
  const rows = [
    [...CSV_COLUMNS],
    ...report.ledger.map((line) => [
      line.time ?? "",
      line.block,
      line.tx,
      line.type,
      line.party,
      line.amountFen ?? "",
      line.amountFen === null ? "" : fenToCny(line.amountFen),
      line.details,
    ]),
  ];
  return rows.map((row) => row.map(csvField).join(",") + "\r\n").join("");
}
