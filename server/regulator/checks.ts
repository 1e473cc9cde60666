/**
 * The regulator's own checks of a joint decision the bank proposes: it co-signs an unfreeze or a review only when
 * its own chain reads, registry and rebuilt review agree with the message that would take effect on chain.
 */
import { keccak256, toUtf8Bytes } from "ethers";
import { ReviewReport } from "../../domain/api/reviews";
import { FACILITY_STATUS as STATUS } from "../../domain/enums";
import { chainNow, type Chain } from "../chain/chain";
import type { Database } from "../db/client";
import { findRecord, firmOfAccount, inspectionFigures } from "../registry/records";
import type { ProductCatalog } from "../rules/products";
import { createReviewRebuilder, reviewDifferences, type ProposedReport } from "./review-rebuild";

export type DecisionRefusal = (approval: Record<string, any>) => Promise<string | undefined>;

export function createDecisionChecks({ db, chain, catalog }: { db: Database; chain: Chain; catalog: ProductCatalog }): {
  decisionRefusal: DecisionRefusal;
} {
  const rebuilder = createReviewRebuilder({ db, chain, catalog });

  /** Why the regulator will not co-sign this unfreeze, or undefined when it will. */
  async function unfreezeRefusal(facilityId: bigint, message: { freezeCount: number }): Promise<string | undefined> {
    const state = await chain.manager.facility(facilityId);
    if (STATUS[Number(state.status)] !== "FROZEN") return `facility ${facilityId} is not frozen`;
    if (Number(state.freezeCount) !== message.freezeCount)
      return `the proposal names freeze ${message.freezeCount}; the current freeze is ${state.freezeCount}`;
    const checks = await db.prisma.spotCheck.findMany({ where: { facilityId }, orderBy: { createdAt: "asc" } });
    const lastFail = checks.filter((c) => c.result === "FAIL").pop();
    const passAfter = checks.find((c) => c.result === "PASS" && (!lastFail || c.createdAt > lastFail.createdAt));
    if (!passAfter)
      return `no passing re-inspection of facility ${facilityId} has been recorded since the failed spot check${lastFail ? ` ${lastFail.reportNumber}` : ""}`;
    // A spot-check row is not a decision: the re-inspection must be a passing record of this borrower in the registry.
    const borrower = await firmOfAccount(db, state.borrower, `of facility ${facilityId}`);
    if (!borrower.ok) return borrower.reason;
    const record = await findRecord(db, "INSPECTION_RECORD", passAfter.reportNumber);
    const figures = record && inspectionFigures(record);
    if (!figures || figures.outcome !== "PASS" || record!.holderCreditCode !== borrower.creditCode)
      return `the re-inspection ${passAfter.reportNumber} is not a passing inspection record of the borrower ${borrower.creditCode} in the regulator's registry`;
    return undefined;
  }

  /**
   * Checks the bank's review against the regulator's own: the message must be that review (this facility, its next
   * review nonce, the hash of this report), and the report's values, targets met, rate and subsidy must be what the
   * regulator rebuilds itself from its own index, verdicts, registry and white list for the period the report names.
   */
  async function reviewRefusal(
    facilityId: bigint,
    message: { nonce: number; newRateBps: number; subsidyEligible: boolean; reportHash: string },
    review: { inputs: unknown; decision: any } | null,
  ): Promise<string | undefined> {
    if (!review?.decision || typeof review.decision !== "object")
      return "the bank node sent no review report with the decision";
    if (String(review.decision.facilityId) !== facilityId.toString())
      return `the review report is of facility ${review.decision.facilityId}, the decision of facility ${facilityId}`;
    const reportHash = keccak256(toUtf8Bytes(JSON.stringify(review.decision)));
    if (message.reportHash !== reportHash)
      return `the decision's report hash ${message.reportHash} is not the hash of the review report (${reportHash})`;
    const state = await chain.manager.facility(facilityId);
    if (Number(message.nonce) !== Number(state.reviewNonce))
      return `the decision is review ${message.nonce} of facility ${facilityId}; its next review is ${state.reviewNonce}`;
    // The report is the contract between the nodes (domain/api/reviews.ts): one of another shape is not compared.
    const parsed = ReviewReport.safeParse(review.decision);
    if (!parsed.success)
      return `the review report is not a review report: ${parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join(".") || "(root)"} ${issue.message}`)
        .join("; ")}`;
    const report: ProposedReport = parsed.data;
    const mine = await rebuilder.rebuild(facilityId, report);
    if (!mine.ok) return mine.reason;
    const differences = reviewDifferences(mine, report, message);
    if (differences.length > 0)
      return `its own review differs: ${differences.join("; ")}. ${mine.decision.explanation}`;
    return undefined;
  }

  /**
   * Why the regulator will not sign a joint decision, or undefined when it will. The message is what takes effect on
   * chain, so it is what is checked — its facility, its deadline, then the freeze or the review it names — whatever
   * the bank's approval says around it.
   */
  async function decisionRefusal(approval: Record<string, any>): Promise<string | undefined> {
    const facilityId = BigInt(approval.message.facilityId);
    if (facilityId.toString() !== String(approval.facilityId))
      return `the decision's message is for facility ${facilityId}, the approval for facility ${approval.facilityId}`;
    const deadline = Number(approval.message.deadline);
    if (deadline <= (await chainNow(chain)))
      return `the decision expired at ${new Date(deadline * 1000).toISOString()} (chain time)`;
    return approval.kind === "UNFREEZE"
      ? unfreezeRefusal(facilityId, approval.message)
      : reviewRefusal(facilityId, approval.message, approval.review);
  }

  return { decisionRefusal };
}
