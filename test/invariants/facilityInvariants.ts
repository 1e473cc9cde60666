import { expect } from "chai";
import type { Fixture } from "../helpers/fixtures";
import { revertName } from "../helpers/revertReasons";
import * as M from "./facilityModel";

/** What the previous check saw of each facility, for the "never decreases" rules (reset at each run). */
export type Watermarks = Map<bigint, { interest: bigint; subsidy: bigint }>;

/**
 * Reads the chain once (one batch of parallel calls) and checks the invariants that must hold after every step:
 *
 * - token conservation: the manager's token balance equals, summed over facilities, funded + interest repaid +
 *   principal repaid + subsidy paid − paid to payees (from PaymentExecuted) − withdrawn, and equals the sum of the
 *   facilities' balances; each facility's balance equals its own flows;
 * - drawn (= paid to payees) ≤ plan total ≤ credit limit; the plan's quality-purpose share ≥ its floor;
 * - interest accrued equals the off-chain ACT/360 sum over the model's segments, to the fen, and so does the subsidy;
 *   interest and subsidy accrued never decrease; subsidy accrued ≤ interest accrued; subsidy paid ≤ subsidy accrued;
 * - outstanding interest = accrued − subsidy − repaid ≥ 0, and `outstanding` agrees with `facility`;
 * - every other field of the facility equals the model's (status, rate, freeze count, nonces, principal…).
 */
export async function checkInvariants(fx: Fixture, m: M.Model, watermarks: Watermarks): Promise<void> {
  const ids = m.facilities.map((f) => f.id);
  const [held, count, ...rest] = await Promise.all([
    fx.token.balanceOf(fx.manager.target),
    fx.manager.facilityCount(),
    ...ids.map((id) => fx.manager.facility(id)),
    ...ids.map((id) =>
      fx.manager.outstanding(id).catch((error: unknown) => {
        throw new Error(`outstanding(${id}) reverted with ${revertName(error)} at ${m.now}`);
      }),
    ),
  ]);
  expect(count, "facility count").to.equal(BigInt(ids.length));
  let balances = 0n;
  let flows = 0n;
  for (const [i, f] of m.facilities.entries()) {
    const s = rest[i] as Awaited<ReturnType<Fixture["manager"]["facility"]>>;
    const [principalOwed, interestDue] = rest[ids.length + i] as [bigint, bigint];
    const at = `facility ${f.id} at ${m.now}:`;

    const own = s.funded + s.interestRepaid + s.principalRepaid + s.subsidyPaid - f.paidToPayees - s.withdrawn;
    expect(s.balance, `${at} balance vs its money flows`).to.equal(own);
    balances += s.balance;
    flows += own;

    expect(s.drawn, `${at} drawn vs paid to payees`).to.equal(f.paidToPayees);
    expect(s.drawn <= s.planTotal, `${at} drawn ${s.drawn} above plan ${s.planTotal}`).to.equal(true);
    expect(s.planTotal <= s.creditLimit, `${at} plan ${s.planTotal} above limit ${s.creditLimit}`).to.equal(true);
    expect((s.qualityTotal * 10_000n) / s.planTotal >= s.qualityFloorBps, `${at} quality share below floor`).to.equal(
      true,
    );

    const expected = M.accruedAt(f, m.now);
    expect(s.interestAccrued, `${at} interest vs ACT/360 over ${f.segments.length + 1} segments`).to.equal(
      expected.interest,
    );
    expect(s.subsidyAccrued, `${at} subsidy vs ACT/360`).to.equal(expected.subsidy);
    const last = watermarks.get(f.id) ?? { interest: 0n, subsidy: 0n };
    expect(s.interestAccrued >= last.interest, `${at} interest accrued decreased from ${last.interest}`).to.equal(true);
    expect(s.subsidyAccrued >= last.subsidy, `${at} subsidy accrued decreased from ${last.subsidy}`).to.equal(true);
    watermarks.set(f.id, { interest: s.interestAccrued, subsidy: s.subsidyAccrued });
    expect(s.subsidyAccrued <= s.interestAccrued, `${at} subsidy accrued above interest accrued`).to.equal(true);
    expect(s.subsidyPaid <= s.subsidyAccrued, `${at} subsidy paid above subsidy accrued`).to.equal(true);
    expect(interestDue >= 0n, `${at} negative interest due`).to.equal(true);
    expect(interestDue, `${at} outstanding interest vs the model`).to.equal(M.interestDueAt(f, m.now));
    // The borrower's share rounded once plus the subsidy rounded on its own never exceed the interest itself.
    expect(
      interestDue + s.interestRepaid + s.subsidyAccrued <= s.interestAccrued,
      `${at} over-charged interest`,
    ).to.equal(true);
    expect(principalOwed, `${at} outstanding principal`).to.equal(s.principal);

    expect(
      [
        s.status,
        s.rateBps,
        s.subsidyEligible,
        s.freezeCount,
        s.reviewNonce,
        s.principal,
        s.principalRepaid,
        s.funded,
        s.withdrawn,
        s.interestRepaid,
        s.subsidyPaid,
        s.planTotal,
        s.qualityTotal,
        s.qualityFloorBps,
        s.creditLimit,
        s.lastAccrual,
      ],
      `${at} state vs model (status, rate, eligible, freezes, review nonce, principal, repaid, funded, withdrawn, ` +
        `interest repaid, subsidy paid, plan, quality, floor, limit, last accrual)`,
    ).to.deep.equal([
      f.status,
      f.rateBps,
      f.subsidyEligible,
      BigInt(f.freezeCount),
      BigInt(f.reviewNonce),
      f.principal,
      f.principalRepaid,
      f.funded,
      f.withdrawn,
      f.interestRepaid,
      f.subsidyPaid,
      f.planTotal,
      f.qualityTotal,
      f.qualityFloorBps,
      f.creditLimit,
      f.openFrom,
    ]);
  }
  expect(held, "manager's token balance vs the facilities' money flows").to.equal(flows);
  expect(held, "manager's token balance vs the sum of facility balances").to.equal(balances);
}
