/**
 * The outbox's lanes (server/outbox/lanes.ts) over a chain that mines every transaction it is sent in a block of its
 * own, checking nonces as a node does: a freeze is never queued behind bulk work, each account's nonces stay gap-free,
 * and rows signed before lanes existed still count for the node's signer.
 */
import { expect } from "chai";
import { Network, Transaction, Wallet, ZeroAddress } from "ethers";
import pino from "pino";
import type { Chain } from "../../server/chain/chain";
import { createMetrics } from "../../server/http/metrics";
import { orderedId } from "../../server/ids";
import { JOB } from "../../server/outbox/jobs";
import { CONTROL_KINDS, LANE, RELAY_KINDS, laneOf } from "../../server/outbox/lanes";
import { createOutbox, type JobHandler } from "../../server/outbox/outbox";
import { BATCH_ATTEST } from "../../server/verification/batch-verdicts";
import { ATTEST, REGISTER_LEAF, REVOKE } from "../../server/verification/verifier";
import { createTestDatabase, type TestDatabase } from "../helpers/databases";

interface Mined {
  kind: string;
  sender: string;
  nonce: number;
  block: number;
}

/** A chain node in miniature: every broadcast is mined at once, in its own block, if its nonce is the sender's next. */
function miniChain(signer: Wallet) {
  const mined: Mined[] = [];
  const receipts = new Map<string, { status: number; hash: string; blockNumber: number }>();
  const counts = new Map<string, number>();
  // A round trip to the node: each call yields to the event loop, as network I/O does.
  const rpc = () => new Promise((resolve) => setTimeout(resolve, 1));
  const provider = {
    getNetwork: async () => Network.from(31337n),
    getFeeData: async () => ({ gasPrice: 1n, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n }),
    estimateGas: async () => 50_000n,
    getBlockNumber: async () => mined.length,
    getTransactionCount: async (address: string) => (await rpc(), counts.get(address) ?? 0),
    getTransactionReceipt: async (hash: string) => (await rpc(), receipts.get(hash) ?? null),
    broadcastTransaction: async (raw: string) => {
      await rpc();
      const tx = Transaction.from(raw);
      const next = counts.get(tx.from!) ?? 0;
      if (tx.nonce < next) throw new Error("nonce too low");
      if (tx.nonce > next) throw new Error(`nonce gap: ${tx.nonce} sent, ${next} expected`);
      counts.set(tx.from!, next + 1);
      const block = mined.length + 1;
      mined.push({
        kind: tx.data === "0x01" ? JOB.FREEZE : tx.data === "0x02" ? ATTEST : "ANCHOR",
        sender: tx.from!,
        nonce: tx.nonce,
        block,
      });
      receipts.set(tx.hash!, { status: 1, hash: tx.hash!, blockNumber: block });
    },
  };
  const connected = signer.connect(provider as never);
  return { chain: { signer: connected, provider } as unknown as Chain, mined, provider, counts };
}

/** Handlers whose transactions say which kind they are (0x01 freeze, 0x02 attestation, 0x03 anything else). */
const handler = (kind: string, data: string): JobHandler<unknown> => ({
  kind,
  locate: async () => undefined,
  build: async () => ({ to: ZeroAddress, data }),
  onConfirmed: async () => undefined,
});
const HANDLERS = [handler(JOB.FREEZE, "0x01"), handler(ATTEST, "0x02"), handler("ANCHOR", "0x03")];

async function queue(db: TestDatabase, kind: string, count: number, prefix: string) {
  for (let from = 0; from < count; from += 500) {
    const rows = Array.from({ length: Math.min(500, count - from) }, (_, i) => ({
      id: orderedId(),
      key: `${prefix}:${from + i}`,
      kind,
      lane: laneOf(kind),
      payload: "{}",
    }));
    await db.prisma.outboxJob.createMany({ data: rows });
  }
}

/** An outbox over `chain` with the test handlers, polling every 20 ms; `relaySigner` as a node passes its verifier. */
const outboxOn = (db: TestDatabase, chain: Chain, relaySigner?: Wallet) =>
  createOutbox({
    db,
    chain,
    logger: pino({ level: "silent" }),
    metrics: createMetrics("regulator"),
    handlers: HANDLERS,
    confirmations: 0,
    pollIntervalMs: 20,
    receiptTimeoutMs: 0,
    relaySigner,
  });

describe("the outbox's lanes", function () {
  this.timeout(120_000);
  const signer = new Wallet(Wallet.createRandom().privateKey);
  const verifier = new Wallet(Wallet.createRandom().privateKey);
  let db: TestDatabase;

  beforeEach(async function () {
    db = await createTestDatabase("sqlite");
  });

  afterEach(async function () {
    await db?.drop();
  });

  it("puts freezes and unfreezes in CONTROL and the verifiers' relays in RELAY, as the nodes name those jobs", function () {
    expect(CONTROL_KINDS).to.deep.equal([JOB.FREEZE, JOB.UNFREEZE]);
    expect(RELAY_KINDS).to.deep.equal([REGISTER_LEAF, ATTEST, REVOKE, BATCH_ATTEST]);
    expect(
      [JOB.FREEZE, JOB.UNFREEZE, ATTEST, REGISTER_LEAF, REVOKE, BATCH_ATTEST, JOB.EXECUTE_PAYMENT].map(laneOf),
    ).to.deep.equal([LANE.CONTROL, LANE.CONTROL, LANE.RELAY, LANE.RELAY, LANE.RELAY, LANE.RELAY, LANE.MAIN]);
  });

  describe("when thousands of attestations are queued and a freeze arrives", function () {
    it("sends the freeze from the signer's own account at once, while the relays go on from the verifier's", async function () {
      const { chain, mined } = miniChain(signer);
      const outbox = outboxOn(db, chain, verifier);
      await queue(db, ATTEST, 5_000, "attest");
      outbox.start();
      try {
        while (mined.length < 20) await new Promise((resolve) => setTimeout(resolve, 10));
        const before = mined.length;
        await db.prisma.$transaction((tx) =>
          outbox.enqueue(tx, { key: "spot-check-freeze:1", kind: JOB.FREEZE, payload: {} }),
        );
        outbox.poke();
        const landed = await outbox.waitFor("spot-check-freeze:1", 10_000);
        expect(landed, "the freeze landed").to.not.equal(undefined);
        const freeze = mined.find((m) => m.kind === JOB.FREEZE)!;
        const pending = await db.prisma.outboxJob.count({ where: { kind: ATTEST, status: "PENDING" } });
        console.log(
          `      freeze mined ${freeze.block - before} block(s) after it was queued, ${pending} attestations still queued`,
        );
        expect(freeze).to.deep.include({ sender: signer.address, nonce: 0 });
        // Every transaction is a block of its own here, so the relays the verifier's worker has in flight (one window,
        // 16) may be mined before it; on a real chain they share blocks (test/reliability/controls.test.ts: 2 blocks).
        expect(freeze.block - before).to.be.at.most(16 + 2);
        expect(pending).to.be.above(4_900);
        const relays = mined.filter((m) => m.kind === ATTEST);
        expect(relays.every((m) => m.sender === verifier.address)).to.equal(true);
        expect(relays.map((m) => m.nonce)).to.deep.equal(relays.map((_, i) => i));
      } finally {
        await outbox.stop();
      }
    });
  });

  describe("when the relays share the signer's account (no verifier account configured)", function () {
    it("sends a freeze queued behind bulk work next, with the account's nonces gap-free", async function () {
      const { chain, mined } = miniChain(signer);
      const outbox = outboxOn(db, chain);
      await queue(db, "ANCHOR", 30, "anchor");
      await queue(db, ATTEST, 30, "attest");
      await queue(db, JOB.FREEZE, 1, "freeze");
      await outbox.drain();
      expect(mined.map((m) => m.kind).slice(0, 2)).to.deep.equal([JOB.FREEZE, "ANCHOR"]);
      // MAIN and RELAY keep their creation order between them, as before lanes.
      expect(mined.slice(1).map((m) => m.kind)).to.deep.equal([...Array(30).fill("ANCHOR"), ...Array(30).fill(ATTEST)]);
      expect(mined.map((m) => m.nonce)).to.deep.equal(mined.map((_, i) => i));
      expect(new Set(mined.map((m) => m.sender))).to.deep.equal(new Set([signer.address]));
    });
  });

  describe("when rows signed before lanes existed hold nonces", function () {
    it("counts them for the node's signer only, never for the verifier's account", async function () {
      const { chain, mined, provider, counts } = miniChain(signer);
      counts.set(signer.address, 5);
      // Nonces 0–4 of the signer were spent by jobs recorded without a sender; the chain node lags and says 0.
      await db.prisma.outboxJob.createMany({
        data: [0, 1, 2, 3, 4].map((nonce) => ({
          id: orderedId(),
          key: `old:${nonce}`,
          kind: ATTEST,
          payload: "{}",
          status: "CONFIRMED",
          nonce,
        })),
      });
      const outbox = outboxOn(db, chain, verifier);
      provider.getTransactionCount = async (address: string) =>
        address === signer.address ? 0 : mined.filter((m) => m.sender === address).length;
      await queue(db, ATTEST, 2, "attest");
      await queue(db, JOB.FREEZE, 1, "freeze");
      await outbox.drain().catch(() => undefined);
      const freeze = await db.prisma.outboxJob.findUniqueOrThrow({ where: { key: "freeze:0" } });
      expect(freeze).to.include({ nonce: 5, sender: signer.address });
      const relays = await db.prisma.outboxJob.findMany({ where: { key: { startsWith: "attest:" } } });
      expect(relays.map((r) => [r.nonce, r.sender, r.status])).to.deep.equal([
        [0, verifier.address, "CONFIRMED"],
        [1, verifier.address, "CONFIRMED"],
      ]);
    });
  });

  describe("when the node crashed between signing a relay and hearing of it", function () {
    /** A relay signed by the verifier's account and stored, as the outbox stores it before it broadcasts. */
    async function signedRelay(chain: Chain) {
      const tx = await verifier
        .connect(chain.provider)
        .populateTransaction({ to: ZeroAddress, data: "0x02", nonce: 0 });
      const rawTx = await verifier.signTransaction(tx);
      const row = {
        id: orderedId(),
        key: "attest:crashed",
        kind: ATTEST,
        lane: laneOf(ATTEST),
        payload: "{}",
        status: "SENT",
        rawTx,
        txHash: Transaction.from(rawTx).hash!,
        nonce: 0,
        sender: verifier.address,
      };
      await db.prisma.outboxJob.create({ data: row });
      return row;
    }

    it("broadcasts the stored bytes once when they never left, and sends nothing more when they had landed", async function () {
      for (const broadcastBeforeCrash of [false, true]) {
        await db.prisma.outboxJob.deleteMany();
        const { chain, mined, provider, counts } = miniChain(signer);
        // The signer's account is further on: only the relay's own account says whether its nonce is spent.
        counts.set(signer.address, 5);
        const row = await signedRelay(chain);
        if (broadcastBeforeCrash) await provider.broadcastTransaction(row.rawTx);
        await outboxOn(db, chain, verifier).drain();
        const after = await db.prisma.outboxJob.findUniqueOrThrow({ where: { key: row.key } });
        expect(after, `broadcast before the crash: ${broadcastBeforeCrash}`).to.include({
          status: "CONFIRMED",
          txHash: row.txHash,
          nonce: 0,
        });
        expect(mined, `broadcast before the crash: ${broadcastBeforeCrash}`).to.have.length(1);
        expect(mined[0]).to.include({ sender: verifier.address, nonce: 0 });
      }
    });
  });
});
