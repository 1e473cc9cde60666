import { getAddress, isAddress } from "ethers";
import { z } from "zod";
import type { Database } from "../db/client";
import { readEvents } from "../indexer/read";
import type { RegistryType } from "../verification/checks";

/**
 * What the regulator's registry says, read for a decision: who holds a licence, a patent, an inspection record or a
 * chain account (by unified social credit code), and an inspection's outcome and pass rate. The registry is the
 * regulator's own (seeded from its files, added to through its own API); nothing here comes from the bank.
 */

/** A unified social credit code (统一社会信用代码): 18 characters, digits and capitals. */
export const CreditCode = z
  .string()
  .trim()
  .regex(/^[0-9A-Z]{18}$/, { message: "must be an 18-character unified social credit code" });

const FIGURES = ["unitsTested", "unitsPassed", "passRateBps"] as const;
export type InspectionFigure = (typeof FIGURES)[number];

/** An inspection record's figures as the regulator measured them (units only where it recorded them). */
export interface InspectionFigures {
  outcome: "PASS" | "FAIL";
  passRateBps: number;
  unitsTested?: number;
  unitsPassed?: number;
}

export interface RecordRow {
  type: string;
  reference: string;
  holder: string;
  holderCreditCode: string | null;
  outcome: string | null;
  passRateBps: number | null;
  data: string;
}

/** The reference as the registry keys it: a chain account checksummed, anything else trimmed. */
export function normalReference(type: RegistryType | string, reference: string): string {
  const trimmed = reference.trim();
  return type === "FIRM_ACCOUNT" && isAddress(trimmed) ? getAddress(trimmed) : trimmed;
}

export async function findRecord(db: Database, type: RegistryType, reference: string): Promise<RecordRow | null> {
  return db.prisma.registryRecord.findUnique({
    where: { type_reference: { type, reference: normalReference(type, reference) } },
  });
}

/** An inspection record's figures, or undefined when the record does not state an outcome and a pass rate. */
export function inspectionFigures(record: RecordRow): InspectionFigures | undefined {
  if ((record.outcome !== "PASS" && record.outcome !== "FAIL") || record.passRateBps === null) return undefined;
  const data = JSON.parse(record.data) as Record<string, unknown>;
  const units = Number.isInteger(data.unitsTested) && Number.isInteger(data.unitsPassed);
  return {
    outcome: record.outcome,
    passRateBps: record.passRateBps,
    ...(units ? { unitsTested: data.unitsTested as number, unitsPassed: data.unitsPassed as number } : {}),
  };
}

/**
 * Compares the figures a document's metadata claims with the regulator's record: every figure the metadata states
 * must be the record's (a unit count the record does not hold cannot be confirmed). Returns the first difference.
 */
export function figureMismatch(metadata: Record<string, unknown>, figures: InspectionFigures): string | undefined {
  for (const field of FIGURES) {
    if (metadata[field] === undefined) continue;
    if (figures[field] === undefined)
      return `the regulator's record gives no ${field}, the document claims ${String(metadata[field])}`;
    if (metadata[field] !== figures[field])
      return `the document claims ${field} ${String(metadata[field])}, the regulator's record ${figures[field]}`;
  }
  for (const field of ["outcome", "result"] as const) {
    if (metadata[field] !== undefined && metadata[field] !== figures.outcome)
      return `the document claims ${field} ${String(metadata[field])}, the regulator's record ${figures.outcome}`;
  }
  return undefined;
}

/**
 * The figures of a verified inspection report as the regulator uses them: the fields the document stated, with the
 * record's values (the same fields the bank computes from, so both nodes pool or average alike).
 */
export function figuresAsMetadata(metadata: Record<string, unknown>, figures: InspectionFigures) {
  const stated = FIGURES.filter((field) => metadata[field] !== undefined && figures[field] !== undefined);
  const chosen = stated.length > 0 ? stated : (["passRateBps"] as const);
  return Object.fromEntries(chosen.map((field) => [field, figures[field]]));
}

/**
 * The credit code of a facility's borrower, as the regulator knows it: the borrower's account from the
 * FacilityCreated event its own indexer stored, then the firm the registry says holds that account. Undefined (with
 * the reason) when either is unknown: the regulator then attributes nothing to the borrower.
 */
export async function borrowerOf(
  db: Database,
  facilityId: bigint,
): Promise<{ ok: true; account: string; creditCode: string; name: string } | { ok: false; reason: string }> {
  const created = (await readEvents(db, { names: ["FacilityCreated"] })).find(
    (event) => String(event.args.facilityId) === facilityId.toString(),
  );
  if (!created) return { ok: false, reason: `the regulator has not indexed the creation of facility ${facilityId}` };
  return firmOfAccount(db, String(created.args.borrower), `of facility ${facilityId}`);
}

/** The firm the regulator's registry says holds a chain account. */
export async function firmOfAccount(
  db: Database,
  address: string,
  context = "",
): Promise<{ ok: true; account: string; creditCode: string; name: string } | { ok: false; reason: string }> {
  const account = getAddress(address);
  const firm = await findRecord(db, "FIRM_ACCOUNT", account);
  if (!firm?.holderCreditCode)
    return {
      ok: false,
      reason: `borrower account ${account}${context ? ` ${context}` : ""} is not in the regulator's registry`,
    };
  return { ok: true, account, creditCode: firm.holderCreditCode, name: firm.holder };
}

/**
 * Why a spot check may not be recorded, or undefined: it must cite an inspection record the regulator holds for the
 * facility's borrower (its chain account, its firm from the registry), with the same outcome.
 */
export async function spotCheckRefusal(
  db: Database,
  body: { facilityId: bigint; result: string; reportNumber: string },
  account: string,
): Promise<{ code: string; message: string } | undefined> {
  const borrower = await firmOfAccount(db, account, `of facility ${body.facilityId}`);
  if (!borrower.ok) return { code: "borrower_not_on_record", message: borrower.reason };
  const record = await findRecord(db, "INSPECTION_RECORD", body.reportNumber);
  const figures = record && inspectionFigures(record);
  if (!record || !figures)
    return {
      code: "inspection_record_not_found",
      message: `inspection record ${body.reportNumber} is not in the regulator's registry: record it first (POST /registry/records)`,
    };
  if (record.holderCreditCode !== borrower.creditCode)
    return {
      code: "inspection_record_of_another_firm",
      message: `inspection record ${record.reference} is of firm ${record.holderCreditCode ?? "unknown"}, not of facility ${body.facilityId}'s borrower ${borrower.creditCode}`,
    };
  if (figures.outcome !== body.result)
    return {
      code: "spot_check_result_mismatch",
      message: `inspection record ${record.reference} records ${figures.outcome}, the spot check says ${body.result}`,
    };
  return undefined;
}
