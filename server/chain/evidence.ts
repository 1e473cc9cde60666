import { AbiCoder, concat, keccak256, sha256 } from "ethers";

/** Evidence kinds in the order of the contract's enum: the index is the on-chain value. */
export const EVIDENCE_KINDS = [
  "PURCHASE_CONTRACT",
  "INVOICE",
  "DELIVERY_NOTE",
  "INSPECTION_REPORT",
  "CERTIFICATION",
  "PATENT_FILING",
  "SPOT_CHECK_REPORT",
] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export const kindIndex = (kind: EvidenceKind): number => EVIDENCE_KINDS.indexOf(kind);

/** The StandardMerkleTree leaf encoding of an evidence: [facilityId, kind, saltedHash]. */
export const LEAF_ENCODING = ["uint64", "uint8", "bytes32"];

const coder = AbiCoder.defaultAbiCoder();

/** sha256 of a document's bytes: its content address. */
export function contentHashOf(bytes: Uint8Array): string {
  return sha256(bytes);
}

/** keccak256(salt ‖ contentHash): what is anchored, so equal documents in different loans do not link. */
export function saltedHashOf(salt: string, contentHash: string): string {
  return keccak256(concat([salt, contentHash]));
}

/** The evidence id: StandardMerkleTree's leaf hash of [facilityId, kind, saltedHash] (EvidenceLeaf.sol). */
export function evidenceIdOf(facilityId: bigint, kind: EvidenceKind, saltedHash: string): string {
  return keccak256(keccak256(coder.encode(LEAF_ENCODING, [facilityId, kindIndex(kind), saltedHash])));
}

/** The tree values of an evidence, as StandardMerkleTree.of expects them. */
export function leafValue(facilityId: bigint, kind: EvidenceKind, saltedHash: string): [string, number, string] {
  return [facilityId.toString(), kindIndex(kind), saltedHash];
}
