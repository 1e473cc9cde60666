/**
 * The codes the server, the CLI and the dashboard share. The first four are the contracts' enums, in declaration order
 * (the index is the value on chain; test/domain/enums.test.ts checks them against the compiler's output); the others
 * are off-chain codes of the rules and the API.
 */

/** IFacilityManager.Status: NONE means the id is unused. */
export const FACILITY_STATUS = ["NONE", "ACTIVE", "FROZEN", "CLOSED"] as const;
export type FacilityStatusCode = (typeof FACILITY_STATUS)[number];
/** The statuses a facility on chain can have (FACILITY_STATUS without NONE): what the API reports. */
export const FACILITY_STATUSES = ["ACTIVE", "FROZEN", "CLOSED"] as const;
export type FacilityStatus = (typeof FACILITY_STATUSES)[number];

/** IPayeeRegistry.Category: what a payee is paid for. */
export const PAYEE_CATEGORIES = ["EQUIPMENT", "TESTING_CERT", "MATERIALS", "R_AND_D", "SERVICES"] as const;
export type PayeeCategory = (typeof PAYEE_CATEGORIES)[number];

/** IEvidenceRegistry.Kind: the index is also the bit of a payment's required-kinds mask. */
export const EVIDENCE_KINDS = [
  "PURCHASE_CONTRACT",
  "INVOICE",
  "DELIVERY_NOTE",
  "INSPECTION_REPORT",
  "CERTIFICATION",
  "PATENT_FILING",
  "SPOT_CHECK_REPORT",
] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

/** IEvidenceRegistry.Verdict: NONE is a verifier that has not decided yet. */
export const VERDICTS = ["NONE", "ACCEPT", "REJECT"] as const;
export type Verdict = (typeof VERDICTS)[number];
/** The verdicts a verifier can give (VERDICTS without NONE). */
export const GIVEN_VERDICTS = ["ACCEPT", "REJECT"] as const;
export type GivenVerdict = (typeof GIVEN_VERDICTS)[number];

/** The contracts' enums by their Solidity names, for the check against the compiler's output. */
export const CONTRACT_ENUMS = {
  "IFacilityManager.Status": FACILITY_STATUS,
  "IPayeeRegistry.Category": PAYEE_CATEGORIES,
  "IEvidenceRegistry.Kind": EVIDENCE_KINDS,
  "IEvidenceRegistry.Verdict": VERDICTS,
} as const satisfies Record<string, readonly string[]>;

/** Thrown when a number from the chain is not a value of the enum (a newer contract, or a wrong decoding). */
export class EnumValueError extends Error {
  constructor(what: string, value: unknown) {
    super(`unknown ${what} ${String(value)}`);
    this.name = "EnumValueError";
  }
}

/**
 * The name of an enum's on-chain value (a uint8 as bigint, number, or decimal string as stored events carry it); throws
 * on a value the enum does not have.
 */
export function enumName<T extends readonly string[]>(names: T, value: unknown, what: string): T[number] {
  const index =
    typeof value === "bigint" || (typeof value === "string" && /^[0-9]{1,3}$/.test(value))
      ? Number(value)
      : typeof value === "number"
        ? value
        : NaN;
  const name = Number.isInteger(index) ? names[index] : undefined;
  if (name === undefined) throw new EnumValueError(what, value);
  return name;
}

/** The on-chain value of an enum's name; throws on a name the enum does not have. */
export function enumValue<T extends readonly string[]>(names: T, name: T[number], what: string): number {
  const index = names.indexOf(name);
  if (index < 0) throw new EnumValueError(what, name);
  return index;
}

/** A facility's status from the chain's uint8 (FacilityManager.facility(id).status). */
export const facilityStatusOf = (value: bigint | number): FacilityStatusCode =>
  enumName(FACILITY_STATUS, value, "facility status");

/** The evidence kinds of a payment's required-kinds bit mask, in enum order. */
export const kindsOfMask = (mask: number | bigint): EvidenceKind[] =>
  EVIDENCE_KINDS.filter((_, bit) => (BigInt(mask) >> BigInt(bit)) & 1n);

/** The five Ningbo-style quality grades, best first. */
export const GRADES = ["A", "B", "C", "D", "E"] as const;
export type Grade = (typeof GRADES)[number];

/**
 * A grade as a number for the GRADE metric, higher is better (A = 5 … E = 1), so "at least grade B" is `gte 4` like
 * every other target.
 */
export const GRADE_SCORE: Readonly<Record<Grade, number>> = { A: 5, B: 4, C: 3, D: 2, E: 1 };
/** The grade of a GRADE metric value; undefined for a number that is no grade's score. */
export const gradeOfScore = (score: number): Grade | undefined => GRADES.find((grade) => GRADE_SCORE[grade] === score);

/** The quality metrics a review measures. */
export const METRICS = ["PATENTS_ADDED", "PASS_RATE_BPS", "QUALITY_SPEND_SHARE_BPS", "GRADE"] as const;
export type Metric = (typeof METRICS)[number];

export const COMPARATORS = ["gte", "lte"] as const;
export type Comparator = (typeof COMPARATORS)[number];

/** A facility as the API shows it: CREATING until the chain has created it, then the chain's status. */
export const FACILITY_VIEW_STATUSES = ["CREATING", ...FACILITY_STATUSES] as const;
export type FacilityViewStatus = (typeof FACILITY_VIEW_STATUSES)[number];

/** Where a facility's funding stands. */
export const FUNDING_STATUSES = ["FUNDED", "FUNDING", "FAILED", "UNFUNDED"] as const;
export type FundingStatus = (typeof FUNDING_STATUSES)[number];

/** The joint decisions that need both institutions' signatures. */
export const APPROVAL_KINDS = ["REVIEW", "UNFREEZE"] as const;
export type ApprovalKind = (typeof APPROVAL_KINDS)[number];

/** Where a joint decision stands at the bank node. */
export const APPROVAL_STATUSES = ["AWAITING_REGULATOR", "SUBMITTED", "APPLIED", "REFUSED"] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** A regulator's spot-check result: FAIL freezes the facility. */
export const SPOT_CHECK_RESULTS = ["PASS", "FAIL"] as const;
export type SpotCheckResult = (typeof SPOT_CHECK_RESULTS)[number];

/** The roles an API key is issued for. */
export const ROLES = ["bank_officer", "regulator", "borrower", "supplier", "fiscal"] as const;
export type Role = (typeof ROLES)[number];
