/** The metadata fields of each evidence kind's upload form (pure data: the build's translation check reads it). */
import type { EvidenceKind } from "../../domain/enums";
import type { D } from "./dictionary";

/** The kinds that are with a payee of the plan (the others name the borrower). */
export const PAYEE_KINDS: readonly EvidenceKind[] = ["PURCHASE_CONTRACT", "INVOICE", "DELIVERY_NOTE", "CERTIFICATION"];

type Field = { name: string; numeric?: boolean };
/** The metadata fields of each kind, in the order people fill them in. */
export const KIND_FIELDS: Record<EvidenceKind, Field[]> = {
  PURCHASE_CONTRACT: [{ name: "supplierLicence" }, { name: "contractNumber" }],
  INVOICE: [{ name: "supplierLicence" }, { name: "invoiceNumber" }],
  DELIVERY_NOTE: [{ name: "supplierLicence" }, { name: "deliveryNumber" }],
  INSPECTION_REPORT: [
    { name: "labLicence" },
    { name: "reportNumber" },
    { name: "unitsTested", numeric: true },
    { name: "unitsPassed", numeric: true },
  ],
  CERTIFICATION: [{ name: "labLicence" }, { name: "certificate" }],
  PATENT_FILING: [{ name: "patentNumber" }],
  SPOT_CHECK_REPORT: [{ name: "reportNumber" }],
};

/** A metadata field's words (dictionary keys are the field names prefixed with "field_"). */
export const fieldKey = (name: string): keyof typeof D => `field_${name}` as keyof typeof D;
