import { getAddress } from "ethers";
import type { Principal } from "../auth/roles";
import type { Chain } from "../chain/chain";
import { isPayeeKind, kindIndex, type EvidenceKind } from "../chain/evidence";
import type { Database, Tx } from "../db/client";
import { AppError, conflict, unprocessable } from "../errors";
import { rejectedOnChain, stillHolding, type RejectedOnChain } from "../verification/rejected";

/** FacilityManager's Status.CLOSED. */
const CLOSED = 3;

/** What an upload entry says about itself; the rest is derived from the chain and the bank's records. */
export interface UploadEntry {
  facilityId: bigint;
  kind: EvidenceKind;
  counterparty?: string;
  metadata?: Record<string, unknown>;
}

/**
 * What admission derives for a document: the counterparty its evidence id names, its business identity, and the
 * document (rejected on chain) that held that identity until now, whose hold the upload's write releases.
 */
export interface Admitted {
  counterparty: string;
  businessKey: string | null;
  releases: string | null;
  /** the newest earlier upload of the same bytes (rejected on chain, else admission refuses), whose content hold the
   * upload's write releases */
  releasesContent: string | null;
}

/** The metadata field holding each kind's business number: with the issuer, one document's identity. */
const BUSINESS_NUMBER_FIELD: Record<EvidenceKind, string> = {
  PURCHASE_CONTRACT: "contractNumber",
  INVOICE: "invoiceNumber",
  DELIVERY_NOTE: "deliveryNoteNumber",
  INSPECTION_REPORT: "reportNumber",
  CERTIFICATION: "reportNumber",
  PATENT_FILING: "patentNumber",
  SPOT_CHECK_REPORT: "reportNumber",
};

/**
 * A document's business identity: kind, issuer (the counterparty: the payee that issued an invoice or signed a
 * contract, the borrower a patent or report is about) and the business number from its metadata, normalised. Two
 * documents with one identity are one document uploaded twice, whatever their bytes.
 */
export function businessKeyOf(kind: EvidenceKind, counterparty: string, metadata: Record<string, unknown> = {}) {
  const value = metadata[BUSINESS_NUMBER_FIELD[kind]];
  if (typeof value !== "string" && typeof value !== "number") return null;
  const number = String(value).trim().toUpperCase().replace(/\s+/g, "");
  return number === "" ? null : `${kind}:${getAddress(counterparty)}:${number}`;
}

/**
 * Whether an API key's holder is the party at `address` (a payee's or a borrower's): the key's bound subject (its
 * chain address, fixed when the key was issued) is that party. Names are not compared: a payee filed by the bank under
 * another firm's name does not make that firm's key its holder.
 */
export async function keyIsSubject(
  _db: Database,
  principal: Principal,
  subject: { address: string; as: "payee" | "borrower"; facilityId: bigint },
): Promise<boolean> {
  const bound = principal.subject;
  return bound.kind === subject.as && bound.address.toLowerCase() === subject.address.toLowerCase();
}

/**
 * The bank node's admission of evidence, before anything is stored: the facility exists and is not closed; the
 * counterparty is the facility's borrower (borrower kinds) or a payee of its plan (payee kinds); the uploader may submit
 * it (the bank officer; a borrower for its own facility; a supplier only documents naming itself); and neither its
 * bytes nor its business identity belong to another document that may still back a payment (one document, one use).
 * A document rejected on chain (`rejected`: a verifier's REJECT is a final veto) no longer holds them: a forgery
 * citing a real invoice or report number delays the genuine document until it is judged, and no longer.
 */
export function createAdmission({
  db,
  chain,
  rejected = rejectedOnChain(chain, db),
}: {
  db: Database;
  chain: Chain;
  rejected?: RejectedOnChain;
}) {
  /**
   * The facility's borrower, plan payees and whether it is closed. The bank's own record of a facility it created
   * serves while the chain node is away (uploads keep working); the chain is asked whether it is closed for up to a
   * second, and is the only source for a facility the bank's database does not hold.
   */
  async function facility(facilityId: bigint): Promise<AdmittedFacility> {
    const row = await db.prisma.facility.findUnique({ where: { facilityId } });
    if (row) {
      const plan = JSON.parse(row.plan) as Array<{ payee: string; requiredEvidence?: EvidenceKind[] }>;
      const status = await Promise.race([
        chain.manager.facility(facilityId).then(
          (state) => Number(state.status),
          () => undefined,
        ),
        new Promise<undefined>((resolve) => setTimeout(resolve, 1_000)),
      ]);
      return {
        borrower: row.borrower,
        closed: status === CLOSED,
        payments: plan.map((p) => ({
          payee: p.payee,
          requiredKinds: (p.requiredEvidence ?? []).reduce((mask, kind) => mask | (1 << kindIndex(kind)), 0),
        })),
      };
    }
    if (facilityId < 1n || facilityId > (await chain.manager.facilityCount())) {
      throw new AppError(404, "facility_not_found", `facility ${facilityId} does not exist on chain`);
    }
    const state = await chain.manager.facility(facilityId);
    const payments = await Promise.all(
      Array.from({ length: Number(state.paymentCount) }, (_, i) => chain.manager.payment(facilityId, i)),
    );
    return { borrower: state.borrower, closed: Number(state.status) === CLOSED, payments };
  }

  async function counterpartyOf(principal: Principal, entry: UploadEntry, f: AdmittedFacility) {
    const named = entry.counterparty ? getAddress(entry.counterparty) : undefined;
    if (!isPayeeKind(entry.kind)) {
      if (named && named !== getAddress(f.borrower)) {
        throw unprocessable(
          "counterparty_not_borrower",
          `a ${entry.kind} names the facility's borrower ${f.borrower}, not ${named}`,
        );
      }
      return getAddress(f.borrower);
    }
    const payees = [...new Set(f.payments.map((p) => getAddress(p.payee)))];
    const requiring = [
      ...new Set(
        f.payments
          .filter((p) => (Number(p.requiredKinds) >> kindIndex(entry.kind)) & 1)
          .map((p) => getAddress(p.payee)),
      ),
    ];
    if (principal.role === "supplier" && (!named || !payees.includes(named))) {
      const own = [];
      for (const payee of payees) {
        if (await keyIsSubject(db, principal, { address: payee, as: "payee", facilityId: entry.facilityId }))
          own.push(payee);
      }
      if (own.length === 0) {
        throw new AppError(
          403,
          "not_your_facility",
          `facility ${entry.facilityId} does not pay ${principal.institution}: a supplier submits evidence only for a facility that pays it`,
        );
      }
      if (!named) return own[0];
    }
    if (named) {
      if (!payees.includes(named)) {
        throw unprocessable(
          "counterparty_not_payee",
          `${named} is not a payee of facility ${entry.facilityId}'s plan; a ${entry.kind} names the payee it is with`,
          { payees },
        );
      }
      return named;
    }
    if (requiring.length === 1) return requiring[0];
    if (requiring.length === 0 && payees.length === 1) return payees[0]; // the plan pays one payee only
    // The supplier licence a document cites names its payee, when one payee requiring the kind has it as credit code.
    const licence = entry.metadata?.supplierLicence;
    if (typeof licence === "string" && licence.trim() !== "") {
      const holders = await db.prisma.payee.findMany({
        where: { address: { in: requiring }, creditCode: licence.trim() },
        select: { address: true },
      });
      if (holders.length === 1) return getAddress(holders[0].address);
    }
    throw unprocessable(
      "counterparty_required",
      `name the payee this ${entry.kind} is with in "counterparty": facility ${entry.facilityId} pays ${payees.join(", ")}`,
      { payees },
    );
  }

  async function mayUpload(principal: Principal, entry: UploadEntry, counterparty: string): Promise<void> {
    if (principal.role === "bank_officer") return;
    if (principal.role === "borrower") {
      if (await keyIsSubject(db, principal, { address: counterparty, as: "borrower", facilityId: entry.facilityId }))
        return;
      throw new AppError(403, "not_your_facility", `facility ${entry.facilityId} is not ${principal.institution}'s`);
    }
    if (principal.role === "supplier") {
      if (
        isPayeeKind(entry.kind) &&
        (await keyIsSubject(db, principal, { address: counterparty, as: "payee", facilityId: entry.facilityId }))
      )
        return;
      throw new AppError(
        403,
        "not_your_document",
        `a supplier submits only documents naming itself for a facility that pays it; this ${entry.kind} names ${counterparty}`,
      );
    }
    throw new AppError(403, "forbidden", `a ${principal.role} key does not submit evidence`);
  }

  return {
    /**
     * Admits one upload entry (or refuses it with 404/409/403/422) and derives its counterparty and identity. The
     * entries of one request may share `facilities`: each facility is then read once for all of them.
     */
    async admit(
      principal: Principal,
      entry: UploadEntry,
      contentHash: string,
      facilities: FacilityReads = new Map(),
    ): Promise<Admitted> {
      let read = facilities.get(entry.facilityId);
      if (!read) facilities.set(entry.facilityId, (read = facility(entry.facilityId)));
      const f = await read;
      if (f.closed) throw conflict("facility_closed", `facility ${entry.facilityId} is closed`);
      const counterparty = await counterpartyOf(principal, entry, f);
      await mayUpload(principal, entry, counterparty);
      // Earlier uploads of these bytes. At most one is not rejected on chain (each later one was admitted only once the
      // earlier were rejected), and it is the newest: newest first, so no number of rejected copies hides it.
      const sameBytes = await db.prisma.document.findMany({
        where: { contentHash },
        select: { id: true, evidenceId: true },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: 20,
      });
      const [holding] = await stillHolding(
        rejected,
        sameBytes.map((d) => d.evidenceId),
      );
      if (holding) {
        const holder = sameBytes.find((d) => d.evidenceId === holding)!;
        throw conflict(
          "document_duplicate",
          `these bytes were uploaded before as document ${holder.id}: one document backs one use ` +
            "(they are free again only if a verifier rejects that document)",
          { documentId: holder.id },
        );
      }
      const businessKey = businessKeyOf(entry.kind, counterparty, entry.metadata);
      let releases: string | null = null;
      if (businessKey) {
        const same = await db.prisma.document.findUnique({
          where: { businessKey },
          select: { id: true, evidenceId: true },
        });
        if (same && !(await rejected(same.evidenceId))) {
          throw conflict(
            "document_business_duplicate",
            `${businessKey} was uploaded before as document ${same.id}: one document backs one use ` +
              "(the number is free again only if a verifier rejects that document)",
            { documentId: same.id },
          );
        }
        releases = same?.id ?? null;
      }
      return { counterparty, businessKey, releases, releasesContent: sameBytes[0]?.id ?? null };
    },
  };
}

export type Admission = ReturnType<typeof createAdmission>;

/** A facility as admission reads it: its borrower, its plan's payees with the kinds each requires, whether it is closed. */
export interface AdmittedFacility {
  borrower: string;
  closed: boolean;
  payments: ReadonlyArray<{ payee: string; requiredKinds: number | bigint }>;
}

/** What one request's entries read of their facilities, by facility id. */
export type FacilityReads = Map<bigint, Promise<AdmittedFacility>>;

/**
 * Releases the business identities and the content holds that documents rejected on chain held (admission found
 * them), in the upload's own transaction. The identity stays derivable from the rejected row's kind, counterparty and
 * metadata, and its bytes from contentHash; the columns are the holds, and their unique constraints keep two concurrent
 * uploads from taking one identity or one content. A hold is released only from the row admission found rejected: a
 * concurrent upload that took it meanwhile keeps it, and this upload's write fails on the constraint.
 */
export async function releaseIdentities(
  tx: Tx,
  rows: Array<{
    businessKey: string | null;
    releases: string | null;
    contentHash: string;
    releasesContent: string | null;
  }>,
) {
  for (const { businessKey, releases, contentHash, releasesContent } of rows) {
    if (businessKey && releases) {
      await tx.document.updateMany({ where: { id: releases, businessKey }, data: { businessKey: null } });
    }
    if (releasesContent) {
      await tx.document.updateMany({
        where: { id: releasesContent, contentKey: contentHash },
        data: { contentKey: null },
      });
    }
  }
}
