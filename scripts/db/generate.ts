/**
 * `npm run db:generate` (also the postinstall step): writes prisma/postgresql/schema.prisma from prisma/schema.prisma
 * and generates both Prisma clients (server/db/generated/{sqlite,postgresql}), offline.
 *
 * `prisma generate` checks that a schema engine binary exists but never runs it (the client needs no engine with
 * driver adapters); without one it tries to download it, which fails here. Pointing PRISMA_SCHEMA_ENGINE_BINARY at
 * the running node executable satisfies the check on every platform.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { DATABASE_PROVIDERS } from "../../server/db/url";
import { readSchemas } from "./schemas";

function prismaCli(): string {
  const manifest = require.resolve("prisma/package.json");
  const { bin } = JSON.parse(fs.readFileSync(manifest, "utf8")) as { bin: { prisma: string } };
  return path.join(path.dirname(manifest), bin.prisma);
}

function generate(schemaPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [prismaCli(), "generate", "--schema", schemaPath], {
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
        CHECKPOINT_DISABLE: "1", // no telemetry request
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`prisma generate --schema ${schemaPath} exited with ${code}:\n${output}`)),
    );
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const schemas = readSchemas();
  const derived = schemas.postgresql;
  fs.mkdirSync(path.dirname(derived.path), { recursive: true });
  if (!fs.existsSync(derived.path) || fs.readFileSync(derived.path, "utf8") !== derived.content) {
    fs.writeFileSync(derived.path, derived.content);
  }
  await Promise.all(DATABASE_PROVIDERS.map((provider) => generate(schemas[provider].path)));
  console.log(`db:generate: Prisma clients for ${DATABASE_PROVIDERS.join(" and ")} in ${Date.now() - started} ms`);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
