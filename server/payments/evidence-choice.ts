import { getAddress } from "ethers";
import { isPayeeKind, kindIndex, type EvidenceKind } from "../chain/evidence";
import type { LeafRef } from "../verification/evidence-status";

/** One document of a facility as the pre-flight sees it (the chain's record, the verdicts, the bank's row). */
export interface EvidenceCandidate {
  documentId: string;
  evidenceId: string;
  facilityId: bigint;
  kind: EvidenceKind;
  counterparty: string;
  saltedHash: string;
  registered: boolean;
  /** a batched leaf not registered: where it sits (its verdicts are its batch's bits; a payment registers it first) */
  batch?: LeafRef | null;
  mismatch?: string;
  consumed: boolean;
  verified: boolean;
  verdicts: Array<{ verifier: string; verdict: string }>;
}

/** A document the pre-flight considered, and whether (or why not) it releases the payment. */
export interface Considered {
  documentId: string;
  evidenceId: string;
  kind: EvidenceKind;
  counterparty: string;
  use: "chosen" | "usable" | "unusable";
  reason: string;
}

/** What executePayment takes: the kind's enum value and the salted hash; the contract recomputes the id. */
export interface OfferedEvidence {
  kind: number;
  saltedHash: string;
}

const verdictText = (e: EvidenceCandidate) =>
  e.verdicts
    .map(
      (v, i) =>
        `${i === 0 ? "bank" : i === 1 ? "regulator" : v.verifier}: ${v.verdict === "NONE" ? "pending" : v.verdict}`,
    )
    .join(", ");

/**
 * Why a document cannot release payment `index` (to `payee`, of a facility of `borrower`), or undefined when it can.
 * A payee kind must name this payment's payee, a borrower kind the borrower: the chain recomputes the evidence id with
 * them, so anything else is not found there.
 */
export function unusableBecause(
  e: EvidenceCandidate,
  facilityId: bigint,
  expected: { payee: string; borrower: string },
): string | undefined {
  if (e.facilityId !== facilityId) return `it is evidence for facility ${e.facilityId}, not ${facilityId}`;
  if (e.mismatch) return e.mismatch;
  const party = isPayeeKind(e.kind) ? getAddress(expected.payee) : getAddress(expected.borrower);
  if (getAddress(e.counterparty) !== party) {
    return isPayeeKind(e.kind)
      ? `it names ${e.counterparty}, not this payment's payee ${party}`
      : `it names ${e.counterparty}, not the facility's borrower ${party}`;
  }
  if (!e.registered && !e.batch) return "it is not anchored on chain yet";
  if (e.consumed) return "it already released another payment";
  if (!e.verified) return `it is not verified (${verdictText(e)})`;
  return undefined;
}

/**
 * Picks the evidence that releases a payment: for each required kind, a document naming this payment's payee (or the
 * borrower), verified and unused — among `chosen` (document or evidence ids) when the caller names them, else the
 * oldest such document. Says for every document considered whether it will be used and why others cannot.
 */
export function chooseEvidence(
  candidates: EvidenceCandidate[],
  required: EvidenceKind[],
  facilityId: bigint,
  expected: { payee: string; borrower: string },
  chosen?: string[],
): {
  use: EvidenceCandidate[];
  missingKinds: EvidenceKind[];
  considered: Considered[];
  offered: OfferedEvidence[];
} {
  const wanted = chosen && new Set(chosen.map((id) => id.toLowerCase()));
  const isChosen = (e: EvidenceCandidate) =>
    !wanted || wanted.has(e.documentId.toLowerCase()) || wanted.has(e.evidenceId.toLowerCase());
  const use: EvidenceCandidate[] = [];
  const considered: Considered[] = [];
  const missingKinds: EvidenceKind[] = [];
  for (const kind of required) {
    let picked: EvidenceCandidate | undefined;
    for (const e of candidates.filter((c) => c.kind === kind && isChosen(c))) {
      const reason = unusableBecause(e, facilityId, expected);
      const entry = { documentId: e.documentId, evidenceId: e.evidenceId, kind, counterparty: e.counterparty };
      if (reason) considered.push({ ...entry, use: "unusable", reason });
      else if (!picked) {
        picked = e;
        considered.push({ ...entry, use: "chosen", reason: "names this payment's counterparty, verified and unused" });
      } else considered.push({ ...entry, use: "usable", reason: `another ${kind} is used` });
    }
    if (picked) use.push(picked);
    else missingKinds.push(kind);
  }
  for (const e of candidates.filter((c) => !required.includes(c.kind) && wanted && isChosen(c))) {
    considered.push({
      documentId: e.documentId,
      evidenceId: e.evidenceId,
      kind: e.kind,
      counterparty: e.counterparty,
      use: "unusable",
      reason: `the payment does not require a ${e.kind}`,
    });
  }
  return {
    use,
    missingKinds,
    considered,
    offered: use.map((e) => ({ kind: kindIndex(e.kind), saltedHash: e.saltedHash })),
  };
}
