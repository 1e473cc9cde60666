import { getAddress, isAddress } from "ethers";
import { isPayeeKind, type EvidenceKind } from "../chain/evidence";
import type { Database } from "../db/client";
import { figureMismatch, inspectionFigures, type RecordRow } from "../registry/records";
import { businessKeyOf } from "../documents/admission";
import { bankReads, registryReads, type BankReads, type RegistryReads } from "./record-reads";
import { holderAmong, type RejectedOnChain } from "./rejected";
import { seenMemory, type SeenEvidence, type SeenMemory } from "./seen";

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

/**
 * An institution's own checks of a document's claims against its own records: of one candidate, or (`many`) of a
 * pass's candidates in order, each decided as if after the one before it (one document, one use), reading the
 * records they need in a few queries for all of them.
 */
export type RecordCheck = ((candidate: RecordCandidate) => Promise<Check>) & {
  many(candidates: readonly RecordCandidate[]): Promise<Check[]>;
};

/** A record check from its pass over many candidates. */
export const checkingMany = (many: RecordCheck["many"]): RecordCheck =>
  Object.assign(async (candidate: RecordCandidate) => (await many([candidate]))[0], { many });

/** A record check from a check of one candidate, run over a pass's candidates one after another. */
export const checkingEach = (one: (candidate: RecordCandidate) => Promise<Check>): RecordCheck =>
  checkingMany(async (candidates) => {
    const checks: Check[] = [];
    for (const candidate of candidates) checks.push(await one(candidate));
    return checks;
  });

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
  return checkingMany(async (candidates) => {
    const registry = registryReads(db);
    const seen = seenMemory(db, rejected);
    await Promise.all([registry.prefetch(candidates.flatMap(referencesOf)), seen.prefetch(candidates.flatMap(seenOf))]);
    const checks: Check[] = [];
    for (const candidate of candidates) checks.push(await regulatorCheck(registry, seen, candidate));
    await seen.flush();
    return checks;
  });
}

async function regulatorCheck(registry: RegistryReads, seen: SeenMemory, c: RecordCandidate): Promise<Check> {
  const { kind, metadata, facilityId, counterparty } = c;
  const [identity] = seenOf(c);
  const already = identity && (await seen.check(identity));
  if (already) return { ok: false, reason: already };
  const rule = REGULATOR_RULES[kind];
  const reference = metadata[rule.field];
  if (typeof reference !== "string" || reference.trim() === "") {
    return { ok: false, reason: `metadata.${rule.field} is missing: the ${rule.what} cannot be checked` };
  }
  const record = await registry.find(rule.type, reference);
  if (!record) return { ok: false, reason: `${rule.what} ${reference} is not in the regulator's registry` };
  if (isPayeeKind(kind)) {
    const bound = await accountBinding(registry, record, rule.what, counterparty);
    if (!bound.ok) return bound;
  }
  const own = BORROWER_CHECKS[kind];
  return own ? own(registry, { metadata, facilityId: facilityId ?? 0n }) : { ok: true };
}

/** The registry records a candidate's checks will ask for (what `prefetch` reads for a pass). */
function referencesOf({
  kind,
  metadata,
  counterparty,
}: RecordCandidate): Array<{ type: RegistryType; reference: string }> {
  const cited = (type: RegistryType, value: unknown) =>
    typeof value === "string" && value.trim() !== "" ? [{ type, reference: value }] : [];
  const rule = REGULATOR_RULES[kind];
  return [
    ...cited(rule.type, metadata[rule.field]),
    ...(isPayeeKind(kind) && counterparty && isAddress(counterparty) ? cited("FIRM_ACCOUNT", counterparty) : []),
    ...(kind === "INSPECTION_REPORT" ? cited("INSPECTION_RECORD", metadata.reportNumber) : []),
  ];
}

/** What the one-document-one-use memory keeps of a candidate: nothing until its bytes were re-hashed here. */
function seenOf(c: RecordCandidate): SeenEvidence[] {
  if (!c.evidenceId || !c.contentHash) return [];
  const businessKey = c.counterparty ? businessKeyOf(c.kind, c.counterparty, c.metadata) : null;
  return [{ evidenceId: c.evidenceId, contentHash: c.contentHash, businessKey }];
}

/**
 * A payee-kind document is paid to the payee its evidence id names: that chain account must be, by the regulator's own
 * FIRM_ACCOUNT record, an account of the firm holding the licence the document cites. The bank's file of payees (name,
 * credit code, address) is not consulted: a payee registered or edited there under another firm's identity cannot
 * borrow that firm's licence.
 */
async function accountBinding(
  registry: RegistryReads,
  licence: RecordRow,
  what: string,
  counterparty?: string,
): Promise<Check> {
  if (!counterparty) return { ok: false, reason: "the document names no payee account" };
  const account = getAddress(counterparty);
  if (!licence.holderCreditCode)
    return { ok: false, reason: `${what} ${licence.reference} records no holder credit code` };
  const firm = await registry.find("FIRM_ACCOUNT", account);
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

type BorrowerCheck = (
  registry: RegistryReads,
  c: { metadata: Record<string, unknown>; facilityId: bigint },
) => Promise<Check>;

/**
 * A patent filing counts for a borrower only if the regulator's registry says the borrower holds the patent (by
 * credit code, the borrower known from the regulator's own index and registry, never from the bank).
 */
const patentHolderCheck: BorrowerCheck = async (registry, { metadata, facilityId }) => {
  const number = String(metadata.patentNumber).trim();
  const borrower = await registry.borrower(facilityId);
  if (!borrower.ok) return { ok: false, reason: `patent ${number} cannot be attributed: ${borrower.reason}` };
  const patent = await registry.find("PATENT_FILING", number);
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
const inspectionRecordCheck: BorrowerCheck = async (registry, { metadata, facilityId }) => {
  const number = metadata.reportNumber;
  if (typeof number !== "string" || number.trim() === "")
    return { ok: false, reason: "metadata.reportNumber is missing: the regulator's inspection record cannot be found" };
  const record = await registry.find("INSPECTION_RECORD", number);
  const figures = record && inspectionFigures(record);
  if (!record || !figures)
    return { ok: false, reason: `inspection record ${number.trim()} is not in the regulator's registry` };
  const borrower = await registry.borrower(facilityId);
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

/**
 * The bank's own check beyond integrity, from its own records: the counterparty a payee-kind document names is a payee
 * of that facility's plan, and the supplier licence it cites is that payee's (its credit code on the bank's file); a
 * borrower-kind document names the facility's borrower; and no other document has the same business identity.
 */
export function bankRecordCheck(db: Database, { rejected = nothingRejected }: CheckOptions = {}): RecordCheck {
  return checkingMany(async (candidates) => {
    const bank = bankReads(db);
    const parties = candidates.flatMap((c) => (c.counterparty && isAddress(c.counterparty) ? [c] : []));
    await bank.prefetch({
      facilityIds: candidates.flatMap((c) => (c.facilityId === undefined ? [] : [c.facilityId])),
      payees: parties.map((c) => getAddress(c.counterparty!)),
      businessKeys: parties.flatMap((c) => businessKeyOf(c.kind, c.counterparty!, c.metadata) ?? []),
    });
    const checks: Check[] = [];
    for (const candidate of candidates) checks.push(await bankCheck(bank, rejected, candidate));
    return checks;
  });
}

async function bankCheck(
  bank: BankReads,
  rejected: RejectedOnChain,
  { kind, metadata, facilityId, counterparty, evidenceId }: RecordCandidate,
): Promise<Check> {
  if (facilityId === undefined || !counterparty) return { ok: false, reason: "the document names no counterparty" };
  const facility = await bank.facility(facilityId);
  if (!facility) return { ok: false, reason: `facility ${facilityId} is not on the bank's file` };
  const party = getAddress(counterparty);
  if (!isPayeeKind(kind)) {
    return getAddress(facility.borrower) === party
      ? duplicateCheck(bank, rejected, kind, party, metadata, evidenceId)
      : { ok: false, reason: `a ${kind} names the borrower ${facility.borrower}, not ${party}` };
  }
  const planned = (JSON.parse(facility.plan) as Array<{ payee: string }>).map((p) => getAddress(p.payee));
  if (!planned.includes(party)) {
    return { ok: false, reason: `${party} is not a payee of facility ${facilityId}'s plan` };
  }
  const licence = metadata.supplierLicence;
  if (typeof licence === "string" && licence.trim() !== "") {
    const payee = await bank.payee(party);
    if (!payee) return { ok: false, reason: `payee ${party} is not on the bank's file` };
    if (payee.creditCode !== licence.trim()) {
      return {
        ok: false,
        reason: `supplier licence ${licence.trim()} is not the licence of payee ${party} (credit code ${payee.creditCode})`,
      };
    }
  }
  return duplicateCheck(bank, rejected, kind, party, metadata, evidenceId);
}

/** A REJECT when another document not rejected on chain has the same business identity (issuer + business number): one document, one use. */
async function duplicateCheck(
  bank: BankReads,
  rejected: RejectedOnChain,
  kind: EvidenceKind,
  counterparty: string,
  metadata: Record<string, unknown>,
  evidenceId: string | undefined,
): Promise<Check> {
  const key = businessKeyOf(kind, counterparty, metadata);
  if (!key) return { ok: true };
  const others = (await bank.holdersOf(key)).filter((o) => o.evidenceId !== (evidenceId ?? "")).slice(0, 20);
  const other = await holderAmong(rejected, others);
  return other
    ? { ok: false, reason: `${key} is already the identity of document ${other.id}: one document, one use` }
    : { ok: true };
}
