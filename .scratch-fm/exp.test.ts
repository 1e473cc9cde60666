import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { registeredPayeesFixture } from "../test/helpers/fixtures";
import { buildFacility, verifiedEvidence, anchorEvidence } from "../test/helpers/factories";
import { Kind } from "../test/helpers/constants";

describe("exp", function () {
  it("works", async function () {
    const fx = await loadFixture(registeredPayeesFixture);
    const id = await buildFacility(fx, { fund: 10n ** 12n });
    const ev = await verifiedEvidence(fx, id, Kind.INSPECTION_REPORT);
    const t0 = await time.latest();
    await time.setNextBlockTimestamp(t0 + 10);
    await fx.manager.executePayment(id, 1, ev);
    console.log("after pay", await time.latest());
    await time.increaseTo(t0 + 10 + 86400);
    const st = await fx.manager.facility(id);
    console.log("latest", await time.latest(), "lastAccrual", st.lastAccrual, "interest", st.interestAccrued, "principal", st.principal);
    // expected at latest
    const D = 10_000n * 360n * 86_400n;
    console.log("exp@latest", (st.principal * 435n * 86400n) / D, "exp@+1", (st.principal * 435n * 86401n) / D);
    await fx.token.mint(fx.bank.address, 10n**15n); await fx.token.approve(await fx.manager.getAddress(), ethers.MaxUint256);
    {
      const D2 = 10_000n * 360n * 86_400n;
      const s2 = await fx.manager.facility(id); const L = BigInt(await time.latest());
      for (const dt of [0n, 1n, 2n]) console.log("dt", dt, (s2.principal * 435n * (L + dt - s2.lastAccrual)) / D2);
      console.log("view", s2.interestAccrued);
    }
    // revert shapes
    await fx.payees.deactivatePayee(fx.lab.address, ethers.ZeroHash);
    const bn0 = await ethers.provider.getBlockNumber();
    try {
      await fx.manager.executePayment(id, 1, ev);
    } catch (e: any) {
      console.log("err keys", Object.keys(e), e.data, e.message.slice(0, 200));
    }
    console.log("blocks mined by failing default tx", (await ethers.provider.getBlockNumber()) - bn0);
    const ev2 = await anchorEvidence(fx, id, Kind.PURCHASE_CONTRACT);
    const bn = await ethers.provider.getBlockNumber();
    try {
      await fx.manager.executePayment(id, 0, [ev2], { gasLimit: 3_000_000 });
    } catch (e: any) {
      console.log("err2 keys", Object.keys(e), e.data, e.message.slice(0, 200));
    }
    console.log("blocks mined by failing gasLimit tx", (await ethers.provider.getBlockNumber()) - bn);
    // timing
    let t = Date.now();
    for (let i = 0; i < 50; i++) await fx.manager.facility(id);
    console.log("view ms", (Date.now() - t) / 50);
    t = Date.now();
    for (let i = 0; i < 50; i++) await (await fx.manager.fund(id, 1n)).wait();
    console.log("tx ms", (Date.now() - t) / 50);
    t = Date.now();
    for (let i = 0; i < 50; i++) await (await fx.manager.fund(id, 1n, { gasLimit: 500_000 })).wait();
    console.log("tx gasLimit ms", (Date.now() - t) / 50);
    t = Date.now();
    for (let i = 0; i < 50; i++) await loadFixture(registeredPayeesFixture);
    console.log("loadFixture ms", (Date.now() - t) / 50);
    t = Date.now();
    for (let i = 0; i < 50; i++) await fx.bankVerifier.signTypedData({ name: "x", version: "1", chainId: 31337 }, { A: [{ name: "a", type: "uint256" }] }, { a: i });
    console.log("sign ms", (Date.now() - t) / 50);
    const w = new ethers.Wallet("0x" + "11".repeat(32));
    t = Date.now();
    for (let i = 0; i < 50; i++) await w.signTypedData({ name: "x", version: "1", chainId: 31337 }, { A: [{ name: "a", type: "uint256" }] }, { a: i });
    console.log("wallet sign ms", (Date.now() - t) / 50);
  });
});
