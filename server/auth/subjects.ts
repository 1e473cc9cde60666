import { getAddress, isAddress } from "ethers";
import { SUBJECT_OF_ROLE, type Role, type Subject } from "./roles";

/** How a subject is stored on its ApiKey row. */
export interface SubjectColumns {
  subjectKind: string;
  subjectAddress: string | null;
  subjectCreditCode: string | null;
}

/** What an admin gives when issuing a key: a party's address (and a borrower's credit code); institutions need none. */
export interface SubjectInput {
  address?: string;
  creditCode?: string;
}

const CREDIT_CODE = /^[0-9A-Z]{18}$/;

function checkedAddress(role: Role, address: string | undefined): string {
  if (!address) throw new Error(`a ${role} key is bound to a chain address: give it (--borrower/--payee ADDRESS)`);
  if (!isAddress(address)) throw new Error(`"${address}" is not a chain address (0x and 40 hex digits)`);
  return getAddress(address);
}

/**
 * The subject a key of `role` is bound to, checked: a borrower's key needs its chain address and credit code, a
 * supplier's key its payee address; an institution's key is bound to its institution.
 */
export function subjectFor(role: Role, institution: string, input: SubjectInput = {}): Subject {
  switch (SUBJECT_OF_ROLE[role]) {
    case "borrower": {
      const address = checkedAddress(role, input.address);
      if (!input.creditCode || !CREDIT_CODE.test(input.creditCode))
        throw new Error("a borrower key needs the borrower's 18-character unified social credit code (--credit-code)");
      return { kind: "borrower", address, creditCode: input.creditCode };
    }
    case "payee":
      return { kind: "payee", address: checkedAddress(role, input.address) };
    default:
      if (input.address || input.creditCode)
        throw new Error(`a ${role} key acts for its institution: it takes no --borrower/--payee/--credit-code`);
      return { kind: "institution", name: institution };
  }
}

export function subjectColumns(subject: Subject): SubjectColumns {
  return {
    subjectKind: subject.kind.toUpperCase(),
    subjectAddress: subject.kind === "institution" ? null : subject.address,
    subjectCreditCode: subject.kind === "borrower" ? subject.creditCode : null,
  };
}

/**
 * The subject stored on a key's row, or undefined when the row binds none its role needs (a borrower or supplier key
 * issued before keys had subjects): such a key matches no facility, so it is not accepted at all.
 */
export function subjectOfRow(row: {
  role: string;
  institution: string;
  subjectKind: string | null;
  subjectAddress: string | null;
  subjectCreditCode: string | null;
}): Subject | undefined {
  const kind = SUBJECT_OF_ROLE[row.role as Role];
  if (kind === "institution") return { kind, name: row.institution };
  if (row.subjectKind !== kind.toUpperCase() || !row.subjectAddress) return undefined;
  if (kind === "payee") return { kind, address: row.subjectAddress };
  if (!row.subjectCreditCode) return undefined;
  return { kind, address: row.subjectAddress, creditCode: row.subjectCreditCode };
}

/** A subject in one line, for listings and logs. */
export function describeSubject(subject: Subject | undefined): string {
  if (!subject) return "unbound";
  if (subject.kind === "institution") return `institution ${subject.name}`;
  if (subject.kind === "payee") return `payee ${subject.address}`;
  return `borrower ${subject.address} (${subject.creditCode})`;
}
