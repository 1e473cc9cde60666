import { InvalidArgumentError } from "commander";
import fs from "node:fs";
import path from "node:path";
import { AmountError, parseCny, parseFen } from "./money";
import { CliError } from "./context";

/** Commander argument parsers: a bad value stops the command with commander's usage error naming the argument. */
export function facilityIdArg(value: string): string {
  if (!/^\d{1,19}$/.test(value) || BigInt(value) === 0n)
    throw new InvalidArgumentError("must be a facility id (1, 2, …)");
  return value;
}

export function indexArg(value: string): number {
  if (!/^\d{1,2}$/.test(value) || Number(value) > 63)
    throw new InvalidArgumentError("must be a payment index 0–63 (the plan's order)");
  return Number(value);
}

export function positiveIntArg(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) === 0) throw new InvalidArgumentError("must be a whole number above 0");
  return Number(value);
}

/** A time for the API (ISO 8601): "2026-01-01" is midnight that day in the local time zone; an ISO time as it is. */
export function timeArg(value: string): string {
  // A day alone is that day's midnight in this machine's time zone (TZ), as the person typing it means it.
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00`) : new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new InvalidArgumentError("must be a date (2026-01-01) or an ISO 8601 time (2026-01-01T08:00:00Z)");
  }
  return date.toISOString();
}

export function jsonObjectArg(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`is not valid JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new InvalidArgumentError('must be a JSON object, like {"supplierLicence":"91330200MA2H8K3X1Y"}');
  return parsed as Record<string, unknown>;
}

/** An amount typed by a person: CNY ("10,000,000.00"), or fen with `fen`. */
export function amountToFen(value: string | number, fen: boolean, what: string): bigint {
  const text = typeof value === "number" ? numberText(value, fen, what) : value;
  try {
    return fen ? parseFen(text) : parseCny(text);
  } catch (error) {
    if (error instanceof AmountError) throw new CliError(`${what}: ${error.message}`);
    throw error;
  }
}

/**
 * A JSON number is a float by the time it is parsed: only whole numbers are taken as they are, so "4000000.10" must be
 * written as a string to say exactly what it means.
 */
function numberText(value: number, fen: boolean, what: string): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new CliError(
      `${what}: ${value} — write amounts with decimals as strings ("4,000,000.10")${fen ? "; fen are whole numbers" : ""}`,
    );
  }
  return String(value);
}

export function readBytes(file: string, what = "file"): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot read the ${what} ${file}: ${code === "ENOENT" ? "no such file" : (error as Error).message}`,
    );
  }
}

export function readJson(file: string, what: string): unknown {
  const text = readBytes(file, what)
    .toString("utf8")
    .replace(/^\uFEFF/, "");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`the ${what} ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

const MEDIA_TYPES: Record<string, string> = {
  ".pdf": "application/pdf",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".json": "application/json",
  ".xml": "application/xml",
};

/** The media type a document is sent as, from its extension (the node checks the bytes match it). */
export function mediaTypeOfFile(file: string, override?: string): string {
  if (override) return override;
  const type = MEDIA_TYPES[path.extname(file).toLowerCase()];
  if (!type) {
    throw new CliError(
      `cannot tell the type of ${file} from its extension: the nodes take ${Object.keys(MEDIA_TYPES).join(", ")}; or give --type <media type>`,
    );
  }
  return type;
}

/** Appends an "Examples:" block to a command's --help. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`;
}
