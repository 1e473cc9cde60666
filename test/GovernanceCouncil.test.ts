import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployFixture, GOVERNANCE_DELAY } from "./helpers/fixtures";
import { approveOperation, executeOperation } from "../scripts/lib/governance";

const NO_SALT = ethers.ZeroHash;

/** The deployed council and one operation to govern with: set the evidence threshold to 1. */
async function councilFixture() {
  const fx = await deployFixture();
  const calls = [
    {
      target: await fx.evidence.getAddress(),
      data: fx.evidence.interface.encodeFunctionData("setThreshold", [1]),
    },
  ];
  const batch: [string[], bigint[], string[], string] = [[calls[0].target], [0n], [calls[0].data], NO_SALT];
  const id = await fx.council.operationId(...batch);
  return { ...fx, calls, batch, id };
}

describe("GovernanceCouncil", () => {
  describe("when deployed", () => {
    it("has the two institutions' governance keys as members, a threshold of 2 and the timelock", async () => {
      const fx = await loadFixture(councilFixture);
      expect(await fx.council.members()).to.deep.equal([fx.bankGovernance.address, fx.regulatorGovernance.address]);
      expect(await fx.council.threshold()).to.equal(2n);
      expect(await fx.council.timelock()).to.equal(await fx.timelock.getAddress());
      expect(await fx.timelock.getMinDelay()).to.equal(BigInt(GOVERNANCE_DELAY));
    });
  });

  describe("when members approve", () => {
    it("emits OperationApproved and schedules only at the threshold, ready after the delay", async () => {
      const fx = await loadFixture(councilFixture);
      await expect(fx.council.connect(fx.bankGovernance).approve(...fx.batch))
        .to.emit(fx.council, "OperationApproved")
        .withArgs(fx.id, fx.bankGovernance.address, 1n)
        .and.not.to.emit(fx.council, "OperationScheduled");
      expect(await fx.council.hasApproved(fx.id, fx.bankGovernance.address)).to.equal(true);
      expect(await fx.council.hasApproved(fx.id, fx.regulatorGovernance.address)).to.equal(false);
      const readyAt = BigInt(await time.latest()) + 1n + BigInt(GOVERNANCE_DELAY);
      await expect(fx.council.connect(fx.regulatorGovernance).approve(...fx.batch))
        .to.emit(fx.council, "OperationScheduled")
        .withArgs(fx.id, readyAt)
        .and.to.emit(fx.timelock, "CallScheduled");
      expect(await fx.timelock.getTimestamp(fx.id)).to.equal(readyAt);
    });

    it("reverts a third approval of a scheduled operation with CouncilAlreadyScheduled", async () => {
      const fx = await loadFixture(councilFixture);
      await approveOperation(fx.council, [fx.bankGovernance, fx.regulatorGovernance], fx.calls);
      await expect(fx.council.connect(fx.bankGovernance).approve(...fx.batch))
        .to.be.revertedWithCustomError(fx.council, "CouncilAlreadyScheduled")
        .withArgs(fx.id);
    });

    it("reverts for anyone else with CouncilNotMember: the bank's hot key, the deployer, a stranger", async () => {
      const fx = await loadFixture(councilFixture);
      for (const account of [fx.bank, fx.admin, fx.stranger, fx.regulator]) {
        await expect(fx.council.connect(account).approve(...fx.batch))
          .to.be.revertedWithCustomError(fx.council, "CouncilNotMember")
          .withArgs(account.address);
        await expect(fx.council.connect(account).cancel(fx.id))
          .to.be.revertedWithCustomError(fx.council, "CouncilNotMember")
          .withArgs(account.address);
      }
    });

    it("lets anyone execute once the delay has passed, and only once", async () => {
      const fx = await loadFixture(councilFixture);
      await approveOperation(fx.council, [fx.bankGovernance, fx.regulatorGovernance], fx.calls);
      await time.increase(GOVERNANCE_DELAY);
      await expect(executeOperation(fx.timelock, fx.stranger, fx.calls))
        .to.emit(fx.evidence, "ThresholdChanged")
        .withArgs(2, 1);
      await expect(executeOperation(fx.timelock, fx.stranger, fx.calls)).to.be.revertedWithCustomError(
        fx.timelock,
        "TimelockUnexpectedOperationState",
      );
    });
  });

  describe("when the timelock is asked directly", () => {
    it("refuses a schedule, a cancel or a delay change from anyone but the council or itself", async () => {
      const fx = await loadFixture(councilFixture);
      const { target, data } = fx.calls[0];
      for (const account of [fx.bankGovernance, fx.bank, fx.admin]) {
        await expect(fx.timelock.connect(account).schedule(target, 0n, data, NO_SALT, NO_SALT, GOVERNANCE_DELAY))
          .to.be.revertedWithCustomError(fx.timelock, "AccessControlUnauthorizedAccount")
          .withArgs(account.address, await fx.timelock.PROPOSER_ROLE());
      }
      await expect(fx.timelock.connect(fx.admin).updateDelay(0))
        .to.be.revertedWithCustomError(fx.timelock, "TimelockUnauthorizedCaller")
        .withArgs(fx.admin.address);
    });
  });
});
