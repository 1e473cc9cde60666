import { ZeroHash, getBytes, hexlify, keccak256 } from "ethers";

/**
 * Position-bound batch trees (contracts/libraries/BatchTree.sol): the leaves are evidence ids in the batch's order; the
 * node above positions 2k and 2k+1 is keccak256(left ‖ right), unsorted, so a proof also proves the leaf's position (a
 * batch verdict is a bit by position); a level of odd length pairs its last node with bytes32(0). The depth is
 * ceil(log2(size)); the proof of leaf `index` is one sibling a level, the side at level k given by bit k of `index`.
 */

/** Levels above the leaves of a batch of `size` leaves. */
export function batchTreeDepth(size: number): number {
  let depth = 0;
  while (1 << depth < size) depth++;
  return depth;
}

const pair = (left: Uint8Array, right: Uint8Array): Uint8Array => {
  const both = new Uint8Array(64);
  both.set(left, 0);
  both.set(right, 32);
  return getBytes(keccak256(both));
};

const ZERO = getBytes(ZeroHash);

/** The tree of a batch of evidence ids: its root and each leaf's proof. */
export function batchTreeOf(evidenceIds: readonly string[]) {
  if (evidenceIds.length === 0) throw new RangeError("a batch has at least one leaf");
  const levels: Uint8Array[][] = [evidenceIds.map((id) => getBytes(id))];
  while (levels[levels.length - 1].length > 1) {
    const below = levels[levels.length - 1];
    const above: Uint8Array[] = [];
    for (let i = 0; i < below.length; i += 2) above.push(pair(below[i], below[i + 1] ?? ZERO));
    levels.push(above);
  }
  return {
    root: hexlify(levels[levels.length - 1][0]),
    size: evidenceIds.length,
    /** The sibling hashes from leaf `index` up to the root. */
    proof(index: number): string[] {
      if (!Number.isInteger(index) || index < 0 || index >= evidenceIds.length) {
        throw new RangeError(`leaf ${index} is not in a batch of ${evidenceIds.length}`);
      }
      const proof: string[] = [];
      for (let level = 0; level < levels.length - 1; level++) {
        proof.push(hexlify(levels[level][(index >> level) ^ 1] ?? ZERO));
      }
      return proof;
    },
  };
}

export type BatchTree = ReturnType<typeof batchTreeOf>;

/** The root `proof` leads to from `leaf` at position `index`. */
export function processBatchProof(leaf: string, index: number, proof: readonly string[]): string {
  let node = getBytes(leaf);
  for (let level = 0; level < proof.length; level++) {
    const sibling = getBytes(proof[level]);
    node = (index >> level) & 1 ? pair(sibling, node) : pair(node, sibling);
  }
  return hexlify(node);
}

/**
 * Whether `proof` puts `leaf` at position `index` under `root`, as the contract checks it: `index` must fit the proof's
 * depth (when the batch size is known, the proof must also have exactly its depth and `index` be inside it).
 */
export function verifyBatchProof(
  root: string,
  leaf: string,
  index: number,
  proof: readonly string[],
  size?: number,
): boolean {
  if (!Number.isInteger(index) || index < 0 || index >= 2 ** proof.length) return false;
  if (size !== undefined && (index >= size || proof.length !== batchTreeDepth(size))) return false;
  return processBatchProof(leaf, index, proof) === root.toLowerCase();
}
