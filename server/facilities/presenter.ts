import { FACILITY_STATUS as STATUS } from "../../domain/enums";
import type { ChainView } from "./chain-view";
import type { FacilityService } from "./service";

export type FacilityRow = Awaited<ReturnType<FacilityService["list"]>>[number];

export function presentRow(row: FacilityRow) {
  return {
    applicationId: row.id,
    facilityId: row.facilityId?.toString() ?? null,
    status: row.status,
    borrower: row.borrower,
    borrowerName: row.borrowerName,
    creditCode: row.creditCode,
    product: { id: row.productId, version: row.productVersion },
    grade: row.grade,
    creditLimit: row.creditLimit.toString(),
    termMonths: row.termMonths,
    baseRateBps: row.baseRateBps,
    qualityFloorBps: row.qualityFloorBps,
    subsidyBps: row.subsidyBps,
    fastTrack: row.fastTrack,
    appliedAt: row.appliedAt.toISOString(),
    firstPaymentAt: row.firstPaymentAt?.toISOString() ?? null,
    /** Fast track: the time from application to the first entrusted payment. */
    applicationToFirstPaymentSeconds: row.firstPaymentAt
      ? Math.round((row.firstPaymentAt.getTime() - row.appliedAt.getTime()) / 1000)
      : null,
    targets: JSON.parse(row.targets),
    createdTx: row.createdTx,
  };
}

/** A facility as GET /facilities/:id shows it: the bank's row, the chain's state and plan, its funding. */
export function presentDetail(
  row: FacilityRow,
  { state, payments }: ChainView,
  funding: Awaited<ReturnType<FacilityService["fundingOf"]>>,
  nextReviewFrom: string | null,
) {
  return {
    ...presentRow(row),
    // The chain is the authority on the status (a freeze happens there); the row only knows the application.
    status: STATUS[Number(state.status)],
    chain: {
      status: STATUS[Number(state.status)],
      rateBps: Number(state.rateBps),
      baseRateBps: Number(state.baseRateBps),
      subsidyEligible: state.subsidyEligible,
      freezeCount: Number(state.freezeCount),
      reviewNonce: Number(state.reviewNonce),
      creditLimit: state.creditLimit.toString(),
      planTotal: state.planTotal.toString(),
      qualityTotal: state.qualityTotal.toString(),
      drawn: state.drawn.toString(),
      principal: state.principal.toString(),
      balance: state.balance.toString(),
      funded: state.funded.toString(),
      interestAccrued: state.interestAccrued.toString(),
      subsidyAccrued: state.subsidyAccrued.toString(),
      interestRepaid: state.interestRepaid.toString(),
      subsidyPaid: state.subsidyPaid.toString(),
    },
    payments: payments.map((p) => ({ ...p, amount: p.amount.toString() })),
    /** Funded against the plan and the limit, and the funding's state (FUNDED, FUNDING, FAILED, UNFUNDED). */
    funding,
    nextReviewFrom,
  };
}
