import { expect } from "chai";
import path from "node:path";
import { parseDatabaseUrl, redact } from "../../../server/db/url";

describe("parseDatabaseUrl", function () {
  describe("when the URL is file:<path>", function () {
    it("resolves a relative path from the working directory", function () {
      expect(parseDatabaseUrl("file:./data/bank/db.sqlite")).to.deep.equal({
        provider: "sqlite",
        file: path.resolve("data/bank/db.sqlite"),
      });
    });

    it("takes an absolute path and a file:// URL as they are", function () {
      expect(parseDatabaseUrl("file:/tmp/x/db.sqlite")).to.deep.equal({ provider: "sqlite", file: "/tmp/x/db.sqlite" });
      expect(parseDatabaseUrl("file:///tmp/x/db.sqlite")).to.deep.equal({
        provider: "sqlite",
        file: "/tmp/x/db.sqlite",
      });
    });
  });

  describe("when the URL is postgresql:// or postgres://", function () {
    it("moves the schema parameter out of the connection string", function () {
      expect(parseDatabaseUrl("postgresql://root@127.0.0.1:5432/test?schema=bank&sslmode=disable")).to.deep.equal({
        provider: "postgresql",
        connectionString: "postgresql://root@127.0.0.1:5432/test?sslmode=disable",
        schema: "bank",
      });
    });

    it("leaves the schema undefined without the parameter", function () {
      expect(parseDatabaseUrl("postgres://u:p@db.example:6543/bank")).to.deep.equal({
        provider: "postgresql",
        connectionString: "postgres://u:p@db.example:6543/bank",
        schema: undefined,
      });
    });
  });

  describe("when the URL is invalid", function () {
    const cases: [string, RegExp][] = [
      ["", /Invalid database URL: it is empty/],
      [
        "mysql://u@h/db",
        /Invalid database URL "mysql:\/\/u@h\/db": expected file:<path> \(SQLite\) or postgresql:\/\//,
      ],
      ["./db.sqlite", /expected file:<path>/],
      ["file:", /the SQLite file path is empty/],
      ["file::memory:", /in-memory SQLite is not supported/],
      ["file:./db.sqlite?mode=ro", /query parameters are not supported for SQLite/],
      ["postgresql://h/db?schema=bad-name", /schema "bad-name" must be a plain identifier/],
      ["postgresql://h/db?schema=a&schema=b", /the schema parameter is given more than once/],
      ["postgresql://h:notaport/db", /not a valid URL/],
    ];
    for (const [url, message] of cases) {
      it(`rejects ${JSON.stringify(url)} naming the problem`, function () {
        expect(() => parseDatabaseUrl(url)).to.throw(message);
      });
    }

    it("never repeats the password", function () {
      expect(() => parseDatabaseUrl("mysql://admin:s3cret@h/db")).to.throw(/"mysql:\/\/admin:\*\*\*@h\/db"/);
      expect(redact("postgresql://admin:s3cret@h/db")).to.equal("postgresql://admin:***@h/db");
    });
  });
});
