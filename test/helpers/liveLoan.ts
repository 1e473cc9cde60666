/**
 * A drawn, subsidy-eligible loan on real processes, for the end of a loan (repayment, subsidy, closing, withdrawal):
 * a `hardhat node` with the contracts deployed by scripts/deploy.ts (a deposit issuer that mints the borrower's and
 * the fiscal account's money), the bank node and the regulator node. Through their APIs: one payee, the regulator's
 * white list, a facility paying 400,000.00 CNY at t0 against an invoice both nodes verified, and at day 90 a
 * quarterly review (two patents, a 99% inspection) that both institutions signed, making it subsidy-eligible.
 * Keys, issued with the admin command: the bank officer, the regulator's inspector, the facility's borrower (bound to
 * its chain account, whose key the test holds), another borrower, the payee's supplier key and the fiscal account.
 */
import { expect } from "chai";
import { Wallet, type HDNodeWallet, type JsonRpcProvider } from "ethers";
import fs from "node:fs";
import { devWallet } from "../../scripts/lib/deploy-config";
import { EvidenceRegistry__factory, FacilityManager__factory, SettlementToken__factory } from "../../typechain-types";
import { LICENSED_SUPPLIER, recordAccounts } from "./liveFacility";
import { startLiveChain } from "./liveNodes";
import { client, issueKey, startNodeProcess, tempDir, waitFor, type NodeProcess } from "./processes";

export const DAY = 86_400;
const pdf = (text: string) => Buffer.from(`%PDF-1.7\n% ${text}\n%%EOF\n`);
const CREDIT_CODE = "91330206MA2AAAAA1X";

export interface LiveLoan {
  provider: JsonRpcProvider;
  manager: ReturnType<typeof FacilityManager__factory.connect>;
  token: ReturnType<typeof SettlementToken__factory.connect>;
  bank: NodeProcess;
  facilityId: string;
  /** The chain time of the payment (the loan's start). */
  t0: number;
  borrower: HDNodeWallet;
  fiscal: HDNodeWallet;
  treasury: string;
  keys: { officer: string; borrower: string; otherBorrower: string; supplier: string; fiscal: string };
  /** A client of the bank node with one of `keys`. */
  as(who: keyof LiveLoan["keys"]): ReturnType<typeof client>;
  /** Sets the chain's time and mines a block there. */
  at(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts it. `bankEnv(keys)` adds settings to the bank node from the keys issued for it (the dashboard test serves
 * web/dist and its demo logins).
 */
export async function startLiveLoan(
  name: string,
  bankEnv: (keys: LiveLoan["keys"], dir: string) => Record<string, string> = () => ({}),
): Promise<LiveLoan> {
  const dir = tempDir(name);
  // A deposit issuer (account 11) mints the borrower's and the fiscal account's money.
  const live = await startLiveChain(dir, async (provider) => ({
    ISSUER_ADDRESS: (await provider.getSigner(11)).address,
  }));
  const { chainNode, provider, deployment, bankPort, regulatorPort, bankEnv: nodeEnv, regulatorEnv } = live;
  const issuer = await provider.getSigner(11);
  const manager = FacilityManager__factory.connect(deployment.contracts.FacilityManager, provider);
  const token = SettlementToken__factory.connect(deployment.contracts.SettlementToken, provider);
  const borrower = devWallet("borrower");
  const fiscal = devWallet("fiscal");
  const payee = Wallet.createRandom().address;
  const keys = {
    officer: issueKey(nodeEnv, "bank", "bank_officer", "officer"),
    borrower: issueKey(nodeEnv, "bank", "borrower", "cfo", "Ningbo Yongxin Bearings", [
      "--borrower",
      borrower.address,
      "--credit-code",
      CREDIT_CODE,
    ]),
    otherBorrower: issueKey(nodeEnv, "bank", "borrower", "cfo", "Cixi Valve Works", [
      "--borrower",
      Wallet.createRandom().address,
      "--credit-code",
      "91330282MA2BBBBB2Y",
    ]),
    supplier: issueKey(nodeEnv, "bank", "supplier", "sales", "Ningbo Precision CNC", ["--payee", payee]),
    fiscal: issueKey(nodeEnv, "bank", "fiscal", "subsidy-desk", "Ningbo Finance Bureau"),
  };
  const inspectorKey = issueKey(regulatorEnv, "regulator", "regulator", "inspector");
  const bank = await startNodeProcess("bank", { ...nodeEnv, ...bankEnv(keys, dir) });
  const regulator = await startNodeProcess("regulator", regulatorEnv);
  const url = `http://127.0.0.1:${bankPort}`;
  const officer = client(url, keys.officer);
  const inspector = client(`http://127.0.0.1:${regulatorPort}`, inspectorKey);
  const at = async (seconds: number) => {
    await provider.send("evm_setNextBlockTimestamp", [seconds]);
    await provider.send("evm_mine", []);
  };
  const ok = (response: { status: number; body: any }, status?: number) =>
    status === undefined
      ? expect(response.status, JSON.stringify(response.body)).to.be.within(200, 201)
      : expect(response.status, JSON.stringify(response.body)).to.equal(status);

  ok(
    await officer.post("/payees", {
      address: payee,
      name: "Ningbo Precision CNC Equipment",
      creditCode: LICENSED_SUPPLIER,
      category: "EQUIPMENT",
      licenceHash: `0x${"ab".repeat(32)}`,
    }),
  );
  ok(
    await inspector.post("/whitelist/import", {
      csv: `creditCode,name,grade,credit,management,brand,foundation,innovation\n${CREDIT_CODE},Ningbo Yongxin Bearings,C,78,74,66,81,72\n`,
    }),
  );
  ok(
    await inspector.post("/registry/records", {
      type: "FIRM_ACCOUNT",
      reference: borrower.address,
      holder: "Ningbo Yongxin Bearings Co., Ltd.",
      holderCreditCode: CREDIT_CODE,
    }),
  );
  // The payee's account on the regulator's record as the licence holder's: the regulator binds the invoice to it.
  await recordAccounts(inspector, [[payee, LICENSED_SUPPLIER]]);
  const created = await officer.post("/facilities", {
    borrower: borrower.address,
    borrowerName: "Ningbo Yongxin Bearings",
    creditCode: CREDIT_CODE,
    creditLimit: "100000000",
    plan: [{ payee, category: "EQUIPMENT", amount: "40000000", qualityPurpose: true, requiredEvidence: ["INVOICE"] }],
  });
  ok(created);
  const facilityId = String(created.body.facilityId);

  const quiesce = () =>
    waitFor("both nodes idle", async () => {
      const [b, r] = await Promise.all([client(bank.url).get("/ready"), client(regulator.url).get("/ready")]);
      return b.body.outboxPending === 0 && r.body.outboxPending === 0;
    });
  const uploads: string[] = [];
  for (const [kind, metadata, counterparty] of [
    ["INVOICE", { supplierLicence: LICENSED_SUPPLIER }, payee],
    ["PATENT_FILING", { patentNumber: "CN202610123456.7" }],
    ["PATENT_FILING", { patentNumber: "CN202610654321.0" }],
    [
      "INSPECTION_REPORT",
      { labLicence: "CNAS-L12345", reportNumber: "R-2026-0917", unitsTested: 12000, unitsPassed: 11880 },
    ],
  ] as const) {
    const response = await officer.upload(
      {
        facilityId,
        kind,
        metadata: JSON.stringify(metadata),
        ...(counterparty ? { counterparty } : {}),
      },
      { name: `${kind}.pdf`, type: "application/pdf", bytes: pdf(`${kind} ${JSON.stringify(metadata)}`) },
    );
    ok(response);
    uploads.push(response.body.evidenceId);
  }
  await waitFor("evidence verified by both nodes", async () => {
    const { body } = await officer.get(`/facilities/${facilityId}/evidence`);
    return uploads.every((id) => body.items.find((e: any) => e.evidenceId === id)?.verified === true);
  });
  await quiesce();
  await provider.send("evm_setNextBlockTimestamp", [(await provider.getBlock("latest"))!.timestamp + 600]);
  const paid = await officer.post(`/facilities/${facilityId}/payments/0`, {});
  ok(paid, 200);
  // The payment registers its batched invoice first (a transaction of its own, in the block of the time set), so it
  // lands a block or two later: the loan starts at its block's time.
  const t0 = (await provider.getBlock((await provider.getTransactionReceipt(paid.body.txHash))!.blockNumber))!
    .timestamp;
  // Exactly once: the invoice was registered by this payment alone, and the payment is not made twice.
  const registry = EvidenceRegistry__factory.connect(deployment.contracts.EvidenceRegistry, provider);
  for (const evidenceId of paid.body.evidenceIds as string[]) {
    const anchored = await registry.queryFilter(registry.filters.EvidenceAnchored(evidenceId));
    expect(anchored.map((e) => e.args.batchRoot === `0x${"0".repeat(64)}`)).to.deep.equal([false]);
  }
  const again = await officer.post(`/facilities/${facilityId}/payments/0`, {});
  ok(again, 409);
  expect(again.body.code).to.equal("payment_already_paid");
  expect(await manager.queryFilter(manager.filters.PaymentExecuted(BigInt(facilityId)))).to.have.length(1);
  await at(t0 + 90 * DAY);
  const proposed = await officer.post(`/facilities/${facilityId}/reviews`, {
    periodTo: new Date((t0 + 90 * DAY) * 1000).toISOString(),
  });
  ok(proposed);
  ok(await inspector.post(`/approvals/${proposed.body.approval.id}/cosign`, {}), 200);
  await quiesce();

  // The borrower's and the fiscal account's deposits: minted by the deposit issuer, never approved to anyone.
  const mint = SettlementToken__factory.connect(deployment.contracts.SettlementToken, issuer);
  await (await mint.mint(borrower.address, 50_000_000n)).wait();
  await (await mint.mint(fiscal.address, 1_000_000n)).wait();

  return {
    provider,
    manager,
    token,
    bank,
    facilityId,
    t0,
    borrower,
    fiscal,
    treasury: deployment.roles.treasury!,
    keys,
    as: (who) => client(url, keys[who]),
    at,
    async stop() {
      await regulator.stop();
      await bank.stop();
      provider.destroy();
      await chainNode.stop();
      if (!process.env.E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
