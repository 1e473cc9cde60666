// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BitMath} from "../libraries/BitMath.sol";
import {EvidenceLeaf} from "../libraries/EvidenceLeaf.sol";
import {InterestMath} from "../libraries/InterestMath.sol";
import {ShareMath} from "../libraries/ShareMath.sol";

/// @notice Exposes the internal libraries to unit tests.
contract TestMath {
    function accrued(uint256 principal, uint256 rateBps, uint256 elapsed) external pure returns (uint256) {
        return InterestMath.accrued(principal, rateBps, elapsed);
    }

    function numerator(uint256 principal, uint256 rateBps, uint256 elapsed) external pure returns (uint256) {
        return InterestMath.numerator(principal, rateBps, elapsed);
    }

    function toFen(uint256 accumulated) external pure returns (uint256) {
        return InterestMath.toFen(accumulated);
    }

    function shareBps(uint256 part, uint256 total) external pure returns (uint256) {
        return ShareMath.shareBps(part, total);
    }

    function popCount(uint256 mask) external pure returns (uint256) {
        return BitMath.popCount(mask);
    }

    function popCount256(uint256 word) external pure returns (uint256) {
        return BitMath.popCount256(word);
    }

    function leaf(
        uint64 facilityId,
        uint8 kind,
        address counterparty,
        bytes32 saltedHash
    ) external pure returns (bytes32) {
        return EvidenceLeaf.hash(facilityId, kind, counterparty, saltedHash);
    }
}
