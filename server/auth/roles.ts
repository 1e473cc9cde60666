import { ROLES, type Role } from "../../domain/enums";

/** The roles an API key can carry (domain/enums.ts); each institution's people and services get keys of one role. */
export { ROLES, type Role };

/**
 * Whom a key acts for. A borrower's key sees the facilities lent to its chain address; a payee's key (a supplier or
 * lab) the payments to its chain address and the facilities that pay it; an institution's key (the bank, the
 * regulator) everything its role's routes serve. Addresses are EIP-55 checksummed.
 */
export type Subject =
  | { kind: "borrower"; address: string; creditCode: string }
  | { kind: "payee"; address: string }
  | { kind: "institution"; name: string };

/** The subject kind each role's keys are bound to. */
export const SUBJECT_OF_ROLE: Record<Role, Subject["kind"]> = {
  bank_officer: "institution",
  regulator: "institution",
  borrower: "borrower",
  supplier: "payee",
  // The fiscal account (the finance bureau paying interest subsidy) is an institution: it reads the statements it
  // pays subsidy on, and its chain account signs each subsidy payment itself.
  fiscal: "institution",
};

/** Who made a request, as established from its API key. */
export interface Principal {
  keyId: string;
  role: Role;
  institution: string;
  label: string;
  subject: Subject;
}
