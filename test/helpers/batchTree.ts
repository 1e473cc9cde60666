import { AbiCoder, keccak256 } from "ethers";
import { batchTreeOf, verifyBatchProof } from "../../server/chain/batch-tree";
import { LEAF_ENCODING } from "./constants";

/** An evidence leaf's values: [facilityId, kind, counterparty, saltedHash]. */
export type LeafValues = [bigint | string, number, string, string];

/** The evidence id of leaf values (EvidenceLeaf.hash: StandardMerkleTree's leaf hash). */
export function leafHashOf(value: LeafValues): string {
  return keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(LEAF_ENCODING, value)));
}

/**
 * A position-bound batch tree (server/chain/batch-tree.ts) of evidence leaves in the given order, with the parts of
 * StandardMerkleTree's interface the tests use: at, entries, getProof, leafHash, and verify by position.
 */
export function evidenceTree<T extends LeafValues>(values: T[]) {
  const ids = values.map(leafHashOf);
  const tree = batchTreeOf(ids);
  return {
    root: tree.root,
    size: values.length,
    ids,
    at: (index: number): T | undefined => values[index],
    entries: () => values.entries(),
    getProof: (index: number) => tree.proof(index),
    leafHash: leafHashOf,
    verify: (index: number, proof: string[]) => verifyBatchProof(tree.root, ids[index], index, proof, values.length),
  };
}

export type EvidenceTree<T extends LeafValues = LeafValues> = ReturnType<typeof evidenceTree<T>>;
