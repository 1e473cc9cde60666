import type { PageQuery } from "../../domain/api/page";
import { badRequest } from "../errors";

/** A page and the cursor of the next one (domain/api/page.ts). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Prisma arguments for a page of a table whose id is `field`: one row more than asked (to know whether a page follows),
 * after the cursor's row. The query's orderBy must end with that id, so that the order is total.
 */
export function pageArgs<F extends string>(query: PageQuery, field: F) {
  return {
    take: query.limit + 1,
    ...(query.cursor ? { cursor: { [field]: query.cursor } as Record<F, string>, skip: 1 } : {}),
  };
}

/** What `pageArgs` gives, for a query that takes it. */
export type PageArgs<F extends string> = ReturnType<typeof pageArgs<F>>;

/** The page of rows read with `pageArgs`: the cursor is the last item's key. */
export function pageOfRows<T>(rows: readonly T[], query: PageQuery, key: (row: T) => string): Page<T> {
  const items = rows.slice(0, query.limit);
  return { items, nextCursor: rows.length > query.limit ? key(items[items.length - 1]) : null };
}

/**
 * A page of a table, read by `read` with the `pageArgs` of `field` (its orderBy must end with that column), each
 * row presented.
 */
export async function readPage<F extends string, T extends Record<F, string>, V>(
  query: PageQuery,
  field: F,
  read: (args: PageArgs<F>) => Promise<T[]>,
  present: (row: T) => V,
): Promise<Page<V>> {
  const page = pageOfRows(await read(pageArgs(query, field)), query, (row) => row[field]);
  return { items: page.items.map(present), nextCursor: page.nextCursor };
}

/** A cursor that names no item of the list is refused, rather than answered with the first page again. */
function unknownCursor(cursor: string) {
  return badRequest("invalid_cursor", `the cursor ${cursor} names no item of this list: start without one`);
}

/** A page of a list built in memory (read from the chain or the catalog), in its order: the items after the cursor's. */
export function pageOfList<T>(all: readonly T[], query: PageQuery, key: (item: T) => string): Page<T> {
  let start = 0;
  if (query.cursor !== undefined) {
    const at = all.findIndex((item) => key(item) === query.cursor);
    if (at < 0) throw unknownCursor(query.cursor);
    start = at + 1;
  }
  return pageOfRows(all.slice(start), query, key);
}

/**
 * A page of a table whose rows are keyed by `field`, read in the database: `read` runs the list's query with
 * `pageArgs` (its orderBy ending with that key), `holds` tells whether the cursor is the key of a row of the list (its
 * where clause and that key). A cursor of no row, or of a row outside the list, is refused as pageOfList refuses it:
 * the database would answer it with an empty page, or with the rows after a stranger's position.
 */
export async function pageOfTable<F extends string, T extends Record<F, string>>(
  query: PageQuery,
  field: F,
  read: (args: ReturnType<typeof pageArgs<F>>) => Promise<T[]>,
  holds: (cursor: string) => Promise<boolean>,
): Promise<Page<T>> {
  const [rows, known] = await Promise.all([
    read(pageArgs(query, field)),
    query.cursor === undefined ? true : holds(query.cursor),
  ]);
  if (!known) throw unknownCursor(query.cursor!);
  return pageOfRows(rows, query, (row) => row[field]);
}
