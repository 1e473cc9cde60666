import { concat, getAddress, getBytes, keccak256, sha256, toBeHex } from "ethers";
import { verifyBatchProof } from "./batch-tree";

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

/**
 * Kinds whose counterparty is the payee the document is with (EvidenceLeaf.PAYEE_KINDS): a purchase contract, an
 * invoice, a delivery note, a test/certification report. The others (inspection report, patent filing, spot-check
 * report) name the facility's borrower.
 */
export const PAYEE_KINDS: readonly EvidenceKind[] = ["PURCHASE_CONTRACT", "INVOICE", "DELIVERY_NOTE", "CERTIFICATION"];

export const isPayeeKind = (kind: EvidenceKind): boolean => PAYEE_KINDS.includes(kind);

/** The StandardMerkleTree leaf encoding of an evidence: [facilityId, kind, counterparty, saltedHash]. */
export const LEAF_ENCODING = ["uint64", "uint8", "address", "bytes32"];

/** sha256 of a document's bytes: its content address. */
export function contentHashOf(bytes: Uint8Array): string {
  return sha256(bytes);
}

/** keccak256(salt ‖ contentHash): what is anchored, so equal documents in different loans do not link. */
export function saltedHashOf(salt: string, contentHash: string): string {
  return keccak256(concat([salt, contentHash]));
}

/** The evidence id: StandardMerkleTree's leaf hash of [facilityId, kind, counterparty, saltedHash] (EvidenceLeaf.sol). */
export function evidenceIdOf(facilityId: bigint, kind: EvidenceKind, counterparty: string, saltedHash: string): string {
  if (facilityId < 0n || facilityId >= 1n << 64n) throw new RangeError(`facility id ${facilityId} is not a uint64`);
  const index = kindIndex(kind);
  if (index < 0) throw new RangeError(`unknown evidence kind ${kind}`);
  // abi.encode(uint64, uint8, address, bytes32) is four 32-byte words; written out, it costs a tenth of AbiCoder.encode.
  const encoded = new Uint8Array(128);
  encoded.set(getBytes(toBeHex(facilityId, 32)), 0);
  encoded[63] = index;
  const party = getBytes(getAddress(counterparty));
  encoded.set(party, 76);
  const hash = getBytes(saltedHash);
  if (hash.length !== 32) throw new RangeError(`salted hash ${saltedHash} is not 32 bytes`);
  encoded.set(hash, 96);
  return keccak256(getBytes(keccak256(encoded)));
}

/** The tree values of an evidence, as StandardMerkleTree.of expects them. */
export function leafValue(
  facilityId: bigint,
  kind: EvidenceKind,
  counterparty: string,
  saltedHash: string,
): [string, number, string, string] {
  return [facilityId.toString(), kindIndex(kind), getAddress(counterparty), saltedHash];
}

/**
 * Whether an evidence — a leaf [facilityId, kind, counterparty, saltedHash] and the evidence id claimed for it — is
 * leaf `index` of the batch tree of `root` by `proof` (server/chain/batch-tree.ts: the proof also proves the position,
 * which a batch verdict's bit stands for). The evidence id is recomputed from the leaf, and the proof is processed from
 * it directly.
 */
export function provesInto(
  root: string,
  evidence: {
    facilityId: bigint;
    kind: EvidenceKind;
    counterparty: string;
    saltedHash: string;
    evidenceId: string;
    index: number;
  },
  proof: string[],
): boolean {
  const evidenceId = evidenceIdOf(evidence.facilityId, evidence.kind, evidence.counterparty, evidence.saltedHash);
  return evidenceId === evidence.evidenceId.toLowerCase() && verifyBatchProof(root, evidenceId, evidence.index, proof);
}
