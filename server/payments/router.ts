import { z } from "zod";
import { pageQuery } from "../../domain/api/page";
import { pageOfList } from "../http/page";
import { PaymentList, PaymentResult } from "../../domain/api/facilities";
import type { Policy } from "../auth/policy";
import { paymentRouteOf } from "../auth/scoped-routes";
import { Readiness, ReadinessQuery, RequestPaymentBody } from "../facilities/schema";
import { chainWriteAnswer, chainWriteResponses, defineRoute, type RouteDef } from "../http/route";
import { Address } from "../payees/schema";
import { toJson } from "../rules/values";
import type { PaymentService } from "./service";

/** The bank's entrusted-payment routes: the payments across facilities, the pre-flight, the request. */
export function paymentRoutes({
  payments,
  policy,
}: {
  payments: PaymentService;
  policy: Policy;
}): RouteDef<any, any, any, any>[] {
  const paymentRoute = paymentRouteOf(policy);
  return [
    defineRoute({
      method: "get",
      path: "/payments",
      operationId: "listEntrustedPayments",
      summary: "List entrusted payments across facilities, optionally to one payee",
      tags: ["payments"],
      auth: ["bank_officer", "regulator", "supplier"],
      query: z.object({
        payee: Address.optional().meta({ description: "only payments to this payee" }),
        ...pageQuery().shape,
      }),
      responses: { 200: { description: "payments, read from the chain", schema: PaymentList } },
      handler: async ({ query, principal }) => {
        const items = [];
        for (const row of await payments.facilities(policy.facilityWhere(principal!))) {
          if (row.facilityId === null) continue;
          const facts = { facilityId: row.facilityId, borrower: row.borrower, payees: [] };
          for (const p of await payments.payments(row.facilityId)) {
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
        return { body: pageOfList(items, query, (p) => `${p.facilityId}:${p.index}`) };
      },
    }),
    paymentRoute("read", {
      method: "get",
      path: "/facilities/:id/payments/:index/readiness",
      operationId: "getPaymentReadiness",
      summary: "Check what an entrusted payment still needs",
      tags: ["payments"],
      auth: ["bank_officer", "regulator", "borrower", "supplier"],
      query: ReadinessQuery,
      responses: { 200: { description: "ready, or what blocks it", schema: Readiness } },
      handler: async ({ params, query }) => {
        const { ready, blockers, evidenceIds, documentIds, considered } = await payments.readiness(
          params.id,
          params.index,
          query.evidence,
        );
        return { body: { ready, blockers, evidenceIds, documentIds, considered } };
      },
    }),
    paymentRoute("write", {
      method: "post",
      path: "/facilities/:id/payments/:index",
      operationId: "requestPayment",
      summary: "Request an entrusted payment to its payee",
      tags: ["payments"],
      auth: ["bank_officer"],
      body: RequestPaymentBody,
      responses: {
        ...chainWriteResponses(PaymentResult, "paid to the payee on chain", "submitted; on its way"),
        409: { description: "blocked: the problem lists every blocker (evidence, verdicts, freeze, funds)" },
      },
      handler: async ({ principal, params, body }) => {
        const result = await payments.requestPayment(principal!, params.id, params.index, body?.evidence);
        return chainWriteAnswer(result.txHash, toJson({ ...result, facilityId: params.id, index: params.index }));
      },
    }),
  ];
}
