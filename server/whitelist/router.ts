/**
 * The quality white list's routes on both nodes (the entries, their CSV form and the import: ./service.ts; the
 * regulator's seal: ./signatures.ts).
 */
import { z } from "zod";
import { pageOf, pageQuery } from "../../domain/api/page";
import { pageArgs, pageOfRows } from "../http/page";
import { authorize } from "../auth/policy";
import type { Chain } from "../chain/chain";
import type { NodeRole } from "../config";
import type { Database } from "../db/client";
import { AppError, badRequest, notFound } from "../errors";
import { Hex32, Text, defineRoute, type RouteDef } from "../http/route";
import { GRADES } from "../rules/products";
import { CSV_COLUMNS, WhiteListEntryInput, importWhiteList, parseWhiteListCsv, type PublishedEntry } from "./service";
import {
  createRegulatorCheck,
  createSealReader,
  sealWhiteList,
  whiteListDomain,
  type RegulatorCheck,
  type SealReader,
} from "./signatures";

/**
 * Entries per request to the bank node: with their proofs (~1.3 kB an entry in a publication of 10,000), ~130 kB,
 * under the nodes' default 256 KiB JSON limit.
 */
const PUBLISH_CHUNK = 100;

/** An entry as the regulator published it: with when, and its signature over both. */
const SignedEntry = WhiteListEntryInput.extend({
  publishedAt: z.iso.datetime().transform((value) => new Date(value)),
  root: Hex32,
  proof: z.array(Hex32).max(64),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, { message: "must be a 65-byte hex signature" }),
});

/** Sends signed entries to the bank node, in chunks; says how many it stored. */
async function publishToBank(
  bankNode: { url: string; apiKey: string } | undefined,
  entries: PublishedEntry[],
  source: string,
): Promise<{ published: boolean; accepted: number; detail: string }> {
  if (!bankNode) return { published: false, accepted: 0, detail: "no bank node is configured (BANK_NODE_URL)" };
  let accepted = 0;
  for (let i = 0; i < entries.length; i += PUBLISH_CHUNK) {
    const chunk = entries.slice(i, i + PUBLISH_CHUNK).map((entry) => ({
      creditCode: entry.creditCode,
      name: entry.name,
      grade: entry.grade,
      credit: entry.credit,
      management: entry.management,
      brand: entry.brand,
      foundation: entry.foundation,
      innovation: entry.innovation,
      publishedAt: entry.publishedAt.toISOString(),
      root: entry.root,
      proof: JSON.parse(entry.proof) as string[],
      signature: entry.signature,
    }));
    const response = await fetch(new URL("/whitelist/import", bankNode.url), {
      method: "POST",
      headers: { authorization: `Bearer ${bankNode.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ source, entries: chunk }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json().catch(() => ({}))) as { imported?: number; detail?: string };
    if (response.status !== 200)
      return {
        published: false,
        accepted,
        detail: `the bank node answered ${response.status}: ${body.detail ?? ""}; POST /whitelist/publish sends the list again`,
      };
    accepted += body.imported ?? 0;
  }
  return { published: true, accepted, detail: `the bank node took ${accepted} of ${entries.length} entries` };
}

const EntryView = WhiteListEntryInput.extend({
  source: z.string(),
  importedAt: z.string(),
  publishedAt: z.string().nullable().meta({ description: "when the regulator published (signed) the entry" }),
  root: z.string().nullable().meta({ description: "the Merkle root of the regulator's publication it came in" }),
  signature: z.string().nullable().meta({
    description: "the regulator's EIP-712 signature over the root (server/whitelist/signatures.ts)",
  }),
}).meta({
  id: "WhiteListEntry",
});

const present = (
  row: Omit<WhiteListEntryInput, "grade"> & {
    grade: string;
    source: string;
    importedAt: Date;
    publishedAt: Date | null;
    root: string | null;
    signature: string | null;
  },
) => ({
  creditCode: row.creditCode,
  name: row.name,
  grade: row.grade,
  credit: row.credit,
  management: row.management,
  brand: row.brand,
  foundation: row.foundation,
  innovation: row.innovation,
  source: row.source,
  importedAt: row.importedAt.toISOString(),
  publishedAt: row.publishedAt?.toISOString() ?? null,
  root: row.root,
  signature: row.signature,
});

const ImportBody = z.object({
  source: Text(200).default("regulator white list"),
  entries: z.array(WhiteListEntryInput).optional().meta({ description: "the firms" }),
  csv: z
    .string()
    .max(5 * 1024 * 1024)
    .optional()
    .meta({ description: `or CSV text with the columns ${CSV_COLUMNS.join(",")}` }),
});

const ImportResult = z.object({ imported: z.number(), created: z.number(), updated: z.number() });

/** What the regulator node's import says of its publication to the bank node. */
const Publication = z.object({
  published: z.boolean(),
  accepted: z.number().meta({ description: "entries the bank node stored" }),
  detail: z.string(),
});

/** The regulator node's routes: import (signing each entry) and publish to the bank node. */
function regulatorWhiteListRoutes({
  db,
  chain,
  bankNode,
}: {
  db: Database;
  chain: Chain;
  bankNode?: { url: string; apiKey: string };
}): RouteDef<any, any, any, any>[] {
  const seal = async (entries: WhiteListEntryInput[]) => {
    // Whole seconds: the leaf holds publishedAt as a uint64 of seconds.
    const publishedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const seals = await sealWhiteList(
      chain.signer,
      whiteListDomain(chain),
      entries.map((entry) => ({ ...entry, publishedAt })),
    );
    return seals.map(({ root, proof, signature }) => ({ publishedAt, root, proof: JSON.stringify(proof), signature }));
  };
  const publish = (entries: PublishedEntry[], source: string) =>
    publishToBank(bankNode, entries, source).catch((error: Error) => ({
      published: false,
      accepted: 0,
      detail: error.message,
    }));
  return [
    defineRoute({
      method: "post",
      path: "/whitelist/import",
      operationId: "importWhiteList",
      summary: "Import the regulator's quality white list, sign each entry and publish it to the bank node",
      tags: ["white list"],
      auth: ["regulator"],
      body: ImportBody,
      responses: {
        200: {
          description: "imported and signed; `bankNode` says whether the bank node took the signed entries",
          schema: ImportResult.extend({ bankNode: Publication }),
        },
      },
      handler: async ({ body, principal }) => {
        authorize(principal!, "write", { type: "whiteList" });
        if (body.entries && body.csv) throw badRequest("validation_failed", "give entries or csv, not both");
        if (!body.entries && !body.csv)
          throw badRequest("validation_failed", "give the firms as entries (JSON objects) or as csv (text)");
        const rows = body.entries ?? parseWhiteListCsv(body.csv!);
        const { entries, ...counts } = await importWhiteList(db, rows, body.source, seal);
        return { body: { ...counts, bankNode: await publish(entries as PublishedEntry[], body.source) } };
      },
    }),
    defineRoute({
      method: "post",
      path: "/whitelist/publish",
      operationId: "publishWhiteList",
      summary: "Send every signed entry of the white list to the bank node again",
      tags: ["white list"],
      auth: ["regulator"],
      responses: { 200: { description: "what the bank node took", schema: Publication } },
      handler: async ({ principal }) => {
        authorize(principal!, "write", { type: "whiteList" });
        const rows = await db.prisma.whiteListEntry.findMany({ orderBy: { creditCode: "asc" } });
        const signed = rows.filter(
          (row) => row.publishedAt && row.root && row.proof && row.signature,
        ) as PublishedEntry[];
        return { body: await publish(signed, "regulator white list") };
      },
    }),
  ];
}

/** The bank node's one white-list edit: entries the regulator signed, each newer than what it holds. */
function bankWhiteListRoute({
  db,
  readSeal,
  isRegulator,
}: {
  db: Database;
  readSeal: SealReader;
  isRegulator: RegulatorCheck;
}): RouteDef<any, any, any, any> {
  return defineRoute({
    method: "post",
    path: "/whitelist/import",
    operationId: "receiveWhiteList",
    summary: "Take white-list entries the regulator signed (sent by the regulator node)",
    tags: ["white list"],
    auth: ["regulator"],
    body: z.object({
      source: Text(200).default("regulator white list"),
      entries: z.array(SignedEntry).min(1).max(PUBLISH_CHUNK),
    }),
    responses: {
      200: {
        description: "stored; `stale` entries were older than what the bank node holds and were left out",
        schema: ImportResult.extend({ stale: z.number() }),
      },
      403: { description: "a bank key: the white list is the regulator's" },
      422: { description: "not_signed_by_regulator: an entry's signature is not the regulator's" },
    },
    handler: async ({ body, principal }) => {
      authorize(principal!, "write", { type: "whiteList" });
      const problems: Array<{ path: string; message: string }> = [];
      for (const [index, entry] of body.entries.entries()) {
        const signer = readSeal(entry, entry);
        if (!signer || !(await isRegulator(signer)))
          problems.push({
            path: `entries.${index}.signature`,
            message: signer
              ? `signed by ${signer}, which does not hold REGULATOR_ROLE`
              : "its proof does not hold under its root, or the signature over the root is not valid",
          });
      }
      if (problems.length > 0)
        throw new AppError(
          422,
          "not_signed_by_regulator",
          `${problems.length} entr${problems.length === 1 ? "y is" : "ies are"} not signed by the regulator; nothing was stored: ${problems[0].path}: ${problems[0].message}`,
          { errors: problems },
        );
      let created = 0;
      let stale = 0;
      await db.prisma.$transaction(async (tx) => {
        for (const entry of body.entries) {
          const existing = await tx.whiteListEntry.findUnique({ where: { creditCode: entry.creditCode } });
          // A replayed older publication must not roll a grade back.
          if (existing?.publishedAt && existing.signature && existing.publishedAt >= entry.publishedAt) {
            stale++;
            continue;
          }
          if (!existing) created++;
          const data = { ...entry, proof: JSON.stringify(entry.proof), source: body.source, importedAt: new Date() };
          await tx.whiteListEntry.upsert({ where: { creditCode: entry.creditCode }, create: data, update: data });
        }
      });
      const imported = body.entries.length - stale;
      return { body: { imported, created, updated: imported - created, stale } };
    },
  });
}

/**
 * The quality white list routes. The list is the regulator's: on the regulator node the regulator imports it, signs
 * each entry and publishes the entries to the bank node; on the bank node the same path takes only entries the
 * regulator signed (whoever relays them), never an officer's edit. Both nodes serve the list to every key.
 */
export function whiteListRoutes({
  db,
  role,
  chain,
  bankNode,
}: {
  db: Database;
  role: NodeRole;
  chain: Chain;
  bankNode?: { url: string; apiKey: string };
}): RouteDef<any, any, any, any>[] {
  const editRoutes =
    role === "regulator"
      ? regulatorWhiteListRoutes({ db, chain, bankNode })
      : [bankWhiteListRoute({ db, readSeal: createSealReader(chain), isRegulator: createRegulatorCheck(chain) })];
  return [
    ...editRoutes,
    defineRoute({
      method: "get",
      path: "/whitelist",
      operationId: "listWhiteList",
      summary: "List the quality white list",
      tags: ["white list"],
      auth: ["bank_officer", "regulator", "borrower", "supplier"],
      query: z.object({ grade: z.enum(GRADES).optional(), ...pageQuery().shape }),
      responses: { 200: { description: "firms, by credit code", schema: pageOf(EntryView) } },
      handler: async ({ query, principal }) => {
        authorize(principal!, "read", { type: "catalog" });
        const rows = await db.prisma.whiteListEntry.findMany({
          where: { grade: query.grade },
          orderBy: { creditCode: "asc" },
          ...pageArgs(query, "creditCode"),
        });
        const page = pageOfRows(rows, query, (row) => row.creditCode);
        return { body: { items: page.items.map(present), nextCursor: page.nextCursor } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/whitelist/:creditCode",
      operationId: "getWhiteListEntry",
      summary: "Get one firm of the white list",
      tags: ["white list"],
      auth: ["bank_officer", "regulator", "borrower", "supplier"],
      params: z.object({
        creditCode: z
          .string()
          .regex(/^[0-9A-Z]{18}$/, { message: "must be an 18-character unified social credit code" }),
      }),
      responses: { 200: { description: "the firm", schema: EntryView }, 404: { description: "not on the white list" } },
      handler: async ({ params, principal }) => {
        authorize(principal!, "read", { type: "catalog" });
        const row = await db.prisma.whiteListEntry.findUnique({ where: { creditCode: params.creditCode } });
        if (!row) throw notFound(`white-list entry ${params.creditCode}`);
        return { body: present(row) };
      },
    }),
  ];
}
