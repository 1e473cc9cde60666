/** The demo's fixed parties and the regulator registry's later records of facility 1. */

/**
 * The demo's addresses are fixed, so the README's walk-through and examples/plan.json can name the seeded payees.
 * Nobody holds the payees' keys (they only receive). The borrower of facility 1 signs its own repayments, so its key
 * is published here for the development chain only (keccak256 of "qfm demo borrower: Ningbo Yongxin Bearings";
 * scripts/lib/demo-deposits.ts checks it gives the address); the dashboard's demo login carries it.
 */
export const DEMO_PAYEES = {
  equipment: "0x5A0b54D5dc17e0AadC383d2db43B0a0D3E029c4c",
  materials: "0xD5D4b6930B761Fcc91D5aF71040cc3947C020C61",
  lab: "0x29c7a0DF08fb44799959E6254b9FF4286c9083c3",
} as const;
export const DEMO_BORROWERS = {
  yongxin: "0xd4FAc08147Aa7Af6c93946Afb3C1b3337b02FAb3",
  cixi: "0x358940C080171621764b3c84c9E681552cA8B5D5",
} as const;

export const DEMO_SIGNER_KEYS = {
  yongxin: "0x73e02376e865a8bbf47b5a75a6888ecd065e1615293fa16c11d8166c51e6fdd1",
} as const;

export const SUPPLIER = "91330200MA2H8K3X1Y";

/**
 * Whom the demo borrower's and supplier's keys act for: the borrower of facility 1 (Ningbo Yongxin Bearings) and the
 * equipment vendor it pays (scripts/start.ts binds the demo keys to these).
 */
export const DEMO_SUBJECTS = {
  borrower: { address: DEMO_BORROWERS.yongxin, creditCode: "91330206MA2AAAAA1X" },
  supplier: { address: DEMO_PAYEES.equipment },
} as const;
export const MATERIALS = "91330201MA2J4L7P2Q";
export const LAB = "CNAS-L12345";

/** Facility 1's patents of its second and third quarters (the first quarter's are in seed/regulator-registry.json). */
export const LATER_PATENTS: Record<number, string[]> = {
  2: ["CN202620210001.2", "CN202620210002.0"],
  3: ["CN202620310001.5", "CN202620310002.3"],
};
const YONGXIN = { holder: "Ningbo Yongxin Bearings Co., Ltd.", holderCreditCode: "91330206MA2AAAAA1X" };
/** What the regulator's registry holds of them: the patents, and the inspection reports with the figures it measured. */
export const LATER_RECORDS = [
  ...Object.values(LATER_PATENTS)
    .flat()
    .map((reference) => ({
      type: "PATENT_FILING",
      reference,
      ...YONGXIN,
      data: { title: `Bearing patent ${reference}` },
    })),
  ...[
    [2, 11_880],
    [3, 11_700],
  ].map(([quarter, unitsPassed]) => ({
    type: "INSPECTION_RECORD",
    reference: `R-2026-Q${quarter}`,
    ...YONGXIN,
    outcome: unitsPassed * 10_000 >= 9_800 * 12_000 ? "PASS" : "FAIL",
    passRateBps: Math.floor((unitsPassed * 10_000) / 12_000),
    data: { unitsTested: 12_000, unitsPassed, lab: LAB },
  })),
];
