// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEvidenceRegistryErrors} from "./IEvidenceRegistryErrors.sol";

/// @title Registry of quality-evidence hashes and of the verifiers' attestations over them
/// @notice Evidence (a purchase contract, an inspection report, a patent filing…) is anchored by its salted hash, alone or
/// as a leaf of a Merkle batch. Independent verifier nodes (the bank's and the market regulator's) attest to it with
/// EIP-712 signatures that anyone may relay. Evidence is *verified* when at least `threshold` current verifiers have
/// accepted it and no current verifier has rejected it; revoking an acceptance turns it into a rejection.
///
/// An evidence id is the StandardMerkleTree leaf of `[facilityId, kind, counterparty, saltedHash]` (see {EvidenceLeaf}).
/// The counterparty is the party the document is with: the payee for a purchase contract, invoice, delivery note or
/// test/certification report; the facility's borrower for an inspection report, patent filing or spot-check report.
/// It is not stored (the evidence record keeps one storage slot): a payment recomputes the id with its own payee or
/// borrower, so evidence that names another party is not found under that id ({EvidenceNotAnchored}).
/// @dev The errors are in {IEvidenceRegistryErrors}, which this interface inherits; the types and the events (which use
/// the types) are here, so their ABI names stay `IEvidenceRegistry.<Type>`.
interface IEvidenceRegistry is IEvidenceRegistryErrors {
    /// @notice The kinds of evidence. The numeric value is the bit used in a payment's required-kinds mask.
    enum Kind {
        PURCHASE_CONTRACT,
        INVOICE,
        DELIVERY_NOTE,
        INSPECTION_REPORT,
        CERTIFICATION,
        PATENT_FILING,
        SPOT_CHECK_REPORT
    }

    /// @notice A verifier's verdict on a piece of evidence.
    enum Verdict {
        NONE,
        ACCEPT,
        REJECT
    }

    /// @notice An anchored piece of evidence; all of it fits one storage slot.
    /// @param facilityId the facility the evidence belongs to
    /// @param kind what the document is
    /// @param anchoredAt block timestamp of the anchor (of the batch, for batched evidence); zero when unknown
    /// @param acceptedMask bit i set when the verifier in slot i accepted
    /// @param rejectedMask bit i set when the verifier in slot i rejected or revoked its acceptance
    /// @param consumed whether the evidence already released an entrusted payment
    struct Evidence {
        uint64 facilityId;
        Kind kind;
        uint40 anchoredAt;
        uint32 acceptedMask;
        uint32 rejectedMask;
        bool consumed;
    }

    /// @notice A verifier's signed verdict. Signed as EIP-712 `Attestation(bytes32 evidenceId,uint8 verdict,bytes32 reasonHash,uint256 nonce,uint64 deadline)`.
    struct AttestationRequest {
        bytes32 evidenceId;
        Verdict verdict;
        bytes32 reasonHash;
        uint256 nonce;
        uint64 deadline;
    }

    /// @notice A verifier's signed withdrawal of its acceptance. Signed as EIP-712 `Revocation(bytes32 evidenceId,bytes32 reasonHash,uint256 nonce,uint64 deadline)`.
    struct RevocationRequest {
        bytes32 evidenceId;
        bytes32 reasonHash;
        uint256 nonce;
        uint64 deadline;
    }

    /// @notice One verifier's verdicts on many leaves of one anchored batch, by position. Signed as EIP-712
    /// `BatchAttestation(bytes32 root,uint256[] accepted,uint256[] rejected,uint256 nonce,uint64 deadline)`.
    /// Bit b of word w stands for leaf 256·w + b; a leaf in neither bitmap is left undecided (decided later).
    struct BatchAttestation {
        bytes32 root;
        uint256[] accepted;
        uint256[] rejected;
        uint256 nonce;
        uint64 deadline;
    }

    /// @notice Emitted when evidence is anchored on its own (`batchRoot` zero) or proven to be in an anchored batch.
    /// `counterparty` is the payee or borrower the document names, as committed to by the evidence id.
    event EvidenceAnchored(
        bytes32 indexed evidenceId,
        uint64 indexed facilityId,
        Kind kind,
        address counterparty,
        bytes32 saltedHash,
        bytes32 batchRoot
    );

    /// @notice Emitted when a Merkle root of `size` evidence leaves is anchored.
    event BatchAnchored(bytes32 indexed root, uint32 size);

    /// @notice Emitted for each batch attestation: the verifier's verdicts on the batch's leaves by position (bit b of
    /// word w is leaf 256·w + b), with how many of each.
    event BatchAttested(
        bytes32 indexed root,
        address indexed verifier,
        uint256 nonce,
        uint256 acceptedCount,
        uint256 rejectedCount,
        uint256[] accepted,
        uint256[] rejected
    );

    /// @notice Emitted for every verdict recorded.
    event EvidenceAttested(
        bytes32 indexed evidenceId,
        address indexed verifier,
        Verdict verdict,
        bytes32 reasonHash,
        uint256 nonce
    );

    /// @notice Emitted when a verifier revokes its acceptance; the revocation counts as a rejection from then on.
    event AttestationRevoked(bytes32 indexed evidenceId, address indexed verifier, bytes32 reasonHash, uint256 nonce);

    /// @notice Emitted when evidence becomes verified by an attestation.
    event EvidenceVerified(bytes32 indexed evidenceId);

    /// @notice Emitted when verified evidence stops being verified because of a rejection or revocation.
    event EvidenceUnverified(bytes32 indexed evidenceId);

    /// @notice Emitted when verified evidence releases a payment and cannot release another.
    event EvidenceConsumed(bytes32 indexed evidenceId, address indexed consumer);

    /// @notice Emitted when the admin names the contract allowed to consume evidence (the FacilityManager).
    event ConsumerChanged(address indexed previousConsumer, address indexed newConsumer);

    /// @notice Emitted when a verifier joins the set, in storage slot `slot` of its attestation masks.
    event VerifierAdded(address indexed verifier, uint8 slot);

    /// @notice Emitted when a verifier leaves the set; its verdicts stop counting.
    event VerifierRemoved(address indexed verifier);

    /// @notice Emitted when the quorum threshold changes.
    event ThresholdChanged(uint8 previousThreshold, uint8 newThreshold);

    /// @notice Anchors one piece of evidence in its own transaction.
    ///
    /// Requirements:
    /// - the caller has ANCHORER_ROLE;
    /// - the evidence is not anchored yet.
    ///
    /// Emits an {EvidenceAnchored} event with a zero batch root.
    function anchor(
        uint64 facilityId,
        Kind kind,
        address counterparty,
        bytes32 saltedHash
    ) external returns (bytes32 evidenceId);

    /// @notice Anchors the root of a position-bound batch tree ({BatchTree}) of `size` evidence ids.
    ///
    /// Requirements:
    /// - the caller has ANCHORER_ROLE;
    /// - `root` is not zero and not anchored yet; 0 < `size` ≤ MAX_BATCH_SIZE.
    ///
    /// Emits a {BatchAnchored} event.
    function anchorBatch(bytes32 root, uint32 size) external;

    /// @notice Records leaf `index` of an anchored batch as evidence, so that it can be consumed, copying every current
    /// verifier's batch verdict on that position into the evidence's masks. Anyone may call it: the proof is the
    /// authority. From then on the leaf's verdicts go through {attest} and {revoke}.
    ///
    /// Requirements:
    /// - `root` is anchored and `proof` leads from the leaf at position `index` to it;
    /// - neither the position nor the evidence is recorded yet.
    ///
    /// Emits an {EvidenceAnchored} event carrying the batch root, and {EvidenceVerified} when the copied verdicts
    /// verify it.
    function registerBatchedEvidence(
        bytes32 root,
        uint256 index,
        uint64 facilityId,
        Kind kind,
        address counterparty,
        bytes32 saltedHash,
        bytes32[] calldata proof
    ) external returns (bytes32 evidenceId);

    /// @notice Records verifiers' signed verdicts; anyone may relay them, several in one transaction.
    ///
    /// Requirements:
    /// - as many signatures as requests, at least one;
    /// - each deadline not passed; each signature recovers to a current verifier whose next nonce is the request's;
    /// - each evidence anchored and not yet attested by that verifier; verdict ACCEPT or REJECT.
    ///
    /// Emits an {EvidenceAttested} event per request, and {EvidenceVerified} or {EvidenceUnverified} when the state flips.
    function attest(AttestationRequest[] calldata requests, bytes[] calldata signatures) external;

    /// @notice Records one verifier's verdicts on many leaves of a batch by position; anyone may relay it.
    ///
    /// Requirements:
    /// - the deadline not passed; the signature recovers to a current verifier whose next nonce is the request's;
    /// - the batch is anchored; at most ceil(size / 256) words, no bit at or past `size`, at least one bit;
    /// - no leaf both accepted and rejected; none already decided by this verifier in the batch; none registered.
    ///
    /// Emits one {BatchAttested} event.
    function attestBatch(BatchAttestation calldata attestation, bytes calldata signature) external;

    /// @notice Withdraws a verifier's batch acceptance of a leaf not yet registered (the signed {RevocationRequest}
    /// names its evidence id; `index` and `proof` show where it sits in batch `root`): from then on it counts as a
    /// rejection, also once the leaf is registered.
    ///
    /// Requirements:
    /// - as {revoke}'s signature requirements; the proof leads from the evidence id at `index` to the anchored `root`;
    /// - the leaf is not registered; the verifier accepted it in the batch.
    ///
    /// Emits an {AttestationRevoked} event.
    function revokeBatched(
        RevocationRequest calldata request,
        bytes calldata signature,
        bytes32 root,
        uint256 index,
        bytes32[] calldata proof
    ) external;

    /// @notice Withdraws a verifier's acceptance with a reason; from then on it counts as a rejection.
    ///
    /// Requirements:
    /// - the deadline not passed; the signature recovers to a current verifier whose next nonce is the request's;
    /// - that verifier accepted the evidence.
    ///
    /// Emits an {AttestationRevoked} event, and {EvidenceUnverified} when the evidence was verified.
    function revoke(RevocationRequest calldata request, bytes calldata signature) external;

    /// @notice Marks verified evidence as used by a payment. The consumer recomputes the id from the facility, kind and
    /// counterparty it expects, so nothing needs to be returned.
    ///
    /// Requirements:
    /// - the caller is the consumer (the FacilityManager);
    /// - the evidence is verified and not consumed.
    ///
    /// Emits an {EvidenceConsumed} event.
    function consume(bytes32 evidenceId) external;

    /// @notice Names the one contract allowed to consume evidence (the FacilityManager); zero disables consumption.
    /// It lives in the same storage slot as the verifier set, which a payment reads anyway, saving a role lookup.
    ///
    /// Requirements:
    /// - the caller has DEFAULT_ADMIN_ROLE.
    ///
    /// Emits a {ConsumerChanged} event.
    function setConsumer(address newConsumer) external;

    /// @notice Adds a verifier in the next unused slot.
    ///
    /// Requirements:
    /// - the caller has DEFAULT_ADMIN_ROLE; `verifier` is not zero and not a verifier; a slot is left.
    ///
    /// Emits a {VerifierAdded} event.
    function addVerifier(address verifier) external;

    /// @notice Removes a verifier; its slot is retired so its verdicts never count again.
    ///
    /// Requirements:
    /// - the caller has DEFAULT_ADMIN_ROLE; `verifier` is a verifier; the threshold stays reachable.
    ///
    /// Emits a {VerifierRemoved} event.
    function removeVerifier(address verifier) external;

    /// @notice Sets how many acceptances make evidence verified.
    ///
    /// Requirements:
    /// - the caller has DEFAULT_ADMIN_ROLE; 1 ≤ `threshold` ≤ number of verifiers.
    ///
    /// Emits a {ThresholdChanged} event.
    function setThreshold(uint8 threshold) external;

    /// @notice The evidence record; `anchoredAt` is zero when it is unknown.
    function evidenceOf(bytes32 evidenceId) external view returns (Evidence memory);

    /// @notice When a batch root was anchored (zero if never) and how many leaves it holds.
    function batchOf(bytes32 root) external view returns (uint40 anchoredAt, uint32 size);

    /// @notice A verifier's batch verdicts on leaves 256·word … 256·word + 255 of batch `root`, and which of them are
    /// registered as evidence (whose verdicts live in the evidence record from then on).
    function batchVerdictsOf(
        bytes32 root,
        address verifier,
        uint256 word
    ) external view returns (uint256 accepted, uint256 rejected, uint256 registered);

    /// @notice The EIP-712 digest a verifier signs for a batch attestation.
    function batchAttestationDigest(BatchAttestation calldata attestation) external view returns (bytes32);

    /// @notice Whether the evidence is verified under the current verifier set and threshold.
    function isVerified(bytes32 evidenceId) external view returns (bool);

    /// @notice The verdict a current verifier gave on the evidence (a revoked acceptance reads REJECT).
    function verdictOf(bytes32 evidenceId, address verifier) external view returns (Verdict);

    /// @notice Whether `account` is a current verifier.
    function isVerifier(address account) external view returns (bool);

    /// @notice The current verifiers.
    function verifiers() external view returns (address[] memory);

    /// @notice The quorum threshold.
    function threshold() external view returns (uint8);

    /// @notice The contract allowed to consume evidence.
    function consumer() external view returns (address);

    /// @notice The evidence id of `[facilityId, kind, counterparty, saltedHash]`.
    function evidenceIdOf(
        uint64 facilityId,
        Kind kind,
        address counterparty,
        bytes32 saltedHash
    ) external pure returns (bytes32);

    /// @notice The EIP-712 digest a verifier signs for `request`.
    function attestationDigest(AttestationRequest calldata request) external view returns (bytes32);

    /// @notice The EIP-712 digest a verifier signs for `request`.
    function revocationDigest(RevocationRequest calldata request) external view returns (bytes32);
}
