import type { EvidenceKind } from "../chain/evidence";
import type { Database } from "../db/client";

/** A verdict before signing: ACCEPT, or REJECT with the reason a person can read. */
export type Check = { ok: true } | { ok: false; reason: string };

/** An institution's own checks of a document's claims against its own records. */
export type RecordCheck = (candidate: { kind: EvidenceKind; metadata: Record<string, unknown> }) => Promise<Check>;

export const REGISTRY_TYPES = ["LICENSED_SUPPLIER", "LICENSED_LAB", "PATENT_FILING", "INSPECTION_RECORD"] as const;
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
  return async ({ kind, metadata }) => {
    const rule = REGULATOR_RULES[kind];
    const reference = metadata[rule.field];
    if (typeof reference !== "string" || reference.trim() === "") {
      return { ok: false, reason: `metadata.${rule.field} is missing: the ${rule.what} cannot be checked` };
    }
    const record = await db.prisma.registryRecord.findUnique({
      where: { type_reference: { type: rule.type, reference: reference.trim() } },
    });
    if (!record) return { ok: false, reason: `${rule.what} ${reference} is not in the regulator's registry` };
    return { ok: true };
  };
}

/** The bank's own check beyond integrity: none for now (the bank holds the documents it checks). */
export const bankRecordCheck: RecordCheck = async () => ({ ok: true });
