// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IFacilityManager} from "./interfaces/IFacilityManager.sol";
import {FacilityRoles} from "./FacilityRoles.sol";
import {InterestMath} from "./libraries/InterestMath.sol";

/// @title FacilityLedger
/// @notice The facilities' records and their interest ledger: rate segments, interest and subsidy accrued per second,
/// and what the borrower and the fiscal account owe at any moment.
/// @dev Split from {FacilityManager}, which is the only contract built on it: one concept per file.
abstract contract FacilityLedger is FacilityRoles {
    using SafeCast for uint256;

    /// @dev Field order is storage layout. Slot 0 is read by every action; slot 1 holds everything a payment or a
    /// repayment changes (principal, balance, the open segment's start, accumulated interest), so a payment writes one
    /// slot of facility state. Principal and balance are 56-bit (7.2e16 fen = 7.2e14 CNY), cast with SafeCast where
    /// unbounded. Interest and subsidy are kept unrounded, as numerators over InterestMath.DENOMINATOR: booked fen are
    /// the accumulated numerator rounded down once, so no sequence of short segments loses fractions of a fen.
    struct Facility {
        address borrower;
        Status status;
        uint16 rateBps;
        uint16 subsidyBps;
        uint16 qualityFloorBps;
        bool subsidyEligible;
        uint16 freezeCount;
        uint16 reviewNonce;
        uint56 principal;
        uint56 balance;
        uint40 lastAccrual;
        uint104 interestNumerator;
        uint128 subsidyNumerator;
        uint128 subsidyPaid;
        uint128 interestRepaid;
        uint128 principalRepaid;
        uint128 funded;
        uint128 withdrawn;
        uint64 creditLimit;
        uint64 planTotal;
        uint64 qualityTotal;
        uint16 baseRateBps;
        uint16 paymentCount;
    }

    /// @dev Read through {_existing} and {_open}; only {FacilityManager-createFacility} writes a new record directly.
    mapping(uint64 facilityId => Facility) internal _facilities;

    /// @inheritdoc IFacilityManager
    function facility(uint64 facilityId) external view returns (FacilityState memory state) {
        Facility storage f = _existing(facilityId);
        (uint256 interestAccrued, uint256 subsidyAccrued) = _accruedFen(f);
        state = FacilityState({
            borrower: f.borrower,
            status: f.status,
            baseRateBps: f.baseRateBps,
            rateBps: f.rateBps,
            subsidyBps: f.subsidyBps,
            qualityFloorBps: f.qualityFloorBps,
            subsidyEligible: f.subsidyEligible,
            freezeCount: f.freezeCount,
            reviewNonce: f.reviewNonce,
            paymentCount: f.paymentCount,
            creditLimit: f.creditLimit,
            planTotal: f.planTotal,
            qualityTotal: f.qualityTotal,
            drawn: uint256(f.principal) + f.principalRepaid,
            principal: f.principal,
            balance: f.balance,
            funded: f.funded,
            withdrawn: f.withdrawn,
            interestAccrued: interestAccrued,
            subsidyAccrued: subsidyAccrued,
            interestRepaid: f.interestRepaid,
            subsidyPaid: f.subsidyPaid,
            principalRepaid: f.principalRepaid,
            lastAccrual: f.lastAccrual
        });
    }

    /// @inheritdoc IFacilityManager
    function outstanding(uint64 facilityId) external view returns (uint256 principal, uint256 interestDue) {
        Facility storage f = _existing(facilityId);
        return (f.principal, _interestDue(f));
    }

    /// @inheritdoc IFacilityManager
    function subsidyDue(uint64 facilityId) external view returns (uint256) {
        return _subsidyDue(_existing(facilityId));
    }

    /// @dev Closes the open rate segment: adds its interest and subsidy numerators and starts a new segment now.
    /// The event reports the whole fen the segment added to the rounded-down totals.
    function _accrue(uint64 facilityId, Facility storage f) internal {
        uint40 from = f.lastAccrual;
        if (from == block.timestamp) return;
        uint256 principal = f.principal;
        f.lastAccrual = uint40(block.timestamp);
        if (principal == 0) return;
        uint256 elapsed = block.timestamp - from;
        uint16 rateBps = f.rateBps;
        uint256 interestBefore = f.interestNumerator;
        uint256 interestAfter = interestBefore + InterestMath.numerator(principal, rateBps, elapsed);
        f.interestNumerator = interestAfter.toUint104();
        uint256 interest = InterestMath.toFen(interestAfter) - InterestMath.toFen(interestBefore);
        uint256 subsidy;
        // Subsidy state lives in another slot: touch it only in subsidy-eligible periods.
        if (f.subsidyEligible) {
            uint256 subsidyBefore = f.subsidyNumerator;
            uint256 subsidyAfter =
                subsidyBefore + InterestMath.numerator(principal, _subsidyRate(f.subsidyBps, rateBps), elapsed);
            f.subsidyNumerator = uint128(subsidyAfter); // ≤ interestAfter, a uint104
            subsidy = InterestMath.toFen(subsidyAfter) - InterestMath.toFen(subsidyBefore);
        }
        emit InterestAccrued(facilityId, from, uint40(block.timestamp), principal, f.rateBps, interest, subsidy);
    }

    /// @dev The accumulated interest and subsidy numerators including the open segment from `from` to now. Subsidy uses
    /// the lower of the subsidy rate and the loan rate, so it never exceeds the interest.
    function _numerators(
        Facility storage f,
        uint256 from
    ) internal view returns (uint256 interestNumerator, uint256 subsidyNumerator) {
        interestNumerator = f.interestNumerator;
        subsidyNumerator = f.subsidyNumerator;
        uint256 principal = f.principal;
        if (principal == 0) return (interestNumerator, subsidyNumerator);
        uint256 elapsed = block.timestamp - from;
        uint16 rateBps = f.rateBps;
        interestNumerator += InterestMath.numerator(principal, rateBps, elapsed);
        if (f.subsidyEligible) {
            subsidyNumerator += InterestMath.numerator(principal, _subsidyRate(f.subsidyBps, rateBps), elapsed);
        }
    }

    /// @dev The subsidy is paid at the subsidy rate, but never above the loan rate itself.
    function _subsidyRate(uint16 subsidyBps, uint16 rateBps) internal pure returns (uint16) {
        return subsidyBps < rateBps ? subsidyBps : rateBps;
    }

    /// @dev Interest and subsidy accrued to now, in whole fen.
    function _accruedFen(Facility storage f) internal view returns (uint256 interest, uint256 subsidy) {
        (uint256 interestNumerator, uint256 subsidyNumerator) = _numerators(f, f.lastAccrual);
        return (InterestMath.toFen(interestNumerator), InterestMath.toFen(subsidyNumerator));
    }

    /// @dev Interest the borrower owes now: its share of the exact interest (interest less subsidy, both unrounded),
    /// rounded down once, less its repayments. That share only grows (the subsidy rate never exceeds the loan rate), so
    /// what is due never goes negative; and with the subsidy rounded down on its own, borrower and fiscal account
    /// together are never charged more than the interest itself.
    function _interestDue(Facility storage f) internal view returns (uint256) {
        (uint256 interestNumerator, uint256 subsidyNumerator) = _numerators(f, f.lastAccrual);
        return InterestMath.toFen(interestNumerator - subsidyNumerator) - f.interestRepaid;
    }

    function _subsidyDue(Facility storage f) internal view returns (uint256) {
        (, uint256 subsidy) = _accruedFen(f);
        return subsidy - f.subsidyPaid;
    }

    function _existing(uint64 facilityId) internal view returns (Facility storage f) {
        f = _facilities[facilityId];
        if (f.status == Status.NONE) revert FacilityNotFound(facilityId);
    }

    /// @dev An existing facility that is not closed (it may be frozen).
    function _open(uint64 facilityId) internal view returns (Facility storage f) {
        f = _existing(facilityId);
        if (f.status == Status.CLOSED) revert FacilityIsClosed(facilityId);
    }
}
