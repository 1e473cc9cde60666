import { z } from "zod";
import { Statement } from "../../domain/api/statement";
import type { Policy } from "../auth/policy";
import { UintString, defineRoute, type RouteDef } from "../http/route";
import { FacilityParams } from "../facilities/schema";
import type { FacilityService } from "../facilities/service";
import type { Settlement } from "./service";

const STATUS = ["NONE", "ACTIVE", "FROZEN", "CLOSED"] as const;
const Any = z.record(z.string(), z.unknown());
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

const iso = (seconds: number | bigint) => new Date(Number(seconds) * 1000).toISOString();

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
    const events = await facilities.history(facilityId, p.block.number);
    const { state } = p;
    const named = (name: string) => events.filter((e) => e.name === name);
    const segments = named("InterestAccrued").map((e) => ({
      from: iso(e.args.from),
      to: iso(e.args.to),
      principal: e.args.principal,
      rateBps: Number(e.args.rateBps),
      interest: e.args.interest,
      subsidy: e.args.subsidy,
      txHash: e.txHash,
    }));
    const booked = segments.reduce((sum, s) => sum + BigInt(s.interest), 0n);
    const status = STATUS[Number(state.status)];
    return {
      facilityId: facilityId.toString(),
      /** The chain's time and block the figures were read at. */
      at: iso(p.block.timestamp),
      blockNumber: p.block.number,
      status,
      rateBps: Number(state.rateBps),
      subsidyEligible: state.subsidyEligible,
      principal: p.principal.toString(),
      drawn: state.drawn.toString(),
      principalRepaid: state.principalRepaid.toString(),
      interestAccrued: state.interestAccrued.toString(),
      subsidyAccrued: state.subsidyAccrued.toString(),
      interestRepaid: state.interestRepaid.toString(),
      interestDue: p.interestDue.toString(),
      subsidyPaid: state.subsidyPaid.toString(),
      subsidyDue: p.subsidyDue.toString(),
      amountOwed: (p.principal + p.interestDue).toString(),
      /** Who owes what now: the borrower its principal and its share of the interest, the fiscal account the subsidy. */
      owedBy: {
        borrower: {
          address: state.borrower,
          principal: p.principal.toString(),
          interest: p.interestDue.toString(),
          total: (p.principal + p.interestDue).toString(),
        },
        fiscal: { subsidy: p.subsidyDue.toString() },
      },
      balance: state.balance.toString(),
      funded: state.funded.toString(),
      withdrawn: state.withdrawn.toString(),
      treasury: BigInt(p.treasury) === 0n ? null : p.treasury,
      closable: status === "ACTIVE" && p.principal === 0n && p.interestDue === 0n,
      segments: [
        ...segments,
        {
          from: iso(state.lastAccrual),
          to: null,
          principal: state.principal.toString(),
          rateBps: Number(state.rateBps),
          interest: (state.interestAccrued - booked).toString(),
          subsidy: null,
          open: true,
        },
      ],
      repayments: named("Repaid").map((e) => ({
        at: iso(e.at),
        payer: e.args.payer,
        interestPaid: e.args.interestPaid,
        principalPaid: e.args.principalPaid,
        txHash: e.txHash,
      })),
      subsidyPayments: named("SubsidyPaid").map((e) => ({
        at: iso(e.at),
        payer: e.args.payer,
        amount: e.args.amount,
        txHash: e.txHash,
      })),
      withdrawals: named("FundsWithdrawn").map((e) => ({
        at: iso(e.at),
        to: e.args.to,
        amount: e.args.amount,
        txHash: e.txHash,
      })),
      rateHistory: named("ReviewApplied").map((e) => ({
        at: iso(e.at),
        from: Number(e.args.previousRateBps),
        to: Number(e.args.newRateBps),
        subsidyEligible: e.args.subsidyEligible,
        txHash: e.txHash,
      })),
    };
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
        200: { description: "the messages the borrower signs", schema: Any },
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
        200: { description: "repaid on chain", schema: Any },
        202: { description: "on its way", schema: Any },
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
        200: { description: "the messages the fiscal account signs", schema: Any },
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
        200: { description: "paid on chain", schema: Any },
        202: { description: "on its way", schema: Any },
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
        200: { description: "closed on chain", schema: Any },
        202: { description: "on its way", schema: Any },
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
        200: { description: "withdrawn on chain", schema: Any },
        202: { description: "on its way", schema: Any },
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
