/**
 * The outbox's window (server/outbox/window.ts) against a real Hardhat JSON-RPC node with automatic mining off, so the
 * test decides when a block comes: several transactions of one account in flight with consecutive nonces, a crash in
 * the middle of a window, a transaction reverted in the middle of one, and a freeze queued behind bulk work.
 *
 * The jobs pay tokens out of an allowance (SettlementToken.transferFrom), so what landed is read back from balances
 * (each job exactly once), and the allowance's owner can make a signed transaction revert when it is mined.
 */
import { expect } from "chai";
import { JsonRpcProvider, Network, Wallet, parseEther } from "ethers";
import pino from "pino";
import type { Chain } from "../../server/chain/chain";
import { createMetrics } from "../../server/http/metrics";
import { ATTEST } from "../../server/verification/verifier";
import { orderedId } from "../../server/ids";
import { JOB } from "../../server/outbox/jobs";
import { laneOf } from "../../server/outbox/lanes";
import { createOutbox, type JobHandler } from "../../server/outbox/outbox";
import { startChainNode, type ChainNode } from "../../scripts/lib/chain-node";
import { freePort } from "../../scripts/bench/lib/system";
import { SettlementToken__factory, type SettlementToken } from "../../typechain-types";
import { createTestDatabase, type TestDatabase } from "../helpers/databases";

/** Hardhat's first default account: funded on every `hardhat node`. */
const FUNDER = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const PAY = "PAY";

describe("the outbox's window (a real Hardhat node)", function () {
  this.timeout(180_000);
  let node: ChainNode;
  let provider: JsonRpcProvider;
  let token: SettlementToken;
  let db: TestDatabase;
  let signer: Wallet;

  const rpc = (method: string, params: unknown[] = []) => provider.send(method, params);
  const mine = () => rpc("evm_mine");

  before(async function () {
    node = await startChainNode({ kind: "hardhat", port: await freePort() });
    provider = new JsonRpcProvider(node.url, Network.from(31337n), {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
    const funder = new Wallet(FUNDER, provider);
    token = await new SettlementToken__factory(funder).deploy(funder.address);
    await token.waitForDeployment();
    await (await token.mint(funder.address, 1_000_000n)).wait();
  });

  after(async function () {
    await node?.stop();
  });

  beforeEach(async function () {
    db = await createTestDatabase("sqlite");
    // A fresh account per test: its nonces start at 0. It may pay out 100 tokens (fen) of the funder's, and has gas.
    await rpc("evm_setAutomine", [true]);
    const funder = new Wallet(FUNDER, provider);
    signer = new Wallet(Wallet.createRandom().privateKey, provider);
    await (await funder.sendTransaction({ to: signer.address, value: parseEther("10") })).wait();
    await (await token.connect(funder).approve(signer.address, 100n)).wait();
    await rpc("evm_setAutomine", [false]);
  });

  afterEach(async function () {
    await rpc("evm_setAutomine", [true]);
    await db?.drop();
  });

  /** Pays `amount` to `to` from the allowance; FREEZE jobs pay too (their kind puts them in the CONTROL lane). */
  const transfer = (kind: string): JobHandler<{ to: string; amount: string }> => ({
    kind,
    locate: async () => undefined,
    build: (payload) =>
      token
        .connect(signer)
        .transferFrom.populateTransaction(new Wallet(FUNDER).address, payload.to, BigInt(payload.amount)),
    onConfirmed: async () => undefined,
  });

  const outboxOf = (window = 16) =>
    createOutbox({
      db,
      chain: { signer, provider } as unknown as Chain,
      logger: pino({ level: "silent" }),
      metrics: createMetrics("bank"),
      handlers: [transfer(PAY), transfer(JOB.FREEZE), transfer(ATTEST)],
      confirmations: 0,
      pollIntervalMs: 10,
      receiptTimeoutMs: 60_000,
      window,
    });

  /** Queues payments of `amounts` (in creation order) to fresh addresses; returns the addresses. */
  async function queuePayments(amounts: number[], kind = PAY): Promise<string[]> {
    const payees = amounts.map(() => Wallet.createRandom().address);
    for (const [i, amount] of amounts.entries()) {
      await db.prisma.outboxJob.create({
        data: {
          id: orderedId(),
          key: `${kind}:${payees[i]}`,
          kind,
          lane: laneOf(kind),
          payload: JSON.stringify({ to: payees[i], amount: String(amount) }),
        },
      });
    }
    return payees;
  }

  const rows = () => db.prisma.outboxJob.findMany({ orderBy: { id: "asc" } });
  const balances = (payees: string[]) => Promise.all(payees.map((p) => token.balanceOf(p)));

  it("keeps up to a window of transactions in flight with consecutive nonces, mined in one block", async function () {
    const payees = await queuePayments(Array(10).fill(1));
    const outbox = outboxOf(4);
    await outbox.processNext();
    let sent = (await rows()).filter((r) => r.status === "SENT");
    expect(sent.map((r) => r.nonce)).to.deep.equal([0, 1, 2, 3]);
    expect(await provider.getTransactionCount(signer.address, "pending")).to.equal(4);

    await mine();
    await outbox.processNext(); // confirms the four, sends the next four
    sent = (await rows()).filter((r) => r.status === "SENT");
    expect(sent.map((r) => r.nonce)).to.deep.equal([4, 5, 6, 7]);
    await mine();
    await outbox.processNext();
    await mine();
    await outbox.drain();

    const all = await rows();
    expect(all.map((r) => r.status)).to.deep.equal(Array(10).fill("CONFIRMED"));
    expect(all.map((r) => r.nonce)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const blocks = await Promise.all(
      all.map(async (r) => (await provider.getTransactionReceipt(r.txHash!))!.blockNumber),
    );
    expect(new Set(blocks).size, "three blocks for ten transactions in windows of four").to.equal(3);
    expect(await balances(payees)).to.deep.equal(Array(10).fill(1n));
    expect(await provider.getTransactionCount(signer.address, "latest")).to.equal(10);
  });

  describe("when the node crashes in the middle of a window", function () {
    it("broadcasts the stored bytes again in nonce order on restart, and each job lands once", async function () {
      const payees = await queuePayments([1, 2, 3, 4, 5, 6]);
      await outboxOf().processNext();
      const signed = await rows();
      expect(signed.map((r) => r.nonce)).to.deep.equal([0, 1, 2, 3, 4, 5]);
      // Two of them never reached the chain node (the process died between storing and broadcasting them): nonces 1
      // and 4 are gaps, and the transactions behind each wait in the node's queue.
      for (const r of [signed[1], signed[4]]) await rpc("hardhat_dropTransaction", [r.txHash]);
      await mine();
      expect(await provider.getTransactionCount(signer.address, "latest")).to.equal(1);

      // The restarted node: a new outbox over the same rows.
      const restarted = outboxOf();
      await restarted.processNext();
      await mine();
      await restarted.processNext();
      await mine();
      await restarted.drain();

      const after = await rows();
      expect(after.map((r) => r.status)).to.deep.equal(Array(6).fill("CONFIRMED"));
      expect(after.map((r) => [r.nonce, r.txHash, r.rawTx])).to.deep.equal(
        signed.map((r) => [r.nonce, r.txHash, r.rawTx]),
      );
      expect(await balances(payees)).to.deep.equal([1n, 2n, 3n, 4n, 5n, 6n]);
      expect(await provider.getTransactionCount(signer.address, "latest"), "no other transaction").to.equal(6);
    });
  });

  describe("when a transaction reverts in the middle of a window", function () {
    it("records that job as refused and the jobs behind it land", async function () {
      const payees = await queuePayments([10, 50, 10, 5]);
      const outbox = outboxOf();
      await outbox.processNext();
      expect((await rows()).map((r) => r.nonce)).to.deep.equal([0, 1, 2, 3]);
      // Before the block, the funder cuts the allowance to 30 (a higher tip: mined first). The second job (50), signed
      // and estimated while 100 were allowed, reverts; the others fit.
      const funder = new Wallet(FUNDER, provider);
      await token
        .connect(funder)
        .approve(signer.address, 30n, { maxPriorityFeePerGas: 10n ** 10n, maxFeePerGas: 10n ** 11n });
      await mine();
      const refused = (await rows())[1];
      for (let i = 0; i < 50 && (await rows())[1].status !== "FAILED"; i++) {
        await outbox.processNext();
        await mine();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }

      const after = await rows();
      expect(after.map((r) => r.status)).to.deep.equal(["CONFIRMED", "FAILED", "CONFIRMED", "CONFIRMED"]);
      expect(after[1].lastError).to.match(/ERC20InsufficientAllowance/);
      expect(await balances(payees)).to.deep.equal([10n, 0n, 10n, 5n]);
      // Its reverted transaction spent nonce 1; the ones behind it kept theirs and landed in the same block.
      const receipt = (await provider.getTransactionReceipt(refused.txHash!))!;
      expect(receipt.status).to.equal(0);
      expect([after[0], after[2], after[3]].map((r) => r.nonce)).to.deep.equal([0, 2, 3]);
      const blocks = await Promise.all(
        [after[0], after[2], after[3]].map(async (r) => (await provider.getTransactionReceipt(r.txHash!))!.blockNumber),
      );
      expect(blocks).to.deep.equal([receipt.blockNumber, receipt.blockNumber, receipt.blockNumber]);
    });
  });

  describe("when a freeze is queued behind bulk work", function () {
    it("gives it the next nonce, ahead of every queued MAIN job", async function () {
      await queuePayments(Array(12).fill(1));
      const outbox = outboxOf(4);
      await outbox.processNext(); // four MAIN transactions in flight
      const [freezePayee] = await queuePayments([7], JOB.FREEZE);
      await mine();
      await outbox.processNext();

      const freeze = await db.prisma.outboxJob.findFirstOrThrow({ where: { kind: JOB.FREEZE } });
      expect(freeze).to.include({ status: "SENT", nonce: 4, lane: "CONTROL" });
      const queued = await db.prisma.outboxJob.count({ where: { kind: PAY, status: "PENDING" } });
      expect(queued, "MAIN jobs still queued behind it").to.equal(5);
      await mine();
      await outbox.processNext();
      expect(await token.balanceOf(freezePayee)).to.equal(7n);
      const mainBlocks = await Promise.all(
        (await db.prisma.outboxJob.findMany({ where: { kind: PAY, nonce: { gte: 5 } } })).map(
          async (r) => (await provider.getTransactionReceipt(r.txHash!))?.blockNumber ?? Infinity,
        ),
      );
      const freezeBlock = (await provider.getTransactionReceipt(freeze.txHash!))!.blockNumber;
      expect(mainBlocks.every((block) => block >= freezeBlock)).to.equal(true);
    });
  });

  describe("when a job of a sequence waits to re-check a refusal", function () {
    it("holds the later jobs of its sequence (attestations go one at a time, in turn) and no other job", async function () {
      const [first] = await queuePayments([1], ATTEST);
      await queuePayments([2], ATTEST);
      const [other] = await queuePayments([3]);
      const attests = await db.prisma.outboxJob.findMany({ where: { kind: ATTEST }, orderBy: { id: "asc" } });
      await db.prisma.outboxJob.update({
        where: { id: attests[0].id },
        data: { attempts: 1, nextRunAt: new Date(Date.now() + 60_000) },
      });
      const outbox = outboxOf();
      await outbox.processNext();
      await mine();
      await outbox.processNext();
      const after = await db.prisma.outboxJob.findMany({ orderBy: { id: "asc" } });
      expect(after.map((r) => [r.kind, r.status])).to.deep.equal([
        [ATTEST, "PENDING"],
        [ATTEST, "PENDING"],
        [PAY, "CONFIRMED"],
      ]);
      expect(await token.balanceOf(other)).to.equal(3n);

      // Once the first is due it goes, and the second once the first is mined (a handler may build from chain state
      // the first changes: an attestation signs the verifier's current EIP-712 nonce).
      await db.prisma.outboxJob.update({ where: { id: attests[0].id }, data: { nextRunAt: new Date() } });
      await outbox.processNext();
      expect((await db.prisma.outboxJob.findMany({ where: { kind: ATTEST, status: "SENT" } })).length).to.equal(1);
      await mine();
      await outbox.processNext();
      await mine();
      await outbox.processNext();
      const sent = await db.prisma.outboxJob.findMany({ where: { kind: ATTEST }, orderBy: { id: "asc" } });
      expect(sent.map((r) => [r.status, r.nonce])).to.deep.equal([
        ["CONFIRMED", 1],
        ["CONFIRMED", 2],
      ]);
      expect(await token.balanceOf(first)).to.equal(1n);
    });
  });
});
