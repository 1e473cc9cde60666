import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import type { Role } from "../../server/auth/roles";
import { ENUMS } from "../../web/src/enums";
import { browserSessions, ensureWebBuilt, launchBrowser, screenshot, untranslated, WEB_DIST } from "../helpers/browser";
import { DAY, startLiveLoan, type LiveLoan } from "../helpers/liveLoan";

/**
 * The end of a loan in the dashboard, in real Chromium against real processes (test/helpers/liveLoan.ts; the bank
 * node serves web/dist): the borrower repays in its own browser, signing with its own key (a demo login carries it),
 * and is refused more than it owes in Chinese; the fiscal account pays the subsidy due; the bank officer closes the
 * repaid facility and withdraws its balance to the treasury. Run `npm run build:web` first.
 */
describe("web dashboard: repayment, subsidy, closing and withdrawal in Chromium", function () {
  this.timeout(600_000);
  let loan: LiveLoan;
  let browser: Browser;
  const sessions = browserSessions(
    () => browser,
    () => loan.bank.url,
  );

  before(async function () {
    ensureWebBuilt();
    loan = await startLiveLoan("web-settlement", (keys, dir) => {
      const logins = path.join(dir, "demo-logins.json");
      fs.writeFileSync(
        logins,
        JSON.stringify([
          { role: "bank_officer", label: "Ningbo Bank credit officer", bankKey: keys.officer },
          { role: "borrower", label: "Ningbo Yongxin Bearings", bankKey: keys.borrower, signerKey: "" },
          { role: "fiscal", label: "Ningbo Finance Bureau", bankKey: keys.fiscal, signerKey: "" },
        ]),
      );
      return { WEB_DIR: WEB_DIST, DEMO_LOGINS_FILE: logins };
    });
    // The payers' chain keys ride on their demo logins (development chain only): the browser signs with them.
    const file = loan.bank.env.DEMO_LOGINS_FILE;
    const logins = JSON.parse(fs.readFileSync(file, "utf8"));
    logins[1].signerKey = loan.borrower.privateKey;
    logins[2].signerKey = loan.fiscal.privateKey;
    fs.writeFileSync(file, JSON.stringify(logins));
    await loan.at(loan.t0 + 180 * DAY);
    browser = await launchBrowser();
  });

  after(async function () {
    await browser?.close();
    await loan?.stop();
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") await sessions.dump();
    await sessions.closeAll();
  });

  const loginAs = (role: Role, lang: "zh" | "en"): Promise<Page> => sessions.loginAs(role, { lang });
  const balanceOf = (address: string) => loan.token.balanceOf(address);

  it("borrower (中文): refused more than it owes, repays 1,000.00, then everything owed, signed in its browser", async function () {
    const page = await loginAs("borrower", "zh");
    const form = page.getByTestId("repay-form");
    await form.waitFor();
    expect(await page.getByTestId("owed-borrower").innerText()).to.match(/^¥40\d,\d{3}\.\d\d$/);
    await form.locator('input[name="inFull"]').uncheck();
    await form.locator('input[name="amount"]').fill("9,000,000.00");
    await form.getByRole("button").click();
    await page.getByTestId("repay-result").getByText("（HTTP 422）").waitFor();
    expect(await page.getByTestId("repay-result").innerText()).to.equal(
      `${ENUMS.problem.repayment_exceeds_debt[0]}（HTTP 422）`,
    );

    const before = await balanceOf(loan.borrower.address);
    await form.locator('input[name="amount"]').fill("1,000.00");
    await form.getByRole("button").click();
    await page.locator('[data-testid="repay-result"][data-tx^="0x"]').waitFor({ timeout: 60_000 });
    expect(await balanceOf(loan.borrower.address)).to.equal(before - 100_000n);

    await form.locator('input[name="inFull"]').check();
    await form.getByRole("button").click();
    await page.getByText("本息已全部还清").waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("owed-borrower").innerText()).to.equal("¥0.00");
    expect((await loan.manager.outstanding(loan.facilityId)).map(String)).to.deep.equal(["0", "0"]);
    expect(await untranslated(page)).to.deep.equal([]);
    expect(sessions.pageErrors).to.deep.equal([]);
    await screenshot(page, "borrower-repaid-zh.png");
  });

  it("fiscal account (中文): pays the subsidy due from its own account, signed in its browser", async function () {
    const page = await loginAs("fiscal", "zh");
    const form = page.getByTestId("subsidy-form");
    await form.waitFor();
    const due = await loan.manager.subsidyDue(loan.facilityId);
    expect(due > 0n).to.equal(true);
    const before = await balanceOf(loan.fiscal.address);
    await form.getByRole("button").click();
    await page.getByText("暂无应付贴息").waitFor({ timeout: 60_000 });
    // Nothing accrues once the principal is repaid: the due read before is what was paid.
    expect(await balanceOf(loan.fiscal.address)).to.equal(before - due);
    expect(await page.getByTestId("owed-fiscal").innerText()).to.equal("¥0.00");
    expect(await untranslated(page)).to.deep.equal([]);
    expect(sessions.pageErrors).to.deep.equal([]);
    await screenshot(page, "fiscal-subsidy-zh.png");
  });

  it("bank officer: closes the repaid facility and withdraws its whole balance to the treasury", async function () {
    const page = await loginAs("bank_officer", "en");
    await page.getByTestId(`open-facility-${loan.facilityId}`).click();
    const card = page.getByTestId("settlement");
    await card.waitFor();
    const balance = (await loan.manager.facility(loan.facilityId)).balance;
    const before = await balanceOf(loan.treasury);
    await card.getByTestId("close-facility").click();
    await card.locator('[data-testid="settlement-result"][data-tx^="0x"]').waitFor({ timeout: 60_000 });
    expect((await loan.manager.facility(loan.facilityId)).status).to.equal(3n);
    await card.getByTestId("withdraw-form").getByRole("button").click();
    await card.getByTestId("settlement-balance").getByText("¥0.00").waitFor({ timeout: 60_000 });
    expect(await balanceOf(loan.treasury)).to.equal(before + balance);
    expect(await card.getByTestId("close-facility").isDisabled()).to.equal(true);
    // A closed facility takes no review, upload or payment.
    expect(await page.getByTestId("review-form").count()).to.equal(0);
    expect(await page.getByTestId("upload-form").count()).to.equal(0);
    expect(await page.locator('[data-testid^="pay-"]').count()).to.equal(0);
    await screenshot(page, "bank-settlement.png");
  });
});
