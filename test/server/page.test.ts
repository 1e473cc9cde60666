import { expect } from "chai";
import { pageOfList, pageOfRows } from "../../server/http/page";

describe("cursor pages (server/http/page.ts)", function () {
  const list = ["a", "b", "c", "d", "e"];
  const key = (item: string) => item;

  describe("when a list built in memory is paged", function () {
    it("walks the whole list, each page after the cursor, without gaps or repeats", function () {
      for (const limit of [1, 2, 3, 5, 500]) {
        const seen: string[] = [];
        let cursor: string | undefined;
        for (let guard = 0; guard < 10; guard++) {
          const page = pageOfList(list, { limit, cursor }, key);
          expect(page.items.length).to.be.at.most(limit);
          seen.push(...page.items);
          if (page.nextCursor === null) break;
          expect(page.nextCursor).to.equal(page.items[page.items.length - 1]);
          cursor = page.nextCursor;
        }
        expect(seen, `limit ${limit}`).to.deep.equal(list);
      }
    });

    it("gives an empty last page after the last item, and refuses a cursor that names no item", function () {
      expect(pageOfList(list, { limit: 2, cursor: "e" }, key)).to.deep.equal({ items: [], nextCursor: null });
      expect(() => pageOfList(list, { limit: 2, cursor: "z" }, key))
        .to.throw("names no item of this list")
        .with.property("code", "invalid_cursor");
    });
  });

  describe("when rows are read one more than the limit", function () {
    it("hands out the last row's key only when another row follows", function () {
      expect(pageOfRows(["a", "b", "c"], { limit: 2 }, key)).to.deep.equal({ items: ["a", "b"], nextCursor: "b" });
      expect(pageOfRows(["a", "b"], { limit: 2 }, key)).to.deep.equal({ items: ["a", "b"], nextCursor: null });
    });
  });
});
