import { z } from "zod";

/** A refusal as every route renders it: problem details (RFC 9457) with a stable code and whether to retry. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().meta({ description: "stable machine-readable code, e.g. validation_failed, facility_is_frozen" }),
    detail: z.string().meta({ description: "what is wrong, for people" }),
    retryable: z.boolean(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Problem" });
/** Extensions (a refused payment's blockers, a plan's share) ride beside the standard members. */
export type Problem = z.infer<typeof Problem> & { [extension: string]: unknown };
