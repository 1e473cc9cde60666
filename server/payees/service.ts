/** Suppliers and labs: registered on chain by the bank through the outbox; a request waits for its transaction. */
import { ZeroHash, keccak256, toUtf8Bytes } from "ethers";
import type { Chain } from "../chain/chain";
import type { Database, Tx } from "../db/client";
import { uniqueViolation } from "../db/errors";
import { conflict, notFound, unprocessable } from "../errors";
import { readPage, type PageArgs } from "../http/page";
import { orderedId } from "../ids";
import { JOB } from "../outbox/jobs";
import type { Outbox } from "../outbox/outbox";
import { chainWrite } from "../outbox/wait";
import { presentPayee } from "./presenter";
import { categoryIndex, type PayeeFilter, type RegisterPayeeBody, type UpdatePayeeBody } from "./schema";

export type PayeeService = ReturnType<typeof createPayeeService>;

export function createPayeeService({
  db,
  chain,
  outbox,
  waitMs,
}: {
  db: Database;
  chain: Chain;
  outbox: Outbox;
  waitMs: number;
}) {
  async function load(address: string) {
    const row = await db.prisma.payee.findUnique({ where: { address } });
    if (!row) throw notFound(`payee ${address}`);
    return row;
  }

  async function register(body: RegisterPayeeBody) {
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
    return { status: landed ? 201 : 202, body: presentPayee(await load(body.address), landed?.txHash ?? null) };
  }

  async function list(query: PayeeFilter) {
    const where = {
      category: query.category,
      active: query.active === undefined ? undefined : query.active === "true",
    };
    const orderBy = [{ name: "asc" as const }, { address: "asc" as const }];
    const read = (page: PageArgs<"address">) => db.prisma.payee.findMany({ where, orderBy, ...page });
    return readPage(query, "address", read, (row) => presentPayee(row));
  }

  async function update(address: string, body: UpdatePayeeBody) {
    const row = await load(address);
    const category = body.category ?? row.category;
    const licenceHash = body.licenceHash ?? row.licenceHash;
    const onChain = category !== row.category || licenceHash !== row.licenceHash;
    const key = `payee-update:${address}:${orderedId()}`;
    await db.prisma.$transaction(async (tx) => {
      await tx.payee.update({ where: { address }, data: { name: body.name ?? row.name, category, licenceHash } });
      if (onChain) {
        await outbox.enqueue(tx, {
          key,
          kind: JOB.UPDATE_PAYEE,
          payload: { address, category: categoryIndex(category), licenceHash },
        });
      }
    });
    const landed = onChain ? await chainWrite(outbox, key, waitMs) : { txHash: null };
    return { status: landed ? 200 : 202, body: presentPayee(await load(address), landed?.txHash ?? null) };
  }

  /** Deactivates (no payment can go to it) or reactivates a payee on chain; 409 when it is already in that state. */
  async function setActive(address: string, action: "deactivate" | "reactivate", reason: string) {
    const row = await load(address);
    if (row.active === (action === "reactivate")) {
      throw conflict(
        `payee_already_${action === "deactivate" ? "inactive" : "active"}`,
        `payee ${address} is already ${row.active ? "active" : "inactive"}`,
      );
    }
    const key = `payee-${action}:${address}:${orderedId()}`;
    await db.prisma.$transaction(async (tx) => {
      await tx.payee.update({ where: { address }, data: { active: action === "reactivate" } });
      await outbox.enqueue(tx, {
        key,
        kind: action === "deactivate" ? JOB.DEACTIVATE_PAYEE : JOB.REACTIVATE_PAYEE,
        payload: { address, reasonHash: keccak256(toUtf8Bytes(reason)) },
      });
    });
    const landed = await chainWrite(outbox, key, waitMs);
    return { status: landed ? 200 : 202, body: presentPayee(await load(address), landed?.txHash ?? null) };
  }

  return { register, list, update, setActive };
}

/** Marks a payee confirmed once its registration landed (outbox hook). */
export async function onPayeeRegistered(tx: Tx, payload: { address: string }) {
  await tx.payee.updateMany({ where: { address: payload.address }, data: { chainStatus: "CONFIRMED" } });
}
