import type { ApprovalView } from "../../domain/api/approvals";
import type { FacilityView } from "../../domain/api/facilities";
import type { SpotCheckView } from "../../domain/api/regulator";
import type { FacilityViewStatus } from "../../domain/enums";

/** A facility's status from the spot checks and joint unfreezes on record (see facilitiesWithChainStatus). */
export function statusOf(
  facility: Pick<FacilityView, "facilityId" | "status">,
  spotChecks: Array<Pick<SpotCheckView, "facilityId" | "result" | "createdAt">>,
  approvals: Array<Pick<ApprovalView, "facilityId" | "kind" | "status" | "createdAt">>,
): FacilityViewStatus {
  if (!facility.facilityId || facility.status !== "ACTIVE") return facility.status;
  const id = String(facility.facilityId);
  const lastUnfreeze = approvals
    .filter((a) => String(a.facilityId) === id && a.kind === "UNFREEZE" && a.status === "APPLIED")
    .reduce((latest, a) => Math.max(latest, Date.parse(a.createdAt)), -Infinity);
  const failedSince = spotChecks.some(
    (c) => String(c.facilityId) === id && c.result === "FAIL" && Date.parse(c.createdAt) > lastUnfreeze,
  );
  return failedSince ? "FROZEN" : facility.status;
}
