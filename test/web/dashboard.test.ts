import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { Wallet } from "ethers";
import type { Browser, Page } from "playwright-core";
import { devWallet } from "../../scripts/lib/deploy-config";
import { SettlementToken__factory } from "../../typechain-types";
import { ENUMS } from "../../web/src/enums";
import { overflow, screenshot, SHOTS, untranslated } from "../helpers/browser";
import { liveDemoInChromium, type LiveDemo } from "../helpers/liveDemo";
import { client, waitFor } from "../helpers/processes";

let BANK = "";

/**
 * The dashboard in real Chromium against real processes (anvil, the bank node serving web/dist, the regulator node):
 * the demo scenario is seeded through the APIs (test/helpers/liveDemo.ts), then each role logs in and clicks through
 * its screens.
 */
describe("web dashboard in Chromium", function () {
  this.timeout(300_000);
  // A joint decision awaiting the regulator: the bank proposes lifting facility 2's freeze.
  const suite = liveDemoInChromium("dashboard", async (demo) => {
    const proposed = await demo.officer.post("/facilities/2/unfreeze", { reason: "corrective actions filed" });
    expect(proposed.status, JSON.stringify(proposed.body)).to.equal(201);
  });
  const { sessions } = suite;
  const { failedResponses } = sessions;
  let demo: LiveDemo;
  let browser: Browser;
  let keys: LiveDemo["keys"];
  let dir: string;
  before(function () {
    demo = suite.demo();
    browser = suite.browser();
    ({ keys, dir } = demo);
    BANK = demo.bankUrl;
  });

  /** A fresh browser session, in English unless asked otherwise, logged in as `role`; no page error on the way. */
  async function loginAs(
    role: Parameters<typeof sessions.loginAs>[0],
    options: { lang?: "zh" | "en"; width?: number } = {},
  ): Promise<Page> {
    const errors = sessions.pageErrors.length;
    const page = await sessions.loginAs(role, options);
    expect(sessions.pageErrors.slice(errors)).to.deep.equal([]);
    return page;
  }

  it("logs in from the demo logins and switches the language", async function () {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${BANK}/`);
    for (const role of ["bank_officer", "regulator", "borrower", "supplier"])
      await page.getByTestId(`login-${role}`).waitFor();
    expect(await page.locator("h1").textContent()).to.equal("质量融资资金监测");
    await page.getByTestId("lang-switch").click();
    expect(await page.locator("h1").textContent()).to.equal("Quality Financing Monitor");
    expect(await page.getByTestId("lang-switch").textContent()).to.equal("中文");
    await page.getByTestId("login-supplier").click();
    expect(await page.getByTestId("who").textContent()).to.contain("Supplier");
    await page.getByTestId("lang-switch").click();
    expect(await page.getByTestId("who").textContent()).to.contain("供应商");
  });

  describe("in Chinese", function () {
    it("bank officer: list, facilities, blockers and a refused payment show no code and no English", async function () {
      const page = await loginAs("bank_officer", { lang: "zh" });
      await page.getByTestId("facility-row-2").locator('[data-status="FROZEN"]').waitFor();
      expect(await page.getByTestId("facility-row-2").innerText()).to.include("已冻结");
      expect(await untranslated(page)).to.deep.equal([]);

      await page.getByTestId("open-facility-2").click();
      const row = page.getByTestId("payment-1");
      await row.getByTestId("blockers").waitFor();
      const blockers = await row.getByTestId("blockers").innerText();
      expect(blockers)
        .to.include("已因抽检不合格冻结")
        .and.match(/尚未上传并上链“发票”|“发票”暂无可用文件/);
      await row.getByTestId("pay-1").click();
      // "Pending…" until the node answers, then its refusal.
      await row
        .getByTestId("payment-result")
        .getByText(/^被拒绝/)
        .waitFor();
      expect(await row.getByTestId("payment-result").innerText()).to.match(/^被拒绝: .*冻结/);
      await page.getByTestId("evidence-item").first().waitFor();
      expect(await page.getByTestId("evidence-timeline").innerText())
        .to.include("检验报告")
        .and.include("通过");
      expect(await untranslated(page)).to.deep.equal([]);
      // The plan table keeps its words whole: no cell squeezed to one character a line.
      const narrowest = await row
        .locator("td")
        .evaluateAll((cells) =>
          Math.min(
            ...cells.filter((c) => (c.textContent ?? "").length > 3).map((c) => c.getBoundingClientRect().width),
          ),
        );
      expect(narrowest).to.be.greaterThan(40);
      await screenshot(page, "bank-facility-zh.png", true);

      await page.getByRole("button", { name: "返回" }).click();
      await page.getByTestId("open-facility-1").click();
      await page.getByTestId("review").first().waitFor();
      const review = await page.getByTestId("review").first().innerText();
      expect(review)
        .to.match(/利率 \d+\.\d\d% → \d+\.\d\d%/)
        .and.match(/优惠 \d+\.\d\d 个百分点/);
      await page.getByTestId("payment-3").getByTestId("blockers").waitFor();
      expect(await untranslated(page)).to.deep.equal([]);
    });

    it("regulator: queue, spot checks, approvals and the white list show no code and no English", async function () {
      const page = await loginAs("regulator", { lang: "zh" });
      await page.getByTestId("queue-row").first().waitFor();
      await page.getByTestId("approval").first().waitFor();
      await page.getByTestId("reg-facility-2").locator('[data-status="FROZEN"]').waitFor();
      expect(await page.getByTestId("approval").first().innerText()).to.include("解除冻结");
      expect(await page.getByTestId("queue").innerText()).to.include("通过");
      expect(await untranslated(page)).to.deep.equal([]);
      await screenshot(page, "regulator-queue-zh.png", false);
    });

    it("borrower: targets as percentages, documents to upload and what it owes, with no code and no English", async function () {
      const page = await loginAs("borrower", { lang: "zh" });
      await page.getByTestId("target").first().waitFor();
      const targets = await page.getByTestId("borrower-facility").first().innerText();
      expect(targets)
        .to.match(/≥ \d+\.\d\d%/)
        .and.not.match(/≥ \d{4}\b/);
      await page.getByTestId("borrower-owed").waitFor();
      expect(await page.getByTestId("borrower-owed").innerText()).to.match(/^¥[\d,]+\.\d\d$/);
      expect(await untranslated(page)).to.deep.equal([]);
    });

    it("supplier: payments and payees with no code and no English", async function () {
      const page = await loginAs("supplier", { lang: "zh" });
      await page.getByTestId("supplier-payment").first().waitFor({ timeout: 30_000 });
      expect(await page.getByTestId("supplier-payments").innerText()).to.include("已支付");
      expect(await untranslated(page)).to.deep.equal([]);
    });
  });

  describe("at phone width (390 px)", function () {
    for (const lang of ["zh", "en"] as const) {
      it(`borrower and supplier pages do not overflow sideways (${lang})`, async function () {
        const borrower = await loginAs("borrower", { lang, width: 390 });
        await borrower.getByTestId("target").first().waitFor();
        expect(await overflow(borrower)).to.deep.equal({ page: 390, viewport: 390, widest: [] });
        if (lang === "zh") await screenshot(borrower, "borrower-phone-zh.png", true);
        const supplier = await loginAs("supplier", { lang, width: 390 });
        await supplier.getByTestId("supplier-payment").first().waitFor({ timeout: 30_000 });
        expect(await overflow(supplier)).to.deep.equal({ page: 390, viewport: 390, widest: [] });
      });
    }
  });

  describe("in English", function () {
    it("bank officer: a payment is refused with its blockers, then allowed once the evidence is verified", async function () {
      const page = await loginAs("bank_officer");
      await page.getByTestId("facility-row-2").locator('[data-status="FROZEN"]').waitFor();
      await page.getByTestId("open-facility-1").click();
      await page.getByTestId("kpi-limit").waitFor();
      expect(await page.getByTestId("kpi-limit").textContent()).to.equal("¥10,000,000.00");
      // The seeded review took the rate below the base rate.
      await page.getByTestId("rate-chart").locator("canvas").waitFor();
      expect(await page.getByTestId("review").first().textContent()).to.match(/Rate \d+\.\d\d% → \d+\.\d\d%/);
      expect(await page.getByTestId("review").first().textContent()).to.match(/Discount \d+\.\d\d percentage points/);
      await page.getByTestId("sankey-chart").locator("canvas").waitFor();
      expect(await page.getByTestId("payment-0").getByTestId("payment-state").textContent()).to.equal("Paid");

      // Payment 3 (cage alloy, 2,500,000.00 CNY) needs an invoice: the one uploaded was used by payment 0.
      const row = page.getByTestId("payment-3");
      await row.getByTestId("blockers").waitFor();
      expect(await row.getByTestId("blockers").textContent()).to.match(/INVOICE/);
      await row.getByTestId("pay-3").click();
      await row
        .getByTestId("payment-result")
        .getByText(/^Refused/)
        .waitFor();
      expect(await row.getByTestId("payment-result").textContent()).to.match(/^Refused: no (usable )?INVOICE/);

      // Upload the invoice through the invoice form: choosing the payee fills in its licence (its credit code), which
      // the regulator checks; both nodes verify it, and the row turns Ready by itself (the page refreshes itself).
      const form = page.getByTestId("upload-form");
      await form.locator("select[name=kind]").selectOption("INVOICE");
      const alloys = (await client(BANK, keys.officer).get("/payees")).body.items.find((p: any) =>
        p.name.includes("Zhejiang Special Alloys"),
      );
      await form.locator("select[name=counterparty]").selectOption(alloys.address);
      expect(await form.locator("input[name=supplierLicence]").inputValue()).to.equal(alloys.creditCode);
      await form.locator("input[name=invoiceNumber]").fill("INV-99001");
      await form.locator("input[name=file]").setInputFiles({
        name: "cage-alloy-invoice.pdf",
        mimeType: "application/pdf",
        buffer: Buffer.from("%PDF-1.7\n% cage alloy invoice\n%%EOF\n"),
      });
      await form.locator("button[type=submit]").click();
      await form.getByText(/Uploaded, evidence id 0x/).waitFor();
      await page.getByTestId("payment-3").getByText("Ready", { exact: true }).waitFor({ timeout: 90_000 });
      await page.getByTestId("pay-3").click();
      await page
        .getByTestId("payment-3")
        .getByTestId("payment-state")
        .getByText("Paid", { exact: true })
        .waitFor({ timeout: 30_000 });
      await page.getByTestId("evidence-timeline").getByText("INV-99001").waitFor();
      // The documents table: whom each document is with, and which payment the invoice released once it is indexed.
      await waitFor(
        "the invoice shown as consumed by payment 3",
        async () => {
          await page.reload();
          await page.getByTestId("documents").waitFor();
          return (await page.getByTestId("documents").innerText()).includes("Payment #3");
        },
        60_000,
        1_000,
      );
      const consumed = page.getByTestId("document-row").filter({ hasText: "Payment #3" });
      expect(await consumed.count()).to.be.greaterThan(0);
      expect(await consumed.first().getByTestId("document-counterparty").innerText()).to.match(
        /^Payee: .*Zhejiang Special Alloys$/,
      );
      await screenshot(page, "bank-facility.png", true);
    });

    it("regulator: sees the queue, records a failed spot check (facility frozen), co-signs, and sees the radar", async function () {
      const page = await loginAs("regulator");
      await page.getByTestId("queue-row").first().waitFor();
      expect(await page.getByTestId("queue-row").count()).to.be.greaterThan(5);
      await page.getByTestId("radar-chart").first().locator("canvas").waitFor();
      expect(await page.getByTestId("firm").count()).to.equal(4);
      await screenshot(page, "regulator-queue.png", false);
      await page.getByTestId("whitelist").screenshot({ path: path.join(SHOTS, "radar.png") });
      // The radar chart really drew something: its canvas holds non-blank pixels.
      const painted = await page
        .getByTestId("radar-chart")
        .first()
        .locator("canvas")
        .evaluate((canvas: HTMLCanvasElement) => {
          const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
          let n = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
          return n;
        });
      expect(painted).to.be.greaterThan(1_000);

      const spot = page.getByTestId("spot-check");
      // Nothing is preselected: a click without choosing records nothing (the form asks for both).
      expect(await spot.locator("select[name=facilityId]").inputValue()).to.equal("");
      expect(await spot.locator("select[name=result]").inputValue()).to.equal("");
      let confirmations = 0;
      page.on("dialog", (dialog) => {
        confirmations++;
        void dialog.accept();
      });
      await spot.locator("select[name=facilityId]").selectOption("1");
      await spot.locator("select[name=result]").selectOption("FAIL");
      await spot.locator("input[name=reportNumber]").fill("NB-SC-2026-0044");
      await spot.locator("input[name=findings]").fill("hardness below spec on 3 of 20 samples");
      await spot.locator("button[type=submit]").click();
      await page.getByTestId("spot-result").locator('[data-status="FROZEN"]').waitFor({ timeout: 60_000 });
      expect(confirmations).to.equal(1);
      await page.getByTestId("reg-facility-1").locator('[data-status="FROZEN"]').waitFor();

      // The unfreeze of facility 2 proposed by the bank: the regulator's node checks it before signing.
      await page.getByTestId("approval").first().getByRole("button").click();
      await page
        .getByTestId("cosign-result")
        .getByText(/Co-signed|Refused|Submitted/)
        .waitFor({ timeout: 60_000 });
    });

    it("borrower: its facility, rate, targets and documents to upload", async function () {
      const page = await loginAs("borrower");
      await page.getByTestId("borrower-facility").first().waitFor();
      expect(await page.getByTestId("borrower-facility").count()).to.equal(1);
      await page.getByTestId("target").first().waitFor();
      expect(await page.getByTestId("borrower-rate").textContent()).to.match(/^\d+\.\d\d%$/);
      await screenshot(page, "borrower.png", true);
    });

    it("supplier: only its own entrusted payments, with their state and amounts", async function () {
      const page = await loginAs("supplier");
      await page.getByTestId("supplier-payment").first().waitFor({ timeout: 30_000 });
      // The demo supplier key is the equipment vendor's: of the seed's 6 payments, the one it was paid on facility 1.
      expect(await page.getByTestId("supplier-payment").count()).to.equal(1);
      expect(await page.getByTestId("supplier-payments").getByText("Paid", { exact: true }).count()).to.equal(1);
      // Its own payment, with its amount: the equipment vendor was paid 4,000,000.00 on facility 1; no other payee is listed.
      expect(await page.getByTestId("supplier-payment").innerText()).to.include("¥4,000,000.00");
      expect(await page.locator("main").innerText()).to.not.include("Zhejiang Special Alloys");
      await screenshot(page, "supplier.png", true);
    });

    // Last: the new facility adds entrusted payments, which the supplier test above counts.
    it("bank officer: a new facility's plan under the quality floor is refused, a valid one opens the facility", async function () {
      const payees: Array<{ address: string; category: string }> = (await client(BANK, keys.officer).get("/payees"))
        .body.items;
      const equipment = payees.find((p) => p.category === "EQUIPMENT")!.address;
      const lab = payees.find((p) => p.category === "TESTING_CERT")!.address;
      const page = await loginAs("bank_officer");
      await page.getByTestId("new-facility-button").click();
      const form = page.getByTestId("new-facility");
      // Haitian Precision (grade A on the white list): picking it fills the name and the credit code.
      await form.locator("select[name=firm]").selectOption("91330212MA2CCCCC3Z");
      expect(await form.locator("input[name=borrowerName]").inputValue()).to.contain("Haitian Precision");
      expect(await form.locator("input[name=creditCode]").inputValue()).to.equal("91330212MA2CCCCC3Z");
      await form.locator("input[name=borrower]").fill(`0x${randomBytes(20).toString("hex")}`);
      await form.locator("input[name=creditLimit]").fill("5,000,000");
      const row0 = form.getByTestId("plan-row-0");
      await row0.locator("select[name=payee]").selectOption(equipment);
      await row0.locator("input[name=amount]").fill("1,000,000.00");
      await form.locator("button[name=addRow]").click();
      const row1 = form.getByTestId("plan-row-1");
      await row1.locator("select[name=payee]").selectOption(lab);
      await row1.locator("input[name=amount]").fill("200000");
      await row1.locator("input[name=qualityPurpose]").check();
      await row1.locator("input[name=evidence-INSPECTION_REPORT]").check();
      expect(await form.getByTestId("quality-share").textContent()).to.equal(
        "Quality-purpose share: 16.66% (floor ≥ 30.00%)",
      );
      await form.locator("button[type=submit]").click();
      await form.getByTestId("new-facility-result").waitFor();
      expect(await form.getByTestId("new-facility-result").textContent()).to.match(
        /^422 quality_share_below_floor: .*16\.66%.*floor is 30\.00%/,
      );

      // 600,000.50 CNY to the lab: 37.50% of the plan, exact to the fen.
      await row1.locator("input[name=amount]").fill("600,000.50");
      expect(await form.getByTestId("quality-share").textContent()).to.contain("37.50%");
      await form.locator("button[type=submit]").click();
      await page.getByTestId("facility-detail").waitFor({ timeout: 30_000 });
      expect(new URL(page.url()).hash).to.equal("#/facility/3");
      expect(await page.getByTestId("facility-detail").locator("h2").first().textContent()).to.contain(
        "Facility #3 · 宁波海天精工 Haitian Precision",
      );
      expect(await page.getByTestId("kpi-limit").textContent()).to.equal("¥5,000,000.00");
      expect(await page.getByTestId("payment-1").textContent()).to.contain("¥600,000.50");
    });
    it("bank officer: a review starts where the facility opened; its end is a day in the user's time zone or now", async function () {
      const page = await loginAs("bank_officer");
      await page.getByTestId("open-facility-3").click();
      const form = page.getByTestId("review-form");
      // The form shows the fixed start the bank node will use (facility 3 has no applied review: its opening).
      const start = form.getByTestId("review-period-start");
      await start.waitFor();
      const periodStart = await start.getAttribute("data-iso");
      const detail = (await client(BANK, keys.officer).get("/facilities/3")).body;
      expect(periodStart)
        .to.equal(detail.nextReviewFrom)
        .and.to.match(/^\d{4}-\d\d-\d\dT/);
      expect(await start.textContent()).to.equal(
        new Date(periodStart!).toLocaleString("en-GB", {
          timeZone: "Asia/Shanghai",
          hour12: false,
          dateStyle: "medium",
          timeStyle: "short",
        }),
      );
      const result = form.getByTestId("review-result");
      // An end day before the start is refused in the page; nothing is sent.
      await form.locator("input[name=periodTo]").fill("2026-01-01");
      await form.locator("button[type=submit]").click();
      await result.getByText("The end day must be after the period's start").waitFor();
      // An end day after the chain's time is the node's refusal, shown with the instant it read: 1 January 2099 in
      // Asia/Shanghai is 16:00 UTC on 31 December 2098.
      await form.locator("input[name=periodTo]").fill("2099-01-01");
      await form.locator("button[type=submit]").click();
      await result.getByText("422 review_period_invalid").waitFor();
      expect(await result.textContent()).to.match(
        /^422 review_period_invalid: the review period ends at 2098-12-31T16:00:00\.000Z, after the chain's current time /,
      );
      expect((await client(BANK, keys.officer).get("/facilities/3/reviews")).body.items).to.deep.equal([]);
      // No end day: the period runs from the start to the chain's time now (a day on: the chain's time only moves
      // with its blocks), and the bank signs it.
      const provider = demo.provider;
      await provider.send("evm_increaseTime", [86_400]);
      await provider.send("evm_mine", []);
      await form.locator("input[name=periodTo]").fill("");
      await form.locator("button[type=submit]").click();
      await result.getByText("Signed by the bank; awaits the regulator").waitFor({ timeout: 30_000 });
      const reviews = (await client(BANK, keys.officer).get("/facilities/3/reviews")).body.items;
      expect(reviews).to.have.length(1);
      expect(reviews[0].periodFrom).to.equal(periodStart);
      expect(Date.parse(reviews[0].periodTo)).to.be.greaterThan(Date.parse(periodStart!));
      await page.getByTestId("reviews").getByTestId("review").first().waitFor();
    });
  });

  describe("when a facility's funding failed", function () {
    it("bank officer: sees it FAILED, a retry refused in Chinese while the float is short, then funded on retry", async function () {
      // Take the bank node's float away, so the next facility's funding is refused on chain.
      const provider = demo.provider;
      const bankKey = devWallet("bank").connect(provider);
      const holder = Wallet.createRandom().connect(provider);
      // The bank node sends with this key too: a nonce it took first is retried.
      const send = async (tx: () => Promise<{ wait: () => Promise<unknown> }>) => {
        for (let attempt = 0; ; attempt++)
          try {
            return await (await tx()).wait();
          } catch (error) {
            const code = (error as { code?: string }).code;
            if (attempt > 8 || (code !== "NONCE_EXPIRED" && code !== "REPLACEMENT_UNDERPRICED")) throw error;
            await new Promise((resolve) => setTimeout(resolve, 300));
          }
      };
      await send(() => bankKey.sendTransaction({ to: holder.address, value: 10n ** 17n }));
      const deployment = JSON.parse(fs.readFileSync(path.join(dir, "deployment.json"), "utf8"));
      const token = SettlementToken__factory.connect(deployment.contracts.SettlementToken, bankKey);
      const float = await token.balanceOf(bankKey.address);
      await send(() => token.transfer(holder.address, float));
      const officer = client(BANK, keys.officer);
      const payees: Array<{ address: string; category: string }> = (await officer.get("/payees")).body.items;
      const created = await officer.post("/facilities", {
        borrower: `0x${randomBytes(20).toString("hex")}`,
        borrowerName: "Yuyao Mould Works",
        creditCode: "91330281MA2FUND01Q",
        grade: "B",
        creditLimit: "600000000",
        plan: [
          {
            payee: payees.find((p) => p.category === "EQUIPMENT")!.address,
            category: "EQUIPMENT",
            amount: "300000000",
            qualityPurpose: true,
            requiredEvidence: ["PURCHASE_CONTRACT"],
            description: "valve test bench",
          },
        ],
      });
      expect(created.status, JSON.stringify(created.body)).to.be.oneOf([201, 202]);
      let id: string | null = null;
      await waitFor(
        "the facility on chain, its funding refused",
        async () => {
          const row = (await officer.get("/facilities")).body.items.find(
            (f: any) => f.applicationId === created.body.applicationId,
          );
          id = row?.facilityId ?? null;
          return id !== null && (await officer.get(`/facilities/${id}`)).body.funding?.status === "FAILED";
        },
        90_000,
      );

      const page = await loginAs("bank_officer", { lang: "zh" });
      await page.getByTestId(`open-facility-${id}`).click();
      const card = page.getByTestId("funding");
      expect(await card.getByTestId("funding-status").textContent()).to.equal(ENUMS.funding.FAILED[0]);
      expect(await card.getByTestId("funding-shortfall").textContent()).to.equal("¥3,000,000.00");
      await card.getByTestId("retry-funding").click();
      await card.getByTestId("funding-result").getByText("（HTTP 409）").waitFor();
      expect(await card.getByTestId("funding-result").textContent()).to.equal(
        `${ENUMS.problem.insufficient_float[0]}（HTTP 409）`,
      );

      await (await token.connect(holder).transfer(bankKey.address, float)).wait();
      await card.getByTestId("retry-funding").click();
      await card.getByTestId("funding-status").getByText(ENUMS.funding.FUNDED[0]).waitFor({ timeout: 30_000 });
      expect(await card.getByTestId("retry-funding").count()).to.equal(0);
      expect((await officer.get(`/facilities/${id}`)).body.funding).to.include({ status: "FUNDED", shortfall: "0" });
    });
  });

  describe("after every view above", function () {
    it("serves a favicon, and no page asked for anything that failed", async function () {
      const icon = await fetch(`${BANK}/favicon.svg`);
      expect(icon.status).to.equal(200);
      expect(icon.headers.get("content-type")).to.match(/svg/);
      expect(failedResponses).to.deep.equal([]);
    });
  });
});
