import { z } from "zod";
import { EVIDENCE_KINDS } from "../chain/evidence";
import { CreditCode, FacilityId, Text, UintString } from "../http/route";
import { GRADES } from "../rules/products";
import { Address, PAYEE_CATEGORIES } from "../payees/schema";

/** A time as RFC 3339 (the OpenAPI date-time format): Z or an offset such as +08:00. */
const IsoTime = z.iso.datetime({ offset: true, message: "must be an ISO 8601 time with Z or an offset" });

export const PlannedPaymentInput = z.object({
  payee: Address,
  category: z.enum(PAYEE_CATEGORIES, { message: `must be one of ${PAYEE_CATEGORIES.join(", ")}` }),
  amount: UintString.refine((v) => v > 0n, { message: "must be more than 0 fen" }).meta({
    description: "fen, as a decimal string",
  }),
  qualityPurpose: z.boolean(),
  requiredEvidence: z
    .array(z.enum(EVIDENCE_KINDS, { message: `must be one of ${EVIDENCE_KINDS.join(", ")}` }))
    .min(1, { message: "must name at least one evidence kind: every entrusted payment is released by evidence" })
    .max(7),
  description: Text(200, { min: 0 }).optional(),
});

export const CreateFacilityBody = z.object({
  productId: z.string().min(1).default("yongzhidai"),
  productVersion: z.number().int().positive().optional(),
  borrower: Address,
  borrowerName: Text(200),
  creditCode: CreditCode,
  grade: z.enum(GRADES).optional().meta({ description: "needed when the borrower is not on the white list" }),
  creditLimit: UintString.refine((v) => v > 0n && v < 2n ** 56n, { message: "must be between 1 fen and 2^56 − 1 fen" }),
  termMonths: z.number().int().min(1).max(360).optional(),
  appliedAt: IsoTime.optional().meta({ description: "when the borrower applied (default: now)" }),
  plan: z.array(PlannedPaymentInput).min(1, { message: "must hold at least one entrusted payment" }).max(64),
});
export type CreateFacilityBody = z.infer<typeof CreateFacilityBody>;

export const FacilityParams = z.object({ id: FacilityId });
/**
 * A payment's index in the plan, 0–63, in decimal digits. Not z.coerce.number(): that takes null (so the OpenAPI
 * document made the path parameter optional and nullable) and reads "", " " or "0x3f" as numbers.
 */
const PaymentIndex = z
  .string()
  .regex(/^(?:6[0-3]|[1-5]?[0-9])$/, { message: "must be a payment index, 0 to 63" })
  .transform(Number);
export const PaymentParams = z.object({ id: FacilityId, index: PaymentIndex });

/**
 * The review period, [periodFrom, periodTo): it must end after it starts. periodFrom, when given, must be where the
 * period has to start (the facility's opening, or the end of its last applied review); absent, it is that instant.
 * periodTo must not be after the chain's time; absent, it is the chain's time.
 */
export const ReviewBody = z
  .object({ periodFrom: IsoTime.optional(), periodTo: IsoTime.optional() })
  .refine(
    (period) =>
      period.periodFrom === undefined ||
      period.periodTo === undefined ||
      Date.parse(period.periodFrom) < Date.parse(period.periodTo),
    {
      message: "must be after periodFrom",
      path: ["periodTo"],
    },
  );

export const UnfreezeBody = z.object({ reason: Text(1_000) });

// What a pre-flight answers is the domain's (domain/api/facilities.ts): the CLI and the dashboard read it.
export { Blocker, ConsideredEvidence, Readiness } from "../../domain/api/facilities";

/** The evidence a payment request or readiness check names (document ids or evidence ids); else the pre-flight picks. */
const EvidenceChoiceIds = z
  .array(z.string().regex(/^(?:0x[0-9a-fA-F]{64}|[0-9a-fA-F-]{36})$/, { message: "must be a document or evidence id" }))
  .min(1)
  .max(7);

export const RequestPaymentBody = z.strictObject({ evidence: EvidenceChoiceIds.optional() }).optional();

export const ReadinessQuery = z.object({
  evidence: z
    .string()
    .max(7 * 67)
    .transform((text) => text.split(","))
    .pipe(EvidenceChoiceIds)
    .optional()
    .meta({ description: "comma-separated document or evidence ids to use; else the pre-flight picks" }),
});
