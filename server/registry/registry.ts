import fs from "node:fs";
import { randomUUID } from "node:crypto";
import { isAddress } from "ethers";
import { z } from "zod";
import { pageOf, pageQuery } from "../../domain/api/page";
import { readPage, type PageArgs } from "../http/page";
import { JsonObject } from "../../domain/api/json";
import type { Database } from "../db/client";
import { conflict } from "../errors";
import { Text, defineRoute, type RouteDef } from "../http/route";
import { REGISTRY_TYPES } from "../verification/checks";
import { CreditCode, normalReference, type RecordRow } from "./records";

export const RegistryRecordInput = z
  .object({
    type: z.enum(REGISTRY_TYPES, { message: `must be one of ${REGISTRY_TYPES.join(", ")}` }),
    reference: Text(128).meta({
      description: "licence number, patent number, report number, or a firm's chain account (FIRM_ACCOUNT)",
    }),
    holder: Text(256).meta({ description: "the holder's name" }),
    holderCreditCode: CreditCode.meta({
      description: "unified social credit code of the firm holding the licence, patent, record or account",
    }),
    outcome: z.enum(["PASS", "FAIL"]).optional().meta({ description: "INSPECTION_RECORD only" }),
    passRateBps: z.int().min(0).max(10_000).optional().meta({ description: "INSPECTION_RECORD only" }),
    data: z.record(z.string(), z.unknown()).default({}),
  })
  .superRefine((record, ctx) => {
    const inspection = record.type === "INSPECTION_RECORD";
    for (const field of ["outcome", "passRateBps"] as const) {
      if (inspection && record[field] === undefined)
        ctx.addIssue({ code: "custom", path: [field], message: "an inspection record needs it" });
      if (!inspection && record[field] !== undefined)
        ctx.addIssue({ code: "custom", path: [field], message: "only an inspection record has it" });
    }
    if (record.type === "FIRM_ACCOUNT" && !isAddress(record.reference.trim()))
      ctx.addIssue({ code: "custom", path: ["reference"], message: "a FIRM_ACCOUNT reference is a chain address" });
  });
export type RegistryRecordInput = z.infer<typeof RegistryRecordInput>;

const SeedFile = z.object({ records: z.array(RegistryRecordInput) });

const RecordView = z
  .object({
    id: z.string(),
    type: z.enum(REGISTRY_TYPES),
    reference: z.string(),
    holder: z.string(),
    holderCreditCode: z.string().nullable(),
    outcome: z.string().nullable(),
    passRateBps: z.int().nullable(),
    data: JsonObject,
    createdAt: z.string(),
  })
  .meta({ id: "RegistryRecord" });

function present(row: RecordRow & { id: string; createdAt: Date }) {
  return {
    id: row.id,
    type: row.type,
    reference: row.reference,
    holder: row.holder,
    holderCreditCode: row.holderCreditCode,
    outcome: row.outcome,
    passRateBps: row.passRateBps,
    data: JSON.parse(row.data),
    createdAt: row.createdAt.toISOString(),
  };
}

/** A record's columns as stored: the reference normalised, the figures only where the type has them. */
const columnsOf = (record: RegistryRecordInput) => ({
  type: record.type,
  reference: normalReference(record.type, record.reference),
  holder: record.holder,
  holderCreditCode: record.holderCreditCode,
  outcome: record.outcome ?? null,
  passRateBps: record.passRateBps ?? null,
  data: JSON.stringify(record.data),
});

/** Loads the regulator's own registry from its seed file (idempotent: records are keyed by type and reference). */
export async function seedRegistry(db: Database, file: string): Promise<number> {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`REGISTRY_SEED_FILE: cannot read ${file} as JSON (${(error as Error).message})`);
  }
  const parsed = SeedFile.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `REGISTRY_SEED_FILE: ${file} is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  for (const record of parsed.data.records) {
    const columns = columnsOf(record);
    await db.prisma.registryRecord.upsert({
      where: { type_reference: { type: columns.type, reference: columns.reference } },
      create: { id: randomUUID(), ...columns },
      update: columns,
    });
  }
  return parsed.data.records.length;
}

/** The regulator's registry routes. */
export function registryRoutes({ db }: { db: Database }): RouteDef<any, any, any, any>[] {
  return [
    defineRoute({
      method: "get",
      path: "/registry/records",
      operationId: "listRegistryRecords",
      summary: "List the regulator's registry records",
      tags: ["registry"],
      auth: ["regulator"],
      query: z.object({ type: z.enum(REGISTRY_TYPES).optional(), ...pageQuery().shape }),
      responses: { 200: { description: "records, by type and reference", schema: pageOf(RecordView) } },
      handler: async ({ query }) => {
        const where = { type: query.type };
        const orderBy = [{ type: "asc" as const }, { reference: "asc" as const }, { id: "asc" as const }];
        const read = (page: PageArgs<"id">) => db.prisma.registryRecord.findMany({ where, orderBy, ...page });
        return { body: await readPage(query, "id", read, present) };
      },
    }),
    defineRoute({
      method: "post",
      path: "/registry/records",
      operationId: "createRegistryRecord",
      summary: "Add a record to the regulator's registry",
      tags: ["registry"],
      auth: ["regulator"],
      body: RegistryRecordInput,
      responses: {
        201: { description: "created", schema: RecordView },
        409: { description: "a record of that type and reference exists" },
      },
      handler: async ({ body }) => {
        const columns = columnsOf(body);
        const existing = await db.prisma.registryRecord.findUnique({
          where: { type_reference: { type: columns.type, reference: columns.reference } },
        });
        if (existing)
          throw conflict("registry_record_exists", `a ${body.type} record ${columns.reference} already exists`);
        const row = await db.prisma.registryRecord.create({ data: { id: randomUUID(), ...columns } });
        return { status: 201, body: present(row) };
      },
    }),
  ];
}
