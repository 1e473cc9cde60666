import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { registeredPayeesFixture, GOVERNANCE_DELAY, type Fixture } from "./helpers/fixtures";
import { buildFacility } from "./helpers/factories";
import { governed, viaGovernance } from "./helpers/governance";
import { evidenceForPayment } from "./helpers/entrustedPayments";
import { yuan } from "./helpers/constants";
import { signPermit } from "../server/chain/permit";
import { approveOperation, executeOperation } from "../scripts/lib/governance";

const SPOT_CHECK_FAILED = ethers.id("spot check SC-2026-041: pass rate 88.0% < 95%");
const ADMIN = ethers.ZeroHash;

/** A funded standard facility; the bank node's hot key is `fx.bank`. */
async function fundedFixture() {
  const fx = await registeredPayeesFixture();
  const id = await buildFacility(fx, { fund: yuan(10_000_000) });
  return { ...fx, id };
}

async function frozenFixture() {
  const fx = await fundedFixture();
  await fx.manager.connect(fx.regulator).freeze(fx.id, SPOT_CHECK_FAILED);
  return fx;
}

/** `amount` fen to the bank, funded into `id` with a permit signed now. */
async function fundWithPermit(fx: Fixture, id: bigint, amount: bigint) {
  const deadline = BigInt(await time.latest()) + 3_600n;
  const permit = await signPermit(fx.token, fx.bank, await fx.manager.getAddress(), amount, deadline);
  return fx.manager.fundWithPermit(id, amount, permit.deadline, permit.v, permit.r, permit.s);
}

describe("FacilityManager: the hot key runs daily work, governance holds power", () => {
  describe("when the bank node's hot key (BANK_ROLE) tries to move money or escalate", () => {
    it("withdraws to the treasury only: FacilityWithdrawalNotToTreasury for itself, the borrower or a stranger", async () => {
      const fx = await loadFixture(fundedFixture);
      for (const to of [fx.bank, fx.borrower, fx.stranger]) {
        await expect(fx.manager.withdraw(fx.id, 1n, to.address))
          .to.be.revertedWithCustomError(fx.manager, "FacilityWithdrawalNotToTreasury")
          .withArgs(to.address, fx.treasury.address);
      }
    });

    it("withdraws nothing from a frozen facility: FacilityIsFrozen, even to the treasury", async () => {
      const fx = await loadFixture(frozenFixture);
      await expect(fx.manager.withdraw(fx.id, 1n, fx.treasury.address))
        .to.be.revertedWithCustomError(fx.manager, "FacilityIsFrozen")
        .withArgs(fx.id);
    });

    it("cannot set the treasury, grant roles or revoke them on any contract (AccessControlUnauthorizedAccount)", async () => {
      const fx = await loadFixture(fundedFixture);
      const bank = fx.bank.address;
      const attempts: Array<[{ interface: unknown }, () => Promise<unknown>]> = [
        [fx.manager, () => fx.manager.setTreasury(bank)],
        [fx.manager, () => fx.manager.grantRole(ADMIN, bank)],
        [fx.manager, async () => fx.manager.grantRole(await fx.manager.BANK_ROLE(), fx.stranger.address)],
        [fx.manager, async () => fx.manager.revokeRole(await fx.manager.REGULATOR_ROLE(), fx.regulator.address)],
        [fx.payees, () => fx.payees.grantRole(ADMIN, bank)],
        [fx.payees, async () => fx.payees.grantRole(await fx.payees.PAYEE_ADMIN_ROLE(), fx.stranger.address)],
        [fx.evidence, () => fx.evidence.grantRole(ADMIN, bank)],
        [fx.evidence, async () => fx.evidence.grantRole(await fx.evidence.ANCHORER_ROLE(), fx.stranger.address)],
        [fx.token, async () => fx.token.grantRole(await fx.token.MINTER_ROLE(), bank)],
      ];
      for (const [contract, attempt] of attempts) {
        await expect(attempt())
          .to.be.revertedWithCustomError(contract as typeof fx.manager, "AccessControlUnauthorizedAccount")
          .withArgs(bank, ADMIN);
      }
    });

    it("cannot change the verifier set, the threshold or the consumer (AccessControlUnauthorizedAccount)", async () => {
      const fx = await loadFixture(fundedFixture);
      const attempts = [
        () => fx.evidence.setThreshold(1),
        () => fx.evidence.addVerifier(fx.bank.address),
        () => fx.evidence.removeVerifier(fx.regulatorVerifier.address),
        () => fx.evidence.setConsumer(fx.bank.address),
      ];
      for (const attempt of attempts) {
        await expect(attempt())
          .to.be.revertedWithCustomError(fx.evidence, "AccessControlUnauthorizedAccount")
          .withArgs(fx.bank.address, ADMIN);
      }
    });

    it("cannot mint (AccessControlUnauthorizedAccount for MINTER_ROLE)", async () => {
      const fx = await loadFixture(fundedFixture);
      await expect(fx.token.mint(fx.bank.address, 1n))
        .to.be.revertedWithCustomError(fx.token, "AccessControlUnauthorizedAccount")
        .withArgs(fx.bank.address, await fx.token.MINTER_ROLE());
    });

    it("cannot propose, schedule or execute governance (CouncilNotMember, PROPOSER_ROLE, unscheduled)", async () => {
      const fx = await loadFixture(fundedFixture);
      const target = await fx.manager.getAddress();
      const data = fx.manager.interface.encodeFunctionData("setTreasury", [fx.bank.address]);
      await expect(fx.council.connect(fx.bank).approve([target], [0n], [data], ADMIN))
        .to.be.revertedWithCustomError(fx.council, "CouncilNotMember")
        .withArgs(fx.bank.address);
      await expect(fx.timelock.connect(fx.bank).schedule(target, 0n, data, ADMIN, ADMIN, GOVERNANCE_DELAY))
        .to.be.revertedWithCustomError(fx.timelock, "AccessControlUnauthorizedAccount")
        .withArgs(fx.bank.address, await fx.timelock.PROPOSER_ROLE());
      await expect(executeOperation(fx.timelock, fx.bank, [{ target, data }])).to.be.revertedWithCustomError(
        fx.timelock,
        "TimelockUnexpectedOperationState",
      );
    });

    it("leaves the deployer holding no role anywhere", async () => {
      const fx = await loadFixture(fundedFixture);
      const roles: Array<[{ hasRole(role: string, account: string): Promise<boolean> }, string[]]> = [
        [
          fx.manager,
          [ADMIN, await fx.manager.BANK_ROLE(), await fx.manager.REGULATOR_ROLE(), await fx.manager.FISCAL_ROLE()],
        ],
        [fx.payees, [ADMIN, await fx.payees.PAYEE_ADMIN_ROLE()]],
        [fx.evidence, [ADMIN, await fx.evidence.ANCHORER_ROLE()]],
        [fx.token, [ADMIN, await fx.token.MINTER_ROLE()]],
        [fx.timelock, [ADMIN, await fx.timelock.PROPOSER_ROLE(), await fx.timelock.CANCELLER_ROLE()]],
      ];
      for (const [contract, ids] of roles) {
        for (const role of ids) expect(await contract.hasRole(role, fx.admin.address)).to.equal(false);
      }
      expect(fx.holders.FacilityManager.DEFAULT_ADMIN_ROLE).to.deep.equal([await fx.timelock.getAddress()]);
      expect(fx.holders.SettlementToken.MINTER_ROLE).to.have.members([
        await fx.timelock.getAddress(),
        fx.issuer.address,
      ]);
    });
  });

  describe("when governance acts", () => {
    it("schedules only with both institutions, executes only after the delay, then the new treasury receives", async () => {
      const fx = await loadFixture(fundedFixture);
      const calls = [
        {
          target: await fx.manager.getAddress(),
          data: fx.manager.interface.encodeFunctionData("setTreasury", [fx.stranger.address]),
        },
      ];
      const id = await approveOperation(fx.council, [fx.bankGovernance], calls);
      expect(await fx.council.approvals(id)).to.equal(1n);
      expect(await fx.timelock.isOperation(id)).to.equal(false);
      await expect(fx.council.connect(fx.bankGovernance).approve([calls[0].target], [0n], [calls[0].data], ADMIN))
        .to.be.revertedWithCustomError(fx.council, "CouncilAlreadyApproved")
        .withArgs(id, fx.bankGovernance.address);
      await approveOperation(fx.council, [fx.regulatorGovernance], calls);
      expect(await fx.timelock.isOperationPending(id)).to.equal(true);
      await expect(executeOperation(fx.timelock, fx.stranger, calls)).to.be.revertedWithCustomError(
        fx.timelock,
        "TimelockUnexpectedOperationState",
      );
      await time.increase(GOVERNANCE_DELAY);
      await expect(executeOperation(fx.timelock, fx.stranger, calls))
        .to.emit(fx.manager, "TreasuryChanged")
        .withArgs(fx.treasury.address, fx.stranger.address);
      await expect(fx.manager.withdraw(fx.id, 1n, fx.treasury.address))
        .to.be.revertedWithCustomError(fx.manager, "FacilityWithdrawalNotToTreasury")
        .withArgs(fx.treasury.address, fx.stranger.address);
      await expect(fx.manager.withdraw(fx.id, 1n, fx.stranger.address)).to.changeTokenBalance(
        fx.token,
        fx.stranger,
        1n,
      );
    });

    it("lets either institution cancel a scheduled operation during the delay", async () => {
      const fx = await loadFixture(fundedFixture);
      const calls = [
        {
          target: await fx.evidence.getAddress(),
          data: fx.evidence.interface.encodeFunctionData("setThreshold", [1]),
        },
      ];
      const id = await approveOperation(fx.council, [fx.bankGovernance, fx.regulatorGovernance], calls);
      await expect(fx.council.connect(fx.regulatorGovernance).cancel(id))
        .to.emit(fx.council, "OperationCancelled")
        .withArgs(id, fx.regulatorGovernance.address);
      await time.increase(GOVERNANCE_DELAY);
      await expect(executeOperation(fx.timelock, fx.stranger, calls)).to.be.revertedWithCustomError(
        fx.timelock,
        "TimelockUnexpectedOperationState",
      );
      expect(await fx.evidence.threshold()).to.equal(2n);
    });

    it("changes the threshold and the verifier set", async () => {
      const fx = await loadFixture(fundedFixture);
      await expect(governed(fx, fx.evidence).addVerifier(fx.stranger.address)).to.emit(fx.evidence, "VerifierAdded");
      await expect(governed(fx, fx.evidence).setThreshold(3)).to.emit(fx.evidence, "ThresholdChanged").withArgs(2, 3);
    });

    it("rotates a compromised hot key in one operation: the old key is refused, the new one works", async () => {
      const fx = await loadFixture(fundedFixture);
      const fresh = ethers.Wallet.createRandom().connect(ethers.provider);
      await fx.bank.sendTransaction({ to: fresh.address, value: ethers.parseEther("1") });
      const bankRole = await fx.manager.BANK_ROLE();
      const manager = await fx.manager.getAddress();
      await viaGovernance(fx, [
        { target: manager, data: fx.manager.interface.encodeFunctionData("revokeRole", [bankRole, fx.bank.address]) },
        { target: manager, data: fx.manager.interface.encodeFunctionData("grantRole", [bankRole, fresh.address]) },
      ]);
      await expect(fx.manager.withdraw(fx.id, 1n, fx.treasury.address))
        .to.be.revertedWithCustomError(fx.manager, "AccessControlUnauthorizedAccount")
        .withArgs(fx.bank.address, bankRole);
      await expect(fx.manager.connect(fresh).withdraw(fx.id, 1n, fx.treasury.address)).to.emit(
        fx.manager,
        "FundsWithdrawn",
      );
    });

    it("refuses a council with no members, a zero or too high threshold, or a member named twice", async () => {
      const fx = await loadFixture(fundedFixture);
      const factory = await ethers.getContractFactory("GovernanceCouncil");
      const timelock = await fx.timelock.getAddress();
      const [a, b] = [fx.bankGovernance.address, fx.regulatorGovernance.address];
      for (const [members, threshold] of [
        [[], 1],
        [[a, b], 0],
        [[a, b], 3],
        [[a, a], 2],
      ] as Array<[string[], number]>) {
        await expect(factory.deploy(timelock, members, threshold))
          .to.be.revertedWithCustomError(fx.council, "CouncilInvalidMembers")
          .withArgs(members.length, threshold);
      }
    });
  });

  describe("when a facility is frozen", () => {
    it("its money moves by no path: withdraw, payment and close all revert, balances unchanged", async () => {
      const fx = await loadFixture(frozenFixture);
      const evidenceIds = await evidenceForPayment(fx, fx.id, 1);
      const before = [(await fx.manager.facility(fx.id)).balance, await fx.token.balanceOf(fx.manager)];
      const attempts = [
        () => fx.manager.withdraw(fx.id, yuan(1), fx.treasury.address),
        () => fx.manager.executePayment(fx.id, 1, evidenceIds),
        () => fx.manager.close(fx.id),
      ];
      for (const attempt of attempts) {
        await expect(attempt()).to.be.revertedWithCustomError(fx.manager, "FacilityIsFrozen").withArgs(fx.id);
      }
      // Governance cannot either: it can change the treasury, but a withdrawal still meets the freeze.
      await governed(fx, fx.manager).setTreasury(fx.stranger.address);
      await expect(fx.manager.withdraw(fx.id, yuan(1), fx.stranger.address))
        .to.be.revertedWithCustomError(fx.manager, "FacilityIsFrozen")
        .withArgs(fx.id);
      expect([(await fx.manager.facility(fx.id)).balance, await fx.token.balanceOf(fx.manager)]).to.deep.equal(before);
    });
  });

  describe("when facilities are funded at the same time", () => {
    it("funds each with its exact permit, both in one block, leaving no allowance behind", async () => {
      const fx = await loadFixture(fundedFixture);
      const [a, b] = [await buildFacility(fx), await buildFacility(fx)];
      await fx.token.connect(fx.issuer).mint(fx.bank.address, yuan(3));
      const deadline = BigInt(await time.latest()) + 3_600n;
      const spender = await fx.manager.getAddress();
      const first = await signPermit(fx.token, fx.bank, spender, yuan(1), deadline);
      // The second is signed with the next permit nonce, as the node's serial outbox signs after the first landed.
      const nonce = await fx.token.nonces(fx.bank.address);
      const second = await signPermit(
        { eip712Domain: () => fx.token.eip712Domain(), nonces: async () => nonce + 1n },
        fx.bank,
        spender,
        yuan(2),
        deadline,
      );
      await network.provider.send("evm_setAutomine", [false]);
      try {
        await fx.manager.fundWithPermit(a, yuan(1), first.deadline, first.v, first.r, first.s);
        await fx.manager.fundWithPermit(b, yuan(2), second.deadline, second.v, second.r, second.s);
        await network.provider.send("evm_mine", []);
      } finally {
        await network.provider.send("evm_setAutomine", [true]);
      }
      expect((await fx.manager.facility(a)).funded).to.equal(yuan(1));
      expect((await fx.manager.facility(b)).funded).to.equal(yuan(2));
      expect(await fx.token.allowance(fx.bank.address, spender)).to.equal(0n);
    });

    it("still funds when someone used the permit first (front-running spends nothing extra)", async () => {
      const fx = await loadFixture(fundedFixture);
      const id = await buildFacility(fx);
      await fx.token.connect(fx.issuer).mint(fx.bank.address, yuan(1));
      const spender = await fx.manager.getAddress();
      const permit = await signPermit(fx.token, fx.bank, spender, yuan(1), BigInt(await time.latest()) + 3_600n);
      await fx.token
        .connect(fx.stranger)
        .permit(fx.bank.address, spender, yuan(1), permit.deadline, permit.v, permit.r, permit.s);
      await expect(fx.manager.fundWithPermit(id, yuan(1), permit.deadline, permit.v, permit.r, permit.s))
        .to.emit(fx.manager, "FacilityFunded")
        .withArgs(id, fx.bank.address, yuan(1));
    });

    it("refuses a permit for another amount, and funding by anyone but the bank", async () => {
      const fx = await loadFixture(fundedFixture);
      const id = await buildFacility(fx);
      await fx.token.connect(fx.issuer).mint(fx.bank.address, yuan(2));
      const permit = await signPermit(
        fx.token,
        fx.bank,
        await fx.manager.getAddress(),
        yuan(1),
        BigInt(await time.latest()) + 3_600n,
      );
      await expect(
        fx.manager.fundWithPermit(id, yuan(2), permit.deadline, permit.v, permit.r, permit.s),
      ).to.be.revertedWithCustomError(fx.token, "ERC2612InvalidSigner");
      await expect(
        fx.manager.connect(fx.stranger).fundWithPermit(id, yuan(1), permit.deadline, permit.v, permit.r, permit.s),
      )
        .to.be.revertedWithCustomError(fx.manager, "AccessControlUnauthorizedAccount")
        .withArgs(fx.stranger.address, await fx.manager.BANK_ROLE());
      expect((await fundWithPermit(fx, id, yuan(1)).then((tx) => tx.wait()))!.status).to.equal(1);
    });
  });
});
