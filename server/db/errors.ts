/**
 * Prisma error codes for a database that cannot be reached or stopped answering: P1001 cannot reach the server, P1002
 * reached but timed out, P1008 operation timed out (also SQLite's busy timeout), P1017 the server closed the
 * connection, P2024 no pooled connection in time, P2037 too many connections.
 */
const UNAVAILABLE_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2037"]);

/** The driver adapters' names for the same conditions (the cause of a DriverAdapterError). */
const UNAVAILABLE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);

/**
 * PostgreSQL SQLSTATEs: class 08 connection exceptions, 57P01 admin shutdown and 57P02 crash shutdown (the server
 * terminated the connection), 57P03 cannot connect now (starting up or shutting down), 53300 too many connections.
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;

/** node-postgres's own errors for a connection that died under a query (the adapter passes them through as they are). */
const CONNECTION_LOST = /^Connection terminated|is not queryable$/;

/**
 * Whether a database error means the database could not be reached or dropped the connection — a restart, a
 * failover, a network cut, a SQLite writer holding the lock past the busy timeout — so the same operation can succeed
 * once it is back. Constraint violations, bad queries and the like are not.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current = error;
  while (current !== null && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const e = current as {
      code?: unknown;
      kind?: unknown;
      originalCode?: unknown;
      message?: unknown;
      meta?: { driverAdapterError?: unknown };
      cause?: unknown;
    };
    if (typeof e.code === "string" && UNAVAILABLE_CODES.has(e.code)) return true;
    if (typeof e.kind === "string" && UNAVAILABLE_KINDS.has(e.kind)) return true;
    if (typeof e.originalCode === "string" && UNAVAILABLE_SQLSTATE.test(e.originalCode)) return true;
    if (typeof e.message === "string" && CONNECTION_LOST.test(e.message)) return true;
    // A PrismaClientKnownRequestError keeps the adapter's error in its meta; that error keeps the driver's in cause.
    current = e.meta?.driverAdapterError ?? e.cause;
  }
  return false;
}

/**
 * The columns of the unique constraint a Prisma error violated, or undefined when it is not a unique violation: a
 * concurrent writer got there first. Model writes fail with P2002; raw statements ($executeRaw, e.g. a bulk insert)
 * with P2010, where only the driver adapter's error says what it was. `names` holds the columns (SQLite) or the
 * index's name (PostgreSQL, e.g. "Document_contentKey_key"), [] when the driver named neither.
 */
export function uniqueViolation(error: unknown): { names: string[] } | undefined {
  const e = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: AdapterCause } } } | null;
  const cause = e?.meta?.driverAdapterError?.cause;
  const names = [...(cause?.constraint?.fields ?? []), ...(cause?.constraint?.index ? [cause.constraint.index] : [])];
  if (e?.code === "P2002") return { names };
  if (e?.code === "P2010" && cause?.kind === "UniqueConstraintViolation") return { names };
  return undefined;
}

interface AdapterCause {
  kind?: string;
  constraint?: { fields?: string[]; index?: string };
}
