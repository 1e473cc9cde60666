// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEvidenceRegistry} from "./interfaces/IEvidenceRegistry.sol";
import {EvidenceRoles} from "./EvidenceRoles.sol";
import {BatchTree} from "./libraries/BatchTree.sol";
import {BatchVerdicts} from "./libraries/BatchVerdicts.sol";

/// @title EvidenceBatches
/// @notice Evidence anchored by the batch: a root of up to MAX_BATCH_SIZE leaves ({BatchTree}) and the verifiers'
/// verdicts on its leaves by position ({BatchVerdicts}), until a leaf is registered as evidence of {EvidenceRegistry}.
/// @dev Split from EvidenceRegistry, which is the only contract built on it: one concept per file.
abstract contract EvidenceBatches is EvidenceRoles {
    /// @notice Most leaves in one batch: bounds a batch attestation's and a registration's work (docs/architecture.md).
    uint32 public constant MAX_BATCH_SIZE = 1_024;

    mapping(bytes32 root => uint256 packed) private _batches; // anchoredAt << 32 | size
    /// @dev Also read by {EvidenceRegistry-registerBatchedEvidence}, which copies a leaf's verdicts into its record.
    mapping(bytes32 root => BatchVerdicts.Bits) internal _batchBits;

    /// @inheritdoc IEvidenceRegistry
    function anchorBatch(bytes32 root, uint32 size) external onlyRole(ANCHORER_ROLE) {
        if (root == bytes32(0) || size == 0 || size > MAX_BATCH_SIZE || _batches[root] != 0) {
            revert EvidenceInvalidBatch(root, size);
        }
        _batches[root] = (block.timestamp << 32) | size;
        emit BatchAnchored(root, size);
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

    /// @dev The anchored batch `root` (packed) after checking that `proof` puts `leaf` at position `index` in it.
    function _provenLeaf(
        bytes32 root,
        uint256 index,
        bytes32 leaf,
        bytes32[] calldata proof
    ) internal view returns (uint256 batch) {
        batch = _batches[root];
        if (batch == 0) revert EvidenceBatchNotAnchored(root);
        if (!BatchTree.verify(proof, root, leaf, index, uint32(batch))) revert EvidenceInvalidProof(root, leaf);
    }
}
