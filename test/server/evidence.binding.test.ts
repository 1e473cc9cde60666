import { expect } from "chai";
import { Wallet, type JsonRpcProvider } from "ethers";
import fs from "node:fs";
import type { ChainNode } from "../../scripts/lib/chain-node";
import { devWallet } from "../../scripts/lib/deploy-config";
import { SettlementToken__factory } from "../../typechain-types";
import { recordAccounts } from "../helpers/liveFacility";
import { startLiveChain } from "../helpers/liveNodes";
import { client, issueKey, startNodeProcess, tempDir, waitFor, type NodeProcess } from "../helpers/processes";

const pdf = (text: string) => Buffer.from(`%PDF-1.7\n% ${text}\n%%EOF\n`);
const yuan = (n: number) => (BigInt(n) * 100n).toString();

/** The firms: supplier A (equipment) and supplier C (materials), their credit codes as the regulator's registry has them. */
const A = { name: "Ningbo Precision CNC Equipment", creditCode: "91330200MA2H8K3X1Y", category: "EQUIPMENT" };
const C = { name: "Zhejiang Special Alloys", creditCode: "91330201MA2J4L7P2Q", category: "MATERIALS" };
const BORROWER = { name: "Ningbo Yongxin Bearings", creditCode: "91330206MA2AAAAA1X" };

/**
 * The attacks of issue 11 on evidence (items 2–4), against real processes: a chain node, the bank node and the
 * regulator node. Evidence names its counterparty, a payment consumes only evidence naming its own payee (or the
 * borrower), one document backs one use, and only parties with a right to may submit evidence.
 */
describe("evidence bound to its counterparty, against live nodes", function () {
  this.timeout(600_000);
  let chainNode: ChainNode;
  let provider: JsonRpcProvider;
  let bank: NodeProcess;
  let regulator: NodeProcess;
  let dir: string;
  let officer: ReturnType<typeof client>;
  let supplierA: ReturnType<typeof client>;
  let borrowerKey: ReturnType<typeof client>;
  let balanceOf: (address: string) => Promise<bigint>;
  const borrower = devWallet("borrower").address;
  const [addressA, addressC] = [0, 1].map(() => Wallet.createRandom().address);

  before(async function () {
    dir = tempDir("evidence-binding");
    const live = await startLiveChain(dir);
    ({ chainNode, provider } = live);
    const { deployment, bankPort, regulatorPort, bankEnv, regulatorEnv } = live;
    const token = SettlementToken__factory.connect(deployment.contracts.SettlementToken, provider);
    balanceOf = (address) => token.balanceOf(address);
    const url = `http://127.0.0.1:${bankPort}`;
    officer = client(url, issueKey(bankEnv, "bank", "bank_officer", "officer"));
    supplierA = client(url, issueKey(bankEnv, "bank", "supplier", "a", A.name, ["--payee", addressA]));
    borrowerKey = client(
      url,
      issueKey(bankEnv, "bank", "borrower", "b", BORROWER.name, [
        "--borrower",
        borrower,
        "--credit-code",
        BORROWER.creditCode,
      ]),
    );
    // The white list is the regulator's: its node imports, signs and publishes it to the bank node.
    const inspector = client(
      `http://127.0.0.1:${regulatorPort}`,
      issueKey(regulatorEnv, "regulator", "regulator", "inspector"),
    );
    bank = await startNodeProcess("bank", bankEnv);
    regulator = await startNodeProcess("regulator", regulatorEnv);

    for (const [address, firm] of [
      [addressA, A],
      [addressC, C],
    ] as const) {
      const response = await officer.post("/payees", { address, ...firm, licenceHash: `0x${"ab".repeat(32)}` });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
    }
    await recordAccounts(inspector, [
      [addressA, A.creditCode],
      [addressC, C.creditCode],
    ]);
    const imported = await inspector.post("/whitelist/import", {
      csv: `creditCode,name,grade,credit,management,brand,foundation,innovation\n${BORROWER.creditCode},${BORROWER.name},C,78,74,66,81,72\n91330282MA2BBBBB2Y,Cixi Valve Works,C,70,70,70,70,70\n`,
    });
    expect(imported.status, JSON.stringify(imported.body)).to.equal(200);
    // Facility 1 pays A 2,500,000.00 CNY against a contract and an invoice, and C against an invoice.
    const first = await officer.post("/facilities", {
      borrower,
      borrowerName: BORROWER.name,
      creditCode: BORROWER.creditCode,
      creditLimit: yuan(5_000_000),
      plan: [
        {
          payee: addressA,
          category: "EQUIPMENT",
          amount: yuan(2_500_000),
          qualityPurpose: true,
          requiredEvidence: ["PURCHASE_CONTRACT", "INVOICE"],
        },
        {
          payee: addressC,
          category: "MATERIALS",
          amount: yuan(1_000_000),
          qualityPurpose: false,
          requiredEvidence: ["INVOICE"],
        },
      ],
    });
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    // Facility 2, another borrower's, pays only C.
    const second = await officer.post("/facilities", {
      borrower: Wallet.createRandom().address,
      borrowerName: "Cixi Valve Works",
      creditCode: "91330282MA2BBBBB2Y",
      creditLimit: yuan(1_000_000),
      plan: [
        {
          payee: addressC,
          category: "MATERIALS",
          amount: yuan(500_000),
          qualityPurpose: true,
          requiredEvidence: ["INVOICE"],
        },
      ],
    });
    expect(second.status, JSON.stringify(second.body)).to.equal(201);
  });

  after(async function () {
    await regulator?.stop();
    await bank?.stop();
    provider?.destroy();
    await chainNode?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let sequence = 0;
  function upload(
    as: ReturnType<typeof client>,
    fields: { facilityId: string; kind: string; counterparty?: string; metadata?: object },
    bytes = pdf(`document ${++sequence} ${Math.random()}`),
  ) {
    const { metadata, counterparty, ...rest } = fields;
    return as.upload(
      {
        ...rest,
        ...(counterparty ? { counterparty } : {}),
        ...(metadata ? { metadata: JSON.stringify(metadata) } : {}),
      },
      { name: `document-${sequence}.pdf`, type: "application/pdf", bytes },
    );
  }

  /** Waits until both verifiers' verdicts on the documents are on chain; returns the facility's evidence list. */
  async function judged(facilityId: string, documentIds: string[]) {
    let items: any[] = [];
    await waitFor("both verdicts on chain", async () => {
      items = (await officer.get(`/facilities/${facilityId}/evidence`)).body.items;
      return documentIds.every((id) =>
        items.find((e) => e.documentId === id)?.verdicts.every((v: any) => v.verdict !== "NONE"),
      );
    });
    return items;
  }

  describe("when evidence is submitted", function () {
    it("refuses a document for a facility that does not exist (404 facility_not_found)", async function () {
      const response = await upload(officer, { facilityId: "99", kind: "INVOICE", counterparty: addressA });
      expect(response.status).to.equal(404);
      expect(response.body.code).to.equal("facility_not_found");
    });

    it("refuses a supplier's upload for a facility that does not pay it (404 from the policy, else 403)", async function () {
      const response = await upload(supplierA, { facilityId: "2", kind: "INVOICE" });
      // the access policy hides a facility that is not the caller's (404) before admission would say 403
      expect(response.status).to.be.oneOf([403, 404]);
      expect((await officer.get("/documents?facilityId=2")).body.items).to.deep.equal([]);
    });

    it("refuses a supplier's upload of a document naming another payee (403 not_your_document)", async function () {
      const response = await upload(supplierA, { facilityId: "1", kind: "INVOICE", counterparty: addressC });
      expect(response.status).to.equal(403);
      expect(response.body.code).to.equal("not_your_document");
    });

    it("refuses a supplier's upload naming a shell payee the bank filed under the supplier's own name (403)", async function () {
      // An insider files a second account under A's name (another credit code) and plans a payment to it beside A's.
      const shell = Wallet.createRandom().address;
      const filed = await officer.post("/payees", {
        address: shell,
        ...A,
        creditCode: "91330200MA2SHELL99",
        licenceHash: `0x${"cd".repeat(32)}`,
      });
      expect(filed.status, JSON.stringify(filed.body)).to.equal(201);
      const facility = await officer.post("/facilities", {
        borrower,
        borrowerName: BORROWER.name,
        creditCode: BORROWER.creditCode,
        creditLimit: yuan(1_000_000),
        plan: [
          {
            payee: addressA,
            category: "EQUIPMENT",
            amount: yuan(100_000),
            qualityPurpose: true,
            requiredEvidence: ["INVOICE"],
          },
          {
            payee: shell,
            category: "EQUIPMENT",
            amount: yuan(100_000),
            qualityPurpose: true,
            requiredEvidence: ["INVOICE"],
          },
        ],
      });
      expect(facility.status, JSON.stringify(facility.body)).to.equal(201);
      // A's key is bound to A's chain address: a payee of the same name is still not A.
      const response = await upload(supplierA, {
        facilityId: String(facility.body.facilityId),
        kind: "INVOICE",
        counterparty: shell,
      });
      expect(response.status, JSON.stringify(response.body)).to.equal(403);
      expect(response.body.code).to.equal("not_your_document");
      const own = await upload(supplierA, {
        facilityId: String(facility.body.facilityId),
        kind: "INVOICE",
        counterparty: addressA,
        metadata: { invoiceNumber: "SHELL-TEST-0001" },
      });
      expect(own.status, JSON.stringify(own.body)).to.equal(201);
    });

    it("refuses a borrower's upload for another borrower's facility (404 from the policy, else 403)", async function () {
      const refused = await upload(borrowerKey, { facilityId: "2", kind: "PATENT_FILING" });
      expect(refused.status).to.be.oneOf([403, 404]); // hidden by the access policy, or refused by admission
      const own = await upload(borrowerKey, {
        facilityId: "1",
        kind: "PATENT_FILING",
        metadata: { patentNumber: "CN202610123456.7" },
      });
      expect(own.status, JSON.stringify(own.body)).to.equal(201);
      expect(own.body.counterparty).to.equal(borrower);
    });

    it("refuses a contract naming a party outside the plan, and one whose payee is ambiguous (422)", async function () {
      const outsider = await upload(officer, {
        facilityId: "1",
        kind: "PURCHASE_CONTRACT",
        counterparty: Wallet.createRandom().address,
      });
      expect(outsider.status).to.equal(422);
      expect(outsider.body.code).to.equal("counterparty_not_payee");
      const unnamed = await upload(officer, { facilityId: "1", kind: "INVOICE" });
      expect(unnamed.status).to.equal(422);
      expect(unnamed.body.code).to.equal("counterparty_required");
      // the supplier licence it cites settles it when it is one of those payees' credit code
      const byLicence = await upload(officer, {
        facilityId: "1",
        kind: "INVOICE",
        metadata: { supplierLicence: C.creditCode, invoiceNumber: "FP-C-LICENCE" },
      });
      expect(byLicence.status, JSON.stringify(byLicence.body)).to.equal(201);
      expect(byLicence.body.counterparty).to.equal(addressC);
    });

    it("refuses the same bytes twice and the same invoice number of the same issuer twice (409)", async function () {
      const bytes = pdf("the one invoice");
      const first = await upload(
        officer,
        { facilityId: "1", kind: "INVOICE", counterparty: addressC, metadata: { invoiceNumber: "FP-0042" } },
        bytes,
      );
      expect(first.status, JSON.stringify(first.body)).to.equal(201);
      const again = await upload(officer, { facilityId: "2", kind: "INVOICE", counterparty: addressC }, bytes);
      expect(again.status).to.equal(409);
      expect(again.body.code).to.equal("document_duplicate");
      const renumbered = await upload(officer, {
        facilityId: "1",
        kind: "INVOICE",
        counterparty: addressC,
        metadata: { invoiceNumber: " fp-0042 " },
      });
      expect(renumbered.status).to.equal(409);
      expect(renumbered.body.code).to.equal("document_business_duplicate");
    });
  });

  describe("when a payment is requested", function () {
    it("does not pay supplier A against a contract and an invoice naming supplier C", async function () {
      const licence = { supplierLicence: C.creditCode };
      const contract = await upload(officer, {
        facilityId: "1",
        kind: "PURCHASE_CONTRACT",
        counterparty: addressC,
        metadata: { ...licence, contractNumber: "PC-C-1" },
      });
      const invoice = await upload(officer, {
        facilityId: "1",
        kind: "INVOICE",
        counterparty: addressC,
        metadata: { ...licence, invoiceNumber: "FP-C-1" },
      });
      expect([contract.status, invoice.status]).to.deep.equal([201, 201]);
      const ids = [contract.body.id, invoice.body.id];
      await judged("1", ids);
      const readiness = await officer.get(`/facilities/1/payments/0/readiness?evidence=${ids.join(",")}`);
      expect(readiness.body.ready).to.equal(false);
      for (const id of ids) {
        expect(readiness.body.considered.find((c: any) => c.documentId === id)).to.include({
          use: "unusable",
          reason: `it names ${addressC}, not this payment's payee ${addressA}`,
        });
      }
      const refused = await officer.post("/facilities/1/payments/0", { evidence: ids });
      expect(refused.status).to.equal(409);
      expect(refused.body.code).to.equal("evidence_not_usable");
      expect(await balanceOf(addressA)).to.equal(0n);
      expect(await balanceOf(addressC)).to.equal(0n);
    });

    it("rejects a fake invoice naming A but citing C's licence (the bank's verifier), and pays nothing on it", async function () {
      const fake = await upload(supplierA, {
        facilityId: "1",
        kind: "INVOICE",
        metadata: { supplierLicence: C.creditCode, invoiceNumber: "FAKE-1" },
      });
      expect(fake.status, JSON.stringify(fake.body)).to.equal(201);
      expect(fake.body.counterparty).to.equal(addressA);
      const items = await judged("1", [fake.body.id]);
      const judgedFake = items.find((e) => e.documentId === fake.body.id);
      expect(judgedFake.verified).to.equal(false);
      expect(judgedFake.verdicts[0].verdict).to.equal("REJECT");
      const readiness = await officer.get(`/facilities/1/payments/0/readiness`);
      expect(readiness.body.ready).to.equal(false);
      expect(await balanceOf(addressA)).to.equal(0n);
    });

    it("pays A exactly its amount against the documents naming A, consuming those, and never twice", async function () {
      const licence = { supplierLicence: A.creditCode };
      const contract = await upload(supplierA, {
        facilityId: "1",
        kind: "PURCHASE_CONTRACT",
        metadata: { ...licence, contractNumber: "PC-A-1" },
      });
      const invoiceBytes = pdf("A's genuine invoice");
      const invoice = await upload(
        supplierA,
        { facilityId: "1", kind: "INVOICE", metadata: { ...licence, invoiceNumber: "FP-A-1" } },
        invoiceBytes,
      );
      expect([contract.status, invoice.status]).to.deep.equal([201, 201]);
      const ids = [contract.body.id, invoice.body.id];
      await waitFor("A's documents verified", async () => {
        const items = (await officer.get("/facilities/1/evidence")).body.items;
        return ids.every((id) => items.find((e: any) => e.documentId === id)?.verified === true);
      });
      const readiness = await officer.get("/facilities/1/payments/0/readiness");
      expect(readiness.body.ready, JSON.stringify(readiness.body)).to.equal(true);
      expect(readiness.body.documentIds).to.have.members(ids);
      const paid = await officer.post("/facilities/1/payments/0", { evidence: ids });
      expect(paid.status, JSON.stringify(paid.body)).to.equal(200);
      expect(paid.body.documentIds).to.have.members(ids);
      expect(await balanceOf(addressA)).to.equal(BigInt(yuan(2_500_000)));

      // The same invoice cannot come back for another payment: its bytes, or its number from A, are refused.
      const again = await upload(officer, { facilityId: "1", kind: "INVOICE", counterparty: addressA }, invoiceBytes);
      expect(again.status).to.equal(409);
      expect(again.body.code).to.equal("document_duplicate");
    });
  });
});
