import { z } from "zod";
import { pageOf } from "./page";
import { JsonObject } from "./json";
import { COMPARATORS, METRICS, type Metric } from "../enums";
import { Label } from "./products";
import { IsoTime } from "./values";

/**
 * The quarterly review as it crosses the API and the nodes: the metrics measured from verified evidence, the decision
 * the rules make from them, and the report the bank node proposes and the regulator node rebuilds and co-signs.
 */

const Measured = z
  .int()
  .nullable()
  .meta({ description: "the metric's value in the period; null when there was no data" });
const byMetric = <T extends z.ZodType>(value: T) =>
  z.object(Object.fromEntries(METRICS.map((metric) => [metric, value])) as Record<Metric, T>);

/** One metric's value with what it was computed from, so a review can show (and store) its evidence. */
export const MetricResult = z.object({
  metric: z.enum(METRICS),
  value: Measured,
  /** The evidence the value was computed from. */
  evidenceIds: z.array(z.string()),
  /** Evidence of this metric's kind anchored in the period that did not count, and why. */
  excluded: z.array(z.object({ evidenceId: z.string(), reason: z.string() })),
  /** The figures behind the value (money as decimal strings of fen). */
  inputs: JsonObject.meta({ description: "free-form by metric" }),
  /** How the value was obtained, or why there is none. */
  note: z.string(),
});
export type MetricResult = z.infer<typeof MetricResult>;

/** Every metric of a period. */
export const QualityMetrics = z.object({
  period: z.object({ from: IsoTime, to: IsoTime }),
  /** The values alone, as the rules take them. */
  values: byMetric(Measured),
  metrics: byMetric(MetricResult),
});
export type QualityMetrics = z.infer<typeof QualityMetrics>;

/** One quality target judged on the period. */
export const TargetOutcome = z.object({
  id: z.string(),
  metric: z.enum(METRICS),
  label: Label,
  comparator: z.enum(COMPARATORS),
  threshold: z.int(),
  /** The metric's value in the period, null when there was no data. */
  actual: z.int().nullable(),
  met: z.boolean(),
  /** The discount this target earned (0 when not met). */
  discountBps: z.int(),
  subsidyEligible: z.boolean(),
  reason: z.string(),
});
export type TargetOutcome = z.infer<typeof TargetOutcome>;

/** A review's outcome with everything it was decided from: JSON as it is, deterministic for the same input. */
export const ReviewDecision = z.object({
  /** Bumped when the rules change meaning, so a stored decision says which rules made it. */
  rulesVersion: z.int(),
  product: z.object({ id: z.string(), version: z.int() }),
  /** The validated input: the rules give this decision again from it. */
  input: z.object({ baseRateBps: z.int(), frozen: z.boolean(), metrics: byMetric(z.int().nullable()) }),
  targets: z.array(TargetOutcome),
  /** Sum of the met targets' discounts, before the caps. */
  earnedDiscountBps: z.int(),
  /** What comes off the base rate: the earned discount capped at the product's maximum and at the base rate. */
  discountBps: z.int(),
  baseRateBps: z.int(),
  newRateBps: z.int(),
  /** True only when the product has subsidy-eligible targets and every one of them is met. */
  subsidyEligible: z.boolean(),
  explanation: z.string(),
  explanationZh: z.string(),
});
export type ReviewDecision = z.infer<typeof ReviewDecision>;

/**
 * The review report the bank node proposes: the key contract between the nodes. Both institutions sign the keccak256
 * of its JSON text (the approval message's reportHash); the regulator node rebuilds the period's metrics and decision
 * from its own records and co-signs only when they agree.
 */
export const ReviewReport = z
  .object({
    facilityId: z.string().regex(/^[0-9]+$/),
    period: z.object({ from: IsoTime, to: IsoTime }),
    metrics: QualityMetrics,
    decision: ReviewDecision,
  })
  .meta({ id: "ReviewReport" });
export type ReviewReport = z.infer<typeof ReviewReport>;

/** A facility's review as GET /facilities/:id/reviews lists it. */
export const ReviewView = z
  .object({
    id: z.string(),
    periodFrom: IsoTime,
    periodTo: IsoTime,
    product: z.string().meta({ description: "the product as id@version" }),
    inputs: JsonObject.meta({ description: "what the metrics were computed from" }),
    /** The report the decision was proposed with. */
    decision: ReviewReport,
    approvalId: z.string().nullable(),
    createdAt: IsoTime,
  })
  .meta({ id: "Review" });
export type ReviewView = z.infer<typeof ReviewView>;

export const ReviewList = pageOf(ReviewView);
export type ReviewList = z.infer<typeof ReviewList>;
