import { expect } from "chai";
import fc from "fast-check";
import { fenToCny, formatBps, formatCny, formatFen, parseCny, parseFen, shareBps } from "../../domain/money";

// One set of money rules for the server, the CLI (cli/money.ts) and the dashboard (web/src/money.ts).
describe("domain money", function () {
  describe("when parsing CNY amounts", function () {
    for (const [input, fen] of [
      ["10,000,000.00", 1_000_000_000n],
      ["10000000", 1_000_000_000n],
      ["0.1", 10n],
      ["0.01", 1n],
      ["1,234.5", 123_450n],
      ["¥12.30", 1_230n],
      ["CNY 4,000,000.00", 400_000_000n],
      [" 7 ", 700n],
      ["0", 0n],
      ["￥1，234.56", 123_456n],
      ["RMB 5", 500n],
    ] as const) {
      it(`reads "${input}" as ${fen} fen`, function () {
        expect(parseCny(input)).to.equal(fen);
      });
    }

    it("is exact beyond what a float can hold", function () {
      expect(parseCny("90,071,992,547,409.93")).to.equal(9_007_199_254_740_993n);
      expect(parseCny("0.29")).to.equal(29n);
    });

    for (const [input, message] of [
      ["1.234", "has more than 2 decimals"],
      ["10,000,000.001", "has more than 2 decimals"],
      ["1,00", "groups its digits wrongly"],
      ["12,34,567", "groups its digits wrongly"],
      ["1，00", "groups its digits wrongly"],
      ["1 000", "is not a CNY amount"],
      ["-1", "is negative"],
      ["", "is empty"],
      ["1e3", "is not a CNY amount"],
      [".5", "is not a CNY amount"],
      ["5.", "is not a CNY amount"],
      ["1.2.3", "more than one decimal point"],
    ] as const) {
      it(`refuses "${input}" (${message})`, function () {
        expect(() => parseCny(input)).to.throw(message);
      });
    }

    it("reads fen as whole numbers only", function () {
      expect(parseFen("1000000000")).to.equal(1_000_000_000n);
      expect(() => parseFen("10.5")).to.throw("is not a whole number of fen");
    });
  });

  describe("when formatting fen as CNY", function () {
    for (const [fen, text] of [
      [1_000_000_000n, "10,000,000.00"],
      [5n, "0.05"],
      [0n, "0.00"],
      [-12_345n, "-123.45"],
      ["743125000", "7,431,250.00"],
      [99_999n, "999.99"],
    ] as const) {
      it(`shows ${fen} fen as ${text}`, function () {
        expect(formatFen(fen)).to.equal(text);
      });
    }

    it("reads back every amount it shows", function () {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: 2n ** 80n }), (fen) => parseCny(formatFen(fen)) === fen),
        { numRuns: 500 },
      );
    });

    it("writes plain yuan for machine-read files and the unit in the nodes' messages", function () {
      expect(fenToCny(123_405n)).to.equal("1234.05");
      expect(fenToCny("-5")).to.equal("-0.05");
      expect(formatCny(100_000_000n)).to.equal("1,000,000.00 CNY");
    });

    it("shows basis points as a percentage", function () {
      expect(formatBps(435)).to.equal("4.35%");
      expect(formatBps("3000")).to.equal("30.00%");
    });
  });

  describe("when computing shares", function () {
    it("rounds down as the contracts' ShareMath, so a share is never overstated", function () {
      expect(shareBps(1n, 3n)).to.equal(3333);
      expect(shareBps(2n, 3n)).to.equal(6666);
      expect(shareBps(5n, 5n)).to.equal(10_000);
    });

    it("is 0 of nothing rather than a division by zero", function () {
      expect(shareBps(0n, 0n)).to.equal(0);
    });
  });
});
