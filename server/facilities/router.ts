import { z } from "zod";
import { ApprovalDetail, ApprovalList, ApprovalView, ProposedReview, SignedApproval } from "../../domain/api/approvals";
import {
  CreatedFacility,
  EvidenceList,
  FacilityDetail,
  FacilityList,
  FundResult,
  PaymentList,
  PaymentResult,
} from "../../domain/api/facilities";
import { ProductList } from "../../domain/api/products";
import { ReviewList } from "../../domain/api/reviews";
import { APPROVAL_STATUSES, FACILITY_STATUS as STATUS } from "../../domain/enums";
import type { Policy } from "../auth/policy";
import { Text, defineRoute, type RouteDef } from "../http/route";
import { Address } from "../payees/router";
import type { ProductCatalog } from "../rules/products";
import { toJson } from "../rules/values";
import {
  CreateFacilityBody,
  FacilityParams,
  PaymentParams,
  Readiness,
  ReadinessQuery,
  RequestPaymentBody,
  ReviewBody,
  UnfreezeBody,
} from "./schema";
import type { FacilityService } from "./service";

type FacilityRow = Awaited<ReturnType<FacilityService["list"]>>[number];

function presentRow(row: FacilityRow) {
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

function presentApproval(a: {
  id: string;
  kind: string;
  facilityId: bigint;
  message: string;
  bankSignature: string | null;
  regulatorSignature: string | null;
  status: string;
  reason: string;
  txHash: string | null;
  createdBy: string;
  createdAt: Date;
  regulatorRefusal?: string | null;
}) {
  return {
    id: a.id,
    kind: a.kind,
    facilityId: a.facilityId.toString(),
    message: JSON.parse(a.message),
    bankSignature: a.bankSignature,
    regulatorSignature: a.regulatorSignature,
    status: a.status,
    reason: a.reason,
    /** The regulator's last refusal to co-sign and why ({reason, at}); null when it has not refused. */
    regulatorRefusal: a.regulatorRefusal ? (JSON.parse(a.regulatorRefusal) as { reason: string; at: string }) : null,
    txHash: a.txHash,
    createdBy: a.createdBy,
    createdAt: a.createdAt.toISOString(),
  };
}

/** The bank's facility, payment, statement and joint-decision routes. */
export function facilityRoutes({
  facilities,
  catalog,
  db,
  policy,
}: {
  facilities: FacilityService;
  catalog: ProductCatalog;
  db: import("../db/client").Database;
  policy: Policy;
}): RouteDef<any, any, any, any>[] {
  async function detail(facilityId: bigint) {
    const [row, { state, payments }] = await Promise.all([
      facilities.row(facilityId),
      facilities.chainView(facilityId),
    ]);
    const funding = await facilities.fundingOf(facilityId, state);
    // Where the next review period must start (the opening, or where the last applied review ended); null if unknown.
    const nextReviewFrom = await facilities
      .nextReviewStart(facilityId)
      .then((s) => new Date(s * 1000).toISOString())
      .catch(() => null);
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

  return [
    defineRoute({
      method: "get",
      path: "/products",
      operationId: "listProducts",
      summary: "List loan products",
      tags: ["facilities"],
      auth: ["bank_officer", "regulator", "borrower"],
      responses: { 200: { description: "the products (rules as data)", schema: ProductList } },
      handler: async ({ principal }) => {
        policy.institutional(principal!, { type: "catalog" });
        return { body: { items: catalog.products } };
      },
    }),
    defineRoute({
      method: "post",
      path: "/facilities",
      operationId: "createFacility",
      summary: "Create a quality loan facility with its payment plan",
      tags: ["facilities"],
      auth: ["bank_officer"],
      body: CreateFacilityBody,
      responses: {
        201: { description: "created on chain", schema: CreatedFacility },
        202: { description: "accepted; the chain write is on its way", schema: CreatedFacility },
        422: { description: "plan under the quality floor, over the limit, unknown payee, or no grade" },
      },
      handler: async ({ principal, body }) => {
        policy.institutional(principal!, { type: "institutional" });
        const { facility, txHash } = await facilities.create(principal!, body);
        return { status: facility.facilityId === null ? 202 : 201, body: { ...presentRow(facility), txHash } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/facilities",
      operationId: "listFacilities",
      summary: "List facilities",
      tags: ["facilities"],
      auth: ["bank_officer", "regulator", "borrower", "fiscal"],
      query: z.object({ borrower: z.string().optional() }),
      responses: { 200: { description: "facilities", schema: FacilityList } },
      handler: async ({ query, principal }) => {
        let rows = await facilities.list(policy.facilityWhere(principal!));
        if (query.borrower) rows = rows.filter((r) => r.borrower.toLowerCase() === query.borrower!.toLowerCase());
        return { body: { items: rows.map(presentRow) } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/facilities/:id",
      operationId: "getFacility",
      summary: "Get a facility: terms, chain state and payment plan",
      tags: ["facilities"],
      auth: ["bank_officer", "regulator", "borrower"],
      params: FacilityParams,
      responses: {
        200: { description: "the facility", schema: FacilityDetail },
        404: { description: "no such facility" },
      },
      handler: async ({ params, principal }) => {
        await policy.facility(principal!, params.id);
        return { body: await detail(params.id) };
      },
    }),
    defineRoute({
      method: "post",
      path: "/facilities/:id/fund",
      operationId: "fundFacility",
      summary: "Fund a facility up to its plan total (retry a failed funding; idempotent)",
      tags: ["facilities"],
      auth: ["bank_officer"],
      params: FacilityParams,
      responses: {
        200: { description: "funded on chain (or already funded)", schema: FundResult },
        202: { description: "the funding is on its way", schema: FundResult },
        404: { description: "no such facility" },
        409: { description: "closed, the bank node's float is short, or the chain refused the funding" },
      },
      handler: async ({ principal, params }) => {
        await policy.facility(principal!, params.id, "write");
        const { funding, txHash } = await facilities.fund(principal!, params.id);
        return {
          status: funding.status === "FUNDED" ? 200 : 202,
          body: { facilityId: params.id.toString(), funding, txHash },
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/payments",
      operationId: "listEntrustedPayments",
      summary: "List entrusted payments across facilities, optionally to one payee",
      tags: ["payments"],
      auth: ["bank_officer", "regulator", "supplier"],
      query: z.object({ payee: Address.optional().meta({ description: "only payments to this payee" }) }),
      responses: { 200: { description: "payments, read from the chain", schema: PaymentList } },
      handler: async ({ query, principal }) => {
        const items = [];
        for (const row of await facilities.list(policy.facilityWhere(principal!))) {
          if (row.facilityId === null) continue;
          const facts = { facilityId: row.facilityId, borrower: row.borrower, payees: [] };
          for (const p of await facilities.payments(row.facilityId)) {
            if (query.payee && p.payee !== query.payee) continue;
            // A payee's key sees the facilities that pay it, and of their payments only its own.
            if (!policy.can(principal!, "read", { type: "payment", facility: facts, payee: p.payee })) continue;
            items.push({
              facilityId: row.facilityId.toString(),
              borrowerName: row.borrowerName,
              ...p,
              amount: p.amount.toString(),
            });
          }
        }
        return { body: { items } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/facilities/:id/payments/:index/readiness",
      operationId: "getPaymentReadiness",
      summary: "Check what an entrusted payment still needs",
      tags: ["payments"],
      auth: ["bank_officer", "regulator", "borrower", "supplier"],
      params: PaymentParams,
      query: ReadinessQuery,
      responses: { 200: { description: "ready, or what blocks it", schema: Readiness } },
      handler: async ({ params, principal, query }) => {
        await policy.payment(principal!, params.id, params.index);
        const { ready, blockers, evidenceIds, documentIds, considered } = await facilities.readiness(
          params.id,
          params.index,
          query.evidence,
        );
        return { body: { ready, blockers, evidenceIds, documentIds, considered } };
      },
    }),
    defineRoute({
      method: "post",
      path: "/facilities/:id/payments/:index",
      operationId: "requestPayment",
      summary: "Request an entrusted payment to its payee",
      tags: ["payments"],
      auth: ["bank_officer"],
      params: PaymentParams,
      body: RequestPaymentBody,
      responses: {
        200: { description: "paid to the payee on chain", schema: PaymentResult },
        202: { description: "submitted; on its way", schema: PaymentResult },
        409: { description: "blocked: the problem lists every blocker (evidence, verdicts, freeze, funds)" },
      },
      handler: async ({ principal, params, body }) => {
        await policy.payment(principal!, params.id, params.index, "write");
        const result = await facilities.requestPayment(principal!, params.id, params.index, body?.evidence);
        return {
          status: result.txHash ? 200 : 202,
          body: toJson({ ...result, facilityId: params.id, index: params.index }),
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/facilities/:id/evidence",
      operationId: "listFacilityEvidence",
      summary: "List a facility's evidence with each verifier's verdict on chain",
      tags: ["facilities"],
      auth: ["bank_officer", "regulator", "borrower"],
      params: FacilityParams,
      responses: { 200: { description: "evidence", schema: EvidenceList } },
      handler: async ({ params, principal }) => {
        await policy.facility(principal!, params.id);
        await facilities.row(params.id); // an unknown facility is a 404, not an empty list
        return { body: { items: toJson(await facilities.evidenceOf(params.id)) } };
      },
    }),
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
        const { approval, report } = await facilities.proposeReview(principal!, params.id, {
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
      responses: { 200: { description: "reviews", schema: ReviewList } },
      handler: async ({ params, principal }) => {
        await policy.facility(principal!, params.id);
        await facilities.row(params.id); // an unknown facility is a 404, not an empty list
        const rows = await db.prisma.reviewDecision.findMany({
          where: { facilityId: params.id },
          orderBy: { createdAt: "asc" },
        });
        return {
          body: {
            items: rows.map((r) => ({
              id: r.id,
              periodFrom: r.periodFrom.toISOString(),
              periodTo: r.periodTo.toISOString(),
              product: r.productId,
              inputs: JSON.parse(r.inputs),
              decision: JSON.parse(r.decision),
              approvalId: r.approvalId,
              createdAt: r.createdAt.toISOString(),
            })),
          },
        };
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
          body: presentApproval(await facilities.proposeUnfreeze(principal!, params.id, body.reason)),
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
      query: z.object({ status: z.enum(APPROVAL_STATUSES).optional() }),
      responses: { 200: { description: "approvals", schema: ApprovalList } },
      handler: async ({ query, principal }) => {
        policy.institutional(principal!, { type: "institutional" });
        const rows = await db.prisma.approval.findMany({
          where: { status: query.status },
          orderBy: { createdAt: "asc" },
        });
        return { body: { items: rows.map(presentApproval) } };
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
        const approval = await db.prisma.approval.findUnique({ where: { id: params.approvalId } });
        if (!approval) throw (await import("../errors")).notFound(`approval ${params.approvalId}`);
        const review =
          approval.kind === "REVIEW"
            ? await db.prisma.reviewDecision.findFirst({ where: { approvalId: approval.id } })
            : null;
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
        const { approval, txHash } = await facilities.cosign(params.approvalId, body.signature);
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
        return { body: presentApproval(await facilities.recordRefusal(params.approvalId, body.reason)) };
      },
    }),
  ];
}
