import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import type { ContractTransactionReceipt, ContractTransactionResponse, Signer } from "ethers";
import { Category, Kind, yuan } from "../helpers/constants";
import { kindsOf } from "../helpers/entrustedPayments";
import { deployFixture, type Fixture } from "../helpers/fixtures";
import { revertName } from "../helpers/revertReasons";
import { signAttestation, signReview, signRevocation, signUnfreeze } from "../helpers/signatures";
import { MAX_FACILITIES, type Action, type EvidenceChoice, type JointVariant } from "./facilityActions";
import { expectPaymentAllowed, expectSegmentEvent, findEvent } from "./facilityEvents";
import * as M from "./facilityModel";

/** The deployed system, the accounts the actions use, and the model that shadows the chain. */
export interface Runner {
  fx: Fixture;
  borrowers: Signer[];
  payeePool: string[];
  model: M.Model;
  stats: Map<string, number>;
}

/** What one action does on chain, what the model expects of it, and how the model follows a success. */
interface Step {
  expected: string[];
  send(): Promise<ContractTransactionResponse>;
  apply(receipt: ContractTransactionReceipt): void;
}

const HOUR = 3_600n;

/**
 * The fixed opening of every sequence, run through the same executor as the random actions: three payees, two
 * facilities (one 10M plan at 4.35%, funded 6M, with its 1M lab payment already executed, a review that made it
 * subsidy-eligible at 4.00%; one 3M plan at 5.00%), evidence in every state (verified, attested by one node only,
 * anchored and not yet attested, consumed), then ten days. Short random sequences
 * start from here, so they reach payments, repayments and subsidy without first having to build them.
 */
export const PRELUDE: Action[] = [
  { type: "registerPayee", payee: 0, category: Category.EQUIPMENT },
  { type: "registerPayee", payee: 1, category: Category.TESTING_CERT },
  { type: "registerPayee", payee: 2, category: Category.MATERIALS },
  {
    type: "createFacility",
    borrower: 0,
    limit: "exact",
    baseRateBps: 435,
    qualityFloorBps: 0,
    subsidyBps: 300,
    plan: [
      { payee: 0, amount: yuan(4_000_000), categoryMatches: true, requiredKinds: 0b11, qualityPurpose: true },
      { payee: 1, amount: yuan(1_000_000), categoryMatches: true, requiredKinds: 0b1000, qualityPurpose: true },
      { payee: 2, amount: yuan(5_000_000), categoryMatches: true, requiredKinds: 0b101, qualityPurpose: false },
    ],
  },
  {
    type: "createFacility",
    borrower: 1,
    limit: "roomy",
    baseRateBps: 500,
    qualityFloorBps: 5_000,
    subsidyBps: 300,
    plan: [
      { payee: 1, amount: yuan(2_000_000), categoryMatches: true, requiredKinds: 0b10000, qualityPurpose: true },
      { payee: 2, amount: yuan(1_000_000), categoryMatches: true, requiredKinds: 0b10, qualityPurpose: false },
    ],
  },
  { type: "fund", facility: 0, amount: yuan(6_000_000) },
  { type: "fund", facility: 1, amount: yuan(3_000_000) },
  { type: "anchor", facility: 0, kind: Kind.INSPECTION_REPORT, neededKind: false, reanchor: false },
  { type: "attest", evidence: 0, signers: "both", accept: [true, true], expired: false, ghost: false },
  { type: "executePayment", facility: 0, payment: 1, evidence: "correct", pick: 0 },
  { type: "anchor", facility: 0, kind: Kind.PURCHASE_CONTRACT, neededKind: false, reanchor: false },
  { type: "anchor", facility: 0, kind: Kind.INVOICE, neededKind: false, reanchor: false },
  { type: "attest", evidence: 0, signers: "both", accept: [true, true], expired: false, ghost: false },
  { type: "attest", evidence: 0, signers: "bank", accept: [true, true], expired: false, ghost: false },
  { type: "anchor", facility: 1, kind: Kind.CERTIFICATION, neededKind: false, reanchor: false },
  { type: "attest", evidence: 0, signers: "both", accept: [true, true], expired: false, ghost: false },
  { type: "anchor", facility: 0, kind: Kind.DELIVERY_NOTE, neededKind: false, reanchor: false },
  { type: "anchor", facility: 1, kind: Kind.INVOICE, neededKind: false, reanchor: false },
  { type: "applyReview", facility: 0, discountBps: 35, subsidyEligible: true, variant: "valid" },
  { type: "timePasses", seconds: 10 * 86_400 },
];

/** Deploys once, funds the actors, runs the prelude; `loadFixture` snapshots the result for every run. */
export async function propertyFixture(): Promise<{ runner: Runner }> {
  const fx = await deployFixture();
  const signers = await ethers.getSigners();
  const borrowers: Signer[] = [fx.borrower, signers[14]];
  const payeePool = [fx.equipmentVendor, fx.lab, fx.materials, ...signers.slice(11, 14)].map((s) => s.address);
  const manager = await fx.manager.getAddress();
  for (const holder of [fx.bank, fx.fiscal, ...borrowers]) {
    await fx.token.mint(await holder.getAddress(), 10n ** 15n);
    await fx.token.connect(holder).approve(manager, ethers.MaxUint256);
  }
  const runner: Runner = { fx, borrowers, payeePool, model: M.emptyModel(BigInt(await time.latest())), stats: new Map() };
  for (const a of PRELUDE) {
    const outcome = await perform(runner, a);
    if (outcome !== "ok") throw new Error(`prelude action ${JSON.stringify(a)} did not succeed: ${outcome}`);
  }
  runner.stats.clear();
  return { runner };
}

/**
 * Sends one action to the chain in its own block, one second after the previous one (so the model knows every
 * timestamp), and checks the outcome against the model: success exactly when the model finds no violation, and a
 * revert only with one of the errors the model names. Returns "ok", the revert's error name, or "skipped".
 */
export async function perform(r: Runner, a: Action): Promise<string> {
  const m = r.model;
  if (a.type === "timePasses") {
    m.now += BigInt(a.seconds);
    await time.increaseTo(m.now);
    count(r, "timePasses ok");
    return "ok";
  }
  const at = m.now + 1n;
  const step = await prepare(r, a, at);
  if (!step) return "skipped";
  await time.setNextBlockTimestamp(at);
  let receipt: ContractTransactionReceipt | null = null;
  let failure: unknown;
  try {
    receipt = await (await step.send()).wait();
  } catch (error) {
    failure = error;
  }
  if (receipt) {
    m.now = at;
    expect(step.expected, `${a.type} succeeded on chain, but the model expected one of`).to.deep.equal([]);
    step.apply(receipt);
    count(r, `${a.type} ok`);
    return "ok";
  }
  const name = revertName(failure);
  if ((failure as { transactionHash?: string }).transactionHash) m.now = at; // the reverted transaction took the block
  expect(step.expected, `${a.type} reverted with ${name} on chain; the model expected`).to.include(name);
  count(r, `${a.type} ✗ ${name}`);
  return name;
}

function count(r: Runner, key: string): void {
  r.stats.set(key, (r.stats.get(key) ?? 0) + 1);
}

/** A deterministic stream of choices from one picked number (the action stays a small, printable value). */
function chooser(seed: number): <T>(list: T[]) => T | undefined {
  let state = seed >>> 0;
  return <T>(list: T[]) => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return list.length === 0 ? undefined : list[state % list.length];
  };
}

/**
 * Three picks in four aim at a target where the action makes sense (a frozen facility to unfreeze, an inactive payee
 * to reactivate), when there is one; the fourth, and every pick when there is none, takes any target.
 */
function aim<T>(pick: number, all: T[], sensible: (t: T) => boolean = () => true): T {
  const aimed = all.filter(sensible);
  return pick % 4 !== 3 && aimed.length > 0 ? aimed[pick % aimed.length] : all[pick % all.length];
}

function resolveFacility(
  m: M.Model,
  pick: number,
  sensible?: (f: M.FacilityModel) => boolean,
): { id: bigint; f: M.FacilityModel | undefined } {
  if (pick < 0 || m.facilities.length === 0) return { id: M.MISSING_FACILITY, f: undefined };
  const f = aim(pick, m.facilities, sensible);
  return { id: f.id, f };
}

function resolvePayee(r: Runner, pick: number, sensible: (p: M.PayeeState | undefined) => boolean): string {
  return aim(pick, r.payeePool, (payee) => sensible(r.model.payees.get(payee)));
}

function amountFor(mode: string, limit: bigint, pick: number): bigint {
  switch (mode) {
    case "all":
      return limit;
    case "tooMuch":
      return limit + 1n;
    case "zero":
      return 0n;
    default: // "part", "interest", "zeroAddress": somewhere in 1..limit
      return limit > 0n ? 1n + (BigInt(pick) % limit) : 1n;
  }
}

async function prepare(r: Runner, a: Exclude<Action, { type: "timePasses" }>, at: bigint): Promise<Step | undefined> {
  const { fx, model: m } = r;
  switch (a.type) {
    case "registerPayee": {
      const payee = resolvePayee(r, a.payee, (p) => p === undefined);
      return {
        expected: M.registerViolations(m, payee),
        send: () => fx.payees.registerPayee(payee, a.category, ethers.id(`licence:${payee}`)),
        apply: () => void m.payees.set(payee, { category: a.category, active: true }),
      };
    }
    case "deactivatePayee": {
      const payee = resolvePayee(r, a.payee, (p) => p?.active === true);
      return {
        expected: M.deactivateViolations(m, payee),
        send: () => fx.payees.deactivatePayee(payee, ethers.id("licence revoked")),
        apply: () => void (m.payees.get(payee)!.active = false),
      };
    }
    case "reactivatePayee": {
      const payee = resolvePayee(r, a.payee, (p) => p?.active === false);
      return {
        expected: M.reactivateViolations(m, payee),
        send: () => fx.payees.reactivatePayee(payee),
        apply: () => void (m.payees.get(payee)!.active = true),
      };
    }
    case "updatePayee": {
      const payee = resolvePayee(r, a.payee, (p) => p !== undefined);
      return {
        expected: m.payees.has(payee) ? [] : ["PayeeNotRegistered"],
        send: () => fx.payees.updatePayee(payee, a.category, ethers.id(`licence:${payee}:renewed`)),
        apply: () => void (m.payees.get(payee)!.category = a.category),
      };
    }
    case "createFacility":
      return prepareCreate(r, a, at);
    case "anchor":
      return prepareAnchor(r, a);
    case "attest":
      return prepareAttest(r, a, at);
    case "revoke": {
      const e = chooser(a.evidence)(m.evidence.filter((x) => (x.accepted & (1 << a.verifier)) !== 0)) ??
        chooser(a.evidence)(m.evidence);
      const evidenceId = e?.id ?? ethers.id("never anchored");
      const verifier = a.verifier === 0 ? fx.bankVerifier : fx.regulatorVerifier;
      const request = {
        evidenceId,
        reasonHash: ethers.id("revoked"),
        nonce: m.verifierNonces[a.verifier],
        deadline: a.expired ? at - 1n : at + HOUR,
      };
      const signature = await signRevocation(fx.evidence, verifier, request);
      return {
        expected: M.revokeViolations(m, a.verifier, evidenceId, request.deadline, at),
        send: () => fx.evidence.revoke(request, signature),
        apply: () => M.applyRevoke(m, a.verifier, evidenceId),
      };
    }
    case "executePayment":
      return preparePayment(r, a, at);
    case "freeze": {
      const { id, f } = resolveFacility(m, a.facility, (x) => x.status === M.FACILITY_STATUS.ACTIVE);
      const by = a.by === "bank" ? fx.bank : a.by === "regulator" ? fx.regulator : fx.stranger;
      return {
        expected: M.freezeViolations(f, a.by !== "stranger"),
        send: () => fx.manager.connect(by).freeze(id, ethers.id("spot check failed")),
        apply: () => {
          f!.status = M.FACILITY_STATUS.FROZEN;
          f!.freezeCount += 1;
        },
      };
    }
    case "unfreeze": {
      const { id, f } = resolveFacility(m, a.facility, (x) => x.status === M.FACILITY_STATUS.FROZEN);
      const current = f?.freezeCount ?? 0;
      const decision = {
        facilityId: id,
        freezeCount: a.variant === "stale" ? (current > 0 ? current - 1 : current + 1) : current,
        reasonHash: ethers.id("corrective action verified"),
        deadline: a.variant === "expired" ? at - 1n : at + HOUR,
      };
      const signers = jointSigners(a.variant);
      const [bankSig, regulatorSig] = await Promise.all(
        signers.map((who) => signUnfreeze(fx.manager, actor(fx, who), decision)),
      );
      const joint = { bankSigner: signers[0], regulatorSigner: signers[1], deadline: decision.deadline };
      return {
        expected: M.unfreezeViolations(f, decision.freezeCount, joint, at),
        send: () => fx.manager.unfreeze(decision, bankSig, regulatorSig),
        apply: () => void (f!.status = M.FACILITY_STATUS.ACTIVE),
      };
    }
    case "applyReview":
      return prepareReview(r, a, at);
    case "fund": {
      const { id, f } = resolveFacility(m, a.facility);
      return {
        expected: M.fundViolations(f, a.amount),
        send: () => fx.manager.fund(id, a.amount),
        apply: () => {
          f!.balance += a.amount;
          f!.funded += a.amount;
        },
      };
    }
    case "repay": {
      const { id, f } = resolveFacility(m, a.facility);
      const due = f ? M.interestDueAt(f, at) : 0n;
      const amount = amountFor(a.mode, a.mode === "interest" ? due : due + (f?.principal ?? 0n), a.pick);
      const payer = r.borrowers.find((b) => (b as { address?: string }).address === f?.borrower) ?? r.borrowers[0];
      return {
        expected: M.repayViolations(f, amount, at),
        send: () => fx.manager.connect(payer).repay(id, amount),
        apply: (receipt) => {
          const { segment, interestPaid, principalPaid } = M.applyRepay(f!, amount, at);
          expectSegmentEvent(fx, receipt, f!, segment);
          const repaid = findEvent(fx, receipt, "Repaid");
          expect([repaid.interestPaid, repaid.principalPaid], "Repaid split").to.deep.equal([interestPaid, principalPaid]);
        },
      };
    }
    case "paySubsidy": {
      const { id, f } = resolveFacility(m, a.facility);
      const amount = amountFor(a.mode, f ? M.subsidyDueAt(f, at) : 0n, a.pick);
      return {
        expected: M.subsidyViolations(f, amount, at),
        send: () => fx.manager.connect(fx.fiscal).paySubsidy(id, amount),
        apply: () => {
          f!.subsidyPaid += amount;
          f!.balance += amount;
        },
      };
    }
    case "withdraw": {
      const { id, f } = resolveFacility(m, a.facility);
      const amount = amountFor(a.mode, f?.balance ?? 0n, a.pick);
      const to = a.mode === "zeroAddress" ? ethers.ZeroAddress : fx.bank.address;
      return {
        expected: M.withdrawViolations(f, amount, a.mode === "zeroAddress"),
        send: () => fx.manager.withdraw(id, amount, to),
        apply: () => {
          f!.balance -= amount;
          f!.withdrawn += amount;
        },
      };
    }
    case "close": {
      const { id, f } = resolveFacility(m, a.facility);
      return {
        expected: M.closeViolations(f, at),
        send: () => fx.manager.close(id),
        apply: () => void (f!.status = M.FACILITY_STATUS.CLOSED),
      };
    }
  }
}

type Role = "bank" | "regulator" | "stranger";

function actor(fx: Fixture, who: Role): Signer {
  return who === "bank" ? fx.bank : who === "regulator" ? fx.regulator : fx.stranger;
}

/** Who signs the bank's and the regulator's part of a joint decision. */
function jointSigners(variant: JointVariant): [Role, Role] {
  switch (variant) {
    case "bankOnly":
      return ["bank", "bank"];
    case "regulatorOnly":
      return ["regulator", "regulator"];
    case "stranger":
      return ["bank", "stranger"];
    case "swapped":
      return ["regulator", "bank"];
    default:
      return ["bank", "regulator"];
  }
}

async function prepareReview(r: Runner, a: Extract<Action, { type: "applyReview" }>, at: bigint): Promise<Step> {
  const { fx, model: m } = r;
  const { id, f } = resolveFacility(m, a.facility);
  const base = f?.baseRateBps ?? 0n;
  const current = f?.reviewNonce ?? 0;
  const newRateBps = a.discountBps < 0 ? base + 1n : base > BigInt(a.discountBps) ? base - BigInt(a.discountBps) : 0n;
  const review = {
    facilityId: id,
    nonce: a.variant === "stale" ? (current > 0 ? current - 1 : current + 1) : current,
    newRateBps: Number(newRateBps),
    subsidyEligible: a.subsidyEligible,
    reportHash: ethers.id(`quarterly report ${id}/${current}`),
    deadline: a.variant === "expired" ? at - 1n : at + HOUR,
  };
  const signers = jointSigners(a.variant);
  const [bankSig, regulatorSig] = await Promise.all(signers.map((who) => signReview(fx.manager, actor(fx, who), review)));
  const joint = { bankSigner: signers[0], regulatorSigner: signers[1], deadline: review.deadline };
  return {
    expected: M.reviewViolations(f, review.nonce, newRateBps, joint, at),
    send: () => fx.manager.applyReview(review, bankSig, regulatorSig),
    apply: (receipt) => {
      expectSegmentEvent(fx, receipt, f!, M.closeSegment(f!, at));
      f!.rateBps = newRateBps;
      f!.subsidyEligible = a.subsidyEligible;
      f!.reviewNonce += 1;
    },
  };
}

async function prepareCreate(
  r: Runner,
  a: Extract<Action, { type: "createFacility" }>,
  at: bigint,
): Promise<Step | undefined> {
  const { fx, model: m } = r;
  if (m.facilities.length >= MAX_FACILITIES) return undefined; // keeps the per-step reads bounded
  const borrower = await r.borrowers[a.borrower].getAddress();
  const plan = a.plan.map((p) => {
    const payee = p.payee < 0 ? borrower : resolvePayee(r, p.payee, (x) => x?.active === true);
    const registered = m.payees.get(payee)?.category ?? Category.EQUIPMENT;
    return {
      payee,
      amount: p.amount,
      category: p.categoryMatches ? registered : (registered + 1) % 5,
      requiredKinds: p.requiredKinds,
      qualityPurpose: p.qualityPurpose,
    };
  });
  const total = plan.reduce((sum, p) => sum + p.amount, 0n);
  const terms = {
    borrower,
    creditLimit: a.limit === "exact" ? total : a.limit === "roomy" ? total + total / 2n + 1n : total > 0n ? total - 1n : 0n,
    baseRateBps: BigInt(a.baseRateBps),
    qualityFloorBps: BigInt(a.qualityFloorBps),
    subsidyBps: BigInt(a.subsidyBps),
    plan,
  };
  return {
    expected: M.createViolations(m, terms),
    send: () =>
      fx.manager.createFacility(
        terms,
        plan.map((p) => ({ ...p, paid: false })),
      ),
    apply: (receipt) => {
      const f = M.applyCreate(m, terms, at);
      expect(findEvent(fx, receipt, "FacilityCreated").facilityId, "new facility id").to.equal(f.id);
    },
  };
}

async function prepareAnchor(r: Runner, a: Extract<Action, { type: "anchor" }>): Promise<Step> {
  const { fx, model: m } = r;
  const { id, f } = resolveFacility(m, a.facility);
  const old = a.reanchor ? chooser(a.kind)(m.evidence) : undefined;
  let kind = a.kind;
  if (f && a.neededKind) {
    const needed = [...new Set(f.plan.filter((p) => !p.paid).flatMap((p) => kindsOf(p.requiredKinds)))];
    kind = chooser(a.kind)(needed) ?? a.kind;
  }
  const facilityId = old?.facilityId ?? id;
  const kindToAnchor = old?.kind ?? kind;
  const saltedHash = old?.saltedHash ?? ethers.id(`document #${++m.salt}`);
  const evidenceId = M.evidenceIdOf(facilityId, kindToAnchor, saltedHash);
  return {
    expected: M.evidenceById(m, evidenceId) ? ["EvidenceAlreadyAnchored"] : [],
    send: () => fx.evidence.anchor(facilityId, kindToAnchor, saltedHash),
    apply: (receipt) => {
      expect(findEvent(fx, receipt, "EvidenceAnchored").evidenceId, "evidence id (StandardMerkleTree leaf)").to.equal(
        evidenceId,
      );
      m.evidence.push({ id: evidenceId, facilityId, kind: kindToAnchor, saltedHash, accepted: 0, rejected: 0, consumed: false });
    },
  };
}

async function prepareAttest(r: Runner, a: Extract<Action, { type: "attest" }>, at: bigint): Promise<Step> {
  const { fx, model: m } = r;
  const verifiers: number[] =
    a.signers === "both" ? [0, 1] : a.signers === "bank" ? [0] : a.signers === "regulator" ? [1] : a.signers === "bankTwice" ? [0, 0] : [-1];
  const untouched = m.evidence.filter((e) => verifiers.every((v) => v < 0 || ((e.accepted | e.rejected) & (1 << v)) === 0));
  const choose = chooser(a.evidence);
  // Mostly evidence these verifiers have not judged yet; one time in eight, any evidence (a second verdict).
  const e = a.evidence % 8 === 7 ? choose(m.evidence) : (choose(untouched) ?? choose(m.evidence));
  const evidenceId = a.ghost || !e ? ethers.id(`never anchored ${a.evidence}`) : e.id;
  const deadline = a.expired ? at - 1n : at + (a.evidence % 2 === 0 ? HOUR : 0n); // the deadline second itself is valid
  const nonces = [...m.verifierNonces];
  const requests = verifiers.map((v, i) => ({
    evidenceId,
    verdict: a.accept[i] ? 1 : 2,
    reasonHash: ethers.ZeroHash,
    nonce: v < 0 ? 0n : nonces[v]++,
    deadline,
  }));
  const signatures = await Promise.all(
    verifiers.map((v, i) =>
      signAttestation(fx.evidence, v === 0 ? fx.bankVerifier : v === 1 ? fx.regulatorVerifier : fx.stranger, requests[i]),
    ),
  );
  const verdicts = verifiers.map((verifier, i) => ({ verifier, evidenceId, accept: a.accept[i], deadline }));
  return {
    expected: M.attestAndApply(m, verdicts, at, false),
    send: () => fx.evidence.attest(requests, signatures),
    apply: () => void M.attestAndApply(m, verdicts, at, true),
  };
}

/** The evidence ids offered with a payment, built from the model's evidence according to `choice`. */
function chooseEvidence(m: M.Model, f: M.FacilityModel, p: M.PaymentState, choice: EvidenceChoice, pick: number): string[] {
  const choose = chooser(pick);
  const kinds = kindsOf(p.requiredKinds);
  const unconsumed = (e: M.EvidenceState) => !e.consumed;
  const ofKind = (kind: number, own: boolean) =>
    m.evidence.filter((e) => e.kind === kind && (e.facilityId === f.id) === own && unconsumed(e));
  const preferVerified = (list: M.EvidenceState[]) => (list.some(M.isVerified) ? list.filter(M.isVerified) : list);
  const correct = kinds.flatMap((k) => {
    const e = choose(preferVerified(ofKind(k, true)));
    return e ? [e.id] : [];
  });
  const slot = choose(correct.map((_, i) => i));
  switch (choice) {
    case "correct":
      return correct;
    case "none":
      return [];
    case "missing":
      return correct.filter((_, i) => i !== slot);
    case "unverified":
      return kinds.flatMap((k) => {
        const candidates = ofKind(k, true);
        const e = choose(candidates.filter((x) => !M.isVerified(x))) ?? choose(candidates);
        return e ? [e.id] : [];
      });
    case "wrongFacility": {
      if (slot === undefined) return correct;
      const other = choose(preferVerified(ofKind(kinds[slot], false)));
      return other ? correct.map((id, i) => (i === slot ? other.id : id)) : correct;
    }
    case "duplicateKind": {
      if (slot === undefined) return correct;
      const extra = choose(ofKind(kinds[slot], true).filter((e) => e.id !== correct[slot]));
      return [...correct, extra?.id ?? correct[slot]];
    }
    case "notRequired": {
      const extra = choose(
        preferVerified(m.evidence.filter((e) => e.facilityId === f.id && unconsumed(e) && !kinds.includes(e.kind as Kind))),
      );
      return extra ? [...correct, extra.id] : correct;
    }
    case "consumed": {
      const spent = choose(m.evidence.filter((e) => e.consumed && e.facilityId === f.id)) ?? choose(m.evidence.filter((e) => e.consumed));
      if (!spent) return correct;
      return slot === undefined ? [spent.id] : correct.map((id, i) => (i === slot ? spent.id : id));
    }
  }
}

/** Unpaid payments for which verified, unconsumed evidence of every required kind exists. */
function readyPayments(m: M.Model): Array<{ f: M.FacilityModel; index: number }> {
  const ready: Array<{ f: M.FacilityModel; index: number }> = [];
  for (const f of m.facilities) {
    f.plan.forEach((p, index) => {
      const available = kindsOf(p.requiredKinds).every((kind) =>
        m.evidence.some((e) => e.facilityId === f.id && e.kind === kind && !e.consumed && M.isVerified(e)),
      );
      if (!p.paid && available) ready.push({ f, index });
    });
  }
  return ready;
}

async function preparePayment(r: Runner, a: Extract<Action, { type: "executePayment" }>, at: bigint): Promise<Step> {
  const { fx, model: m } = r;
  let { id, f } = resolveFacility(m, a.facility);
  let index = !f ? 0 : a.payment < 0 ? f.plan.length : a.payment % f.plan.length;
  if (a.evidence === "correct" && a.payment >= 0) {
    // Aim at a payment whose evidence is ready, so that payments succeed often enough to matter.
    const ready = readyPayments(m);
    if (ready.length > 0 && a.payment % 4 !== 3) ({ f, index } = ready[a.payment % ready.length]);
    id = f?.id ?? id;
  }
  const p = f?.plan[index];
  const evidenceIds = f && p ? chooseEvidence(m, f, p, a.evidence, a.pick) : [];
  return {
    expected: M.paymentViolations(m, f, index, evidenceIds),
    send: () => fx.manager.executePayment(id, index, evidenceIds),
    apply: (receipt) => {
      // The key rules, checked directly against the state just before the payment and against its events.
      expectPaymentAllowed(fx, m, f!, index, evidenceIds, receipt);
      expectSegmentEvent(fx, receipt, f!, M.applyPayment(m, f!, index, evidenceIds, at));
    },
  };
}
