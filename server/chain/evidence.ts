import { concat, getAddress, getBytes, keccak256 } from "ethers";
import { createHash } from "node:crypto";
import { hexOf, keccakBytes, processIndexedProof, sameBytes, wordOf } from "./keccak";

import { EVIDENCE_KINDS, type EvidenceKind } from "../../domain/enums";

/** Evidence kinds in the order of the contract's enum (domain/enums.ts): the index is the on-chain value. */
export { EVIDENCE_KINDS, type EvidenceKind };

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
  return `0x${createHash("sha256").update(bytes).digest("hex")}`;
}

/** keccak256(salt ‖ contentHash): what is anchored, so equal documents in different loans do not link. */
export function saltedHashOf(salt: string, contentHash: string): string {
  const saltWord = wordOf(salt);
  const hashWord = wordOf(contentHash);
  if (!saltWord || !hashWord) return keccak256(concat([salt, contentHash]));
  const both = new Uint8Array(64);
  both.set(saltWord, 0);
  both.set(hashWord, 32);
  return hexOf(keccakBytes(both));
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * The 20 bytes of an address, checked as ethers' getAddress checks it (a mixed-case address must carry its EIP-55
 * checksum). The checksum's keccak goes through the fast path; anything unusual goes through getAddress itself, which
 * also gives its errors.
 */
function addressBytes(address: string): Uint8Array {
  if (ADDRESS.test(address)) {
    const digits = address.slice(2);
    const lower = digits.toLowerCase();
    let valid = digits === lower || digits === digits.toUpperCase();
    if (!valid) {
      const hash = keccakBytes(Buffer.from(lower, "ascii"));
      valid = true;
      for (let i = 0; i < 40 && valid; i++) {
        const c = digits.charCodeAt(i);
        if (c < 0x41) continue; // a digit: no case
        const nibble = i % 2 === 0 ? hash[i >> 1] >> 4 : hash[i >> 1] & 0x0f;
        valid = nibble >= 8 ? c <= 0x5a : c >= 0x61;
      }
    }
    if (valid) return Buffer.from(lower, "hex");
  }
  return getBytes(getAddress(address));
}

/** The evidence id as bytes (see evidenceIdOf). */
function evidenceIdBytes(facilityId: bigint, kind: EvidenceKind, counterparty: string, saltedHash: string): Uint8Array {
  if (facilityId < 0n || facilityId >= 1n << 64n) throw new RangeError(`facility id ${facilityId} is not a uint64`);
  const index = kindIndex(kind);
  if (index < 0) throw new RangeError(`unknown evidence kind ${kind}`);
  // abi.encode(uint64, uint8, address, bytes32) is four 32-byte words; written out, it costs a tenth of AbiCoder.encode.
  const encoded = new Uint8Array(128);
  new DataView(encoded.buffer).setBigUint64(24, facilityId);
  encoded[63] = index;
  encoded.set(addressBytes(counterparty), 76);
  const hash = wordOf(saltedHash) ?? getBytes(saltedHash);
  if (hash.length !== 32) throw new RangeError(`salted hash ${saltedHash} is not 32 bytes`);
  encoded.set(hash, 96);
  return keccakBytes(keccakBytes(encoded));
}

/** The evidence id: StandardMerkleTree's leaf hash of [facilityId, kind, counterparty, saltedHash] (EvidenceLeaf.sol). */
export function evidenceIdOf(facilityId: bigint, kind: EvidenceKind, counterparty: string, saltedHash: string): string {
  return hexOf(evidenceIdBytes(facilityId, kind, counterparty, saltedHash));
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
 * which a batch verdict's bit stands for). The evidence id is recomputed from the leaf and the proof is processed from
 * it directly, on bytes: each word is read from hex once and each step is one 64-byte keccak (./keccak.ts;
 * bench:verify). A root, evidence id or proof element that is not a 32-byte hex word, or an index the proof's depth
 * cannot hold, proves nothing.
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
  const { index } = evidence;
  if (!Number.isInteger(index) || index < 0 || index >= 2 ** proof.length) return false;
  const evidenceId = evidenceIdBytes(evidence.facilityId, evidence.kind, evidence.counterparty, evidence.saltedHash);
  const claimed = wordOf(evidence.evidenceId);
  const rootWord = wordOf(root);
  if (!claimed || !rootWord || !sameBytes(evidenceId, claimed)) return false;
  const siblings: Uint8Array[] = [];
  for (const element of proof) {
    const word = wordOf(element);
    if (!word) return false;
    siblings.push(word);
  }
  return sameBytes(processIndexedProof(evidenceId, index, siblings), rootWord);
}
