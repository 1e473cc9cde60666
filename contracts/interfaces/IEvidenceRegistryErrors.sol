// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Custom errors of {IEvidenceRegistry}
/// @notice Named `Evidence<Problem>(offending values)`. The {BatchVerdicts} library reverts with them too.
interface IEvidenceRegistryErrors {
    /// @notice Thrown when anchoring evidence that is already anchored.
    error EvidenceAlreadyAnchored(bytes32 evidenceId);

    /// @notice Thrown when an attestation, revocation or consumption names evidence that was never anchored. A payment
    /// offering evidence that names another counterparty (or another facility or kind) gets this error, since the id it
    /// recomputes was never anchored.
    error EvidenceNotAnchored(bytes32 evidenceId);

    /// @notice Thrown when a batch root is zero, its size is zero, or it was already anchored.
    error EvidenceInvalidBatch(bytes32 root, uint32 size);

    /// @notice Thrown when a batch attestation has more words than the batch, sets a bit past its last leaf, or sets
    /// no bit at all.
    error EvidenceBatchBitsOutOfRange(bytes32 root, uint256 word);

    /// @notice Thrown when a batch attestation both accepts and rejects a leaf.
    error EvidenceOverlappingVerdicts(bytes32 root, uint256 word);

    /// @notice Thrown when a batch attestation decides a leaf its verifier already decided in that batch.
    error EvidenceBatchAlreadyAttested(bytes32 root, uint256 word, address verifier);

    /// @notice Thrown when a batch verdict or batch revocation names a leaf already registered as evidence: from then on
    /// its verdicts go through {attest} and {revoke}.
    error EvidenceLeafRegistered(bytes32 root, uint256 index);

    /// @notice Thrown when registering batched evidence against a root that was never anchored.
    error EvidenceBatchNotAnchored(bytes32 root);

    /// @notice Thrown when a Merkle proof does not lead from `evidenceId` to `root`.
    error EvidenceInvalidProof(bytes32 root, bytes32 evidenceId);

    /// @notice Thrown when a signed request's deadline has passed.
    error EvidenceSignatureExpired(uint64 deadline);

    /// @notice Thrown when a signature does not recover to a current verifier (wrong key, wrong chain, wrong contract, tampered request).
    error EvidenceNotVerifier(address signer);

    /// @notice Thrown when a verifier gives a second verdict on the same evidence.
    error EvidenceAlreadyAttested(bytes32 evidenceId, address verifier);

    /// @notice Thrown when an attestation's verdict is NONE.
    error EvidenceInvalidVerdict(bytes32 evidenceId);

    /// @notice Thrown when a verifier revokes an acceptance it never gave (or already revoked).
    error EvidenceNotAccepted(bytes32 evidenceId, address verifier);

    /// @notice Thrown when the number of requests and signatures differ, or no request is given.
    error EvidenceLengthMismatch(uint256 requests, uint256 signatures);

    /// @notice Thrown when an account other than the consumer tries to consume evidence.
    error EvidenceNotConsumer(address caller);

    /// @notice Thrown when consuming evidence that is not verified.
    error EvidenceNotVerified(bytes32 evidenceId);

    /// @notice Thrown when consuming evidence that already released a payment.
    error EvidenceAlreadyConsumed(bytes32 evidenceId);

    /// @notice Thrown when adding the zero address or an existing verifier.
    error EvidenceInvalidVerifier(address verifier);

    /// @notice Thrown when all 32 verifier slots have been used (slots are never reused, so old verdicts never revive).
    error EvidenceVerifierSlotsExhausted();

    /// @notice Thrown when the threshold would be zero or above the number of verifiers.
    error EvidenceInvalidThreshold(uint256 threshold, uint256 verifierCount);
}
