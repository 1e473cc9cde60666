// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IEvidenceRegistry} from "./interfaces/IEvidenceRegistry.sol";
import {EvidenceBatches} from "./EvidenceBatches.sol";
import {BatchVerdicts} from "./libraries/BatchVerdicts.sol";
import {EvidenceLeaf} from "./libraries/EvidenceLeaf.sol";

/// @title EvidenceRegistry
/// @notice Anchors quality evidence and records the verifier nodes' attestations; see {IEvidenceRegistry}.
/// @dev All of an evidence's state lives in one storage slot. Its parts, one concept per file, each built on the one
/// before: {EvidenceRoles} (the anchorer, the verifier set and its signed requests), {EvidenceBatches} (batch roots and
/// the verdicts on their leaves); this contract adds the evidence records: anchoring one, registering a batch leaf,
/// single attestations and revocations, consumption, and the views.
contract EvidenceRegistry is EvidenceBatches {
    mapping(bytes32 evidenceId => Evidence) private _evidence;

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
    function evidenceOf(bytes32 evidenceId) external view returns (Evidence memory) {
        return _evidence[evidenceId];
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
    function evidenceIdOf(
        uint64 facilityId,
        Kind kind,
        address counterparty,
        bytes32 saltedHash
    ) external pure returns (bytes32) {
        return EvidenceLeaf.hash(facilityId, uint8(kind), counterparty, saltedHash);
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

    function _record(bytes32 evidenceId, uint64 facilityId, Kind kind, uint40 anchoredAt) private {
        Evidence storage evidence = _evidence[evidenceId];
        if (evidence.anchoredAt != 0) revert EvidenceAlreadyAnchored(evidenceId);
        evidence.facilityId = facilityId;
        evidence.kind = kind;
        evidence.anchoredAt = anchoredAt;
    }

    function _anchored(bytes32 evidenceId) private view returns (Evidence storage evidence) {
        evidence = _evidence[evidenceId];
        if (evidence.anchoredAt == 0) revert EvidenceNotAnchored(evidenceId);
    }

    function _emitTransition(bytes32 evidenceId, bool wasVerified, bool nowVerified) private {
        if (!wasVerified && nowVerified) emit EvidenceVerified(evidenceId);
        else if (wasVerified && !nowVerified) emit EvidenceUnverified(evidenceId);
    }
}
