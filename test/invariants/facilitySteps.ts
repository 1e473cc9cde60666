import { ethers } from "hardhat";
import { expect } from "chai";
import type { Signer } from "ethers";
import { Category } from "../helpers/constants";
import type { Fixture } from "../helpers/fixtures";
import { signReview, signUnfreeze } from "../helpers/signatures";
import { MAX_FACILITIES, type Action, type JointVariant } from "./facilityActions";
import { expectSegmentEvent, findEvent } from "./facilityEvents";
import * as M from "./facilityModel";
import { HOUR, amountFor, resolveFacility, resolvePayee, type Runner, type Step } from "./stepTargets";

/** Payees, facilities, joint decisions and money: the steps of every action but evidence and payments. */
export async function prepareFacilityStep(
  r: Runner,
  a: Exclude<Action, { type: "timePasses" | "anchor" | "attest" | "revoke" | "executePayment" }>,
  at: bigint,
): Promise<Step | undefined> {
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
        expected: M.updateViolations(m, payee),
        send: () => fx.payees.updatePayee(payee, a.category, ethers.id(`licence:${payee}:renewed`)),
        apply: () => void (m.payees.get(payee)!.category = a.category),
      };
    }
    case "createFacility":
      return prepareCreate(r, a, at);
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
      const payer = r.borrowers.find((b) => b.address === f?.borrower) ?? r.borrowers[0];
      return {
        expected: M.repayViolations(f, amount, at),
        send: () => fx.manager.connect(payer).repay(id, amount),
        apply: (receipt) => {
          const { segment, interestPaid, principalPaid } = M.applyRepay(f!, amount, at);
          expectSegmentEvent(fx, receipt, f!, segment);
          const repaid = findEvent(fx, receipt, "Repaid");
          expect([repaid.interestPaid, repaid.principalPaid], "Repaid split").to.deep.equal([
            interestPaid,
            principalPaid,
          ]);
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
      const to = a.mode === "zeroAddress" ? ethers.ZeroAddress : fx.treasury.address;
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
  const [bankSig, regulatorSig] = await Promise.all(
    signers.map((who) => signReview(fx.manager, actor(fx, who), review)),
  );
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
  const borrower = r.borrowers[a.borrower].address;
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
    creditLimit:
      a.limit === "exact" ? total : a.limit === "roomy" ? total + total / 2n + 1n : total > 0n ? total - 1n : 0n,
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
