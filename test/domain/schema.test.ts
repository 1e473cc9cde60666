import { expect } from "chai";
import { FacilityId, UintString } from "../../domain/schema";

describe("the API's integer fields (domain/schema.ts)", function () {
  it("take decimal digits or an exact JSON number, and parse them to bigint", function () {
    expect(UintString.parse("12")).to.equal(12n);
    expect(UintString.parse(5)).to.equal(5n);
    expect(UintString.parse(Number.MAX_SAFE_INTEGER)).to.equal(BigInt(Number.MAX_SAFE_INTEGER));
  });

  it("refuse a fraction as a validation error, denormals included (zod's multipleOf lets 7e-323 through)", function () {
    for (const value of [0.5, 7e-323, 9e-323, Number.MIN_VALUE]) {
      const parsed = UintString.safeParse(value);
      expect(parsed.success, String(value)).to.equal(false);
      expect(FacilityId.safeParse(value).success, String(value)).to.equal(false);
    }
  });
});
