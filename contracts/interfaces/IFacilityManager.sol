// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEvidenceRegistry} from "./IEvidenceRegistry.sol";
import {IPayeeRegistry} from "./IPayeeRegistry.sol";
import {IFacilityManagerErrors} from "./IFacilityManagerErrors.sol";
import {IFacilityManagerEvents} from "./IFacilityManagerEvents.sol";

/// @title Quality-loan facilities with entrusted payments
/// @notice One contract holds every facility. The bank creates a facility with a payment plan and funds it; each
/// entrusted payment goes from this contract straight to a registered payee once the evidence it requires is verified,
/// so the borrower never holds the money. Interest accrues per second (ACT/360) on drawn, unrepaid principal, in rate
/// segments that end at every payment, repayment and review; the segments' exact interest is summed and rounded down
/// once, to the fen. The regulator (or the bank) freezes at once; only the
/// bank and the regulator together unfreeze or change the rate (a jointly signed quarterly review).
/// Every state change emits an event that carries enough to rebuild a facility's history from events alone.
/// @dev The types live here (their ABI names are `IFacilityManager.<Type>`); the events and the errors are in
/// {IFacilityManagerEvents} and {IFacilityManagerErrors}, which this interface inherits.
interface IFacilityManager is IFacilityManagerEvents, IFacilityManagerErrors {
    /// @notice Lifecycle of a facility. NONE means the id is unused.
    enum Status {
        NONE,
        ACTIVE,
        FROZEN,
        CLOSED
    }

    /// @notice Terms of a new facility. Amounts in fen, rates in basis points a year.
    /// @param borrower the manufacturer; it repays but never receives a payment
    /// @param creditLimit the most that can be drawn (56 bits: up to 7.2e14 CNY)
    /// @param baseRateBps the contract rate; reviews may discount it, never raise it above this
    /// @param qualityFloorBps the least share of the plan that must go to quality purposes; 0 means the default 3,000 (30%)
    /// @param subsidyBps the fiscal subsidy rate paid on interest in compliant periods (300 = 3%), capped at the rate itself
    struct FacilityTerms {
        address borrower;
        uint56 creditLimit;
        uint16 baseRateBps;
        uint16 qualityFloorBps;
        uint16 subsidyBps;
    }

    /// @notice One entrusted payment of a plan (one storage slot).
    /// @param payee the registered supplier or lab that receives it
    /// @param amount in fen
    /// @param category must match the payee's registered category
    /// @param requiredKinds bit mask of {IEvidenceRegistry.Kind}: verified evidence of each kind is needed to pay
    /// @param qualityPurpose whether the payment counts towards the quality-purpose share
    /// @param paid whether it has been executed
    struct EntrustedPayment {
        address payee;
        uint56 amount;
        IPayeeRegistry.Category category;
        uint8 requiredKinds;
        bool qualityPurpose;
        bool paid;
    }

    /// @notice Evidence offered to release a payment. Its id is recomputed on chain as
    /// `[facilityId, kind, counterparty, saltedHash]` with the counterparty the payment's payee for a payee kind
    /// (PURCHASE_CONTRACT, INVOICE, DELIVERY_NOTE, CERTIFICATION) and the facility's borrower for the others.
    /// @param kind what the document is
    /// @param saltedHash the anchored salted hash of the document
    struct PaymentEvidence {
        IEvidenceRegistry.Kind kind;
        bytes32 saltedHash;
    }

    /// @notice A facility's state as the views report it, with interest accrued up to the current block.
    struct FacilityState {
        address borrower;
        Status status;
        uint16 baseRateBps;
        uint16 rateBps;
        uint16 subsidyBps;
        uint16 qualityFloorBps;
        bool subsidyEligible;
        uint16 freezeCount;
        uint16 reviewNonce;
        uint16 paymentCount;
        uint256 creditLimit;
        uint256 planTotal;
        uint256 qualityTotal;
        uint256 drawn;
        uint256 principal;
        uint256 balance;
        uint256 funded;
        uint256 withdrawn;
        uint256 interestAccrued;
        uint256 subsidyAccrued;
        uint256 interestRepaid;
        uint256 subsidyPaid;
        uint256 principalRepaid;
        uint256 lastAccrual;
    }

    /// @notice A quarterly review's outcome, signed by a bank officer and a regulator as EIP-712
    /// `Review(uint64 facilityId,uint16 nonce,uint16 newRateBps,bool subsidyEligible,bytes32 reportHash,uint64 deadline)`.
    struct Review {
        uint64 facilityId;
        uint16 nonce;
        uint16 newRateBps;
        bool subsidyEligible;
        bytes32 reportHash;
        uint64 deadline;
    }

    /// @notice An ERC-2612 permit of the payer's for this contract and the amount, used when the payer's allowance does
    /// not already cover it (all zero then).
    struct Permit {
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    /// @notice A payer's signed order to pay into one facility (EIP-712 `Repayment` or `SubsidyPayment` of
    /// `(uint64 facilityId, uint256 amount, bool inFull, uint256 nonce, uint64 deadline)`, nonce from {nonces}),
    /// relayed by anyone. With `inFull`, `amount` is a ceiling: what is owed (or due) when it lands is paid, up to it,
    /// so a debt that grows every second can be paid off exactly.
    struct PayerOrder {
        uint64 facilityId;
        uint256 amount;
        bool inFull;
        uint64 deadline;
        bytes signature;
    }

    /// @notice A joint decision to lift a freeze, signed by a bank officer and a regulator as EIP-712
    /// `Unfreeze(uint64 facilityId,uint16 freezeCount,bytes32 reasonHash,uint64 deadline)`; `freezeCount` binds it to one freeze.
    struct Unfreeze {
        uint64 facilityId;
        uint16 freezeCount;
        bytes32 reasonHash;
        uint64 deadline;
    }

    /// @notice Creates a facility with its payment plan.
    ///
    /// Requirements:
    /// - the caller has BANK_ROLE;
    /// - borrower not zero; limit not zero; rates and floor at most 10,000 bps;
    /// - 1 to 64 payments, each to a registered, active payee of the planned category that is not the borrower, with a
    ///   non-zero amount and a non-empty, valid evidence mask;
    /// - plan total ≤ credit limit; quality-purpose share of the plan ≥ the floor.
    ///
    /// Emits a {FacilityCreated} event and a {PaymentPlanned} event per payment.
    function createFacility(
        FacilityTerms calldata terms,
        EntrustedPayment[] calldata plan
    ) external returns (uint64 facilityId);

    /// @notice Moves `amount` of the settlement token from the caller into the facility.
    ///
    /// Requirements:
    /// - the caller has BANK_ROLE and approved the amount; the facility exists and is not closed; amount not zero.
    ///
    /// Emits a {FacilityFunded} event.
    function fund(uint64 facilityId, uint256 amount) external;

    /// @notice Pays one entrusted payment straight to its payee, consuming the evidence that releases it.
    ///
    /// Requirements:
    /// - the caller has BANK_ROLE; the facility is active (not frozen or closed);
    /// - the payment is in the plan and unpaid; the payee is registered, active and of the planned category;
    /// - `evidence` covers every required kind exactly once, and each piece, under the id recomputed with this facility
    ///   and its counterparty (this payment's payee for payee kinds, the borrower for the others), is anchored,
    ///   verified and unconsumed (else the registry's {IEvidenceRegistry-EvidenceNotAnchored},
    ///   {IEvidenceRegistry-EvidenceNotVerified} or {IEvidenceRegistry-EvidenceAlreadyConsumed});
    /// - the facility's balance covers the amount.
    ///
    /// Emits {InterestAccrued} (when a segment closes), {EvidenceConsumed} per evidence and {PaymentExecuted} with the
    /// recomputed evidence ids.
    function executePayment(uint64 facilityId, uint16 index, PaymentEvidence[] calldata evidence) external;

    /// @notice Repays `amount` from the caller (usually the borrower): interest due first, then principal.
    ///
    /// Requirements:
    /// - the facility exists; amount not zero and at most interest due plus principal; the caller approved it.
    ///
    /// Emits {InterestAccrued} (when a segment closes) and {Repaid}.
    function repay(uint64 facilityId, uint256 amount) external;

    /// @notice Pays fiscal subsidy into the facility, up to the subsidy accrued and not yet paid.
    ///
    /// Requirements:
    /// - the caller has FISCAL_ROLE and approved the amount; the facility exists; amount not zero and ≤ subsidy due.
    ///
    /// Emits a {SubsidyPaid} event.
    function paySubsidy(uint64 facilityId, uint256 amount) external;

    /// @notice Repays from the facility's borrower on the borrower's signed order, relayed by anyone (the bank node):
    /// the borrower's tokens move only with the borrower's signature over this facility, this amount and its nonce,
    /// and its permit (or allowance) for the amount.
    ///
    /// Requirements:
    /// - as {repay}; `order` is signed by the facility's borrower with its current nonce and its deadline not passed;
    /// - the borrower's allowance covers the amount, or `permit` is the borrower's for this contract and the amount.
    ///
    /// Emits {InterestAccrued} (when a segment closes) and {Repaid} with the borrower as payer.
    function repayWithSignature(PayerOrder calldata order, Permit calldata permit) external;

    /// @notice Pays subsidy from `payer`, a FISCAL_ROLE account, on its signed order, relayed by anyone (the bank
    /// node): the fiscal account's tokens move only with its signature over this facility, amount and nonce.
    ///
    /// Requirements:
    /// - as {paySubsidy} for `payer`; `order` is signed by `payer` with its current nonce and its deadline not passed;
    /// - the payer's allowance covers the amount, or `permit` is the payer's for this contract and the amount.
    ///
    /// Emits a {SubsidyPaid} event with `payer`.
    function paySubsidyWithSignature(address payer, PayerOrder calldata order, Permit calldata permit) external;

    /// @notice The next nonce of `payer`'s signed orders.
    function nonces(address payer) external view returns (uint256);

    /// @notice Funds the facility with exactly `amount`, approved by the caller's ERC-2612 permit in the same call, so
    /// no allowance is shared between fundings that run at the same time (one cannot overwrite another's).
    ///
    /// Requirements:
    /// - as {fund}; the permit is the caller's for this contract and `amount` (a permit already used, for example one
    ///   replayed by an observer of the mempool, is accepted when the allowance it left covers `amount`).
    ///
    /// Emits a {FacilityFunded} event.
    function fundWithPermit(
        uint64 facilityId,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /// @notice Takes `amount` out of the facility's balance (unused funding, repayments, subsidy) to the treasury. The
    /// hot key that runs daily work may withdraw, but only to the account governance set, and never a frozen
    /// facility's money: taking the bank node's key moves nothing anywhere else.
    ///
    /// Requirements:
    /// - the caller has BANK_ROLE; the facility is not frozen; a treasury is set and `to` is it;
    /// - amount not zero and ≤ balance.
    ///
    /// Emits a {FundsWithdrawn} event.
    function withdraw(uint64 facilityId, uint256 amount, address to) external;

    /// @notice Sets the treasury, the only account withdrawals may go to.
    ///
    /// Requirements:
    /// - the caller has DEFAULT_ADMIN_ROLE (governance: the timelock); `newTreasury` not zero.
    ///
    /// Emits a {TreasuryChanged} event.
    function setTreasury(address newTreasury) external;

    /// @notice The account withdrawals go to (zero until governance sets it).
    function treasury() external view returns (address);

    /// @notice Freezes the facility at once: no payment until the bank and the regulator unfreeze it together.
    ///
    /// Requirements:
    /// - the caller has REGULATOR_ROLE or BANK_ROLE; the facility is active.
    ///
    /// Emits a {FacilityFrozen} event.
    function freeze(uint64 facilityId, bytes32 reasonHash) external;

    /// @notice Lifts the current freeze with a bank officer's and a regulator's signatures; anyone may relay.
    ///
    /// Requirements:
    /// - the facility is frozen and `decision.freezeCount` is its current freeze count; deadline not passed;
    /// - `bankSignature` is from a BANK_ROLE holder and `regulatorSignature` from another account with REGULATOR_ROLE.
    ///
    /// Emits a {FacilityUnfrozen} event.
    function unfreeze(
        Unfreeze calldata decision,
        bytes calldata bankSignature,
        bytes calldata regulatorSignature
    ) external;

    /// @notice Applies a jointly signed quarterly review: a new rate (discount) and subsidy eligibility from now on.
    ///
    /// Requirements:
    /// - the facility exists and is not closed; `review.nonce` is its next review nonce; deadline not passed;
    /// - new rate ≤ base rate;
    /// - `bankSignature` is from a BANK_ROLE holder and `regulatorSignature` from another account with REGULATOR_ROLE.
    ///
    /// Emits {InterestAccrued} (when a segment closes) and {ReviewApplied}.
    function applyReview(
        Review calldata review,
        bytes calldata bankSignature,
        bytes calldata regulatorSignature
    ) external;

    /// @notice Closes a facility that owes nothing; its remaining balance can still be withdrawn to the treasury.
    ///
    /// Requirements:
    /// - the caller has BANK_ROLE; the facility is active (a frozen one stays frozen: closing it would free its
    ///   money); no principal and no interest due.
    ///
    /// Emits a {FacilityClosed} event.
    function close(uint64 facilityId) external;

    /// @notice The facility's state with interest accrued to the current block.
    function facility(uint64 facilityId) external view returns (FacilityState memory);

    /// @notice One entrusted payment of a facility's plan.
    function payment(uint64 facilityId, uint16 index) external view returns (EntrustedPayment memory);

    /// @notice What the borrower owes now: principal, and interest due after subsidy and repayments.
    function outstanding(uint64 facilityId) external view returns (uint256 principal, uint256 interestDue);

    /// @notice The subsidy accrued and not yet paid by the fiscal account, to the current block.
    function subsidyDue(uint64 facilityId) external view returns (uint256);

    /// @notice How many facilities exist (ids run from 1 to this).
    function facilityCount() external view returns (uint64);

    /// @notice The EIP-712 digest the bank and the regulator sign for a review.
    function reviewDigest(Review calldata review) external view returns (bytes32);

    /// @notice The EIP-712 digest the bank and the regulator sign to unfreeze.
    function unfreezeDigest(Unfreeze calldata decision) external view returns (bytes32);
}
