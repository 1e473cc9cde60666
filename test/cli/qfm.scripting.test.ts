import { expect } from "chai";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import type { Io } from "../../cli/context";
import { timeArg } from "../../cli/input";
import { main } from "../../cli/program";

/**
 * What a script built on qfm relies on (in process, against a stub node): exit codes it can branch on, ids it can
 * capture with --quiet, payee names in plans, and reasons that are not cut to one shared prefix.
 */
describe("qfm in scripts", function () {
  let server: http.Server;
  let url: string;
  const requests: Array<{ method: string; path: string; body: string }> = [];
  /** How many GET /facilities answers still show the application without its facility id. */
  let pendingPolls = 0;

  const EQUIPMENT = "0x5A0b54D5dc17e0AadC383d2db43B0a0D3E029c4c";
  const UNKNOWN = "0x29c7a0DF08fb44799959E6254b9FF4286c9083c3";
  const facilityRow = (facilityId: string | null) => ({
    applicationId: "app-9",
    facilityId,
    status: facilityId ? "ACTIVE" : "PENDING",
    borrower: "0x358940C080171621764b3c84c9E681552cA8B5D5",
    borrowerName: "Cixi Valve Works",
    creditCode: "91330282MA2BBBBB2Y",
    product: { id: "yongzhidai", version: 1 },
    grade: "C",
    creditLimit: "300000000",
    termMonths: 12,
    baseRateBps: 460,
    qualityFloorBps: 3000,
    subsidyBps: 100,
    fastTrack: false,
    appliedAt: "2026-12-01T00:00:00.000Z",
    firstPaymentAt: null,
    applicationToFirstPaymentSeconds: null,
    targets: [],
    createdTx: null,
  });
  const SHARED = "Base rate 4.60% for grade C; quality targets of the period: ";

  function answer(method: string, pathname: string): { status: number; body: unknown } {
    if (pathname === "/facilities/3/payments/0/readiness")
      return {
        status: 200,
        body: {
          ready: false,
          evidenceIds: [],
          blockers: [{ code: "evidence_missing", message: "no INVOICE has been uploaded and anchored for facility 3" }],
        },
      };
    if (pathname === "/facilities/3/payments/1/readiness")
      return { status: 200, body: { ready: true, evidenceIds: ["0xabc"], blockers: [] } };
    if (method === "POST" && pathname === "/facilities") return { status: 202, body: facilityRow(null) };
    if (method === "GET" && pathname === "/facilities")
      return { status: 200, body: { items: [facilityRow(pendingPolls-- > 0 ? null : "8")] } };
    if (method === "GET" && pathname === "/facilities/7")
      return {
        status: 200,
        body: {
          ...facilityRow("7"),
          chain: {
            status: "ACTIVE",
            rateBps: 460,
            baseRateBps: 460,
            subsidyEligible: false,
            freezeCount: 0,
            reviewNonce: 0,
            ...Object.fromEntries(
              [
                "creditLimit",
                "planTotal",
                "qualityTotal",
                "funded",
                "drawn",
                "principal",
                "balance",
                "interestAccrued",
                "interestRepaid",
                "subsidyAccrued",
                "subsidyPaid",
              ].map((field) => [field, "0"]),
            ),
          },
          payments: [
            {
              index: 0,
              payee: EQUIPMENT,
              amount: "400000000",
              category: "EQUIPMENT",
              requiredEvidence: ["INVOICE"],
              qualityPurpose: true,
              paid: false,
            },
            {
              index: 1,
              payee: UNKNOWN,
              amount: "100",
              category: "SERVICES",
              requiredEvidence: ["INVOICE"],
              qualityPurpose: false,
              paid: false,
            },
          ],
        },
      };
    if (method === "GET" && pathname === "/payees")
      return { status: 200, body: { items: [{ address: EQUIPMENT.toLowerCase(), name: "Ningbo Precision CNC" }] } };
    if (method === "GET" && pathname === "/approvals")
      return {
        status: 200,
        body: {
          items: ["patents 2 ≥ 1 met, pass rate 99.00% met: 4.10%", "patents 0 ≥ 1 not met: rate stays 4.60%"].map(
            (tail, i) => ({
              id: `approval-${i}`,
              kind: "REVIEW",
              facilityId: String(i + 1),
              message: {},
              status: "AWAITING_REGULATOR",
              reason: SHARED + tail,
              txHash: null,
              createdBy: "bank/officer",
              createdAt: "2026-12-01T00:00:00.000Z",
            }),
          ),
        },
      };
    if (method === "POST" && pathname === "/facilities/7/reviews")
      return {
        status: 201,
        body: {
          approval: { id: "approval-7", kind: "REVIEW", facilityId: "7", status: "AWAITING_REGULATOR" },
          report: {
            // The node's own period: from the facility's opening (or the last applied review's end) to its chain time.
            period: { from: "2026-12-01T02:03:04.000Z", to: "2026-12-04T18:00:00.000Z" },
            decision: {
              targets: [],
              discountBps: 0,
              baseRateBps: 460,
              newRateBps: 460,
              subsidyEligible: false,
              explanation: "no targets",
            },
          },
        },
      };
    return { status: 404, body: { status: 404, code: "route_not_found", detail: `no route ${method} ${pathname}` } };
  }

  before(async function () {
    server = http.createServer((req, res) => {
      let received = "";
      req.on("data", (chunk: Buffer) => (received += chunk.toString()));
      req.on("end", () => {
        const pathname = new URL(req.url!, "http://x").pathname;
        requests.push({ method: req.method!, path: pathname, body: received });
        const { status, body } = answer(req.method!, pathname);
        res.statusCode = status;
        res.setHeader("content-type", status >= 400 ? "application/problem+json" : "application/json");
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async function () {
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(function () {
    requests.length = 0;
    pendingPolls = 0;
  });

  async function run(...args: string[]) {
    let stdout = "";
    let stderr = "";
    const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), stderrIsTTY: false };
    const code = await main(["--bank", url, "--regulator", url, "--key", "qfm_test", ...args], io);
    return { code, stdout, stderr };
  }

  describe("when the installed command runs outside the project", function () {
    it("finds the project from its own location, also through a symlink as npm link makes", async function () {
      this.timeout(120_000);
      const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-elsewhere-"));
      const link = path.join(elsewhere, "qfm");
      fs.symlinkSync(path.resolve(__dirname, "..", "..", "bin", "qfm.js"), link);
      try {
        // Asynchronously: the stub node answers in this process, so its event loop must keep running.
        const runIn = (args: string[]) =>
          new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
            const child = spawn(process.execPath, [link, ...args], { cwd: elsewhere });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
            child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
            child.once("close", (status) => resolve({ status, stdout, stderr }));
          });
        const version = await runIn(["--version"]);
        expect(version.status, version.stderr).to.equal(0);
        expect(version.stdout.trim()).to.match(/^\d+\.\d+\.\d+$/);
        const check = await runIn(["--bank", url, "--key", "k", "payment", "check", "3", "0"]);
        expect(check.status, check.stderr).to.equal(2);
        expect(check.stdout).to.include("is blocked");
      } finally {
        fs.rmSync(elsewhere, { recursive: true, force: true });
      }
    });
  });

  describe("when reading a day typed for a review period", function () {
    const zone = process.env.TZ;
    afterEach(function () {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    });

    it("takes midnight in the user's time zone, not UTC midnight (08:00 in Beijing)", function () {
      process.env.TZ = "Asia/Shanghai";
      expect(timeArg("2026-10-01")).to.equal("2026-09-30T16:00:00.000Z");
      process.env.TZ = "America/New_York";
      expect(timeArg("2026-10-01")).to.equal("2026-10-01T04:00:00.000Z");
      expect(timeArg("2026-10-01T08:00:00Z")).to.equal("2026-10-01T08:00:00.000Z");
    });
  });

  describe("when running a review", function () {
    it("sends no period without --from/--to, and shows the period the node used", async function () {
      const ran = await run("review", "run", "7");
      expect(ran.code, ran.stderr).to.equal(0);
      const sent = requests.filter((r) => r.method === "POST" && r.path === "/facilities/7/reviews");
      expect(sent.map((r) => JSON.parse(r.body))).to.deep.equal([{}]);
      expect(ran.stdout).to.include("Review of facility 7, 2026-12-01 02:03:04 UTC → 2026-12-04 18:00:00 UTC");
      expect(ran.stdout).to.include("approval approval-7 awaits the regulator");
      const quiet = await run("review", "run", "7", "--quiet");
      expect(quiet.stdout.trim()).to.equal("approval-7");
    });

    it("sends only the end when only --to is given, and checks --from before --to before sending", async function () {
      const zone = process.env.TZ;
      process.env.TZ = "Asia/Shanghai";
      try {
        expect((await run("review", "run", "7", "--to", "2026-12-04")).code).to.equal(0);
        const sent = requests.filter((r) => r.method === "POST").map((r) => JSON.parse(r.body));
        expect(sent).to.deep.equal([{ periodTo: "2026-12-03T16:00:00.000Z" }]);
        requests.length = 0;
        const refused = await run("review", "run", "7", "--from", "2026-12-04", "--to", "2026-12-01");
        expect(refused.code).to.equal(1);
        expect(refused.stderr).to.include("--from must be before --to");
        expect(requests).to.deep.equal([]);
      } finally {
        if (zone === undefined) delete process.env.TZ;
        else process.env.TZ = zone;
      }
    });
  });

  describe("when checking a payment", function () {
    it("exits 2 when it is blocked, listing the blockers", async function () {
      const blocked = await run("payment", "check", "3", "0");
      expect(blocked.code).to.equal(2);
      expect(blocked.stdout).to.include("✗ payment 0 of facility 3 is blocked:").and.include("[evidence_missing]");
      const asJson = await run("--json", "payment", "check", "3", "0");
      expect(asJson.code).to.equal(2);
      expect(JSON.parse(asJson.stdout).ready).to.equal(false);
    });

    it("exits 0 when it is ready", async function () {
      const ready = await run("payment", "check", "3", "1");
      expect(ready.code).to.equal(0);
      expect(ready.stdout).to.include("✓ payment 1 of facility 3 is ready");
    });

    it("exits 2 when still blocked after --wait", async function () {
      this.timeout(10_000);
      const waited = await run("payment", "check", "3", "0", "--wait", "1");
      expect(waited.code).to.equal(2);
      expect(waited.stderr).to.include("still blocked after 1 s");
    });
  });

  describe("when creating with --quiet", function () {
    const create = [
      "facility",
      "create",
      "--borrower",
      "0x358940C080171621764b3c84c9E681552cA8B5D5",
      "--borrower-name",
      "Cixi Valve Works",
      "--credit-code",
      "91330282MA2BBBBB2Y",
      "--limit",
      "3,000,000.00",
      "--plan",
      "examples/plan.json",
    ];

    it("prints only the facility id once the chain has given one", async function () {
      this.timeout(20_000);
      pendingPolls = 1;
      const created = await run("--quiet", ...create);
      expect(created.code, created.stderr).to.equal(0);
      expect(created.stdout).to.equal("8\n");
      expect(created.stderr).to.equal("");
      expect(requests.filter((r) => r.method === "GET" && r.path === "/facilities")).to.have.length(2);
    });

    it("prints the whole answer without --quiet", async function () {
      const created = await run(...create);
      expect(created.code).to.equal(0);
      expect(created.stdout).to.include("application app-9 accepted").and.include("Cixi Valve Works");
    });
  });

  describe("when showing a plan", function () {
    it("names each registered payee, and shows the address of one it does not know", async function () {
      const shown = await run("facility", "show", "7");
      expect(shown.code, shown.stderr).to.equal(0);
      expect(shown.stdout).to.include("Ningbo Precision CNC (0x5A0b…9c4c)").and.include(UNKNOWN);
    });
  });

  describe("when listing approvals", function () {
    it("shows each whole reason, not one shared prefix", async function () {
      const listed = await run("approval", "list");
      expect(listed.code).to.equal(0);
      const text = listed.stdout.replace(/[│\s]+/g, " ");
      expect(text).to.include("pass rate 99.00% met: 4.10%").and.include("not met: rate stays 4.60%");
      expect(listed.stdout).not.to.include("…");
    });
  });
});
