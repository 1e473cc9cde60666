// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IEvidenceRegistry} from "./interfaces/IEvidenceRegistry.sol";
import {BatchTree} from "./libraries/BatchTree.sol";
import {BatchVerdicts} from "./libraries/BatchVerdicts.sol";
import {BitMath} from "./libraries/BitMath.sol";
import {EvidenceLeaf} from "./libraries/EvidenceLeaf.sol";

/// @title EvidenceRegistry
/// @notice Anchors quality evidence and records the verifier nodes' attestations; see {IEvidenceRegistry}.
/// @dev Each verifier owns one bit slot (0–31) of the attestation masks for life; a removed verifier's slot is retired, so
/// the masks are always read through the current `_activeMask`. All of an evidence's state lives in one storage slot.
contract EvidenceRegistry is IEvidenceRegistry, AccessControl, EIP712, Nonces {
    /// @notice Role of the bank node's anchoring batcher.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    bytes32 private constant _ATTESTATION_TYPEHASH = keccak256(
        "Attestation(bytes32 evidenceId,uint8 verdict,bytes32 reasonHash,uint256 nonce,uint64 deadline)"
    );

    bytes32 private constant _REVOCATION_TYPEHASH = keccak256(
        "Revocation(bytes32 evidenceId,bytes32 reasonHash,uint256 nonce,uint64 deadline)"
    );

    bytes32 private constant _BATCH_ATTESTATION_TYPEHASH = keccak256(
        "BatchAttestation(bytes32 root,uint256[] accepted,uint256[] rejected,uint256 nonce,uint64 deadline)"
    );

    /// @notice Most leaves in one batch: bounds a batch attestation's and a registration's work (docs/architecture.md).
    uint32 public constant MAX_BATCH_SIZE = 1_024;

    uint8 private constant _MAX_SLOTS = 32;

    /// @dev Read together on every verification and consumption, so kept in one slot.
    struct VerifierSet {
        uint32 activeMask;
        uint8 threshold;
        uint8 nextSlot;
        address consumer;
    }

    mapping(bytes32 evidenceId => Evidence) private _evidence;
    mapping(bytes32 root => uint256 packed) private _batches; // anchoredAt << 32 | size
    mapping(bytes32 root => BatchVerdicts.Bits) private _batchBits;
    mapping(address verifier => uint8 slotPlusOne) private _slotOf;
    address[_MAX_SLOTS] private _verifierAt;
    VerifierSet private _set;

    /// @param admin holder of DEFAULT_ADMIN_ROLE (verifier-set governance)
    /// @param initialVerifiers the verifier nodes' signing addresses (bank node, regulator node)
    /// @param initialThreshold acceptances needed (2 for the default 2-of-2)
    constructor(
        address admin,
        address[] memory initialVerifiers,
        uint8 initialThreshold
    ) EIP712("QFM EvidenceRegistry", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        for (uint256 i = 0; i < initialVerifiers.length; ++i) {
            _addVerifier(initialVerifiers[i]);
        }
        _setThreshold(initialThreshold);
    }

    /// @inheritdoc IEvidenceRegistry
    function anchor(
        uint64 facilityId,
        Kind kind,
        address counterparty,
        bytes32 saltedHash
    ) external onlyRole(ANCHORER_ROLE) returns (bytes32 evidenceId) {
        evidenceId = EvidenceLeaf.hash(facilityId, uint8(kind), counterparty, saltedHash);
        _record(evidenceId, facilityId, kind, uint40(block.timestamp));
        emit EvidenceAnchored(evidenceId, facilityId, kind, counterparty, saltedHash, bytes32(0));
    }

    /// @inheritdoc IEvidenceRegistry
    function anchorBatch(bytes32 root, uint32 size) external onlyRole(ANCHORER_ROLE) {
        if (root == bytes32(0) || size == 0 || size > MAX_BATCH_SIZE || _batches[root] != 0) {
            revert EvidenceInvalidBatch(root, size);
        }
        _batches[root] = (block.timestamp << 32) | size;
        emit BatchAnchored(root, size);
    }

    /// @inheritdoc IEvidenceRegistry
    function registerBatchedEvidence(
        bytes32 root,
        uint256 index,
        uint64 facilityId,
        Kind kind,
        address counterparty,
        bytes32 saltedHash,
        bytes32[] calldata proof
    ) external returns (bytes32 evidenceId) {
        evidenceId = EvidenceLeaf.hash(facilityId, uint8(kind), counterparty, saltedHash);
        _registerLeaf(root, index, evidenceId, facilityId, kind, proof);
        emit EvidenceAnchored(evidenceId, facilityId, kind, counterparty, saltedHash, root);
        if (_isVerified(_evidence[evidenceId], _set)) emit EvidenceVerified(evidenceId);
    }

    /// @inheritdoc IEvidenceRegistry
    function attestBatch(BatchAttestation calldata attestation, bytes calldata signature) external {
        (address verifier, uint32 bit) = _useSignature(
            _batchStructHash(attestation),
            attestation.nonce,
            attestation.deadline,
            signature
        );
        uint256 batch = _batches[attestation.root];
        if (batch == 0) revert EvidenceBatchNotAnchored(attestation.root);
        (uint256 acceptedCount, uint256 rejectedCount) = BatchVerdicts.record(
            _batchBits[attestation.root],
            attestation.root,
            uint32(batch),
            _slotOfBit(bit),
            verifier,
            attestation.accepted,
            attestation.rejected
        );
        emit BatchAttested(
            attestation.root,
            verifier,
            attestation.nonce,
            acceptedCount,
            rejectedCount,
            attestation.accepted,
            attestation.rejected
        );
    }

    /// @inheritdoc IEvidenceRegistry
    function revokeBatched(
        RevocationRequest calldata request,
        bytes calldata signature,
        bytes32 root,
        uint256 index,
        bytes32[] calldata proof
    ) external {
        (address verifier, uint32 bit) = _useSignature(
            _revocationStructHash(request),
            request.nonce,
            request.deadline,
            signature
        );
        _provenLeaf(root, index, request.evidenceId, proof);
        if (!BatchVerdicts.revoke(_batchBits[root], root, index, _slotOfBit(bit))) {
            revert EvidenceNotAccepted(request.evidenceId, verifier);
        }
        emit AttestationRevoked(request.evidenceId, verifier, request.reasonHash, request.nonce);
    }

    /// @inheritdoc IEvidenceRegistry
    function attest(AttestationRequest[] calldata requests, bytes[] calldata signatures) external {
        if (requests.length != signatures.length || requests.length == 0) {
            revert EvidenceLengthMismatch(requests.length, signatures.length);
        }
        VerifierSet memory set = _set;
        for (uint256 i = 0; i < requests.length; ++i) {
            AttestationRequest calldata request = requests[i];
            (address verifier, uint32 bit) = _useSignature(
                keccak256(
                    abi.encode(
                        _ATTESTATION_TYPEHASH,
                        request.evidenceId,
                        request.verdict,
                        request.reasonHash,
                        request.nonce,
                        request.deadline
                    )
                ),
                request.nonce,
                request.deadline,
                signatures[i]
            );
            Evidence storage evidence = _anchored(request.evidenceId);
            if ((evidence.acceptedMask | evidence.rejectedMask) & bit != 0) {
                revert EvidenceAlreadyAttested(request.evidenceId, verifier);
            }
            bool wasVerified = _isVerified(evidence, set);
            if (request.verdict == Verdict.ACCEPT) {
                evidence.acceptedMask |= bit;
            } else if (request.verdict == Verdict.REJECT) {
                evidence.rejectedMask |= bit;
            } else {
                revert EvidenceInvalidVerdict(request.evidenceId);
            }
            emit EvidenceAttested(request.evidenceId, verifier, request.verdict, request.reasonHash, request.nonce);
            _emitTransition(request.evidenceId, wasVerified, _isVerified(evidence, set));
        }
    }

    /// @inheritdoc IEvidenceRegistry
    function revoke(RevocationRequest calldata request, bytes calldata signature) external {
        (address verifier, uint32 bit) = _useSignature(
            _revocationStructHash(request),
            request.nonce,
            request.deadline,
            signature
        );
        Evidence storage evidence = _anchored(request.evidenceId);
        if (evidence.acceptedMask & bit == 0) revert EvidenceNotAccepted(request.evidenceId, verifier);
        VerifierSet memory set = _set;
        bool wasVerified = _isVerified(evidence, set);
        evidence.acceptedMask &= ~bit;
        evidence.rejectedMask |= bit;
        emit AttestationRevoked(request.evidenceId, verifier, request.reasonHash, request.nonce);
        _emitTransition(request.evidenceId, wasVerified, false);
    }

    /// @inheritdoc IEvidenceRegistry
    function consume(bytes32 evidenceId) external {
        VerifierSet memory set = _set;
        if (msg.sender != set.consumer) revert EvidenceNotConsumer(msg.sender);
        Evidence storage evidence = _anchored(evidenceId);
        if (evidence.consumed) revert EvidenceAlreadyConsumed(evidenceId);
        if (!_isVerified(evidence, set)) revert EvidenceNotVerified(evidenceId);
        evidence.consumed = true;
        emit EvidenceConsumed(evidenceId, msg.sender);
    }

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
    function evidenceOf(bytes32 evidenceId) external view returns (Evidence memory) {
        return _evidence[evidenceId];
    }

    /// @inheritdoc IEvidenceRegistry
    function batchOf(bytes32 root) external view returns (uint40 anchoredAt, uint32 size) {
        uint256 batch = _batches[root];
        return (uint40(batch >> 32), uint32(batch));
    }

    /// @inheritdoc IEvidenceRegistry
    function batchVerdictsOf(
        bytes32 root,
        address verifier,
        uint256 word
    ) external view returns (uint256 accepted, uint256 rejected, uint256 registered) {
        uint8 slotPlusOne = _slotOf[verifier];
        (accepted, rejected, registered) = BatchVerdicts.wordOf(
            _batchBits[root],
            word,
            slotPlusOne == 0 ? 0 : slotPlusOne - 1
        );
        if (slotPlusOne == 0) (accepted, rejected) = (0, 0);
    }

    /// @inheritdoc IEvidenceRegistry
    function batchAttestationDigest(BatchAttestation calldata attestation) external view returns (bytes32) {
        return _hashTypedDataV4(_batchStructHash(attestation));
    }

    /// @inheritdoc IEvidenceRegistry
    function isVerified(bytes32 evidenceId) external view returns (bool) {
        return _isVerified(_evidence[evidenceId], _set);
    }

    /// @inheritdoc IEvidenceRegistry
    function verdictOf(bytes32 evidenceId, address verifier) external view returns (Verdict) {
        uint8 slotPlusOne = _slotOf[verifier];
        if (slotPlusOne == 0) return Verdict.NONE;
        uint32 bit = uint32(1) << (slotPlusOne - 1);
        Evidence storage evidence = _evidence[evidenceId];
        if (evidence.rejectedMask & bit != 0) return Verdict.REJECT;
        if (evidence.acceptedMask & bit != 0) return Verdict.ACCEPT;
        return Verdict.NONE;
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
    function evidenceIdOf(
        uint64 facilityId,
        Kind kind,
        address counterparty,
        bytes32 saltedHash
    ) external pure returns (bytes32) {
        return EvidenceLeaf.hash(facilityId, uint8(kind), counterparty, saltedHash);
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

    function _revocationStructHash(RevocationRequest calldata request) private pure returns (bytes32) {
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

    function _batchStructHash(BatchAttestation calldata attestation) private pure returns (bytes32) {
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

    /// @dev The anchored batch `root` (packed) after checking that `proof` puts `leaf` at position `index` in it.
    function _provenLeaf(
        bytes32 root,
        uint256 index,
        bytes32 leaf,
        bytes32[] calldata proof
    ) private view returns (uint256 batch) {
        batch = _batches[root];
        if (batch == 0) revert EvidenceBatchNotAnchored(root);
        if (!BatchTree.verify(proof, root, leaf, index, uint32(batch))) revert EvidenceInvalidProof(root, leaf);
    }

    /// @dev Records batch leaf `index`, proven by `proof`, as evidence with the current verifiers' batch verdicts on it.
    function _registerLeaf(
        bytes32 root,
        uint256 index,
        bytes32 evidenceId,
        uint64 facilityId,
        Kind kind,
        bytes32[] calldata proof
    ) private {
        uint40 anchoredAt = uint40(_provenLeaf(root, index, evidenceId, proof) >> 32);
        VerifierSet memory set = _set;
        (bool fresh, uint32 accepted, uint32 rejected) = BatchVerdicts.register(
            _batchBits[root],
            index,
            set.activeMask,
            set.nextSlot
        );
        if (!fresh) revert EvidenceAlreadyAnchored(evidenceId);
        _record(evidenceId, facilityId, kind, anchoredAt);
        Evidence storage evidence = _evidence[evidenceId];
        evidence.acceptedMask = accepted;
        evidence.rejectedMask = rejected;
    }

    function _slotOfBit(uint32 bit) private pure returns (uint256 slot) {
        while (bit > 1) {
            bit >>= 1;
            ++slot;
        }
    }

    function _record(bytes32 evidenceId, uint64 facilityId, Kind kind, uint40 anchoredAt) private {
        Evidence storage evidence = _evidence[evidenceId];
        if (evidence.anchoredAt != 0) revert EvidenceAlreadyAnchored(evidenceId);
        evidence.facilityId = facilityId;
        evidence.kind = kind;
        evidence.anchoredAt = anchoredAt;
    }

    /// @dev Checks the deadline, recovers the signer, requires it to be a verifier and spends its nonce.
    function _useSignature(
        bytes32 structHash,
        uint256 nonce,
        uint64 deadline,
        bytes calldata signature
    ) private returns (address verifier, uint32 bit) {
        if (block.timestamp > deadline) revert EvidenceSignatureExpired(deadline);
        verifier = ECDSA.recover(_hashTypedDataV4(structHash), signature);
        uint8 slotPlusOne = _slotOf[verifier];
        if (slotPlusOne == 0) revert EvidenceNotVerifier(verifier);
        _useCheckedNonce(verifier, nonce);
        bit = uint32(1) << (slotPlusOne - 1);
    }

    function _anchored(bytes32 evidenceId) private view returns (Evidence storage evidence) {
        evidence = _evidence[evidenceId];
        if (evidence.anchoredAt == 0) revert EvidenceNotAnchored(evidenceId);
    }

    function _isVerified(Evidence storage evidence, VerifierSet memory set) private view returns (bool) {
        uint32 accepted = evidence.acceptedMask & set.activeMask;
        return
            evidence.rejectedMask & set.activeMask == 0 && accepted != 0 && BitMath.popCount(accepted) >= set.threshold;
    }

    function _emitTransition(bytes32 evidenceId, bool wasVerified, bool nowVerified) private {
        if (!wasVerified && nowVerified) emit EvidenceVerified(evidenceId);
        else if (wasVerified && !nowVerified) emit EvidenceUnverified(evidenceId);
    }

    function _addVerifier(address verifier) private {
        if (verifier == address(0) || _slotOf[verifier] != 0) revert EvidenceInvalidVerifier(verifier);
        uint8 slot = _set.nextSlot;
        if (slot == _MAX_SLOTS) revert EvidenceVerifierSlotsExhausted();
        _slotOf[verifier] = slot + 1;
        _verifierAt[slot] = verifier;
        _set.activeMask |= uint32(1) << slot;
        _set.nextSlot = slot + 1;
        emit VerifierAdded(verifier, slot);
    }

    function _setThreshold(uint8 newThreshold) private {
        uint256 count = BitMath.popCount(_set.activeMask);
        if (newThreshold == 0 || newThreshold > count) revert EvidenceInvalidThreshold(newThreshold, count);
        emit ThresholdChanged(_set.threshold, newThreshold);
        _set.threshold = newThreshold;
    }
}
