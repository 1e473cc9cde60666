import { standardLeafHash } from "@openzeppelin/merkle-tree/dist/hashes";
import { LEAF_ENCODING } from "../helpers/constants";
import { THRESHOLD, type EvidenceState, type Model } from "./modelState";

/**
 * The rules of the payee and evidence registries. Each `*Violations` function lists every rule an action would break
 * (the names of the custom errors that may legitimately stop it); an empty list means the action must succeed.
 */

export function registerViolations(m: Model, payee: string): string[] {
  return m.payees.has(payee) ? ["PayeeAlreadyRegistered"] : [];
}

export function deactivateViolations(m: Model, payee: string): string[] {
  const p = m.payees.get(payee);
  if (!p) return ["PayeeNotRegistered"];
  return p.active ? [] : ["PayeeInactive"];
}

export function reactivateViolations(m: Model, payee: string): string[] {
  const p = m.payees.get(payee);
  if (!p) return ["PayeeNotRegistered"];
  return p.active ? ["PayeeAlreadyActive"] : [];
}

export function updateViolations(m: Model, payee: string): string[] {
  return m.payees.has(payee) ? [] : ["PayeeNotRegistered"];
}

/** Why a payment to `payee` as `category` would be refused by the registry, or by the category check. */
export function payeeViolations(m: Model, payee: string, category: number): string[] {
  const p = m.payees.get(payee);
  if (!p) return ["PayeeNotRegistered"];
  const out: string[] = [];
  if (!p.active) out.push("PayeeInactive");
  if (p.category !== category) out.push("FacilityPayeeCategoryMismatch");
  return out;
}

export function evidenceIdOf(facilityId: bigint, kind: number, counterparty: string, saltedHash: string): string {
  return standardLeafHash(LEAF_ENCODING, [facilityId, kind, counterparty, saltedHash]);
}

/** Kinds whose counterparty is the payee (EvidenceLeaf.PAYEE_KINDS); the others name the borrower. */
export const PAYEE_KINDS_MASK = 0x17;

/** The counterparty a payment to `payee` of a facility of `borrower` recomputes for `kind`. */
export function counterpartyOf(kind: number, payee: string, borrower: string): string {
  return (PAYEE_KINDS_MASK >> kind) & 1 ? payee : borrower;
}

export function evidenceById(m: Model, id: string): EvidenceState | undefined {
  return m.evidence.find((e) => e.id === id);
}

export function isVerified(e: EvidenceState): boolean {
  let count = 0;
  for (let bits = e.accepted; bits !== 0; bits &= bits - 1) ++count;
  return e.rejected === 0 && count >= THRESHOLD;
}

/** One signed verdict; `verifier` is 0 (bank node), 1 (regulator node) or -1 (an account that is no verifier). */
export interface Verdict {
  verifier: number;
  evidenceId: string;
  accept: boolean;
  deadline: bigint;
}

/**
 * Simulates `attest` request by request (an earlier request of the same transaction counts for a later one) and
 * returns the violations of the first failing request. On success the verdicts are applied to the model.
 */
export function attestAndApply(m: Model, verdicts: Verdict[], at: bigint, commit: boolean): string[] {
  const masks = new Map<string, { accepted: number; rejected: number }>();
  for (const v of verdicts) {
    const out: string[] = [];
    if (at > v.deadline) out.push("EvidenceSignatureExpired");
    if (v.verifier < 0) out.push("EvidenceNotVerifier");
    const e = evidenceById(m, v.evidenceId);
    if (!e) out.push("EvidenceNotAnchored");
    else {
      const mask = masks.get(e.id) ?? { accepted: e.accepted, rejected: e.rejected };
      masks.set(e.id, mask);
      const bit = v.verifier < 0 ? 0 : 1 << v.verifier;
      if (((mask.accepted | mask.rejected) & bit) !== 0) out.push("EvidenceAlreadyAttested");
      if (out.length === 0) {
        if (v.accept) mask.accepted |= bit;
        else mask.rejected |= bit;
      }
    }
    if (out.length > 0) return out;
  }
  if (commit) {
    for (const v of verdicts) m.verifierNonces[v.verifier] += 1n;
    for (const [id, mask] of masks) Object.assign(evidenceById(m, id)!, mask);
  }
  return [];
}

export function revokeViolations(
  m: Model,
  verifier: number,
  evidenceId: string,
  deadline: bigint,
  at: bigint,
): string[] {
  const out: string[] = [];
  if (at > deadline) out.push("EvidenceSignatureExpired");
  const e = evidenceById(m, evidenceId);
  if (!e) out.push("EvidenceNotAnchored");
  else if ((e.accepted & (1 << verifier)) === 0) out.push("EvidenceNotAccepted");
  return out;
}

export function applyRevoke(m: Model, verifier: number, evidenceId: string): void {
  const e = evidenceById(m, evidenceId)!;
  e.accepted &= ~(1 << verifier);
  e.rejected |= 1 << verifier;
  m.verifierNonces[verifier] += 1n;
}
