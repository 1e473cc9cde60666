/**
 * Writes the OpenAPI documents of both node roles (as the nodes serve them at /openapi.json) without starting a node:
 * `node --import tsx scripts/openapi.ts <dir>` writes <dir>/bank.json and <dir>/regulator.json. `npm run lint` lints
 * them with spectral and redocly.
 */
import fs from "node:fs";
import path from "node:path";
import { openApiDocument } from "./lib/openapi-document";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node --import tsx scripts/openapi.ts <output directory>");
  process.exit(2);
}
fs.mkdirSync(dir, { recursive: true });
for (const role of ["bank", "regulator"] as const) {
  const file = path.join(dir, `${role}.json`);
  fs.writeFileSync(file, `${JSON.stringify(openApiDocument(role), null, 2)}\n`);
  console.log(file);
}
