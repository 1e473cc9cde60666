/** The regulator's lifecycle requests (its responses: domain/api/regulator.ts, domain/api/approvals.ts). */
import { z } from "zod";
import { FacilityId, Text } from "../http/route";

export const SpotCheckBody = z.object({
  facilityId: FacilityId,
  result: z.enum(["PASS", "FAIL"]),
  reportNumber: Text(64),
  findings: Text(4_000, { min: 0 }).default(""),
  inspector: Text(200).optional(),
});
export type SpotCheckBody = z.infer<typeof SpotCheckBody>;

export const FacilityFilter = z.object({ facilityId: FacilityId.optional() });
export type FacilityFilter = z.infer<typeof FacilityFilter>;
