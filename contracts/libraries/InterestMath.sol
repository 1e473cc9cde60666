// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Simple interest, ACT/360, accrued per second
/// @notice `principal * rateBps * seconds / (10_000 * 360 * 86_400)`, rounded down: the PBOC convention, where the daily
/// rate is the annual rate divided by 360. Over several rate segments, callers add the segments' numerators
/// (`principal * rateBps * seconds`) and round down once, so closing segments often cannot shave off fractions of a fen.
library InterestMath {
    /// @notice Basis points in one whole (100%).
    uint256 internal constant BPS = 10_000;

    /// @notice The denominator of the per-second rate: basis points times the seconds of a 360-day year.
    uint256 internal constant DENOMINATOR = BPS * 360 * 86_400;

    /// @notice Interest in fen on `principal` fen at `rateBps` a year for `elapsed` seconds, rounded down.
    function accrued(uint256 principal, uint256 rateBps, uint256 elapsed) internal pure returns (uint256) {
        return numerator(principal, rateBps, elapsed) / DENOMINATOR;
    }

    /// @notice The unrounded interest of one segment, in fen × DENOMINATOR.
    function numerator(uint256 principal, uint256 rateBps, uint256 elapsed) internal pure returns (uint256) {
        return principal * rateBps * elapsed;
    }

    /// @notice Whole fen in an accumulated numerator, rounded down.
    function toFen(uint256 accumulated) internal pure returns (uint256) {
        return accumulated / DENOMINATOR;
    }
}
