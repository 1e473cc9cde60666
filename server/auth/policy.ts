/**
 * Who may read and write what: the one policy every route of both nodes asks, after the route's role check.
 *
 * The bank and the regulator (institution keys) see every facility their role's routes serve. A borrower sees the
 * facilities lent to its chain address, with their payments, evidence, documents (salts included), statements and
 * reviews. A payee (supplier or lab) sees the facilities that pay it — their documents, as a party of the facility —
 * and, of their payments, only those to itself. Nobody else learns that a facility exists: a facility, payment or
 * document of another tenant is answered exactly as one that does not exist (404). Only the regulator edits the
 * regulator's quality white list.
 *
 * Lists are narrowed in the database query (`facilityWhere`, `documentWhere`), never after reading every row.
 */
import type { Database } from "../db/client";
import { forbidden, notFound } from "../errors";
import type { Principal, Subject } from "./roles";

/** What a request does to a resource: reads it, or changes it (an upload of evidence counts as a write). */
export type Action = "read" | "write";

/** What decides a party's access to one facility: its borrower and the payees of its plan (EIP-55 addresses). */
export interface FacilityFacts {
  facilityId: bigint;
  borrower: string;
  payees: string[];
}

/**
 * A resource with the facts that decide access to it.
 * - facility: a facility and what belongs to it as a whole (detail, statement, evidence, reviews, audit);
 * - payment: one entrusted payment of a facility, to `payee`;
 * - document: a document (its salt, proof, content) of a facility;
 * - institutional: the two institutions' own business (joint decisions, verdicts, spot checks, the payee registry,
 *   anchoring batches);
 * - whiteList: the regulator's quality white list, as something to edit;
 * - catalog: what every key may read (products, the white list, the registered payees).
 */
export type Resource =
  | { type: "facility"; facility: FacilityFacts }
  | { type: "payment"; facility: FacilityFacts; payee: string }
  | { type: "document"; facility: FacilityFacts }
  | { type: "institutional" }
  | { type: "whiteList" }
  | { type: "catalog" };

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Whether `subject` is a party of the facility: its borrower, or a payee of its plan. */
export function isPartyOf(subject: Subject, facility: FacilityFacts): boolean {
  if (subject.kind === "borrower") return same(subject.address, facility.borrower);
  if (subject.kind === "payee") return facility.payees.some((payee) => same(payee, subject.address));
  return false;
}

/** The policy: may `principal` do `action` on `resource`? (The route's role check has already passed.) */
export function can(principal: Principal, action: Action, resource: Resource): boolean {
  const { subject } = principal;
  if (resource.type === "catalog") return action === "read";
  if (resource.type === "whiteList") return principal.role === "regulator" && subject.kind === "institution";
  if (subject.kind === "institution") return true;
  switch (resource.type) {
    case "institutional":
      return false;
    case "facility":
    case "document":
      return isPartyOf(subject, resource.facility);
    case "payment":
      // A borrower sees every payment of its facility; a payee only those to itself, and changes none.
      if (subject.kind === "borrower") return isPartyOf(subject, resource.facility);
      return action === "read" && same(subject.address, resource.payee);
  }
}

/** What to call a refused resource in the 404 (the same words as for one that does not exist). */
function nameOf(resource: Resource): string {
  if (resource.type === "payment" || resource.type === "facility") return `facility ${resource.facility.facilityId}`;
  return resource.type === "document" ? "document" : resource.type;
}

/**
 * Throws unless the policy allows it: 404 for another tenant's facility, payment or document (its existence is not
 * revealed), 403 for what the principal's kind of key may never do.
 */
export function authorize(principal: Principal, action: Action, resource: Resource, notFoundAs?: string): void {
  if (can(principal, action, resource)) return;
  if (resource.type === "facility" || resource.type === "payment" || resource.type === "document")
    throw notFound(notFoundAs ?? nameOf(resource));
  throw forbidden(
    resource.type === "whiteList"
      ? "the quality white list is the regulator's: only the regulator edits it"
      : `a ${principal.role} key may not ${action} this`,
  );
}

/** A facility's access facts from the node's own record of it, or undefined when it has none. */
export async function facilityFacts(db: Database, facilityId: bigint): Promise<FacilityFacts | undefined> {
  const row = await db.prisma.facility.findUnique({
    where: { facilityId },
    select: { borrower: true, plan: true },
  });
  if (!row) return undefined;
  const plan = JSON.parse(row.plan) as Array<{ payee: string }>;
  return { facilityId, borrower: row.borrower, payees: plan.map((p) => p.payee) };
}

/** The policy bound to a node's database: loads the facts a decision needs, and the query filters of the lists. */
export function createPolicy({ db }: { db: Database }) {
  /** The facts of a facility a party asks about; its absence is the same 404 as another tenant's facility. */
  async function factsFor(principal: Principal, facilityId: bigint, notFoundAs?: string): Promise<FacilityFacts> {
    const facts = await facilityFacts(db, facilityId);
    if (!facts) throw notFound(notFoundAs ?? `facility ${facilityId}`);
    return facts;
  }

  function facilityWhere(principal: Principal): { borrower?: string; plan?: { contains: string } } {
    const { subject } = principal;
    if (subject.kind === "borrower") return { borrower: subject.address };
    if (subject.kind === "payee") return { plan: { contains: subject.address } };
    return {};
  }

  return {
    can,
    authorize,

    /**
     * Checks access to a facility (and what belongs to it as a whole). Institutions pass without a lookup, so their
     * routes answer for a facility exactly as before; a party's facility must be on this node's record.
     */
    async facility(principal: Principal, facilityId: bigint, action: Action = "read"): Promise<void> {
      if (principal.subject.kind === "institution") return;
      authorize(principal, action, { type: "facility", facility: await factsFor(principal, facilityId) });
    },

    /** Checks access to payment `index` of a facility: its payee is the plan's (the plan is fixed at creation). */
    async payment(principal: Principal, facilityId: bigint, index: number, action: Action = "read"): Promise<void> {
      if (principal.subject.kind === "institution") return;
      const facts = await factsFor(principal, facilityId);
      const payee = facts.payees[index];
      if (payee === undefined) authorize(principal, action, { type: "facility", facility: facts });
      authorize(principal, action, { type: "payment", facility: facts, payee: payee ?? "" });
    },

    /** Checks access to a document of `facilityId` (its salt, proof, content); refused as `notFoundAs`. */
    async document(principal: Principal, facilityId: bigint, notFoundAs: string, action: Action = "read") {
      if (principal.subject.kind === "institution") return;
      const facts = await factsFor(principal, facilityId, notFoundAs);
      authorize(principal, action, { type: "document", facility: facts }, notFoundAs);
    },

    /** Checks an action only the institutions take, or only the regulator (the white list). */
    institutional(principal: Principal, resource: { type: "institutional" | "whiteList" | "catalog" }): void {
      authorize(principal, resource.type === "catalog" ? "read" : "write", resource);
    },

    /**
     * The facilities a principal may list, as a Facility where clause: all for institutions, those lent to a
     * borrower's address, those whose plan pays a payee's address (the plan names the address; the caller keeps
     * only the payments to it).
     */
    facilityWhere,

    /** The documents a principal may list, as a Document where clause: those of the facilities it is party of. */
    async documentWhere(principal: Principal): Promise<{ facilityId?: { in: bigint[] } }> {
      if (principal.subject.kind === "institution") return {};
      const rows = await db.prisma.facility.findMany({
        where: { ...facilityWhere(principal), facilityId: { not: null } },
        select: { facilityId: true, borrower: true, plan: true },
      });
      const ids = rows
        .filter((row) =>
          isPartyOf(principal.subject, {
            facilityId: row.facilityId!,
            borrower: row.borrower,
            payees: (JSON.parse(row.plan) as Array<{ payee: string }>).map((p) => p.payee),
          }),
        )
        .map((row) => row.facilityId!);
      return { facilityId: { in: ids } };
    },
  };
}

export type Policy = ReturnType<typeof createPolicy>;
