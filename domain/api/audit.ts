import { z } from "zod";
import { EVIDENCE_KINDS, FACILITY_STATUSES, PAYEE_CATEGORIES, VERDICTS } from "../enums";
import { FacilityId } from "../schema";

/**
 * The fund-use audit report: the schemas are the one definition of its shape (the TypeScript types are inferred from
 * them, and the OpenAPI document is generated from them). Money is fen as a decimal string, rates are basis points.
 */

export { FACILITY_STATUSES, VERDICTS };

const Fen = z.string().meta({ description: "an amount in fen (CNY minor unit) as a decimal string" });
const Address = z.string().meta({ description: "a checksummed 0x address" });
const Hash = z.string().meta({ description: "0x followed by 64 hex digits" });
const Kind = z.enum(EVIDENCE_KINDS);
const Category = z.enum(PAYEE_CATEGORIES);

export const ChainRef = z
  .object({
    block: z.string().meta({ description: "block number, decimal" }),
    tx: Hash,
    logIndex: z.number().int().nullable(),
    time: z.string().nullable().meta({
      description:
        "the block's timestamp (ISO 8601, UTC) when known; null when neither the block header nor an event in the block gives it",
    }),
  })
  .meta({ id: "AuditChainRef", description: "where an event is on chain" });
export type ChainRef = z.infer<typeof ChainRef>;

export const Terms = z.object({
  borrower: Address,
  creditLimit: Fen,
  baseRateBps: z.number().int(),
  qualityFloorBps: z.number().int(),
  subsidyBps: z.number().int(),
  planTotal: Fen,
  plannedQualityShareBps: z.number().int(),
  created: ChainRef,
});

export const PlannedPayment = z.object({
  index: z.number().int(),
  payee: Address,
  category: Category,
  amount: Fen,
  qualityPurpose: z.boolean(),
  requiredKinds: z.array(Kind),
  paid: z.boolean(),
  planned: ChainRef,
});

export const Verdict = z.object({
  verifier: Address,
  verdict: z.enum(["ACCEPT", "REJECT"]),
  reasonHash: Hash,
  nonce: z.string(),
  at: ChainRef,
  revoked: z
    .object({ reasonHash: Hash, nonce: z.string(), at: ChainRef })
    .nullable()
    .meta({ description: "a withdrawn acceptance: from then on it counts as a rejection" }),
});

export const Anchor = z.object({
  type: z.enum(["single", "batch"]),
  root: Hash.meta({ description: "the batch's Merkle root; for a single anchor, the evidence id itself" }),
  batchSize: z.number().int().nullable(),
  anchored: ChainRef.nullable().meta({
    description: "the transaction that fixed the hash on chain (the batch root's, for batched evidence)",
  }),
  registered: ChainRef.meta({ description: "the EvidenceAnchored event that recorded the evidence" }),
});

export const EvidenceRecord = z
  .object({
    evidenceId: Hash,
    kind: Kind,
    saltedHash: Hash,
    anchor: Anchor,
    verdicts: z.array(Verdict),
    verified: z.boolean().meta({ description: "verified under the verifier set and threshold after the last event" }),
    consumedByPayment: z.number().int().nullable(),
  })
  .meta({ id: "AuditEvidence" });
export type EvidenceRecord = z.infer<typeof EvidenceRecord>;

export const PaymentEvidence = EvidenceRecord.extend({
  verifiedAtPayment: z.boolean(),
  acceptancesAtPayment: z.number().int(),
  thresholdAtPayment: z.number().int().nullable(),
}).meta({ id: "AuditPaymentEvidence" });
export type PaymentEvidence = z.infer<typeof PaymentEvidence>;

export const PayeeSnapshot = z.object({
  category: Category,
  licenceHash: Hash,
  active: z.boolean(),
});

export const ExecutedPayment = z
  .object({
    index: z.number().int(),
    payee: Address,
    category: Category,
    amount: Fen,
    qualityPurpose: z.boolean(),
    at: ChainRef,
    payeeAtPayment: PayeeSnapshot.nullable().meta({ description: "the payee's registration when it was paid" }),
    evidence: z.array(PaymentEvidence),
  })
  .meta({ id: "AuditPayment" });
export type ExecutedPayment = z.infer<typeof ExecutedPayment>;

export const PayeeHistory = z.object({
  address: Address,
  current: PayeeSnapshot.nullable(),
  history: z.array(
    z.object({
      event: z.enum(["REGISTERED", "UPDATED", "DEACTIVATED", "REACTIVATED"]),
      category: Category.nullable(),
      licenceHash: Hash.nullable(),
      reasonHash: Hash.nullable(),
      at: ChainRef,
    }),
  ),
});

export const Funding = z.object({ from: Address, amount: Fen, at: ChainRef });

export const ReviewRecord = z.object({
  nonce: z.number().int(),
  previousRateBps: z.number().int(),
  newRateBps: z.number().int(),
  subsidyEligible: z.boolean(),
  reportHash: Hash,
  bankSigner: Address,
  regulatorSigner: Address,
  at: ChainRef,
});

export const RatePeriod = z.object({
  rateBps: z.number().int(),
  subsidyEligible: z.boolean(),
  source: z.enum(["terms", "review"]),
  reviewNonce: z.number().int().nullable(),
  since: ChainRef,
});

export const InterestSegment = z.object({
  from: z.string().meta({ description: "ISO 8601" }),
  to: z.string().meta({ description: "ISO 8601" }),
  seconds: z.number().int(),
  principal: Fen,
  rateBps: z.number().int(),
  interest: Fen,
  subsidy: Fen,
  at: ChainRef,
});

export const Freeze = z.object({
  freezeCount: z.number().int(),
  by: Address,
  reasonHash: Hash,
  at: ChainRef,
  unfrozen: z.object({ reasonHash: Hash, bankSigner: Address, regulatorSigner: Address, at: ChainRef }).nullable(),
});

export const Repayment = z.object({
  payer: Address,
  amount: Fen,
  interestPaid: Fen,
  principalPaid: Fen,
  at: ChainRef,
});

export const SubsidyPayment = z.object({ payer: Address, amount: Fen, at: ChainRef });
export const Withdrawal = z.object({ to: Address, amount: Fen, at: ChainRef });

export const Totals = z.object({
  planned: Fen,
  funded: Fen,
  paid: Fen,
  unpaidPlanned: Fen,
  paidByPayee: z.array(z.object({ payee: Address, category: Category, payments: z.number().int(), amount: Fen })),
  paidByCategory: z.array(z.object({ category: Category, payments: z.number().int(), amount: Fen })),
  qualityPaid: Fen,
  qualityShareOfPaidBps: z
    .number()
    .int()
    .meta({ description: "quality-purpose share of what was paid, rounded down as the contract does" }),
  qualityFloorBps: z.number().int(),
  interestAccrued: Fen.meta({ description: "interest of the closed rate segments (InterestAccrued events)" }),
  subsidyAccrued: Fen,
  subsidyPaid: Fen,
  interestRepaid: Fen,
  principalRepaid: Fen,
  repaid: Fen,
  withdrawn: Fen,
  outstandingPrincipal: Fen,
  balance: Fen.meta({ description: "what the facility holds: funded + repaid + subsidy paid − paid − withdrawn" }),
});

export const LedgerLine = z.object({
  time: z.string().nullable(),
  block: z.string(),
  tx: Hash,
  logIndex: z.number().int().nullable(),
  type: z.string(),
  party: z.string().meta({ description: "the payee, payer, verifier or account the line concerns; empty if none" }),
  amountFen: Fen.nullable(),
  details: z.string(),
});
export type LedgerLine = z.infer<typeof LedgerLine>;

export const AuditReport = z
  .object({
    facilityId: z.string(),
    status: z.enum(FACILITY_STATUSES),
    lastBlock: z.string().meta({ description: "the block of the facility's last event in the report" }),
    terms: Terms,
    plan: z.array(PlannedPayment),
    funding: z.array(Funding),
    payments: z.array(ExecutedPayment),
    evidence: z.array(EvidenceRecord).meta({ description: "every evidence anchored for the facility, used or not" }),
    payees: z.array(PayeeHistory),
    reviews: z.array(ReviewRecord),
    rateHistory: z.array(RatePeriod),
    interest: z.array(InterestSegment),
    freezes: z.array(Freeze),
    repayments: z.array(Repayment),
    subsidies: z.array(SubsidyPayment),
    withdrawals: z.array(Withdrawal),
    // Inline rather than a nullable reference to AuditChainRef: the generated document dropped the null beside the $ref.
    closed: z.object(ChainRef.shape).nullable(),
    totals: Totals,
    ledger: z.array(LedgerLine),
  })
  .meta({ id: "AuditReport", description: "a facility's fund use, rebuilt from chain events alone" });
export type AuditReport = z.infer<typeof AuditReport>;

export const AuditParams = z.object({ id: FacilityId });
export const AuditQuery = z.object({
  format: z.enum(["json", "csv"], { message: "must be json or csv" }).default("json"),
});
