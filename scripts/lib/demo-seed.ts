/**
 * Seeds a realistic demo through the nodes' HTTP APIs (the same paths a bank officer and an inspector use):
 * payees, the regulator's white list with grades and radar scores, and two facilities —
 *   1. mid-life: payments made to suppliers and a lab, evidence verified by both nodes, quarterly reviews (a discount
 *      and subsidy eligibility, kept, then a quality slide that loses part of it);
 *   2. frozen after a failed regulator spot check.
 * Given a development chain's JSON-RPC URL (`urls.chain`), the demo lives a year: npm start's chain begins a year in
 * the past (anvil --timestamp) and the seed moves its clock a quarter at a time (evm_increaseTime, evm_mine), never
 * past the wall clock, so the facility shows quarters of interest, three reviews and a rate history in months.
 */

import { DEMO_QUARTER, SeedError, api, dateOf, devClock, until } from "./demo-client";
import { DEMO_BORROWERS, DEMO_PAYEES, LAB, LATER_PATENTS, LATER_RECORDS, MATERIALS, SUPPLIER } from "./demo-data";

type Log = (line: string) => void;

interface Keys {
  officer: string;
  inspector: string;
}

export async function seedDemo(
  urls: { bank: string; regulator: string; chain?: string },
  keys: Keys,
  log: Log,
): Promise<void> {
  const bank = api(urls.bank, keys.officer);
  const regulator = api(urls.regulator, keys.inspector);
  const clock = devClock(urls.chain);
  const opened = clock.enabled ? await clock.now() : 0;
  const payees = DEMO_PAYEES;
  log("registering payees on chain (equipment vendor, materials supplier, testing lab)…");
  await bank.post("/payees", {
    address: payees.equipment,
    name: "宁波精密数控设备有限公司 Ningbo Precision CNC Equipment",
    creditCode: SUPPLIER,
    category: "EQUIPMENT",
    licenceHash: `0x${"a1".repeat(32)}`,
  });
  await bank.post("/payees", {
    address: payees.materials,
    name: "浙江特种合金材料有限公司 Zhejiang Special Alloys",
    creditCode: MATERIALS,
    category: "MATERIALS",
    licenceHash: `0x${"a2".repeat(32)}`,
  });
  await bank.post("/payees", {
    address: payees.lab,
    name: "宁波市产品质量检验研究院 Ningbo Institute of Product Quality Inspection",
    creditCode: "12330200MB1234567X",
    category: "TESTING_CERT",
    licenceHash: `0x${"a3".repeat(32)}`,
  });

  log("importing the regulator's quality white list (grades and radar scores), signed and published to the bank…");
  await regulator.post("/whitelist/import", {
    source: "宁波市市场监管局 质量白名单 2026Q3",
    entries: [
      {
        creditCode: "91330206MA2AAAAA1X",
        name: "宁波甬鑫轴承有限公司 Ningbo Yongxin Bearings",
        grade: "B",
        credit: 86,
        management: 80,
        brand: 72,
        foundation: 84,
        innovation: 77,
      },
      {
        creditCode: "91330282MA2BBBBB2Y",
        name: "慈溪阀门厂 Cixi Valve Works",
        grade: "C",
        credit: 71,
        management: 66,
        brand: 58,
        foundation: 69,
        innovation: 52,
      },
      {
        creditCode: "91330212MA2CCCCC3Z",
        name: "宁波海天精工 Haitian Precision",
        grade: "A",
        credit: 95,
        management: 92,
        brand: 90,
        foundation: 93,
        innovation: 91,
      },
      {
        creditCode: "91330203MA2DDDDD4W",
        name: "余姚光电 Yuyao Optoelectronics",
        grade: "D",
        credit: 62,
        management: 60,
        brand: 55,
        foundation: 64,
        innovation: 70,
      },
    ],
  });

  const borrowerA = DEMO_BORROWERS.yongxin;
  const borrowerB = DEMO_BORROWERS.cixi;
  // The regulator binds each licence to the accounts its holder is paid at from these records, never from the bank's.
  log("recording the borrowers' and payees' chain accounts in the regulator's registry…");
  const known = (await regulator.get("/registry/records?type=FIRM_ACCOUNT")).items.map(
    (r: { reference: string }) => r.reference,
  );
  for (const [account, holder, holderCreditCode] of [
    [borrowerA, "Ningbo Yongxin Bearings Co., Ltd.", "91330206MA2AAAAA1X"],
    [borrowerB, "Cixi Valve Works", "91330282MA2BBBBB2Y"],
    [payees.equipment, "Ningbo Precision CNC Equipment Co., Ltd.", SUPPLIER],
    [payees.materials, "Zhejiang Special Alloys Materials Co., Ltd.", MATERIALS],
    [payees.lab, "Ningbo Institute of Product Quality Inspection", "12330200MB1234567X"],
  ]) {
    if (known.includes(account)) continue;
    await regulator.post("/registry/records", { type: "FIRM_ACCOUNT", reference: account, holder, holderCreditCode });
  }
  // The records behind the later quarters' evidence (the regulator checks each patent and report against them).
  const records = (await regulator.get("/registry/records")).items.map(
    (r: { type: string; reference: string }) => `${r.type}:${r.reference}`,
  );
  for (const record of LATER_RECORDS) {
    if (records.includes(`${record.type}:${record.reference}`)) continue;
    await regulator.post("/registry/records", record);
  }

  log(
    `creating facility 1 (Ningbo Yongxin Bearings, grade B, 10,000,000.00 CNY)${clock.enabled ? ` on ${dateOf(opened)}` : ""}…`,
  );
  const a = await bank.post("/facilities", {
    ...(clock.enabled ? { appliedAt: new Date(opened * 1000).toISOString() } : {}),
    borrower: borrowerA,
    borrowerName: "宁波甬鑫轴承有限公司 Ningbo Yongxin Bearings",
    creditCode: "91330206MA2AAAAA1X",
    creditLimit: "1000000000",
    plan: [
      {
        payee: payees.equipment,
        category: "EQUIPMENT",
        amount: "400000000",
        qualityPurpose: true,
        requiredEvidence: ["PURCHASE_CONTRACT", "INVOICE"],
        description: "CNC grinding line",
      },
      {
        payee: payees.lab,
        category: "TESTING_CERT",
        amount: "50000000",
        qualityPurpose: true,
        requiredEvidence: ["CERTIFICATION"],
        description: "IATF 16949 certification",
      },
      {
        payee: payees.materials,
        category: "MATERIALS",
        amount: "300000000",
        qualityPurpose: false,
        requiredEvidence: ["PURCHASE_CONTRACT", "DELIVERY_NOTE"],
        description: "bearing steel",
      },
      {
        payee: payees.materials,
        category: "MATERIALS",
        amount: "250000000",
        qualityPurpose: false,
        requiredEvidence: ["INVOICE"],
        description: "cage alloy",
      },
    ],
  });
  const idA = a.facilityId as string;

  log("uploading evidence for facility 1 (contracts, invoices, certificate, patents, inspection report)…");
  // Contracts, invoices, delivery notes and certificates name the payee they are with; patents and inspection
  // reports name the borrower (filled in by the node).
  const docs: Array<[string, object, string, string?]> = [
    [
      "PURCHASE_CONTRACT",
      { supplierLicence: SUPPLIER, contractNumber: "PC-2026-0101" },
      "equipment-contract",
      payees.equipment,
    ],
    ["INVOICE", { supplierLicence: SUPPLIER, invoiceNumber: "INV-88421" }, "equipment-invoice", payees.equipment],
    ["CERTIFICATION", { labLicence: LAB, certificate: "IATF16949-2026-118" }, "iatf-certificate", payees.lab],
    [
      "PURCHASE_CONTRACT",
      { supplierLicence: MATERIALS, contractNumber: "PC-2026-0102" },
      "steel-contract",
      payees.materials,
    ],
    ["DELIVERY_NOTE", { supplierLicence: MATERIALS, deliveryNumber: "DN-5531" }, "steel-delivery", payees.materials],
    ["PATENT_FILING", { patentNumber: "CN202610123456.7" }, "patent-cage"],
    ["PATENT_FILING", { patentNumber: "CN202610654321.0" }, "patent-fixture"],
    [
      "INSPECTION_REPORT",
      { labLicence: LAB, reportNumber: "R-2026-0917", unitsTested: 12000, unitsPassed: 11880 },
      "inspection-q3",
    ],
  ];
  for (const [kind, metadata, name, counterparty] of docs) await bank.upload(idA, kind, metadata, name, counterparty);

  log("waiting for both nodes to verify the evidence on chain…");
  for (const index of [0, 1, 2]) {
    await until(
      `payment ${index} of facility 1 to be ready`,
      async () => (await bank.get(`/facilities/${idA}/payments/${index}/readiness`)).ready,
    );
    await bank.post(`/facilities/${idA}/payments/${index}`);
    log(`  entrusted payment ${index} of facility 1 paid to its payee`);
  }

  // Every document uploaded so far anchored (on the chain's clock of its quarter) and verified by both nodes, before
  // the clock moves on: a review counts the evidence anchored in its period.
  let uploadedA = docs.length;
  const verifiedA = () =>
    until("every document of facility 1 to be anchored and verified by both nodes", async () => {
      const items = (await bank.get(`/facilities/${idA}/evidence`)).items as Array<{ verified: boolean }>;
      return items.length >= uploadedA && items.every((e) => e.verified);
    });
  await verifiedA();
  /** Facility 1's review of the quarter that ends at the chain's time, co-signed and applied on chain. */
  const reviewA = async (what: string) => {
    log(`running facility 1's quarterly review (${what})…`);
    // From where the last review ended (or the opening) to the chain's time: the period the regulator checks. The
    // bank node's scheduler may have proposed the quarter's review itself by now: then that one is co-signed.
    const review = await bank.post(`/facilities/${idA}/reviews`, {}).catch(async (error) => {
      if (!(error instanceof SeedError) || error.status !== 409) throw error;
      const pending = (await bank.get("/approvals?status=AWAITING_REGULATOR")).items.find(
        (a: { kind: string; facilityId: string }) => a.kind === "REVIEW" && a.facilityId === idA,
      );
      if (!pending) throw error;
      const proposed = (await bank.get(`/facilities/${idA}/reviews`)).items.find(
        (r: { approvalId: string | null }) => r.approvalId === pending.id,
      );
      return { approval: pending, report: proposed.decision };
    });
    await regulator.post(`/approvals/${review.approval.id}/cosign`);
    // Applied on chain before the clock moves on: the signatures' deadlines are in chain time.
    await until(
      `review ${review.approval.id} to be applied on chain`,
      async () => (await bank.get(`/approvals/${review.approval.id}`)).status === "APPLIED",
    );
    const d = review.report.decision;
    log(`  rate ${d.baseRateBps} → ${d.newRateBps} bps, subsidy eligible: ${d.subsidyEligible}`);
  };
  /** Moves the chain to the end of the facility's `n`th quarter (when it lives a year). */
  const quarterEnds = async (n: number) => {
    if (!clock.enabled) return;
    const at = await clock.advanceTo(opened + n * DEMO_QUARTER);
    log(`chain time moved to ${dateOf(at)} (quarter ${n} of facility 1)`);
  };
  /** The quarter's patents and inspection report of facility 1 (numbers of LATER_RECORDS). */
  const quarterEvidence = async (quarter: number, unitsPassed: number) => {
    log(`uploading facility 1's evidence of quarter ${quarter} (two patents, an inspection report)…`);
    for (const patent of LATER_PATENTS[quarter])
      await bank.upload(idA, "PATENT_FILING", { patentNumber: patent }, `patent-q${quarter}-${patent}`);
    uploadedA += LATER_PATENTS[quarter].length + 1;
    await bank.upload(
      idA,
      "INSPECTION_REPORT",
      { labLicence: LAB, reportNumber: `R-2026-Q${quarter}`, unitsTested: 12000, unitsPassed },
      `inspection-q${quarter}`,
    );
    await verifiedA();
  };

  if (!clock.enabled) await reviewA("patents and pass rate met → discount");
  else {
    await quarterEnds(1);
    await reviewA("patents and pass rate met → discount and subsidy");
    await quarterEvidence(2, 11_880);
  }

  const openedB = clock.enabled ? await clock.now() : 0;
  log(
    `creating facility 2 (Cixi Valve Works, grade C, 3,000,000.00 CNY)${clock.enabled ? ` on ${dateOf(openedB)}` : ""}…`,
  );
  const b = await bank.post("/facilities", {
    ...(clock.enabled ? { appliedAt: new Date(openedB * 1000).toISOString() } : {}),
    borrower: borrowerB,
    borrowerName: "慈溪阀门厂 Cixi Valve Works",
    creditCode: "91330282MA2BBBBB2Y",
    creditLimit: "300000000",
    plan: [
      {
        payee: payees.lab,
        category: "TESTING_CERT",
        amount: "100000000",
        qualityPurpose: true,
        requiredEvidence: ["INSPECTION_REPORT"],
        description: "pressure testing",
      },
      {
        payee: payees.materials,
        category: "MATERIALS",
        amount: "150000000",
        qualityPurpose: false,
        requiredEvidence: ["INVOICE"],
        description: "castings",
      },
    ],
  });
  const idB = b.facilityId as string;
  await bank.upload(
    idB,
    "INSPECTION_REPORT",
    { labLicence: LAB, reportNumber: "R-2026-1002", unitsTested: 800, unitsPassed: 790 },
    "valve-inspection",
  );
  await until(
    "facility 2's first payment to be ready",
    async () => (await bank.get(`/facilities/${idB}/payments/0/readiness`)).ready,
  );
  await bank.post(`/facilities/${idB}/payments/0`);
  log("recording a failed regulator spot check on facility 2 (freezes it on chain)…");
  await regulator.post("/spot-checks", {
    facilityId: idB,
    result: "FAIL",
    reportNumber: "NB-SC-2026-0043",
    findings: "pass rate 91.2% below the 98% standard",
  });
  await until(
    "facility 2 to be frozen on chain",
    async () => (await bank.get(`/facilities/${idB}`)).status === "FROZEN",
  );

  if (!clock.enabled) {
    log("demo seeded: facility 1 active with a discount, facility 2 frozen");
    return;
  }
  await quarterEnds(2);
  await reviewA("targets met again → discount and subsidy kept");
  // The third quarter's pass rate slips under 98%: the discount for it and the subsidy are lost (quality slide).
  await quarterEvidence(3, 11_700);
  await quarterEnds(3);
  await reviewA("patents met, pass rate 97.50% missed → part of the discount and the subsidy lost");
  const now = await clock.advanceTo(opened + 4 * DEMO_QUARTER);
  log(
    `chain time moved to ${dateOf(now)}: the fourth quarter runs (its review is due at ${dateOf(opened + 4 * DEMO_QUARTER)})`,
  );
  log("demo seeded: facility 1 a year into its loan with three reviews, facility 2 frozen");
}

export { DEMO_QUARTER, SeedError };
export { DEMO_BORROWERS, DEMO_PAYEES, DEMO_SIGNER_KEYS, DEMO_SUBJECTS } from "./demo-data";
