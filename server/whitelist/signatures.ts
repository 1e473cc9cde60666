/**
 * The regulator's seal on its quality white list. The regulator node publishes entries in batches: one
 * StandardMerkleTree over the batch's entries (each leaf: the firm, its grade and radar, and when it was published),
 * and one EIP-712 signature over the tree's root with the chain key that holds REGULATOR_ROLE on the FacilityManager
 * (the key whose signature the contract takes on joint decisions). Each entry travels with the root, its proof and
 * the signature: the bank node stores an entry only when both check, and prices a facility only from an entry whose
 * proof and signature check again when it is read — a row written into the bank's database by anyone else is not the
 * regulator's word. One signature per batch, not per entry: ethers takes ~7 ms to sign and ~9 ms to recover one.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { verifyTypedData, type TypedDataDomain } from "ethers";
import type { Chain } from "../chain/chain";
import type { Database } from "../db/client";

/** A white-list leaf: creditCode, name, grade, the five radar scores, publishedAt (seconds). */
export const WHITE_LIST_LEAF = ["string", "string", "string", "uint8", "uint8", "uint8", "uint8", "uint8", "uint64"];

/** EIP-712 type of a white-list publication: the Merkle root of its entries. */
export const WHITE_LIST_PUBLICATION_TYPES = { WhiteListPublication: [{ name: "root", type: "bytes32" }] };

/** What the regulator vouches for of an entry: the firm, its grade and radar, and when it published them. */
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

/** An entry's seal: the publication's root, the entry's proof under it, and the regulator's signature over the root. */
export interface Seal {
  root: string;
  proof: string[];
  signature: string;
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

export function leafOf(entry: SignedFields): unknown[] {
  return [
    entry.creditCode,
    entry.name,
    entry.grade,
    entry.credit,
    entry.management,
    entry.brand,
    entry.foundation,
    entry.innovation,
    BigInt(Math.floor(entry.publishedAt.getTime() / 1000)),
  ];
}

/** Seals a batch of entries (`signer` signs the root: the regulator node's chain key); the seals in entry order. */
export async function sealWhiteList(
  signer: { signTypedData: Chain["signer"]["signTypedData"] },
  domain: TypedDataDomain,
  entries: SignedFields[],
): Promise<Seal[]> {
  if (entries.length === 0) return [];
  const tree = StandardMerkleTree.of(entries.map(leafOf), WHITE_LIST_LEAF);
  const signature = await signer.signTypedData(domain, WHITE_LIST_PUBLICATION_TYPES, { root: tree.root });
  return entries.map((_, i) => ({ root: tree.root, proof: tree.getProof(i), signature }));
}

/**
 * Who sealed an entry: the signer of its root when its proof holds under that root, else undefined (whoever it is,
 * the caller checks that it is the regulator). Recovered signers are kept per root and signature.
 */
export function createSealReader(chain: Pick<Chain, "chainId" | "deployment">) {
  const domain = whiteListDomain(chain);
  const signers = new Map<string, string | undefined>();
  return (entry: SignedFields, seal: Seal): string | undefined => {
    try {
      if (!StandardMerkleTree.verify(seal.root, WHITE_LIST_LEAF, leafOf(entry), seal.proof)) return undefined;
    } catch {
      return undefined;
    }
    const key = `${seal.root}:${seal.signature}`;
    if (!signers.has(key)) {
      if (signers.size > 10_000) signers.clear();
      let signer: string | undefined;
      try {
        signer = verifyTypedData(domain, WHITE_LIST_PUBLICATION_TYPES, { root: seal.root }, seal.signature);
      } catch {
        signer = undefined;
      }
      signers.set(key, signer);
    }
    return signers.get(key);
  };
}

export type SealReader = ReturnType<typeof createSealReader>;

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
 * The white-list entry of a firm that the regulator sealed, or null when the bank node holds none (or only one whose
 * proof or signature does not check: then the firm is priced as unlisted). What facility pricing and reviews read.
 */
export async function regulatorEntryOf(
  db: Database,
  readSeal: SealReader,
  isRegulator: RegulatorCheck,
  creditCode: string,
): Promise<{ grade: string } | null> {
  const row = await db.prisma.whiteListEntry.findUnique({ where: { creditCode } });
  if (!row?.publishedAt || !row.root || !row.proof || !row.signature) return null;
  let proof: string[];
  try {
    proof = JSON.parse(row.proof) as string[];
  } catch {
    return null;
  }
  const signer = readSeal(
    { ...row, publishedAt: row.publishedAt },
    { root: row.root, proof, signature: row.signature },
  );
  return signer && (await isRegulator(signer)) ? row : null;
}

/** The bank node's reader of the regulator's white list: a firm's sealed entry, or null (what pricing uses). */
export function createRegulatorWhiteList({ db, chain }: { db: Database; chain: Chain }) {
  const readSeal = createSealReader(chain);
  const isRegulator = createRegulatorCheck(chain);
  return (creditCode: string) => regulatorEntryOf(db, readSeal, isRegulator, creditCode);
}
