import { z } from "zod";
import { CloseResult, OrderRequest, OrderResult, WithdrawResult } from "../../domain/api/settlement";
import { Statement } from "../../domain/api/statement";
import type { Policy } from "../auth/policy";
import { NO_SUCH_FACILITY, facilityRouteOf } from "../auth/scoped-routes";
import { UintString, chainWriteAnswer, chainWriteResponses, type RouteDef } from "../http/route";
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

/** The two payers of a facility's debt: each signs an order the node prepared, then the node relays it. */
const PAYERS = [
  {
    kind: "REPAYMENT",
    path: "repayments",
    auth: ["borrower", "bank_officer"],
    prepare: {
      operationId: "prepareRepayment",
      what: "a repayment",
      who: "the borrower",
      tooMuch: "more than is owed",
    },
    pay: {
      operationId: "repay",
      summary: "Repay with the borrower's signed order and permit, relayed by the bank node (interest first)",
      onChain: "repaid on chain",
      refused: "not the borrower's signatures, more than owed, expired, or the borrower holds too little",
      with: "repay",
    },
  },
  {
    kind: "SUBSIDY",
    path: "subsidy",
    auth: ["fiscal"],
    prepare: {
      operationId: "prepareSubsidyPayment",
      what: "a subsidy payment",
      who: "the fiscal account",
      tooMuch: "more than the subsidy due",
    },
    pay: {
      operationId: "paySubsidy",
      summary: "Pay subsidy with the fiscal account's signed order and permit, relayed by the bank node",
      onChain: "paid on chain",
      refused: "not the fiscal account's signatures, more than due, expired, or too little held",
      with: "paySubsidy",
    },
  },
] as const;

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
  const facilityRoute = facilityRouteOf(policy);
  const written = (result: { txHash: string | null }, facilityId: bigint) =>
    chainWriteAnswer(result.txHash, { facilityId: facilityId.toString(), ...result });

  return [
    facilityRoute("read", {
      method: "get",
      path: "/facilities/:id/statement",
      operationId: "getStatement",
      summary: "Statement at chain time: interest by segment, what the borrower and the fiscal account owe, payments",
      tags: ["facilities"],
      auth: ["bank_officer", "regulator", "borrower", "fiscal"],
      responses: { 200: { description: "the statement", schema: Statement }, 404: NO_SUCH_FACILITY },
      handler: async ({ params }) => {
        const p = await settlement.position(params.id);
        return { body: presentStatement(params.id, p, await facilities.history(params.id, p.block.number)) };
      },
    }),
    ...PAYERS.flatMap(({ kind, path, auth, prepare, pay }) => [
      facilityRoute("write", {
        method: "post",
        path: `/facilities/:id/${path}/order`,
        operationId: prepare.operationId,
        summary: `Prepare ${prepare.what} for ${prepare.who} to sign: the order and the permit (EIP-712)`,
        tags: ["settlement"],
        auth,
        body: OrderBody,
        responses: {
          200: { description: `the messages ${prepare.who} signs`, schema: OrderRequest },
          404: NO_SUCH_FACILITY,
          422: { description: prepare.tooMuch },
        },
        handler: async ({ params, body }) => ({ body: await settlement.prepare(kind, params.id, body) }),
      }),
      facilityRoute("write", {
        method: "post",
        path: `/facilities/:id/${path}`,
        operationId: pay.operationId,
        summary: pay.summary,
        tags: ["settlement"],
        auth,
        body: SignedOrderBody,
        responses: {
          ...chainWriteResponses(OrderResult, pay.onChain),
          404: NO_SUCH_FACILITY,
          409: { description: "the chain refused it" },
          422: { description: pay.refused },
        },
        handler: async ({ params, body, principal }) =>
          written(await settlement[pay.with](principal!, params.id, body), params.id),
      }),
    ]),
    facilityRoute("write", {
      method: "post",
      path: "/facilities/:id/close",
      operationId: "closeFacility",
      summary: "Close a facility that owes nothing (not while frozen)",
      tags: ["settlement"],
      auth: ["bank_officer"],
      responses: {
        ...chainWriteResponses(CloseResult, "closed on chain"),
        404: NO_SUCH_FACILITY,
        409: { description: "principal or interest still owed, frozen, or already closed" },
      },
      handler: async ({ params, principal }) => written(await settlement.close(principal!, params.id), params.id),
    }),
    facilityRoute("write", {
      method: "post",
      path: "/facilities/:id/withdraw",
      operationId: "withdrawToTreasury",
      summary: "Withdraw from a facility's balance to the treasury governance set (not while frozen)",
      tags: ["settlement"],
      auth: ["bank_officer"],
      body: WithdrawBody,
      responses: {
        ...chainWriteResponses(WithdrawResult, "withdrawn on chain"),
        404: NO_SUCH_FACILITY,
        409: { description: "frozen, or no treasury set" },
        422: { description: "more than the facility's balance, or nothing to withdraw" },
      },
      handler: async ({ params, body, principal }) =>
        written(await settlement.withdraw(principal!, params.id, body?.amount), params.id),
    }),
  ];
}
