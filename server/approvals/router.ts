import { z } from "zod";
import { pageQuery } from "../../domain/api/page";
import { ApprovalDetail, ApprovalList, ApprovalView, ProposedReview, SignedApproval } from "../../domain/api/approvals";
import { ReviewList } from "../../domain/api/reviews";
import { APPROVAL_STATUSES } from "../../domain/enums";
import type { Policy } from "../auth/policy";
import { FacilityParams, ReviewBody, UnfreezeBody } from "../facilities/schema";
import { Text, defineRoute, type RouteDef } from "../http/route";
import { toJson } from "../rules/values";
import { presentApproval, presentReview } from "./presenter";
import type { ApprovalService } from "./service";

/** The joint decisions on the bank node: reviews, unfreezing, and the regulator's co-signature or refusal. */
export function approvalRoutes({
  approvals,
  policy,
}: {
  approvals: ApprovalService;
  policy: Policy;
}): RouteDef<any, any, any, any>[] {
  return [
    defineRoute({
      method: "post",
      path: "/facilities/:id/reviews",
      operationId: "proposeReview",
      summary: "Run the quarterly review and sign it for the bank",
      tags: ["reviews"],
      auth: ["bank_officer"],
      params: FacilityParams,
      body: ReviewBody,
      responses: {
        201: {
          description: "the decision with its inputs, awaiting the regulator's signature",
          schema: ProposedReview,
        },
      },
      handler: async ({ principal, params, body }) => {
        await policy.facility(principal!, params.id, "write");
        const { approval, report } = await approvals.proposeReview(principal!, params.id, {
          from: body.periodFrom === undefined ? undefined : new Date(body.periodFrom),
          to: body.periodTo === undefined ? undefined : new Date(body.periodTo),
        });
        return { status: 201, body: { approval: presentApproval(approval), report: toJson(report) } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/facilities/:id/reviews",
      operationId: "listReviews",
      summary: "List a facility's reviews with their inputs and decisions",
      tags: ["reviews"],
      auth: ["bank_officer", "regulator", "borrower"],
      params: FacilityParams,
      query: pageQuery(),
      responses: { 200: { description: "reviews, oldest first", schema: ReviewList } },
      handler: async ({ params, query, principal }) => {
        await policy.facility(principal!, params.id);
        await approvals.row(params.id); // an unknown facility is a 404, not an empty list
        const page = await approvals.reviewsOf(params.id, query);
        return { body: { ...page, items: page.items.map(presentReview) } };
      },
    }),
    defineRoute({
      method: "post",
      path: "/facilities/:id/unfreeze",
      operationId: "proposeUnfreeze",
      summary: "Propose lifting a freeze (signed by the bank; needs the regulator too)",
      tags: ["reviews"],
      auth: ["bank_officer"],
      params: FacilityParams,
      body: UnfreezeBody,
      responses: {
        201: { description: "awaiting the regulator's signature", schema: ApprovalView },
        409: { description: "not frozen, or already proposed" },
      },
      handler: async ({ principal, params, body }) => {
        await policy.facility(principal!, params.id, "write");
        return {
          status: 201,
          body: presentApproval(await approvals.proposeUnfreeze(principal!, params.id, body.reason)),
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/approvals",
      operationId: "listApprovals",
      summary: "List joint decisions",
      tags: ["reviews"],
      auth: ["bank_officer", "regulator"],
      query: z.object({ status: z.enum(APPROVAL_STATUSES).optional(), ...pageQuery().shape }),
      responses: { 200: { description: "approvals", schema: ApprovalList } },
      handler: async ({ query, principal }) => {
        policy.institutional(principal!, { type: "institutional" });
        const page = await approvals.listApprovals(query);
        return { body: { ...page, items: page.items.map(presentApproval) } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/approvals/:approvalId",
      operationId: "getApproval",
      summary: "Get a joint decision",
      tags: ["reviews"],
      auth: ["bank_officer", "regulator"],
      params: z.object({ approvalId: z.uuid() }),
      responses: { 200: { description: "the approval", schema: ApprovalDetail }, 404: { description: "unknown" } },
      handler: async ({ params, principal }) => {
        policy.institutional(principal!, { type: "institutional" });
        const { approval, review } = await approvals.approvalOf(params.approvalId);
        return {
          body: {
            ...presentApproval(approval),
            review: review ? { inputs: JSON.parse(review.inputs), decision: JSON.parse(review.decision) } : null,
          },
        };
      },
    }),
    defineRoute({
      method: "post",
      path: "/approvals/:approvalId/signatures",
      operationId: "cosignApproval",
      summary: "Add the regulator's signature: the decision then goes on chain",
      tags: ["reviews"],
      auth: ["regulator"],
      params: z.object({ approvalId: z.uuid() }),
      body: z.object({
        signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, { message: "must be a 65-byte hex signature" }),
      }),
      responses: {
        200: { description: "applied on chain", schema: SignedApproval },
        202: { description: "co-signed; the decision is on its way to the chain", schema: SignedApproval },
        409: { description: "not pending, or refused by the chain" },
        422: { description: "not a regulator's signature" },
      },
      handler: async ({ params, body, principal }) => {
        policy.institutional(principal!, { type: "institutional" });
        const { approval, txHash } = await approvals.cosign(params.approvalId, body.signature);
        return { status: txHash ? 200 : 202, body: { ...presentApproval(approval), txHash } };
      },
    }),
    defineRoute({
      method: "post",
      path: "/approvals/:approvalId/refusals",
      operationId: "refuseApproval",
      summary: "Record the regulator's refusal to co-sign, with its reason (shown in the approval)",
      tags: ["reviews"],
      auth: ["regulator"],
      params: z.object({ approvalId: z.uuid() }),
      body: z.object({ reason: Text(8_000) }),
      responses: {
        200: { description: "the approval with the refusal", schema: ApprovalView },
        404: { description: "unknown" },
        409: { description: "not pending" },
      },
      handler: async ({ params, body, principal }) => {
        policy.institutional(principal!, { type: "institutional" });
        return { body: presentApproval(await approvals.recordRefusal(params.approvalId, body.reason)) };
      },
    }),
  ];
}
