/**
 * Regenerates docs/screenshots/ (docs, not CI): the demo on live processes (test/helpers/liveDemo.ts), each role's
 * pages in Chinese and English, at desktop width and the borrower's and supplier's at phone width (390 px). Chinese
 * renders only with CJK fonts installed (`fc-list :lang=zh`; on Debian `apt-get install -y fonts-noto-cjk`).
 *
 *   node --import tsx scripts/screenshots.ts
 */
import { spawnSync } from "node:child_process";
import type { Role } from "../domain/enums";
import { browserSessions, DOCS_SHOTS, launchBrowser, screenshot } from "../test/helpers/browser";
import { startLiveDemo } from "../test/helpers/liveDemo";

const VIEWS: Array<{ role: Role; width: number; hash?: string; ready: string; name: string }> = [
  { role: "bank_officer", width: 1280, ready: "facility-list", name: "bank-list" },
  { role: "bank_officer", width: 1280, hash: "/facility/1", ready: "payment-plan", name: "bank-facility" },
  { role: "bank_officer", width: 1280, hash: "/facility/2", ready: "unfreeze", name: "bank-unfreeze" },
  { role: "regulator", width: 1280, ready: "queue-row", name: "regulator" },
  { role: "regulator", width: 1280, hash: "/facility/2", ready: "spot-checks", name: "inspector-facility" },
  { role: "borrower", width: 390, ready: "borrower-facility", name: "borrower-phone" },
  { role: "supplier", width: 390, ready: "supplier-payment", name: "supplier-phone" },
];

async function main() {
  if (!spawnSync("fc-list", [":lang=zh"], { encoding: "utf8" }).stdout?.trim())
    console.warn("no CJK font installed: Chinese will render as boxes (apt-get install -y fonts-noto-cjk)");
  const demo = await startLiveDemo("screenshots");
  const browser = await launchBrowser();
  const sessions = browserSessions(
    () => browser,
    () => demo.bankUrl,
  );
  try {
    // A review awaiting the regulator, so its co-signature card is in the regulator's shot.
    await demo.advance(30 * 86_400);
    await demo.officer.post("/facilities/1/reviews", {});
    for (const lang of ["zh", "en"] as const)
      for (const view of VIEWS) {
        const page = await sessions.loginAs(view.role, { lang, width: view.width });
        if (view.hash) await page.evaluate((hash) => (window.location.hash = hash), view.hash);
        await page.getByTestId(view.ready).first().waitFor({ timeout: 60_000 });
        await page.waitForTimeout(1_500);
        const file = `${view.name}${lang === "zh" ? "-zh" : ""}.png`;
        await screenshot(page, file, true, DOCS_SHOTS);
        console.log(`docs/screenshots/${file}`);
        await sessions.closeAll();
      }
  } finally {
    await browser.close();
    await demo.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
