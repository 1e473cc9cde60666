import { z } from "zod";
import { CloseResult, OrderRequest, OrderResult, WithdrawResult } from "../../domain/api/settlement";
import { Statement } from "../../domain/api/statement";
import type { Policy } from "../auth/policy";
import { UintString, defineRoute, type RouteDef } from "../http/route";
import { FacilityParams } from "../facilities/schema";
import type { FacilityService } from "../facilities/service";
import { presentStatement } from "./presenter";
import type { Settlement } from "./service";

const Fen = UintString.refine((v) => v > 0n && v < 2n ** 128n, { message: "must be more than 0 fen" }).meta({
  description: "fen, as a decimal string",
});
const Signature65 = z.string().regex(/^0x[0-9a-fA-F]{130}$/, { message: "must be a 65-byte hex signature" });

const InFull = z.boolean().meta({
  description: "pay what is owed (due) when the order lands, up to `amount` (default: owed now and what may accrue)",
});
export const OrderBody = z
  .object({ amount: Fen.optional(), inFull: InFull.optional() })
  .refine((b) => b.amount !== undefined || b.inFull === true, {
    message: "give the amount, or inFull: true",
    path: ["amount"],
  });
export const SignedOrderBody = z.object({
  amount: Fen.meta({ description: "the amount as prepared (a ceiling when inFull)" }),
  inFull: InFull.optional(),
  deadline: UintString.meta({ description: "the order's deadline, seconds of chain time, as prepared" }),
  orderSignature: Signature65.meta({ description: "the payer's EIP-712 signature of the prepared order" }),
  permitSignature: Signature65.meta({ description: "the payer's EIP-2612 permit signature for the amount" }),
});
export const WithdrawBody = z.object({
  amount: Fen.optional().meta({ description: "fen to withdraw; default: the facility's whole balance" }),
});

/**
 * The end of the loan on the bank node: the statement (what is owed by whom, at chain time), the borrower's
 * repayments and the fiscal account's subsidy payments — each prepared here, signed by the payer, relayed by the
 * node — closing and withdrawal to the treasury.
 */
export function settlementRoutes({
  facilities,
  settlement,
  policy,
}: {
  facilities: FacilityService;
  settlement: Settlement;
  policy: Policy;
}): RouteDef<any, any, any, any>[] {
  async function statement(facilityId: bigint) {
    const p = await settlement.position(facilityId);
    return presentStatement(facilityId, p, await facilities.history(facilityId, p.block.number));
  }

  const written = (result: { txHash: string | null }, facilityId: bigint, extra: object = {}) => ({
    status: result.txHash ? 200 : 202,
    body: { facilityId: facilityId.toString(), ...extra, ...result },
  });

  return [
    defineRoute({
      method: "get",
      path: "/facilities/:id/statement",
      operationId: "getStatement",
      summary: "Statement at chain time: interest by segment, what the borrower and the fiscal account owe, payments",
      tags: ["facilities"],
      auth: ["bank_officer", "regulator", "borrower", "fiscal"],
      params: FacilityParams,
      responses: { 200: { description: "the statement", schema: Statement }, 404: { description: "no such facility" } },
      handler: async ({ params, principal }) => {
        await policy.facility(principal!, params.id);
        return { body: await statement(params.id) };
      },
    }),
    defineRoute({
      method: "post",
      path: "/facilities/:id/repayments/order",
      operationId: "prepareRepayment",
      summary: "Prepare a repayment for the borrower to sign: the order and the permit (EIP-712)",
      tags: ["settlement"],
      auth: ["borrower", "bank_officer"],
      params: FacilityParams,
      body: OrderBody,
      responses: {
        200: { description: "the messages the borrower signs", schema: OrderRequest },
        404: { description: "no such facility" },
        422: { description: "more than is owed" },
      },
      handler: async ({ params, body, principal }) => {
        await policy.facility(principal!, params.id, "write");
        return { body: await settlement.prepare("REPAYMENT", params.id, body) };
      },
    }),
    defineRoute({
      method: "post",
      path: "/facilities/:id/repayments",
      operationId: "repay",
      summary: "Repay with the borrower's signed order and permit, relayed by the bank node (interest first)",
      tags: ["settlement"],
      auth: ["borrower", "bank_officer"],
      params: FacilityParams,
      body: SignedOrderBody,
      responses: {
        200: { description: "repaid on chain", schema: OrderResult },
        202: { description: "on its way", schema: OrderResult },
        404: { description: "no such facility" },
        409: { description: "the chain refused it" },
        422: {
          description: "not the borrower's signatures, more than owed, expired, or the borrower holds too little",
        },
      },
      handler: async ({ params, body, principal }) => {
        await policy.facility(principal!, params.id, "write");
        return written(await settlement.repay(principal!, params.id, body), params.id);
      },
    }),
    defineRoute({
      method: "post",
      path: "/facilities/:id/subsidy/order",
      operationId: "prepareSubsidyPayment",
      summary: "Prepare a subsidy payment for the fiscal account to sign: the order and the permit (EIP-712)",
      tags: ["settlement"],
      auth: ["fiscal"],
      params: FacilityParams,
      body: OrderBody,
      responses: {
        200: { description: "the messages the fiscal account signs", schema: OrderRequest },
        404: { description: "no such facility" },
        422: { description: "more than the subsidy due" },
      },
      handler: async ({ params, body, principal }) => {
        await policy.facility(principal!, params.id, "write");
        return { body: await settlement.prepare("SUBSIDY", params.id, body) };
      },
    }),
    defineRoute({
      method: "post",
      path: "/facilities/:id/subsidy",
      operationId: "paySubsidy",
      summary: "Pay subsidy with the fiscal account's signed order and permit, relayed by the bank node",
      tags: ["settlement"],
      auth: ["fiscal"],
      params: FacilityParams,
      body: SignedOrderBody,
      responses: {
        200: { description: "paid on chain", schema: OrderResult },
        202: { description: "on its way", schema: OrderResult },
        404: { description: "no such facility" },
        409: { description: "the chain refused it" },
        422: { description: "not the fiscal account's signatures, more than due, expired, or too little held" },
      },
      handler: async ({ params, body, principal }) => {
        await policy.facility(principal!, params.id, "write");
        return written(await settlement.paySubsidy(principal!, params.id, body), params.id);
      },
    }),
    defineRoute({
      method: "post",
      path: "/facilities/:id/close",
      operationId: "closeFacility",
      summary: "Close a facility that owes nothing (not while frozen)",
      tags: ["settlement"],
      auth: ["bank_officer"],
      params: FacilityParams,
      responses: {
        200: { description: "closed on chain", schema: CloseResult },
        202: { description: "on its way", schema: CloseResult },
        404: { description: "no such facility" },
        409: { description: "principal or interest still owed, frozen, or already closed" },
      },
      handler: async ({ params, principal }) => {
        await policy.facility(principal!, params.id, "write");
        return written(await settlement.close(principal!, params.id), params.id);
      },
    }),
    defineRoute({
      method: "post",
      path: "/facilities/:id/withdraw",
      operationId: "withdrawToTreasury",
      summary: "Withdraw from a facility's balance to the treasury governance set (not while frozen)",
      tags: ["settlement"],
      auth: ["bank_officer"],
      params: FacilityParams,
      body: WithdrawBody,
      responses: {
        200: { description: "withdrawn on chain", schema: WithdrawResult },
        202: { description: "on its way", schema: WithdrawResult },
        404: { description: "no such facility" },
        409: { description: "frozen, or no treasury set" },
        422: { description: "more than the facility's balance, or nothing to withdraw" },
      },
      handler: async ({ params, body, principal }) => {
        await policy.facility(principal!, params.id, "write");
        return written(await settlement.withdraw(principal!, params.id, body?.amount), params.id);
      },
    }),
  ];
}
