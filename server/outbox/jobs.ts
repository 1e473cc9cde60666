import { isError, type ContractTransaction } from "ethers";
import { facilityStatusOf } from "../../domain/enums";
import { chainNow, type Chain } from "../chain/chain";
import { signPermit } from "../chain/permit";
import { orderCall, type OrderRequest, type OrderSignatures } from "../chain/payer-orders";
import type { JobHandler, Landed } from "./outbox";

/** The chain writes of the loan lifecycle, each idempotent by what it finds on chain before sending. */
export const JOB = {
  REGISTER_PAYEE: "REGISTER_PAYEE",
  UPDATE_PAYEE: "UPDATE_PAYEE",
  DEACTIVATE_PAYEE: "DEACTIVATE_PAYEE",
  REACTIVATE_PAYEE: "REACTIVATE_PAYEE",
  CREATE_FACILITY: "CREATE_FACILITY",
  MINT: "MINT",
  APPROVE: "APPROVE",
  FUND: "FUND",
  EXECUTE_PAYMENT: "EXECUTE_PAYMENT",
  FREEZE: "FREEZE",
  UNFREEZE: "UNFREEZE",
  APPLY_REVIEW: "APPLY_REVIEW",
  REPAY: "REPAY",
  PAY_SUBSIDY: "PAY_SUBSIDY",
  CLOSE: "CLOSE",
  WITHDRAW: "WITHDRAW",
} as const;

export interface PlannedPayment {
  payee: string;
  amount: string;
  category: number;
  requiredKinds: number;
  qualityPurpose: boolean;
}

export interface CreateFacilityPayload {
  applicationId: string;
  borrower: string;
  creditLimit: string;
  baseRateBps: number;
  qualityFloorBps: number;
  subsidyBps: number;
  plan: PlannedPayment[];
}

const NOT_YET = undefined;
/** Found on chain, where exactly does not matter (a state the contract holds, not a single event). */
const HERE: Landed = { txHash: "0x", blockNumber: 0n };

/** Where the latest event matching `filter` landed. */
async function landedAt(chain: Chain, filter: Parameters<Chain["manager"]["queryFilter"]>[0]): Promise<Landed> {
  const events = await chain.manager.queryFilter(filter);
  const event = events[events.length - 1];
  return event
    ? { txHash: event.transactionHash, blockNumber: BigInt(event.blockNumber) }
    : { txHash: "0x", blockNumber: 0n };
}

/**
 * Where a payer's signed order landed: the latest of `filter`'s events whose transaction carries the order's
 * signature. Another order with the same nonce (prepared twice, submitted at once) can never land after it, and is
 * not taken for it.
 */
async function orderLandedAt(
  chain: Chain,
  filter: Parameters<Chain["manager"]["queryFilter"]>[0],
  signature: string,
): Promise<Landed | undefined> {
  const needle = signature.slice(2).toLowerCase();
  const events = await chain.manager.queryFilter(filter);
  for (const event of events.reverse()) {
    const tx = await chain.provider.getTransaction(event.transactionHash);
    if (tx?.data.toLowerCase().includes(needle))
      return { txHash: event.transactionHash, blockNumber: BigInt(event.blockNumber) };
  }
  return NOT_YET;
}

/**
 * Outbox handlers of the lifecycle. `onFacilityCreated` records the on-chain id of a new facility (read from the
 * FacilityCreated event of the landed transaction) inside the confirming database transaction.
 */
export function lifecycleHandlers({
  chain,
  onConfirmed,
}: {
  chain: Chain;
  onConfirmed: Partial<Record<keyof typeof JOB, JobHandler<any>["onConfirmed"]>>;
}): JobHandler<any>[] {
  const noop: JobHandler<any>["onConfirmed"] = async () => undefined;
  const hook = (kind: keyof typeof JOB) => onConfirmed[kind] ?? noop;
  /** A payer's signed order relayed: landed once the payer's order nonce moved past it, and only where its own signature did. */
  const signedOrderJob = (
    kind: typeof JOB.REPAY | typeof JOB.PAY_SUBSIDY,
    filterOf: (request: OrderRequest) => Parameters<typeof chain.manager.queryFilter>[0],
    send: (call: ReturnType<typeof orderCall>, request: OrderRequest) => Promise<ContractTransaction>,
  ) => ({
    kind,
    locate: async ({ request, signatures }: { request: OrderRequest; signatures: OrderSignatures }) =>
      (await chain.manager.nonces(request.payer)) > BigInt(String(request.order.message.nonce))
        ? orderLandedAt(chain, filterOf(request), signatures.orderSignature)
        : NOT_YET,
    build: ({ request, signatures }: { request: OrderRequest; signatures: OrderSignatures }) =>
      send(orderCall(request, signatures), request),
    onConfirmed: hook(kind),
  });
  const payeeOf = (address: string) => chain.payees.payeeOf(address);
  /**
   * Whether the settlement token takes ERC-2612 permits (the demo token does). Without them the node's key needs a
   * standing allowance to the FacilityManager, set in the key ceremony (docs/deployment.md), and funds with `fund`.
   */
  let permitSupport: Promise<boolean> | undefined;
  const permits = () =>
    (permitSupport ??= chain.token
      .eip712Domain()
      .then(() => true)
      .catch((error: unknown) => {
        if (isError(error, "CALL_EXCEPTION") || isError(error, "BAD_DATA")) return false;
        permitSupport = undefined; // a network failure says nothing: ask again next time
        throw error;
      }));

  const handlers: JobHandler<any>[] = [
    {
      kind: JOB.REGISTER_PAYEE,
      locate: async ({ address }: { address: string }) =>
        (await payeeOf(address)).registeredAt === 0n ? NOT_YET : HERE,
      build: ({ address, category, licenceHash }) =>
        chain.payees.registerPayee.populateTransaction(address, category, licenceHash),
      onConfirmed: hook("REGISTER_PAYEE"),
    },
    {
      kind: JOB.UPDATE_PAYEE,
      locate: async ({
        address,
        category,
        licenceHash,
      }: {
        address: string;
        category: number;
        licenceHash: string;
      }) => {
        const payee = await payeeOf(address);
        return Number(payee.category) === category && payee.licenceHash === licenceHash ? HERE : NOT_YET;
      },
      build: ({ address, category, licenceHash }) =>
        chain.payees.updatePayee.populateTransaction(address, category, licenceHash),
      onConfirmed: hook("UPDATE_PAYEE"),
    },
    {
      kind: JOB.DEACTIVATE_PAYEE,
      locate: async ({ address }: { address: string }) => ((await payeeOf(address)).active ? NOT_YET : HERE),
      build: ({ address, reasonHash }) => chain.payees.deactivatePayee.populateTransaction(address, reasonHash),
      onConfirmed: hook("DEACTIVATE_PAYEE"),
    },
    {
      kind: JOB.REACTIVATE_PAYEE,
      locate: async ({ address }: { address: string }) => ((await payeeOf(address)).active ? HERE : NOT_YET),
      build: ({ address }) => chain.payees.reactivatePayee.populateTransaction(address),
      onConfirmed: hook("REACTIVATE_PAYEE"),
    },
    {
      kind: JOB.CREATE_FACILITY,
      // A facility has no natural key on chain to look for: the outbox's stored, pre-signed transaction is what makes
      // it exactly once (a crash can only rebroadcast the same bytes, whose receipt then confirms the job).
      locate: async () => NOT_YET,
      build: (p: CreateFacilityPayload) =>
        chain.manager.createFacility.populateTransaction(
          {
            borrower: p.borrower,
            creditLimit: BigInt(p.creditLimit),
            baseRateBps: p.baseRateBps,
            qualityFloorBps: p.qualityFloorBps,
            subsidyBps: p.subsidyBps,
          },
          p.plan.map((payment) => ({ ...payment, amount: BigInt(payment.amount), paid: false })),
        ),
      onConfirmed: hook("CREATE_FACILITY"),
    },
    {
      kind: JOB.MINT,
      locate: async ({ minBalance }: { minBalance: string }) =>
        (await chain.token.balanceOf(chain.signer.address)) >= BigInt(minBalance) ? HERE : NOT_YET,
      build: ({ amount }) => chain.token.mint.populateTransaction(chain.signer.address, BigInt(amount)),
      onConfirmed: hook("MINT"),
    },
    {
      kind: JOB.APPROVE,
      locate: async ({ amount }: { amount: string }) =>
        (await chain.token.allowance(chain.signer.address, await chain.manager.getAddress())) >= BigInt(amount)
          ? HERE
          : NOT_YET,
      build: async ({ amount }) =>
        chain.token.approve.populateTransaction(await chain.manager.getAddress(), BigInt(amount)),
      onConfirmed: hook("APPROVE"),
    },
    {
      kind: JOB.FUND,
      locate: async ({ facilityId, fundedAfter }: { facilityId: string; fundedAfter: string }) =>
        (await chain.manager.facility(BigInt(facilityId))).funded >= BigInt(fundedAfter)
          ? landedAt(chain, chain.manager.filters.FacilityFunded(BigInt(facilityId)))
          : NOT_YET,
      // Exactly this facility's amount, approved and taken in one call by a permit signed now: no allowance is shared
      // between fundings, so one cannot overwrite another's. A stale permit (its nonce used meanwhile) only makes the
      // chain refuse this attempt, and the next one is signed afresh.
      build: async ({ facilityId, amount }) => {
        const manager = await chain.manager.getAddress();
        const value = BigInt(amount);
        if (!(await permits())) return chain.manager.fund.populateTransaction(BigInt(facilityId), value);
        const deadline = BigInt((await chainNow(chain)) + 86_400);
        const { v, r, s } = await signPermit(chain.token, chain.signer, manager, value, deadline);
        return chain.manager.fundWithPermit.populateTransaction(BigInt(facilityId), value, deadline, v, r, s);
      },
      onConfirmed: hook("FUND"),
    },
    {
      kind: JOB.EXECUTE_PAYMENT,
      locate: async ({ facilityId, index }: { facilityId: string; index: number }) =>
        (await chain.manager.payment(BigInt(facilityId), index)).paid
          ? landedAt(chain, chain.manager.filters.PaymentExecuted(BigInt(facilityId), index))
          : NOT_YET,
      // The contract recomputes each evidence id with this payment's payee (or the borrower) from kind and salted hash.
      build: ({ facilityId, index, evidence }) =>
        chain.manager.executePayment.populateTransaction(BigInt(facilityId), index, evidence),
      onConfirmed: hook("EXECUTE_PAYMENT"),
    },
    {
      kind: JOB.FREEZE,
      locate: async ({ facilityId, freezeCountAfter }: { facilityId: string; freezeCountAfter: number }) =>
        Number((await chain.manager.facility(BigInt(facilityId))).freezeCount) >= freezeCountAfter
          ? landedAt(chain, chain.manager.filters.FacilityFrozen(BigInt(facilityId)))
          : NOT_YET,
      build: ({ facilityId, reasonHash }) => chain.manager.freeze.populateTransaction(BigInt(facilityId), reasonHash),
      onConfirmed: hook("FREEZE"),
    },
    {
      kind: JOB.UNFREEZE,
      locate: async ({ message }: { message: { facilityId: string; freezeCount: number } }) => {
        const state = await chain.manager.facility(BigInt(message.facilityId));
        return Number(state.freezeCount) === message.freezeCount && facilityStatusOf(state.status) !== "FROZEN"
          ? landedAt(chain, chain.manager.filters.FacilityUnfrozen(BigInt(message.facilityId)))
          : NOT_YET;
      },
      build: ({ message, bankSignature, regulatorSignature }) =>
        chain.manager.unfreeze.populateTransaction(message, bankSignature, regulatorSignature),
      onConfirmed: hook("UNFREEZE"),
    },
    {
      kind: JOB.APPLY_REVIEW,
      locate: async ({ message }: { message: { facilityId: string; nonce: number } }) =>
        Number((await chain.manager.facility(BigInt(message.facilityId))).reviewNonce) > message.nonce
          ? landedAt(chain, chain.manager.filters.ReviewApplied(BigInt(message.facilityId), message.nonce))
          : NOT_YET,
      build: ({ message, bankSignature, regulatorSignature }) =>
        chain.manager.applyReview.populateTransaction(message, bankSignature, regulatorSignature),
      onConfirmed: hook("APPLY_REVIEW"),
    },
    signedOrderJob(
      JOB.REPAY,
      (request) => chain.manager.filters.Repaid(BigInt(request.facilityId), request.payer),
      ({ order, permit }) => chain.manager.repayWithSignature.populateTransaction(order, permit),
    ),
    signedOrderJob(
      JOB.PAY_SUBSIDY,
      (request) => chain.manager.filters.SubsidyPaid(BigInt(request.facilityId), request.payer),
      ({ order, permit }, request) =>
        chain.manager.paySubsidyWithSignature.populateTransaction(request.payer, order, permit),
    ),
    {
      kind: JOB.CLOSE,
      locate: async ({ facilityId }: { facilityId: string }) =>
        (await chain.manager.facility(BigInt(facilityId))).status === 3n
          ? landedAt(chain, chain.manager.filters.FacilityClosed(BigInt(facilityId)))
          : NOT_YET,
      build: ({ facilityId }) => chain.manager.close.populateTransaction(BigInt(facilityId)),
      onConfirmed: hook("CLOSE"),
    },
    {
      kind: JOB.WITHDRAW,
      // Keyed by the facility's withdrawn total after this withdrawal: found once the chain's total reaches it.
      locate: async ({ facilityId, withdrawnAfter }: { facilityId: string; withdrawnAfter: string }) =>
        (await chain.manager.facility(BigInt(facilityId))).withdrawn >= BigInt(withdrawnAfter)
          ? landedAt(chain, chain.manager.filters.FundsWithdrawn(BigInt(facilityId)))
          : NOT_YET,
      build: ({ facilityId, amount, to }) =>
        chain.manager.withdraw.populateTransaction(BigInt(facilityId), BigInt(amount), to),
      onConfirmed: hook("WITHDRAW"),
    },
  ];
  return handlers;
}
