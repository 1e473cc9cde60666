/**
 * The regulator's signature on each entry of its quality white list. The regulator node signs every entry it publishes
 * (EIP-712, with the chain key that holds REGULATOR_ROLE on the FacilityManager, the key whose signature the contract
 * takes on joint decisions); the bank node stores an entry only with a signature it has checked, and prices a facility
 * only from an entry whose signature checks again when it is read: a row written into the bank's database by anyone
 * else is not the regulator's word.
 */
import { verifyTypedData, type TypedDataDomain } from "ethers";
import type { Chain } from "../chain/chain";
import type { Database } from "../db/client";

/** EIP-712 type of one white-list entry as the regulator published it. */
export const WHITE_LIST_ENTRY_TYPES = {
  WhiteListEntry: [
    { name: "creditCode", type: "string" },
    { name: "name", type: "string" },
    { name: "grade", type: "string" },
    { name: "credit", type: "uint8" },
    { name: "management", type: "uint8" },
    { name: "brand", type: "uint8" },
    { name: "foundation", type: "uint8" },
    { name: "innovation", type: "uint8" },
    { name: "publishedAt", type: "uint64" },
  ],
};

/** What the regulator signs of an entry: the firm, its grade and radar, and when it published them. */
export interface SignedFields {
  creditCode: string;
  name: string;
  grade: string;
  credit: number;
  management: number;
  brand: number;
  foundation: number;
  innovation: number;
  publishedAt: Date;
}

/** The white list's signing domain: this chain and its FacilityManager, so a signature serves one deployment only. */
export function whiteListDomain(chain: Pick<Chain, "chainId" | "deployment">): TypedDataDomain {
  return {
    name: "QualityWhiteList",
    version: "1",
    chainId: chain.chainId,
    verifyingContract: chain.deployment.contracts.FacilityManager,
  };
}

function messageOf(entry: SignedFields) {
  return {
    creditCode: entry.creditCode,
    name: entry.name,
    grade: entry.grade,
    credit: entry.credit,
    management: entry.management,
    brand: entry.brand,
    foundation: entry.foundation,
    innovation: entry.innovation,
    publishedAt: Math.floor(entry.publishedAt.getTime() / 1000),
  };
}

/** The regulator node signs an entry with its chain key. */
export function signWhiteListEntry(chain: Chain, entry: SignedFields): Promise<string> {
  return chain.signer.signTypedData(whiteListDomain(chain), WHITE_LIST_ENTRY_TYPES, messageOf(entry));
}

/** Who signed an entry (whoever it is: the caller checks that it is the regulator). */
export function signerOfWhiteListEntry(
  chain: Pick<Chain, "chainId" | "deployment">,
  entry: SignedFields,
  signature: string,
): string | undefined {
  try {
    return verifyTypedData(whiteListDomain(chain), WHITE_LIST_ENTRY_TYPES, messageOf(entry), signature);
  } catch {
    return undefined;
  }
}

/**
 * Whether an address is the regulator's on chain: it holds REGULATOR_ROLE and not BANK_ROLE (as the contract requires
 * of a regulator's signature on a joint decision). Answers are kept for a minute.
 */
export function createRegulatorCheck(chain: Chain, ttlMs = 60_000) {
  const known = new Map<string, { regulator: boolean; until: number }>();
  return async (address: string): Promise<boolean> => {
    const cached = known.get(address);
    if (cached && cached.until > Date.now()) return cached.regulator;
    const [regulatorRole, bankRole] = await Promise.all([chain.manager.REGULATOR_ROLE(), chain.manager.BANK_ROLE()]);
    const [isRegulator, isBank] = await Promise.all([
      chain.manager.hasRole(regulatorRole, address),
      chain.manager.hasRole(bankRole, address),
    ]);
    const regulator = isRegulator && !isBank;
    known.set(address, { regulator, until: Date.now() + ttlMs });
    return regulator;
  };
}

export type RegulatorCheck = ReturnType<typeof createRegulatorCheck>;

/**
 * The white-list entry of a firm that the regulator signed, or null when the bank node holds none (or only one the
 * regulator did not sign: then the firm is priced as unlisted). What facility pricing reads.
 */
export async function regulatorEntryOf(
  db: Database,
  chain: Chain,
  isRegulator: RegulatorCheck,
  creditCode: string,
): Promise<{ grade: string } | null> {
  const row = await db.prisma.whiteListEntry.findUnique({ where: { creditCode } });
  if (!row || !row.publishedAt || !row.signature) return null;
  const signer = signerOfWhiteListEntry(chain, { ...row, publishedAt: row.publishedAt }, row.signature);
  return signer && (await isRegulator(signer)) ? row : null;
}
