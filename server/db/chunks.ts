/**
 * Bound parameters a statement may carry. SQLite counts every value of an `IN (…)` list; Prisma splits a lone
 * `in` filter itself, but not one inside an OR or beside `not: null` ("The query parameter limit supported by your
 * database is exceeded" with a batch of 1,024 leaves). Lists that grow with a batch go through `inChunks`.
 */
export const PARAMETERS_PER_QUERY = 500;

/** Runs `query` over `values` in slices of `size` (by default what one statement may bind) and concatenates the answers. */
export async function inChunks<T, R>(
  values: readonly T[],
  query: (chunk: T[]) => Promise<R[]>,
  size = PARAMETERS_PER_QUERY,
): Promise<R[]> {
  const results: R[] = [];
  for (let from = 0; from < values.length; from += size)
    results.push(...(await query(values.slice(from, from + size))));
  return results;
}

/** Runs a write over `values` in slices of `size`, one after another. */
export async function forEachChunk<T>(
  values: readonly T[],
  write: (chunk: T[]) => Promise<unknown>,
  size = PARAMETERS_PER_QUERY,
): Promise<void> {
  for (let from = 0; from < values.length; from += size) await write(values.slice(from, from + size));
}
