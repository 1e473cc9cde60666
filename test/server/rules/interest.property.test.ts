import { expect } from "chai";
import { network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";
import { registeredPayeesFixture, type Fixture } from "../../helpers/fixtures";
import { Category, DAY, Kind, kindsMask } from "../../helpers/constants";
import { evidenceForPayment } from "../../helpers/entrustedPayments";
import type { Evidence } from "../../helpers/factories";
import { nextReview, signedReview } from "../../helpers/jointApprovals";
import { giveTokens } from "../../helpers/tokens";
import { accruedOf, effectsOf, expectStatementMatchesChain } from "../../helpers/interestMirror";
import { splitRepayment, statementAt, type HistoryEvent } from "../../../server/rules/interest";

/**
 * interest.ts against the contract itself: random plans, payments, repayments, reviews (rate ≤ base, random subsidy
 * eligibility), fiscal subsidy payments and gaps of up to 120 days, sometimes two actions in one block. After every
 * step the mirror's statement must equal facility()/outstanding()/subsidyDue() to the fen, the mirror must predict
 * each Repaid split, and every InterestAccrued event must equal the mirror's segment.
 * Replay a failure with FC_SEED=<seed> FC_PATH=<path>; more runs with FC_RUNS=<n>.
 */
const NUM_RUNS = Number(process.env.FC_RUNS ?? 200);
const MAX_GAP = Number(120n * DAY); // seconds

type Op =
  | { kind: "pay" }
  | { kind: "repay"; shareBps: number }
  | { kind: "review"; rateShareBps: number; subsidyEligible: boolean }
  | { kind: "subsidy"; shareBps: number };
type Step = { gap: number; ops: Op[] } | { gap: number; wait: true };

// A share of what is owed: often less than the interest due (≤ 0.5%), often all of it.
const share = fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 10_000 }), fc.constant(10_000));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: "pay" as const }) },
  { weight: 3, arbitrary: share.map((shareBps) => ({ kind: "repay" as const, shareBps })) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("review" as const),
      rateShareBps: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constant(10_000)),
      subsidyEligible: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: share.map((shareBps) => ({ kind: "subsidy" as const, shareBps })) },
);
const gap = fc.oneof(fc.integer({ min: 1, max: MAX_GAP }), fc.integer({ min: 1, max: 120 }));
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ gap, ops: fc.tuple(op).map((ops) => ops as Op[]) }) },
  { weight: 2, arbitrary: fc.record({ gap, ops: fc.tuple(op, op).map((ops) => ops as Op[]) }) },
  { weight: 1, arbitrary: fc.record({ gap, wait: fc.constant(true as const) }) },
);
const amount = fc.oneof(fc.bigInt(1n, 10_000n), fc.bigInt(1n, 100_000_000_000n));
const scenario = fc.record({
  plan: fc.array(amount, { minLength: 1, maxLength: 8 }),
  baseRateBps: fc.oneof(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 300, max: 600 })),
  subsidyBps: fc.oneof(fc.integer({ min: 0, max: 1_000 }), fc.constant(300)),
  steps: fc.array(step, { minLength: 1, maxLength: 16, size: "max" }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** The payees, and a bank, borrower and fiscal account holding (and having approved) plenty of tokens. */
async function mirrorFixture() {
  const fx = await registeredPayeesFixture();
  for (const holder of [fx.bank, fx.borrower, fx.fiscal]) await giveTokens(fx, holder, 10n ** 15n);
  return fx;
}

/** Sends the actions in one block stamped `at` (several: with automine off, each with a fixed gas limit). */
async function inOneBlock(
  at: bigint,
  sends: Array<(overrides: { gasLimit?: number }) => Promise<ContractTransactionResponse>>,
): Promise<ContractTransactionReceipt[]> {
  if (sends.length === 1) {
    await time.setNextBlockTimestamp(at);
    return [(await (await sends[0]({})).wait())!];
  }
  await network.provider.send("evm_setAutomine", [false]);
  try {
    const txs: ContractTransactionResponse[] = [];
    for (const send of sends) txs.push(await send({ gasLimit: 1_000_000 }));
    await time.setNextBlockTimestamp(at);
    await network.provider.send("evm_mine", []);
    return Promise.all(txs.map(async (tx) => (await tx.wait())!));
  } finally {
    await network.provider.send("evm_setAutomine", [true]);
  }
}

class Run {
  readonly history: HistoryEvent[] = [];
  nextPayment = 0;
  reviewNonce = 0;
  constructor(
    readonly fx: Fixture,
    readonly id: bigint,
    readonly s: Scenario,
    readonly openedAt: bigint,
  ) {}

  statement(at: bigint, events = this.history) {
    return statementAt({
      terms: { baseRateBps: this.s.baseRateBps, subsidyBps: this.s.subsidyBps, openedAt: this.openedAt },
      events,
      at,
    });
  }

  /** Prepares the ops (evidence, signatures), predicts their events with the mirror and sends them in one block. */
  async perform(ops: Op[], gapSeconds: number): Promise<string> {
    const { fx, id } = this;
    const prepared: Array<{ op: Op; evidence?: Evidence[]; index?: number }> = [];
    for (const o of ops) {
      if (o.kind === "pay") {
        if (this.nextPayment >= this.s.plan.length) continue;
        const index = this.nextPayment++;
        prepared.push({ op: o, index, evidence: await evidenceForPayment(fx, id, index) });
      } else prepared.push({ op: o });
    }
    const at = BigInt(await time.latest()) + BigInt(gapSeconds);
    const predicted: HistoryEvent[] = [];
    const sends: Array<(overrides: { gasLimit?: number }) => Promise<ContractTransactionResponse>> = [];
    const sent: string[] = [];
    for (const { op: o, evidence, index } of prepared) {
      const now = this.statement(at, [...this.history, ...predicted]);
      if (o.kind === "pay") {
        predicted.push({ type: "PaymentExecuted", at, amount: this.s.plan[index!] });
        sends.push((overrides) => fx.manager.executePayment(id, index!, evidence!, overrides));
        sent.push("pay");
      } else if (o.kind === "repay") {
        const debt = now.interestDue + now.principal;
        if (debt === 0n) continue;
        const amount = max1((debt * BigInt(o.shareBps)) / 10_000n);
        const split = splitRepayment(now, amount);
        predicted.push({ type: "Repaid", at, ...split });
        sends.push((overrides) => fx.manager.connect(fx.borrower).repay(id, amount, overrides));
        sent.push(amount === debt ? "repay all" : "repay");
      } else if (o.kind === "review") {
        const newRateBps = Math.floor((this.s.baseRateBps * o.rateShareBps) / 10_000);
        const review = await nextReview(fx, id, {
          nonce: this.reviewNonce++,
          newRateBps,
          subsidyEligible: o.subsidyEligible,
          deadline: at + 3_600n,
        });
        const args = await signedReview(fx, review);
        predicted.push({ type: "ReviewApplied", at, newRateBps, subsidyEligible: o.subsidyEligible });
        sends.push((overrides) => fx.manager.applyReview(...args, overrides));
        sent.push("review");
      } else {
        if (now.subsidyDue === 0n) continue;
        const amount = max1((now.subsidyDue * BigInt(o.shareBps)) / 10_000n);
        predicted.push({ type: "SubsidyPaid", at, amount });
        sends.push((overrides) => fx.manager.connect(fx.fiscal).paySubsidy(id, amount, overrides));
        sent.push("subsidy");
      }
    }
    if (sends.length === 0) {
      await time.increaseTo(at);
      return "nothing to do";
    }
    const receipts = await inOneBlock(at, sends);
    const before = accruedOf(this.statement(at - 1n)).length;
    const chainEvents: HistoryEvent[] = [];
    const chainAccrued = [];
    for (const receipt of receipts) {
      const effects = await effectsOf(fx, id, receipt);
      chainEvents.push(...effects.events);
      chainAccrued.push(...effects.accrued);
    }
    expect(chainEvents, `events at ${at}`).to.deep.equal(predicted);
    this.history.push(...predicted);
    expect(chainAccrued, `InterestAccrued at ${at}`).to.deep.equal(accruedOf(this.statement(at)).slice(before));
    return sent.join(" + ");
  }
}

function max1(value: bigint): bigint {
  return value === 0n ? 1n : value;
}

describe("rules/interest (property, against FacilityManager)", function () {
  this.timeout(0);

  describe("when random schedules of payments, repayments, reviews and subsidy run on the contract", function () {
    it("the mirror's statement and segments equal the contract's, to the fen, after every step", async function () {
      const started = Date.now();
      const outcomes = new Map<string, number>();
      let runs = 0;
      let steps = 0;
      let segments = 0;

      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const fx = await loadFixture(mirrorFixture);
          const plan = s.plan.map((amount) => ({
            payee: fx.equipmentVendor.address,
            amount,
            category: Category.EQUIPMENT,
            requiredKinds: kindsMask(Kind.PURCHASE_CONTRACT),
            qualityPurpose: true,
            paid: false,
          }));
          const total = s.plan.reduce((sum, a) => sum + a, 0n);
          const terms = {
            borrower: fx.borrower.address,
            creditLimit: total,
            baseRateBps: s.baseRateBps,
            qualityFloorBps: 0,
            subsidyBps: s.subsidyBps,
          };
          const created = (await (await fx.manager.createFacility(terms, plan)).wait())!;
          const id = await fx.manager.facilityCount();
          await fx.manager.fund(id, total);
          const run = new Run(fx, id, s, BigInt((await created.getBlock()).timestamp));
          runs += 1;

          for (const st of s.steps) {
            let outcome: string;
            if ("wait" in st) {
              await time.increase(st.gap);
              outcome = "wait";
            } else outcome = await run.perform(st.ops, st.gap);
            outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
            const now = BigInt(await time.latest());
            await expectStatementMatchesChain(fx, id, run.statement(now), `after ${outcome}`);
            steps += 1;
          }

          // The whole InterestAccrued history of the facility, once more from the chain's logs.
          const logs = await fx.manager.queryFilter(fx.manager.filters.InterestAccrued(id));
          const mirror = accruedOf(run.statement(BigInt(await time.latest())));
          expect(logs.map((l) => [l.args.from, l.args.to, l.args.interest, l.args.subsidy])).to.deep.equal(
            mirror.map((m) => [m.from, m.to, m.interest, m.subsidy]),
          );
          segments += mirror.length;
        }),
        {
          numRuns: NUM_RUNS,
          seed: process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED),
          path: process.env.FC_PATH,
          endOnFailure: process.env.FC_PATH !== undefined,
        },
      );

      const seconds = (Date.now() - started) / 1_000;
      console.log(`      ${runs} schedules, ${steps} steps, ${segments} segments in ${seconds.toFixed(1)} s`);
      for (const [outcome, n] of [...outcomes.entries()].sort())
        console.log(`        ${String(n).padStart(6)}  ${outcome}`);
    });
  });
});
