import { expect } from "chai";
import Sqlite from "better-sqlite3";
import { Wallet } from "ethers";
import path from "node:path";
import { freePort } from "../../scripts/bench/lib/system";
import { devWallet } from "../../scripts/lib/deploy-config";
import type { Role } from "../../server/auth/roles";
import { Verdict } from "../helpers/constants";
import { recordAccounts } from "../helpers/liveFacility";
import { issueKeyOn, startLiveSystem, type LiveSystem } from "../helpers/liveSystem";
import { client, waitFor } from "../helpers/processes";
import { chainVerdicts, leafFromNode } from "../helpers/chainVerdicts";

const pdf = (text: string) => Buffer.from(`%PDF-1.7\n% ${text}\n%%EOF\n`);
const yuan = (n: number) => (BigInt(n) * 100n).toString();
const A = { name: "Ningbo Precision CNC Equipment", creditCode: "91330200MA2H8K3X1Y", category: "EQUIPMENT" };
const C = { name: "Zhejiang Special Alloys", creditCode: "91330201MA2J4L7P2Q", category: "MATERIALS" };
const SHELL = { name: "Precision CNC Trading (shell)", creditCode: "91330200MA2SHELL9X", category: "EQUIPMENT" };
const BORROWER = { name: "Ningbo Yongxin Bearings", creditCode: "91330206MA2AAAAA1X" };
const VERIFIERS = [devWallet("bankVerifier").address, devWallet("regulatorVerifier").address];

type Api = ReturnType<typeof client>;
interface Uploaded {
  id: string;
  evidenceId: string;
  facilityId: string;
}

/**
 * One document, one use, and whose account a licence pays, against live processes (a chain node, the bank node, the
 * regulator node): a forgery citing a real number no longer blocks the genuine document once a verifier rejects it;
 * the regulator binds a licence to the payee's account from its own FIRM_ACCOUNT records, whatever the bank's file
 * says; and a stolen bank officer key cannot make one document back two payments, even with the bank's rows deleted.
 */
describe("evidence identity and the payee account, against live nodes", function () {
  this.timeout(600_000);
  let system: LiveSystem;
  let officer: Api;
  let inspector: Api;
  let supplierA: Api;
  let borrowerKey: Api;
  const borrower = Wallet.createRandom().address;
  const [addressA, addressC, shell] = [0, 1, 2].map(() => Wallet.createRandom().address);
  /** one: pays A then C; two: pays C; shell: pays an account the bank filed as A's; tampered: pays C. */
  const facility = { one: "", two: "", shell: "", tampered: "" };

  /** An API key on the bank node, bound to its subject. */
  const bankKey = async (role: Role, institution: string, subject: { address: string; creditCode?: string }) =>
    client(system.nodes.bank.url, await issueKeyOn(system, "bank", { role, institution, subject }));

  /** SQL on the bank node's SQLite file beside the running node: what an insider with database access can do. */
  function bankSql(statement: string, ...parameters: unknown[]): number {
    const db = new Sqlite(path.join(system.dataDir("bank"), "db.sqlite"));
    try {
      db.pragma("busy_timeout = 10000");
      return db.prepare(statement).run(...parameters).changes;
    } finally {
      db.close();
    }
  }

  async function open(plan: Array<{ payee: string; category: string; amount: number }>) {
    const created = await officer.post("/facilities", {
      borrower,
      borrowerName: BORROWER.name,
      creditCode: BORROWER.creditCode,
      grade: "C",
      creditLimit: yuan(plan.reduce((sum, p) => sum + p.amount, 0)),
      plan: plan.map((p) => ({ ...p, amount: yuan(p.amount), qualityPurpose: true, requiredEvidence: ["INVOICE"] })),
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    return String(created.body.facilityId);
  }

  before(async function () {
    system = await startLiveSystem({
      name: "evidence-identity",
      ports: { chain: await freePort(), bank: await freePort(), regulator: await freePort() },
      env: { POLL_INTERVAL_MS: "100", RATE_LIMIT_PER_MINUTE: "100000" },
      bankEnv: { BATCH_MAX_AGE_MS: "300", REVIEW_CHECK_MS: "0" },
    });
    officer = client(system.nodes.bank.url, system.keys.bank.active.bank_officer);
    inspector = client(system.nodes.regulator.url, system.keys.regulator.active.regulator);
    supplierA = await bankKey("supplier", A.name, { address: addressA });
    borrowerKey = await bankKey("borrower", BORROWER.name, { address: borrower, creditCode: BORROWER.creditCode });
    // The shell account is a payee of its own; the regulator has no record of it. The bank files no second account
    // under A's credit code (one payee per firm): only an insider's write to its database does (below).
    for (const [address, firm] of [
      [addressA, A],
      [addressC, C],
      [shell, SHELL],
    ] as const) {
      const response = await officer.post("/payees", { address, ...firm, licenceHash: `0x${"ab".repeat(32)}` });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
    }
    const asA = await officer.post("/payees", {
      address: Wallet.createRandom().address,
      ...A,
      licenceHash: `0x${"ab".repeat(32)}`,
    });
    expect(asA.status, JSON.stringify(asA.body)).to.equal(409);
    expect(asA.body.code).to.equal("credit_code_taken");
    await recordAccounts(inspector, [
      [borrower, BORROWER.creditCode],
      [addressA, A.creditCode],
      [addressC, C.creditCode],
    ]);
    facility.one = await open([
      { payee: addressA, category: A.category, amount: 1_000_000 },
      { payee: addressC, category: C.category, amount: 500_000 },
    ]);
    facility.two = await open([{ payee: addressC, category: C.category, amount: 400_000 }]);
    facility.shell = await open([{ payee: shell, category: A.category, amount: 800_000 }]);
    facility.tampered = await open([{ payee: addressC, category: C.category, amount: 300_000 }]);
  });

  after(async function () {
    await system?.stop();
  });

  async function upload(
    as: Api,
    fields: { facilityId: string; kind: string; counterparty?: string; metadata: object },
    bytes: Buffer,
    status = 201,
  ) {
    const { metadata, counterparty, ...rest } = fields;
    const response = await as.upload(
      { ...rest, ...(counterparty ? { counterparty } : {}), metadata: JSON.stringify(metadata) },
      { name: "document.pdf", type: "application/pdf", bytes },
    );
    expect(response.status, JSON.stringify(response.body)).to.equal(status);
    return response.body;
  }

  /** Both verifiers' verdicts on chain, once both are there, with each node's reason from its own API. */
  async function verdicts(document: Uploaded) {
    const onChain = () =>
      chainVerdicts(system.contracts.registry, document.evidenceId, VERIFIERS, leafFromNode(officer));
    await waitFor(`both verdicts on ${document.id}`, async () =>
      (await onChain()).every((v) => v !== BigInt(Verdict.NONE)),
    );
    const reasons = await Promise.all(
      [system.nodes.bank.url, system.nodes.regulator.url].map(async (url, i) => {
        const key = (i === 0 ? system.keys.bank : system.keys.regulator).active.regulator;
        const { body } = await client(url, key).get(`/verifications?facilityId=${document.facilityId}&limit=500`);
        return body.items.find((v: { evidenceId: string }) => v.evidenceId === document.evidenceId)?.reason ?? "";
      }),
    );
    const [bank, regulator] = (await onChain()).map((v) => (v === BigInt(Verdict.ACCEPT) ? "ACCEPT" : "REJECT"));
    return { bank, regulator, bankReason: reasons[0], regulatorReason: reasons[1] };
  }

  /** Runs `during` with no block mined: what the nodes upload meanwhile cannot be anchored, let alone judged. */
  async function withMiningPaused<T>(during: () => Promise<T>): Promise<T> {
    await system.provider.send("evm_setAutomine", [false]);
    try {
      return await during();
    } finally {
      await system.provider.send("evm_setAutomine", [true]);
      await system.provider.send("evm_mine", []);
    }
  }

  const balanceOf = (address: string) => system.contracts.token.balanceOf(address);

  describe("when a forgery cites a real invoice or report number", function () {
    it("holds the number while the forgery awaits its verdicts, frees it once rejected, and pays on the genuine one", async function () {
      const number = { invoiceNumber: "FP-A-77" };
      const forged = await withMiningPaused(async () => {
        // A's key (a careless clerk, or a thief) uploads an invoice with A's real number but C's licence.
        const document = await upload(
          supplierA,
          { facilityId: facility.one, kind: "INVOICE", metadata: { ...number, supplierLicence: C.creditCode } },
          pdf("forged FP-A-77"),
        );
        const early = await upload(
          officer,
          { facilityId: facility.one, kind: "INVOICE", counterparty: addressA, metadata: { ...number } },
          pdf("genuine FP-A-77, too early"),
          409,
        );
        expect(early).to.include({ code: "document_business_duplicate", documentId: document.id });
        return document;
      });
      expect(await verdicts(forged)).to.deep.equal({
        bank: "REJECT",
        regulator: "REJECT",
        bankReason: `supplier licence ${C.creditCode} is not the licence of payee ${addressA} (credit code ${A.creditCode})`,
        regulatorReason: `supplier licence ${C.creditCode} is held by ${C.creditCode}, but payee account ${addressA} is of firm ${A.creditCode} in the regulator's registry`,
      });

      const genuineBytes = pdf("genuine FP-A-77");
      const genuine = await upload(
        officer,
        {
          facilityId: facility.one,
          kind: "INVOICE",
          counterparty: addressA,
          metadata: { ...number, supplierLicence: A.creditCode },
        },
        genuineBytes,
      );
      expect(await verdicts(genuine)).to.include({ bank: "ACCEPT", regulator: "ACCEPT" });
      // The genuine invoice holds the number now: a third document with it is refused, naming the genuine one.
      const third = await upload(
        officer,
        { facilityId: facility.one, kind: "INVOICE", counterparty: addressA, metadata: { invoiceNumber: " fp-a-77" } },
        pdf("a third FP-A-77"),
        409,
      );
      expect(third).to.include({ code: "document_business_duplicate", documentId: genuine.id });
      // The genuine bytes are held; the forgery's are free again (a rejected document backs nothing).
      const resent = await upload(
        officer,
        { facilityId: facility.one, kind: "INVOICE", counterparty: addressA, metadata: {} },
        genuineBytes,
        409,
      );
      expect(resent).to.include({ code: "document_duplicate", documentId: genuine.id });
      await upload(
        officer,
        { facilityId: facility.two, kind: "INVOICE", counterparty: addressC, metadata: {} },
        pdf("forged FP-A-77"),
      );

      const paid = await officer.post(`/facilities/${facility.one}/payments/0`, { evidence: [genuine.id] });
      expect(paid.status, JSON.stringify(paid.body)).to.equal(200);
      expect(await balanceOf(addressA)).to.equal(BigInt(yuan(1_000_000)));
      // The document view names the counterparty and, once the payment's event is indexed, the payment it released.
      await waitFor("the payment indexed", async () => (await officer.get(`/documents/${genuine.id}`)).body.consumedBy);
      const shown = (await officer.get(`/documents/${genuine.id}`)).body;
      expect(shown).to.deep.include({
        counterparty: addressA,
        counterpartyRole: "payee",
        counterpartyName: A.name,
        consumedBy: { facilityId: facility.one, paymentIndex: 0, txHash: paid.body.txHash },
      });
      const listed = (await officer.get(`/documents?facilityId=${facility.one}&kind=INVOICE`)).body.items;
      expect(listed.find((d: { id: string }) => d.id === forged.id)).to.deep.include({
        counterpartyName: A.name,
        consumedBy: null,
      });
    });

    it("frees a report number when one node alone rejects the forgery (a REJECT is a veto on chain)", async function () {
      const record = { labLicence: "CNAS-L12345", reportNumber: "R-2026-0917" };
      // The borrower's own record, with a better pass rate than the regulator measured: the bank cannot tell.
      const forged = await upload(
        borrowerKey,
        { facilityId: facility.one, kind: "INSPECTION_REPORT", metadata: { ...record, passRateBps: 10_000 } },
        pdf("inflated R-2026-0917"),
      );
      expect(await verdicts(forged)).to.deep.include({
        bank: "ACCEPT",
        regulator: "REJECT",
        regulatorReason:
          "inspection record R-2026-0917: the document claims passRateBps 10000, the regulator's record 9900",
      });
      const genuine = await upload(
        borrowerKey,
        {
          facilityId: facility.one,
          kind: "INSPECTION_REPORT",
          metadata: { ...record, unitsTested: 12_000, unitsPassed: 11_880 },
        },
        pdf("genuine R-2026-0917"),
      );
      expect(await verdicts(genuine)).to.include({ bank: "ACCEPT", regulator: "ACCEPT" });
    });
  });

  describe("when an attacker holds the bank officer's key", function () {
    let original: Uploaded;
    const bytes = pdf("C's invoice FP-C-5");

    it("refuses the same bytes and the same invoice number for another facility's payment (409)", async function () {
      original = await upload(
        officer,
        {
          facilityId: facility.one,
          kind: "INVOICE",
          counterparty: addressC,
          metadata: { invoiceNumber: "FP-C-5", supplierLicence: C.creditCode },
        },
        bytes,
      );
      expect(await verdicts(original)).to.include({ bank: "ACCEPT", regulator: "ACCEPT" });
      const paid = await officer.post(`/facilities/${facility.one}/payments/1`, { evidence: [original.id] });
      expect(paid.status, JSON.stringify(paid.body)).to.equal(200);

      const sameBytes = await upload(
        officer,
        { facilityId: facility.two, kind: "INVOICE", counterparty: addressC, metadata: {} },
        bytes,
        409,
      );
      expect(sameBytes).to.include({ code: "document_duplicate", documentId: original.id });
      const sameNumber = await upload(
        officer,
        {
          facilityId: facility.two,
          kind: "INVOICE",
          counterparty: addressC,
          metadata: { invoiceNumber: "FP-C-5", supplierLicence: C.creditCode },
        },
        pdf("FP-C-5 again, other bytes"),
        409,
      );
      expect(sameNumber).to.include({ code: "document_business_duplicate", documentId: original.id });
    });

    it("is still refused by the regulator when an insider deletes the bank's rows first, and pays nothing", async function () {
      expect(bankSql(`DELETE FROM "Document" WHERE "id" = ?`, original.id)).to.equal(1);
      const copy = await upload(
        officer,
        { facilityId: facility.two, kind: "INVOICE", counterparty: addressC, metadata: {} },
        bytes,
      );
      const renumbered = await upload(
        officer,
        {
          facilityId: facility.two,
          kind: "INVOICE",
          counterparty: addressC,
          metadata: { invoiceNumber: "FP-C-5", supplierLicence: C.creditCode },
        },
        pdf("FP-C-5 once more"),
      );
      const [ofCopy, ofRenumbered] = [await verdicts(copy), await verdicts(renumbered)];
      expect(ofCopy).to.include({ regulator: "REJECT" });
      expect(ofCopy.regulatorReason).to.match(
        /^the same document \(sha256 0x[0-9a-f]{64}\) was already presented as evidence /,
      );
      expect(ofCopy.regulatorReason).to.include(original.evidenceId);
      expect(ofRenumbered).to.include({
        regulator: "REJECT",
        regulatorReason: `INVOICE:${addressC}:FP-C-5 was already presented as evidence ${original.evidenceId}`,
      });
      for (const document of [copy, renumbered]) {
        const refused = await officer.post(`/facilities/${facility.two}/payments/0`, { evidence: [document.id] });
        expect(refused.status, JSON.stringify(refused.body)).to.equal(409);
        expect(refused.body.code).to.equal("evidence_not_usable");
      }
      expect(await balanceOf(addressC)).to.equal(BigInt(yuan(500_000)));
    });
  });

  describe("when the bank's file says an account is the licence holder's", function () {
    let moved = 0;
    /**
     * An insider files `account` under A's name and credit code in the bank's database: one payee per credit code
     * (its unique index), so A's own row gives the code up first.
     */
    function fileUnderA(account: string) {
      const elsewhere = `91330200MA2MOVED${String(moved++).padStart(2, "0")}`;
      expect(bankSql(`UPDATE "Payee" SET "creditCode" = ? WHERE "creditCode" = ?`, elsewhere, A.creditCode)).to.equal(
        1,
      );
      expect(
        bankSql(`UPDATE "Payee" SET "creditCode" = ?, "name" = ? WHERE "address" = ?`, A.creditCode, A.name, account),
      ).to.equal(1);
    }

    /**
     * An invoice to `account` under A's licence: the bank accepts it from its own file, the regulator rejects it with
     * `regulatorReason` from its registry, and payment 0 of the facility is refused: `account` is paid nothing more.
     */
    async function refusedUnderLicenceOfA(
      facilityId: string,
      account: string,
      invoiceNumber: string,
      regulatorReason: string,
      balanceBefore: bigint,
    ) {
      const invoice = await upload(
        officer,
        {
          facilityId,
          kind: "INVOICE",
          counterparty: account,
          metadata: { invoiceNumber, supplierLicence: A.creditCode },
        },
        pdf(`invoice ${invoiceNumber} under A's licence`),
      );
      expect(await verdicts(invoice)).to.deep.equal({
        bank: "ACCEPT",
        regulator: "REJECT",
        bankReason: "",
        regulatorReason,
      });
      const refused = await officer.post(`/facilities/${facilityId}/payments/0`, {});
      expect(refused.status, JSON.stringify(refused.body)).to.equal(409);
      expect(await balanceOf(account)).to.equal(balanceBefore);
    }

    it("rejects A's licence for an account an insider filed under A's name, which the regulator does not bind to A", async function () {
      fileUnderA(shell);
      await refusedUnderLicenceOfA(
        facility.shell,
        shell,
        "FP-S-1",
        `payee account ${shell} is not in the regulator's registry: it cannot be bound to supplier licence ${A.creditCode}`,
        0n,
      );
    });

    it("rejects A's licence for C's account after an insider rewrote C's credit code in the bank's database", async function () {
      fileUnderA(addressC);
      await refusedUnderLicenceOfA(
        facility.tampered,
        addressC,
        "FP-T-1",
        `supplier licence ${A.creditCode} is held by ${A.creditCode}, but payee account ${addressC} is of firm ${C.creditCode} in the regulator's registry`,
        BigInt(yuan(500_000)),
      );
    });
  });
});
