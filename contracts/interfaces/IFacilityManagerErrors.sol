// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEvidenceRegistry} from "./IEvidenceRegistry.sol";
import {IPayeeRegistry} from "./IPayeeRegistry.sol";

/// @title Custom errors of {IFacilityManager}
/// @notice Named `Facility<Problem>(offending values)`; a revert bubbling up from the payee or evidence registry keeps
/// that registry's own error.
interface IFacilityManagerErrors {
    /// @notice Thrown when no facility has this id.
    error FacilityNotFound(uint64 facilityId);

    /// @notice Thrown when an action needs an active facility and it is frozen.
    error FacilityIsFrozen(uint64 facilityId);

    /// @notice Thrown when an action needs an open facility and it is closed.
    error FacilityIsClosed(uint64 facilityId);

    /// @notice Thrown when unfreezing a facility that is not frozen.
    error FacilityNotFrozen(uint64 facilityId);

    /// @notice Thrown when a borrower or recipient is the zero address.
    error FacilityZeroAddress();

    /// @notice Thrown when a limit or amount is zero.
    error FacilityZeroAmount();

    /// @notice Thrown when a rate or a share in basis points is above 10,000.
    error FacilityInvalidBps(uint256 bps);

    /// @notice Thrown when a plan is empty or longer than the maximum.
    error FacilityInvalidPlanLength(uint256 length, uint256 max);

    /// @notice Thrown when the plan's total is above the credit limit.
    error FacilityPlanExceedsLimit(uint256 planTotal, uint256 creditLimit);

    /// @notice Thrown when the plan's quality-purpose share is under the floor.
    error FacilityQualityShareBelowFloor(uint256 shareBps, uint256 floorBps);

    /// @notice Thrown when a planned payment pays the borrower.
    error FacilityPayeeIsBorrower(address payee);

    /// @notice Thrown when a payment's required evidence mask is empty or names an unknown kind.
    error FacilityInvalidRequiredKinds(uint16 index, uint8 requiredKinds);

    /// @notice Thrown when a payment's category is not the payee's registered category.
    error FacilityPayeeCategoryMismatch(
        address payee,
        IPayeeRegistry.Category planned,
        IPayeeRegistry.Category registered
    );

    /// @notice Thrown when a payment index is outside the plan.
    error FacilityPaymentNotFound(uint64 facilityId, uint16 index);

    /// @notice Thrown when a payment was already executed.
    error FacilityPaymentAlreadyPaid(uint64 facilityId, uint16 index);

    /// @notice Thrown when evidence offered for a payment is of a kind the payment does not require, or repeats a kind.
    error FacilityEvidenceNotRequired(bytes32 evidenceId, IEvidenceRegistry.Kind kind);

    /// @notice Thrown when verified evidence of some required kinds (`missingKinds`, a bit mask) was not offered.
    error FacilityMissingEvidence(uint64 facilityId, uint16 index, uint8 missingKinds);

    /// @notice Thrown when the facility's balance cannot cover a payment or withdrawal.
    error FacilityInsufficientFunds(uint64 facilityId, uint256 available, uint256 needed);

    /// @notice Thrown when a repayment is more than principal plus interest due.
    error FacilityRepaymentExceedsDebt(uint64 facilityId, uint256 amount, uint256 owed);

    /// @notice Thrown when a subsidy payment is more than the subsidy accrued and unpaid.
    error FacilitySubsidyExceedsDue(uint64 facilityId, uint256 amount, uint256 due);

    /// @notice Thrown when closing a facility that still owes principal or interest.
    error FacilityOutstandingDebt(uint64 facilityId, uint256 principal, uint256 interestDue);

    /// @notice Thrown when a payer's order is not signed by the payer it names (the facility's borrower for a
    /// repayment, a FISCAL_ROLE account for a subsidy payment).
    error FacilityInvalidPayerSignature(address signer, address payer);

    /// @notice Thrown when a subsidy payment's payer does not hold FISCAL_ROLE.
    error FacilityPayerNotFiscal(address payer);

    /// @notice Thrown when a joint approval has expired.
    error FacilitySignatureExpired(uint64 deadline);

    /// @notice Thrown when a joint approval's signer does not hold `role`, or both signatures are from one account.
    error FacilityInvalidSigner(address signer, bytes32 role);

    /// @notice Thrown when a review's nonce is not the facility's next review nonce.
    error FacilityInvalidReviewNonce(uint64 facilityId, uint16 expected, uint16 given);

    /// @notice Thrown when an unfreeze names another freeze than the current one.
    error FacilityInvalidFreezeCount(uint64 facilityId, uint16 expected, uint16 given);

    /// @notice Thrown when a review sets the rate above the base rate.
    error FacilityRateAboveBase(uint16 newRateBps, uint16 baseRateBps);

    /// @notice Thrown when the caller may not freeze (it is neither bank nor regulator).
    error FacilityUnauthorizedFreeze(address account);

    /// @notice Thrown when a withdrawal names an account other than the treasury that governance set.
    error FacilityWithdrawalNotToTreasury(address to, address treasury);

    /// @notice Thrown when a withdrawal is asked for before governance has set a treasury.
    error FacilityTreasuryNotSet();
}
