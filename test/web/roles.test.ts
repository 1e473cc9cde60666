import { expect } from "chai";
import { screenshot, untranslated } from "../helpers/browser";
import { liveDemoInChromium, type LiveDemo } from "../helpers/liveDemo";
import { waitFor } from "../helpers/processes";

const DAY = 86_400;
const pdf = (text: string) => ({
  name: `${text}.pdf`,
  mimeType: "application/pdf",
  buffer: Buffer.from(`%PDF-1.7\n% ${text}\n%%EOF\n`),
});

/**
 * Each role's work that ends on chain, in Chromium against live processes (test/helpers/liveDemo.ts), in both
 * languages: the regulator sees every figure of a review before its co-sign button; the inspector opens a facility's
 * audit and spot checks; a frozen facility is unfrozen by the bank's proposal and the regulator's co-signature after a
 * passing re-inspection; an upload whose licence is not the payee's is rejected with its reason on the bank's
 * timeline, an honest one (the form fills in the payee's licence) releases the payment with the evidence chosen. The
 * pages refresh themselves: no step reloads a page to see what the chain did.
 */
describe("web dashboard: each role's work on chain, in Chromium", function () {
  this.timeout(600_000);
  const suite = liveDemoInChromium("web-roles");
  const { sessions } = suite;
  let demo: LiveDemo;
  before(() => void (demo = suite.demo()));

  const facility = async (id: string) => (await demo.officer.get(`/facilities/${id}`)).body;

  it("regulator (中文): a review shows its period, targets, measured values, records, rate and subsidy before the co-sign button; co-signing applies it", async function () {
    await demo.advance(30 * DAY);
    const proposed = await demo.officer.post("/facilities/1/reviews", {});
    expect(proposed.status, JSON.stringify(proposed.body)).to.equal(201);
    const report = proposed.body.report;
    const nonce = (await facility("1")).chain.reviewNonce;

    const page = await sessions.loginAs("regulator", { lang: "zh" });
    const card = page.locator('[data-testid="approval"][data-kind="REVIEW"]');
    await card.getByTestId("review-figures").waitFor({ timeout: 30_000 });
    expect(await card.getByTestId("review-period").innerText()).to.match(
      /^期间: \d{4}年\d+月\d+日 .+ – \d{4}年\d+月\d+日/,
    );
    const pct = (bps: number) => `${(bps / 100).toFixed(2)}%`;
    expect(await card.getByTestId("review-rate").innerText())
      .to.include(`利率 ${pct(report.decision.baseRateBps)} → ${pct(report.decision.newRateBps)}`)
      .and.match(/贴息资格: (是|否) → (是|否)$/);
    expect(await card.getByTestId("review-subsidy").innerText()).to.equal(
      report.decision.subsidyEligible ? "是" : "否",
    );
    // Each target of the report, with the value measured and the records it was measured from.
    const rows = card.getByTestId("target");
    expect(await rows.count()).to.equal(report.decision.targets.length);
    for (let i = 0; i < report.decision.targets.length; i++) {
      const target = report.decision.targets[i];
      const row = rows.nth(i);
      expect(await row.innerText()).to.include(target.label.zh);
      const actual = await row.getByTestId("target-actual").innerText();
      expect(actual, target.metric).to.match(target.actual === null ? /^本期无数据$/ : /\d/);
      const records = report.metrics.metrics[target.metric].evidenceIds.length;
      expect(await row.getByTestId("target-records").locator("li").count()).to.equal(records);
    }
    // The figures come before the button.
    const figures = await card.getByTestId("review-figures").boundingBox();
    const button = await card.getByTestId("cosign").boundingBox();
    expect(figures!.y + figures!.height).to.be.at.most(button!.y);
    expect(await untranslated(page)).to.deep.equal([]);
    await screenshot(page, "regulator-cosign-zh.png");

    await card.getByTestId("cosign").click();
    await page
      .getByTestId("cosign-result")
      .waitFor({ timeout: 60_000 })
      .catch(() => undefined);
    await waitFor(
      "the review applied on chain",
      async () => (await facility("1")).chain.reviewNonce === nonce + 1,
      60_000,
      500,
    );
    expect((await facility("1")).chain.rateBps).to.equal(report.decision.newRateBps);
    // The card leaves the list by itself once the chain applied it.
    await page.locator('[data-testid="approval"][data-kind="REVIEW"]').waitFor({ state: "detached", timeout: 30_000 });
    expect(sessions.pageErrors).to.deep.equal([]);
  });

  it("inspector (English): opens a facility from its list, with its audit from the chain and its spot-check history", async function () {
    const page = await sessions.loginAs("regulator");
    await page.getByTestId("reg-open-2").click();
    await page.getByTestId("facility-detail").waitFor();
    await page.getByTestId("audit-freezes").waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("audit-freezes").innerText()).to.equal("1");
    expect(await page.getByTestId("audit-freeze-list").innerText()).to.include("still frozen");
    const checks = page.getByTestId("spot-check-row");
    await checks.first().waitFor();
    expect(await checks.first().innerText()).to.include("Fail");
    // No entrusted payment, upload or review form for the inspector.
    expect(await page.locator('[data-testid^="pay-"]').count()).to.equal(0);
    expect(await page.getByTestId("review-form").count()).to.equal(0);
    await screenshot(page, "inspector-facility.png");
  });

  it("bank officer and regulator (中文): a frozen facility is proposed for unfreezing, co-signed after a passing re-inspection, and shows Active by itself", async function () {
    const bank = await sessions.loginAs("bank_officer", { lang: "zh" });
    await bank.getByTestId("open-facility-2").click();
    const card = bank.getByTestId("unfreeze");
    await card.getByTestId("unfreeze-form").waitFor({ timeout: 30_000 });
    // An empty reason is asked for in the page; nothing is sent.
    await card.locator("button[type=submit]").click();
    expect(await card.getByTestId("unfreeze-result").innerText()).to.equal("请填写原因");
    await card.locator("textarea[name=reason]").fill("已完成整改：更换热处理供应商，复检合格");
    await card.locator("button[type=submit]").click();
    await card.locator('[data-testid="unfreeze-proposal"][data-status="AWAITING_REGULATOR"]').waitFor();
    expect(await card.getByTestId("unfreeze-form").count()).to.equal(0);
    expect(await untranslated(bank)).to.deep.equal([]);

    // Without a passing re-inspection the regulator's node refuses, and says why, in Chinese.
    const regulator = await sessions.loginAs("regulator", { lang: "zh" });
    const approval = regulator.locator('[data-testid="approval"][data-kind="UNFREEZE"]');
    await approval.getByTestId("unfreeze-figures").waitFor({ timeout: 30_000 });
    expect(await approval.getByTestId("spot-check-row").first().innerText()).to.include("不合格");
    await approval.getByTestId("cosign").click();
    await approval.getByTestId("cosign-result").getByText("被拒绝").waitFor({ timeout: 60_000 });
    await approval.getByTestId("last-refusal").waitFor({ timeout: 30_000 });
    expect(await approval.getByTestId("last-refusal").innerText()).to.include("尚无合格的复检记录");
    expect(await untranslated(regulator)).to.deep.equal([]);

    // The inspector re-inspects (a passing record of the borrower in the registry), then co-signs.
    const recheck = await demo.inspector.post("/spot-checks", {
      facilityId: "2",
      result: "PASS",
      reportNumber: "R-2026-1002",
      findings: "复检合格",
    });
    expect(recheck.status, JSON.stringify(recheck.body)).to.equal(201);
    // The card reads the spot checks again by itself: the re-inspection appears before the co-signature.
    await approval.getByTestId("spot-check-row").filter({ hasText: "R-2026-1002" }).waitFor({ timeout: 30_000 });
    await approval.getByTestId("cosign").click();
    await waitFor("facility 2 active on chain", async () => (await facility("2")).status === "ACTIVE", 60_000, 500);
    // The bank's page, never reloaded, shows it.
    await bank
      .getByTestId("facility-detail")
      .locator('.kpis [data-status="ACTIVE"]')
      .first()
      .waitFor({ timeout: 30_000 });
    await card.waitFor({ state: "detached", timeout: 30_000 });
    expect(sessions.pageErrors).to.deep.equal([]);
  });

  it("bank officer (English, then 中文): a forged licence is rejected with its reason on the timeline; an honest invoice releases the payment with the evidence chosen", async function () {
    const page = await sessions.loginAs("bank_officer");
    await page.getByTestId("open-facility-2").click();
    const form = page.getByTestId("upload-form");
    await form.waitFor();
    const payees: any[] = (await demo.officer.get("/payees")).body.items;
    const alloys = payees.find((p) => p.name.includes("Zhejiang Special Alloys"));
    const cnc = payees.find((p) => p.category === "EQUIPMENT");
    const upload = async (invoiceNumber: string, licence?: string) => {
      await form.locator("select[name=kind]").selectOption("INVOICE");
      await form.locator("select[name=counterparty]").selectOption(alloys.address);
      // The invoice form fills in the chosen payee's licence, which the regulator checks.
      expect(await form.locator("input[name=supplierLicence]").inputValue()).to.equal(alloys.creditCode);
      if (licence) await form.locator("input[name=supplierLicence]").fill(licence);
      await form.locator("input[name=invoiceNumber]").fill(invoiceNumber);
      await form.locator("input[name=file]").setInputFiles(pdf(invoiceNumber));
      await form.locator("button[type=submit]").click();
      await form
        .getByTestId("upload-result")
        .getByText(/Uploaded, evidence id/)
        .waitFor({ timeout: 30_000 });
    };
    // Another supplier's licence on this payee's invoice: rejected, and the timeline says why.
    await upload("INV-FORGED-1", cnc.creditCode);
    const reason = page.getByTestId("reject-reason").first();
    await reason.waitFor({ timeout: 90_000 });
    expect(await reason.innerText()).to.match(/reason: .*supplier licence/i);

    await upload("INV-77002");
    const row = page.getByTestId("payment-1");
    await row.getByText("Ready", { exact: true }).waitFor({ timeout: 90_000 });
    const choose = page.getByTestId("choose-evidence-1");
    await choose.locator("summary").click();
    const boxes = choose.locator("input[name=evidence]");
    expect(await boxes.count()).to.equal(1);
    expect(await boxes.first().isChecked()).to.equal(true);
    const chosen = await boxes.first().getAttribute("value");
    await page.getByTestId("pay-1").click();
    await row.getByTestId("payment-state").getByText("Paid", { exact: true }).waitFor({ timeout: 60_000 });
    const paid = (await facility("2")).payments[1];
    expect(paid.paid).to.equal(true);
    const consumed = (await demo.officer.get("/facilities/2/evidence")).body.items.find(
      (e: any) => e.evidenceId === chosen,
    );
    expect(consumed.consumed).to.equal(true);

    const zh = await sessions.loginAs("bank_officer", { lang: "zh" });
    await zh.getByTestId("open-facility-2").click();
    await zh.getByTestId("reject-reason").first().waitFor({ timeout: 30_000 });
    expect(await zh.getByTestId("reject-reason").first().innerText()).to.include("不是收款人");
    expect(await untranslated(zh)).to.deep.equal([]);
    await screenshot(zh, "bank-facility-rejected-zh.png");
    expect(sessions.pageErrors).to.deep.equal([]);
  });
});
