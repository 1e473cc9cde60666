/**
 * The dashboard in real Chromium (playwright-core): one launch, one way to log in as a role in a language and at a
 * width, and the checks every page gets — no page error, no failed GET, no untranslated text in Chinese, no sideways
 * overflow at phone width. Used by test/web/* and scripts/screenshots.ts.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { Role } from "../../domain/enums";
import { ENUMS } from "../../web/src/enums";

const ROOT = path.resolve(__dirname, "..", "..");
export const WEB_DIST = path.join(ROOT, "web", "dist");
/** The screenshots kept as docs (scripts/screenshots.ts writes them). */
export const DOCS_SHOTS = path.join(ROOT, "docs", "screenshots");
/**
 * Where the tests' screenshots go: a temporary folder, so a test run leaves the working tree as it found it, or
 * SCREENSHOTS_DIR (`SCREENSHOTS_DIR=docs/screenshots npx hardhat test test/web/*.test.ts` retakes the docs' shots).
 */
export const SHOTS = process.env.SCREENSHOTS_DIR
  ? path.resolve(process.env.SCREENSHOTS_DIR)
  : path.join(os.tmpdir(), "qfm-screenshots");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** Builds web/dist when it is missing (the bank node serves it). */
export function ensureWebBuilt(): void {
  if (fs.existsSync(path.join(WEB_DIST, "index.html"))) return;
  const built = spawnSync("npm", ["run", "build:web"], { cwd: ROOT, encoding: "utf8" });
  if (built.status !== 0) throw new Error(`npm run build:web failed: ${built.stdout}${built.stderr}`);
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Every code the nodes send (category, kind, verdict, status, …), which a Chinese page must show in words. */
const CODES = [...new Set(Object.values(ENUMS).flatMap((group) => Object.keys(group)))];
/** A code, a snake_case code or a camelCase field name (document metadata keys). */
export const RAW_CODE = new RegExp(`\\b(${CODES.join("|")})\\b|\\b[a-z]+_[a-z_]+\\b|\\b[a-z]+[A-Z][a-zA-Z]*\\b`);
/** The server's English sentences (blockers, refusals, verifier reasons) and English words of the dashboard. */
export const ENGLISH =
  /has been uploaded|is frozen|cannot be made|not verified|already paid|not registered|deactivated|holds [\d,.]+ CNY|registry|missing:|\bbps\b|Refused|Pending|Loading|Facility #|Blockers|Paid|Unpaid|\bthe\b|\bis not\b|Co-sign|Upload|Payment|Rate|Target/;

/** The lines of a Chinese page that still show a raw code or English text (names of firms aside). */
export async function untranslated(page: Page): Promise<string[]> {
  const typed = (await page.locator("main [data-user-text]").allInnerTexts()).filter((text) => text.trim());
  const text = await page.locator("main").innerText();
  return text.split("\n").filter((line) => {
    const words = typed.reduce((rest, t) => rest.split(t).join(" "), line);
    return RAW_CODE.test(words) || ENGLISH.test(words);
  });
}

/** How wide the page scrolls against its viewport, and the first elements reaching past it. */
export const overflow = (page: Page) =>
  page.evaluate(() => ({
    page: document.scrollingElement!.scrollWidth,
    viewport: window.innerWidth,
    widest: [...document.querySelectorAll("main *")]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(0, 3)
      .map((el) => `${el.tagName}.${el.className}: ${(el.textContent ?? "").slice(0, 40)}`),
  }));

/**
 * Sessions of one browser against one bank node: `loginAs` opens a fresh context (Asia/Shanghai), logs in with a demo
 * login; `pageErrors` and `failedResponses` collect what went wrong on any page; `dump` prints the pages' text (for a
 * failed test); `closeAll` closes the contexts.
 */
export function browserSessions(browser: () => Browser, bankUrl: () => string) {
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const failedResponses: string[] = [];
  async function loginAs(role: Role, options: { lang?: "zh" | "en"; width?: number } = {}): Promise<Page> {
    const context = await browser().newContext({
      viewport: { width: options.width ?? 1280, height: 900 },
      timezoneId: "Asia/Shanghai",
    });
    contexts.push(context);
    await context.addInitScript((lang) => localStorage.setItem("qfm.lang", lang), options.lang ?? "en");
    const page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(`${role}: ${e.stack ?? e.message}`));
    page.on("response", (response) => {
      // What a page loads (a refused payment, co-signature or plan is an answer, not a missing resource).
      if (response.status() >= 400 && response.request().method() === "GET")
        failedResponses.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${bankUrl()}/`);
    await page.getByTestId(`login-${role}`).click();
    await page.getByTestId("who").waitFor();
    return page;
  }
  async function dump(): Promise<void> {
    if (pageErrors.length) console.log(`--- page errors:\n${pageErrors.join("\n")}`);
    for (const c of contexts)
      for (const p of c.pages())
        console.log(`--- page text at failure (${p.url()}):\n${(await p.locator("body").innerText()).slice(0, 3_000)}`);
  }
  async function closeAll(): Promise<void> {
    for (const c of contexts.splice(0)) await c.close();
  }
  return { loginAs, dump, closeAll, pageErrors, failedResponses };
}

export function screenshot(page: Page, name: string, fullPage = true, dir = SHOTS): Promise<Buffer> {
  fs.mkdirSync(dir, { recursive: true });
  return page.screenshot({ path: path.join(dir, name), fullPage });
}
