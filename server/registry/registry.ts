import fs from "node:fs";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Database } from "../db/client";
import { conflict } from "../errors";
import { Text, defineRoute, type RouteDef } from "../http/route";
import { REGISTRY_TYPES } from "../verification/checks";

export const RegistryRecordInput = z.object({
  type: z.enum(REGISTRY_TYPES, { message: `must be one of ${REGISTRY_TYPES.join(", ")}` }),
  reference: Text(128).meta({ description: "licence number, patent number or report number" }),
  holder: Text(256),
  data: z.record(z.string(), z.unknown()).default({}),
});
export type RegistryRecordInput = z.infer<typeof RegistryRecordInput>;

const SeedFile = z.object({ records: z.array(RegistryRecordInput) });

const RecordView = RegistryRecordInput.extend({ id: z.string(), createdAt: z.string() }).meta({ id: "RegistryRecord" });

function present(row: { id: string; type: string; reference: string; holder: string; data: string; createdAt: Date }) {
  return {
    id: row.id,
    type: row.type,
    reference: row.reference,
    holder: row.holder,
    data: JSON.parse(row.data),
    createdAt: row.createdAt.toISOString(),
  };
}

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
    await db.prisma.registryRecord.upsert({
      where: { type_reference: { type: record.type, reference: record.reference } },
      create: { id: randomUUID(), ...record, data: JSON.stringify(record.data) },
      update: { holder: record.holder, data: JSON.stringify(record.data) },
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
      query: z.object({ type: z.enum(REGISTRY_TYPES).optional() }),
      responses: { 200: { description: "records", schema: z.object({ items: z.array(RecordView) }) } },
      handler: async ({ query }) => {
        const rows = await db.prisma.registryRecord.findMany({
          where: { type: query.type },
          orderBy: [{ type: "asc" }, { reference: "asc" }],
        });
        return { body: { items: rows.map(present) } };
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
        const existing = await db.prisma.registryRecord.findUnique({
          where: { type_reference: { type: body.type, reference: body.reference } },
        });
        if (existing)
          throw conflict("registry_record_exists", `a ${body.type} record ${body.reference} already exists`);
        const row = await db.prisma.registryRecord.create({
          data: { id: randomUUID(), ...body, data: JSON.stringify(body.data) },
        });
        return { status: 201, body: present(row) };
      },
    }),
  ];
}
