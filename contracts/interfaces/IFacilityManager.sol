// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEvidenceRegistry} from "./IEvidenceRegistry.sol";
import {IPayeeRegistry} from "./IPayeeRegistry.sol";

/// @title Quality-loan facilities with entrusted payments
/// @notice One contract holds every facility. The bank creates a facility with a payment plan and funds it; each
/// entrusted payment goes from this contract straight to a registered payee once the evidence it requires is verified,
/// so the borrower never holds the money. Interest accrues per second (ACT/360) on drawn, unrepaid principal, in rate
/// segments that end at every payment, repayment and review; the segments' exact interest is summed and rounded down
/// once, to the fen. The regulator (or the bank) freezes at once; only the
/// bank and the regulator together unfreeze or change the rate (a jointly signed quarterly review).
/// Every state change emits an event that carries enough to rebuild a facility's history from events alone.
interface IFacilityManager {
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

    /// @notice A joint decision to lift a freeze, signed by a bank officer and a regulator as EIP-712
    /// `Unfreeze(uint64 facilityId,uint16 freezeCount,bytes32 reasonHash,uint64 deadline)`; `freezeCount` binds it to one freeze.
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

    struct Unfreeze {
        uint64 facilityId;
        uint16 freezeCount;
        bytes32 reasonHash;
        uint64 deadline;
    }

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

    /// @notice Thrown when no facility has this id.
    error FacilityNotFound(uint64 facilityId);

    /// @notice Thrown when an action needs an active facility and it is frozen.
    error FacilityIsFrozen(uint64 facilityId);

    /// @notice Thrown when an action needs an open facility and it is closed.
    error FacilityIsClosed(uint64 facilityId);

    /// @notice Thrown when unfreezing a facility that is not frozen.
    error FacilityNotFrozen(uint64 facilityId);

    /// @notice Thrown when a borrower or recipient is the zero address.
    error FacilityZeroAddress();

    /// @notice Thrown when a limit or amount is zero.
    error FacilityZeroAmount();

    /// @notice Thrown when a rate or a share in basis points is above 10,000.
    error FacilityInvalidBps(uint256 bps);

    /// @notice Thrown when a plan is empty or longer than the maximum.
    error FacilityInvalidPlanLength(uint256 length, uint256 max);

    /// @notice Thrown when the plan's total is above the credit limit.
    error FacilityPlanExceedsLimit(uint256 planTotal, uint256 creditLimit);

    /// @notice Thrown when the plan's quality-purpose share is under the floor.
    error FacilityQualityShareBelowFloor(uint256 shareBps, uint256 floorBps);

    /// @notice Thrown when a planned payment pays the borrower.
    error FacilityPayeeIsBorrower(address payee);

    /// @notice Thrown when a payment's required evidence mask is empty or names an unknown kind.
    error FacilityInvalidRequiredKinds(uint16 index, uint8 requiredKinds);

    /// @notice Thrown when a payment's category is not the payee's registered category.
    error FacilityPayeeCategoryMismatch(
        address payee,
        IPayeeRegistry.Category planned,
        IPayeeRegistry.Category registered
    );

    /// @notice Thrown when a payment index is outside the plan.
    error FacilityPaymentNotFound(uint64 facilityId, uint16 index);

    /// @notice Thrown when a payment was already executed.
    error FacilityPaymentAlreadyPaid(uint64 facilityId, uint16 index);

    /// @notice Thrown when evidence offered for a payment is of a kind the payment does not require, or repeats a kind.
    error FacilityEvidenceNotRequired(bytes32 evidenceId, IEvidenceRegistry.Kind kind);

    /// @notice Thrown when verified evidence of some required kinds (`missingKinds`, a bit mask) was not offered.
    error FacilityMissingEvidence(uint64 facilityId, uint16 index, uint8 missingKinds);

    /// @notice Thrown when the facility's balance cannot cover a payment or withdrawal.
    error FacilityInsufficientFunds(uint64 facilityId, uint256 available, uint256 needed);

    /// @notice Thrown when a repayment is more than principal plus interest due.
    error FacilityRepaymentExceedsDebt(uint64 facilityId, uint256 amount, uint256 owed);

    /// @notice Thrown when a subsidy payment is more than the subsidy accrued and unpaid.
    error FacilitySubsidyExceedsDue(uint64 facilityId, uint256 amount, uint256 due);

    /// @notice Thrown when closing a facility that still owes principal or interest.
    error FacilityOutstandingDebt(uint64 facilityId, uint256 principal, uint256 interestDue);

    /// @notice Thrown when a payer's order is not signed by the payer it names (the facility's borrower for a
    /// repayment, a FISCAL_ROLE account for a subsidy payment).
    error FacilityInvalidPayerSignature(address signer, address payer);

    /// @notice Thrown when a subsidy payment's payer does not hold FISCAL_ROLE.
    error FacilityPayerNotFiscal(address payer);

    /// @notice Thrown when a joint approval has expired.
    error FacilitySignatureExpired(uint64 deadline);

    /// @notice Thrown when a joint approval's signer does not hold `role`, or both signatures are from one account.
    error FacilityInvalidSigner(address signer, bytes32 role);

    /// @notice Thrown when a review's nonce is not the facility's next review nonce.
    error FacilityInvalidReviewNonce(uint64 facilityId, uint16 expected, uint16 given);

    /// @notice Thrown when an unfreeze names another freeze than the current one.
    error FacilityInvalidFreezeCount(uint64 facilityId, uint16 expected, uint16 given);

    /// @notice Thrown when a review sets the rate above the base rate.
    error FacilityRateAboveBase(uint16 newRateBps, uint16 baseRateBps);

    /// @notice Thrown when the caller may not freeze (it is neither bank nor regulator).
    error FacilityUnauthorizedFreeze(address account);

    /// @notice Thrown when a withdrawal names an account other than the treasury that governance set.
    error FacilityWithdrawalNotToTreasury(address to, address treasury);

    /// @notice Thrown when a withdrawal is asked for before governance has set a treasury.
    error FacilityTreasuryNotSet();

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
