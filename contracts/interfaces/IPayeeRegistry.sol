// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Registry of the suppliers and labs that may receive entrusted payments
/// @notice The bank registers each payee with its category and the hash of its licence document.
/// Only a registered, active payee can be paid by the FacilityManager.
interface IPayeeRegistry {
    /// @notice What a payee is paid for. A payment's category must match the payee's.
    enum Category {
        EQUIPMENT,
        TESTING_CERT,
        MATERIALS,
        R_AND_D,
        SERVICES
    }

    /// @notice A registered payee.
    /// @param category what the payee is paid for
    /// @param active whether the payee may currently receive payments
    /// @param licenceHash hash of the payee's licence document (business licence, lab accreditation)
    /// @param registeredAt block timestamp of the first registration
    struct Payee {
        Category category;
        bool active;
        uint40 registeredAt;
        bytes32 licenceHash;
    }

    /// @notice Emitted when a payee is registered.
    event PayeeRegistered(address indexed payee, Category category, bytes32 licenceHash);

    /// @notice Emitted when a payee's category or licence hash is updated.
    event PayeeUpdated(address indexed payee, Category category, bytes32 licenceHash);

    /// @notice Emitted when a payee is deactivated: it can no longer be paid.
    event PayeeDeactivated(address indexed payee, bytes32 reasonHash);

    /// @notice Emitted when a deactivated payee is reactivated.
    event PayeeReactivated(address indexed payee);

    /// @notice Thrown when the zero address is given as a payee.
    error PayeeZeroAddress();

    /// @notice Thrown when registering a payee that is already registered.
    error PayeeAlreadyRegistered(address payee);

    /// @notice Thrown when a payee is not registered.
    error PayeeNotRegistered(address payee);

    /// @notice Thrown when a payee is registered but deactivated.
    error PayeeInactive(address payee);

    /// @notice Thrown when reactivating a payee that is already active.
    error PayeeAlreadyActive(address payee);

    /// @notice Thrown when a licence hash is zero: every payee must have a licence document on file.
    error PayeeMissingLicence(address payee);

    /// @notice Registers a supplier or lab.
    ///
    /// Requirements:
    /// - the caller has PAYEE_ADMIN_ROLE;
    /// - `payee` is not the zero address and not registered yet;
    /// - `licenceHash` is not zero.
    ///
    /// Emits a {PayeeRegistered} event.
    function registerPayee(address payee, Category category, bytes32 licenceHash) external;

    /// @notice Updates a registered payee's category and licence hash (for a renewed licence, say).
    ///
    /// Requirements:
    /// - the caller has PAYEE_ADMIN_ROLE;
    /// - `payee` is registered; `licenceHash` is not zero.
    ///
    /// Emits a {PayeeUpdated} event.
    function updatePayee(address payee, Category category, bytes32 licenceHash) external;

    /// @notice Deactivates a payee: no further payment can go to it until it is reactivated.
    ///
    /// Requirements:
    /// - the caller has PAYEE_ADMIN_ROLE;
    /// - `payee` is registered and active.
    ///
    /// Emits a {PayeeDeactivated} event.
    function deactivatePayee(address payee, bytes32 reasonHash) external;

    /// @notice Reactivates a deactivated payee.
    ///
    /// Requirements:
    /// - the caller has PAYEE_ADMIN_ROLE;
    /// - `payee` is registered and inactive.
    ///
    /// Emits a {PayeeReactivated} event.
    function reactivatePayee(address payee) external;

    /// @notice Returns a payee's record; `registeredAt` is zero when it is not registered.
    function payeeOf(address payee) external view returns (Payee memory);

    /// @notice Returns whether `payee` is registered and active.
    function isActive(address payee) external view returns (bool);

    /// @notice Returns the category of an active payee, and reverts when it is not registered or inactive.
    function requireActive(address payee) external view returns (Category);
}
