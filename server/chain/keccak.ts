import { getBytes, keccak256 } from "ethers";
import { createKeccak, type IHasher } from "hash-wasm";

/**
 * keccak256 on bytes, and the few shapes the evidence checks need (a 64-byte pair, a proof walk), without the hex
 * round trips of ethers' `keccak256(hex) → hex`.
 *
 * Profiled in `npm run bench:verify` (docs/benchmarks.md): keccak-f[1600] in JavaScript (@noble/hashes, which ethers
 * uses) was about half of all the time a proof check took, and ~15 µs a hash on this machine; hash-wasm's WebAssembly
 * keccak takes ~2 µs for the same 64 bytes (the native `keccak` addon ~2.5–5 µs, js-sha3 ~5 µs). WebAssembly is
 * compiled asynchronously: until `keccakReady` settles (a few milliseconds after this module is loaded) the same
 * functions answer through ethers, with the same results.
 */
let wasm: IHasher | undefined;

/** Resolves once the WebAssembly keccak is in use (never rejects: without it, ethers' keccak256 stays in use). */
export const keccakReady: Promise<void> = createKeccak(256).then(
  (hasher) => {
    wasm = hasher;
  },
  () => undefined,
);

/** Whether the WebAssembly keccak is in use (tests compare both paths). */
export const fastKeccakLoaded = (): boolean => wasm !== undefined;

/** keccak256 of `data`, as 32 bytes. */
export function keccakBytes(data: Uint8Array): Uint8Array {
  if (wasm) return wasm.init().update(data).digest("binary");
  return getBytes(keccak256(data));
}

const pair = new Uint8Array(64);

/** keccak256(left ‖ right) of two 32-byte words: a position-bound tree node (left child first). */
export function keccak64(left: Uint8Array, right: Uint8Array): Uint8Array {
  pair.set(left, 0);
  pair.set(right, 32);
  return keccakBytes(pair);
}

/** Compares two 32-byte words as unsigned big-endian numbers. */
function compareWords(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return 0;
}

/** OpenZeppelin's commutative node hash (MerkleProof._hashPair): the smaller word first. */
export function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  return compareWords(a, b) <= 0 ? keccak64(a, b) : keccak64(b, a);
}

/** The root a sorted-pair proof leads to from `leaf` (MerkleProof.processProof). */
export function processProof(leaf: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  let node = leaf;
  for (const sibling of proof) node = hashPair(node, sibling);
  return node;
}

/**
 * The root a position-bound proof leads to from the leaf at `index`: at each level the index's low bit says whether
 * the node is the right child (its sibling goes first).
 */
export function processIndexedProof(leaf: Uint8Array, index: number, proof: readonly Uint8Array[]): Uint8Array {
  let node = leaf;
  let at = index;
  for (const sibling of proof) {
    node = at % 2 === 1 ? keccak64(sibling, node) : keccak64(node, sibling);
    at = Math.floor(at / 2);
  }
  return node;
}

const HEX = /^0x[0-9a-fA-F]*$/;

/** The 32 bytes of a 0x-prefixed hex word, or undefined when it is not one. */
export function wordOf(hex: string): Uint8Array | undefined {
  if (typeof hex !== "string" || hex.length !== 66 || !HEX.test(hex)) return undefined;
  return Buffer.from(hex.slice(2), "hex");
}

/** 0x-prefixed lowercase hex of bytes (as ethers writes hashes). */
export function hexOf(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

/** Whether two byte strings are equal. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
