// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Shares in basis points
library ShareMath {
    /// @notice `part / total` in basis points, rounded down, so a share is never overstated; zero when `total` is zero.
    function shareBps(uint256 part, uint256 total) internal pure returns (uint256) {
        if (total == 0) return 0;
        return (part * 10_000) / total;
    }
}
