import { chromium } from "playwright-core";
const [, , url, role, lang, width, hash, name] = process.argv;
(async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
  const ctx = await browser.newContext({
    viewport: { width: Number(width), height: 900 },
    timezoneId: "Asia/Shanghai",
  });
  await ctx.addInitScript((l) => localStorage.setItem("qfm.lang", l), lang);
  const page = await ctx.newPage();
  page.on("pageerror", (e) => console.log("PAGEERROR", e.message));
  page.on("response", (r) => {
    if (r.status() >= 400) console.log("HTTP", r.status(), r.url());
  });
  await page.goto(url + "/");
  await page.getByTestId(`login-${role}`).click();
  await page.getByTestId("who").waitFor();
  if (hash) await page.evaluate((h) => (location.hash = h), hash);
  await page.waitForTimeout(4000);
  console.log("scrollWidth", await page.evaluate(() => document.scrollingElement!.scrollWidth));
  console.log((await page.locator("main").innerText()).slice(0, 6000));
  await page.screenshot({ path: `/tmp/roles-ui-demo/shots/${name}.png`, fullPage: true });
  await browser.close();
})();
