import { z } from "zod";
import { pageQuery } from "../../domain/api/page";
import { ApprovalDetail, ApprovalList, ApprovalView, ProposedReview, SignedApproval } from "../../domain/api/approvals";
import { ReviewList } from "../../domain/api/reviews";
import { APPROVAL_STATUSES } from "../../domain/enums";
import type { Policy } from "../auth/policy";
import { authorizedRoute, facilityRouteOf } from "../auth/scoped-routes";
import { ReviewBody, UnfreezeBody } from "../facilities/schema";
import { Text, chainWriteAnswer, chainWriteResponses, type RouteDef } from "../http/route";
import { toJson } from "../rules/values";
import { presentApproval, presentReview } from "./presenter";
import { ApprovalParams } from "./schema";
import type { ApprovalService } from "./service";

/** The joint decisions on the bank node: reviews, unfreezing, and the regulator's co-signature or refusal. */
export function approvalRoutes({
  approvals,
  policy,
}: {
  approvals: ApprovalService;
  policy: Policy;
}): RouteDef<any, any, any, any>[] {
  const facilityRoute = facilityRouteOf(policy);
  return [
    facilityRoute("write", {
      method: "post",
      path: "/facilities/:id/reviews",
      operationId: "proposeReview",
      summary: "Run the quarterly review and sign it for the bank",
      tags: ["reviews"],
      auth: ["bank_officer"],
      body: ReviewBody,
      responses: {
        201: {
          description: "the decision with its inputs, awaiting the regulator's signature",
          schema: ProposedReview,
        },
      },
      handler: async ({ principal, params, body }) => {
        const { approval, report } = await approvals.proposeReview(principal!, params.id, {
          from: body.periodFrom === undefined ? undefined : new Date(body.periodFrom),
          to: body.periodTo === undefined ? undefined : new Date(body.periodTo),
        });
        return { status: 201, body: { approval: presentApproval(approval), report: toJson(report) } };
      },
    }),
    facilityRoute("read", {
      method: "get",
      path: "/facilities/:id/reviews",
      operationId: "listReviews",
      summary: "List a facility's reviews with their inputs and decisions",
      tags: ["reviews"],
      auth: ["bank_officer", "regulator", "borrower"],
      query: pageQuery(),
      responses: { 200: { description: "reviews, oldest first", schema: ReviewList } },
      handler: async ({ params, query }) => {
        await approvals.row(params.id); // an unknown facility is a 404, not an empty list
        const page = await approvals.reviewsOf(params.id, query);
        return { body: { ...page, items: page.items.map(presentReview) } };
      },
    }),
    facilityRoute("write", {
      method: "post",
      path: "/facilities/:id/unfreeze",
      operationId: "proposeUnfreeze",
      summary: "Propose lifting a freeze (signed by the bank; needs the regulator too)",
      tags: ["reviews"],
      auth: ["bank_officer"],
      body: UnfreezeBody,
      responses: {
        201: { description: "awaiting the regulator's signature", schema: ApprovalView },
        409: { description: "not frozen, or already proposed" },
      },
      handler: async ({ principal, params, body }) => ({
        status: 201,
        body: presentApproval(await approvals.proposeUnfreeze(principal!, params.id, body.reason)),
      }),
    }),
    authorizedRoute("write", "institutional", {
      method: "get",
      path: "/approvals",
      operationId: "listApprovals",
      summary: "List joint decisions",
      tags: ["reviews"],
      auth: ["bank_officer", "regulator"],
      query: z.object({ status: z.enum(APPROVAL_STATUSES).optional(), ...pageQuery().shape }),
      responses: { 200: { description: "approvals", schema: ApprovalList } },
      handler: async ({ query }) => {
        const page = await approvals.listApprovals(query);
        return { body: { ...page, items: page.items.map(presentApproval) } };
      },
    }),
    authorizedRoute("write", "institutional", {
      method: "get",
      path: "/approvals/:approvalId",
      operationId: "getApproval",
      summary: "Get a joint decision",
      tags: ["reviews"],
      auth: ["bank_officer", "regulator"],
      params: ApprovalParams,
      responses: { 200: { description: "the approval", schema: ApprovalDetail }, 404: { description: "unknown" } },
      handler: async ({ params }) => {
        const { approval, review } = await approvals.approvalOf(params.approvalId);
        return {
          body: {
            ...presentApproval(approval),
            review: review ? { inputs: JSON.parse(review.inputs), decision: JSON.parse(review.decision) } : null,
          },
        };
      },
    }),
    authorizedRoute("write", "institutional", {
      method: "post",
      path: "/approvals/:approvalId/signatures",
      operationId: "cosignApproval",
      summary: "Add the regulator's signature: the decision then goes on chain",
      tags: ["reviews"],
      auth: ["regulator"],
      params: ApprovalParams,
      body: z.object({
        signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, { message: "must be a 65-byte hex signature" }),
      }),
      responses: {
        ...chainWriteResponses(
          SignedApproval,
          "applied on chain",
          "co-signed; the decision is on its way to the chain",
        ),
        409: { description: "not pending, or refused by the chain" },
        422: { description: "not a regulator's signature" },
      },
      handler: async ({ params, body }) => {
        const { approval, txHash } = await approvals.cosign(params.approvalId, body.signature);
        return chainWriteAnswer(txHash, { ...presentApproval(approval), txHash });
      },
    }),
    authorizedRoute("write", "institutional", {
      method: "post",
      path: "/approvals/:approvalId/refusals",
      operationId: "refuseApproval",
      summary: "Record the regulator's refusal to co-sign, with its reason (shown in the approval)",
      tags: ["reviews"],
      auth: ["regulator"],
      params: ApprovalParams,
      body: z.object({ reason: Text(8_000) }),
      responses: {
        200: { description: "the approval with the refusal", schema: ApprovalView },
        404: { description: "unknown" },
        409: { description: "not pending" },
      },
      handler: async ({ params, body }) => ({
        body: presentApproval(await approvals.recordRefusal(params.approvalId, body.reason)),
      }),
    }),
  ];
}
