import { expect } from "chai";
import { network } from "hardhat";
import { blockHashOfEventId, createBlockTimes, type RpcSender } from "../../../server/chain/block-times";

/** The Hardhat network's JSON-RPC, counting the headers asked for. */
function countingProvider(): RpcSender & { fetched: string[] } {
  const fetched: string[] = [];
  return {
    fetched,
    send: async (method, params) => {
      if (method === "eth_getBlockByHash") fetched.push(String(params[0]));
      return network.provider.send(method, params);
    },
  };
}

async function mine(seconds: number): Promise<{ number: string; hash: string; timestamp: number }> {
  await network.provider.send("evm_increaseTime", [seconds]);
  await network.provider.send("evm_mine", []);
  const block = await network.provider.send("eth_getBlockByNumber", ["latest", false]);
  return { number: block.number, hash: block.hash, timestamp: Number(BigInt(block.timestamp)) };
}

describe("block times (server/chain/block-times.ts)", function () {
  it("answers each block's header time, fetching a block once", async function () {
    const provider = countingProvider();
    const times = createBlockTimes(provider);
    const a = await mine(10);
    const b = await mine(20);
    expect(await times.of(a.hash)).to.equal(a.timestamp);
    expect(Object.fromEntries(await times.many([a.hash, b.hash, b.hash]))).to.deep.equal({
      [a.hash]: a.timestamp,
      [b.hash]: b.timestamp,
    });
    expect(provider.fetched).to.deep.equal([a.hash, b.hash]);
  });

  describe("when a block is reorganised away", function () {
    it("answers the new block of the same number with its own time, never the old one's", async function () {
      const times = createBlockTimes(countingProvider());
      const snapshot = await network.provider.send("evm_snapshot", []);
      const before = await mine(1_000);
      expect(await times.of(before.hash)).to.equal(before.timestamp);
      await network.provider.send("evm_revert", [snapshot]);
      const after = await mine(5_000);
      expect(after.number).to.equal(before.number);
      expect(after.hash).to.not.equal(before.hash);
      expect(await times.of(after.hash))
        .to.equal(after.timestamp)
        .and.not.equal(before.timestamp);
      // Each block keeps its own time under its own hash.
      expect(await times.of(before.hash)).to.equal(before.timestamp);
    });
  });

  describe("when more blocks are read than it keeps", function () {
    it("keeps at most maxCached, dropping the least recently used", async function () {
      const provider = countingProvider();
      const times = createBlockTimes(provider, { maxCached: 2 });
      const [a, b, c] = [await mine(1), await mine(1), await mine(1)];
      await times.of(a.hash);
      await times.of(b.hash);
      await times.of(a.hash); // a is now the most recently used
      await times.of(c.hash); // drops b
      expect(times.size()).to.equal(2);
      provider.fetched.length = 0;
      await times.of(a.hash);
      await times.of(c.hash);
      expect(provider.fetched).to.deep.equal([]);
      await times.of(b.hash);
      expect(provider.fetched).to.deep.equal([b.hash]);
      expect(times.size()).to.equal(2);
    });
  });

  it("refuses a block the node does not have", async function () {
    const times = createBlockTimes(countingProvider());
    const unknown = `0x${"cd".repeat(32)}`;
    expect(await times.at(unknown)).to.equal(undefined);
    await expect(times.of(unknown)).to.be.rejectedWith(/has no block/);
  });

  it("reads the block hash of an indexed event's id, and nothing else", function () {
    const hash = `0x${"ab".repeat(32)}`;
    expect(blockHashOfEventId(`${hash}:7`)).to.equal(hash);
    expect(blockHashOfEventId("7")).to.equal(undefined);
    expect(blockHashOfEventId(`${hash}`)).to.equal(undefined);
  });
});
