import { expect } from "chai";
import { Wallet } from "ethers";
import { figureMismatch, figuresAsMetadata } from "../../../server/registry/records";
import { RegistryRecordInput } from "../../../server/registry/registry";

const issuesOf = (value: unknown) => {
  const parsed = RegistryRecordInput.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("registry records", function () {
  const base = { holder: "Ningbo Yongxin Bearings Co., Ltd.", holderCreditCode: "91330206MA2AAAAA1X" };

  describe("when a record is added", function () {
    it("needs the holder's credit code", function () {
      expect(issuesOf({ type: "PATENT_FILING", reference: "CN1", holder: "x" })).to.deep.equal([
        "holderCreditCode: Invalid input: expected string, received undefined",
      ]);
      expect(issuesOf({ ...base, type: "PATENT_FILING", reference: "CN1", holderCreditCode: "9133" })).to.deep.equal([
        "holderCreditCode: must be an 18-character unified social credit code",
      ]);
    });

    it("gives an inspection record its outcome and pass rate, and no other record either", function () {
      expect(issuesOf({ ...base, type: "INSPECTION_RECORD", reference: "NB-1" })).to.deep.equal([
        "outcome: an inspection record needs it",
        "passRateBps: an inspection record needs it",
      ]);
      expect(issuesOf({ ...base, type: "INSPECTION_RECORD", reference: "NB-1", outcome: "PASS", passRateBps: 9_900 }))
        .to.be.empty;
      expect(issuesOf({ ...base, type: "PATENT_FILING", reference: "CN1", passRateBps: 9_900 })).to.deep.equal([
        "passRateBps: only an inspection record has it",
      ]);
    });

    it("keys a firm's account by a chain address", function () {
      expect(issuesOf({ ...base, type: "FIRM_ACCOUNT", reference: "not-an-address" })).to.deep.equal([
        "reference: a FIRM_ACCOUNT reference is a chain address",
      ]);
      expect(issuesOf({ ...base, type: "FIRM_ACCOUNT", reference: Wallet.createRandom().address.toLowerCase() })).to.be
        .empty;
    });
  });

  describe("when a document's figures are compared with the regulator's record", function () {
    const record = { outcome: "PASS" as const, passRateBps: 9_900, unitsTested: 12_000, unitsPassed: 11_880 };
    const rateOnly = { outcome: "FAIL" as const, passRateBps: 9_120 };

    it("accepts figures that are the record's, stated in part or not at all", function () {
      expect(figureMismatch({ unitsTested: 12_000, unitsPassed: 11_880 }, record)).to.equal(undefined);
      expect(figureMismatch({ passRateBps: 9_900, result: "PASS" }, record)).to.equal(undefined);
      expect(figureMismatch({ labLicence: "CNAS-L12345" }, rateOnly)).to.equal(undefined);
    });

    it("names the first figure that differs, or that the record cannot confirm", function () {
      expect(figureMismatch({ unitsTested: 12_000, unitsPassed: 12_000 }, record)).to.equal(
        "the document claims unitsPassed 12000, the regulator's record 11880",
      );
      expect(figureMismatch({ unitsTested: 100, unitsPassed: 91 }, rateOnly)).to.equal(
        "the regulator's record gives no unitsTested, the document claims 100",
      );
      expect(figureMismatch({ passRateBps: 9_120, outcome: "PASS" }, rateOnly)).to.equal(
        "the document claims outcome PASS, the regulator's record FAIL",
      );
    });

    it("counts the fields a document stated, with the record's values", function () {
      expect(figuresAsMetadata({ unitsTested: 1, unitsPassed: 1 }, record)).to.deep.equal({
        unitsTested: 12_000,
        unitsPassed: 11_880,
      });
      expect(figuresAsMetadata({}, record)).to.deep.equal({ passRateBps: 9_900 });
    });
  });
});
