// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Position-bound Merkle trees of evidence batches
/// @notice A batch of `size` evidence ids (the leaves, in the batch's order) is hashed level by level: the node above
/// positions 2k and 2k+1 is `keccak256(left ‖ right)` (not sorted, so a proof also proves the leaf's position), and a
/// level of odd length pairs its last node with `bytes32(0)`. The tree's depth is ceil(log2(size)), and the proof of
/// leaf `index` is one sibling per level, the direction at level k given by bit k of `index`
/// (server/chain/batch-tree.ts builds the same tree).
library BatchTree {
    /// @notice Number of levels above the leaves of a batch of `size` leaves (0 for a one-leaf batch).
    function depth(uint256 size) internal pure returns (uint256 levels) {
        while ((uint256(1) << levels) < size) ++levels;
    }

    /// @notice Whether `proof` leads from `leaf` at position `index` to `root` in a batch of `size` leaves.
    function verify(
        bytes32[] calldata proof,
        bytes32 root,
        bytes32 leaf,
        uint256 index,
        uint256 size
    ) internal pure returns (bool) {
        if (index >= size || proof.length != depth(size)) return false;
        bytes32 node = leaf;
        for (uint256 level = 0; level < proof.length; ++level) {
            node = (index >> level) & 1 == 0 ? _pair(node, proof[level]) : _pair(proof[level], node);
        }
        return node == root;
    }

    function _pair(bytes32 left, bytes32 right) private pure returns (bytes32 node) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            node := keccak256(0x00, 0x40)
        }
    }
}
