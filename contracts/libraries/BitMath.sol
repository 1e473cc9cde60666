// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Bit counting for small masks
library BitMath {
    /// @notice Number of set bits in `mask` (Kernighan's loop: one iteration per set bit).
    function popCount(uint256 mask) internal pure returns (uint256 count) {
        while (mask != 0) {
            // Clearing the lowest set bit: mask > 0, so mask - 1 cannot underflow.
            unchecked {
                mask &= mask - 1;
                ++count;
            }
        }
    }
}
