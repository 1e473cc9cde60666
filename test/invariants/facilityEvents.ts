import { expect } from "chai";
import type { ContractTransactionReceipt, Result } from "ethers";
import type { Fixture } from "../helpers/fixtures";
import * as M from "./facilityModel";

/** The one event called `name` in the receipt, from any contract of the system, decoded by name. */
export function findEvent(fx: Fixture, receipt: ContractTransactionReceipt, name: string): Result {
  const found = events(fx, receipt, name);
  expect(found, `${name} events`).to.have.length(1);
  return found[0];
}

function events(fx: Fixture, receipt: ContractTransactionReceipt, name: string): Result[] {
  const out: Result[] = [];
  for (const log of receipt.logs) {
    for (const contract of [fx.manager, fx.evidence, fx.payees, fx.token]) {
      if (log.address.toLowerCase() !== (contract.target as string).toLowerCase()) continue;
      const parsed = contract.interface.parseLog(log);
      if (parsed?.name === name) out.push(parsed.args);
    }
  }
  return out;
}

/**
 * A closed segment shows up as one InterestAccrued event with the model's interest and subsidy, to the fen; an empty
 * segment (no time, or no principal) emits none.
 */
export function expectSegmentEvent(
  fx: Fixture,
  receipt: ContractTransactionReceipt,
  f: M.FacilityModel,
  s: ReturnType<typeof M.closeSegment>,
): void {
  const found = events(fx, receipt, "InterestAccrued");
  if (s.to === s.from || s.principal === 0n) {
    expect(found, "InterestAccrued for an empty segment").to.have.length(0);
    return;
  }
  expect(found, "InterestAccrued events").to.have.length(1);
  const e = found[0];
  expect(
    [e.facilityId, e.from, e.to, e.principal, e.rateBps, e.interest, e.subsidy],
    "InterestAccrued (facility, from, to, principal, rate, interest, subsidy) vs the ACT/360 model",
  ).to.deep.equal([f.id, s.from, s.to, s.principal, s.rateBps, s.interest, s.subsidy]);
}

/**
 * The key rules of an entrusted payment, checked on a payment that succeeded, against the model's state just before
 * it: the payee was registered, active and of the planned category; the facility was active; the payment was unpaid;
 * every evidence offered was of this facility, verified and unconsumed, and together they covered exactly the
 * required kinds. The events must show the money going to that payee and nowhere else.
 */
export function expectPaymentAllowed(
  fx: Fixture,
  m: M.Model,
  f: M.FacilityModel,
  index: number,
  evidenceIds: string[],
  receipt: ContractTransactionReceipt,
): void {
  const p = f.plan[index];
  const payee = m.payees.get(p.payee);
  expect(payee, `payment ${f.id}/${index} went to an unregistered payee ${p.payee}`).to.not.equal(undefined);
  expect(payee!.active, `payment ${f.id}/${index} went to an inactive payee ${p.payee}`).to.equal(true);
  expect(payee!.category, `payment ${f.id}/${index} to a payee of another category`).to.equal(p.category);
  expect(f.status, `payment ${f.id}/${index} from a facility that is not active`).to.equal(M.FACILITY_STATUS.ACTIVE);
  expect(p.paid, `payment ${f.id}/${index} paid twice`).to.equal(false);
  let covered = 0;
  for (const id of evidenceIds) {
    const e = M.evidenceById(m, id);
    expect(e, `payment ${f.id}/${index} released by unanchored evidence ${id}`).to.not.equal(undefined);
    expect(M.isVerified(e!), `payment ${f.id}/${index} released by unverified evidence ${id}`).to.equal(true);
    expect(e!.consumed, `payment ${f.id}/${index} released by spent evidence ${id}`).to.equal(false);
    expect(e!.facilityId, `payment ${f.id}/${index} released by another facility's evidence`).to.equal(f.id);
    expect(
      e!.counterparty,
      `payment ${f.id}/${index} to ${p.payee} released by evidence naming ${e!.counterparty}`,
    ).to.equal(M.counterpartyOf(e!.kind, p.payee, f.borrower));
    expect(covered & (1 << e!.kind), `evidence kind ${e!.kind} offered twice`).to.equal(0);
    covered |= 1 << e!.kind;
  }
  expect(covered, `payment ${f.id}/${index}: evidence kinds offered vs required`).to.equal(p.requiredKinds);

  const executed = findEvent(fx, receipt, "PaymentExecuted");
  expect([
    executed.facilityId,
    executed.index,
    executed.payee,
    executed.amount,
    [...executed.evidenceIds],
  ]).to.deep.equal([f.id, BigInt(index), p.payee, p.amount, evidenceIds]);
  const transfer = findEvent(fx, receipt, "Transfer");
  expect([transfer.from, transfer.to, transfer.value], "the token transfer of the payment").to.deep.equal([
    fx.manager.target,
    p.payee,
    p.amount,
  ]);
}
