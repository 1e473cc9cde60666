// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEvidenceRegistryErrors} from "../interfaces/IEvidenceRegistryErrors.sol";
import {BitMath} from "./BitMath.sol";

/// @title The verifiers' verdicts on a batch's leaves, by position, until each leaf is registered as evidence
/// @notice Per batch: for each verifier slot, a bitmap of accepted and one of rejected leaves (bit b of word w is leaf
/// 256·w + b), and a bitmap of the leaves registered as evidence. Registration copies the current verifiers' bits of the
/// leaf into the evidence record and closes the leaf to batch verdicts, so a verdict can never land where the record
/// would miss it.
library BatchVerdicts {
    struct Bits {
        mapping(uint256 word => uint256) registered;
        mapping(uint256 key => uint256) verdicts; // key: word << 6 | slot << 1 | (1 for rejected)
    }

    function _key(uint256 w, uint256 slot, bool rejected) private pure returns (uint256) {
        return (w << 6) | (slot << 1) | (rejected ? 1 : 0);
    }

    /// @notice Records a verifier's verdicts on leaves of a batch of `size`; reverts on anything but fresh, disjoint
    /// bits of unregistered leaves inside the batch.
    function record(
        Bits storage bits,
        bytes32 root,
        uint256 size,
        uint256 slot,
        address verifier,
        uint256[] calldata accepted,
        uint256[] calldata rejected
    ) internal returns (uint256 acceptedCount, uint256 rejectedCount) {
        if (accepted.length > (size + 255) >> 8 || rejected.length > (size + 255) >> 8) {
            revert IEvidenceRegistryErrors.EvidenceBatchBitsOutOfRange(root, (size + 255) >> 8);
        }
        for (uint256 w = 0; w < accepted.length || w < rejected.length; ++w) {
            uint256 acc = w < accepted.length ? accepted[w] : 0;
            uint256 rej = w < rejected.length ? rejected[w] : 0;
            if (acc | rej == 0) continue;
            // Bits past the last leaf: the last word holds size % 256 leaves (all 256 when that is zero).
            if (w == (size - 1) >> 8 && size & 255 != 0 && (acc | rej) >> (size & 255) != 0) {
                revert IEvidenceRegistryErrors.EvidenceBatchBitsOutOfRange(root, w);
            }
            _recordWord(bits, root, w, slot, verifier, acc, rej);
            acceptedCount += BitMath.popCount256(acc);
            rejectedCount += BitMath.popCount256(rej);
        }
        if (acceptedCount + rejectedCount == 0) revert IEvidenceRegistryErrors.EvidenceBatchBitsOutOfRange(root, 0);
    }

    function _recordWord(
        Bits storage bits,
        bytes32 root,
        uint256 w,
        uint256 slot,
        address verifier,
        uint256 acc,
        uint256 rej
    ) private {
        if (acc & rej != 0) revert IEvidenceRegistryErrors.EvidenceOverlappingVerdicts(root, w);
        uint256 registered = bits.registered[w] & (acc | rej);
        if (registered != 0)
            revert IEvidenceRegistryErrors.EvidenceLeafRegistered(root, (w << 8) + _lowestBit(registered));
        uint256 keyA = _key(w, slot, false);
        uint256 prevA = bits.verdicts[keyA];
        uint256 prevR = bits.verdicts[keyA | 1];
        if ((prevA | prevR) & (acc | rej) != 0) {
            revert IEvidenceRegistryErrors.EvidenceBatchAlreadyAttested(root, w, verifier);
        }
        if (acc != 0) bits.verdicts[keyA] = prevA | acc;
        if (rej != 0) bits.verdicts[keyA | 1] = prevR | rej;
    }

    /// @notice Marks leaf `index` registered and returns the verdict masks of the verifiers in `activeMask` on it
    /// (bit i for slot i); false when it was registered already.
    function register(
        Bits storage bits,
        uint256 index,
        uint32 activeMask,
        uint8 nextSlot
    ) internal returns (bool fresh, uint32 acceptedMask, uint32 rejectedMask) {
        uint256 w = index >> 8;
        uint256 bit = uint256(1) << (index & 255);
        uint256 registered = bits.registered[w];
        if (registered & bit != 0) return (false, 0, 0);
        bits.registered[w] = registered | bit;
        for (uint8 slot = 0; slot < nextSlot; ++slot) {
            if (activeMask & (uint32(1) << slot) == 0) continue;
            uint256 key = _key(w, slot, false);
            if (bits.verdicts[key] & bit != 0) acceptedMask |= uint32(1) << slot;
            if (bits.verdicts[key | 1] & bit != 0) rejectedMask |= uint32(1) << slot;
        }
        return (true, acceptedMask, rejectedMask);
    }

    /// @notice Turns a verifier's batch acceptance of unregistered leaf `index` into a rejection; false when the
    /// verifier did not accept it.
    function revoke(Bits storage bits, bytes32 root, uint256 index, uint256 slot) internal returns (bool) {
        uint256 w = index >> 8;
        uint256 bit = uint256(1) << (index & 255);
        if (bits.registered[w] & bit != 0) revert IEvidenceRegistryErrors.EvidenceLeafRegistered(root, index);
        uint256 keyA = _key(w, slot, false);
        uint256 accepted = bits.verdicts[keyA];
        if (accepted & bit == 0) return false;
        bits.verdicts[keyA] = accepted & ~bit;
        bits.verdicts[keyA | 1] |= bit;
        return true;
    }

    /// @notice A verifier slot's accepted and rejected bitmaps of word `w`, and the word's registered leaves.
    function wordOf(
        Bits storage bits,
        uint256 w,
        uint256 slot
    ) internal view returns (uint256 accepted, uint256 rejected, uint256 registered) {
        uint256 key = _key(w, slot, false);
        return (bits.verdicts[key], bits.verdicts[key | 1], bits.registered[w]);
    }

    function _lowestBit(uint256 x) private pure returns (uint256 b) {
        while (x & 1 == 0) {
            x >>= 1;
            ++b;
        }
    }
}
