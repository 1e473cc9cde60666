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

/**
 * A page of a list built in memory (read from the chain or the catalog), in its order: the items after the one whose
 * key is the cursor. A cursor that names no item is refused, rather than answered with the first page again.
 */
export function pageOfList<T>(all: readonly T[], query: PageQuery, key: (item: T) => string): Page<T> {
  let start = 0;
  if (query.cursor !== undefined) {
    const at = all.findIndex((item) => key(item) === query.cursor);
    if (at < 0)
      throw badRequest("invalid_cursor", `the cursor ${query.cursor} names no item of this list: start without one`);
    start = at + 1;
  }
  return pageOfRows(all.slice(start), query, key);
}
