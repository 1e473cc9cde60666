import type { EvidenceKind } from "../chain/evidence";
import type { Database } from "../db/client";
import { borrowerOf, figureMismatch, findRecord, inspectionFigures } from "../registry/records";

/** A verdict before signing: ACCEPT, or REJECT with the reason a person can read. */
export type Check = { ok: true } | { ok: false; reason: string };

/** An institution's own checks of a document's claims against its own records. */
export type RecordCheck = (candidate: {
  kind: EvidenceKind;
  metadata: Record<string, unknown>;
  facilityId: bigint;
}) => Promise<Check>;

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

/**
 * The market regulator's check: the supplier, lab, patent filing or inspection record a document names must be in
 * the regulator's own registry (seeded from its files, never from the bank).
 */
export function regulatorRecordCheck(db: Database): RecordCheck {
  return async ({ kind, metadata, facilityId }) => {
    const rule = REGULATOR_RULES[kind];
    const reference = metadata[rule.field];
    if (typeof reference !== "string" || reference.trim() === "") {
      return { ok: false, reason: `metadata.${rule.field} is missing: the ${rule.what} cannot be checked` };
    }
    const record = await db.prisma.registryRecord.findUnique({
      where: { type_reference: { type: rule.type, reference: reference.trim() } },
    });
    if (!record) return { ok: false, reason: `${rule.what} ${reference} is not in the regulator's registry` };
    const own = BORROWER_CHECKS[kind];
    return own ? own(db, { metadata, facilityId }) : { ok: true };
  };
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

/** The bank's own check beyond integrity: none for now (the bank holds the documents it checks). */
export const bankRecordCheck: RecordCheck = async () => ({ ok: true });
