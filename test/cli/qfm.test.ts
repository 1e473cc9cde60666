import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { readPlan } from "../../cli/commands/facilities";
import { chunkRows, readWhiteList, validateWhiteList } from "../../cli/commands/whitelist";
import { CliError, type Io } from "../../cli/context";
import { main } from "../../cli/program";
import { progressBar } from "../../cli/progress";
import { renderPairs, renderTable } from "../../cli/table";
import { tempDir } from "../helpers/processes";

describe("qfm", function () {
  describe("when rendering tables", function () {
    it("draws a header, right-aligns the columns asked for and leaves no colour codes", function () {
      const text = renderTable(
        ["#", "amount (CNY)", "paid"],
        [
          [0, "4,000,000.00", "✓ paid"],
          [1, "500,000.00", "unpaid"],
        ],
        ["right", "right", "left"],
      );
      expect(text.split("\n")).to.deep.equal([
        "┌───┬──────────────┬────────┐",
        "│ # │ amount (CNY) │ paid   │",
        "├───┼──────────────┼────────┤",
        "│ 0 │ 4,000,000.00 │ ✓ paid │",
        "│ 1 │   500,000.00 │ unpaid │",
        "└───┴──────────────┴────────┘",
      ]);
    });

    it("aligns Chinese names by their display width", function () {
      const lines = renderTable(["name"], [["宁波质检院"], ["Lab"]]).split("\n");
      expect(lines[3]).to.equal("│ 宁波质检院 │");
      expect(lines[4]).to.equal("│ Lab        │");
    });

    it("says (none) for no rows, and leaves out pairs without a value", function () {
      expect(renderTable(["a"], [])).to.equal("(none)");
      expect(
        renderPairs([
          ["status", "ACTIVE"],
          ["first payment", undefined],
        ]).split("\n"),
      ).to.deep.equal(["┌────────┬────────┐", "│ status │ ACTIVE │", "└────────┴────────┘"]);
    });

    it("draws progress as a bar with counts", function () {
      expect(progressBar(500, 1_201, "rows")).to.equal(`[${"█".repeat(10)}${"░".repeat(14)}] 500/1,201 rows`);
      expect(progressBar(0, 0, "rows")).to.equal(`[${"█".repeat(24)}] 0/0 rows`);
    });
  });

  describe("when reading input files", function () {
    let dir: string;
    const write = (name: string, content: unknown) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
      return file;
    };
    const payment = { payee: "0x1", category: "EQUIPMENT", qualityPurpose: true, requiredEvidence: ["INVOICE"] };

    before(function () {
      dir = tempDir("cli-unit");
    });
    after(function () {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("turns plan amounts into fen: CNY strings, whole CNY numbers, amountFen, or fen with --fen", function () {
      const plan = write("plan.json", {
        plan: [
          { ...payment, amount: "4,000,000.10" },
          { ...payment, amount: 500 },
          { ...payment, amountFen: "12345" },
        ],
      });
      expect(readPlan(plan, false).map((p) => p.amount)).to.deep.equal(["400000010", "50000", "12345"]);
      expect(readPlan(write("fen.json", [{ ...payment, amount: 12345 }]), true)[0]).to.deep.equal({
        ...payment,
        amount: "12345",
      });
    });

    it("refuses a plan amount with three decimals, or a float, naming the payment", function () {
      const plan = write("bad.json", [
        { ...payment, amount: "1.00" },
        { ...payment, amount: "1.005" },
      ]);
      expect(() => readPlan(plan, false)).to.throw(CliError, 'payment 1, amount: "1.005" has more than 2 decimals');
      const float = write("float.json", [{ ...payment, amount: 0.1 }]);
      expect(() => readPlan(float, false)).to.throw(CliError, "write amounts with decimals as strings");
      const both = write("both.json", [{ ...payment, amount: "1", amountFen: "100" }]);
      expect(() => readPlan(both, false)).to.throw(CliError, "give amount");
    });

    it("validates every white-list row with the node's own schema before sending any", function () {
      const csv = write(
        "wl.csv",
        [
          "creditCode,name,grade,credit,management,brand,foundation,innovation",
          '91330206MA2AAAAA1X,"Yongxin, Ningbo",C,78,74,66,81,72',
          "91330206MA2AAAAA2X,Bad,Z,78,74,66,181,72",
        ].join("\r\n"),
      );
      const rows = readWhiteList(csv);
      expect(rows[0]).to.include({ name: "Yongxin, Ningbo", grade: "C" });
      expect(validateWhiteList(rows)).to.deep.equal([
        "row 2, grade: must be one of A, B, C, D, E",
        "row 2, foundation: must be 0–100",
      ]);
      expect(() => readWhiteList(write("no-header.csv", "a,b\n1,2\n"))).to.throw(CliError, "the CSV header lacks");
      expect(readWhiteList(write("wl.json", { entries: [{ creditCode: "X" }] }))).to.have.length(1);
    });

    it("chunks rows by count and by size", function () {
      const rows = Array.from({ length: 1_201 }, (_, i) => ({ i }));
      expect(chunkRows(rows, 500).map((c) => c.length)).to.deep.equal([500, 500, 201]);
      const big = Array.from({ length: 10 }, () => ({ name: "x".repeat(1_000) }));
      expect(chunkRows(big, 500, 3_000).map((c) => c.length)).to.deep.equal([2, 2, 2, 2, 2]);
    });
  });

  describe("when a node refuses or fails (in process, against a stub node)", function () {
    let server: http.Server;
    let url: string;
    let dir: string;
    const requests: Array<{ method: string; path: string; body: any; authorization?: string }> = [];
    /** The index of the white-list import request to fail, or -1. */
    let whiteListFailsAt = -1;

    const problem = (status: number, code: string, detail: string, extra: object = {}) => ({
      status,
      body: {
        type: `https://qfm.example/problems/${code}`,
        title: "x",
        status,
        code,
        detail,
        retryable: false,
        ...extra,
      },
    });

    function answer(method: string, pathname: string, body: any): { status: number; body: unknown; type?: string } {
      if (method === "POST" && pathname === "/facilities/1/payments/1")
        return problem(409, "facility_is_frozen", "payment 1 of facility 1 cannot be made: frozen; no CERTIFICATION", {
          blockers: [
            { code: "facility_is_frozen", message: "facility 1 is frozen after a failed spot check" },
            { code: "evidence_missing", message: "no CERTIFICATION has been uploaded and anchored for facility 1" },
          ],
        });
      if (method === "POST" && pathname === "/payees")
        return problem(400, "validation_failed", "invalid request: body.address: bad; body.category: bad", {
          errors: [
            { path: "body.address", message: "must be a 0x-prefixed 20-byte address" },
            { path: "body.category", message: "must be one of EQUIPMENT, TESTING_CERT" },
          ],
        });
      if (method === "GET" && pathname === "/facilities/1/audit")
        return problem(404, "route_not_found", "no route GET /facilities/1/audit");
      if (method === "GET" && pathname === "/payees")
        return { status: 502, body: "<html>Bad gateway</html>", type: "text/html" };
      if (method === "POST" && pathname === "/whitelist/import") {
        const n = body.entries.length;
        if (requests.filter((r) => r.path === "/whitelist/import").length - 1 === whiteListFailsAt)
          return problem(503, "database_unavailable", "the database did not answer");
        return { status: 200, body: { imported: n, created: n, updated: 0 } };
      }
      return problem(404, "route_not_found", `no route ${method} ${pathname}`);
    }

    before(async function () {
      dir = tempDir("cli-stub");
      server = http.createServer((req, res) => {
        let text = "";
        req.on("data", (chunk) => (text += chunk));
        req.on("end", () => {
          const pathname = new URL(req.url!, "http://x").pathname;
          const body = text ? JSON.parse(text) : undefined;
          requests.push({ method: req.method!, path: pathname, body, authorization: req.headers.authorization });
          const { status, body: out, type } = answer(req.method!, pathname, body);
          res.statusCode = status;
          res.setHeader("content-type", type ?? (status >= 400 ? "application/problem+json" : "application/json"));
          res.end(typeof out === "string" ? out : JSON.stringify(out));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(async function () {
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    beforeEach(function () {
      requests.length = 0;
      whiteListFailsAt = -1;
    });

    const register = "payee register --address 0x1 --name n --credit-code c --category X".split(" ");

    async function run(...args: string[]) {
      let stdout = "";
      let stderr = "";
      const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), stderrIsTTY: false };
      const code = await main(["--bank", url, "--regulator", url, "--key", "qfm_test", ...args], io);
      return { code, stdout, stderr };
    }

    it("lists each blocker of a refused payment on stderr and exits 2", async function () {
      const refused = await run("payment", "request", "1", "1");
      expect(refused.code).to.equal(2);
      expect(refused.stdout).to.equal("");
      expect(refused.stderr.split("\n")).to.deep.equal([
        "✗ payment 1 of facility 1 cannot be made (facility_is_frozen, HTTP 409 from the bank node); 2 blockers:",
        "  • facility 1 is frozen after a failed spot check [facility_is_frozen]",
        "  • no CERTIFICATION has been uploaded and anchored for facility 1 [evidence_missing]",
        "",
      ]);
      expect(requests[0].authorization).to.equal("Bearer qfm_test");
    });

    it("prints the problem itself on stdout with --json", async function () {
      const refused = await run("--json", "payment", "request", "1", "1");
      expect(refused.code).to.equal(2);
      expect(JSON.parse(refused.stdout)).to.include({ code: "facility_is_frozen", status: 409 });
    });

    it("lists each field error of a validation failure and exits 1", async function () {
      const failed = await run(...register, "--licence-hash", "0x1");
      expect(failed.code).to.equal(1);
      expect(failed.stderr).to.equal(
        [
          "error: invalid request (validation_failed, HTTP 400 from the bank node)",
          "  • body.address: must be a 0x-prefixed 20-byte address",
          "  • body.category: must be one of EQUIPMENT, TESTING_CERT",
          "",
        ].join("\n"),
      );
    });

    it("checks input before sending anything", async function () {
      const twoLicences = await run(...register);
      expect(twoLicences.code).to.equal(1);
      expect(twoLicences.stderr).to.include("give exactly one of --licence-hash and --licence-document");
      const badIndex = await run("payment", "check", "1", "64");
      expect(badIndex.code).to.equal(1);
      expect(badIndex.stderr).to.include("must be a payment index 0–63");
      expect(requests).to.have.length(0);
    });

    it("says clearly when the node has no audit route", async function () {
      const report = await run("report", "1");
      expect(report.code).to.equal(1);
      expect(report.stderr).to.include(`the bank node at ${url} has no audit route (GET /facilities/:id/audit)`);
    });

    it("describes an answer that is not the API's (a proxy's error page)", async function () {
      const listed = await run("payee", "list");
      expect(listed.code).to.equal(1);
      expect(listed.stderr).to.include(`the bank node at ${url} answered 502 Bad Gateway: <html>Bad gateway</html>`);
    });

    it("names the URL it could not reach", async function () {
      const unused = http.createServer();
      await new Promise<void>((resolve) => unused.listen(0, "127.0.0.1", resolve));
      const nobody = `http://127.0.0.1:${(unused.address() as AddressInfo).port}`;
      await new Promise((resolve) => unused.close(resolve));
      const closed = await run("--bank", nobody, "facility", "list");
      expect(closed.code).to.equal(1);
      expect(closed.stderr).to.equal(
        `error: cannot reach the bank node at ${nobody}: connection refused (ECONNREFUSED). Is it running? Give its URL with --bank or QFM_BANK_URL\n`,
      );
    });

    it("imports a white list in chunks with progress on stderr, and says where it stopped when a chunk fails", async function () {
      const header = "creditCode,name,grade,credit,management,brand,foundation,innovation";
      const rows = Array.from(
        { length: 1_201 },
        (_, i) => `91330206MA${String(i).padStart(8, "0")},Firm ${i},B,1,2,3,4,5`,
      );
      const csv = path.join(dir, "wl.csv");
      fs.writeFileSync(csv, [header, ...rows].join("\n"));

      const imported = await run("whitelist", "import", csv);
      expect(imported.code, imported.stderr).to.equal(0);
      expect(imported.stdout).to.equal("imported 1,201 firms into the bank node's white list (1,201 new, 0 updated)\n");
      expect(requests.map((r) => r.body.entries.length)).to.deep.equal([500, 500, 201]);
      expect(requests[0].body.source).to.equal("qfm import of wl.csv");
      expect(imported.stderr).to.include("500/1,201 rows").and.include("importing  1,201 rows in 3 requests");

      requests.length = 0;
      whiteListFailsAt = 1;
      const failed = await run("whitelist", "import", csv);
      expect(failed.code).to.equal(1);
      expect(failed.stderr)
        .to.include("rows 1–500 were imported; chunk 2 of 3 (rows 501–1,000) failed, and the rest was not sent")
        .and.include("error: the database did not answer (database_unavailable, HTTP 503 from the bank node)");
    });
  });
});
