// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Evidence identifiers, built as @openzeppelin/merkle-tree's StandardMerkleTree leaves
/// @notice An evidence id is the leaf hash of `[facilityId, kind, saltedHash]` with the leaf encoding
/// `["uint64", "uint8", "bytes32"]`: `keccak256(bytes.concat(keccak256(abi.encode(...))))`.
/// The same id names the evidence whether it was anchored alone or inside a batch, so a proof made by
/// `StandardMerkleTree.of(values, ["uint64", "uint8", "bytes32"])` verifies against the batch root on chain.
library EvidenceLeaf {
    /// @notice The leaf hash (and evidence id) of one piece of evidence.
    function hash(uint64 facilityId, uint8 kind, bytes32 saltedHash) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(facilityId, kind, saltedHash))));
    }
}
