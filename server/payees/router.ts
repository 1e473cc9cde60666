import { getAddress, isAddress, keccak256, toUtf8Bytes, ZeroHash } from "ethers";
import { z } from "zod";
import { pageOf, pageQuery } from "../../domain/api/page";
import { pageArgs, pageOfRows } from "../http/page";
import type { Chain } from "../chain/chain";
import type { Database } from "../db/client";
import { conflict, notFound, unprocessable } from "../errors";
import { CreditCode, Hex32, Text, defineRoute, type RouteDef } from "../http/route";
import { uniqueViolation } from "../db/errors";
import { authorize } from "../auth/policy";
import type { Outbox } from "../outbox/outbox";
import { orderedId } from "../ids";
import { JOB } from "../outbox/jobs";
import { chainWrite } from "../outbox/wait";
import { PayeeView } from "../../domain/api/payees";
import { PAYEE_CATEGORIES, type PayeeCategory } from "../../domain/enums";

export { PAYEE_CATEGORIES, type PayeeCategory };
export const categoryIndex = (category: string) => PAYEE_CATEGORIES.indexOf(category as PayeeCategory);

/** An address as 0x and 40 hex digits, in lower case or with its EIP-55 checksum (ethers would also take ICAP). */
export const Address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, { message: "must be a 0x-prefixed 20-byte address (40 hex digits)", abort: true })
  .refine((value) => isAddress(value), {
    message: "has a wrong EIP-55 checksum: write it in lower case, or with the mixed case of its checksum",
  })
  .transform((value) => getAddress(value));

const Category = z.enum(PAYEE_CATEGORIES, { message: `must be one of ${PAYEE_CATEGORIES.join(", ")}` });

const RegisterPayeeBody = z.object({
  address: Address,
  name: Text(200),
  creditCode: CreditCode,
  category: Category,
  licenceHash: Hex32.optional().meta({ description: "hash of the licence document" }),
  licenceDocumentId: z
    .uuid()
    .optional()
    .meta({ description: "or: an uploaded document whose content hash is the licence hash" }),
});

const UpdatePayeeBody = z.object({
  name: Text(200).optional(),
  category: Category.optional(),
  licenceHash: Hex32.optional(),
});

type PayeeRow = {
  address: string;
  name: string;
  creditCode: string;
  category: string;
  licenceHash: string;
  active: boolean;
  chainStatus: string;
};
const present = (row: PayeeRow, txHash: string | null = null) => ({ ...row, txHash });

/** Suppliers and labs: registered on chain by the bank through the outbox; the request waits for the transaction. */
export function payeeRoutes({
  db,
  chain,
  outbox,
  waitMs,
}: {
  db: Database;
  chain: Chain;
  outbox: Outbox;
  waitMs: number;
}): RouteDef<any, any, any, any>[] {
  async function load(address: string) {
    const row = await db.prisma.payee.findUnique({ where: { address } });
    if (!row) throw notFound(`payee ${address}`);
    return row;
  }

  return [
    defineRoute({
      method: "post",
      path: "/payees",
      operationId: "registerPayee",
      summary: "Register a supplier or lab as a payee",
      tags: ["payees"],
      auth: ["bank_officer"],
      body: RegisterPayeeBody,
      responses: {
        201: { description: "registered on chain", schema: PayeeView },
        202: { description: "accepted; the chain write is still on its way", schema: PayeeView },
        409: { description: "already registered, or its credit code is another payee's" },
        422: { description: "no licence given" },
      },
      handler: async ({ body, principal }) => {
        authorize(principal!, "write", { type: "institutional" });
        let licenceHash = body.licenceHash;
        if (body.licenceDocumentId) {
          const document = await db.prisma.document.findUnique({ where: { id: body.licenceDocumentId } });
          if (!document)
            throw unprocessable(
              "licence_document_not_found",
              `no document ${body.licenceDocumentId} to take the licence hash from`,
            );
          licenceHash = document.contentHash;
        }
        if (!licenceHash || licenceHash === ZeroHash) {
          throw unprocessable(
            "licence_missing",
            "give licenceHash or licenceDocumentId: every payee needs its licence document on file",
          );
        }
        if (await db.prisma.payee.findUnique({ where: { address: body.address } })) {
          throw conflict("payee_already_registered", `payee ${body.address} is already registered`);
        }
        if ((await chain.payees.payeeOf(body.address)).registeredAt !== 0n) {
          throw conflict("payee_already_registered", `payee ${body.address} is already registered on chain`);
        }
        const creditCodeTaken = (holder: { address: string; name: string }) =>
          conflict(
            "credit_code_taken",
            `credit code ${body.creditCode} is already registered to payee ${holder.address} (${holder.name}): one payee per firm`,
          );
        const holder = await db.prisma.payee.findUnique({ where: { creditCode: body.creditCode } });
        if (holder) throw creditCodeTaken(holder);
        const key = `payee-register:${body.address}`;
        const registered = db.prisma.$transaction(async (tx) => {
          await tx.payee.create({
            data: {
              address: body.address,
              name: body.name,
              creditCode: body.creditCode,
              category: body.category,
              licenceHash,
            },
          });
          await outbox.enqueue(tx, {
            key,
            kind: JOB.REGISTER_PAYEE,
            payload: { address: body.address, category: categoryIndex(body.category), licenceHash },
          });
        });
        await registered.catch(async (error) => {
          // A concurrent registration got there first (the unique indexes on the address and the credit code).
          if (!uniqueViolation(error)) throw error;
          const first = await db.prisma.payee.findUnique({ where: { creditCode: body.creditCode } });
          if (first && first.address !== body.address) throw creditCodeTaken(first);
          throw conflict("payee_already_registered", `payee ${body.address} is already registered`);
        });
        const landed = await chainWrite(outbox, key, waitMs);
        return { status: landed ? 201 : 202, body: present(await load(body.address), landed?.txHash ?? null) };
      },
    }),
    defineRoute({
      method: "get",
      path: "/payees",
      operationId: "listPayees",
      summary: "List payees",
      tags: ["payees"],
      auth: ["bank_officer", "regulator", "borrower", "supplier"],
      query: z.object({
        category: Category.optional(),
        active: z.enum(["true", "false"]).optional(),
        ...pageQuery().shape,
      }),
      responses: { 200: { description: "payees, by name", schema: pageOf(PayeeView) } },
      handler: async ({ query, principal }) => {
        authorize(principal!, "read", { type: "catalog" });
        const rows = await db.prisma.payee.findMany({
          where: { category: query.category, active: query.active === undefined ? undefined : query.active === "true" },
          orderBy: [{ name: "asc" }, { address: "asc" }],
          ...pageArgs(query, "address"),
        });
        const page = pageOfRows(rows, query, (row) => row.address);
        return { body: { items: page.items.map((row) => present(row)), nextCursor: page.nextCursor } };
      },
    }),
    defineRoute({
      method: "patch",
      path: "/payees/:address",
      operationId: "updatePayee",
      summary: "Update a payee's name, category or licence",
      tags: ["payees"],
      auth: ["bank_officer"],
      params: z.object({ address: Address }),
      body: UpdatePayeeBody,
      responses: {
        200: { description: "updated", schema: PayeeView },
        202: { description: "chain write on its way", schema: PayeeView },
      },
      handler: async ({ params, body, principal }) => {
        authorize(principal!, "write", { type: "institutional" });
        const row = await load(params.address);
        const category = body.category ?? row.category;
        const licenceHash = body.licenceHash ?? row.licenceHash;
        const onChain = category !== row.category || licenceHash !== row.licenceHash;
        const key = `payee-update:${params.address}:${orderedId()}`;
        await db.prisma.$transaction(async (tx) => {
          await tx.payee.update({
            where: { address: params.address },
            data: { name: body.name ?? row.name, category, licenceHash },
          });
          if (onChain) {
            await outbox.enqueue(tx, {
              key,
              kind: JOB.UPDATE_PAYEE,
              payload: { address: params.address, category: categoryIndex(category), licenceHash },
            });
          }
        });
        const landed = onChain ? await chainWrite(outbox, key, waitMs) : { txHash: null };
        return { status: landed ? 200 : 202, body: present(await load(params.address), landed?.txHash ?? null) };
      },
    }),
    ...(["deactivate", "reactivate"] as const).map((action) =>
      defineRoute({
        method: "post",
        path: `/payees/:address/${action}`,
        operationId: `${action}Payee`,
        summary:
          action === "deactivate" ? "Deactivate a payee: no payment can go to it" : "Reactivate a deactivated payee",
        tags: ["payees"],
        auth: ["bank_officer"],
        params: z.object({ address: Address }),
        body: z.object({ reason: Text(1_000).default(action) }),
        responses: {
          200: { description: "done on chain", schema: PayeeView },
          409: { description: "already in that state" },
        },
        handler: async ({ params, body, principal }) => {
          authorize(principal!, "write", { type: "institutional" });
          const row = await load(params.address);
          if (row.active === (action === "reactivate")) {
            throw conflict(
              `payee_already_${action === "deactivate" ? "inactive" : "active"}`,
              `payee ${params.address} is already ${row.active ? "active" : "inactive"}`,
            );
          }
          const key = `payee-${action}:${params.address}:${orderedId()}`;
          await db.prisma.$transaction(async (tx) => {
            await tx.payee.update({ where: { address: params.address }, data: { active: action === "reactivate" } });
            await outbox.enqueue(tx, {
              key,
              kind: action === "deactivate" ? JOB.DEACTIVATE_PAYEE : JOB.REACTIVATE_PAYEE,
              payload: { address: params.address, reasonHash: keccak256(toUtf8Bytes(body.reason)) },
            });
          });
          const landed = await chainWrite(outbox, key, waitMs);
          return { status: landed ? 200 : 202, body: present(await load(params.address), landed?.txHash ?? null) };
        },
      }),
    ),
  ];
}

/** Marks a payee confirmed once its registration landed (outbox hook). */
export async function onPayeeRegistered(tx: import("../db/client").Tx, payload: { address: string }) {
  await tx.payee.updateMany({ where: { address: payload.address }, data: { chainStatus: "CONFIRMED" } });
}
