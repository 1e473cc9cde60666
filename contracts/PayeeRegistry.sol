// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IPayeeRegistry} from "./interfaces/IPayeeRegistry.sol";

/// @title PayeeRegistry
/// @notice The bank's register of suppliers and labs; see {IPayeeRegistry}.
contract PayeeRegistry is IPayeeRegistry, AccessControl {
    /// @notice Role of the bank staff who register and deactivate payees.
    bytes32 public constant PAYEE_ADMIN_ROLE = keccak256("PAYEE_ADMIN_ROLE");

    mapping(address payee => Payee) private _payees;

    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAYEE_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IPayeeRegistry
    function registerPayee(address payee, Category category, bytes32 licenceHash) external onlyRole(PAYEE_ADMIN_ROLE) {
        if (payee == address(0)) revert PayeeZeroAddress();
        if (_payees[payee].registeredAt != 0) revert PayeeAlreadyRegistered(payee);
        if (licenceHash == bytes32(0)) revert PayeeMissingLicence(payee);
        _payees[payee] = Payee({
            category: category,
            active: true,
            registeredAt: uint40(block.timestamp),
            licenceHash: licenceHash
        });
        emit PayeeRegistered(payee, category, licenceHash);
    }

    /// @inheritdoc IPayeeRegistry
    function updatePayee(address payee, Category category, bytes32 licenceHash) external onlyRole(PAYEE_ADMIN_ROLE) {
        Payee storage record = _registered(payee);
        if (licenceHash == bytes32(0)) revert PayeeMissingLicence(payee);
        record.category = category;
        record.licenceHash = licenceHash;
        emit PayeeUpdated(payee, category, licenceHash);
    }

    /// @inheritdoc IPayeeRegistry
    function deactivatePayee(address payee, bytes32 reasonHash) external onlyRole(PAYEE_ADMIN_ROLE) {
        Payee storage record = _registered(payee);
        if (!record.active) revert PayeeInactive(payee);
        record.active = false;
        emit PayeeDeactivated(payee, reasonHash);
    }

    /// @inheritdoc IPayeeRegistry
    function reactivatePayee(address payee) external onlyRole(PAYEE_ADMIN_ROLE) {
        Payee storage record = _registered(payee);
        if (record.active) revert PayeeAlreadyActive(payee);
        record.active = true;
        emit PayeeReactivated(payee);
    }

    /// @inheritdoc IPayeeRegistry
    function payeeOf(address payee) external view returns (Payee memory) {
        return _payees[payee];
    }

    /// @inheritdoc IPayeeRegistry
    function isActive(address payee) external view returns (bool) {
        return _payees[payee].active;
    }

    /// @inheritdoc IPayeeRegistry
    function requireActive(address payee) external view returns (Category) {
        Payee storage record = _registered(payee);
        if (!record.active) revert PayeeInactive(payee);
        return record.category;
    }

    function _registered(address payee) private view returns (Payee storage record) {
        record = _payees[payee];
        if (record.registeredAt == 0) revert PayeeNotRegistered(payee);
    }
}
