import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import yongzhidaiV1 from "./catalog/yongzhidai.v1.json";
import { Bps, RulesInputError, expected, requiredMessage } from "./values";
import {
  COMPARATORS,
  GRADES,
  GRADE_SCORE,
  METRICS,
  type Comparator,
  type Grade,
  type Metric,
} from "../../domain/enums";

// The grades, metrics and comparators are the domain's (domain/enums.ts), shared with the CLI and the dashboard.
export { COMPARATORS, GRADES, GRADE_SCORE, METRICS, type Comparator, type Grade, type Metric };

export const REVIEW_PERIODS = ["QUARTER"] as const;

/** The values a target's threshold may take, per metric. */
export const METRIC_RANGE: Readonly<Record<Metric, { min: number; max: number; unit: string }>> = {
  PATENTS_ADDED: { min: 0, max: 1_000_000, unit: "patents" },
  PASS_RATE_BPS: { min: 0, max: 10_000, unit: "bps" },
  QUALITY_SPEND_SHARE_BPS: { min: 0, max: 10_000, unit: "bps" },
  GRADE: { min: GRADE_SCORE.E, max: GRADE_SCORE.A, unit: "grade score (A = 5 … E = 1)" },
};

const Label = z.strictObject({
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
/** A product definition as written in a JSON file (defaults not yet applied). */
export type ProductDefinitionInput = z.input<typeof ProductDefinition>;

/** Thrown when a product definition does not validate; the message names the source and every problem. */
export class ProductDefinitionError extends RulesInputError {
  constructor(
    readonly source: string,
    error: z.ZodError,
  ) {
    super(`product definition in ${source}`, error);
    this.name = "ProductDefinitionError";
  }
}

/** Validates one product definition (applying defaults), or throws a {@link ProductDefinitionError}. */
export function parseProduct(value: unknown, source = "input"): ProductDefinition {
  const result = ProductDefinition.safeParse(value, { error: requiredMessage });
  if (!result.success) throw new ProductDefinitionError(source, result.error);
  return result.data;
}

/** The products that ship with the code. */
export const BUILT_IN_PRODUCTS: readonly ProductDefinition[] = [
  parseProduct(yongzhidaiV1, "built-in catalog/yongzhidai.v1.json"),
];

/** The products a node offers, each identified by id and version. */
export interface ProductCatalog {
  /** Every product, ordered by id then version. */
  readonly products: readonly ProductDefinition[];
  /** The product with this id at this version, or its latest version when none is given. */
  find(id: string, version?: number): ProductDefinition | undefined;
}

/**
 * The built-in products plus every `*.json` file in `dir` (each holding one definition or an array of them), all
 * validated. Refuses the whole catalog when any file is invalid or two definitions share an id and version, so a
 * mistake stops start-up instead of pricing loans wrongly.
 */
export function loadProducts(dir?: string): ProductCatalog {
  const entries: Array<{ product: ProductDefinition; source: string }> = BUILT_IN_PRODUCTS.map((product) => ({
    product,
    source: `built-in ${product.id} v${product.version}`,
  }));
  if (dir !== undefined) {
    const files = fs
      .readdirSync(dir)
      .filter((name) => name.endsWith(".json"))
      .sort();
    for (const name of files) {
      const file = path.join(dir, name);
      let json: unknown;
      try {
        json = JSON.parse(fs.readFileSync(file, "utf8"));
      } catch (error) {
        throw new Error(`product file ${file} is not valid JSON: ${(error as Error).message}`);
      }
      const items = Array.isArray(json) ? json : [json];
      items.forEach((item, index) => {
        const source = Array.isArray(json) ? `${file}[${index}]` : file;
        entries.push({ product: parseProduct(item, source), source });
      });
    }
  }

  const bySource = new Map<string, string>();
  for (const { product, source } of entries) {
    const key = `${product.id}@${product.version}`;
    const first = bySource.get(key);
    if (first !== undefined) {
      throw new Error(
        `duplicate product ${product.id} version ${product.version}: defined in ${first} and in ${source}`,
      );
    }
    bySource.set(key, source);
  }

  const products = entries
    .map((entry) => entry.product)
    .sort((a, b) => (a.id === b.id ? a.version - b.version : a.id < b.id ? -1 : 1));
  return {
    products,
    find(id, version) {
      const versions = products.filter((product) => product.id === id);
      if (version === undefined) return versions[versions.length - 1];
      return versions.find((product) => product.version === version);
    },
  };
}

/** The base (contract) rate in bps of a facility of `product` for a borrower of `grade`. */
export function baseRateFor(product: ProductDefinition, grade: Grade): number {
  return product.gradeRatesBps[grade];
}

/** Whether a borrower of `grade` qualifies for the product's fast-track approval. */
export function isFastTrack(product: ProductDefinition, grade: Grade): boolean {
  return product.fastTrack.grades.includes(grade);
}
