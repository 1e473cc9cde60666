// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title SettlementToken
/// @notice The settlement asset for tests and the demo: a tokenized CNY deposit with 2 decimals, so one unit is one fen.
/// In production the bank's own tokenized deposit takes its place; the other contracts only assume an ERC-20 (with
/// ERC-2612 permits, the node funds each facility with an exact, single-use approval).
contract SettlementToken is ERC20, ERC20Permit, AccessControl {
    /// @notice Role allowed to mint: the deposit's issuer, never the bank node's hot key (see docs/deployment.md).
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @param admin receives DEFAULT_ADMIN_ROLE and MINTER_ROLE; the deploy script hands both to governance and
    /// renounces them.
    constructor(address admin) ERC20("Tokenized CNY Deposit", "dCNY") ERC20Permit("Tokenized CNY Deposit") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /// @notice Mints `amountFen` to `to`.
    ///
    /// Requirements:
    /// - the caller has MINTER_ROLE.
    ///
    /// Emits a {Transfer} event from the zero address.
    function mint(address to, uint256 amountFen) external onlyRole(MINTER_ROLE) {
        _mint(to, amountFen);
    }

    /// @notice Two decimals: amounts are counted in fen.
    function decimals() public pure override returns (uint8) {
        return 2;
    }
}
