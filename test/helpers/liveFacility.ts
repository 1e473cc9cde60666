import { expect } from "chai";
import { Wallet } from "ethers";
import type { client } from "./processes";

/**
 * Puts chain accounts on the regulator's record (FIRM_ACCOUNT) as held by the firms with these credit codes: the
 * regulator binds a payee-kind document's licence to the payee account from these records, never from the bank's.
 */
export async function recordAccounts(
  inspector: ReturnType<typeof client>,
  accounts: Array<[account: string, holderCreditCode: string]>,
): Promise<void> {
  for (const [account, holderCreditCode] of accounts) {
    const recorded = await inspector.post("/registry/records", {
      type: "FIRM_ACCOUNT",
      reference: account,
      holder: `firm ${holderCreditCode}`,
      holderCreditCode,
    });
    expect(recorded.status, JSON.stringify(recorded.body)).to.equal(201);
  }
}

/** The account openFacility's borrower (credit code 91330206MA2AAAAA1X) borrows from, the same for every facility. */
const BORROWER_ACCOUNT = Wallet.createRandom().address;

/** The supplier licence the seeded regulator registry knows (seed/regulator-registry.json), used as its credit code. */
export const LICENSED_SUPPLIER = "91330200MA2H8K3X1Y";

/**
 * Opens a facility on a live bank node, as evidence now needs one: a registered payee whose credit code is the
 * registry's supplier licence, the borrower graded C (or as the regulator's white list says), and a plan of one payment to that payee requiring every
 * payee kind (so an upload of any kind for it names that payee without saying so). With `inspector` (a regulator
 * key on the regulator node), the payee's account is put on the regulator's record as the licence holder's, so the
 * regulator can bind the licence to it. Returns its id and payee.
 */
export async function openFacility(
  officer: ReturnType<typeof client>,
  options: { creditCode?: string; borrower?: string; inspector?: ReturnType<typeof client> } = {},
): Promise<{ facilityId: string; payee: string; borrower: string }> {
  const creditCode = options.creditCode ?? LICENSED_SUPPLIER;
  // One payee per credit code on a node (a second is refused): a later facility pays the one registered first.
  const known = await officer.get("/payees");
  expect(known.status, JSON.stringify(known.body)).to.equal(200);
  let payee: string = known.body.items.find((p: { creditCode: string }) => p.creditCode === creditCode)?.address;
  if (!payee) {
    payee = Wallet.createRandom().address;
    if (options.inspector) await recordAccounts(options.inspector, [[payee, creditCode]]);
    const registered = await officer.post("/payees", {
      address: payee,
      name: `Supplier ${payee.slice(2, 8)}`,
      creditCode,
      category: "EQUIPMENT",
      licenceHash: `0x${"ab".repeat(32)}`,
    });
    expect(registered.status, JSON.stringify(registered.body)).to.equal(201);
  }
  // One chain account per borrower credit code on a node: the same borrower each time unless one is given.
  const borrower = options.borrower ?? BORROWER_ACCOUNT;
  const borrowerCode = "91330206MA2AAAAA1X";
  // The white list is the regulator's (a bank key cannot import it): without a regulator node the grade is given.
  const created = await officer.post("/facilities", {
    borrower,
    borrowerName: "Ningbo Yongxin Bearings",
    creditCode: borrowerCode,
    grade: "C",
    creditLimit: "100000000",
    plan: [
      {
        payee,
        category: "EQUIPMENT",
        amount: "50000000",
        qualityPurpose: true,
        requiredEvidence: ["PURCHASE_CONTRACT", "INVOICE", "DELIVERY_NOTE", "CERTIFICATION"],
      },
    ],
  });
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  return { facilityId: String(created.body.facilityId), payee, borrower };
}
