// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IEvidenceRegistry} from "./interfaces/IEvidenceRegistry.sol";
import {BitMath} from "./libraries/BitMath.sol";

/// @title EvidenceRoles
/// @notice Who may act on {EvidenceRegistry}: the anchorer, the verifier set with its quorum threshold, and the one
/// consumer; and how a verifier's EIP-712 signed request (attestation, revocation, batch attestation) is checked.
/// @dev Split from EvidenceRegistry to keep one concept per file, as {FacilityRoles} is from FacilityManager. Each
/// verifier owns one bit slot (0–31) of the attestation masks for life; a removed verifier's slot is retired, so the
/// masks are always read through the current `activeMask`.
abstract contract EvidenceRoles is IEvidenceRegistry, AccessControl, EIP712, Nonces {
    /// @notice Role of the bank node's anchoring batcher.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    bytes32 internal constant _ATTESTATION_TYPEHASH = keccak256(
        "Attestation(bytes32 evidenceId,uint8 verdict,bytes32 reasonHash,uint256 nonce,uint64 deadline)"
    );

    bytes32 private constant _REVOCATION_TYPEHASH = keccak256(
        "Revocation(bytes32 evidenceId,bytes32 reasonHash,uint256 nonce,uint64 deadline)"
    );

    bytes32 private constant _BATCH_ATTESTATION_TYPEHASH = keccak256(
        "BatchAttestation(bytes32 root,uint256[] accepted,uint256[] rejected,uint256 nonce,uint64 deadline)"
    );

    uint8 private constant _MAX_SLOTS = 32;

    /// @dev Read together on every verification and consumption, so kept in one slot.
    struct VerifierSet {
        uint32 activeMask;
        uint8 threshold;
        uint8 nextSlot;
        address consumer;
    }

    mapping(address verifier => uint8 slotPlusOne) internal _slotOf;
    address[_MAX_SLOTS] private _verifierAt;
    VerifierSet internal _set;

    /// @inheritdoc IEvidenceRegistry
    function setConsumer(address newConsumer) external onlyRole(DEFAULT_ADMIN_ROLE) {
        emit ConsumerChanged(_set.consumer, newConsumer);
        _set.consumer = newConsumer;
    }

    /// @inheritdoc IEvidenceRegistry
    function addVerifier(address verifier) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _addVerifier(verifier);
    }

    /// @inheritdoc IEvidenceRegistry
    function removeVerifier(address verifier) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint8 slotPlusOne = _slotOf[verifier];
        if (slotPlusOne == 0) revert EvidenceNotVerifier(verifier);
        uint32 activeMask = _set.activeMask & ~(uint32(1) << (slotPlusOne - 1));
        uint256 remaining = BitMath.popCount(activeMask);
        if (_set.threshold > remaining) revert EvidenceInvalidThreshold(_set.threshold, remaining);
        _set.activeMask = activeMask;
        delete _slotOf[verifier];
        delete _verifierAt[slotPlusOne - 1];
        emit VerifierRemoved(verifier);
    }

    /// @inheritdoc IEvidenceRegistry
    function setThreshold(uint8 newThreshold) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setThreshold(newThreshold);
    }

    /// @inheritdoc IEvidenceRegistry
    function isVerifier(address account) external view returns (bool) {
        return _slotOf[account] != 0;
    }

    /// @inheritdoc IEvidenceRegistry
    function verifiers() external view returns (address[] memory list) {
        uint32 activeMask = _set.activeMask;
        list = new address[](BitMath.popCount(activeMask));
        uint256 n = 0;
        for (uint8 slot = 0; slot < _set.nextSlot; ++slot) {
            if (activeMask & (uint32(1) << slot) != 0) {
                list[n] = _verifierAt[slot];
                ++n;
            }
        }
    }

    /// @inheritdoc IEvidenceRegistry
    function threshold() external view returns (uint8) {
        return _set.threshold;
    }

    /// @inheritdoc IEvidenceRegistry
    function consumer() external view returns (address) {
        return _set.consumer;
    }

    /// @inheritdoc IEvidenceRegistry
    function attestationDigest(AttestationRequest calldata request) external view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        _ATTESTATION_TYPEHASH,
                        request.evidenceId,
                        request.verdict,
                        request.reasonHash,
                        request.nonce,
                        request.deadline
                    )
                )
            );
    }

    /// @inheritdoc IEvidenceRegistry
    function revocationDigest(RevocationRequest calldata request) external view returns (bytes32) {
        return _hashTypedDataV4(_revocationStructHash(request));
    }

    /// @inheritdoc IEvidenceRegistry
    function batchAttestationDigest(BatchAttestation calldata attestation) external view returns (bytes32) {
        return _hashTypedDataV4(_batchStructHash(attestation));
    }

    function _revocationStructHash(RevocationRequest calldata request) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    _REVOCATION_TYPEHASH,
                    request.evidenceId,
                    request.reasonHash,
                    request.nonce,
                    request.deadline
                )
            );
    }

    function _batchStructHash(BatchAttestation calldata attestation) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    _BATCH_ATTESTATION_TYPEHASH,
                    attestation.root,
                    keccak256(abi.encodePacked(attestation.accepted)),
                    keccak256(abi.encodePacked(attestation.rejected)),
                    attestation.nonce,
                    attestation.deadline
                )
            );
    }

    /// @dev Checks the deadline, recovers the signer, requires it to be a verifier and spends its nonce.
    function _useSignature(
        bytes32 structHash,
        uint256 nonce,
        uint64 deadline,
        bytes calldata signature
    ) internal returns (address verifier, uint32 bit) {
        if (block.timestamp > deadline) revert EvidenceSignatureExpired(deadline);
        verifier = ECDSA.recover(_hashTypedDataV4(structHash), signature);
        uint8 slotPlusOne = _slotOf[verifier];
        if (slotPlusOne == 0) revert EvidenceNotVerifier(verifier);
        _useCheckedNonce(verifier, nonce);
        bit = uint32(1) << (slotPlusOne - 1);
    }

    function _slotOfBit(uint32 bit) internal pure returns (uint256 slot) {
        while (bit > 1) {
            bit >>= 1;
            ++slot;
        }
    }

    function _isVerified(Evidence storage evidence, VerifierSet memory set) internal view returns (bool) {
        uint32 accepted = evidence.acceptedMask & set.activeMask;
        return
            evidence.rejectedMask & set.activeMask == 0 && accepted != 0 && BitMath.popCount(accepted) >= set.threshold;
    }

    function _addVerifier(address verifier) internal {
        if (verifier == address(0) || _slotOf[verifier] != 0) revert EvidenceInvalidVerifier(verifier);
        uint8 slot = _set.nextSlot;
        if (slot == _MAX_SLOTS) revert EvidenceVerifierSlotsExhausted();
        _slotOf[verifier] = slot + 1;
        _verifierAt[slot] = verifier;
        _set.activeMask |= uint32(1) << slot;
        _set.nextSlot = slot + 1;
        emit VerifierAdded(verifier, slot);
    }

    function _setThreshold(uint8 newThreshold) internal {
        uint256 count = BitMath.popCount(_set.activeMask);
        if (newThreshold == 0 || newThreshold > count) revert EvidenceInvalidThreshold(newThreshold, count);
        emit ThresholdChanged(_set.threshold, newThreshold);
        _set.threshold = newThreshold;
    }
}
