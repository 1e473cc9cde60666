/**
 * The state of a plain TypeScript model of the payee registry, the evidence registry and the facility manager,
 * written from the interfaces' NatSpec and DESIGN.md. It is plain data (Maps, arrays, bigints), so `structuredClone`
 * copies it for each run.
 */

export const FACILITY_STATUS = { ACTIVE: 1n, FROZEN: 2n, CLOSED: 3n } as const;
export const DEFAULT_QUALITY_FLOOR_BPS = 3_000n;
export const ALL_KINDS = 0x7f;
/** The id used for "a facility that does not exist": the property never creates that many. */
export const MISSING_FACILITY = 1_000n;
/** Acceptances that make evidence verified: the deployment's 2-of-2 (bank node + regulator node). */
export const THRESHOLD = 2;

export interface PayeeState {
  category: number;
  active: boolean;
}

export interface EvidenceState {
  id: string;
  facilityId: bigint;
  kind: number;
  /** The payee or borrower the document names (part of the id). */
  counterparty: string;
  saltedHash: string;
  /** Bit v set when verifier v (0 = bank node, 1 = regulator node) accepted / rejected or revoked. */
  accepted: number;
  rejected: number;
  consumed: boolean;
}

export interface PaymentState {
  payee: string;
  amount: bigint;
  category: number;
  requiredKinds: number;
  qualityPurpose: boolean;
  paid: boolean;
}

/** A closed rate segment: `principal` at `rateBps` (and the subsidy at `subsidyRateBps`) from `from` to `to`. */
export interface Segment {
  from: bigint;
  to: bigint;
  principal: bigint;
  rateBps: bigint;
  subsidyRateBps: bigint;
}

export interface FacilityModel {
  id: bigint;
  borrower: string;
  creditLimit: bigint;
  baseRateBps: bigint;
  rateBps: bigint;
  subsidyBps: bigint;
  qualityFloorBps: bigint;
  subsidyEligible: boolean;
  status: bigint;
  freezeCount: number;
  reviewNonce: number;
  plan: PaymentState[];
  planTotal: bigint;
  qualityTotal: bigint;
  principal: bigint;
  principalRepaid: bigint;
  balance: bigint;
  funded: bigint;
  withdrawn: bigint;
  interestRepaid: bigint;
  subsidyPaid: bigint;
  /** Sum of the PaymentExecuted amounts: what left the vault for payees. */
  paidToPayees: bigint;
  segments: Segment[];
  /** Start of the open segment. */
  openFrom: bigint;
}

export interface Model {
  /** Timestamp of the latest block. */
  now: bigint;
  payees: Map<string, PayeeState>;
  evidence: EvidenceState[];
  verifierNonces: bigint[];
  facilities: FacilityModel[];
  /** Counter for deterministic salted document hashes, so a seed replays exactly. */
  salt: number;
}

export function emptyModel(now: bigint): Model {
  return { now, payees: new Map(), evidence: [], verifierNonces: [0n, 0n], facilities: [], salt: 0 };
}
