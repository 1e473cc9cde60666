import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  BUILT_IN_PRODUCTS,
  GRADES,
  ProductDefinitionError,
  baseRateFor,
  isFastTrack,
  loadProducts,
  parseProduct,
  type ProductDefinitionInput,
} from "../../../server/rules/products";

/** A minimal valid product as a JSON file would hold it (defaults left out). */
function productJson(overrides: Record<string, unknown> = {}): ProductDefinitionInput {
  return {
    id: "test-loan",
    version: 1,
    name: { zh: "测试贷", en: "Test loan" },
    gradeRatesBps: { A: 400, B: 420, C: 440, D: 460, E: 480 },
    termMonths: 12,
    targets: [
      {
        id: "patents",
        metric: "PATENTS_ADDED",
        comparator: "gte",
        threshold: 1,
        discountBps: 10,
        subsidyEligible: false,
      },
    ],
    maxDiscountBps: 10,
    ...overrides,
  } as ProductDefinitionInput;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(ProductDefinitionError);
    return (error as Error).message;
  }
  expect.fail("expected a ProductDefinitionError");
}

const tempDirs: string[] = [];

function tempDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "products-"));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

describe("rules/products", function () {
  describe("when the built-in yongzhidai (甬质贷) v1 is read", function () {
    const [yongzhidai] = BUILT_IN_PRODUCTS;

    it("prices the five grades A–E at 385, 410, 435, 465 and 490 bps", function () {
      expect(yongzhidai.id).to.equal("yongzhidai");
      expect(yongzhidai.version).to.equal(1);
      expect(yongzhidai.name.zh).to.equal("甬质贷");
      expect(GRADES.map((grade) => baseRateFor(yongzhidai, grade))).to.deep.equal([385, 410, 435, 465, 490]);
    });

    it("keeps the Ningbo terms: 30% quality floor, 3% subsidy, quarterly review", function () {
      expect(yongzhidai.qualityFloorBps).to.equal(3_000);
      expect(yongzhidai.subsidyBps).to.equal(300);
      expect(yongzhidai.reviewPeriod).to.equal("QUARTER");
    });

    it("rewards ≥ 2 patents a quarter and a pass rate ≥ 98.00% with 25 bps each, the pass rate with the subsidy", function () {
      expect(
        yongzhidai.targets.map(({ metric, comparator, threshold, discountBps, subsidyEligible }) => ({
          metric,
          comparator,
          threshold,
          discountBps,
          subsidyEligible,
        })),
      ).to.deep.equal([
        { metric: "PATENTS_ADDED", comparator: "gte", threshold: 2, discountBps: 25, subsidyEligible: false },
        { metric: "PASS_RATE_BPS", comparator: "gte", threshold: 9_800, discountBps: 25, subsidyEligible: true },
      ]);
      expect(yongzhidai.maxDiscountBps).to.equal(50);
    });

    it("fast-tracks grades A and B only", function () {
      expect(GRADES.filter((grade) => isFastTrack(yongzhidai, grade))).to.deep.equal(["A", "B"]);
    });
  });

  describe("when a definition leaves out the defaults", function () {
    it("takes a 3,000 bps quality floor, a 300 bps subsidy, quarterly reviews and no fast track", function () {
      const product = parseProduct(productJson());
      expect(product.qualityFloorBps).to.equal(3_000);
      expect(product.subsidyBps).to.equal(300);
      expect(product.reviewPeriod).to.equal("QUARTER");
      expect(product.fastTrack).to.deep.equal({ grades: [] });
    });
  });

  describe("when a definition is invalid", function () {
    it("names the source and says which field is missing", function () {
      const json = productJson();
      delete (json as Partial<typeof json>).termMonths;
      expect(messageOf(() => parseProduct(json, "products/test.json"))).to.equal(
        "invalid product definition in products/test.json: termMonths: is required",
      );
    });

    it("lists every problem with its path", function () {
      const error = (() => {
        try {
          parseProduct(productJson({ version: 0, maxDiscountBps: 20_000, name: { zh: "", en: "x" } }));
        } catch (e) {
          return e as ProductDefinitionError;
        }
      })()!;
      expect(error.issues).to.deep.equal([
        { path: "version", message: "must be 1 or more" },
        { path: "name.zh", message: "must not be empty" },
        { path: "maxDiscountBps", message: "must be at most 10000 bps" },
      ]);
    });

    it("refuses a pass-rate threshold above 10,000 bps", function () {
      const targets = [
        {
          id: "pass",
          metric: "PASS_RATE_BPS",
          comparator: "gte",
          threshold: 98,
          discountBps: 5,
          subsidyEligible: true,
        },
        {
          id: "pass2",
          metric: "PASS_RATE_BPS",
          comparator: "gte",
          threshold: 98_000,
          discountBps: 5,
          subsidyEligible: true,
        },
      ];
      expect(messageOf(() => parseProduct(productJson({ targets })))).to.equal(
        "invalid product definition in input: targets.1.threshold: a PASS_RATE_BPS threshold must be between 0 and 10000 (bps), not 98000",
      );
    });

    it("refuses a grade threshold outside the scores 1–5", function () {
      const targets = [
        { id: "g", metric: "GRADE", comparator: "gte", threshold: 6, discountBps: 5, subsidyEligible: false },
      ];
      expect(messageOf(() => parseProduct(productJson({ targets })))).to.contain(
        "targets.0.threshold: a GRADE threshold must be between 1 and 5 (grade score (A = 5 … E = 1)), not 6",
      );
    });

    it("refuses an unknown metric, an unknown comparator and a fractional threshold", function () {
      const targets = [
        { id: "t", metric: "REVENUE", comparator: "gt", threshold: 1.5, discountBps: 5, subsidyEligible: false },
      ];
      const message = messageOf(() => parseProduct(productJson({ targets })));
      expect(message).to.contain(
        "targets.0.metric: must be one of PATENTS_ADDED, PASS_RATE_BPS, QUALITY_SPEND_SHARE_BPS, GRADE",
      );
      expect(message).to.contain("targets.0.comparator: must be gte (at least) or lte (at most)");
      expect(message).to.contain("targets.0.threshold: must be a whole number");
    });

    it("refuses two targets with one id", function () {
      const target = {
        id: "same",
        metric: "PATENTS_ADDED",
        comparator: "gte",
        threshold: 1,
        discountBps: 5,
        subsidyEligible: false,
      };
      expect(messageOf(() => parseProduct(productJson({ targets: [target, target] })))).to.contain(
        'targets.1.id: duplicate target id "same"',
      );
    });

    it("refuses a rate table where a worse grade is cheaper", function () {
      const gradeRatesBps = { A: 400, B: 390, C: 440, D: 460, E: 480 };
      expect(messageOf(() => parseProduct(productJson({ gradeRatesBps })))).to.contain(
        "gradeRatesBps.B: grade B (390 bps) must not be cheaper than grade A (400 bps)",
      );
    });

    it("refuses a missing or unknown grade in the rate table", function () {
      const message = messageOf(() =>
        parseProduct(productJson({ gradeRatesBps: { A: 400, B: 420, C: 440, D: 460, F: 480 } })),
      );
      expect(message).to.contain("gradeRatesBps.E: is required");
      expect(message).to.contain("gradeRatesBps: unknown grade F: the grades are A, B, C, D, E");
    });

    it("refuses a negative discount and a misspelt field", function () {
      const targets = [
        { id: "t", metric: "PATENTS_ADDED", comparator: "gte", threshold: 1, discountBps: -5, subsidyEligible: false },
      ];
      const message = messageOf(() => parseProduct(productJson({ targets, maxDiscount: 10 })));
      expect(message).to.contain("targets.0.discountBps: must be at least 0 bps");
      expect(message).to.contain('(root): Unrecognized key: "maxDiscount"');
    });

    it("refuses a repeated fast-track grade and an unknown one", function () {
      expect(messageOf(() => parseProduct(productJson({ fastTrack: { grades: ["A", "A"] } })))).to.contain(
        "fastTrack.grades: must not repeat a grade",
      );
      expect(messageOf(() => parseProduct(productJson({ fastTrack: { grades: ["S"] } })))).to.contain(
        "fastTrack.grades.0: must be a grade A–E",
      );
    });
  });

  describe("when products are loaded", function () {
    after(function () {
      for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("gives the built-in products without a directory", function () {
      const catalog = loadProducts();
      expect(catalog.products.map((p) => `${p.id}@${p.version}`)).to.deep.equal(["yongzhidai@1"]);
      expect(catalog.find("yongzhidai")?.name.en).to.contain("Yongzhidai");
    });

    it("adds every JSON file of the directory, one definition or an array, and ignores other files", function () {
      const dir = tempDir({
        "a.json": JSON.stringify(productJson()),
        "b.json": JSON.stringify([productJson({ version: 2 }), productJson({ id: "other" })]),
        "README.md": "not a product",
      });
      const catalog = loadProducts(dir);
      expect(catalog.products.map((p) => `${p.id}@${p.version}`)).to.deep.equal([
        "other@1",
        "test-loan@1",
        "test-loan@2",
        "yongzhidai@1",
      ]);
      expect(catalog.find("test-loan")?.version).to.equal(2);
      expect(catalog.find("test-loan", 1)?.version).to.equal(1);
      expect(catalog.find("test-loan", 3)).to.equal(undefined);
      expect(catalog.find("missing")).to.equal(undefined);
    });

    it("refuses a product with the id and version of a built-in one, naming both", function () {
      const dir = tempDir({ "yzd.json": JSON.stringify(productJson({ id: "yongzhidai" })) });
      expect(() => loadProducts(dir)).to.throw(
        `duplicate product yongzhidai version 1: defined in built-in yongzhidai v1 and in ${path.join(dir, "yzd.json")}`,
      );
    });

    it("refuses the same id and version in two files", function () {
      const dir = tempDir({ "a.json": JSON.stringify(productJson()), "b.json": JSON.stringify([productJson()]) });
      expect(() => loadProducts(dir)).to.throw(
        `duplicate product test-loan version 1: defined in ${path.join(dir, "a.json")} and in ${path.join(dir, "b.json")}[0]`,
      );
    });

    it("refuses a file that is not JSON, naming it", function () {
      const dir = tempDir({ "broken.json": "{ id: " });
      expect(() => loadProducts(dir)).to.throw(`product file ${path.join(dir, "broken.json")} is not valid JSON`);
    });

    it("refuses an invalid definition, naming the file and the entry", function () {
      const dir = tempDir({ "bad.json": JSON.stringify([productJson(), productJson({ version: 2, termMonths: 0 })]) });
      expect(() => loadProducts(dir))
        .to.throw(ProductDefinitionError)
        .with.property("source", `${path.join(dir, "bad.json")}[1]`);
    });
  });
});
