import { z } from "zod";
import type { MetricResult, QualityMetrics } from "../../domain/api/reviews";
import { EVIDENCE_KINDS } from "../chain/evidence";
import { GRADES, GRADE_SCORE, type Metric } from "./products";
import { Fen, Instant, expected, parseInput } from "./values";

/**
 * The quality metrics of one review period, computed from evidence that both verifier nodes accepted and from the
 * entrusted payments. The period is half-open, [from, to): consecutive quarters share no instant.
 */

export const MetricEvidence = z.object({
  id: z.string().min(1, { message: "must not be empty" }),
  kind: z.enum(EVIDENCE_KINDS, expected(`must be one of ${EVIDENCE_KINDS.join(", ")}`)),
  verifiedByBothNodes: z.boolean(expected("must be true or false")),
  anchoredAt: Instant,
  metadata: z.record(z.string(), z.unknown()).default({}),
});
export type MetricEvidence = z.infer<typeof MetricEvidence>;

export const MetricPayment = z.object({
  /** Optional reference (plan index, transaction hash) listed among the inputs. */
  id: z.string().min(1, { message: "must not be empty" }).optional(),
  amount: Fen,
  qualityPurpose: z.boolean(expected("must be true or false")),
  paidAt: Instant,
});
export type MetricPayment = z.infer<typeof MetricPayment>;

export const MetricsInput = z
  .object({
    period: z
      .object({ from: Instant, to: Instant })
      .refine((p) => p.from.getTime() < p.to.getTime(), { message: "from must be before to", path: ["to"] }),
    /** Every piece of the facility's evidence known so far (earlier periods too: a patent counts only once). */
    evidence: z.array(MetricEvidence),
    /** Every executed entrusted payment of the facility. */
    payments: z.array(MetricPayment),
    /** The borrower's current quality grade, if it has one. */
    grade: z.enum(GRADES, expected("must be a grade A–E")).optional(),
  })
  .superRefine((input, ctx) => {
    const seen = new Set<string>();
    input.evidence.forEach((item, index) => {
      if (seen.has(item.id)) {
        ctx.addIssue({ code: "custom", path: ["evidence", index, "id"], message: `duplicate evidence id ${item.id}` });
      }
      seen.add(item.id);
    });
  });
export type MetricsInput = z.input<typeof MetricsInput>;

// A metric's result and a period's metrics are the domain's API types (domain/api/reviews.ts): a review report's parts.
export type { MetricResult, QualityMetrics };

/** Computes every metric of the period. Throws a RulesInputError when the input does not validate. */
export function computeMetrics(input: MetricsInput): QualityMetrics {
  const { period, evidence, payments, grade } = parseInput(MetricsInput, input, "metrics input");
  const from = period.from.getTime();
  const to = period.to.getTime();
  const ordered = [...evidence].sort(
    (a, b) => a.anchoredAt.getTime() - b.anchoredAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const inPeriod = (item: MetricEvidence) => item.anchoredAt.getTime() >= from && item.anchoredAt.getTime() < to;
  const before = (item: MetricEvidence) => item.anchoredAt.getTime() < from;

  const metrics: Record<Metric, MetricResult> = {
    PATENTS_ADDED: patentsAdded(ordered, inPeriod, before),
    PASS_RATE_BPS: passRate(ordered.filter((item) => item.kind === "INSPECTION_REPORT" && inPeriod(item))),
    QUALITY_SPEND_SHARE_BPS: qualitySpendShare(payments.filter((p) => p.paidAt.getTime() < to)),
    GRADE: gradeMetric(grade),
  };
  return {
    period: { from: period.from.toISOString(), to: period.to.toISOString() },
    values: {
      PATENTS_ADDED: metrics.PATENTS_ADDED.value,
      PASS_RATE_BPS: metrics.PASS_RATE_BPS.value,
      QUALITY_SPEND_SHARE_BPS: metrics.QUALITY_SPEND_SHARE_BPS.value,
      GRADE: metrics.GRADE.value,
    },
    metrics,
  };
}

const NOT_VERIFIED = "not verified by both nodes";

/**
 * PATENTS_ADDED: distinct patents among the verified PATENT_FILING evidence anchored in the period. A patent is
 * identified by `metadata.patentNumber` (trimmed; evidence without one counts on its own), and a patent already
 * filed as verified evidence before the period, or twice in it, counts once: re-uploading a filing adds nothing.
 */
function patentsAdded(
  ordered: MetricEvidence[],
  inPeriod: (item: MetricEvidence) => boolean,
  before: (item: MetricEvidence) => boolean,
): MetricResult {
  const filings = ordered.filter((item) => item.kind === "PATENT_FILING");
  const patentOf = (item: MetricEvidence) => {
    const number = item.metadata.patentNumber;
    return typeof number === "string" && number.trim() !== "" ? number.trim() : undefined;
  };
  const earlier = new Set(
    filings.filter((item) => item.verifiedByBothNodes && before(item)).map((item) => patentOf(item) ?? item.id),
  );
  const counted = new Map<string, string>(); // patent → the evidence that counted it
  const excluded: MetricResult["excluded"] = [];
  for (const item of filings.filter(inPeriod)) {
    const patent = patentOf(item);
    const key = patent ?? item.id;
    if (!item.verifiedByBothNodes) excluded.push({ evidenceId: item.id, reason: NOT_VERIFIED });
    else if (earlier.has(key))
      excluded.push({ evidenceId: item.id, reason: `patent ${key} was counted before the period` });
    else if (counted.has(key)) {
      excluded.push({
        evidenceId: item.id,
        reason: `patent ${key} is already counted by evidence ${counted.get(key)}`,
      });
    } else counted.set(key, item.id);
  }
  const patents = [...counted.keys()];
  return {
    metric: "PATENTS_ADDED",
    value: patents.length,
    evidenceIds: [...counted.values()],
    excluded,
    inputs: { patents },
    note: `${patents.length} distinct patent filing(s) verified by both nodes and anchored in the period`,
  };
}

/**
 * What an INSPECTION_REPORT's metadata must say: either counts, `unitsTested` (> 0) and `unitsPassed` (≤ tested),
 * or a rate, `passRateBps` (0–10,000). With counts, a `passRateBps` given as well must equal
 * ⌊unitsPassed × 10,000 / unitsTested⌋.
 */
export const InspectionMetadata = z
  .object({
    unitsTested: z
      .int(expected("must be a whole number of units"))
      .positive({ message: "must be at least 1 unit" })
      .optional(),
    unitsPassed: z
      .int(expected("must be a whole number of units"))
      .nonnegative({ message: "must not be negative" })
      .optional(),
    passRateBps: z
      .int(expected("must be a whole number of bps"))
      .min(0, { message: "must be 0–10000 bps" })
      .max(10_000, { message: "must be 0–10000 bps" })
      .optional(),
  })
  .superRefine((m, ctx) => {
    const counts = m.unitsTested !== undefined || m.unitsPassed !== undefined;
    if (counts && (m.unitsTested === undefined || m.unitsPassed === undefined)) {
      ctx.addIssue({ code: "custom", message: "needs both unitsTested and unitsPassed" });
    } else if (counts && m.unitsPassed! > m.unitsTested!) {
      ctx.addIssue({ code: "custom", message: `unitsPassed ${m.unitsPassed} exceeds unitsTested ${m.unitsTested}` });
    } else if (counts && m.passRateBps !== undefined && m.passRateBps !== rateOf(m.unitsPassed!, m.unitsTested!)) {
      ctx.addIssue({
        code: "custom",
        message: `passRateBps ${m.passRateBps} disagrees with ${m.unitsPassed}/${m.unitsTested} units (${rateOf(m.unitsPassed!, m.unitsTested!)} bps)`,
      });
    } else if (!counts && m.passRateBps === undefined) {
      ctx.addIssue({ code: "custom", message: "needs unitsTested and unitsPassed, or passRateBps" });
    }
  });

/** ⌊passed × 10,000 / tested⌋: a share is never overstated (as the contract's ShareMath). */
function rateOf(passed: number | bigint, tested: number | bigint): number {
  return Number((BigInt(passed) * 10_000n) / BigInt(tested));
}

/**
 * PASS_RATE_BPS: from the verified INSPECTION_REPORT evidence anchored in the period. When every report gives
 * counts, the pooled rate ⌊Σ passed × 10,000 / Σ tested⌋ (weighted by units tested); otherwise the plain mean of the
 * reports' rates, rounded down. No report → no value; a verified report whose metadata is invalid → no value either,
 * since leaving it out could hide a failed inspection.
 */
function passRate(reports: MetricEvidence[]): MetricResult {
  const excluded: MetricResult["excluded"] = [];
  const used: Array<{ evidenceId: string; unitsTested: number | null; unitsPassed: number | null; rateBps: number }> =
    [];
  const invalid: string[] = [];
  for (const report of reports) {
    if (!report.verifiedByBothNodes) {
      excluded.push({ evidenceId: report.id, reason: NOT_VERIFIED });
      continue;
    }
    const parsed = InspectionMetadata.safeParse(report.metadata);
    if (!parsed.success) {
      const reason = `invalid inspection metadata: ${parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ` : "") + i.message).join("; ")}`;
      excluded.push({ evidenceId: report.id, reason });
      invalid.push(report.id);
      continue;
    }
    const m = parsed.data;
    const counts = m.unitsTested !== undefined;
    used.push({
      evidenceId: report.id,
      unitsTested: counts ? m.unitsTested! : null,
      unitsPassed: counts ? m.unitsPassed! : null,
      rateBps: counts ? rateOf(m.unitsPassed!, m.unitsTested!) : m.passRateBps!,
    });
  }
  const base = { metric: "PASS_RATE_BPS" as const, excluded, inputs: { reports: used } };
  if (invalid.length > 0) {
    return {
      ...base,
      value: null,
      evidenceIds: [],
      note: `no pass rate: verified inspection report(s) ${invalid.join(", ")} have invalid metadata`,
    };
  }
  if (used.length === 0) {
    return { ...base, value: null, evidenceIds: [], note: "no verified inspection report in the period" };
  }
  const evidenceIds = used.map((r) => r.evidenceId);
  if (used.every((r) => r.unitsTested !== null)) {
    const tested = used.reduce((sum, r) => sum + BigInt(r.unitsTested!), 0n);
    const passed = used.reduce((sum, r) => sum + BigInt(r.unitsPassed!), 0n);
    return {
      ...base,
      value: rateOf(passed, tested),
      evidenceIds,
      note: `${passed} of ${tested} units passed in ${used.length} report(s), pooled`,
    };
  }
  const mean = Math.floor(used.reduce((sum, r) => sum + r.rateBps, 0) / used.length);
  return {
    ...base,
    value: mean,
    evidenceIds,
    note: `mean of ${used.length} report(s)' pass rates (not all give unit counts, so not weighted)`,
  };
}

/** QUALITY_SPEND_SHARE_BPS: quality-purpose payments over all payments made before the period's end, ⌊× 10,000⌋. */
function qualitySpendShare(payments: MetricPayment[]): MetricResult {
  const total = payments.reduce((sum, p) => sum + p.amount, 0n);
  const quality = payments.reduce((sum, p) => sum + (p.qualityPurpose ? p.amount : 0n), 0n);
  const ids = payments.flatMap((p) => (p.id === undefined ? [] : [p.id]));
  const inputs = {
    qualityPaidFen: quality.toString(),
    totalPaidFen: total.toString(),
    paymentCount: payments.length,
    ...(ids.length > 0 ? { paymentIds: ids } : {}),
  };
  const base = { metric: "QUALITY_SPEND_SHARE_BPS" as const, evidenceIds: [], excluded: [], inputs };
  if (total === 0n) return { ...base, value: null, note: "no payment made by the end of the period" };
  return {
    ...base,
    value: rateOf(quality, total),
    note: `${quality} of ${total} fen paid by the end of the period went to quality purposes`,
  };
}

/** GRADE: the borrower's grade as its score (A = 5 … E = 1). */
function gradeMetric(grade: (typeof GRADES)[number] | undefined): MetricResult {
  const base = { metric: "GRADE" as const, evidenceIds: [], excluded: [], inputs: { grade: grade ?? null } };
  if (grade === undefined) return { ...base, value: null, note: "the borrower has no quality grade" };
  return { ...base, value: GRADE_SCORE[grade], note: `grade ${grade} (score ${GRADE_SCORE[grade]})` };
}
