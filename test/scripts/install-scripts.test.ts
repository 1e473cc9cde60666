import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";

/**
 * Install hygiene: every installed package that runs code at install time (a preinstall, install or postinstall script,
 * or a binding.gyp npm builds with node-gyp when no install script is given) is named in package.json's allowScripts,
 * so a new one is a decision rather than an accident; and swagger-ui's install-time telemetry (@scarf/scarf) is off.
 */
const root = path.resolve(__dirname, "..", "..");
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));

/** Every package directory under node_modules, nested ones included. */
function packageDirs(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.name.startsWith("@")) {
      found.push(...packageDirs(full));
      continue;
    }
    if (fs.existsSync(path.join(full, "package.json"))) found.push(full);
    found.push(...packageDirs(path.join(full, "node_modules")));
  }
  return found;
}

/** The installed packages that run code when installed, by name, with what they run. */
function installScripts(): Map<string, string> {
  const found = new Map<string, string>();
  for (const dir of packageDirs(path.join(root, "node_modules"))) {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    const scripts = pkg.scripts ?? {};
    const hooks = ["preinstall", "install", "postinstall"].filter((hook) => scripts[hook]);
    const gyp = hooks.length === 0 && fs.existsSync(path.join(dir, "binding.gyp"));
    if (hooks.length > 0 || gyp)
      found.set(pkg.name, gyp ? "node-gyp rebuild (binding.gyp)" : hooks.map((h) => `${h}: ${scripts[h]}`).join("; "));
  }
  return found;
}

describe("install hygiene (package.json allowScripts)", function () {
  it("names every installed package with an install-time script, and no package that has none", function () {
    const found = installScripts();
    const allowed = Object.keys(manifest.allowScripts ?? {}).sort();
    const missing = [...found.keys()].filter((name) => !allowed.includes(name)).map((n) => `${n} (${found.get(n)})`);
    expect(missing, "packages with install scripts missing from allowScripts").to.deep.equal([]);
    expect(
      allowed.filter((name) => !found.has(name)),
      "allowScripts names a package that runs nothing",
    ).to.deep.equal([]);
  });

  it("keeps swagger-ui's install-time telemetry off", function () {
    expect(manifest.scarfSettings).to.deep.equal({ enabled: false });
    if (installScripts().has("@scarf/scarf")) expect(manifest.allowScripts["@scarf/scarf"]).to.equal(false);
  });
});
