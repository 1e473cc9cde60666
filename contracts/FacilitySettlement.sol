// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IFacilityManager} from "./interfaces/IFacilityManager.sol";
import {FacilityLedger} from "./FacilityLedger.sol";

/// @title FacilitySettlement
/// @notice Money coming back into a facility: repayments (interest due first, then principal) and the fiscal subsidy,
/// paid by the payer itself or on the payer's EIP-712 signed order (with an ERC-2612 permit) relayed by anyone.
/// @dev Split from {FacilityManager}, which is the only contract built on it. The reentrancy guard and the settlement
/// token serve the whole manager.
abstract contract FacilitySettlement is FacilityLedger, Nonces, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice Role of the fiscal subsidy account.
    bytes32 public constant FISCAL_ROLE = keccak256("FISCAL_ROLE");

    bytes32 private constant _REPAYMENT_TYPEHASH = keccak256(
        "Repayment(uint64 facilityId,uint256 amount,bool inFull,uint256 nonce,uint64 deadline)"
    );

    bytes32 private constant _SUBSIDY_TYPEHASH = keccak256(
        "SubsidyPayment(uint64 facilityId,uint256 amount,bool inFull,uint256 nonce,uint64 deadline)"
    );

    IERC20 internal immutable _token;

    constructor(IERC20 token) {
        _token = token;
    }

    /// @inheritdoc IFacilityManager
    function repay(uint64 facilityId, uint256 amount) external nonReentrant {
        _repay(facilityId, amount, msg.sender, false);
    }

    /// @inheritdoc IFacilityManager
    function repayWithSignature(PayerOrder calldata order, Permit calldata permit) external nonReentrant {
        address borrower = _existing(order.facilityId).borrower;
        _checkOrder(_REPAYMENT_TYPEHASH, borrower, order, permit);
        _repay(order.facilityId, order.amount, borrower, order.inFull);
    }

    /// @inheritdoc IFacilityManager
    function paySubsidy(uint64 facilityId, uint256 amount) external onlyRole(FISCAL_ROLE) nonReentrant {
        _paySubsidy(facilityId, amount, msg.sender, false);
    }

    /// @inheritdoc IFacilityManager
    function paySubsidyWithSignature(
        address payer,
        PayerOrder calldata order,
        Permit calldata permit
    ) external nonReentrant {
        if (!hasRole(FISCAL_ROLE, payer)) revert FacilityPayerNotFiscal(payer);
        _checkOrder(_SUBSIDY_TYPEHASH, payer, order, permit);
        _paySubsidy(order.facilityId, order.amount, payer, order.inFull);
    }

    /// @inheritdoc IFacilityManager
    function nonces(address payer) public view override(IFacilityManager, Nonces) returns (uint256) {
        return super.nonces(payer);
    }

    /// @dev Takes `amount` from `payer` for the facility's debt: interest due first, then principal. `upTo`: `amount`
    /// is a ceiling, and what is owed now is taken, up to it.
    function _repay(uint64 facilityId, uint256 amount, address payer, bool upTo) private {
        Facility storage f = _existing(facilityId);
        _accrue(facilityId, f);
        uint256 interestDue = _interestDue(f);
        uint256 principal = f.principal;
        if (upTo && amount > interestDue + principal) amount = interestDue + principal;
        if (amount == 0) revert FacilityZeroAmount();
        if (amount > interestDue + principal)
            revert FacilityRepaymentExceedsDebt(facilityId, amount, interestDue + principal);
        uint256 interestPaid = amount < interestDue ? amount : interestDue;
        // interestPaid ≤ amount, and amount - interestPaid ≤ principal was just checked
        uint256 principalPaid;
        unchecked {
            principalPaid = amount - interestPaid;
            f.principal = uint56(principal - principalPaid);
        }
        f.interestRepaid += uint128(interestPaid); // ≤ interest accrued, < 2^104
        f.principalRepaid += uint128(principalPaid); // ≤ principal, a uint56
        f.balance = (f.balance + amount).toUint56();
        _token.safeTransferFrom(payer, address(this), amount);
        emit Repaid(facilityId, payer, interestPaid, principalPaid);
    }

    /// @dev Takes `amount` of subsidy due from `payer` (a FISCAL_ROLE account) into the facility (`upTo`: at most).
    function _paySubsidy(uint64 facilityId, uint256 amount, address payer, bool upTo) private {
        Facility storage f = _existing(facilityId);
        uint256 due = _subsidyDue(f);
        if (upTo && amount > due) amount = due;
        if (amount == 0) revert FacilityZeroAmount();
        if (amount > due) revert FacilitySubsidyExceedsDue(facilityId, amount, due);
        f.subsidyPaid += uint128(amount); // ≤ subsidy accrued, < 2^128
        f.balance = (f.balance + amount).toUint56();
        _token.safeTransferFrom(payer, address(this), amount);
        emit SubsidyPaid(facilityId, payer, amount);
    }

    /// @dev Checks that `payer` signed `order` with its next nonce (using it), then applies its permit unless its
    /// allowance already covers the amount (a permit someone copied from the mempool and used first left that).
    function _checkOrder(bytes32 typehash, address payer, PayerOrder calldata order, Permit calldata permit) private {
        if (block.timestamp > order.deadline) revert FacilitySignatureExpired(order.deadline);
        bytes32 structHash = keccak256(
            abi.encode(typehash, order.facilityId, order.amount, order.inFull, _useNonce(payer), order.deadline)
        );
        address signer = ECDSA.recover(_hashTypedDataV4(structHash), order.signature);
        if (signer != payer) revert FacilityInvalidPayerSignature(signer, payer);
        if (_token.allowance(payer, address(this)) < order.amount) {
            IERC20Permit(address(_token)).permit(
                payer,
                address(this),
                order.amount,
                permit.deadline,
                permit.v,
                permit.r,
                permit.s
            );
        }
    }
}
