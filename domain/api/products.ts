import { z } from "zod";
import { pageOf } from "./page";
import { COMPARATORS, GRADES, GRADE_SCORE, METRICS, type Grade, type Metric } from "../enums";
import { Bps, expected } from "../schema";

/** The values a target's threshold may take, per metric. */
export const METRIC_RANGE: Readonly<Record<Metric, { min: number; max: number; unit: string }>> = {
  PATENTS_ADDED: { min: 0, max: 1_000_000, unit: "patents" },
  PASS_RATE_BPS: { min: 0, max: 10_000, unit: "bps" },
  QUALITY_SPEND_SHARE_BPS: { min: 0, max: 10_000, unit: "bps" },
  GRADE: { min: GRADE_SCORE.E, max: GRADE_SCORE.A, unit: "grade score (A = 5 … E = 1)" },
};

/** A name for people, in Chinese and English. */
export const Label = z.strictObject({
  zh: z.string().trim().min(1, { message: "must not be empty" }),
  en: z.string().trim().min(1, { message: "must not be empty" }),
});

export const QualityTarget = z
  .strictObject({
    id: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, {
      message: "must be a slug: lower-case letters, digits and '-', starting with a letter, at most 64 characters",
    }),
    metric: z.enum(METRICS, expected(`must be one of ${METRICS.join(", ")}`)),
    comparator: z.enum(COMPARATORS, expected("must be gte (at least) or lte (at most)")),
    threshold: z.int(expected("must be a whole number")),
    discountBps: Bps,
    subsidyEligible: z.boolean(expected("must be true or false")),
    label: Label.optional(),
  })
  .superRefine((target, ctx) => {
    const range = METRIC_RANGE[target.metric];
    if (target.threshold < range.min || target.threshold > range.max) {
      ctx.addIssue({
        code: "custom",
        path: ["threshold"],
        message: `a ${target.metric} threshold must be between ${range.min} and ${range.max} (${range.unit}), not ${target.threshold}`,
      });
    }
  });
export type QualityTarget = z.infer<typeof QualityTarget>;

export const REVIEW_PERIODS = ["QUARTER"] as const;

const GradeRates = z.strictObject(
  Object.fromEntries(GRADES.map((grade) => [grade, Bps])) as Record<Grade, typeof Bps>,
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown grade ${issue.keys.join(", ")}: the grades are ${GRADES.join(", ")}`
        : issue.input === undefined
          ? "is required"
          : `must give a rate in bps for each grade ${GRADES.join(", ")}`,
  },
);

/** A loan product as data: what a facility of this product costs per grade and what its quality targets earn. */
export const ProductDefinition = z
  .strictObject({
    id: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, {
      message: "must be a slug: lower-case letters, digits and '-', starting with a letter, at most 64 characters",
    }),
    version: z.int(expected("must be a whole number")).min(1, { message: "must be 1 or more" }),
    name: Label,
    /** The base (contract) rate for each quality grade. */
    gradeRatesBps: GradeRates,
    /** The least share of the plan that must go to quality purposes (the contract's qualityFloorBps). */
    qualityFloorBps: Bps.default(3_000),
    /** The fiscal subsidy rate in compliant periods (the contract's subsidyBps). */
    subsidyBps: Bps.default(300),
    termMonths: z
      .int(expected("must be a whole number of months"))
      .min(1, { message: "must be 1 to 360 months" })
      .max(360, { message: "must be 1 to 360 months" }),
    reviewPeriod: z.enum(REVIEW_PERIODS, expected("must be QUARTER")).default("QUARTER"),
    targets: z.array(QualityTarget),
    /** The most the targets can take off the base rate together. */
    maxDiscountBps: Bps,
    /** Grades that qualify for fast-track approval (white-listed firms). */
    fastTrack: z.strictObject({ grades: z.array(z.enum(GRADES, expected("must be a grade A–E"))) }).default({
      grades: [],
    }),
  })
  .superRefine((product, ctx) => {
    const seen = new Set<string>();
    product.targets.forEach((target, index) => {
      if (seen.has(target.id)) {
        ctx.addIssue({ code: "custom", path: ["targets", index, "id"], message: `duplicate target id "${target.id}"` });
      }
      seen.add(target.id);
    });
    // A better grade never costs more: a decreasing table is almost always a typo.
    for (let i = 1; i < GRADES.length; ++i) {
      const [better, worse] = [GRADES[i - 1], GRADES[i]];
      if (product.gradeRatesBps[worse] < product.gradeRatesBps[better]) {
        ctx.addIssue({
          code: "custom",
          path: ["gradeRatesBps", worse],
          message: `grade ${worse} (${product.gradeRatesBps[worse]} bps) must not be cheaper than grade ${better} (${product.gradeRatesBps[better]} bps)`,
        });
      }
    }
    if (new Set(product.fastTrack.grades).size !== product.fastTrack.grades.length) {
      ctx.addIssue({ code: "custom", path: ["fastTrack", "grades"], message: "must not repeat a grade" });
    }
  });
export type ProductDefinition = z.infer<typeof ProductDefinition>;

export const ProductList = pageOf(ProductDefinition);
export type ProductList = z.infer<typeof ProductList>;
