/** Moved to domain/chain/batch-tree.ts (the CLI checks proofs with it too); re-exported for the server. */
export * from "../../domain/chain/batch-tree";
