/** The roles an API key can carry; each institution's people and services get keys of one role. */
export const ROLES = ["bank_officer", "regulator", "borrower", "supplier"] as const;
export type Role = (typeof ROLES)[number];

/** Who made a request, as established from its API key. */
export interface Principal {
  keyId: string;
  role: Role;
  institution: string;
  label: string;
}
