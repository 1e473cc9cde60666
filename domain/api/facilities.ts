import { z } from "zod";
import { pageOf } from "./page";
import { JsonObject } from "./json";
import {
  EVIDENCE_KINDS,
  FACILITY_STATUSES,
  FACILITY_VIEW_STATUSES,
  FUNDING_STATUSES,
  GRADES,
  PAYEE_CATEGORIES,
  VERDICTS,
} from "../enums";
import { QualityTarget } from "./products";
import { AddressText, Fen, HashText, IdText, IsoTime, TxHash } from "./values";

/** A facility, its funding, its payment plan and its statement as the bank node's API shows them. */

/** A facility as the bank node applied for it (GET /facilities lists these). */
export const FacilityView = z
  .object({
    applicationId: z.string(),
    facilityId: IdText.nullable().meta({ description: "null until the chain has created the facility" }),
    status: z.enum(FACILITY_VIEW_STATUSES),
    borrower: AddressText,
    borrowerName: z.string(),
    creditCode: z.string(),
    product: z.object({ id: z.string(), version: z.int() }),
    grade: z.enum(GRADES),
    creditLimit: Fen,
    termMonths: z.int(),
    baseRateBps: z.int(),
    qualityFloorBps: z.int(),
    subsidyBps: z.int(),
    fastTrack: z.boolean(),
    appliedAt: IsoTime,
    firstPaymentAt: IsoTime.nullable(),
    applicationToFirstPaymentSeconds: z
      .int()
      .nullable()
      .meta({ description: "fast track: the time from application to the first entrusted payment" }),
    targets: z.array(QualityTarget),
    createdTx: TxHash,
  })
  .meta({ id: "Facility" });
export type FacilityView = z.infer<typeof FacilityView>;

export const FacilityList = pageOf(FacilityView);
export type FacilityList = z.infer<typeof FacilityList>;

/** POST /facilities: the facility as applied for, and the transaction that creates it (null while on its way). */
export const CreatedFacility = FacilityView.extend({ txHash: TxHash }).meta({ id: "CreatedFacility" });
export type CreatedFacility = z.infer<typeof CreatedFacility>;

/** Funded against the plan and the limit, and where the funding stands. */
export const Funding = z
  .object({
    status: z.enum(FUNDING_STATUSES),
    funded: Fen,
    planTotal: Fen,
    creditLimit: Fen,
    shortfall: Fen,
    lastError: z.string().nullable().meta({ description: "why the chain refused the funding (status FAILED)" }),
  })
  .meta({ id: "Funding" });
export type Funding = z.infer<typeof Funding>;

/** POST /facilities/:id/fund. */
export const FundResult = z.object({ facilityId: IdText, funding: Funding, txHash: TxHash }).meta({ id: "FundResult" });
export type FundResult = z.infer<typeof FundResult>;

/** One entrusted payment of a facility's plan, read from the chain. */
export const PaymentView = z
  .object({
    index: z.int(),
    payee: AddressText,
    amount: Fen,
    category: z.enum(PAYEE_CATEGORIES),
    requiredEvidence: z.array(z.enum(EVIDENCE_KINDS)),
    qualityPurpose: z.boolean(),
    paid: z.boolean(),
  })
  .meta({ id: "EntrustedPayment" });
export type PaymentView = z.infer<typeof PaymentView>;

/** A facility's state on chain, the authority on its status and its money. */
export const ChainFacilityView = z.object({
  status: z.enum(FACILITY_STATUSES),
  rateBps: z.int(),
  baseRateBps: z.int(),
  subsidyEligible: z.boolean(),
  freezeCount: z.int(),
  reviewNonce: z.int(),
  creditLimit: Fen,
  planTotal: Fen,
  qualityTotal: Fen,
  drawn: Fen,
  principal: Fen,
  balance: Fen,
  funded: Fen,
  interestAccrued: Fen,
  subsidyAccrued: Fen,
  interestRepaid: Fen,
  subsidyPaid: Fen,
});
export type ChainFacilityView = z.infer<typeof ChainFacilityView>;

/** GET /facilities/:id: the terms, the chain's state, the payment plan and the funding. */
export const FacilityDetail = FacilityView.extend({
  status: z.enum(FACILITY_STATUSES),
  chain: ChainFacilityView,
  payments: z.array(PaymentView),
  funding: Funding,
  nextReviewFrom: IsoTime.nullable().meta({ description: "where the next review period must start; null if unknown" }),
}).meta({ id: "FacilityDetail" });
export type FacilityDetail = z.infer<typeof FacilityDetail>;

/** GET /payments: entrusted payments across facilities. */
export const PaymentListItem = PaymentView.extend({ facilityId: IdText, borrowerName: z.string() }).meta({
  id: "EntrustedPaymentOfFacility",
});
export const PaymentList = pageOf(PaymentListItem);
export type PaymentList = z.infer<typeof PaymentList>;

/** POST /facilities/:id/payments/:index: paid (txHash) or on its way (txHash null). */
export const PaymentResult = z
  .object({
    facilityId: IdText,
    index: z.int(),
    txHash: TxHash,
    payee: AddressText,
    amount: Fen,
    evidenceIds: z.array(z.string()),
    documentIds: z.array(z.string()),
  })
  .meta({ id: "PaymentResult" });
export type PaymentResult = z.infer<typeof PaymentResult>;

/** Why an entrusted payment cannot be made yet. */
export const Blocker = z.object({ code: z.string(), message: z.string() });
export type Blocker = z.infer<typeof Blocker>;

/** A document the pre-flight looked at, and whether (or why not) it releases the payment. */
export const ConsideredEvidence = z.object({
  documentId: z.string(),
  evidenceId: z.string(),
  kind: z.string(),
  counterparty: z.string(),
  use: z.enum(["chosen", "usable", "unusable"]),
  reason: z.string(),
});

/** GET /facilities/:id/payments/:index/readiness. */
export const Readiness = z
  .object({
    ready: z.boolean(),
    blockers: z.array(Blocker),
    evidenceIds: z.array(z.string()).meta({ description: "the evidence the payment will consume" }),
    documentIds: z.array(z.string()).meta({ description: "the documents the payment will consume" }),
    considered: z
      .array(ConsideredEvidence)
      .meta({ description: "every document looked at: chosen, usable, or why it cannot release this payment" }),
  })
  .meta({ id: "PaymentReadiness" });
export type Readiness = z.infer<typeof Readiness>;

/** A facility's anchored evidence with each verifier's verdict on chain (GET /facilities/:id/evidence). */
export const EvidenceView = z
  .object({
    documentId: z.string(),
    evidenceId: z.string(),
    facilityId: IdText,
    kind: z.enum(EVIDENCE_KINDS),
    counterparty: AddressText.meta({ description: "the party the document is with: the payee, or the borrower" }),
    saltedHash: z.string(),
    metadata: JsonObject.meta({ description: "the document's metadata, by kind" }),
    anchoredAt: IsoTime.meta({ description: "the chain's time of the anchor" }),
    registered: z.boolean(),
    batch: z
      .object({
        root: HashText,
        index: z.int().meta({ description: "the leaf's position in the batch: its verdict bit" }),
        proof: z.array(HashText).meta({ description: "the position-bound proof of the leaf to the root" }),
        anchoredAt: IdText.meta({ description: "the batch's anchoring time on chain, seconds since 1970" }),
      })
      .nullable()
      .meta({
        description:
          "a batched leaf no payment registered yet: its anchored batch, whose verdict bits decide it; null when registered or not proven in a batch",
      }),
    mismatch: z.string().optional().meta({ description: "how the row differs from the chain's record, if it does" }),
    consumed: z.boolean(),
    verified: z.boolean(),
    verdicts: z.array(z.object({ verifier: AddressText, verdict: z.enum(VERDICTS) })),
  })
  .meta({ id: "Evidence" });
export type EvidenceView = z.infer<typeof EvidenceView>;
export const EvidenceList = pageOf(EvidenceView);
export type EvidenceList = z.infer<typeof EvidenceList>;
