import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import yongzhidaiV1 from "./catalog/yongzhidai.v1.json";
import { METRIC_RANGE, ProductDefinition, QualityTarget, REVIEW_PERIODS } from "../../domain/api/products";
import { RulesInputError, requiredMessage } from "./values";
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

// A quality target, a product definition and the ranges of their values are the domain's (domain/api/products.ts):
// GET /products shows them.
export { METRIC_RANGE, ProductDefinition, QualityTarget, REVIEW_PERIODS };

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
