/** A facility's status from the spot checks and joint unfreezes on record (see facilitiesWithChainStatus). */
export function statusOf(
  facility: { facilityId: string | null; status: string },
  spotChecks: Array<{ facilityId: string; result: string; createdAt: string }>,
  approvals: Array<{ facilityId: string; kind: string; status: string; createdAt: string }>,
): string {
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
