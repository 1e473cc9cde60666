/**
 * The build's translation check (npm run build:web runs it before vite): every word of the dashboard and every code
 * the nodes send that people read has a Chinese text. It fails the build, naming what is missing, when
 *   - a dictionary entry or an enum entry has an empty Chinese text, or one with no Chinese character in it;
 *   - a code the nodes send — payee categories, evidence kinds, verdicts, facility statuses, review metrics and funding
 *     statuses (from domain/enums.ts), payment blockers and refusal codes (read from the server's sources) — has no
 *     entry in web/src/enums.ts, so a new code fails the dashboard's build until it is translated; approval kinds and
 *     statuses and spot-check results count as codes too;
 *   - a metadata field of the upload forms (web/src/Upload.tsx) has no dictionary entry.
 */
import fs from "node:fs";
import path from "node:path";
import {
  APPROVAL_KINDS,
  APPROVAL_STATUSES,
  EVIDENCE_KINDS,
  FACILITY_VIEW_STATUSES,
  FUNDING_STATUSES,
  METRICS,
  PAYEE_CATEGORIES,
  SPOT_CHECK_RESULTS,
  VERDICTS,
} from "../domain/enums";
import { D } from "./src/dictionary";
import { ENUMS } from "./src/enums";
import { fieldKey, KIND_FIELDS } from "./src/fields";

type Entries = Readonly<Record<string, readonly [string, string]>>;

const CHINESE = /[\u3400-\u9fff]/;

/** What is missing or not Chinese, one line each; empty when the dictionaries are complete. */
export function missingTranslations(
  dictionary: Entries,
  enums: Readonly<Record<string, Entries>>,
  serverCodes: Readonly<Record<string, readonly string[]>>,
): string[] {
  const problems: string[] = [];
  const check = (where: string, entries: Entries) => {
    for (const [key, [zh, en]] of Object.entries(entries)) {
      if (!zh?.trim()) problems.push(`${where}.${key}: no Chinese text`);
      else if (!CHINESE.test(zh)) problems.push(`${where}.${key}: "${zh}" has no Chinese character`);
      if (!en?.trim()) problems.push(`${where}.${key}: no English text`);
    }
  };
  check("dictionary", dictionary);
  for (const [group, entries] of Object.entries(enums)) check(`enums.${group}`, entries);
  for (const [group, codes] of Object.entries(serverCodes)) {
    const entries = enums[group];
    if (!entries) {
      problems.push(`enums.${group}: no such group for the server's codes ${codes.join(", ")}`);
      continue;
    }
    for (const code of codes)
      if (!(code in entries)) problems.push(`enums.${group}.${code}: the server sends it; no text`);
  }
  return problems;
}

const ROOT = path.resolve(__dirname, "..");

function serverSources(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "generated") walk(full);
      } else if (entry.name.endsWith(".ts")) files.push(full);
    }
  };
  walk(path.join(ROOT, "server"));
  return files;
}

/** The codes the nodes send: the domain's enums, and the blockers and refusals read from the server's sources. */
export function serverCodes(): Record<string, string[]> {
  const sources = serverSources().map((file) => fs.readFileSync(file, "utf8"));
  const all = sources.join("\n");
  const blockers = [...all.matchAll(/blockers\.push\(\{\s*code:\s*"([a-z_]+)"/g)].map((m) => m[1]);
  // Refusals: the code of every conflict(…), unprocessable(…), badRequest(…), unavailable(…) and new AppError(…).
  const refusals = [
    ...all.matchAll(/\b(?:conflict|unprocessable|badRequest|unavailable|AppError)\(\s*(?:\d+\s*,\s*)?"([a-z_]+)"/g),
  ].map((m) => m[1]);
  // Codes a rule returns as { code: "…", message } (a regulator's refusal, a blocker), but not zod's own "custom".
  const returned = [...all.matchAll(/\bcode:\s*"([a-z_]+)"/g)].map((m) => m[1]).filter((c) => c !== "custom");
  return {
    category: [...PAYEE_CATEGORIES],
    kind: [...EVIDENCE_KINDS],
    verdict: [...VERDICTS],
    status: [...FACILITY_VIEW_STATUSES, ...APPROVAL_STATUSES],
    approvalKind: [...APPROVAL_KINDS],
    result: [...SPOT_CHECK_RESULTS],
    metric: [...METRICS],
    blocker: [...new Set(blockers)],
    problem: [...new Set([...refusals, ...returned.filter((c) => !blockers.includes(c))])],
    funding: [...FUNDING_STATUSES],
  };
}

/** Every metadata field of the upload forms (web/src/Upload.tsx) needs its words: "field_<name>" in the dictionary. */
export function missingFieldWords(dictionary: Entries): string[] {
  const names = [...new Set(Object.values(KIND_FIELDS).flatMap((fields) => fields.map((f) => f.name)))];
  return names.filter((name) => !(fieldKey(name) in dictionary)).map((name) => `dictionary.${fieldKey(name)}: no text`);
}

if (require.main === module) {
  const codes = serverCodes();
  const problems = [...missingTranslations(D, ENUMS, codes), ...missingFieldWords(D)];
  if (problems.length > 0) {
    console.error(`check-i18n: ${problems.length} missing or untranslated Chinese text(s):`);
    for (const problem of problems) console.error(`  - ${problem}`);
    process.exit(1);
  }
  const counted = Object.values(codes).reduce((n, c) => n + c.length, 0);
  console.log(
    `check-i18n: ${Object.keys(D).length} words and ${counted} server codes, each with Chinese and English text`,
  );
}
