import { getAddress, keccak256 } from "ethers";
import type { Logger } from "pino";
import { fenToCny } from "../audit/money";
import type { Principal } from "../auth/roles";
import type { Chain } from "../chain/chain";
import {
  orderRequest,
  signersOf,
  type OrderKind,
  type OrderRequest,
  type OrderSignatures,
} from "../chain/payer-orders";
import type { Database } from "../db/client";
import { conflict, unprocessable } from "../errors";
import type { Outbox } from "../outbox/outbox";
import { JOB } from "../outbox/jobs";
import { chainWrite } from "../outbox/wait";

const cny = (fen: bigint) => `${fenToCny(fen)} CNY`;
const STATUS = ["NONE", "ACTIVE", "FROZEN", "CLOSED"] as const;
/** How long a prepared order may wait for its payer's signatures, in seconds of chain time. */
const ORDER_LIFETIME = 3_600n;

/**
 * The end of a loan: the borrower's repayments and the fiscal account's subsidy payments (each on the payer's own
 * signed order, relayed by the bank node: see server/chain/payer-orders.ts), closing once nothing is owed, and
 * withdrawals of a facility's balance to the treasury governance set. Every write is an outbox job; every figure is
 * read from the chain at one block.
 */
export function createSettlement({
  db,
  chain,
  outbox,
  waitMs,
  logger,
  known,
}: {
  db: Database;
  chain: Chain;
  outbox: Outbox;
  waitMs: number;
  logger: Logger;
  /** Throws the facility's 404 when the bank node does not know it (its row). */
  known: (facilityId: bigint) => Promise<unknown>;
}) {
  /** The latest block, asked for raw: the provider caches "latest" between its polls, and a statement must not lag. */
  async function latestBlock() {
    const block = (await chain.reads.provider.send("eth_getBlockByNumber", ["latest", false])) as {
      number: string;
      timestamp: string;
    };
    return { number: Number(BigInt(block.number)), timestamp: Number(BigInt(block.timestamp)) };
  }

  /** What is owed by whom at the latest block: the chain's views, read at one block, with that block's time. */
  async function position(facilityId: bigint) {
    await known(facilityId);
    const block = await latestBlock();
    const at = { blockTag: block.number };
    const manager = chain.reads.manager;
    const [state, [principal, interestDue], subsidyDue, treasury] = await Promise.all([
      manager.facility(facilityId, at),
      manager.outstanding(facilityId, at),
      manager.subsidyDue(facilityId, at),
      manager.treasury(at),
    ]);
    return {
      block: { number: block.number, timestamp: block.timestamp },
      state,
      principal,
      interestDue,
      subsidyDue,
      treasury,
    };
  }
  type Position = Awaited<ReturnType<typeof position>>;

  const payerOf = (kind: OrderKind, p: Position) =>
    kind === "REPAYMENT" ? p.state.borrower : getAddress(chain.deployment.roles.fiscal);

  /** Refuses an amount the chain would refuse, with the figures: more than owed, more subsidy than due. */
  function checkAmount(kind: OrderKind, facilityId: bigint, amount: bigint, p: Position) {
    if (amount <= 0n) throw unprocessable("zero_amount", "the amount must be more than 0 fen");
    if (kind === "REPAYMENT") {
      const owed = p.principal + p.interestDue;
      if (amount > owed)
        throw unprocessable(
          "repayment_exceeds_debt",
          `facility ${facilityId} is owed ${cny(owed)} by its borrower (principal ${cny(p.principal)}, interest ${cny(p.interestDue)}); ${cny(amount)} is more than that`,
          { owed: owed.toString() },
        );
    } else if (amount > p.subsidyDue) {
      throw unprocessable(
        "subsidy_exceeds_due",
        `the subsidy due from the fiscal account on facility ${facilityId} is ${cny(p.subsidyDue)}; ${cny(amount)} is more than that`,
        { due: p.subsidyDue.toString() },
      );
    }
  }

  /** What is owed (REPAYMENT) or due (SUBSIDY) at the position's block. */
  const owedNow = (kind: OrderKind, p: Position) => (kind === "REPAYMENT" ? p.principal + p.interestDue : p.subsidyDue);

  /**
   * The ceiling of an order "in full": what is owed now plus the most interest can add while the order may wait (the
   * subsidy never exceeds the interest), so what is owed when it lands is paid exactly.
   */
  function ceilingOf(kind: OrderKind, facilityId: bigint, p: Position): bigint {
    const owed = owedNow(kind, p);
    if (owed === 0n)
      throw unprocessable(
        "nothing_owed",
        kind === "REPAYMENT"
          ? `facility ${facilityId} owes nothing: there is nothing to repay`
          : `no subsidy is due on facility ${facilityId}`,
      );
    const growth = (p.principal * p.state.rateBps * ORDER_LIFETIME) / (10_000n * 360n * 86_400n) + 1n;
    return owed + growth;
  }

  /**
   * The order and permit for the payer to sign, with its nonces as the chain has them now. `inFull`: `amount` is a
   * ceiling (by default what is owed now and what may accrue before the order expires), and what is owed (due) when
   * it lands is paid.
   */
  async function prepare(
    kind: OrderKind,
    facilityId: bigint,
    asked: { amount?: bigint; inFull?: boolean },
    deadline?: bigint,
  ) {
    const p = await position(facilityId);
    const inFull = asked.inFull ?? false;
    const amount = asked.amount ?? (inFull ? ceilingOf(kind, facilityId, p) : 0n);
    if (!inFull) checkAmount(kind, facilityId, amount, p);
    else if (amount <= 0n) throw unprocessable("zero_amount", "the amount must be more than 0 fen");
    const payer = payerOf(kind, p);
    const [[, name, version, tokenChainId, tokenAddress], managerNonce, tokenNonce] = await Promise.all([
      chain.token.eip712Domain(),
      chain.manager.nonces(payer),
      chain.token.nonces(payer),
    ]);
    return orderRequest({
      kind,
      payer,
      facilityId,
      amount,
      inFull,
      deadline: deadline ?? BigInt(p.block.timestamp) + ORDER_LIFETIME,
      manager: { address: await chain.manager.getAddress(), chainId: chain.chainId, nonce: managerNonce },
      token: { name, version, chainId: tokenChainId, address: tokenAddress, nonce: tokenNonce },
    });
  }

  /**
   * Relays the payer's signed order through the outbox. The node checks what the contract will check (the order and
   * the permit are the payer's, the amount is owed or due, the payer holds it), so a refusal comes back as a 4xx
   * naming the problem instead of a failed transaction; the contract checks it all again.
   */
  async function relay(
    principal: Principal,
    kind: OrderKind,
    facilityId: bigint,
    body: { amount: bigint; inFull?: boolean; deadline: bigint } & OrderSignatures,
  ) {
    const request = await prepare(kind, facilityId, { amount: body.amount, inFull: body.inFull }, body.deadline);
    const who = kind === "REPAYMENT" ? "the facility's borrower" : "the fiscal account";
    const signers = signersOf(request, body);
    if (signers.order !== request.payer || signers.permit !== request.payer) {
      throw unprocessable(
        "payer_signature_invalid",
        `the ${kind === "REPAYMENT" ? "repayment" : "subsidy payment"} must be signed by ${who} ${request.payer}: the order is signed by ${signers.order ?? "nobody"}, the permit by ${signers.permit ?? "nobody"} (an order prepared before another of the payer's orders landed must be prepared and signed again)`,
      );
    }
    if (BigInt((await latestBlock()).timestamp) > body.deadline)
      throw unprocessable(
        "order_expired",
        `the signed order expired at ${new Date(Number(body.deadline) * 1000).toISOString()}: prepare it again`,
      );
    const held = await chain.token.balanceOf(request.payer);
    const needed = body.inFull ? owedNow(kind, await position(facilityId)) : body.amount;
    if (held < needed)
      throw unprocessable(
        "payer_insufficient_balance",
        `${who} ${request.payer} holds ${cny(held)}; the ${kind === "REPAYMENT" ? "repayment" : "subsidy payment"} needs ${cny(needed)}`,
      );
    // One job per signed order: the same order sent twice is one write; another order of the same nonce is its own
    // job, which the chain refuses (the nonce is used) instead of it being answered with the first one's transaction.
    const key = `${kind === "REPAYMENT" ? "repay" : "subsidy"}:${request.payer}:${request.order.message.nonce}:${keccak256(body.orderSignature).slice(2, 18)}`;
    await db.prisma.$transaction(async (tx) => {
      await outbox.enqueue(tx, {
        key,
        kind: kind === "REPAYMENT" ? JOB.REPAY : JOB.PAY_SUBSIDY,
        payload: {
          request,
          signatures: { orderSignature: body.orderSignature, permitSignature: body.permitSignature },
        },
      });
    });
    logger.info(
      { facilityId: facilityId.toString(), kind, amount: body.amount.toString(), by: principal.label },
      "payer's order relayed",
    );
    const landed = await chainWrite(outbox, key, waitMs);
    return {
      txHash: landed?.txHash ?? null,
      payer: request.payer,
      amount: body.amount.toString(),
      inFull: request.inFull,
    };
  }

  return {
    position,
    prepare,
    repay: (principal: Principal, facilityId: bigint, body: Parameters<typeof relay>[3]) =>
      relay(principal, "REPAYMENT", facilityId, body),
    paySubsidy: (principal: Principal, facilityId: bigint, body: Parameters<typeof relay>[3]) =>
      relay(principal, "SUBSIDY", facilityId, body),

    /** Closes a facility that owes nothing and is not frozen (the subsidy may still come after). */
    async close(principal: Principal, facilityId: bigint) {
      const p = await position(facilityId);
      const status = STATUS[Number(p.state.status)];
      if (status === "CLOSED") throw conflict("facility_is_closed", `facility ${facilityId} is already closed`);
      if (status === "FROZEN")
        throw conflict(
          "facility_is_frozen",
          `facility ${facilityId} is frozen: it cannot be closed until the bank and the regulator unfreeze it`,
        );
      if (p.principal !== 0n || p.interestDue !== 0n)
        throw conflict(
          "outstanding_debt",
          `facility ${facilityId} still owes ${cny(p.principal + p.interestDue)} (principal ${cny(p.principal)}, interest ${cny(p.interestDue)}): it can be closed once that is repaid`,
          { principal: p.principal.toString(), interestDue: p.interestDue.toString() },
        );
      const key = `close:${facilityId}`;
      await db.prisma.$transaction(async (tx) => {
        await outbox.enqueue(
          tx,
          { key, kind: JOB.CLOSE, payload: { facilityId: facilityId.toString() } },
          { retryFailed: true },
        );
      });
      logger.info({ facilityId: facilityId.toString(), by: principal.label }, "facility closing requested");
      const landed = await chainWrite(outbox, key, waitMs);
      return { txHash: landed?.txHash ?? null };
    },

    /** Withdraws `amount` (default: the whole balance) of a facility that is not frozen to the treasury. */
    async withdraw(principal: Principal, facilityId: bigint, asked?: bigint) {
      const p = await position(facilityId);
      if (STATUS[Number(p.state.status)] === "FROZEN")
        throw conflict("facility_is_frozen", `facility ${facilityId} is frozen: its money does not move`);
      if (BigInt(p.treasury) === 0n)
        throw conflict("treasury_not_set", "governance has not set a treasury: withdrawals have nowhere to go");
      const amount = asked ?? p.state.balance;
      if (amount <= 0n) throw unprocessable("zero_amount", `facility ${facilityId} holds nothing to withdraw`);
      if (amount > p.state.balance)
        throw unprocessable(
          "insufficient_funds",
          `facility ${facilityId} holds ${cny(p.state.balance)}; ${cny(amount)} cannot be withdrawn`,
          { balance: p.state.balance.toString() },
        );
      const withdrawnAfter = p.state.withdrawn + amount;
      const key = `withdraw:${facilityId}:${withdrawnAfter}`;
      await db.prisma.$transaction(async (tx) => {
        await outbox.enqueue(tx, {
          key,
          kind: JOB.WITHDRAW,
          payload: {
            facilityId: facilityId.toString(),
            amount: amount.toString(),
            to: p.treasury,
            withdrawnAfter: withdrawnAfter.toString(),
          },
        });
      });
      logger.info(
        { facilityId: facilityId.toString(), amount: amount.toString(), by: principal.label },
        "withdrawal requested",
      );
      const landed = await chainWrite(outbox, key, waitMs);
      return { txHash: landed?.txHash ?? null, amount: amount.toString(), to: p.treasury };
    },
  };
}

export type Settlement = ReturnType<typeof createSettlement>;
export type { OrderRequest };
