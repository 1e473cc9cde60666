import { z } from "zod";
import { QueryInteger } from "../schema";

/**
 * Cursor pagination, the same on every list: `limit` items at most, and `nextCursor` to pass as `cursor` for the next
 * page (null on the last one). A list that had no pages before defaults to its largest page, so a client that never
 * sends a cursor sees what it saw before as long as the list is no longer than that.
 */

/** The most items a page holds. */
export const PAGE_MAX = 500;

/** The query of a list: `limit` (default `defaultLimit`) and the cursor of the previous page. */
export const pageQuery = (defaultLimit: number = PAGE_MAX) =>
  z.object({
    limit: QueryInteger(1, PAGE_MAX)
      .default(defaultLimit)
      .meta({ description: `items on the page, 1 to ${PAGE_MAX} (default ${defaultLimit})` }),
    cursor: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: "the previous page's nextCursor; without it, the first page" }),
  });
export type PageQuery = z.infer<ReturnType<typeof pageQuery>>;

/** A page of a list of `item`. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: "pass as `cursor` for the next page; null on the last page" }),
  });
