import { getAddress } from "ethers";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { PageQuery } from "../../domain/api/page";
import type { Principal } from "../auth/roles";
import type { Chain } from "../chain/chain";
import { decodeLog } from "../chain/events";
import type { Database, Tx } from "../db/client";
import { uniqueViolation } from "../db/errors";
import { conflict, unprocessable } from "../errors";
import { pageOfTable } from "../http/page";
import { JOB, type CreateFacilityPayload } from "../outbox/jobs";
import type { JobHandler, Outbox } from "../outbox/outbox";
import { chainWrite } from "../outbox/wait";
import type { EvidenceReads } from "../payments/evidence";
import { categoryIndex } from "../payees/schema";
import { baseRateFor, isFastTrack, type Grade, type ProductCatalog } from "../rules/products";
import { toJson } from "../rules/values";
import type { createRegulatorWhiteList } from "../whitelist/signatures";
import type { FacilityReads } from "./chain-view";
import { createFunding, fundKey } from "./funding";
import { maskOf, validatePlan } from "./plan";
import type { CreateFacilityBody } from "./schema";

/** What each of the bank node's services is built on (server/node/compose.ts builds them over one set). */
export interface ServiceDeps {
  db: Database;
  chain: Chain;
  outbox: Outbox;
  catalog: ProductCatalog;
  waitMs: number;
  logger: Logger;
}

/** The policy's filter of the facilities a caller may list (server/auth/policy.ts, facilityWhere). */
type FacilityWhere = { borrower?: string; plan?: { contains: string } };

/**
 * A borrower's address as facilities store it (EIP-55), from one written in any case; anything else as it is (it then
 * names no facility, as no stored address equals it in any case).
 */
const storedAddress = (address: string) =>
  /^0x[0-9a-f]{40}$/i.test(address) ? getAddress(address.toLowerCase()) : address;

/**
 * The bank's facilities: created from a product definition (here), funded (./funding.ts), read from the chain
 * (./chain-view.ts). Entrusted payments (server/payments/) and the joint decisions (server/approvals/) are services of
 * their own over the same reads (server/node/compose.ts builds them together).
 */
/**
 * What a service over the facilities' reads is built on: ServiceDeps, the reads it uses (`R`), the evidence reads and
 * the regulator's signed white list (the only source of a listed firm's grade).
 */
export type FacilityServiceDeps<R extends Partial<FacilityReads> = FacilityReads> = ServiceDeps & {
  reads: R;
  evidence: Pick<EvidenceReads, "evidenceOf" | "evidencePage">;
  regulatorEntryOf: ReturnType<typeof createRegulatorWhiteList>;
};

export function createFacilityService(deps: FacilityServiceDeps) {
  const { db, chain, outbox, catalog, waitMs, logger, reads, evidence, regulatorEntryOf } = deps;
  const funding = createFunding({
    db,
    chain,
    outbox,
    waitMs,
    logger,
    applicationOf: async (facilityId) => (await reads.row(facilityId)).id,
    onChain: reads.onChain,
  });

  /**
   * One firm, one borrower account: a credit code stays with the chain account it first borrowed for, and an account
   * with its credit code (a second credit code for the same account, or a second account for the same firm, is 409).
   * Whether the pair is known already; the first facility records it (in its transaction), and a concurrent first
   * facility loses on the unique indexes.
   */
  async function checkBorrower(
    client: Pick<Tx, "borrower">,
    body: Pick<CreateFacilityBody, "borrower" | "creditCode">,
  ): Promise<boolean> {
    const [byCode, byAddress] = await Promise.all([
      client.borrower.findUnique({ where: { creditCode: body.creditCode } }),
      client.borrower.findUnique({ where: { address: body.borrower } }),
    ]);
    if (byCode && byCode.address !== body.borrower)
      throw conflict(
        "credit_code_taken",
        `credit code ${body.creditCode} belongs to borrower ${byCode.address} (${byCode.name}): one firm borrows from one chain account`,
      );
    if (byAddress && byAddress.creditCode !== body.creditCode)
      throw conflict(
        "borrower_credit_code_mismatch",
        `borrower ${body.borrower} is ${byAddress.name} with credit code ${byAddress.creditCode}, not ${body.creditCode}`,
      );
    return byCode !== null;
  }

  return {
    evidenceOf: evidence.evidenceOf,
    evidencePage: evidence.evidencePage,
    history: reads.history,

    async create(principal: Principal, body: CreateFacilityBody) {
      const product = catalog.find(body.productId, body.productVersion);
      if (!product)
        throw unprocessable(
          "unknown_product",
          `no product ${body.productId}${body.productVersion ? ` version ${body.productVersion}` : ""}; see GET /products`,
        );
      // Refused early, before any chain read; checked again (and recorded) in the transaction below.
      await checkBorrower(db.prisma, body);
      // Only the regulator's signed entry prices a white-listed firm (never a row someone wrote on the bank node).
      const listed = await regulatorEntryOf(body.creditCode);
      const grade = (listed?.grade ?? body.grade) as Grade | undefined;
      if (!grade)
        throw unprocessable(
          "grade_required",
          `${body.borrowerName} (${body.creditCode}) is not on the quality white list: give its grade (A–E)`,
        );
      await validatePlan(chain, body, product.qualityFloorBps);
      const fastTrack = listed !== null && isFastTrack(product, grade);
      const baseRateBps = baseRateFor(product, grade);
      const id = randomUUID();
      const total = body.plan.reduce((sum, p) => sum + p.amount, 0n);
      const payload: CreateFacilityPayload = {
        applicationId: id,
        borrower: body.borrower,
        creditLimit: body.creditLimit.toString(),
        baseRateBps,
        qualityFloorBps: product.qualityFloorBps,
        subsidyBps: product.subsidyBps,
        plan: body.plan.map((p) => ({
          payee: p.payee,
          amount: p.amount.toString(),
          category: categoryIndex(p.category),
          requiredKinds: maskOf(p.requiredEvidence),
          qualityPurpose: p.qualityPurpose,
        })),
      };
      const [balance, canMint] = await Promise.all([
        chain.token.balanceOf(chain.signer.address),
        chain.token.hasRole(await chain.token.MINTER_ROLE(), chain.signer.address),
      ]);
      const created = db.prisma.$transaction(async (tx) => {
        if (!(await checkBorrower(tx, body)))
          await tx.borrower.create({
            data: { creditCode: body.creditCode, address: body.borrower, name: body.borrowerName },
          });
        await tx.facility.create({
          data: {
            id,
            borrower: body.borrower,
            borrowerName: body.borrowerName,
            creditCode: body.creditCode,
            productId: product.id,
            productVersion: product.version,
            grade,
            creditLimit: body.creditLimit,
            termMonths: body.termMonths ?? product.termMonths,
            baseRateBps,
            qualityFloorBps: product.qualityFloorBps,
            subsidyBps: product.subsidyBps,
            plan: JSON.stringify(toJson(body.plan)),
            targets: JSON.stringify(product.targets),
            fastTrack,
            appliedAt: body.appliedAt ? new Date(body.appliedAt) : new Date(),
            createdBy: `${principal.institution}/${principal.label}`,
          },
        });
        await outbox.enqueue(tx, { key: `facility-create:${id}`, kind: JOB.CREATE_FACILITY, payload });
        // Fund the plan: the demo token can be minted by the bank; a real tokenized deposit must already be held.
        if (balance < total && canMint) {
          await outbox.enqueue(tx, {
            key: `facility-mint:${id}`,
            kind: JOB.MINT,
            payload: { amount: (total - balance).toString(), minBalance: total.toString() },
          });
        }
        // No approval here: each funding carries its own exact permit (see the FUND job), so facilities created at the
        // same moment cannot overwrite one another's allowance.
      });
      await created.catch(async (error) => {
        // A concurrent first facility of the same firm or account recorded its pair first: judge against it.
        if (!uniqueViolation(error)) throw error;
        await checkBorrower(db.prisma, body);
        throw error;
      });
      logger.info({ application: id, grade, baseRateBps, fastTrack }, "facility application accepted");
      const landed = await chainWrite(outbox, `facility-create:${id}`, waitMs);
      return {
        facility: await db.prisma.facility.findUniqueOrThrow({ where: { id } }),
        txHash: landed?.txHash ?? null,
      };
    },

    ...funding,

    async byApplication(id: string) {
      return db.prisma.facility.findUnique({ where: { id } });
    },

    /** The facilities matching `where` (the policy's filter of what the caller may list), newest first. */
    async list(where: FacilityWhere = {}) {
      return db.prisma.facility.findMany({ where, orderBy: [{ appliedAt: "desc" }, { id: "desc" }] });
    },

    /** A page of `list`, of one borrower's facilities when `query.borrower` is set (an address, in any case). */
    async page(where: FacilityWhere, query: PageQuery & { borrower?: string }) {
      const narrowed = { AND: [where, query.borrower ? { borrower: storedAddress(query.borrower) } : {}] };
      return pageOfTable(
        query,
        "id",
        (page) =>
          db.prisma.facility.findMany({ where: narrowed, orderBy: [{ appliedAt: "desc" }, { id: "desc" }], ...page }),
        async (id) => (await db.prisma.facility.count({ where: { AND: [narrowed, { id }] } })) > 0,
      );
    },

    row: reads.row,
    onChain: reads.onChain,
    chainView: reads.chainView,
    statusesOnChain: reads.statusesOnChain,
    outstandingOf: reads.outstandingOf,
    subsidyDueOf: reads.subsidyDueOf,
  };
}

export type FacilityService = ReturnType<typeof createFacilityService>;

/**
 * Outbox hook of CREATE_FACILITY: records the facility's on-chain id (read from the FacilityCreated event of the
 * landed transaction) and queues its funding, inside the confirming database transaction.
 */
export function onFacilityCreated(chain: Chain): JobHandler<CreateFacilityPayload>["onConfirmed"] {
  return async (tx, payload, landed, outbox) => {
    const landedTxHash = landed.txHash;
    const receipt = await chain.provider.getTransactionReceipt(landedTxHash);
    const created = receipt?.logs
      .map((log) => decodeLog(chain.manager.interface, log))
      .find((decoded) => decoded?.name === "FacilityCreated");
    if (!created) throw new Error(`no FacilityCreated event in ${landedTxHash}`);
    const facilityId = BigInt(created.args.facilityId);
    await tx.facility.update({
      where: { id: payload.applicationId },
      data: { facilityId, status: "ACTIVE", createdTx: landedTxHash },
    });
    const total = payload.plan.reduce((sum, p) => sum + BigInt(p.amount), 0n);
    await outbox.enqueue(tx, {
      key: fundKey(payload.applicationId),
      kind: JOB.FUND,
      payload: { facilityId: facilityId.toString(), amount: total.toString(), fundedAfter: total.toString() },
    });
  };
}
