import { expect } from "chai";
import { Wallet, type JsonRpcProvider } from "ethers";
import fs from "node:fs";
import path from "node:path";
import type { ChainNode } from "../../scripts/lib/chain-node";
import { devWallet } from "../../scripts/lib/deploy-config";
import { EvidenceRegistry__factory } from "../../typechain-types";
import { recordAccounts } from "../helpers/liveFacility";
import { startLiveChain } from "../helpers/liveNodes";
import { client, issueKey, startNodeProcess, tempDir, waitFor, type NodeProcess } from "../helpers/processes";

const DAY = 86_400;
const pdf = (text: string) => Buffer.from(`%PDF-1.7\n% ${text}\n%%EOF\n`);
const yuan = (n: number) => (BigInt(n) * 100n).toString();

/**
 * The loan lifecycle through HTTP against real processes (a chain node, the bank node, the regulator node): a
 * 10,000,000.00 CNY facility at 435 bps, entrusted payments on days 0, 30 and 60, interest at day 90 to the fen, a
 * quarterly review that meets its targets and lowers the rate, a failed spot check that freezes, a disbursement
 * refused while frozen, an unfreeze refused by the regulator, a joint unfreeze, and the payment allowed again.
 */
describe("loan lifecycle, end to end", function () {
  this.timeout(600_000);
  let chainNode: ChainNode;
  let provider: JsonRpcProvider;
  let bank: NodeProcess;
  let regulator: NodeProcess;
  let dir: string;
  let officer: ReturnType<typeof client>;
  let inspector: ReturnType<typeof client>;
  const borrower = devWallet("borrower").address;
  const [equipmentVendor, materialsVendor, lab] = [0, 1, 2].map(() => Wallet.createRandom().address);

  before(async function () {
    dir = tempDir("lifecycle");
    // Reviews are run on demand here (the helper's bank node has no scheduler); it would propose the same quarter.
    const live = await startLiveChain(dir);
    ({ chainNode, provider } = live);
    const { bankPort, regulatorPort, bankEnv, regulatorEnv } = live;
    officer = client(`http://127.0.0.1:${bankPort}`, issueKey(bankEnv, "bank", "bank_officer", "officer"));
    inspector = client(
      `http://127.0.0.1:${regulatorPort}`,
      issueKey(regulatorEnv, "regulator", "regulator", "inspector"),
    );
    bank = await startNodeProcess("bank", bankEnv);
    regulator = await startNodeProcess("regulator", regulatorEnv);
  });

  after(async function () {
    if (process.env.E2E_LOGS) {
      for (const node of [bank, regulator])
        console.log(
          node?.logs
            .join("")
            .split("\n")
            .filter((l) => /"level":(40|50)/.test(l))
            .join("\n"),
        );
    }
    await regulator?.stop();
    await bank?.stop();
    provider?.destroy();
    await chainNode?.stop();
    if (!process.env.E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  });

  /** `counterparty`: the payee a contract, invoice or delivery note is with (other kinds name the borrower). */
  async function upload(kind: string, metadata: object, text: string, counterparty?: string) {
    const response = await officer.upload(
      { facilityId: "1", kind, metadata: JSON.stringify(metadata), ...(counterparty ? { counterparty } : {}) },
      { name: `${text}.pdf`, type: "application/pdf", bytes: pdf(text) },
    );
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body.evidenceId as string;
  }

  /** Waits until both nodes have nothing left to write: every verdict is on chain and no job is pending. */
  async function quiesce() {
    await waitFor("both nodes idle", async () => {
      const [b, r, queued] = await Promise.all([
        client(bank.url).get("/ready"),
        client(regulator.url).get("/ready"),
        officer.get("/documents?status=QUEUED&limit=1"),
      ]);
      return b.body.outboxPending === 0 && r.body.outboxPending === 0 && queued.body.items.length === 0;
    });
  }

  async function verified(evidenceIds: string[]) {
    await waitFor("evidence verified by both nodes", async () => {
      const { body } = await officer.get("/facilities/1/evidence");
      return evidenceIds.every((id) => body.items.find((e: any) => e.evidenceId === id)?.verified === true);
    });
    await quiesce();
  }

  /**
   * Registers on chain the batched evidence payment `index` will use, as anyone may (the proof is the authority), so
   * that the payment itself lands in the block whose time the test sets: the bank node would otherwise register it in
   * a transaction of its own just before (test/helpers/liveLoan.ts and the demo seed go that way).
   */
  async function registerEvidenceOf(index: number) {
    const { body } = await officer.get(`/facilities/1/payments/${index}/readiness`);
    const registry = EvidenceRegistry__factory.connect(
      JSON.parse(fs.readFileSync(path.join(dir, "deployment.json"), "utf8")).contracts.EvidenceRegistry,
      await provider.getSigner(15),
    );
    for (const evidenceId of body.evidenceIds as string[]) {
      const proof = (await officer.get(`/evidence/${evidenceId}/proof`)).body;
      if (proof.single || (await registry.evidenceOf(evidenceId)).anchoredAt !== 0n) continue;
      const [facilityId, kind, counterparty, saltedHash] = proof.leaf;
      await (
        await registry.registerBatchedEvidence(
          proof.root,
          proof.index,
          facilityId,
          kind,
          counterparty,
          saltedHash,
          proof.proof,
        )
      ).wait();
    }
  }

  async function payAt(index: number, timestamp: number) {
    await quiesce();
    await registerEvidenceOf(index);
    await provider.send("evm_setNextBlockTimestamp", [timestamp]);
    const response = await officer.post(`/facilities/1/payments/${index}`, {});
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    const receipt = await provider.getTransactionReceipt(response.body.txHash);
    expect((await provider.getBlock(receipt!.blockNumber))!.timestamp).to.equal(timestamp);
    return response.body;
  }

  let t0: number;

  it("registers the payees on chain and imports the white list", async function () {
    for (const [address, name, creditCode, category] of [
      [equipmentVendor, "Ningbo Precision CNC Equipment", "91330200MA2H8K3X1Y", "EQUIPMENT"],
      [materialsVendor, "Zhejiang Special Alloys", "91330201MA2J4L7P2Q", "MATERIALS"],
      [lab, "Ningbo Institute of Product Quality Inspection", "12330200MB1234567X", "TESTING_CERT"],
    ]) {
      const response = await officer.post("/payees", {
        address,
        name,
        creditCode,
        category,
        licenceHash: `0x${"ab".repeat(32)}`,
      });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      expect(response.body.chainStatus).to.equal("CONFIRMED");
    }
    // The regulator imports its white list, signs each entry and publishes it to the bank node.
    const imported = await inspector.post("/whitelist/import", {
      csv: "creditCode,name,grade,credit,management,brand,foundation,innovation\n91330206MA2AAAAA1X,Ningbo Yongxin Bearings,C,78,74,66,81,72\n",
    });
    expect(imported.body, JSON.stringify(imported.body)).to.deep.include({ imported: 1, created: 1, updated: 0 });
    expect(imported.body.bankNode).to.include({ published: true, accepted: 1 });
    // The regulator's own record of whose chain account the borrower's is: what it attributes patents and inspections by.
    const firm = await inspector.post("/registry/records", {
      type: "FIRM_ACCOUNT",
      reference: borrower,
      holder: "Ningbo Yongxin Bearings Co., Ltd.",
      holderCreditCode: "91330206MA2AAAAA1X",
    });
    expect(firm.status, JSON.stringify(firm.body)).to.equal(201);
    // And of the payees' accounts: a licence a document cites is bound to the payee account by these records.
    await recordAccounts(inspector, [
      [equipmentVendor, "91330200MA2H8K3X1Y"],
      [materialsVendor, "91330201MA2J4L7P2Q"],
      [lab, "12330200MB1234567X"],
    ]);
  });

  it("refuses a plan under the quality floor with the share and the floor", async function () {
    const response = await officer.post("/facilities", {
      borrower,
      borrowerName: "Ningbo Yongxin Bearings",
      creditCode: "91330206MA2AAAAA1X",
      creditLimit: yuan(10_000_000),
      plan: [
        {
          payee: equipmentVendor,
          category: "EQUIPMENT",
          amount: yuan(2_000_000),
          qualityPurpose: true,
          requiredEvidence: ["INVOICE"],
        },
        {
          payee: materialsVendor,
          category: "MATERIALS",
          amount: yuan(8_000_000),
          qualityPurpose: false,
          requiredEvidence: ["INVOICE"],
        },
      ],
    });
    expect(response.status).to.equal(422);
    expect(response.body.code).to.equal("quality_share_below_floor");
    expect(response.body.detail).to.equal(
      "the plan puts 20.00% (2,000,000.00 CNY of 10,000,000.00 CNY) into quality purposes; the product's floor is 30.00%",
    );
  });

  it("creates a 10,000,000.00 CNY facility at the grade-C rate of 435 bps, funded on chain", async function () {
    const response = await officer.post("/facilities", {
      borrower,
      borrowerName: "Ningbo Yongxin Bearings",
      creditCode: "91330206MA2AAAAA1X",
      creditLimit: yuan(10_000_000),
      plan: [
        {
          payee: equipmentVendor,
          category: "EQUIPMENT",
          amount: yuan(4_000_000),
          qualityPurpose: true,
          requiredEvidence: ["PURCHASE_CONTRACT", "INVOICE"],
        },
        {
          payee: materialsVendor,
          category: "MATERIALS",
          amount: yuan(3_000_000),
          qualityPurpose: false,
          requiredEvidence: ["PURCHASE_CONTRACT", "DELIVERY_NOTE"],
        },
        {
          payee: materialsVendor,
          category: "MATERIALS",
          amount: yuan(2_500_000),
          qualityPurpose: false,
          requiredEvidence: ["INVOICE"],
        },
        {
          payee: lab,
          category: "TESTING_CERT",
          amount: yuan(500_000),
          qualityPurpose: true,
          requiredEvidence: ["CERTIFICATION"],
        },
      ],
    });
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    expect(response.body).to.include({ facilityId: "1", grade: "C", baseRateBps: 435, fastTrack: false });
    await quiesce();
    const facility = await officer.get("/facilities/1");
    expect(facility.body.chain).to.include({
      status: "ACTIVE",
      rateBps: 435,
      funded: yuan(10_000_000),
      balance: yuan(10_000_000),
    });
  });

  it("explains what a payment still needs, then pays on days 0, 30 and 60 once evidence is verified", async function () {
    const blocked = await officer.post("/facilities/1/payments/0", {});
    expect(blocked.status).to.equal(409);
    expect(blocked.body.blockers.map((b: any) => b.code)).to.deep.equal(["evidence_missing", "evidence_missing"]);
    expect(blocked.body.detail).to.include(
      `no PURCHASE_CONTRACT naming payee ${equipmentVendor} has been uploaded and anchored for facility 1`,
    );

    const licence = { supplierLicence: "91330200MA2H8K3X1Y" };
    const materials = { supplierLicence: "91330201MA2J4L7P2Q" };
    await verified([
      await upload("PURCHASE_CONTRACT", licence, "equipment contract", equipmentVendor),
      await upload("INVOICE", licence, "equipment invoice", equipmentVendor),
    ]);
    t0 = (await provider.getBlock("latest"))!.timestamp + 600;
    await payAt(0, t0);

    await verified([
      await upload("PURCHASE_CONTRACT", materials, "materials contract", materialsVendor),
      await upload("DELIVERY_NOTE", materials, "delivery note", materialsVendor),
      await upload("INVOICE", materials, "materials invoice", materialsVendor),
      await upload("PATENT_FILING", { patentNumber: "CN202610123456.7" }, "patent 1"),
      await upload("PATENT_FILING", { patentNumber: "CN202610654321.0" }, "patent 2"),
      await upload(
        "INSPECTION_REPORT",
        { labLicence: "CNAS-L12345", reportNumber: "R-2026-0917", unitsTested: 12000, unitsPassed: 11880 },
        "inspection",
      ),
    ]);
    await payAt(1, t0 + 30 * DAY);
    await payAt(2, t0 + 60 * DAY);

    // By hand, ACT/360: 400,000,000 × 435 × 30 / 3,600,000 = 1,450,000 fen; 700,000,000 × … = 2,537,500;
    // 950,000,000 × … = 3,443,750; at day 90 the interest is 7,431,250 fen = 74,312.50 CNY.
    await provider.send("evm_setNextBlockTimestamp", [t0 + 90 * DAY]);
    await provider.send("evm_mine", []);
    const statement = await officer.get("/facilities/1/statement");
    expect(statement.body.interestAccrued).to.equal("7431250");
    expect(statement.body.principal).to.equal(yuan(9_500_000));
    expect(statement.body.segments.slice(0, 2).map((s: any) => s.interest)).to.deep.equal(["1450000", "2537500"]);
  });

  it("runs the quarterly review: both targets met, the rate falls to 385 bps once both institutions sign", async function () {
    // The period starts where the facility opened (the bank fills it in); a start anywhere else is refused.
    const shifted = await officer.post("/facilities/1/reviews", {
      periodFrom: new Date(t0 * 1000).toISOString(),
      periodTo: new Date((t0 + 90 * DAY) * 1000).toISOString(),
    });
    expect(shifted.status).to.equal(422);
    expect(shifted.body.code).to.equal("review_period_invalid");
    const proposed = await officer.post("/facilities/1/reviews", {
      periodTo: new Date((t0 + 90 * DAY) * 1000).toISOString(),
    });
    expect(proposed.status, JSON.stringify(proposed.body)).to.equal(201);
    expect(proposed.body.report.decision).to.include({ newRateBps: 385, subsidyEligible: true, discountBps: 50 });
    expect(proposed.body.report.metrics.values).to.include({ PATENTS_ADDED: 2, PASS_RATE_BPS: 9900 });
    expect(proposed.body.approval.status).to.equal("AWAITING_REGULATOR");

    const cosigned = await inspector.post(`/approvals/${proposed.body.approval.id}/cosign`, {});
    expect(cosigned.status, JSON.stringify(cosigned.body)).to.equal(200);
    expect(cosigned.body.status).to.equal("APPLIED");
    const facility = await officer.get("/facilities/1");
    expect(facility.body.chain).to.include({ rateBps: 385, subsidyEligible: true, reviewNonce: 1 });
  });

  it("freezes on a failed spot check, refuses the disbursement and a one-sided unfreeze, then unfreezes jointly", async function () {
    await verified([await upload("CERTIFICATION", { labLicence: "CNAS-L12345" }, "certificate")]);
    const othersReport = await inspector.post("/spot-checks", {
      facilityId: "1",
      result: "FAIL",
      reportNumber: "NB-SC-2026-0043",
      findings: "another firm's inspection",
    });
    expect(othersReport.status).to.equal(422);
    expect(othersReport.body.code).to.equal("inspection_record_of_another_firm");
    const failed = await inspector.post("/spot-checks", {
      facilityId: "1",
      result: "FAIL",
      reportNumber: "NB-SC-2026-0044",
      findings: "pass rate 93.1%",
    });
    expect(failed.status, JSON.stringify(failed.body)).to.equal(201);
    expect(failed.body).to.include({ frozen: true, facilityStatus: "FROZEN" });
    expect(failed.body.freezeTx).to.match(/^0x[0-9a-f]{64}$/);

    const refused = await officer.post("/facilities/1/payments/3", {});
    expect(refused.status).to.equal(409);
    expect(refused.body.code).to.equal("facility_is_frozen");

    const proposal = await officer.post("/facilities/1/unfreeze", { reason: "corrective action taken" });
    expect(proposal.status).to.equal(201);
    const oneSided = await inspector.post(`/approvals/${proposal.body.id}/cosign`, {});
    expect(oneSided.status).to.equal(409);
    expect(oneSided.body.code).to.equal("regulator_refused");
    expect((await officer.post("/facilities/1/payments/3", {})).body.code).to.equal("facility_is_frozen");

    const passed = await inspector.post("/spot-checks", {
      facilityId: "1",
      result: "PASS",
      reportNumber: "NB-SC-2026-0042",
      findings: "re-inspection passed",
    });
    expect(passed.status).to.equal(201);
    const joint = await inspector.post(`/approvals/${proposal.body.id}/cosign`, {});
    expect(joint.status, JSON.stringify(joint.body)).to.equal(200);
    expect((await officer.get("/facilities/1")).body.chain.status).to.equal("ACTIVE");

    const paid = await officer.post("/facilities/1/payments/3", {});
    expect(paid.status, JSON.stringify(paid.body)).to.equal(200);
    expect(paid.body.payee).to.equal(lab);
  });
});
