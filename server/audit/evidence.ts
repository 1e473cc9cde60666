import { address, hex, int, kindOf, verdictOf, type LineWriter, type Positioned } from "./decode";
import type { ChainRef, EvidenceRecord, PaymentEvidence } from "./schema";

/** What the report says of an evidence at the moment it released a payment. */
export type AtPayment = Pick<PaymentEvidence, "verifiedAtPayment" | "acceptancesAtPayment" | "thresholdAtPayment">;

interface EvidenceState {
  record: Omit<EvidenceRecord, "verified" | "consumedByPayment">;
  /** verdicts that count, by verifier slot (`slot:<n>`), or by address when the verifier set is not known */
  accepted: Set<string>;
  rejected: Set<string>;
  /** The last EvidenceVerified / EvidenceUnverified seen: the fallback when the verifier set is not known. */
  flaggedVerified: boolean;
  consumedByPayment: number | null;
}

/**
 * The evidence registry replayed from its events, for one facility's evidence: the anchors (single, or batch roots),
 * every verdict and revocation, and the verifier set and threshold, so that whether evidence was verified can be
 * told at any point of the history. Each verifier owns a slot for life and a removed verifier's slot is retired;
 * evidence is verified when no current verifier rejected it and at least `threshold` current verifiers accepted it
 * (EvidenceRegistry._isVerified). A revoked acceptance counts as a rejection.
 */
export class EvidenceReplay {
  private readonly slotOf = new Map<string, number>();
  private readonly activeSlots = new Set<number>();
  private threshold: number | null = null;
  private readonly batches = new Map<string, { size: number; at: ChainRef }>();
  private readonly evidence = new Map<string, EvidenceState>();
  /** Batch verdicts (read as per-document EvidenceAttested, server/indexer) on leaves not yet registered. */
  private readonly batchVerdicts = new Map<string, Array<{ event: Positioned; at: ChainRef }>>();

  constructor(
    private readonly facilityId: string,
    private readonly line: LineWriter,
  ) {}

  /** Takes an EvidenceRegistry event; true when it concerned this facility's evidence. */
  apply(event: Positioned, at: ChainRef): boolean {
    const a = event.args;
    switch (event.name) {
      case "VerifierAdded":
        this.slotOf.set(address(a.verifier), int(a.slot));
        this.activeSlots.add(int(a.slot));
        return false;
      case "VerifierRemoved": {
        const slot = this.slotOf.get(address(a.verifier));
        if (slot !== undefined) this.activeSlots.delete(slot);
        this.slotOf.delete(address(a.verifier));
        return false;
      }
      case "ThresholdChanged":
        this.threshold = int(a.newThreshold);
        return false;
      case "BatchAnchored":
        this.batches.set(hex(a.root), { size: int(a.size), at });
        return false;
      case "EvidenceAnchored":
        // Evidence may be anchored before its facility exists: the registry does not check.
        if (String(a.facilityId) !== this.facilityId) return false;
        this.anchored(event, at);
        return true;
    }
    const state = a.evidenceId === undefined ? undefined : this.evidence.get(hex(a.evidenceId));
    if (!state) {
      // A batch verdict on a leaf not registered yet: it counts once the leaf is (registration copies the bits).
      if (event.name === "EvidenceAttested" && a.batchRoot !== undefined) {
        const pending = this.batchVerdicts.get(hex(a.evidenceId)) ?? [];
        pending.push({ event, at });
        this.batchVerdicts.set(hex(a.evidenceId), pending);
      }
      return false;
    }
    this.judged(state, event, at);
    return true;
  }

  /** Marks evidence as consumed by a payment and says whether it was verified then. */
  release(paymentIndex: number, evidenceId: string): AtPayment & { kind: EvidenceRecord["kind"] } {
    const state = this.evidence.get(evidenceId);
    if (!state) {
      throw new Error(
        `facility ${this.facilityId}: payment ${paymentIndex} cites evidence ${evidenceId} that was never anchored`,
      );
    }
    state.consumedByPayment = paymentIndex;
    const { verified, acceptances, threshold } = this.state(state);
    return {
      kind: state.record.kind,
      verifiedAtPayment: verified,
      acceptancesAtPayment: acceptances,
      thresholdAtPayment: threshold,
    };
  }

  /** Every evidence of the facility in anchoring order, with its state after the last event. */
  records(): EvidenceRecord[] {
    return [...this.evidence.values()].map((state) => ({
      ...state.record,
      verified: this.state(state).verified,
      consumedByPayment: state.consumedByPayment,
    }));
  }

  private anchored(event: Positioned, registered: ChainRef): void {
    const a = event.args;
    const evidenceId = hex(a.evidenceId);
    const root = hex(a.batchRoot);
    const single = /^0x0+$/.test(root);
    const batch = single ? undefined : this.batches.get(root);
    const kind = kindOf(a.kind);
    this.evidence.set(evidenceId, {
      record: {
        evidenceId,
        kind,
        saltedHash: hex(a.saltedHash),
        anchor: {
          type: single ? "single" : "batch",
          root: single ? evidenceId : root,
          batchSize: batch?.size ?? null,
          anchored: single ? registered : (batch?.at ?? null),
          registered,
        },
        verdicts: [],
      },
      accepted: new Set(),
      rejected: new Set(),
      flaggedVerified: false,
      consumedByPayment: null,
    });
    this.line(
      event,
      "EVIDENCE_ANCHORED",
      "",
      null,
      `evidence ${evidenceId}; kind ${kind}; ` +
        (single ? "single anchor" : `batch root ${root}${batch ? ` anchored in tx ${batch.at.tx}` : ""}`),
    );
    for (const pending of this.batchVerdicts.get(evidenceId) ?? []) {
      this.judged(this.evidence.get(evidenceId)!, pending.event, pending.at);
    }
    this.batchVerdicts.delete(evidenceId);
  }

  private judged(state: EvidenceState, event: Positioned, at: ChainRef): void {
    const a = event.args;
    const id = state.record.evidenceId;
    switch (event.name) {
      case "EvidenceAttested": {
        const verifier = address(a.verifier);
        const verdict = verdictOf(a.verdict);
        if (verdict === "NONE") throw new Error(`evidence ${id}: an attestation with verdict NONE`);
        (verdict === "ACCEPT" ? state.accepted : state.rejected).add(this.keyOf(verifier));
        state.record.verdicts.push({
          verifier,
          verdict,
          reasonHash: hex(a.reasonHash),
          nonce: String(a.nonce),
          at,
          revoked: null,
        });
        this.line(
          event,
          "EVIDENCE_ATTESTED",
          verifier,
          null,
          a.batchRoot === undefined
            ? `${verdict} evidence ${id}; reason ${hex(a.reasonHash)}`
            : `${verdict} evidence ${id}; by batch ${hex(a.batchRoot)} leaf ${int(a.leafIndex)}`,
        );
        return;
      }
      case "AttestationRevoked": {
        const verifier = address(a.verifier);
        state.accepted.delete(this.keyOf(verifier));
        state.rejected.add(this.keyOf(verifier));
        const accepted = state.record.verdicts.find(
          (v) => v.verifier === verifier && v.verdict === "ACCEPT" && v.revoked === null,
        );
        if (accepted) accepted.revoked = { reasonHash: hex(a.reasonHash), nonce: String(a.nonce), at };
        this.line(event, "ATTESTATION_REVOKED", verifier, null, `evidence ${id}; reason ${hex(a.reasonHash)}`);
        return;
      }
      case "EvidenceVerified":
        state.flaggedVerified = true;
        this.line(event, "EVIDENCE_VERIFIED", "", null, `evidence ${id} reached the verifiers' quorum`);
        return;
      case "EvidenceUnverified":
        state.flaggedVerified = false;
        this.line(event, "EVIDENCE_UNVERIFIED", "", null, `evidence ${id} is no longer verified`);
        return;
    }
  }

  /** The verifier set is known when its events are in the history (the indexer starts before the deployment). */
  private get setKnown(): boolean {
    return this.threshold !== null;
  }

  private keyOf(verifier: string): string {
    const slot = this.slotOf.get(verifier);
    return slot === undefined ? `address:${verifier}` : `slot:${slot}`;
  }

  /** How many of the verdicts count now: all when the set is not known, else the current verifiers'. */
  private counted(verdicts: Set<string>): number {
    const current = (key: string) => key.startsWith("slot:") && this.activeSlots.has(Number(key.slice("slot:".length)));
    return [...verdicts].filter((key) => !this.setKnown || current(key)).length;
  }

  private state(evidence: EvidenceState): { verified: boolean; acceptances: number; threshold: number | null } {
    const acceptances = this.counted(evidence.accepted);
    if (!this.setKnown) return { verified: evidence.flaggedVerified, acceptances, threshold: null };
    const verified = this.counted(evidence.rejected) === 0 && acceptances > 0 && acceptances >= this.threshold!;
    return { verified, acceptances, threshold: this.threshold };
  }
}
