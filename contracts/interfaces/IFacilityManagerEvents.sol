// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPayeeRegistry} from "./IPayeeRegistry.sol";

/// @title Events of {IFacilityManager}
/// @notice Every state change of a facility emits one of these, and together they carry enough to rebuild a facility's
/// history from events alone (the indexers and the audit do).
interface IFacilityManagerEvents {
    /// @notice Emitted when a facility is created; its plan follows as {PaymentPlanned} events.
    event FacilityCreated(
        uint64 indexed facilityId,
        address indexed borrower,
        uint256 creditLimit,
        uint16 baseRateBps,
        uint16 qualityFloorBps,
        uint16 subsidyBps,
        uint256 planTotal,
        uint256 qualityShareBps
    );

    /// @notice Emitted for each entrusted payment of a new facility's plan.
    event PaymentPlanned(
        uint64 indexed facilityId,
        uint16 indexed index,
        address indexed payee,
        IPayeeRegistry.Category category,
        uint56 amount,
        bool qualityPurpose,
        uint8 requiredKinds
    );

    /// @notice Emitted when the bank puts money into a facility.
    event FacilityFunded(uint64 indexed facilityId, address indexed from, uint256 amount);

    /// @notice Emitted when an entrusted payment goes to its payee, with the evidence that released it.
    event PaymentExecuted(
        uint64 indexed facilityId,
        uint16 indexed index,
        address indexed payee,
        uint56 amount,
        bytes32[] evidenceIds
    );

    /// @notice Emitted when a rate segment closes: `principal` at `rateBps` from `from` to `to` earned `interest`,
    /// of which `subsidy` is covered by the fiscal subsidy.
    event InterestAccrued(
        uint64 indexed facilityId,
        uint40 from,
        uint40 to,
        uint256 principal,
        uint16 rateBps,
        uint256 interest,
        uint256 subsidy
    );

    /// @notice Emitted when a jointly signed review is applied.
    event ReviewApplied(
        uint64 indexed facilityId,
        uint16 indexed nonce,
        uint16 previousRateBps,
        uint16 newRateBps,
        bool subsidyEligible,
        bytes32 reportHash,
        address bankSigner,
        address regulatorSigner
    );

    /// @notice Emitted when a facility is frozen.
    event FacilityFrozen(uint64 indexed facilityId, address indexed by, bytes32 reasonHash, uint16 freezeCount);

    /// @notice Emitted when a freeze is lifted by the bank and the regulator together.
    event FacilityUnfrozen(
        uint64 indexed facilityId,
        uint16 freezeCount,
        bytes32 reasonHash,
        address bankSigner,
        address regulatorSigner
    );

    /// @notice Emitted on a repayment: interest first, then principal.
    event Repaid(uint64 indexed facilityId, address indexed payer, uint256 interestPaid, uint256 principalPaid);

    /// @notice Emitted when the fiscal subsidy account pays subsidy into a facility.
    event SubsidyPaid(uint64 indexed facilityId, address indexed payer, uint256 amount);

    /// @notice Emitted when the bank takes money out of a facility's balance.
    event FundsWithdrawn(uint64 indexed facilityId, address indexed to, uint256 amount);

    /// @notice Emitted when a fully repaid facility is closed.
    event FacilityClosed(uint64 indexed facilityId);

    /// @notice Emitted when governance sets the treasury, the only account withdrawals may go to.
    event TreasuryChanged(address indexed previousTreasury, address indexed newTreasury);
}
