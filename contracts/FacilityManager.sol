// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IEvidenceRegistry} from "./interfaces/IEvidenceRegistry.sol";
import {IFacilityManager} from "./interfaces/IFacilityManager.sol";
import {IPayeeRegistry} from "./interfaces/IPayeeRegistry.sol";
import {FacilitySettlement} from "./FacilitySettlement.sol";
import {EvidenceLeaf} from "./libraries/EvidenceLeaf.sol";
import {ShareMath} from "./libraries/ShareMath.sol";

/// @title FacilityManager
/// @notice Holds every quality-loan facility and its money; see {IFacilityManager}.
/// @dev One contract for all facilities: one token vault, one event stream for the indexers, one deployment for the
/// bank and the regulator to review. Facilities are isolated by per-facility accounting: a facility can only spend its
/// own `balance`, and the contract's token balance always equals the sum of the facilities' balances.
///
/// Its parts, one concept per file, each built on the one before: {FacilityRoles} (roles and the jointly signed
/// decisions), {FacilityLedger} (the records and their interest), {FacilitySettlement} (repayments and subsidy, signed
/// orders); this contract adds creation, funding, entrusted payments, withdrawals, freezes, reviews and closing.
contract FacilityManager is FacilitySettlement {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice Quality-purpose floor used when the terms give 0: 30% of the plan (Ningbo practice).
    uint16 public constant DEFAULT_QUALITY_FLOOR_BPS = 3_000;

    /// @notice Longest payment plan, which bounds the gas of facility creation.
    uint256 public constant MAX_PLAN_LENGTH = 64;

    uint8 private constant _ALL_KINDS = 0x7f; // seven evidence kinds

    IPayeeRegistry private immutable _payees;
    IEvidenceRegistry private immutable _evidence;

    address private _treasury;
    uint64 private _facilityCount;
    mapping(uint64 facilityId => mapping(uint16 index => EntrustedPayment)) private _payments;

    constructor(
        address admin,
        IERC20 token,
        IPayeeRegistry payees,
        IEvidenceRegistry evidence
    ) EIP712("QFM FacilityManager", "1") FacilitySettlement(token) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _payees = payees;
        _evidence = evidence;
    }

    /// @notice The settlement token, the payee registry and the evidence registry this manager works with.
    function dependencies() external view returns (IERC20 token, IPayeeRegistry payees, IEvidenceRegistry evidence) {
        return (_token, _payees, _evidence);
    }

    /// @inheritdoc IFacilityManager
    function createFacility(
        FacilityTerms calldata terms,
        EntrustedPayment[] calldata plan
    ) external onlyRole(BANK_ROLE) returns (uint64 facilityId) {
        if (terms.borrower == address(0)) revert FacilityZeroAddress();
        if (terms.creditLimit == 0) revert FacilityZeroAmount();
        _requireBps(terms.baseRateBps);
        _requireBps(terms.subsidyBps);
        _requireBps(terms.qualityFloorBps);
        if (plan.length == 0 || plan.length > MAX_PLAN_LENGTH) {
            revert FacilityInvalidPlanLength(plan.length, MAX_PLAN_LENGTH);
        }
        uint16 floorBps = terms.qualityFloorBps == 0 ? DEFAULT_QUALITY_FLOOR_BPS : terms.qualityFloorBps;

        facilityId = ++_facilityCount;
        (uint256 planTotal, uint256 qualityTotal) = _storePlan(facilityId, terms.borrower, plan);
        if (planTotal > terms.creditLimit) revert FacilityPlanExceedsLimit(planTotal, terms.creditLimit);
        uint256 shareBps = ShareMath.shareBps(qualityTotal, planTotal);
        if (shareBps < floorBps) revert FacilityQualityShareBelowFloor(shareBps, floorBps);

        Facility storage f = _facilities[facilityId];
        f.borrower = terms.borrower;
        f.status = Status.ACTIVE;
        f.rateBps = terms.baseRateBps;
        f.baseRateBps = terms.baseRateBps;
        f.subsidyBps = terms.subsidyBps;
        f.qualityFloorBps = floorBps;
        f.lastAccrual = uint40(block.timestamp);
        f.paymentCount = uint16(plan.length); // at most MAX_PLAN_LENGTH
        f.creditLimit = terms.creditLimit;
        f.planTotal = uint64(planTotal); // ≤ creditLimit, a uint56
        f.qualityTotal = uint64(qualityTotal); // ≤ planTotal

        emit FacilityCreated(
            facilityId,
            terms.borrower,
            terms.creditLimit,
            terms.baseRateBps,
            floorBps,
            terms.subsidyBps,
            planTotal,
            shareBps
        );
    }

    /// @inheritdoc IFacilityManager
    function fund(uint64 facilityId, uint256 amount) external onlyRole(BANK_ROLE) nonReentrant {
        _fund(facilityId, amount);
    }

    /// @inheritdoc IFacilityManager
    function fundWithPermit(
        uint64 facilityId,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external onlyRole(BANK_ROLE) nonReentrant {
        // A permit someone copied from the mempool and used first has already set this allowance: then it is not
        // used again, and the transfer below spends the allowance it left.
        if (_token.allowance(msg.sender, address(this)) < amount) {
            IERC20Permit(address(_token)).permit(msg.sender, address(this), amount, deadline, v, r, s);
        }
        _fund(facilityId, amount);
    }

    /// @inheritdoc IFacilityManager
    function executePayment(
        uint64 facilityId,
        uint16 index,
        PaymentEvidence[] calldata evidence
    ) external onlyRole(BANK_ROLE) nonReentrant {
        Facility storage f = _existing(facilityId);
        if (f.status == Status.FROZEN) revert FacilityIsFrozen(facilityId);
        if (f.status == Status.CLOSED) revert FacilityIsClosed(facilityId);
        EntrustedPayment storage p = _payments[facilityId][index];
        if (p.payee == address(0)) revert FacilityPaymentNotFound(facilityId, index);
        if (p.paid) revert FacilityPaymentAlreadyPaid(facilityId, index);
        address payee = p.payee;
        IPayeeRegistry.Category registered = _payees.requireActive(payee);
        if (registered != p.category) revert FacilityPayeeCategoryMismatch(payee, p.category, registered);

        (bytes32[] memory evidenceIds, uint8 missing) = _consumeEvidence(
            facilityId,
            f.borrower,
            payee,
            p.requiredKinds,
            evidence
        );
        if (missing != 0) revert FacilityMissingEvidence(facilityId, index, missing);

        uint56 amount = p.amount;
        _accrue(facilityId, f);
        if (f.balance < amount) revert FacilityInsufficientFunds(facilityId, f.balance, amount);
        p.paid = true;
        f.principal += amount; // ≤ plan total ≤ credit limit, checked to fit 56 bits at creation
        // balance ≥ amount was just checked
        unchecked {
            f.balance -= amount;
        }
        _token.safeTransfer(payee, amount);
        emit PaymentExecuted(facilityId, index, payee, amount, evidenceIds);
    }

    /// @inheritdoc IFacilityManager
    function withdraw(uint64 facilityId, uint256 amount, address to) external onlyRole(BANK_ROLE) nonReentrant {
        Facility storage f = _existing(facilityId);
        if (f.status == Status.FROZEN) revert FacilityIsFrozen(facilityId);
        address treasury_ = _treasury;
        if (treasury_ == address(0)) revert FacilityTreasuryNotSet();
        if (to != treasury_) revert FacilityWithdrawalNotToTreasury(to, treasury_);
        if (amount == 0) revert FacilityZeroAmount();
        if (amount > f.balance) revert FacilityInsufficientFunds(facilityId, f.balance, amount);
        // amount ≤ balance, a uint56, was just checked
        unchecked {
            f.balance -= uint56(amount);
        }
        f.withdrawn += uint128(amount);
        _token.safeTransfer(to, amount);
        emit FundsWithdrawn(facilityId, to, amount);
    }

    /// @inheritdoc IFacilityManager
    function setTreasury(address newTreasury) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newTreasury == address(0)) revert FacilityZeroAddress();
        emit TreasuryChanged(_treasury, newTreasury);
        _treasury = newTreasury;
    }

    /// @inheritdoc IFacilityManager
    function freeze(uint64 facilityId, bytes32 reasonHash) external {
        if (!hasRole(REGULATOR_ROLE, msg.sender) && !hasRole(BANK_ROLE, msg.sender)) {
            revert FacilityUnauthorizedFreeze(msg.sender);
        }
        Facility storage f = _existing(facilityId);
        if (f.status == Status.FROZEN) revert FacilityIsFrozen(facilityId);
        if (f.status == Status.CLOSED) revert FacilityIsClosed(facilityId);
        f.status = Status.FROZEN;
        uint16 freezeCount = ++f.freezeCount;
        emit FacilityFrozen(facilityId, msg.sender, reasonHash, freezeCount);
    }

    /// @inheritdoc IFacilityManager
    function unfreeze(
        Unfreeze calldata decision,
        bytes calldata bankSignature,
        bytes calldata regulatorSignature
    ) external {
        Facility storage f = _existing(decision.facilityId);
        if (f.status != Status.FROZEN) revert FacilityNotFrozen(decision.facilityId);
        if (decision.freezeCount != f.freezeCount) {
            revert FacilityInvalidFreezeCount(decision.facilityId, f.freezeCount, decision.freezeCount);
        }
        (address bankSigner, address regulatorSigner) = _jointSigners(
            _unfreezeStructHash(decision),
            decision.deadline,
            bankSignature,
            regulatorSignature
        );
        f.status = Status.ACTIVE;
        emit FacilityUnfrozen(
            decision.facilityId,
            decision.freezeCount,
            decision.reasonHash,
            bankSigner,
            regulatorSigner
        );
    }

    /// @inheritdoc IFacilityManager
    function applyReview(
        Review calldata review,
        bytes calldata bankSignature,
        bytes calldata regulatorSignature
    ) external {
        Facility storage f = _open(review.facilityId);
        if (review.nonce != f.reviewNonce)
            revert FacilityInvalidReviewNonce(review.facilityId, f.reviewNonce, review.nonce);
        if (review.newRateBps > f.baseRateBps) revert FacilityRateAboveBase(review.newRateBps, f.baseRateBps);
        (address bankSigner, address regulatorSigner) = _jointSigners(
            _reviewStructHash(review),
            review.deadline,
            bankSignature,
            regulatorSignature
        );
        _accrue(review.facilityId, f);
        uint16 previousRateBps = f.rateBps;
        f.rateBps = review.newRateBps;
        f.subsidyEligible = review.subsidyEligible;
        f.reviewNonce = review.nonce + 1;
        emit ReviewApplied(
            review.facilityId,
            review.nonce,
            previousRateBps,
            review.newRateBps,
            review.subsidyEligible,
            review.reportHash,
            bankSigner,
            regulatorSigner
        );
    }

    /// @inheritdoc IFacilityManager
    function close(uint64 facilityId) external onlyRole(BANK_ROLE) {
        Facility storage f = _open(facilityId);
        if (f.status == Status.FROZEN) revert FacilityIsFrozen(facilityId);
        uint256 interestDue = _interestDue(f);
        if (f.principal != 0 || interestDue != 0) revert FacilityOutstandingDebt(facilityId, f.principal, interestDue);
        f.status = Status.CLOSED;
        emit FacilityClosed(facilityId);
    }

    /// @inheritdoc IFacilityManager
    function payment(uint64 facilityId, uint16 index) external view returns (EntrustedPayment memory) {
        Facility storage f = _existing(facilityId);
        if (index >= f.paymentCount) revert FacilityPaymentNotFound(facilityId, index);
        return _payments[facilityId][index];
    }

    /// @inheritdoc IFacilityManager
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IFacilityManager
    function facilityCount() external view returns (uint64) {
        return _facilityCount;
    }

    /// @dev Moves exactly `amount` from the caller into an open (possibly frozen) facility.
    function _fund(uint64 facilityId, uint256 amount) private {
        Facility storage f = _open(facilityId);
        if (amount == 0) revert FacilityZeroAmount();
        f.balance = (f.balance + amount).toUint56();
        f.funded += amount.toUint128();
        _token.safeTransferFrom(msg.sender, address(this), amount);
        emit FacilityFunded(facilityId, msg.sender, amount);
    }

    /// @dev Validates and stores the plan; returns its total and its quality-purpose total.
    function _storePlan(
        uint64 facilityId,
        address borrower,
        EntrustedPayment[] calldata plan
    ) private returns (uint256 planTotal, uint256 qualityTotal) {
        for (uint256 i = 0; i < plan.length; ++i) {
            EntrustedPayment calldata p = plan[i];
            uint16 index = uint16(i); // i < MAX_PLAN_LENGTH
            if (p.amount == 0) revert FacilityZeroAmount();
            if (p.payee == borrower) revert FacilityPayeeIsBorrower(p.payee);
            if (p.requiredKinds == 0 || p.requiredKinds & ~_ALL_KINDS != 0) {
                revert FacilityInvalidRequiredKinds(index, p.requiredKinds);
            }
            IPayeeRegistry.Category registered = _payees.requireActive(p.payee);
            if (registered != p.category) revert FacilityPayeeCategoryMismatch(p.payee, p.category, registered);
            _payments[facilityId][index] = EntrustedPayment({
                payee: p.payee,
                amount: p.amount,
                category: p.category,
                requiredKinds: p.requiredKinds,
                qualityPurpose: p.qualityPurpose,
                paid: false
            });
            planTotal += p.amount;
            if (p.qualityPurpose) qualityTotal += p.amount;
            emit PaymentPlanned(facilityId, index, p.payee, p.category, p.amount, p.qualityPurpose, p.requiredKinds);
        }
    }

    /// @dev Consumes the evidence offered for a payment whose payee is `payee`. Each id is recomputed with the payment's
    /// counterparty (`payee` for a payee kind, `borrower` for the others), so evidence that names another party,
    /// facility or kind is not found and the registry reverts with EvidenceNotAnchored. Returns the ids and the mask of
    /// required kinds not offered (the caller reverts with the payment's index when it is not zero).
    function _consumeEvidence(
        uint64 facilityId,
        address borrower,
        address payee,
        uint8 requiredKinds,
        PaymentEvidence[] calldata evidence
    ) private returns (bytes32[] memory evidenceIds, uint8 missing) {
        missing = requiredKinds;
        evidenceIds = new bytes32[](evidence.length);
        for (uint256 i = 0; i < evidence.length; ++i) {
            IEvidenceRegistry.Kind kind = evidence[i].kind;
            uint8 bit = uint8(1) << uint8(kind);
            address counterparty = EvidenceLeaf.PAYEE_KINDS & bit != 0 ? payee : borrower;
            bytes32 evidenceId = EvidenceLeaf.hash(facilityId, uint8(kind), counterparty, evidence[i].saltedHash);
            if (missing & bit == 0) revert FacilityEvidenceNotRequired(evidenceId, kind);
            missing &= ~bit;
            _evidence.consume(evidenceId);
            evidenceIds[i] = evidenceId;
        }
    }

    function _requireBps(uint256 bps) private pure {
        if (bps > 10_000) revert FacilityInvalidBps(bps);
    }
}
