// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Evidence identifiers, built as @openzeppelin/merkle-tree's StandardMerkleTree leaves
/// @notice An evidence id is the leaf hash of `[facilityId, kind, counterparty, saltedHash]` with the leaf encoding
/// `["uint64", "uint8", "address", "bytes32"]`: `keccak256(bytes.concat(keccak256(abi.encode(...))))`.
/// The same id names the evidence whether it was anchored alone or inside a batch, so a proof made by
/// `StandardMerkleTree.of(values, ["uint64", "uint8", "address", "bytes32"])` verifies against the batch root on chain.
///
/// The counterparty is the party the document is with: the payee for a purchase contract, invoice, delivery note or
/// test/certification report (the payee kinds), the facility's borrower for an inspection report, patent filing or
/// spot-check report. Because it is inside the id, a payment recomputes the id with its own payee (or the borrower):
/// evidence naming anyone else simply does not exist under that id.
library EvidenceLeaf {
    /// @notice Bit mask of the kinds whose counterparty is the payee: PURCHASE_CONTRACT (0), INVOICE (1),
    /// DELIVERY_NOTE (2), CERTIFICATION (4). The others (INSPECTION_REPORT, PATENT_FILING, SPOT_CHECK_REPORT) name the
    /// borrower.
    uint8 internal constant PAYEE_KINDS = 0x17;

    /// @notice The leaf hash (and evidence id) of one piece of evidence.
    function hash(
        uint64 facilityId,
        uint8 kind,
        address counterparty,
        bytes32 saltedHash
    ) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(facilityId, kind, counterparty, saltedHash))));
    }
}
