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

    /// @notice Number of set bits in a 256-bit word, in constant time (SWAR: pairs, nibbles, bytes, then one multiply).
    function popCount256(uint256 word) internal pure returns (uint256) {
        if (word == type(uint256).max) return 256; // the byte sum below holds at most 255
        unchecked {
            word -= (word >> 1) & 0x5555555555555555555555555555555555555555555555555555555555555555;
            word =
                (word & 0x3333333333333333333333333333333333333333333333333333333333333333) +
                ((word >> 2) & 0x3333333333333333333333333333333333333333333333333333333333333333);
            word = (word + (word >> 4)) & 0x0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f;
            return (word * 0x0101010101010101010101010101010101010101010101010101010101010101) >> 248;
        }
    }
}
