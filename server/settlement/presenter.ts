import type { FacilityEvents } from "../facilities/chain-view";
import type { Settlement } from "./service";

const STATUS = ["NONE", "ACTIVE", "FROZEN", "CLOSED"] as const;

const iso = (seconds: number | bigint) => new Date(Number(seconds) * 1000).toISOString();

/**
 * A facility's statement at chain time: its position (read at one block) and its events up to that block — interest
 * by segment, what the borrower and the fiscal account owe, repayments, subsidy payments, withdrawals, rate changes.
 */
export function presentStatement(
  facilityId: bigint,
  p: Awaited<ReturnType<Settlement["position"]>>,
  events: FacilityEvents,
) {
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
