import { expect } from "chai";
import type { ContractTransactionReceipt } from "ethers";
import type { Fixture } from "./fixtures";
import type { HistoryEvent, InterestStatement } from "../../server/rules/interest";

/** An InterestAccrued event's figures, as the contract emitted them. */
export interface AccruedSegment {
  from: bigint;
  to: bigint;
  principal: bigint;
  rateBps: bigint;
  interest: bigint;
  subsidy: bigint;
}

/** What a block did to one facility: the interest-relevant events at the block's time and the segments it closed. */
export interface BlockEffects {
  events: HistoryEvent[];
  accrued: AccruedSegment[];
}

/** Decodes a receipt's FacilityManager events for `facilityId` into the mirror's history events and closed segments. */
export async function effectsOf(
  fx: Fixture,
  facilityId: bigint,
  receipt: ContractTransactionReceipt,
): Promise<BlockEffects> {
  const at = BigInt((await receipt.getBlock()).timestamp);
  const manager = await fx.manager.getAddress();
  const effects: BlockEffects = { events: [], accrued: [] };
  for (const log of receipt.logs) {
    if (log.address !== manager) continue;
    const parsed = fx.manager.interface.parseLog(log);
    if (!parsed || parsed.args.facilityId !== facilityId) continue;
    const a = parsed.args;
    switch (parsed.name) {
      case "PaymentExecuted":
        effects.events.push({ type: "PaymentExecuted", at, amount: a.amount });
        break;
      case "Repaid":
        effects.events.push({ type: "Repaid", at, interestPaid: a.interestPaid, principalPaid: a.principalPaid });
        break;
      case "ReviewApplied":
        effects.events.push({
          type: "ReviewApplied",
          at,
          newRateBps: Number(a.newRateBps),
          subsidyEligible: a.subsidyEligible,
        });
        break;
      case "SubsidyPaid":
        effects.events.push({ type: "SubsidyPaid", at, amount: a.amount });
        break;
      case "InterestAccrued":
        effects.accrued.push({
          from: a.from,
          to: a.to,
          principal: a.principal,
          rateBps: a.rateBps,
          interest: a.interest,
          subsidy: a.subsidy,
        });
        break;
    }
  }
  return effects;
}

/** The mirror's closed segments in the InterestAccrued event's shape. */
export function accruedOf(statement: InterestStatement): AccruedSegment[] {
  return statement.segments
    .filter((s) => s.closed)
    .map((s) => ({
      from: s.from,
      to: s.to,
      principal: s.principal,
      rateBps: BigInt(s.rateBps),
      interest: s.interestFen,
      subsidy: s.subsidyFen,
    }));
}

/** Asserts that the statement is what facility(), outstanding() and subsidyDue() report now, to the fen. */
export async function expectStatementMatchesChain(
  fx: Fixture,
  facilityId: bigint,
  statement: InterestStatement,
  context = "",
): Promise<void> {
  const [state, [principal, interestDue], subsidyDue] = await Promise.all([
    fx.manager.facility(facilityId),
    fx.manager.outstanding(facilityId),
    fx.manager.subsidyDue(facilityId),
  ]);
  const chain = {
    principal: state.principal,
    drawn: state.drawn,
    principalRepaid: state.principalRepaid,
    rateBps: Number(state.rateBps),
    subsidyEligible: state.subsidyEligible,
    lastAccrual: state.lastAccrual,
    interestAccrued: state.interestAccrued,
    subsidyAccrued: state.subsidyAccrued,
    interestRepaid: state.interestRepaid,
    subsidyPaid: state.subsidyPaid,
    outstandingPrincipal: principal,
    interestDue,
    subsidyDue,
  };
  const mirror = {
    principal: statement.principal,
    drawn: statement.drawn,
    principalRepaid: statement.principalRepaid,
    rateBps: statement.rateBps,
    subsidyEligible: statement.subsidyEligible,
    lastAccrual: statement.lastAccrual,
    interestAccrued: statement.interestAccrued,
    subsidyAccrued: statement.subsidyAccrued,
    interestRepaid: statement.interestRepaid,
    subsidyPaid: statement.subsidyPaid,
    outstandingPrincipal: statement.principal,
    interestDue: statement.interestDue,
    subsidyDue: statement.subsidyDue,
  };
  expect(mirror, `mirror vs chain at ${statement.at} ${context}`).to.deep.equal(chain);
}
