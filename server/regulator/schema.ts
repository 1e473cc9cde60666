/** The regulator's lifecycle requests (its responses: domain/api/regulator.ts, domain/api/approvals.ts). */
import { z } from "zod";
import { pageQuery } from "../../domain/api/page";
import { FacilityId, Text } from "../http/route";

export const SpotCheckBody = z.object({
  facilityId: FacilityId,
  result: z.enum(["PASS", "FAIL"]),
  reportNumber: Text(64),
  findings: Text(4_000, { min: 0 }).default(""),
  inspector: Text(200).optional(),
});
export type SpotCheckBody = z.infer<typeof SpotCheckBody>;

/** The spot checks of one facility or all, a page at a time (newest first). */
export const SpotCheckFilter = z.object({ facilityId: FacilityId.optional(), ...pageQuery().shape });
export type SpotCheckFilter = z.infer<typeof SpotCheckFilter>;

/** The regulator's decisions or its verification queue, of one facility or all: 200 a page unless asked otherwise. */
export const FacilityFilter = z.object({ facilityId: FacilityId.optional(), ...pageQuery(200).shape });
export type FacilityFilter = z.infer<typeof FacilityFilter>;
