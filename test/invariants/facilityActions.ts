import fc from "fast-check";

/**
 * The actions of a random sequence, as plain data so that fast-check can print, shrink and replay them. Targets are
 * picks (`facility`, `payee`, `evidence`, `pick`) resolved against the model when the action runs, so any sequence is
 * meaningful in any state; most actions have variants that are meant to be invalid.
 */

/** Which evidence an entrusted payment is offered; see `chooseEvidence` in facilityRunner.ts. */
export type EvidenceChoice =
  "correct" | "missing" | "unverified" | "wrongFacility" | "duplicateKind" | "notRequired" | "consumed" | "none";

export type Signers = "both" | "bank" | "regulator" | "bankTwice" | "stranger";
export type JointVariant = "valid" | "bankOnly" | "regulatorOnly" | "stranger" | "swapped" | "stale" | "expired";
export type AmountMode = "part" | "all" | "tooMuch" | "zero";

export interface PlannedPayment {
  /** Index into the payee pool, or -1 for the borrower (not allowed). */
  payee: number;
  amount: bigint;
  /** The payee's registered category, or a deliberately different one. */
  categoryMatches: boolean;
  requiredKinds: number;
  qualityPurpose: boolean;
}

export type Action =
  | { type: "registerPayee"; payee: number; category: number }
  | { type: "deactivatePayee"; payee: number }
  | { type: "reactivatePayee"; payee: number }
  | { type: "updatePayee"; payee: number; category: number }
  | {
      type: "createFacility";
      borrower: number;
      limit: "exact" | "roomy" | "short";
      baseRateBps: number;
      qualityFloorBps: number;
      subsidyBps: number;
      plan: PlannedPayment[];
    }
  | { type: "anchor"; facility: number; kind: number; neededKind: boolean; reanchor: boolean }
  | { type: "attest"; evidence: number; signers: Signers; accept: [boolean, boolean]; expired: boolean; ghost: boolean }
  | { type: "revoke"; evidence: number; verifier: number; expired: boolean }
  | { type: "executePayment"; facility: number; payment: number; evidence: EvidenceChoice; pick: number }
  | { type: "freeze"; facility: number; by: "regulator" | "bank" | "stranger" }
  | { type: "unfreeze"; facility: number; variant: JointVariant }
  | { type: "applyReview"; facility: number; discountBps: number; subsidyEligible: boolean; variant: JointVariant }
  | { type: "fund"; facility: number; amount: bigint }
  | { type: "repay"; facility: number; mode: "interest" | AmountMode; pick: number }
  | { type: "paySubsidy"; facility: number; mode: AmountMode; pick: number }
  | { type: "withdraw"; facility: number; mode: AmountMode | "zeroAddress"; pick: number }
  | { type: "close"; facility: number }
  | { type: "timePasses"; seconds: number };

/** Payee pool indices 0–2 are the payees of the prelude's plans; 3–5 start unregistered. */
export const PAYEE_POOL_SIZE = 6;
export const MAX_FACILITIES = 4;

const DAY = 86_400;

function weighted<T>(...entries: Array<[number, fc.Arbitrary<T>]>): fc.Arbitrary<T> {
  return fc.oneof(...entries.map(([weight, arbitrary]) => ({ weight, arbitrary })));
}

/** A facility pick: mostly an existing facility (index modulo the count), sometimes one that does not exist. */
const facility = weighted([24, fc.nat(99)], [1, fc.constant(-1)]);
const payee = fc.nat(PAYEE_POOL_SIZE - 1);
const category = fc.nat(4);
const pick = fc.nat();

const plannedPayment: fc.Arbitrary<PlannedPayment> = fc.record({
  payee: weighted([30, payee], [1, fc.constant(-1)]),
  amount: weighted([30, fc.bigInt(1n, 300_000_000n)], [1, fc.constant(0n)]),
  categoryMatches: weighted([12, fc.constant(true)], [1, fc.constant(false)]),
  requiredKinds: weighted([30, fc.integer({ min: 1, max: 0x7f })], [1, fc.constantFrom(0, 0x80)]),
  qualityPurpose: fc.boolean(),
});

const jointVariant = weighted<JointVariant>(
  [12, fc.constant("valid")],
  [1, fc.constantFrom<JointVariant>("bankOnly", "regulatorOnly", "stranger", "swapped", "stale", "expired")],
);

const amountMode = weighted<AmountMode>([6, fc.constantFrom("part", "all")], [1, fc.constantFrom("tooMuch", "zero")]);

export const action: fc.Arbitrary<Action> = weighted<Action>(
  [2, fc.record({ type: fc.constant("registerPayee" as const), payee, category })],
  [3, fc.record({ type: fc.constant("deactivatePayee" as const), payee })],
  [3, fc.record({ type: fc.constant("reactivatePayee" as const), payee })],
  [1, fc.record({ type: fc.constant("updatePayee" as const), payee, category })],
  [
    3,
    fc.record({
      type: fc.constant("createFacility" as const),
      borrower: fc.nat(1),
      limit: fc.constantFrom("exact" as const, "roomy" as const, "short" as const),
      baseRateBps: fc.integer({ min: 0, max: 1_000 }),
      qualityFloorBps: fc.constantFrom(0, 1_000, 3_000, 5_000, 10_000),
      subsidyBps: fc.integer({ min: 0, max: 600 }),
      plan: fc.array(plannedPayment, { minLength: 0, maxLength: 4 }),
    }),
  ],
  [
    12,
    fc.record({
      type: fc.constant("anchor" as const),
      facility,
      kind: fc.nat(6),
      neededKind: weighted([4, fc.constant(true)], [1, fc.constant(false)]),
      reanchor: weighted([20, fc.constant(false)], [1, fc.constant(true)]),
    }),
  ],
  [
    12,
    fc.record({
      type: fc.constant("attest" as const),
      evidence: pick,
      signers: weighted<Signers>(
        [10, fc.constant("both")],
        [4, fc.constantFrom<Signers>("bank", "regulator")],
        [1, fc.constantFrom<Signers>("bankTwice", "stranger")],
      ),
      accept: fc.tuple(
        weighted([8, fc.constant(true)], [1, fc.constant(false)]),
        weighted([8, fc.constant(true)], [1, fc.constant(false)]),
      ),
      expired: weighted([20, fc.constant(false)], [1, fc.constant(true)]),
      ghost: weighted([30, fc.constant(false)], [1, fc.constant(true)]),
    }),
  ],
  [
    3,
    fc.record({
      type: fc.constant("revoke" as const),
      evidence: pick,
      verifier: fc.nat(1),
      expired: weighted([20, fc.constant(false)], [1, fc.constant(true)]),
    }),
  ],
  [
    16,
    fc.record({
      type: fc.constant("executePayment" as const),
      facility,
      payment: weighted([30, fc.nat(99)], [1, fc.constant(-1)]),
      evidence: weighted<EvidenceChoice>(
        [12, fc.constant("correct")],
        [
          1,
          fc.constantFrom<EvidenceChoice>(
            "missing",
            "unverified",
            "wrongFacility",
            "duplicateKind",
            "notRequired",
            "consumed",
            "none",
          ),
        ],
      ),
      pick,
    }),
  ],
  [
    5,
    fc.record({
      type: fc.constant("freeze" as const),
      facility,
      by: weighted([8, fc.constantFrom("regulator" as const, "bank" as const)], [1, fc.constant("stranger" as const)]),
    }),
  ],
  [6, fc.record({ type: fc.constant("unfreeze" as const), facility, variant: jointVariant })],
  [
    6,
    fc.record({
      type: fc.constant("applyReview" as const),
      facility,
      discountBps: weighted([8, fc.integer({ min: 0, max: 200 })], [1, fc.constant(-1)]),
      subsidyEligible: fc.boolean(),
      variant: jointVariant,
    }),
  ],
  [
    5,
    fc.record({
      type: fc.constant("fund" as const),
      facility,
      amount: weighted([20, fc.bigInt(1n, 1_000_000_000n)], [1, fc.constant(0n)]),
    }),
  ],
  [
    8,
    fc.record({
      type: fc.constant("repay" as const),
      facility,
      mode: weighted<"interest" | AmountMode>([3, fc.constant("interest")], [6, amountMode]),
      pick,
    }),
  ],
  [5, fc.record({ type: fc.constant("paySubsidy" as const), facility, mode: amountMode, pick })],
  [
    4,
    fc.record({
      type: fc.constant("withdraw" as const),
      facility,
      mode: weighted<AmountMode | "zeroAddress">([12, amountMode], [1, fc.constant("zeroAddress")]),
      pick,
    }),
  ],
  [2, fc.record({ type: fc.constant("close" as const), facility })],
  [
    10,
    fc.record({
      type: fc.constant("timePasses" as const),
      seconds: weighted([1, fc.integer({ min: 1, max: 3_600 })], [2, fc.integer({ min: DAY, max: 120 * DAY })]),
    }),
  ],
);

/** Short sequences: each run reverts to the fixture's snapshot first, so length costs time, not coverage. */
export const actionSequence = fc.array(action, { minLength: 3, maxLength: 12 });
