import { ACT360_DENOMINATOR, act360 } from "../helpers/interest";
import {
  DEFAULT_QUALITY_FLOOR_BPS,
  ALL_KINDS,
  FACILITY_STATUS,
  type FacilityModel,
  type Model,
  type PaymentState,
  type Segment,
} from "./modelState";
import { counterpartyOf, evidenceById, evidenceIdOf, isVerified, payeeViolations } from "./registryModel";

export * from "./modelState";
export * from "./registryModel";

/**
 * The rules of the facility manager, and the facade of the whole model. Each `*Violations` function lists every rule
 * an action would break (the names of the custom errors that may legitimately stop it); an empty list means the action
 * must succeed. Each `apply*` function is the state change of a successful action.
 */

// ---- interest: ACT/360 over rate segments ----

function openSegment(f: FacilityModel, to: bigint): Segment {
  const subsidyRateBps = f.subsidyEligible ? (f.subsidyBps < f.rateBps ? f.subsidyBps : f.rateBps) : 0n;
  return { from: f.openFrom, to, principal: f.principal, rateBps: f.rateBps, subsidyRateBps };
}

/**
 * The exact (unrounded) interest and subsidy up to `at`, as numerators over ACT360_DENOMINATOR: the sum over the closed
 * segments and the open one of principal·bps·seconds. The contract rounds these down once, not per segment, so closing
 * segments often cannot shave fractions of a fen off the total.
 */
function numeratorsAt(f: FacilityModel, at: bigint): { interest: bigint; subsidy: bigint } {
  let interest = 0n;
  let subsidy = 0n;
  for (const s of [...f.segments, openSegment(f, at)]) {
    interest += s.principal * s.rateBps * (s.to - s.from);
    subsidy += s.principal * s.subsidyRateBps * (s.to - s.from);
  }
  return { interest, subsidy };
}

/** Interest and subsidy accrued up to `at`, in whole fen (each rounded down once). */
export function accruedAt(f: FacilityModel, at: bigint): { interest: bigint; subsidy: bigint } {
  const { interest, subsidy } = numeratorsAt(f, at);
  return { interest: interest / ACT360_DENOMINATOR, subsidy: subsidy / ACT360_DENOMINATOR };
}

/**
 * What the borrower owes in interest: its exact share (interest − subsidy, unrounded) rounded down once, less what it
 * repaid. The share only grows, so this never goes negative (the counterexample kept in FacilityManager.regressions.ts
 * is the case where rounding interest and subsidy separately made it negative).
 */
export function interestDueAt(f: FacilityModel, at: bigint): bigint {
  const { interest, subsidy } = numeratorsAt(f, at);
  return (interest - subsidy) / ACT360_DENOMINATOR - f.interestRepaid;
}

export function subsidyDueAt(f: FacilityModel, at: bigint): bigint {
  return accruedAt(f, at).subsidy - f.subsidyPaid;
}

/**
 * Ends the open segment at `at` (a payment, repayment or review) and returns it with the whole fen of interest and
 * subsidy it added to the totals.
 */
export function closeSegment(f: FacilityModel, at: bigint): Segment & { interest: bigint; subsidy: bigint } {
  const before = accruedAt(f, f.openFrom);
  const s = openSegment(f, at);
  f.segments.push(s);
  f.openFrom = at;
  const after = accruedAt(f, at);
  return { ...s, interest: after.interest - before.interest, subsidy: after.subsidy - before.subsidy };
}

// ---- facilities ----

export interface NewFacility {
  borrower: string;
  creditLimit: bigint;
  baseRateBps: bigint;
  qualityFloorBps: bigint;
  subsidyBps: bigint;
  plan: Omit<PaymentState, "paid">[];
}

export function createViolations(m: Model, t: NewFacility): string[] {
  const out: string[] = [];
  if (t.creditLimit === 0n) out.push("FacilityZeroAmount");
  for (const bps of [t.baseRateBps, t.subsidyBps, t.qualityFloorBps]) if (bps > 10_000n) out.push("FacilityInvalidBps");
  if (t.plan.length === 0 || t.plan.length > 64) out.push("FacilityInvalidPlanLength");
  let planTotal = 0n;
  let qualityTotal = 0n;
  for (const p of t.plan) {
    if (p.amount === 0n) out.push("FacilityZeroAmount");
    if (p.payee === t.borrower) out.push("FacilityPayeeIsBorrower");
    if (p.requiredKinds === 0 || (p.requiredKinds & ~ALL_KINDS) !== 0) out.push("FacilityInvalidRequiredKinds");
    out.push(...payeeViolations(m, p.payee, p.category));
    planTotal += p.amount;
    if (p.qualityPurpose) qualityTotal += p.amount;
  }
  if (planTotal > t.creditLimit) out.push("FacilityPlanExceedsLimit");
  const floor = t.qualityFloorBps === 0n ? DEFAULT_QUALITY_FLOOR_BPS : t.qualityFloorBps;
  const share = planTotal === 0n ? 0n : (qualityTotal * 10_000n) / planTotal;
  if (share < floor) out.push("FacilityQualityShareBelowFloor");
  return out;
}

export function applyCreate(m: Model, t: NewFacility, at: bigint): FacilityModel {
  const f: FacilityModel = {
    id: BigInt(m.facilities.length + 1),
    borrower: t.borrower,
    creditLimit: t.creditLimit,
    baseRateBps: t.baseRateBps,
    rateBps: t.baseRateBps,
    subsidyBps: t.subsidyBps,
    qualityFloorBps: t.qualityFloorBps === 0n ? DEFAULT_QUALITY_FLOOR_BPS : t.qualityFloorBps,
    subsidyEligible: false,
    status: FACILITY_STATUS.ACTIVE,
    freezeCount: 0,
    reviewNonce: 0,
    plan: t.plan.map((p) => ({ ...p, paid: false })),
    planTotal: t.plan.reduce((sum, p) => sum + p.amount, 0n),
    qualityTotal: t.plan.reduce((sum, p) => sum + (p.qualityPurpose ? p.amount : 0n), 0n),
    principal: 0n,
    principalRepaid: 0n,
    balance: 0n,
    funded: 0n,
    withdrawn: 0n,
    interestRepaid: 0n,
    subsidyPaid: 0n,
    paidToPayees: 0n,
    segments: [],
    openFrom: at,
  };
  m.facilities.push(f);
  return f;
}

/** The facility, or `undefined` for the id that does not exist. */
export function facilityOf(m: Model, id: bigint): FacilityModel | undefined {
  return m.facilities.find((f) => f.id === id);
}

/** Violations of an action that needs an existing facility, optionally open (not closed) or active (not frozen either). */
function statusViolations(f: FacilityModel | undefined, need: "existing" | "open" | "active"): string[] | undefined {
  if (!f) return ["FacilityNotFound"];
  const out: string[] = [];
  if (need !== "existing" && f.status === FACILITY_STATUS.CLOSED) out.push("FacilityIsClosed");
  if (need === "active" && f.status === FACILITY_STATUS.FROZEN) out.push("FacilityIsFrozen");
  return out;
}

export function fundViolations(f: FacilityModel | undefined, amount: bigint): string[] {
  const out = statusViolations(f, "open")!;
  if (amount === 0n) out.push("FacilityZeroAmount");
  return out;
}

export function repayViolations(f: FacilityModel | undefined, amount: bigint, at: bigint): string[] {
  const out = statusViolations(f, "existing")!;
  if (amount === 0n) out.push("FacilityZeroAmount");
  if (f && amount > interestDueAt(f, at) + f.principal) out.push("FacilityRepaymentExceedsDebt");
  return out;
}

/** Repays interest due first, then principal; returns the split. */
export function applyRepay(f: FacilityModel, amount: bigint, at: bigint) {
  const segment = closeSegment(f, at);
  const due = interestDueAt(f, at);
  const interestPaid = amount < due ? amount : due;
  const principalPaid = amount - interestPaid;
  f.interestRepaid += interestPaid;
  f.principal -= principalPaid;
  f.principalRepaid += principalPaid;
  f.balance += amount;
  return { segment, interestPaid, principalPaid };
}

export function subsidyViolations(f: FacilityModel | undefined, amount: bigint, at: bigint): string[] {
  const out = statusViolations(f, "existing")!;
  if (amount === 0n) out.push("FacilityZeroAmount");
  if (f && amount > subsidyDueAt(f, at)) out.push("FacilitySubsidyExceedsDue");
  return out;
}

/** Withdrawals go to the treasury only (`toZero`: to any other account), never from a frozen facility. */
export function withdrawViolations(f: FacilityModel | undefined, amount: bigint, toZero: boolean): string[] {
  const out = statusViolations(f, "existing")!;
  if (f && f.status === FACILITY_STATUS.FROZEN) out.push("FacilityIsFrozen");
  if (toZero) out.push("FacilityWithdrawalNotToTreasury");
  if (amount === 0n) out.push("FacilityZeroAmount");
  if (f && amount > f.balance) out.push("FacilityInsufficientFunds");
  return out;
}

export function freezeViolations(f: FacilityModel | undefined, authorized: boolean): string[] {
  const out = authorized ? [] : ["FacilityUnauthorizedFreeze"];
  if (!f) return [...out, "FacilityNotFound"];
  if (f.status === FACILITY_STATUS.FROZEN) out.push("FacilityIsFrozen");
  if (f.status === FACILITY_STATUS.CLOSED) out.push("FacilityIsClosed");
  return out;
}

/** Who signed a joint decision, as roles: "bank", "regulator" or "stranger". */
export interface JointSignature {
  bankSigner: "bank" | "regulator" | "stranger";
  regulatorSigner: "bank" | "regulator" | "stranger";
  deadline: bigint;
}

function jointViolations(s: JointSignature, at: bigint): string[] {
  const out: string[] = [];
  if (at > s.deadline) out.push("FacilitySignatureExpired");
  if (s.bankSigner !== "bank" || s.regulatorSigner !== "regulator") out.push("FacilityInvalidSigner");
  return out;
}

export function unfreezeViolations(
  f: FacilityModel | undefined,
  freezeCount: number,
  s: JointSignature,
  at: bigint,
): string[] {
  if (!f) return ["FacilityNotFound"];
  const out: string[] = [];
  if (f.status !== FACILITY_STATUS.FROZEN) out.push("FacilityNotFrozen");
  if (freezeCount !== f.freezeCount) out.push("FacilityInvalidFreezeCount");
  return [...out, ...jointViolations(s, at)];
}

export function reviewViolations(
  f: FacilityModel | undefined,
  nonce: number,
  newRateBps: bigint,
  s: JointSignature,
  at: bigint,
): string[] {
  const out = statusViolations(f, "open")!;
  if (!f) return out;
  if (nonce !== f.reviewNonce) out.push("FacilityInvalidReviewNonce");
  if (newRateBps > f.baseRateBps) out.push("FacilityRateAboveBase");
  return [...out, ...jointViolations(s, at)];
}

export function closeViolations(f: FacilityModel | undefined, at: bigint): string[] {
  const out = statusViolations(f, "active")!;
  if (f && (f.principal !== 0n || interestDueAt(f, at) !== 0n)) out.push("FacilityOutstandingDebt");
  return out;
}

// ---- entrusted payments ----

/**
 * Every rule an `executePayment` would break. The evidence list is walked as the contract walks it (the id recomputed
 * with the payment's counterparty; a kind offered twice is "not required" the second time, evidence naming another
 * party or facility is "not anchored"), but past the first problem too,
 * so the list does not depend on the order in which the contract happens to check.
 */
export function paymentViolations(
  m: Model,
  f: FacilityModel | undefined,
  index: number,
  offered: OfferedEvidence[],
): string[] {
  const out = statusViolations(f, "active")!;
  if (!f) return out;
  const p = f.plan[index];
  if (!p) return [...out, "FacilityPaymentNotFound"];
  if (p.paid) out.push("FacilityPaymentAlreadyPaid");
  out.push(...payeeViolations(m, p.payee, p.category));
  let missing = p.requiredKinds;
  const spent = new Set<string>();
  const ids = recomputedIds(f, index, offered);
  for (const [i, id] of ids.entries()) {
    const kind = offered[i].kind;
    if ((missing & (1 << kind)) === 0) {
      out.push("FacilityEvidenceNotRequired");
      continue;
    }
    missing &= ~(1 << kind);
    const e = evidenceById(m, id);
    if (!e) out.push("EvidenceNotAnchored");
    else if (e.consumed || spent.has(id)) out.push("EvidenceAlreadyConsumed");
    else if (!isVerified(e)) out.push("EvidenceNotVerified");
    else spent.add(id);
  }
  if (missing !== 0) out.push("FacilityMissingEvidence");
  if (f.balance < p.amount) out.push("FacilityInsufficientFunds");
  return out;
}

/** What executePayment takes: a kind and a salted hash; the contract recomputes the id with the payment's counterparty. */
export interface OfferedEvidence {
  kind: number;
  saltedHash: string;
}

/** The evidence ids the contract recomputes for `offered` on payment `index` of `f`. */
export function recomputedIds(f: FacilityModel, index: number, offered: OfferedEvidence[]): string[] {
  const p = f.plan[index];
  return offered.map((o) => evidenceIdOf(f.id, o.kind, counterpartyOf(o.kind, p.payee, f.borrower), o.saltedHash));
}

export function applyPayment(m: Model, f: FacilityModel, index: number, offered: OfferedEvidence[], at: bigint) {
  const evidenceIds = recomputedIds(f, index, offered);
  const segment = closeSegment(f, at);
  const p = f.plan[index];
  p.paid = true;
  f.principal += p.amount;
  f.balance -= p.amount;
  f.paidToPayees += p.amount;
  for (const id of evidenceIds) evidenceById(m, id)!.consumed = true;
  return segment;
}
