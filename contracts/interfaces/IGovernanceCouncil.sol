// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IGovernanceCouncil
/// @notice The only proposer of the governance timelock: an operation (a batch of calls) is scheduled only when
/// `threshold` of the members have approved the very same calls, and any one member can cancel it while it waits out
/// the delay. With the bank's and the regulator's governance keys as members and a threshold of 2, no single
/// institution can grant a role, change the verifier set or threshold, set the treasury or mint, and each has the
/// whole delay to see, and stop, what the other proposed.
interface IGovernanceCouncil {
    /// @notice Emitted when a member approves an operation; `approvals` counts the members who have.
    event OperationApproved(bytes32 indexed id, address indexed member, uint256 approvals);

    /// @notice Emitted when an operation reaches the threshold and is scheduled in the timelock.
    event OperationScheduled(bytes32 indexed id, uint256 readyAt);

    /// @notice Emitted when a member cancels a scheduled operation.
    event OperationCancelled(bytes32 indexed id, address indexed member);

    /// @notice Thrown when the caller is not a member.
    error CouncilNotMember(address account);

    /// @notice Thrown when a member approves an operation a second time.
    error CouncilAlreadyApproved(bytes32 id, address member);

    /// @notice Thrown when an operation is approved after it was scheduled (a cancelled one needs a new salt).
    error CouncilAlreadyScheduled(bytes32 id);

    /// @notice Thrown when the members or the threshold cannot make a council (none, zero, duplicate, threshold too high).
    error CouncilInvalidMembers(uint256 members, uint256 threshold);

    /// @notice Approves the batch of calls `targets[i].call{value: values[i]}(payloads[i])`; the approval that reaches the
    /// threshold schedules it in the timelock with its minimum delay.
    ///
    /// Requirements:
    /// - the caller is a member who has not approved this operation; it is not scheduled yet.
    ///
    /// Emits an {OperationApproved} event, and an {OperationScheduled} event when it schedules.
    function approve(
        address[] calldata targets,
        uint256[] calldata values,
        bytes[] calldata payloads,
        bytes32 salt
    ) external returns (bytes32 id);

    /// @notice Cancels a scheduled operation before it runs: one institution's veto.
    ///
    /// Requirements:
    /// - the caller is a member; the operation is pending in the timelock.
    ///
    /// Emits an {OperationCancelled} event.
    function cancel(bytes32 id) external;

    /// @notice The id of a batch in the timelock (its `hashOperationBatch` with no predecessor).
    function operationId(
        address[] calldata targets,
        uint256[] calldata values,
        bytes[] calldata payloads,
        bytes32 salt
    ) external view returns (bytes32);

    /// @notice How many members have approved the operation.
    function approvals(bytes32 id) external view returns (uint256);

    /// @notice Whether `member` has approved the operation.
    function hasApproved(bytes32 id, address member) external view returns (bool);

    /// @notice The members, in the order they were named.
    function members() external view returns (address[] memory);

    /// @notice Approvals needed to schedule.
    function threshold() external view returns (uint256);

    /// @notice The timelock this council proposes to.
    function timelock() external view returns (address);
}
