import { getAddress } from "ethers";
import { isPayeeKind, type EvidenceKind } from "../chain/evidence";
import type { Database } from "../db/client";
import { borrowerOf, figureMismatch, findRecord, inspectionFigures, type RecordRow } from "../registry/records";
import { businessKeyOf } from "../documents/admission";
import { stillHolding, type RejectedOnChain } from "./rejected";

/** A verdict before signing: ACCEPT, or REJECT with the reason a person can read. */
export type Check = { ok: true } | { ok: false; reason: string };

/** What a record check sees of a document: its claims (metadata) and what its evidence id commits to. */
export interface RecordCandidate {
  kind: EvidenceKind;
  metadata: Record<string, unknown>;
  facilityId?: bigint;
  /** The payee (payee kinds) or borrower the evidence id names; proven with the id, so not the bank's word. */
  counterparty?: string;
  evidenceId?: string;
  /** sha256 of the bytes, as this node re-hashed them. */
  contentHash?: string;
}

/** An institution's own checks of a document's claims against its own records. */
export type RecordCheck = (candidate: RecordCandidate) => Promise<Check>;

export const REGISTRY_TYPES = [
  "LICENSED_SUPPLIER",
  "LICENSED_LAB",
  "PATENT_FILING",
  "INSPECTION_RECORD",
  "FIRM_ACCOUNT",
] as const;
export type RegistryType = (typeof REGISTRY_TYPES)[number];

/** Which metadata field names the counterparty of each kind, and where the regulator looks it up. */
const REGULATOR_RULES: Record<EvidenceKind, { field: string; type: RegistryType; what: string }> = {
  PURCHASE_CONTRACT: { field: "supplierLicence", type: "LICENSED_SUPPLIER", what: "supplier licence" },
  INVOICE: { field: "supplierLicence", type: "LICENSED_SUPPLIER", what: "supplier licence" },
  DELIVERY_NOTE: { field: "supplierLicence", type: "LICENSED_SUPPLIER", what: "supplier licence" },
  INSPECTION_REPORT: { field: "labLicence", type: "LICENSED_LAB", what: "lab licence" },
  CERTIFICATION: { field: "labLicence", type: "LICENSED_LAB", what: "certification body licence" },
  PATENT_FILING: { field: "patentNumber", type: "PATENT_FILING", what: "patent filing" },
  SPOT_CHECK_REPORT: { field: "reportNumber", type: "INSPECTION_RECORD", what: "inspection record" },
};

/** What a record check asks the chain: whether other evidence was rejected there (and so no longer holds anything). */
export interface CheckOptions {
  /** Default: nothing counts as rejected, so every earlier evidence keeps what it claimed. */
  rejected?: RejectedOnChain;
}

const nothingRejected: RejectedOnChain = async () => false;

/**
 * The market regulator's check: the supplier, lab, patent filing or inspection record a document names must be in
 * the regulator's own registry (seeded from its files, never from the bank); a payee-kind document's payee account
 * must be one the registry binds to the licence's holder (FIRM_ACCOUNT, by credit code).
 */
export function regulatorRecordCheck(db: Database, { rejected = nothingRejected }: CheckOptions = {}): RecordCheck {
  return async ({ kind, metadata, facilityId, counterparty, evidenceId, contentHash }) => {
    const seen = await seenBefore(db, { kind, metadata, counterparty, evidenceId, contentHash }, rejected);
    if (!seen.ok) return seen;
    const rule = REGULATOR_RULES[kind];
    const reference = metadata[rule.field];
    if (typeof reference !== "string" || reference.trim() === "") {
      return { ok: false, reason: `metadata.${rule.field} is missing: the ${rule.what} cannot be checked` };
    }
    const record = await db.prisma.registryRecord.findUnique({
      where: { type_reference: { type: rule.type, reference: reference.trim() } },
    });
    if (!record) return { ok: false, reason: `${rule.what} ${reference} is not in the regulator's registry` };
    if (isPayeeKind(kind)) {
      const bound = await accountBinding(db, record, rule.what, counterparty);
      if (!bound.ok) return bound;
    }
    const own = BORROWER_CHECKS[kind];
    return own ? own(db, { metadata, facilityId: facilityId ?? 0n }) : { ok: true };
  };
}

/**
 * A payee-kind document is paid to the payee its evidence id names: that chain account must be, by the regulator's own
 * FIRM_ACCOUNT record, an account of the firm holding the licence the document cites. The bank's file of payees (name,
 * credit code, address) is not consulted: a payee registered or edited there under another firm's identity cannot
 * borrow that firm's licence.
 */
async function accountBinding(db: Database, licence: RecordRow, what: string, counterparty?: string): Promise<Check> {
  if (!counterparty) return { ok: false, reason: "the document names no payee account" };
  const account = getAddress(counterparty);
  if (!licence.holderCreditCode)
    return { ok: false, reason: `${what} ${licence.reference} records no holder credit code` };
  const firm = await findRecord(db, "FIRM_ACCOUNT", account);
  if (!firm?.holderCreditCode) {
    return {
      ok: false,
      reason: `payee account ${account} is not in the regulator's registry: it cannot be bound to ${what} ${licence.reference}`,
    };
  }
  if (firm.holderCreditCode !== licence.holderCreditCode) {
    return {
      ok: false,
      reason: `${what} ${licence.reference} is held by ${licence.holderCreditCode}, but payee account ${account} is of firm ${firm.holderCreditCode} in the regulator's registry`,
    };
  }
  return { ok: true };
}

type BorrowerCheck = (db: Database, c: { metadata: Record<string, unknown>; facilityId: bigint }) => Promise<Check>;

/**
 * A patent filing counts for a borrower only if the regulator's registry says the borrower holds the patent (by
 * credit code, the borrower known from the regulator's own index and registry, never from the bank).
 */
const patentHolderCheck: BorrowerCheck = async (db, { metadata, facilityId }) => {
  const number = String(metadata.patentNumber).trim();
  const borrower = await borrowerOf(db, facilityId);
  if (!borrower.ok) return { ok: false, reason: `patent ${number} cannot be attributed: ${borrower.reason}` };
  const patent = await findRecord(db, "PATENT_FILING", number);
  if (patent?.holderCreditCode !== borrower.creditCode) {
    return {
      ok: false,
      reason: `patent ${number} is held by ${patent?.holderCreditCode ?? "no recorded firm"} in the regulator's registry, not by the borrower ${borrower.creditCode}`,
    };
  }
  return { ok: true };
};

/**
 * An inspection report (or a spot-check report) must cite an inspection record the regulator holds for this borrower;
 * its outcome and pass rate are the record's, and whatever the metadata claims of them must be the record's.
 */
const inspectionRecordCheck: BorrowerCheck = async (db, { metadata, facilityId }) => {
  const number = metadata.reportNumber;
  if (typeof number !== "string" || number.trim() === "")
    return { ok: false, reason: "metadata.reportNumber is missing: the regulator's inspection record cannot be found" };
  const record = await findRecord(db, "INSPECTION_RECORD", number);
  const figures = record && inspectionFigures(record);
  if (!record || !figures)
    return { ok: false, reason: `inspection record ${number.trim()} is not in the regulator's registry` };
  const borrower = await borrowerOf(db, facilityId);
  if (!borrower.ok)
    return { ok: false, reason: `inspection record ${record.reference} cannot be attributed: ${borrower.reason}` };
  if (record.holderCreditCode !== borrower.creditCode) {
    return {
      ok: false,
      reason: `inspection record ${record.reference} is of firm ${record.holderCreditCode ?? "unknown"}, not of the borrower ${borrower.creditCode}`,
    };
  }
  const mismatch = figureMismatch(metadata, figures);
  return mismatch ? { ok: false, reason: `inspection record ${record.reference}: ${mismatch}` } : { ok: true };
};

const BORROWER_CHECKS: Partial<Record<EvidenceKind, BorrowerCheck>> = {
  PATENT_FILING: patentHolderCheck,
  INSPECTION_REPORT: inspectionRecordCheck,
  SPOT_CHECK_REPORT: inspectionRecordCheck,
};

/** Of `others` (newest first), the one whose evidence still holds its bytes or identity: not rejected on chain. */
async function holderAmong<T extends { evidenceId: string }>(rejected: RejectedOnChain, others: T[]) {
  const [holding] = await stillHolding(
    rejected,
    others.map((o) => o.evidenceId),
  );
  return others.find((o) => o.evidenceId === holding);
}

/**
 * One document, one use, from this node's own memory: a document whose bytes, or whose business identity (issuer and
 * number), this node has already seen for another evidence that may still be verified is a REJECT. The first
 * evidence seen with them keeps them until the chain records a verifier's REJECT of it (a final veto): a rejected
 * forgery citing a real number does not block the genuine document.
 */
async function seenBefore(db: Database, c: RecordCandidate, rejected: RejectedOnChain): Promise<Check> {
  if (!c.evidenceId || !c.contentHash) return { ok: true };
  const businessKey = c.counterparty ? businessKeyOf(c.kind, c.counterparty, c.metadata) : null;
  const others = await db.prisma.evidenceSeen.findMany({
    where: {
      evidenceId: { not: c.evidenceId },
      OR: [{ contentHash: c.contentHash }, ...(businessKey ? [{ businessKey }] : [])],
    },
    // Newest first: an evidence is recorded here only when none other holds its bytes or identity, so the one that
    // may still hold them is the newest, however many rejected ones came before it.
    orderBy: { createdAt: "desc" },
    take: 20,
  });
  const other = await holderAmong(rejected, others);
  if (other) {
    return {
      ok: false,
      reason:
        other.contentHash === c.contentHash
          ? `the same document (sha256 ${c.contentHash}) was already presented as evidence ${other.evidenceId}`
          : `${businessKey} was already presented as evidence ${other.evidenceId}`,
    };
  }
  await db.prisma.evidenceSeen.upsert({
    where: { evidenceId: c.evidenceId },
    create: { evidenceId: c.evidenceId, contentHash: c.contentHash, businessKey },
    update: {},
  });
  return { ok: true };
}

/**
 * The bank's own check beyond integrity, from its own records: the counterparty a payee-kind document names is a payee
 * of that facility's plan, and the supplier licence it cites is that payee's (its credit code on the bank's file); a
 * borrower-kind document names the facility's borrower; and no other document has the same business identity.
 */
export function bankRecordCheck(db: Database, { rejected = nothingRejected }: CheckOptions = {}): RecordCheck {
  return async ({ kind, metadata, facilityId, counterparty, evidenceId }) => {
    if (facilityId === undefined || !counterparty) return { ok: false, reason: "the document names no counterparty" };
    const facility = await db.prisma.facility.findUnique({ where: { facilityId } });
    if (!facility) return { ok: false, reason: `facility ${facilityId} is not on the bank's file` };
    const party = getAddress(counterparty);
    if (!isPayeeKind(kind)) {
      return getAddress(facility.borrower) === party
        ? duplicateCheck(db, rejected, kind, party, metadata, evidenceId)
        : { ok: false, reason: `a ${kind} names the borrower ${facility.borrower}, not ${party}` };
    }
    const planned = (JSON.parse(facility.plan) as Array<{ payee: string }>).map((p) => getAddress(p.payee));
    if (!planned.includes(party)) {
      return { ok: false, reason: `${party} is not a payee of facility ${facilityId}'s plan` };
    }
    const licence = metadata.supplierLicence;
    if (typeof licence === "string" && licence.trim() !== "") {
      const payee = await db.prisma.payee.findUnique({ where: { address: party } });
      if (!payee) return { ok: false, reason: `payee ${party} is not on the bank's file` };
      if (payee.creditCode !== licence.trim()) {
        return {
          ok: false,
          reason: `supplier licence ${licence.trim()} is not the licence of payee ${party} (credit code ${payee.creditCode})`,
        };
      }
    }
    return duplicateCheck(db, rejected, kind, party, metadata, evidenceId);
  };
}

/** A REJECT when another document not rejected on chain has the same business identity (issuer + business number): one document, one use. */
async function duplicateCheck(
  db: Database,
  rejected: RejectedOnChain,
  kind: EvidenceKind,
  counterparty: string,
  metadata: Record<string, unknown>,
  evidenceId: string | undefined,
): Promise<Check> {
  const key = businessKeyOf(kind, counterparty, metadata);
  if (!key) return { ok: true };
  const others = await db.prisma.document.findMany({
    where: { businessKey: key, NOT: { evidenceId: evidenceId ?? "" } },
    select: { id: true, evidenceId: true },
    orderBy: { createdAt: "desc" },
    take: 20,
  });
  const other = await holderAmong(rejected, others);
  return other
    ? { ok: false, reason: `${key} is already the identity of document ${other.id}: one document, one use` }
    : { ok: true };
}
