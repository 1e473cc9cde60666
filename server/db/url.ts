import path from "node:path";
import { fileURLToPath } from "node:url";

export const DATABASE_PROVIDERS = ["sqlite", "postgresql"] as const;
export type DatabaseProvider = (typeof DATABASE_PROVIDERS)[number];

/** Where a database lives, parsed from a URL once so the client and the migrator read it the same way. */
export type DatabaseTarget =
  | { provider: "sqlite"; /** absolute path of the database file */ file: string }
  | {
      provider: "postgresql";
      /** the URL without the `schema` parameter, for node-postgres */
      connectionString: string;
      /** from `?schema=`: the search path and the namespace Prisma qualifies tables with */
      schema?: string;
    };

// PostgreSQL identifiers we are willing to put in `-c search_path=` and DDL unquoted-safe: no quoting games.
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Parses `file:<path>` (SQLite; a relative path is taken from the working directory) or
 * `postgresql://…` / `postgres://…` (PostgreSQL, optional `?schema=name`).
 * Throws an Error naming what is wrong with the URL (the password is never repeated).
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  const problem = (why: string) => new Error(`Invalid database URL "${redact(url)}": ${why}`);
  if (typeof url !== "string" || url.trim() === "") {
    throw new Error("Invalid database URL: it is empty; expected file:<path> (SQLite) or postgresql://… (PostgreSQL)");
  }

  if (url.startsWith("file:")) {
    if (url.includes("?")) throw problem("query parameters are not supported for SQLite");
    let file: string;
    try {
      file = url.startsWith("file://") ? fileURLToPath(url) : url.slice("file:".length);
    } catch (error) {
      throw problem(`not a valid file URL (${(error as Error).message})`);
    }
    if (file === "") throw problem("the SQLite file path is empty");
    if (file === ":memory:") {
      throw problem("in-memory SQLite is not supported (the migrator and the client use separate connections)");
    }
    return { provider: "sqlite", file: path.resolve(file) };
  }

  if (/^postgres(ql)?:\/\//.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw problem("not a valid URL");
    }
    const schemas = parsed.searchParams.getAll("schema");
    if (schemas.length > 1) throw problem("the schema parameter is given more than once");
    const schema = schemas[0];
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
      throw problem(`schema "${schema}" must be a plain identifier (letters, digits, underscore; at most 63)`);
    }
    parsed.searchParams.delete("schema");
    return { provider: "postgresql", connectionString: parsed.toString(), schema };
  }

  throw problem("expected file:<path> (SQLite) or postgresql://… / postgres://… (PostgreSQL)");
}

/** The URL with any password replaced, for messages and logs. */
export function redact(url: string): string {
  return String(url).replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:)[^@/?#]*@/i, "$1***@");
}
