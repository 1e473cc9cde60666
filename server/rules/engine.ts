import { z } from "zod";
import type { ReviewDecision, TargetOutcome } from "../../domain/api/reviews";
import { METRIC_LABELS, formatValue } from "../../domain/metrics";
import { METRICS, METRIC_RANGE, ProductDefinition, type Comparator, type Metric, type QualityTarget } from "./products";
import { Bps, expected, parseInput } from "./values";

// The metrics' names and how their values read are the domain's, shared with the CLI.
export { METRIC_LABELS, formatValue };

/** Bumped when the rules change meaning, so a stored decision says which rules made it. */
export const RULES_VERSION = 2;

const MetricValue = z.int(expected("must be a whole number, or null when there is no data")).nullable().optional();

/** What a review decides on: the facility's base rate and the period's metric values (null or absent: no data). */
export const ReviewInput = z
  .strictObject({
    baseRateBps: Bps,
    /** The facility was frozen at some time in the period, or is frozen now: it earns no discount and no subsidy. */
    frozen: z.boolean(expected("must be true or false")).optional(),
    metrics: z.strictObject(
      Object.fromEntries(METRICS.map((metric) => [metric, MetricValue])) as Record<Metric, typeof MetricValue>,
    ),
  })
  .superRefine((input, ctx) => {
    for (const metric of METRICS) {
      const value = input.metrics[metric];
      const range = METRIC_RANGE[metric];
      if (value !== undefined && value !== null && (value < range.min || value > range.max)) {
        ctx.addIssue({
          code: "custom",
          path: ["metrics", metric],
          message: `must be between ${range.min} and ${range.max} (${range.unit}), not ${value}`,
        });
      }
    }
  });
export type ReviewInput = z.input<typeof ReviewInput>;

// A target's outcome and a decision are the domain's API types (domain/api/reviews.ts): the report the nodes sign.
export type { ReviewDecision, TargetOutcome };

/**
 * Decides a quarterly review. Each target is judged on this period alone and the discount is taken off the base
 * rate, never off the current rate: a target missed, or a metric without data, earns nothing, so a borrower whose
 * quality slips loses the discount at the next review (quality slide). Throws a RulesInputError on invalid input.
 */
export function decideReview(productDefinition: ProductDefinition, reviewInput: ReviewInput): ReviewDecision {
  const product = parseInput(ProductDefinition, productDefinition, "product definition");
  const parsed = parseInput(ReviewInput, reviewInput, "review input");
  const metrics = Object.fromEntries(METRICS.map((metric) => [metric, parsed.metrics[metric] ?? null])) as Record<
    Metric,
    number | null
  >;
  const baseRateBps = parsed.baseRateBps;

  const frozen = parsed.frozen ?? false;
  const targets = product.targets.map((target) => judge(target, metrics[target.metric], frozen));
  const earnedDiscountBps = targets.reduce((sum, t) => sum + t.discountBps, 0);
  const discountBps = Math.min(earnedDiscountBps, product.maxDiscountBps, baseRateBps);
  const newRateBps = baseRateBps - discountBps;
  const subsidyTargets = targets.filter((t) => t.subsidyEligible);
  const subsidyEligible = !frozen && subsidyTargets.length > 0 && subsidyTargets.every((t) => t.met);

  const decision = {
    rulesVersion: RULES_VERSION,
    product: { id: product.id, version: product.version },
    input: { baseRateBps, frozen, metrics },
    targets,
    earnedDiscountBps,
    discountBps,
    baseRateBps,
    newRateBps,
    subsidyEligible,
  };
  return {
    ...decision,
    explanation: explainEn(product, decision),
    explanationZh: explainZh(product, decision),
  };
}

function compare(actual: number, comparator: Comparator, threshold: number): boolean {
  return comparator === "gte" ? actual >= threshold : actual <= threshold;
}

function judge(target: QualityTarget, actual: number | null, frozen: boolean): TargetOutcome {
  const label = target.label ?? METRIC_LABELS[target.metric];
  const met = actual !== null && compare(actual, target.comparator, target.threshold);
  const wanted = `${target.comparator === "gte" ? "≥" : "≤"} ${formatValue(target.metric, target.threshold)}`;
  let reason: string;
  if (actual === null) reason = `no ${METRIC_LABELS[target.metric].en} data for the period: not met (wanted ${wanted})`;
  else {
    const got = formatValue(target.metric, actual);
    const relation = met ? (target.comparator === "gte" ? "≥" : "≤") : target.comparator === "gte" ? "<" : ">";
    reason = `${got} ${relation} ${formatValue(target.metric, target.threshold)}: ${met ? "met" : "not met"}`;
  }
  if (met && target.discountBps > 0) reason += frozen ? ", no discount while frozen" : `, −${target.discountBps} bps`;
  return {
    id: target.id,
    metric: target.metric,
    label,
    comparator: target.comparator,
    threshold: target.threshold,
    actual,
    met,
    discountBps: met && !frozen ? target.discountBps : 0,
    subsidyEligible: target.subsidyEligible,
    reason,
  };
}

type Decided = Omit<ReviewDecision, "explanation" | "explanationZh">;

function explainEn(product: ProductDefinition, d: Decided): string {
  const lines = [`${product.name.en} v${product.version} review, base rate ${d.baseRateBps} bps.`];
  for (const t of d.targets) lines.push(`- ${t.label.en}: ${t.reason}.`);
  let rate = `Discount ${d.discountBps} bps`;
  if (d.discountBps < d.earnedDiscountBps) {
    const cap = d.discountBps === product.maxDiscountBps ? `the product's maximum` : `the base rate`;
    rate += ` (${d.earnedDiscountBps} bps earned, capped at ${cap})`;
  }
  lines.push(`${rate}: new rate ${d.newRateBps} bps.`);
  const subsidyTargets = d.targets.filter((t) => t.subsidyEligible);
  if (d.input.frozen)
    lines.push("The facility was frozen in the period: no discount and no fiscal subsidy (a failed spot check).");
  else if (subsidyTargets.length === 0) lines.push("No target of this product earns the fiscal subsidy.");
  else if (d.subsidyEligible) lines.push(`Eligible for the fiscal subsidy (${product.subsidyBps} bps).`);
  else {
    const missed = subsidyTargets.filter((t) => !t.met).map((t) => t.label.en);
    lines.push(`Not eligible for the fiscal subsidy: ${missed.join(", ")} not met.`);
  }
  return lines.join("\n");
}

function explainZh(product: ProductDefinition, d: Decided): string {
  const lines = [`${product.name.zh}（第 ${product.version} 版）季度考核，基准利率 ${d.baseRateBps} 个基点。`];
  for (const t of d.targets) {
    const actual = t.actual === null ? "无数据" : String(t.actual);
    const outcome = t.met ? `达标，减 ${t.discountBps} 个基点` : "未达标";
    lines.push(`- ${t.label.zh}：实际 ${actual}，${outcome}。`);
  }
  lines.push(`合计优惠 ${d.discountBps} 个基点，执行利率 ${d.newRateBps} 个基点。`);
  if (d.input.frozen) lines.push("考核期内额度曾被冻结（抽查不合格）：不享受利率优惠和财政贴息。");
  lines.push(d.subsidyEligible ? `符合财政贴息条件（${product.subsidyBps} 个基点）。` : "不符合财政贴息条件。");
  return lines.join("\n");
}
