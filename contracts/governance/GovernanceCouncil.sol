// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IGovernanceCouncil} from "../interfaces/IGovernanceCouncil.sol";

/// @title GovernanceCouncil
/// @notice An N-of-M of institutions' governance keys in front of OpenZeppelin's TimelockController; see
/// {IGovernanceCouncil}.
/// @dev The timelock holds every admin power (DEFAULT_ADMIN_ROLE of the contracts, the token's minter role); this
/// council is its only proposer and canceller, and execution after the delay is open to anyone. Members and threshold
/// are fixed: changing them means deploying a new council and moving the timelock's proposer role to it, itself a
/// governance operation.
contract GovernanceCouncil is IGovernanceCouncil {
    TimelockController private immutable _timelock;
    uint256 private immutable _threshold;

    address[] private _members;
    mapping(address account => bool) private _isMember;
    mapping(bytes32 id => uint256) private _approvals;
    mapping(bytes32 id => mapping(address member => bool)) private _approved;

    /// @param timelock_ the timelock this council proposes to (it must grant this contract PROPOSER_ROLE and CANCELLER_ROLE)
    /// @param members_ the institutions' governance keys (or their own multisigs)
    /// @param threshold_ approvals needed to schedule (2 of 2: the bank and the regulator)
    constructor(TimelockController timelock_, address[] memory members_, uint256 threshold_) {
        if (members_.length == 0 || threshold_ == 0 || threshold_ > members_.length) {
            revert CouncilInvalidMembers(members_.length, threshold_);
        }
        for (uint256 i = 0; i < members_.length; ++i) {
            address member = members_[i];
            if (member == address(0) || _isMember[member]) revert CouncilInvalidMembers(members_.length, threshold_);
            _isMember[member] = true;
            _members.push(member);
        }
        _timelock = timelock_;
        _threshold = threshold_;
    }

    modifier onlyMember() {
        if (!_isMember[msg.sender]) revert CouncilNotMember(msg.sender);
        _;
    }

    /// @inheritdoc IGovernanceCouncil
    function approve(
        address[] calldata targets,
        uint256[] calldata values,
        bytes[] calldata payloads,
        bytes32 salt
    ) external onlyMember returns (bytes32 id) {
        id = _timelock.hashOperationBatch(targets, values, payloads, bytes32(0), salt);
        if (_timelock.isOperation(id)) revert CouncilAlreadyScheduled(id);
        if (_approved[id][msg.sender]) revert CouncilAlreadyApproved(id, msg.sender);
        _approved[id][msg.sender] = true;
        uint256 count = ++_approvals[id];
        emit OperationApproved(id, msg.sender, count);
        if (count == _threshold) {
            uint256 delay = _timelock.getMinDelay();
            _timelock.scheduleBatch(targets, values, payloads, bytes32(0), salt, delay);
            emit OperationScheduled(id, block.timestamp + delay);
        }
    }

    /// @inheritdoc IGovernanceCouncil
    function cancel(bytes32 id) external onlyMember {
        _timelock.cancel(id);
        emit OperationCancelled(id, msg.sender);
    }

    /// @inheritdoc IGovernanceCouncil
    function operationId(
        address[] calldata targets,
        uint256[] calldata values,
        bytes[] calldata payloads,
        bytes32 salt
    ) external view returns (bytes32) {
        return _timelock.hashOperationBatch(targets, values, payloads, bytes32(0), salt);
    }

    /// @inheritdoc IGovernanceCouncil
    function approvals(bytes32 id) external view returns (uint256) {
        return _approvals[id];
    }

    /// @inheritdoc IGovernanceCouncil
    function hasApproved(bytes32 id, address member) external view returns (bool) {
        return _approved[id][member];
    }

    /// @inheritdoc IGovernanceCouncil
    function members() external view returns (address[] memory) {
        return _members;
    }

    /// @inheritdoc IGovernanceCouncil
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc IGovernanceCouncil
    function timelock() external view returns (address) {
        return address(_timelock);
    }
}
