import { ethers } from "hardhat";
import { expect } from "chai";
import type { Kind } from "../helpers/constants";
import { kindsOf } from "../helpers/entrustedPayments";
import { signAttestation, signRevocation } from "../helpers/signatures";
import type { Action, EvidenceChoice, Signers } from "./facilityActions";
import { expectPaymentAllowed, expectSegmentEvent, findEvent } from "./facilityEvents";
import * as M from "./facilityModel";
import { HOUR, chooser, resolveFacility, type Runner, type Step } from "./stepTargets";

/** The steps of the evidence actions (anchor, attest, revoke) and of entrusted payments, which spend the evidence. */

export async function prepareAnchor(r: Runner, a: Extract<Action, { type: "anchor" }>): Promise<Step> {
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
  // The counterparty is mostly the one a payment of the facility would recompute; sometimes another planned payee
  // (or the borrower for a payee kind), which such a payment must never accept.
  const parties = f ? [...new Set([f.borrower, ...f.plan.map((p) => p.payee)])] : [ethers.ZeroAddress];
  const fitting = f
    ? f.plan
        .filter((p) => (p.requiredKinds >> kindToAnchor) & 1)
        .map((p) => M.counterpartyOf(kindToAnchor, p.payee, f.borrower))
    : [];
  const counterparty =
    old?.counterparty ?? (a.kind % 5 === 4 ? chooser(m.salt)(parties) : chooser(m.salt)(fitting)) ?? parties[0];
  const evidenceId = M.evidenceIdOf(facilityId, kindToAnchor, counterparty, saltedHash);
  return {
    expected: M.evidenceById(m, evidenceId) ? ["EvidenceAlreadyAnchored"] : [],
    send: () => fx.evidence.anchor(facilityId, kindToAnchor, counterparty, saltedHash),
    apply: (receipt) => {
      expect(findEvent(fx, receipt, "EvidenceAnchored").evidenceId, "evidence id (StandardMerkleTree leaf)").to.equal(
        evidenceId,
      );
      m.evidence.push({
        id: evidenceId,
        facilityId,
        kind: kindToAnchor,
        counterparty,
        saltedHash,
        accepted: 0,
        rejected: 0,
        consumed: false,
      });
    },
  };
}

export async function prepareRevoke(r: Runner, a: Extract<Action, { type: "revoke" }>, at: bigint): Promise<Step> {
  const { fx, model: m } = r;
  const e =
    chooser(a.evidence)(m.evidence.filter((x) => (x.accepted & (1 << a.verifier)) !== 0)) ??
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

/** The verifier slots signing an attestation: 0 the bank node, 1 the regulator node, -1 an account that is neither. */
const VERIFIERS: Record<Signers, number[]> = {
  both: [0, 1],
  bank: [0],
  regulator: [1],
  bankTwice: [0, 0],
  stranger: [-1],
};

export async function prepareAttest(r: Runner, a: Extract<Action, { type: "attest" }>, at: bigint): Promise<Step> {
  const { fx, model: m } = r;
  const verifiers = VERIFIERS[a.signers];
  const untouched = m.evidence.filter((e) =>
    verifiers.every((v) => v < 0 || ((e.accepted | e.rejected) & (1 << v)) === 0),
  );
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
      signAttestation(
        fx.evidence,
        v === 0 ? fx.bankVerifier : v === 1 ? fx.regulatorVerifier : fx.stranger,
        requests[i],
      ),
    ),
  );
  const verdicts = verifiers.map((verifier, i) => ({ verifier, evidenceId, accept: a.accept[i], deadline }));
  return {
    expected: M.attestAndApply(m, verdicts, at, false),
    send: () => fx.evidence.attest(requests, signatures),
    apply: () => void M.attestAndApply(m, verdicts, at, true),
  };
}

/** The evidence offered with a payment, built from the model's evidence according to `choice`. */
function chooseEvidence(
  m: M.Model,
  f: M.FacilityModel,
  p: M.PaymentState,
  choice: EvidenceChoice,
  pick: number,
): M.EvidenceState[] {
  const choose = chooser(pick);
  const kinds = kindsOf(p.requiredKinds);
  const unconsumed = (e: M.EvidenceState) => !e.consumed;
  const names = (e: M.EvidenceState) => e.counterparty === M.counterpartyOf(e.kind, p.payee, f.borrower);
  const ofKind = (kind: number, own: boolean) =>
    m.evidence.filter((e) => e.kind === kind && (e.facilityId === f.id && names(e)) === own && unconsumed(e));
  const preferVerified = (list: M.EvidenceState[]) => (list.some(M.isVerified) ? list.filter(M.isVerified) : list);
  const correct = kinds.flatMap((k) => {
    const e = choose(preferVerified(ofKind(k, true)));
    return e ? [e] : [];
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
        return e ? [e] : [];
      });
    case "wrongFacility": {
      // another facility's evidence, or this facility's naming another counterparty
      if (slot === undefined) return correct;
      const other = choose(preferVerified(ofKind(kinds[slot], false)));
      return other ? correct.map((e, i) => (i === slot ? other : e)) : correct;
    }
    case "duplicateKind": {
      if (slot === undefined) return correct;
      const extra = choose(ofKind(kinds[slot], true).filter((e) => e.id !== correct[slot].id));
      return [...correct, extra ?? correct[slot]];
    }
    case "notRequired": {
      const extra = choose(
        preferVerified(
          m.evidence.filter((e) => e.facilityId === f.id && unconsumed(e) && !kinds.includes(e.kind as Kind)),
        ),
      );
      return extra ? [...correct, extra] : correct;
    }
    case "consumed": {
      const spent =
        choose(m.evidence.filter((e) => e.consumed && e.facilityId === f.id)) ??
        choose(m.evidence.filter((e) => e.consumed));
      if (!spent) return correct;
      return slot === undefined ? [spent] : correct.map((e, i) => (i === slot ? spent : e));
    }
  }
}

/** Unpaid payments for which verified, unconsumed evidence of every required kind exists. */
function readyPayments(m: M.Model): Array<{ f: M.FacilityModel; index: number }> {
  const ready: Array<{ f: M.FacilityModel; index: number }> = [];
  for (const f of m.facilities) {
    f.plan.forEach((p, index) => {
      const available = kindsOf(p.requiredKinds).every((kind) =>
        m.evidence.some(
          (e) =>
            e.facilityId === f.id &&
            e.kind === kind &&
            e.counterparty === M.counterpartyOf(kind, p.payee, f.borrower) &&
            !e.consumed &&
            M.isVerified(e),
        ),
      );
      if (!p.paid && available) ready.push({ f, index });
    });
  }
  return ready;
}

export async function preparePayment(
  r: Runner,
  a: Extract<Action, { type: "executePayment" }>,
  at: bigint,
): Promise<Step> {
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
  const offered = (f && p ? chooseEvidence(m, f, p, a.evidence, a.pick) : []).map((e) => ({
    kind: e.kind,
    saltedHash: e.saltedHash,
  }));
  return {
    expected: M.paymentViolations(m, f, index, offered),
    send: () => fx.manager.executePayment(id, index, offered),
    apply: (receipt) => {
      // The key rules, checked directly against the state just before the payment and against its events.
      expectPaymentAllowed(fx, m, f!, index, M.recomputedIds(f!, index, offered), receipt);
      expectSegmentEvent(fx, receipt, f!, M.applyPayment(m, f!, index, offered, at));
    },
  };
}
