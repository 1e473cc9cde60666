// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IFacilityManager} from "./interfaces/IFacilityManager.sol";

/// @title FacilityRoles
/// @notice The roles of {FacilityManager} and its joint decisions: EIP-712 messages (a review, an unfreeze) that take
/// effect only with a BANK_ROLE signature and a REGULATOR_ROLE signature from two different accounts.
/// @dev Split from FacilityManager to keep one concept per file: who may do what, and how two institutions sign one
/// decision. DEFAULT_ADMIN_ROLE (granting roles, setting the treasury) is held by governance, a timelock.
abstract contract FacilityRoles is IFacilityManager, AccessControl, EIP712 {
    /// @notice Role of the bank node's hot key: create, fund, pay, close, freeze, and withdraw to the treasury only.
    /// Granting roles and setting the treasury belong to DEFAULT_ADMIN_ROLE, held by governance (a timelock).
    bytes32 public constant BANK_ROLE = keccak256("BANK_ROLE");

    /// @notice Role of the market-regulation bureau: freeze alone, unfreeze and review together with the bank.
    bytes32 public constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");

    bytes32 private constant _REVIEW_TYPEHASH = keccak256(
        "Review(uint64 facilityId,uint16 nonce,uint16 newRateBps,bool subsidyEligible,bytes32 reportHash,uint64 deadline)"
    );

    bytes32 private constant _UNFREEZE_TYPEHASH = keccak256(
        "Unfreeze(uint64 facilityId,uint16 freezeCount,bytes32 reasonHash,uint64 deadline)"
    );

    /// @inheritdoc IFacilityManager
    function reviewDigest(Review calldata review) external view returns (bytes32) {
        return _hashTypedDataV4(_reviewStructHash(review));
    }

    /// @inheritdoc IFacilityManager
    function unfreezeDigest(Unfreeze calldata decision) external view returns (bytes32) {
        return _hashTypedDataV4(_unfreezeStructHash(decision));
    }

    /// @dev Recovers both signers of a joint decision and checks their roles; they must be two accounts.
    function _jointSigners(
        bytes32 structHash,
        uint64 deadline,
        bytes calldata bankSignature,
        bytes calldata regulatorSignature
    ) internal view returns (address bankSigner, address regulatorSigner) {
        if (block.timestamp > deadline) revert FacilitySignatureExpired(deadline);
        bytes32 digest = _hashTypedDataV4(structHash);
        bankSigner = ECDSA.recover(digest, bankSignature);
        if (!hasRole(BANK_ROLE, bankSigner)) revert FacilityInvalidSigner(bankSigner, BANK_ROLE);
        regulatorSigner = ECDSA.recover(digest, regulatorSignature);
        if (!hasRole(REGULATOR_ROLE, regulatorSigner) || regulatorSigner == bankSigner) {
            revert FacilityInvalidSigner(regulatorSigner, REGULATOR_ROLE);
        }
    }

    function _reviewStructHash(Review calldata review) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    _REVIEW_TYPEHASH,
                    review.facilityId,
                    review.nonce,
                    review.newRateBps,
                    review.subsidyEligible,
                    review.reportHash,
                    review.deadline
                )
            );
    }

    function _unfreezeStructHash(Unfreeze calldata decision) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    _UNFREEZE_TYPEHASH,
                    decision.facilityId,
                    decision.freezeCount,
                    decision.reasonHash,
                    decision.deadline
                )
            );
    }
}
