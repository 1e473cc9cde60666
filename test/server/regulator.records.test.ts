import { expect } from "chai";
import Sqlite from "better-sqlite3";
import { Wallet, keccak256, toUtf8Bytes } from "ethers";
import path from "node:path";
import { freePort } from "../../scripts/bench/lib/system";
import { startLiveSystem, type LiveSystem } from "../helpers/liveSystem";
import { client, waitFor } from "../helpers/processes";

const YONGXIN = "91330206MA2AAAAA1X";
const CIXI = "91330282MA2BBBBB2Y";
const pdf = (text: string) => Buffer.from(`%PDF-1.7\n% ${text}\n%%EOF\n`);
const yuan = (n: number) => (BigInt(n) * 100n).toString();

/**
 * The regulator decides from its own records (issue 11 item 5), against real processes: a chain node, the bank node
 * and the regulator node (each its own database, seed/regulator-registry.json on the regulator). Regressions of the
 * attacks found on main: another firm's patent counted for the borrower; the pass rate taken from the uploader's
 * metadata; the bank's message taken for payments, kinds and dates (invoices relabelled as patent filings earned a
 * discount); a review of a period before the facility existed co-signed; a frozen facility earning a discount and the
 * subsidy; a spot check citing another firm's report accepted as the borrower's.
 */
describe("the regulator decides from its own records", function () {
  this.timeout(600_000);
  let system: LiveSystem;
  let officer: ReturnType<typeof client>;
  let inspector: ReturnType<typeof client>;
  const borrower = Wallet.createRandom().address;
  const stranger = Wallet.createRandom().address;
  const vendor = Wallet.createRandom().address;
  /** A: patents and an inspection, then frozen; B: invoices only; C: a borrower the regulator has no record of. */
  const facility = { a: "", b: "", c: "" };

  before(async function () {
    system = await startLiveSystem({
      name: "regulator-records",
      ports: { chain: await freePort(), bank: await freePort(), regulator: await freePort() },
      env: { POLL_INTERVAL_MS: "100", RATE_LIMIT_PER_MINUTE: "100000" },
      bankEnv: { BATCH_MAX_AGE_MS: "300", REVIEW_CHECK_MS: "0" },
    });
    officer = client(system.nodes.bank.url, system.keys.bank.active.bank_officer);
    inspector = client(system.nodes.regulator.url, system.keys.regulator.active.regulator);
    const payee = await officer.post("/payees", {
      address: vendor,
      name: "Ningbo Precision CNC Equipment",
      creditCode: "91330200MA2H8K3X1Y",
      category: "EQUIPMENT",
      licenceHash: `0x${"ab".repeat(32)}`,
    });
    expect(payee.status, JSON.stringify(payee.body)).to.equal(201);
    const firm = await inspector.post("/registry/records", {
      type: "FIRM_ACCOUNT",
      reference: borrower.toLowerCase(),
      holder: "Ningbo Yongxin Bearings Co., Ltd.",
      holderCreditCode: YONGXIN,
    });
    expect(firm.status, JSON.stringify(firm.body)).to.equal(201);
    expect(firm.body.reference).to.equal(borrower);
    // The stranger is a firm of its own on the bank's file (one credit code, one borrower account); the regulator's
    // registry has no record of its account.
    for (const [key, account, borrowerName, creditCode] of [
      ["a", borrower, "Ningbo Yongxin Bearings", YONGXIN],
      ["b", borrower, "Ningbo Yongxin Bearings", YONGXIN],
      ["c", stranger, "Stranger Trading", "91330206MA2STRAN9X"],
    ] as const) {
      const created = await officer.post("/facilities", {
        borrower: account,
        borrowerName,
        creditCode,
        grade: "C",
        creditLimit: yuan(1_000_000),
        plan: [
          {
            payee: vendor,
            category: "EQUIPMENT",
            amount: yuan(1_000_000),
            qualityPurpose: true,
            requiredEvidence: ["INVOICE"],
          },
        ],
      });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      facility[key] = created.body.facilityId;
    }
    await quiesce();
  });

  after(async function () {
    await system?.stop();
  });

  async function quiesce() {
    await waitFor("both nodes idle", async () => {
      const [b, r, queued] = await Promise.all([
        client(system.nodes.bank.url).get("/ready"),
        client(system.nodes.regulator.url).get("/ready"),
        officer.get("/documents?status=QUEUED&limit=1"),
      ]);
      return b.body.outboxPending === 0 && r.body.outboxPending === 0 && queued.body.items.length === 0;
    });
  }

  async function upload(facilityId: string, kind: string, metadata: object, text: string): Promise<string> {
    const response = await officer.upload(
      { facilityId, kind, metadata: JSON.stringify(metadata) },
      { name: `${text}.pdf`, type: "application/pdf", bytes: pdf(`${text} ${Math.random()}`) },
    );
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body.evidenceId as string;
  }

  /** The regulator's own verdict on a piece of evidence, once it has one. */
  async function regulatorVerdict(facilityId: string, evidenceId: string) {
    let found: { verdict: string; reason: string } | undefined;
    await waitFor(`the regulator's verdict on ${evidenceId}`, async () => {
      const { body } = await inspector.get(`/verifications?facilityId=${facilityId}`);
      found = body.items.find((v: { evidenceId: string }) => v.evidenceId === evidenceId);
      return found !== undefined;
    });
    return found!;
  }

  /** Mines a block `seconds` later: the evidence anchored so far lies inside a period ending at the new chain time. */
  async function later(seconds = 60): Promise<string> {
    await system.provider.send("evm_increaseTime", [seconds]);
    await system.provider.send("evm_mine", []);
    return new Date((await system.provider.getBlock("latest"))!.timestamp * 1000).toISOString();
  }

  /**
   * What anyone with write access to the bank's database can do to a proposed review: rewrite the stored report and
   * the message the regulator is asked to sign (with the report's new hash). Returns a function that restores both.
   */
  function forge(approvalId: string, change: (report: any, message: any, inputs: any) => void): () => void {
    const db = new Sqlite(path.join(system.dataDir("bank"), "db.sqlite"));
    try {
      const stored = db
        .prepare(`SELECT decision, inputs FROM "ReviewDecision" WHERE approvalId = ?`)
        .get(approvalId) as { decision: string; inputs: string };
      const approval = db.prepare(`SELECT message FROM "Approval" WHERE id = ?`).get(approvalId) as { message: string };
      const report = JSON.parse(stored.decision);
      const message = JSON.parse(approval.message);
      const inputs = JSON.parse(stored.inputs);
      change(report, message, inputs);
      const decision = JSON.stringify(report);
      message.reportHash = keccak256(toUtf8Bytes(decision));
      db.prepare(`UPDATE "ReviewDecision" SET decision = ?, inputs = ? WHERE approvalId = ?`).run(
        decision,
        JSON.stringify(inputs),
        approvalId,
      );
      db.prepare(`UPDATE "Approval" SET message = ? WHERE id = ?`).run(JSON.stringify(message), approvalId);
      return () => {
        const restore = new Sqlite(path.join(system.dataDir("bank"), "db.sqlite"));
        restore
          .prepare(`UPDATE "ReviewDecision" SET decision = ?, inputs = ? WHERE approvalId = ?`)
          .run(stored.decision, stored.inputs, approvalId);
        restore.prepare(`UPDATE "Approval" SET message = ? WHERE id = ?`).run(approval.message, approvalId);
        restore.close();
      };
    } finally {
      db.close();
    }
  }

  /** Asks the regulator to co-sign; expects its refusal, stored and shown by the bank node too. Returns the reason. */
  async function expectRefusal(approvalId: string): Promise<string> {
    const answer = await inspector.post(`/approvals/${approvalId}/cosign`, {});
    expect(answer.status, JSON.stringify(answer.body)).to.equal(409);
    expect(answer.body.code).to.equal("regulator_refused");
    const reason = answer.body.reason as string;
    expect(answer.body.detail).to.equal(`the regulator does not co-sign: ${reason}`);
    const atBank = await officer.get(`/approvals/${approvalId}`);
    expect(atBank.body.status).to.equal("AWAITING_REGULATOR");
    expect(atBank.body.regulatorRefusal.reason).to.equal(reason);
    expect(atBank.body.regulatorSignature).to.equal(null);
    return reason;
  }

  describe("when a document claims what the regulator's registry does not record", function () {
    it("rejects a patent filing the registry gives another firm", async function () {
      const evidenceId = await upload(facility.a, "PATENT_FILING", { patentNumber: "CN202610777001.3" }, "cixi patent");
      expect(await regulatorVerdict(facility.a, evidenceId)).to.include({
        verdict: "REJECT",
        reason: `patent CN202610777001.3 is held by ${CIXI} in the regulator's registry, not by the borrower ${YONGXIN}`,
      });
    });

    it("rejects an inspection report whose pass rate is better than the regulator's record of it", async function () {
      const metadata = {
        labLicence: "CNAS-L12345",
        // Another of the borrower's records than the one the accepted report cites below: a report number backs one
        // document only (a second upload citing it is a 409 business duplicate).
        reportNumber: "NB-SC-2026-0042",
        passRateBps: 10_000,
      };
      const evidenceId = await upload(facility.a, "INSPECTION_REPORT", metadata, "perfect inspection");
      expect(await regulatorVerdict(facility.a, evidenceId)).to.include({
        verdict: "REJECT",
        reason: "inspection record NB-SC-2026-0042: the document claims passRateBps 10000, the regulator's record 9870",
      });
    });

    it("rejects an inspection report citing another firm's inspection record", async function () {
      const metadata = { labLicence: "CNAS-L12345", reportNumber: "R-2026-1002", passRateBps: 9875 };
      const evidenceId = await upload(facility.a, "INSPECTION_REPORT", metadata, "cixi inspection");
      expect(await regulatorVerdict(facility.a, evidenceId)).to.include({
        verdict: "REJECT",
        reason: `inspection record R-2026-1002 is of firm ${CIXI}, not of the borrower ${YONGXIN}`,
      });
    });

    it("rejects the borrower's patent on a facility whose borrower account the regulator has no record of", async function () {
      const evidenceId = await upload(facility.c, "PATENT_FILING", { patentNumber: "CN202610123456.7" }, "c patent");
      const { verdict, reason } = await regulatorVerdict(facility.c, evidenceId);
      expect(verdict).to.equal("REJECT");
      expect(reason).to.equal(
        `patent CN202610123456.7 cannot be attributed: borrower account ${stranger} of facility ${facility.c} is not in the regulator's registry`,
      );
    });

    it("accepts the borrower's own patents and an inspection report that states the record's figures", async function () {
      const accepted = [
        await upload(facility.a, "PATENT_FILING", { patentNumber: "CN202610123456.7" }, "patent 1"),
        await upload(facility.a, "PATENT_FILING", { patentNumber: "CN202610654321.0" }, "patent 2"),
        await upload(
          facility.a,
          "INSPECTION_REPORT",
          { labLicence: "CNAS-L12345", reportNumber: "R-2026-0917", passRateBps: 9900 },
          "inspection",
        ),
      ];
      for (const evidenceId of accepted)
        expect(await regulatorVerdict(facility.a, evidenceId)).to.include({ verdict: "ACCEPT", reason: "" });
      await upload(facility.b, "INVOICE", { supplierLicence: "91330200MA2H8K3X1Y" }, "invoice b1");
      await upload(facility.b, "INVOICE", { supplierLicence: "91330200MA2H8K3X1Y" }, "invoice b2");
      await quiesce();
    });
  });

  describe("when a spot check cites a report", function () {
    const spotCheck = (facilityId: string, result: string, reportNumber: string) =>
      inspector.post("/spot-checks", { facilityId, result, reportNumber, findings: "test" });

    it("refuses another firm's report number for this borrower with 422", async function () {
      const answer = await spotCheck(facility.a, "FAIL", "NB-SC-2026-0043");
      expect([answer.status, answer.body.code]).to.deep.equal([422, "inspection_record_of_another_firm"]);
      expect(answer.body.detail).to.equal(
        `inspection record NB-SC-2026-0043 is of firm ${CIXI}, not of facility ${facility.a}'s borrower ${YONGXIN}`,
      );
    });

    it("refuses a report number the registry does not hold, and a result its record does not state", async function () {
      const unknown = await spotCheck(facility.a, "FAIL", "NB-SC-2026-9999");
      expect([unknown.status, unknown.body.code]).to.deep.equal([422, "inspection_record_not_found"]);
      const contrary = await spotCheck(facility.a, "PASS", "NB-SC-2026-0044");
      expect([contrary.status, contrary.body.code]).to.deep.equal([422, "spot_check_result_mismatch"]);
    });

    it("refuses a spot check of a facility whose borrower the regulator has no record of", async function () {
      const answer = await spotCheck(facility.c, "FAIL", "NB-SC-2026-0044");
      expect([answer.status, answer.body.code]).to.deep.equal([422, "borrower_not_on_record"]);
      const checks = await inspector.get(`/spot-checks?facilityId=${facility.c}`);
      expect(checks.body.items).to.deep.equal([]);
    });

    it("freezes the facility on the borrower's own failed inspection record", async function () {
      const answer = await spotCheck(facility.a, "FAIL", "NB-SC-2026-0044");
      expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
      expect(answer.body).to.include({ frozen: true, facilityStatus: "FROZEN" });
      await quiesce();
    });
  });

  describe("when the bank proposes a review", function () {
    it("refuses a period that starts before the facility existed, or ends after the chain's time", async function () {
      const early = await officer.post(`/facilities/${facility.b}/reviews`, {
        periodFrom: "2020-01-01T00:00:00.000Z",
        periodTo: await later(),
      });
      expect([early.status, early.body.code]).to.deep.equal([422, "review_period_invalid"]);
      expect(early.body.detail).to.match(/^the review period must start at .*, where the facility opened, not at 2020/);
      const future = await officer.post(`/facilities/${facility.b}/reviews`, { periodTo: "2099-01-01T00:00:00.000Z" });
      expect([future.status, future.body.code]).to.deep.equal([422, "review_period_invalid"]);
      expect(future.body.detail).to.match(/ends at 2099-01-01T00:00:00.000Z, after the chain's current time/);
    });

    it("gives a frozen facility no discount and no subsidy, and the regulator refuses a proposal claiming them", async function () {
      const proposed = await officer.post(`/facilities/${facility.a}/reviews`, { periodTo: await later() });
      expect(proposed.status, JSON.stringify(proposed.body)).to.equal(201);
      const { report, approval } = proposed.body;
      expect(report.metrics.values).to.include({ PATENTS_ADDED: 2, PASS_RATE_BPS: 9900 });
      expect(report.decision).to.include({ newRateBps: 435, subsidyEligible: false, discountBps: 0 });

      const restore = forge(approval.id, (r, m) => {
        Object.assign(r.decision, { newRateBps: 385, discountBps: 50, subsidyEligible: true });
        r.decision.input.frozen = false;
        Object.assign(m, { newRateBps: 385, subsidyEligible: true });
      });
      const reason = await expectRefusal(approval.id);
      expect(reason).to.include("new rate: the regulator's 435 bps, the proposal's 385 bps");
      expect(reason).to.include("subsidy: not eligible by the regulator's records, eligible in the proposal");
      expect(reason).to.include("The facility was frozen in the period: no discount and no fiscal subsidy");

      restore();
      const cosigned = await inspector.post(`/approvals/${approval.id}/cosign`, {});
      expect(cosigned.status, JSON.stringify(cosigned.body)).to.equal(200);
      expect(cosigned.body.status).to.equal("APPLIED");
      const state = await system.contracts.manager.facility(BigInt(facility.a));
      expect([state.rateBps, state.subsidyEligible, state.reviewNonce]).to.deep.equal([435n, false, 1n]);
    });

    it("starts the next period where the applied review ended", async function () {
      const reviews = await officer.get(`/facilities/${facility.a}/reviews`);
      const applied = reviews.body.items[0];
      const again = await officer.post(`/facilities/${facility.a}/reviews`, {
        periodFrom: applied.periodFrom,
        periodTo: await later(),
      });
      expect([again.status, again.body.code]).to.deep.equal([422, "review_period_invalid"]);
      expect(again.body.detail).to.include(`where the last applied review ended, not at ${applied.periodFrom}`);
      const next = await officer.post(`/facilities/${facility.a}/reviews`, { periodTo: await later() });
      expect(next.status, JSON.stringify(next.body)).to.equal(201);
      expect(next.body.report.period.from).to.equal(applied.periodTo);
    });

    it("rebuilds payments, kinds and dates itself: invoices relabelled as patent filings earn nothing", async function () {
      const proposed = await officer.post(`/facilities/${facility.b}/reviews`, { periodTo: await later() });
      expect(proposed.status, JSON.stringify(proposed.body)).to.equal(201);
      const { approval, report } = proposed.body;
      expect(report.metrics.values).to.include({ PATENTS_ADDED: 0, PASS_RATE_BPS: null });
      forge(approval.id, (r, m, inputs) => {
        // The invoices, relabelled as patent filings in the inputs the bank sends with its proposal.
        inputs.evidence.forEach((e: any, i: number) => {
          Object.assign(e, { kind: "PATENT_FILING", verifiedByBothNodes: true, metadata: { patentNumber: `CN-${i}` } });
        });
        r.metrics.values.PATENTS_ADDED = 2;
        r.metrics.values.PASS_RATE_BPS = 9900;
        for (const target of r.decision.targets) target.met = true;
        Object.assign(r.decision, { newRateBps: 385, discountBps: 50, subsidyEligible: true });
        Object.assign(m, { newRateBps: 385, subsidyEligible: true });
      });
      const reason = await expectRefusal(approval.id);
      expect(reason).to.include("PATENTS_ADDED: the regulator measures 0, the bank 2");
      expect(reason).to.include("PASS_RATE_BPS: the regulator measures no data, the bank 9900");
      expect(reason).to.include("target patents-added: not met by the regulator's records, met in the proposal");
      expect((await system.contracts.manager.facility(BigInt(facility.b))).rateBps).to.equal(435n);
    });

    it("refuses a review whose report names a period before the facility existed", async function () {
      const pending = (await officer.get("/approvals?status=AWAITING_REGULATOR")).body.items.find(
        (a: { facilityId: string; kind: string }) => a.facilityId === facility.b && a.kind === "REVIEW",
      );
      forge(pending.id, (r) => {
        r.period.from = "2020-01-01T00:00:00.000Z";
      });
      const reason = await expectRefusal(pending.id);
      expect(reason).to.match(/^the review period must start at .*, where the facility opened, not at 2020-01-01/);
    });
  });
});
