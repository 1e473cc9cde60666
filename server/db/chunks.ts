/**
 * Bound parameters a statement may carry. SQLite counts every value of an `IN (…)` list; Prisma splits a lone
 * `in` filter itself, but not one inside an OR or beside `not: null` ("The query parameter limit supported by your
 * database is exceeded" with a batch of 1,024 leaves). Lists that grow with a batch go through `inChunks`.
 */
export const PARAMETERS_PER_QUERY = 500;

/** Runs `query` over `values` in slices of `size` and concatenates what each slice returns. */
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
