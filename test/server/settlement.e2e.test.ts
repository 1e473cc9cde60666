import { expect } from "chai";
import { Wallet, type HDNodeWallet } from "ethers";
import { signOrderRequest, type OrderRequest } from "../../server/chain/payer-orders";
import { DAY, startLiveLoan, type LiveLoan } from "../helpers/liveLoan";

/** ACT/360 by hand: principal × bps × seconds / (10,000 × 360 × 86,400), rounded down. */
const act360 = (principal: bigint, bps: number, seconds: bigint) =>
  (principal * BigInt(bps) * seconds) / (10_000n * 360n * 86_400n);

/**
 * The end of a loan through the bank node's API, against real processes (test/helpers/liveLoan.ts: a 400,000.00 CNY
 * facility drawn at t0, subsidy-eligible from its day-90 review; now day 180): the statement at chain time, the
 * borrower's repayments and the fiscal account's subsidy payment on their own signed orders, and what is refused —
 * a repayment the bank signed for the borrower, more than owed, more subsidy than due, closing while owed, a
 * withdrawal over the balance, roles that may not, another tenant's facility — then closing and withdrawal.
 */
describe("the end of a loan: repayment, subsidy, closing and withdrawal, end to end", function () {
  this.timeout(600_000);
  let loan: LiveLoan;
  let id: string;

  before(async function () {
    loan = await startLiveLoan("settlement");
    id = loan.facilityId;
    await loan.at(loan.t0 + 180 * DAY);
  });

  after(async function () {
    await loan?.stop();
  });

  /** Prepares an order as `who`, has `signer` sign it, and submits it as `who`. */
  async function signedPayment(
    who: "borrower" | "officer" | "fiscal",
    path: string,
    amount: bigint | "in full",
    signer: Wallet | HDNodeWallet,
  ) {
    const prepared = await loan
      .as(who)
      .post(`/facilities/${id}/${path}/order`, amount === "in full" ? { inFull: true } : { amount: amount.toString() });
    expect(prepared.status, JSON.stringify(prepared.body)).to.equal(200);
    const request = prepared.body as OrderRequest;
    const signatures = await signOrderRequest(signer, request);
    const body = { amount: request.amount, inFull: request.inFull, deadline: request.deadline, ...signatures };
    lastOrder = { path, body };
    return loan.as(who).post(`/facilities/${id}/${path}`, body);
  }
  /** The last signed order sent, to send again. */
  let lastOrder: { path: string; body: Record<string, unknown> };
  const statement = async () => {
    const response = await loan.as("officer").get(`/facilities/${id}/statement`);
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    return response.body;
  };
  const balanceOf = (address: string) => loan.token.balanceOf(address);

  it("states what the borrower and the fiscal account owe at chain time, as the chain's views say", async function () {
    const response = await loan.as("borrower").get(`/facilities/${id}/statement`);
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    const s = response.body;
    const block = (await loan.provider.getBlock(s.blockNumber))!;
    expect(s.at).to.equal(new Date(block.timestamp * 1000).toISOString());
    const [principal, interestDue] = await loan.manager.outstanding(id, { blockTag: s.blockNumber });
    const subsidyDue = await loan.manager.subsidyDue(id, { blockTag: s.blockNumber });
    expect(s.owedBy.borrower).to.deep.include({
      principal: "40000000",
      interest: interestDue.toString(),
      total: (principal + interestDue).toString(),
    });
    expect(s.owedBy.fiscal.subsidy).to.equal(subsidyDue.toString());
    expect(subsidyDue > 0n, "subsidy accrues after the review").to.equal(true);
    // The first segment, t0 to the review, at the base rate of 435 bps, by hand.
    const first = s.segments[0];
    const seconds = BigInt((Date.parse(first.to) - Date.parse(first.from)) / 1000);
    expect(Date.parse(first.from) / 1000).to.equal(loan.t0);
    expect(first.interest).to.equal(act360(40_000_000n, 435, seconds).toString());
    expect(s).to.include({ status: "ACTIVE", closable: false, subsidyEligible: true });
  });

  it("shows a statement to no supplier (403) and no other borrower (404, as if it did not exist)", async function () {
    expect((await loan.as("supplier").get(`/facilities/${id}/statement`)).status).to.equal(403);
    const other = await loan.as("otherBorrower").get(`/facilities/${id}/statement`);
    expect(other.status).to.equal(404);
    expect(other.body.code).to.equal("not_found");
    expect(
      (await loan.as("otherBorrower").post(`/facilities/${id}/repayments/order`, { amount: "1" })).status,
    ).to.equal(404);
  });

  it("refuses a repayment the bank signed in the borrower's place; the borrower's tokens do not move", async function () {
    const before = await balanceOf(loan.borrower.address);
    const nonce = await loan.manager.nonces(loan.borrower.address);
    const forged = await signedPayment("officer", "repayments", 1_000_000n, Wallet.createRandom());
    expect(forged.status, JSON.stringify(forged.body)).to.equal(422);
    expect(forged.body.code).to.equal("payer_signature_invalid");
    expect(forged.body.detail).to.include(`signed by the facility's borrower ${loan.borrower.address}`);
    expect(await balanceOf(loan.borrower.address)).to.equal(before);
    expect(await loan.manager.nonces(loan.borrower.address)).to.equal(nonce);
  });

  it("refuses more than is owed, naming the principal and the interest", async function () {
    const response = await loan.as("borrower").post(`/facilities/${id}/repayments/order`, { amount: "50000000" });
    expect(response.status).to.equal(422);
    expect(response.body.code).to.equal("repayment_exceeds_debt");
    expect(response.body.detail).to.match(/is owed [\d.]+ CNY by its borrower \(principal 400000\.00 CNY, interest/);
  });

  it("lets no borrower pay subsidy, close or withdraw, and no supplier repay (403)", async function () {
    const borrower = loan.as("borrower");
    expect((await borrower.post(`/facilities/${id}/subsidy/order`, { amount: "1" })).status).to.equal(403);
    expect((await borrower.post(`/facilities/${id}/close`, {})).status).to.equal(403);
    expect((await borrower.post(`/facilities/${id}/withdraw`, {})).status).to.equal(403);
    expect((await loan.as("supplier").post(`/facilities/${id}/repayments/order`, { amount: "1" })).status).to.equal(
      403,
    );
  });

  it("repays 100,000.00 CNY from the borrower's own account: interest first, then principal", async function () {
    const before = await balanceOf(loan.borrower.address);
    const response = await signedPayment("borrower", "repayments", 10_000_000n, loan.borrower);
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    expect(response.body).to.include({ payer: loan.borrower.address, amount: "10000000" });
    expect(await balanceOf(loan.borrower.address)).to.equal(before - 10_000_000n);
    // The same signed order again (a replay, or a client's retry): its nonce is used; nothing moves.
    const replayed = await loan.as("officer").post(`/facilities/${id}/${lastOrder.path}`, lastOrder.body);
    expect(replayed.status, JSON.stringify(replayed.body)).to.equal(422);
    expect(replayed.body.code).to.equal("payer_signature_invalid");
    expect(await balanceOf(loan.borrower.address)).to.equal(before - 10_000_000n);
    const s = await statement();
    expect(s.repayments).to.have.length(1);
    const [repaid] = s.repayments;
    expect(repaid).to.include({ payer: loan.borrower.address, txHash: response.body.txHash });
    expect(BigInt(repaid.interestPaid) + BigInt(repaid.principalPaid)).to.equal(10_000_000n);
    expect(s.principal).to.equal((40_000_000n - BigInt(repaid.principalPaid)).toString());
    expect(s.interestDue).to.equal("0");
  });

  it("refuses subsidy over the due, then takes the due from the fiscal account's own tokens", async function () {
    const due = BigInt((await statement()).subsidyDue);
    const over = await loan.as("fiscal").post(`/facilities/${id}/subsidy/order`, { amount: (due + 100n).toString() });
    expect(over.status).to.equal(422);
    expect(over.body.code).to.equal("subsidy_exceeds_due");
    const before = await balanceOf(loan.fiscal.address);
    const paid = await signedPayment("fiscal", "subsidy", due, loan.fiscal);
    expect(paid.status, JSON.stringify(paid.body)).to.equal(200);
    expect(await balanceOf(loan.fiscal.address)).to.equal(before - due);
    const s = await statement();
    expect(s.subsidyPaid).to.equal(due.toString());
    expect(s.subsidyPayments.map((p: any) => p.amount)).to.deep.equal([due.toString()]);
  });

  it("refuses closing while principal is owed (409) and a withdrawal over the balance (422)", async function () {
    const close = await loan.as("officer").post(`/facilities/${id}/close`, {});
    expect(close.status).to.equal(409);
    expect(close.body.code).to.equal("outstanding_debt");
    expect(close.body.detail).to.match(/still owes [\d.]+ CNY \(principal [\d.]+ CNY, interest [\d.]+ CNY\)/);
    const { balance } = await statement();
    const over = await loan
      .as("officer")
      .post(`/facilities/${id}/withdraw`, { amount: (BigInt(balance) + 1n).toString() });
    expect(over.status).to.equal(422);
    expect(over.body.code).to.equal("insufficient_funds");
  });

  it("repays the rest, closes the facility, and withdraws its whole balance to the treasury", async function () {
    // In full: the order's amount is a ceiling, and what is owed when it lands (interest grows by the second) is paid.
    const owed = BigInt((await statement()).amountOwed);
    const held = await balanceOf(loan.borrower.address);
    const response = await signedPayment("borrower", "repayments", "in full", loan.borrower);
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    expect(response.body.inFull).to.equal(true);
    const repaid = await statement();
    const paid = held - (await balanceOf(loan.borrower.address));
    expect(paid >= owed && paid < owed + 100n, `paid ${paid} of ${owed} owed`).to.equal(true);
    const last = repaid.repayments[repaid.repayments.length - 1];
    expect(BigInt(last.interestPaid) + BigInt(last.principalPaid)).to.equal(paid);
    const nothing = await loan.as("borrower").post(`/facilities/${id}/repayments/order`, { inFull: true });
    expect(nothing.status).to.equal(422);
    expect(nothing.body.code).to.equal("nothing_owed");
    expect(repaid).to.include({ amountOwed: "0", principal: "0", closable: true });

    const closed = await loan.as("officer").post(`/facilities/${id}/close`, {});
    expect(closed.status, JSON.stringify(closed.body)).to.equal(200);
    expect((await statement()).status).to.equal("CLOSED");
    const again = await loan.as("officer").post(`/facilities/${id}/close`, {});
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal("facility_is_closed");

    const { balance } = await statement();
    const before = await balanceOf(loan.treasury);
    const withdrawn = await loan.as("officer").post(`/facilities/${id}/withdraw`, {});
    expect(withdrawn.status, JSON.stringify(withdrawn.body)).to.equal(200);
    expect(withdrawn.body).to.include({ amount: balance, to: loan.treasury });
    expect(await balanceOf(loan.treasury)).to.equal(before + BigInt(balance));
    const after = await statement();
    expect(after.balance).to.equal("0");
    expect(after.withdrawals.map((w: any) => w.amount)).to.deep.equal([balance]);
    const empty = await loan.as("officer").post(`/facilities/${id}/withdraw`, {});
    expect(empty.status).to.equal(422);
    expect(empty.body.code).to.equal("zero_amount");
  });
});
