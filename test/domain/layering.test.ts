import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";

/**
 * The layout's rules, read from the sources: domain/ is the shared core and imports nothing of the project; the
 * dashboard (web/src) and the CLI (cli/, scripts/qfm.ts) reach the nodes only through the HTTP API, so they import
 * the domain and their own code, never the server's; the server imports the domain, itself and the contracts' types
 * (typechain-types), never the scripts, the CLI or the dashboard (scripts/ may import the server: the deploy script
 * writes what the server reads).
 */

const ROOT = path.resolve(__dirname, "..", "..");

interface Rule {
  /** Files the rule holds for (relative to the root, forward slashes). */
  files: string[];
  /** Folders (or files) of the project a relative import may resolve into. */
  may: string[];
  /** Packages the files may import, when limited; undefined allows any package. */
  packages?: string[];
}

/** Every module specifier a TypeScript source imports, re-exports, requires or imports dynamically. */
export function specifiersOf(source: string): string[] {
  const found = new Set<string>();
  const patterns = [
    // Static imports and re-exports start a line (Prettier puts them there): a path such as "/whitelist/import" in a
    // string, which domain/api/generated/ is full of, is not an import.
    /^\s*(?:import|export)\s[^'"`;]*?\bfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.add(match[1]);
  return [...found];
}

/** The imports of `file` (relative to `root`) that break `rule`, as "file → specifier (why)". */
export function violationsOf(root: string, file: string, source: string, rule: Rule): string[] {
  const problems: string[] = [];
  for (const specifier of specifiersOf(source)) {
    if (specifier.startsWith(".")) {
      const target = path
        .relative(root, path.resolve(root, path.dirname(file), specifier))
        .split(path.sep)
        .join("/");
      const allowed = rule.may.some((place) => target === place || target.startsWith(`${place}/`));
      if (!allowed) problems.push(`${file} → ${specifier} (resolves to ${target})`);
    } else if (specifier.startsWith("node:")) {
      if (rule.packages) problems.push(`${file} → ${specifier} (a Node built-in)`);
    } else if (rule.packages) {
      const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
      if (!rule.packages.includes(name)) problems.push(`${file} → ${specifier} (package not allowed here)`);
    }
  }
  return problems;
}

function sourcesUnder(dir: string): string[] {
  const files: string[] = [];
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(path.join(ROOT, at), { withFileTypes: true })) {
      const relative = `${at}/${entry.name}`;
      if (entry.isDirectory()) walk(relative);
      else if (/\.(ts|tsx|mts)$/.test(entry.name)) files.push(relative);
    }
  };
  walk(dir);
  return files;
}

const RULES: Record<string, Rule> = {
  "domain/ imports nothing of the project, and no package but zod and ethers": {
    files: sourcesUnder("domain"),
    may: ["domain"],
    packages: ["zod", "ethers"],
  },
  "the dashboard (web/src) imports only its own code and domain/": {
    files: sourcesUnder("web/src"),
    may: ["web/src", "domain"],
  },
  "the server (server/) imports only its own code and domain/, never scripts/, cli/ or web/": {
    files: sourcesUnder("server"),
    may: ["server", "domain", "typechain-types", "package.json"],
  },
  "the CLI (cli/, scripts/qfm.ts) imports only its own code and domain/": {
    files: [...sourcesUnder("cli"), "scripts/qfm.ts"],
    may: ["cli", "domain", "package.json"],
  },
};

/**
 * Imports that break a rule today and are still to be moved into domain/ (they came with the merges of #13 and #14):
 * listed so that a new one fails, and so that moving one fails until it is struck from here.
 */
const NOT_YET_MOVED: string[] = [];

describe("the layering", function () {
  for (const [name, rule] of Object.entries(RULES)) {
    it(name, function () {
      expect(rule.files.length, "no source files found").to.be.greaterThan(0);
      const problems = rule.files.flatMap((file) =>
        violationsOf(ROOT, file, fs.readFileSync(path.join(ROOT, file), "utf8"), rule),
      );
      const known = NOT_YET_MOVED.filter((line) => rule.files.some((file) => line.startsWith(`${file} `)));
      expect(problems).to.deep.equal(known);
    });
  }

  describe("when a file breaks a rule", function () {
    const rule = RULES["the CLI (cli/, scripts/qfm.ts) imports only its own code and domain/"];

    it("names an import of the server, re-exports and dynamic imports included", function () {
      const source = [
        'import { a } from "../../server/rules/engine";',
        'export { b } from "../../server/chain/evidence";',
        'const c = await import("../../server/errors");',
        'import type { D } from "../../domain/api/reviews";',
        'import { e } from "../table";',
      ].join("\n");
      expect(violationsOf(ROOT, "cli/commands/x.ts", source, rule)).to.deep.equal([
        "cli/commands/x.ts → ../../server/rules/engine (resolves to server/rules/engine)",
        "cli/commands/x.ts → ../../server/chain/evidence (resolves to server/chain/evidence)",
        "cli/commands/x.ts → ../../server/errors (resolves to server/errors)",
      ]);
    });

    it("names a server file's import of the scripts, the CLI or the dashboard", function () {
      const server = RULES["the server (server/) imports only its own code and domain/, never scripts/, cli/ or web/"];
      const source = [
        'import { devWallet } from "../../scripts/lib/deploy-config";',
        'import type { Deployment } from "../../scripts/lib/deployments";',
        'import { formatCny } from "../../cli/format";',
        'export { api } from "../../web/src/api";',
        'import { FACILITY_STATUS } from "../../domain/enums";',
        'import { createLoop } from "../loop";',
      ].join("\n");
      expect(violationsOf(ROOT, "server/node/x.ts", source, server)).to.deep.equal([
        "server/node/x.ts → ../../scripts/lib/deploy-config (resolves to scripts/lib/deploy-config)",
        "server/node/x.ts → ../../scripts/lib/deployments (resolves to scripts/lib/deployments)",
        "server/node/x.ts → ../../cli/format (resolves to cli/format)",
        "server/node/x.ts → ../../web/src/api (resolves to web/src/api)",
      ]);
    });

    it("refuses a package domain/ may not use", function () {
      const domain = RULES["domain/ imports nothing of the project, and no package but zod and ethers"];
      const source = [
        'import { z } from "zod";',
        'import { keccak256 } from "ethers";',
        'import express from "express";',
        'import fs from "node:fs";',
      ].join("\n");
      expect(violationsOf(ROOT, "domain/x.ts", source, domain)).to.deep.equal([
        "domain/x.ts → express (package not allowed here)",
        "domain/x.ts → node:fs (a Node built-in)",
      ]);
    });
  });
});
