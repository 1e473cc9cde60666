/** Mirrors of the contracts' enums and constants, for readable tests. */

export const Kind = {
  PURCHASE_CONTRACT: 0,
  INVOICE: 1,
  DELIVERY_NOTE: 2,
  INSPECTION_REPORT: 3,
  CERTIFICATION: 4,
  PATENT_FILING: 5,
  SPOT_CHECK_REPORT: 6,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export const Verdict = { NONE: 0, ACCEPT: 1, REJECT: 2 } as const;

export const Category = { EQUIPMENT: 0, TESTING_CERT: 1, MATERIALS: 2, R_AND_D: 3, SERVICES: 4 } as const;

export const Status = { NONE: 0n, ACTIVE: 1n, FROZEN: 2n, CLOSED: 3n } as const;

/** A payment's required-evidence bit mask from a list of kinds. */
export function kindsMask(...kinds: Kind[]): number {
  return kinds.reduce<number>((mask, kind) => mask | (1 << kind), 0);
}

/** CNY amounts in fen: yuan(10_000_000) is ten million yuan. */
export function yuan(amount: number | bigint): bigint {
  return BigInt(amount) * 100n;
}

export const DAY = 86_400n;

/** The leaf encoding of StandardMerkleTree for evidence: [facilityId, kind, counterparty, saltedHash]. */
export const LEAF_ENCODING = ["uint64", "uint8", "address", "bytes32"];
