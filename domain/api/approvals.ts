import { z } from "zod";
import { pageOf } from "./page";
import { JsonObject } from "./json";
import { APPROVAL_KINDS, APPROVAL_STATUSES } from "../enums";
import { ReviewReport } from "./reviews";
import { HashText, IdText, IsoTime, TxHash } from "./values";

/**
 * A joint decision (a quarterly review, an unfreeze) that the bank signs first and the regulator co-signs: the
 * EIP-712 message both sign, their signatures and where it stands. The regulator node reads it from the bank node
 * (GET /approvals/:id) and checks it against its own records before it signs.
 */

/** The EIP-712 message of a review (FacilityManager's Review type), JSON-safe. */
export const ReviewMessage = z.object({
  facilityId: IdText,
  nonce: z.int(),
  newRateBps: z.int(),
  subsidyEligible: z.boolean(),
  reportHash: HashText.meta({ description: "keccak256 of the review report's JSON text" }),
  deadline: IdText,
});
export type ReviewMessage = z.infer<typeof ReviewMessage>;

/** The EIP-712 message of an unfreeze (FacilityManager's Unfreeze type), JSON-safe. */
export const UnfreezeMessage = z.object({
  facilityId: IdText,
  freezeCount: z.int(),
  reasonHash: HashText,
  deadline: IdText,
});
export type UnfreezeMessage = z.infer<typeof UnfreezeMessage>;

const Signature = z.string().meta({ description: "a 65-byte EIP-712 signature as hex" });

export const ApprovalView = z
  .object({
    id: z.uuid(),
    kind: z.enum(APPROVAL_KINDS),
    facilityId: IdText,
    message: z.union([ReviewMessage, UnfreezeMessage]).meta({ description: "the typed-data message both sign" }),
    bankSignature: Signature.nullable(),
    regulatorSignature: Signature.nullable(),
    status: z.enum(APPROVAL_STATUSES),
    reason: z.string(),
    regulatorRefusal: z
      .object({ reason: z.string(), at: IsoTime })
      .nullable()
      .meta({ description: "the regulator's last refusal to co-sign and why; null when it has not refused" }),
    txHash: TxHash,
    createdBy: z.string(),
    createdAt: IsoTime,
  })
  .meta({ id: "Approval" });
export type ApprovalView = z.infer<typeof ApprovalView>;

export const ApprovalList = pageOf(ApprovalView);
export type ApprovalList = z.infer<typeof ApprovalList>;

/** An approval with the transaction that applied it (null while on its way). */
export const SignedApproval = ApprovalView.extend({ txHash: TxHash }).meta({ id: "SignedApproval" });
export type SignedApproval = z.infer<typeof SignedApproval>;

/**
 * GET /approvals/:id: the approval with, for a review, the report it was proposed with — what crosses from the bank
 * node to the regulator node for co-signing.
 */
export const ApprovalDetail = ApprovalView.extend({
  review: z
    .object({
      inputs: JsonObject.meta({ description: "what the bank computed the metrics from" }),
      decision: ReviewReport,
    })
    .nullable(),
}).meta({ id: "ApprovalDetail" });
export type ApprovalDetail = z.infer<typeof ApprovalDetail>;

/** POST /facilities/:id/reviews: the approval awaiting the regulator, and the report it carries. */
export const ProposedReview = z.object({ approval: ApprovalView, report: ReviewReport }).meta({ id: "ProposedReview" });
export type ProposedReview = z.infer<typeof ProposedReview>;
