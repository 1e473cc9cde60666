import { expect } from "chai";
import { Wallet, getAddress } from "ethers";
import fc from "fast-check";
import { freePort } from "../../scripts/bench/lib/system";
import { devWallet } from "../../scripts/lib/deploy-config";
import { businessKeyOf } from "../../server/documents/admission";
import { Verdict } from "../helpers/constants";
import { recordAccounts } from "../helpers/liveFacility";
import { issueKeyOn, startLiveSystem, type LiveSystem } from "../helpers/liveSystem";
import { client, waitFor } from "../helpers/processes";
import { chainVerdicts, leafFromNode } from "../helpers/chainVerdicts";

const pdf = (text: string) => Buffer.from(`%PDF-1.7\n% ${text}\n%%EOF\n`);
const yuan = (n: number) => (BigInt(n) * 100n).toString();
const BORROWER = { name: "Ningbo Yongxin Bearings", creditCode: "91330206MA2AAAAA1X" };
const FIRMS = {
  A: { name: "Ningbo Precision CNC Equipment", creditCode: "91330200MA2H8K3X1Y", category: "EQUIPMENT" },
  C: { name: "Zhejiang Special Alloys", creditCode: "91330201MA2J4L7P2Q", category: "MATERIALS" },
  // A shell account that cites A's licence. The bank no longer files it under A's credit code (one payee per credit
  // code: 409), so it has its own; the regulator's records bind no account of A's to it either.
  X: { name: "Precision CNC Trading (shell)", creditCode: "91330200MA2SHELL9X", category: "EQUIPMENT" },
};
type Payee = keyof typeof FIRMS;
const PLAN: Array<{ payee: Payee; amount: number }> = [
  { payee: "A", amount: 3_000 },
  { payee: "C", amount: 2_000 },
  { payee: "X", amount: 1_000 },
];
const VERIFIERS = [devWallet("bankVerifier").address, devWallet("regulatorVerifier").address];
const POOL = 20;
const RUNS = Number(process.env.PROPERTY_RUNS ?? 25);
const SEED = Number(process.env.PROPERTY_SEED ?? Date.now() % 2 ** 31);

/** One action of a random sequence, by the bank officer, the borrower or a supplier. */
const actor = fc.constantFrom("officer" as const, "borrower" as const, "supplier" as const);
const action = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant("invoice" as const),
      payee: fc.constantFrom<Payee>("A", "C", "X"),
      actor,
      licence: fc.oneof({ weight: 3, arbitrary: fc.constant("own" as const) }, fc.constant("other" as const)),
      // a number from a small pool shared by every run (collisions: one document, one use), or a fresh one
      number: fc.oneof(fc.constantFrom("FP-1", "FP-2", "FP-3"), { weight: 2, arbitrary: fc.constant(null) }),
    }),
  },
  fc.record({ type: fc.constant("copy" as const), which: fc.nat(), payee: fc.constantFrom<Payee>("A", "C") }),
  fc.record({
    type: fc.constant("patent" as const),
    actor,
    claim: fc.oneof(fc.nat({ max: POOL - 1 }), fc.constantFrom("foreign" as const, "unknown" as const)),
  }),
  fc.record({
    type: fc.constant("inspection" as const),
    actor,
    claim: fc.constantFrom("genuine" as const, "weak" as const, "inflated" as const, "foreign" as const),
    pick: fc.nat({ max: POOL - 1 }),
  }),
  fc.record({ type: fc.constant("pay" as const), index: fc.nat({ max: PLAN.length - 1 }) }),
);
type Action = typeof action extends fc.Arbitrary<infer T> ? T : never;

/**
 * Random sequences of API actions by the bank officer, the borrower and the suppliers against live processes (a chain
 * node, the bank node, the regulator node), with forged licences, duplicated bytes and numbers, an account the bank
 * files under a licensed firm's code that the regulator does not bind, foreign and unknown patents, and inflated,
 * weak and foreign inspection reports. After each sequence: no money reached anyone but a planned payee, no payment
 * was released without both verifiers' ACCEPT of evidence naming that payee (and citing its own licence), no
 * document backed two payments, no answer was a 5xx, and no discount or subsidy came from a claim the regulator's
 * records do not support. PROPERTY_SEED and PROPERTY_RUNS replay or widen a run; the seed is printed.
 */
describe("random evidence and payment actions keep the fund-use promise (fast-check, live nodes)", function () {
  this.timeout(900_000);
  let system: LiveSystem;
  let officer: ReturnType<typeof client>;
  let inspector: ReturnType<typeof client>;
  const keys = {} as Record<"borrower" | Payee, ReturnType<typeof client>>;
  const borrower = Wallet.createRandom().address;
  const address = Object.fromEntries(
    (Object.keys(FIRMS) as Payee[]).map((p) => [p, Wallet.createRandom().address]),
  ) as Record<Payee, string>;
  const uploadedBytes: Buffer[] = [];
  /** Every payment released so far, over all runs: (facility, index) and the evidence it consumed. */
  const consumed: string[] = [];
  let sequence = 0;

  before(async function () {
    system = await startLiveSystem({
      name: "evidence-property",
      ports: { chain: await freePort(), bank: await freePort(), regulator: await freePort() },
      env: { POLL_INTERVAL_MS: "100", RATE_LIMIT_PER_MINUTE: "1000000", UPLOAD_QUOTA_PER_MINUTE: "1000000" },
      bankEnv: { BATCH_MAX_AGE_MS: "200", REVIEW_CHECK_MS: "0" },
    });
    officer = client(system.nodes.bank.url, system.keys.bank.active.bank_officer);
    inspector = client(system.nodes.regulator.url, system.keys.regulator.active.regulator);
    for (const payee of Object.keys(FIRMS) as Payee[]) {
      const firm = FIRMS[payee];
      const registered = await officer.post("/payees", {
        address: address[payee],
        ...firm,
        licenceHash: `0x${"ab".repeat(32)}`,
      });
      expect(registered.status, JSON.stringify(registered.body)).to.equal(201);
      const key = await issueKeyOn(system, "bank", {
        role: "supplier",
        institution: firm.name,
        subject: { address: address[payee] },
      });
      keys[payee] = client(system.nodes.bank.url, key);
    }
    const borrowerKey = await issueKeyOn(system, "bank", {
      role: "borrower",
      institution: BORROWER.name,
      subject: { address: borrower, creditCode: BORROWER.creditCode },
    });
    keys.borrower = client(system.nodes.bank.url, borrowerKey);
    await recordAccounts(inspector, [
      [borrower, BORROWER.creditCode],
      [address.A, FIRMS.A.creditCode],
      [address.C, FIRMS.C.creditCode],
    ]);
    // The regulator's own records: the borrower's patents, and its inspections (good at 99%, weak at 95%).
    const firm = { holder: "Ningbo Yongxin Bearings Co., Ltd.", holderCreditCode: BORROWER.creditCode };
    const records = Array.from({ length: POOL }, (_, i) => [
      { type: "PATENT_FILING", reference: `CN2026P${i}`, data: {} },
      { type: "INSPECTION_RECORD", reference: `R-GOOD-${i}`, outcome: "PASS", passRateBps: 9900, data: good },
      { type: "INSPECTION_RECORD", reference: `R-WEAK-${i}`, outcome: "PASS", passRateBps: 9500, data: weak },
    ]).flat();
    for (let i = 0; i < records.length; i += 10) {
      const created = await Promise.all(
        records.slice(i, i + 10).map((record) => inspector.post("/registry/records", { ...record, ...firm })),
      );
      for (const c of created) expect(c.status, JSON.stringify(c.body)).to.equal(201);
    }
    console.log(`      fast-check seed ${SEED}, ${RUNS} runs (replay: PROPERTY_SEED=${SEED})`);
  });

  after(async function () {
    await system?.stop();
  });

  const good = { unitsTested: 12_000, unitsPassed: 11_880 };
  const weak = { unitsTested: 12_000, unitsPassed: 11_400 };

  /** The upload an action makes: who sends it, and its fields. */
  function uploadOf(facilityId: string, a: Action, run: number) {
    const as = (who: "officer" | "borrower" | "supplier", payee: Payee = "A") =>
      who === "officer" ? officer : who === "borrower" ? keys.borrower : keys[payee];
    switch (a.type) {
      case "invoice": {
        // The shell's "own" licence is the one it claims: A's.
        const own = FIRMS[a.payee === "X" ? "A" : a.payee].creditCode;
        const licence = a.licence === "own" ? own : FIRMS[a.payee === "C" ? "A" : "C"].creditCode;
        const invoiceNumber = a.number ?? `FP-R${run}-${sequence}`;
        const metadata = { supplierLicence: licence, invoiceNumber };
        return { as: as(a.actor, a.payee), kind: "INVOICE", counterparty: address[a.payee], metadata };
      }
      case "copy":
        return { as: officer, kind: "INVOICE", counterparty: address[a.payee], metadata: {}, copy: a.which };
      case "patent": {
        const patentNumber =
          a.claim === "foreign" ? "CN202610777001.3" : a.claim === "unknown" ? `CN2099X${run}` : `CN2026P${a.claim}`;
        return { as: as(a.actor), kind: "PATENT_FILING", metadata: { patentNumber } };
      }
      case "inspection": {
        const metadata =
          a.claim === "genuine"
            ? { labLicence: "CNAS-L12345", reportNumber: `R-GOOD-${a.pick}`, ...good }
            : a.claim === "weak"
              ? { labLicence: "CNAS-L12345", reportNumber: `R-WEAK-${a.pick}`, ...weak }
              : a.claim === "inflated"
                ? { labLicence: "CNAS-L12345", reportNumber: `R-WEAK-${a.pick}`, passRateBps: 9_900 }
                : { labLicence: "CNAS-L12345", reportNumber: "R-2026-1002", unitsTested: 800, unitsPassed: 790 };
        return { as: as(a.actor), kind: "INSPECTION_REPORT", metadata };
      }
      default:
        return undefined;
    }
  }

  /** Runs one sequence on a new facility; returns what the oracle needs. */
  async function runSequence(actions: Action[], run: number) {
    const created = await officer.post("/facilities", {
      borrower,
      borrowerName: BORROWER.name,
      creditCode: BORROWER.creditCode,
      grade: "C",
      creditLimit: yuan(PLAN.reduce((sum, p) => sum + p.amount, 0)),
      plan: PLAN.map(({ payee, amount }) => ({
        payee: address[payee],
        category: FIRMS[payee].category,
        amount: yuan(amount),
        qualityPurpose: true,
        requiredEvidence: ["INVOICE"],
      })),
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const facilityId = String(created.body.facilityId);
    const statuses: number[] = [];
    const accepted: Array<{ evidenceId: string; kind: string; metadata: Record<string, unknown> }> = [];
    const pay = async (index: number) =>
      statuses.push((await officer.post(`/facilities/${facilityId}/payments/${index}`, {})).status);
    for (const a of actions) {
      sequence++;
      if (a.type === "pay") {
        await pay(a.index);
        continue;
      }
      const u = uploadOf(facilityId, a, run)!;
      const copied =
        "copy" in u && uploadedBytes.length > 0 ? uploadedBytes[u.copy! % uploadedBytes.length] : undefined;
      const bytes = copied ?? pdf(`run ${run} action ${sequence} ${Math.random()}`);
      const response = await u.as.upload(
        {
          facilityId,
          kind: u.kind,
          ...(u.counterparty ? { counterparty: u.counterparty } : {}),
          metadata: JSON.stringify(u.metadata),
        },
        { name: "document.pdf", type: "application/pdf", bytes },
      );
      statuses.push(response.status);
      if (response.status === 201) {
        uploadedBytes.push(bytes);
        accepted.push({ evidenceId: response.body.evidenceId, kind: u.kind, metadata: u.metadata });
      }
    }
    await waitFor(
      `both verdicts on run ${run}'s ${accepted.length} documents`,
      async () => {
        const verdicts = (
          await Promise.all(
            accepted.map((d) =>
              chainVerdicts(system.contracts.registry, d.evidenceId, VERIFIERS, leafFromNode(officer)),
            ),
          )
        ).flat();
        return verdicts.every((v) => v !== BigInt(Verdict.NONE));
      },
      60_000,
    );
    for (let index = 0; index < PLAN.length; index++) await pay(index);
    await system.provider.send("evm_increaseTime", [60]);
    await system.provider.send("evm_mine", []);
    const proposed = await officer.post(`/facilities/${facilityId}/reviews`, {});
    statuses.push(proposed.status);
    if (proposed.status === 201) {
      statuses.push((await inspector.post(`/approvals/${proposed.body.approval.id}/cosign`, {})).status);
    }
    return { facilityId, statuses, accepted };
  }

  /** The invariants, from the chain (and the nodes' APIs for what a document says). */
  async function check(run: Awaited<ReturnType<typeof runSequence>>) {
    const { manager, registry, token } = system.contracts;
    expect(
      run.statuses.filter((s) => s >= 500),
      `answers ${run.statuses.join(",")}`,
    ).to.deep.equal([]);
    const facilityId = BigInt(run.facilityId);
    for (const event of await manager.queryFilter(manager.filters.PaymentExecuted(facilityId))) {
      const { index, payee, amount, evidenceIds } = event.args;
      const planned = await manager.payment(facilityId, index);
      expect([payee, amount], "paid as planned").to.deep.equal([planned.payee, planned.amount]);
      const receipt = await event.getTransactionReceipt();
      const transfers = receipt.logs
        .filter((log) => getAddress(log.address) === getAddress(system.deployment.contracts.SettlementToken))
        .map((log) => token.interface.parseLog(log)!)
        .filter((log) => log.name === "Transfer");
      expect(
        transfers.map((t) => [t.args.to, t.args.value]),
        "money moved only to the payee",
      ).to.deep.equal([[payee, amount]]);
      expect(payee, "never the account the regulator does not bind").to.not.equal(address.X);
      for (const evidenceId of evidenceIds) {
        for (const verifier of VERIFIERS)
          expect(await registry.verdictOf(evidenceId, verifier), `${verifier} accepted ${evidenceId}`).to.equal(
            BigInt(Verdict.ACCEPT),
          );
        const [anchored] = await registry.queryFilter(registry.filters.EvidenceAnchored(evidenceId));
        expect(anchored.args.counterparty, "evidence names the payee").to.equal(payee);
        const document = (await officer.get(`/evidence/${evidenceId}`)).body;
        const firm = (Object.keys(FIRMS) as Payee[]).find((p) => address[p] === payee)!;
        expect(document.metadata.supplierLicence, "cites the payee's own licence").to.equal(FIRMS[firm].creditCode);
        consumed.push(evidenceId);
      }
    }
    // One document, one use: no two consumed evidences share bytes or a business identity.
    const documents = await Promise.all(consumed.map(async (id) => (await officer.get(`/evidence/${id}`)).body));
    const identities = documents.flatMap((d) => businessKeyOf(d.kind, d.counterparty, d.metadata) ?? []);
    expect(new Set(documents.map((d) => d.contentHash)).size, "distinct bytes").to.equal(documents.length);
    expect(new Set(identities).size, "distinct business identities").to.equal(identities.length);
    expect(await token.balanceOf(address.X), "the unbound account").to.equal(0n);

    // No discount or subsidy from a claim the regulator's records do not support: patents the registry gives the
    // borrower, and inspections of the borrower's own records at or above the 98% target.
    const state = await manager.facility(facilityId);
    const patents = new Set(
      run.accepted
        .filter((d) => d.kind === "PATENT_FILING" && /^CN2026P\d+$/.test(String(d.metadata.patentNumber)))
        .map((d) => d.metadata.patentNumber),
    );
    const goodInspection = run.accepted.some(
      (d) => d.kind === "INSPECTION_REPORT" && String(d.metadata.reportNumber).startsWith("R-GOOD-"),
    );
    const supported = (patents.size >= 2 ? 25 : 0) + (goodInspection ? 25 : 0);
    expect(Number(state.baseRateBps - state.rateBps), "discount supported by the records").to.be.at.most(supported);
    if (state.subsidyEligible) expect(goodInspection, "subsidy supported by the records").to.equal(true);
    return { discount: Number(state.baseRateBps - state.rateBps), paid: run.statuses.filter((s) => s === 200).length };
  }

  it("holds the invariants over random sequences of borrower, supplier and bank actions", async function () {
    let run = 0;
    const tally = { payments: 0, discounted: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 2, maxLength: 8 }), async (actions) => {
        const outcome = await check(await runSequence(actions, ++run));
        tally.payments = consumed.length;
        if (outcome.discount > 0) tally.discounted++;
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    console.log(
      `      ${run} sequences: ${tally.payments} evidence documents released payments, ${tally.discounted} facilities discounted`,
    );
  });
});
