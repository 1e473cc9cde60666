import type { Database } from "../db/client";
import { borrowerOf, normalReference, type RecordRow } from "../registry/records";
import type { RegistryType } from "./checks";
import { inChunks } from "../db/chunks";

/**
 * What the record checks of one pass read, fetched in a few queries for all its candidates instead of several a
 * document (a batch of 256 leaves was ~1,300 queries, the verifiers' main cost). Each reader is a cache in front of the
 * database: `prefetch` loads what the candidates will ask for, and a question it did not foresee is answered by a
 * query, so a check never depends on the prefetch being complete. A cache lives for one pass only: what it read is
 * what the database held when the pass began, as if every check of the pass had run at that moment.
 */

/** The regulator's registry, by (type, reference). */
export function registryReads(db: Database) {
  const records = new Map<string, RecordRow | null>();
  const keyOf = (type: RegistryType, reference: string) => `${type}\n${normalReference(type, reference)}`;
  const borrowers = new Map<bigint, ReturnType<typeof borrowerOf>>();

  async function prefetch(wanted: Array<{ type: RegistryType; reference: string }>): Promise<void> {
    const byType = new Map<RegistryType, Set<string>>();
    for (const { type, reference } of wanted) {
      if (records.has(keyOf(type, reference))) continue;
      const set = byType.get(type) ?? new Set<string>();
      set.add(normalReference(type, reference));
      byType.set(type, set);
    }
    if (byType.size === 0) return;
    const rows = (
      await Promise.all(
        [...byType].map(([type, references]) =>
          inChunks([...references], (chunk) =>
            db.prisma.registryRecord.findMany({ where: { type, reference: { in: chunk } } }),
          ),
        ),
      )
    ).flat();
    for (const [type, references] of byType)
      for (const reference of references) records.set(keyOf(type, reference), null);
    for (const row of rows) records.set(keyOf(row.type as RegistryType, row.reference), row);
  }

  async function find(type: RegistryType, reference: string): Promise<RecordRow | null> {
    const key = keyOf(type, reference);
    if (!records.has(key)) await prefetch([{ type, reference }]);
    return records.get(key) ?? null;
  }

  /** `borrowerOf` (registry/records.ts), asked once a facility. */
  function borrower(facilityId: bigint): ReturnType<typeof borrowerOf> {
    let answer = borrowers.get(facilityId);
    if (!answer) borrowers.set(facilityId, (answer = borrowerOf(db, facilityId)));
    return answer;
  }

  return { prefetch, find, borrower };
}
export type RegistryReads = ReturnType<typeof registryReads>;

/** The bank's own file: facilities, payees, and the documents holding each business identity. */
export function bankReads(db: Database) {
  type FacilityRow = { borrower: string; plan: string };
  type PayeeRow = { address: string; creditCode: string };
  type Holder = { id: string; evidenceId: string };
  const facilities = new Map<bigint, FacilityRow | null>();
  const payees = new Map<string, PayeeRow | null>();
  const holders = new Map<string, Holder[]>();

  async function prefetch(wanted: { facilityIds: bigint[]; payees: string[]; businessKeys: string[] }): Promise<void> {
    const facilityIds = [...new Set(wanted.facilityIds)].filter((id) => !facilities.has(id));
    const addresses = [...new Set(wanted.payees)].filter((address) => !payees.has(address));
    const keys = [...new Set(wanted.businessKeys)].filter((key) => !holders.has(key));
    const [facilityRows, payeeRows, documentRows] = await Promise.all([
      // An empty list asks nothing (inChunks runs no query for it).
      inChunks(facilityIds, (chunk) =>
        db.prisma.facility.findMany({
          where: { facilityId: { in: chunk } },
          select: { facilityId: true, borrower: true, plan: true },
        }),
      ),
      inChunks(addresses, (chunk) =>
        db.prisma.payee.findMany({ where: { address: { in: chunk } }, select: { address: true, creditCode: true } }),
      ),
      inChunks(keys, (chunk) =>
        db.prisma.document.findMany({
          where: { businessKey: { in: chunk } },
          select: { id: true, evidenceId: true, businessKey: true },
          orderBy: { createdAt: "desc" },
        }),
      ),
    ]);
    for (const id of facilityIds) facilities.set(id, null);
    for (const { facilityId, ...row } of facilityRows) if (facilityId !== null) facilities.set(facilityId, row);
    for (const address of addresses) payees.set(address, null);
    for (const row of payeeRows) payees.set(row.address, row);
    for (const key of keys) holders.set(key, []);
    for (const { businessKey, ...holder } of documentRows) holders.get(businessKey!)?.push(holder);
  }

  return {
    prefetch,
    async facility(facilityId: bigint) {
      if (!facilities.has(facilityId)) await prefetch({ facilityIds: [facilityId], payees: [], businessKeys: [] });
      return facilities.get(facilityId) ?? null;
    },
    async payee(address: string) {
      if (!payees.has(address)) await prefetch({ facilityIds: [], payees: [address], businessKeys: [] });
      return payees.get(address) ?? null;
    },
    /** The documents with this business identity, newest first. */
    async holdersOf(businessKey: string) {
      if (!holders.has(businessKey)) await prefetch({ facilityIds: [], payees: [], businessKeys: [businessKey] });
      return holders.get(businessKey) ?? [];
    },
  };
}
export type BankReads = ReturnType<typeof bankReads>;
