import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { yuan } from "./helpers/constants";
import { deployFixture } from "./helpers/fixtures";
import { governed } from "./helpers/governance";

describe("SettlementToken", () => {
  describe("when deployed", () => {
    it("is the tokenized CNY deposit with 2 decimals (one unit is one fen)", async () => {
      const { token } = await loadFixture(deployFixture);
      expect(await token.name()).to.equal("Tokenized CNY Deposit");
      expect(await token.symbol()).to.equal("dCNY");
      expect(await token.decimals()).to.equal(2n);
      expect(await token.totalSupply()).to.equal(0n);
    });

    it("gives governance (the timelock) DEFAULT_ADMIN_ROLE and MINTER_ROLE, the issuer MINTER_ROLE, the bank's hot key neither", async () => {
      const { token, timelock, admin, bank, issuer, stranger } = await loadFixture(deployFixture);
      const [adminRole, minterRole] = [await token.DEFAULT_ADMIN_ROLE(), await token.MINTER_ROLE()];
      expect(minterRole).to.equal(ethers.id("MINTER_ROLE"));
      expect(await token.hasRole(adminRole, await timelock.getAddress())).to.equal(true);
      expect(await token.hasRole(minterRole, await timelock.getAddress())).to.equal(true);
      expect(await token.hasRole(minterRole, issuer.address)).to.equal(true);
      for (const account of [admin, bank, stranger]) {
        expect(await token.hasRole(adminRole, account.address)).to.equal(false);
        expect(await token.hasRole(minterRole, account.address)).to.equal(false);
      }
    });
  });

  describe("when the issuer mints", () => {
    it("credits the recipient and the total supply", async () => {
      const { token, issuer, borrower } = await loadFixture(deployFixture);
      await expect(token.connect(issuer).mint(borrower.address, yuan(10_000_000))).to.changeTokenBalances(
        token,
        [borrower],
        [1_000_000_000n],
      );
      expect(await token.totalSupply()).to.equal(1_000_000_000n);
    });

    it("emits Transfer from the zero address", async () => {
      const { token, issuer, borrower } = await loadFixture(deployFixture);
      await expect(token.connect(issuer).mint(borrower.address, 12_345n))
        .to.emit(token, "Transfer")
        .withArgs(ethers.ZeroAddress, borrower.address, 12_345n);
    });
  });

  describe("when an account without MINTER_ROLE mints", () => {
    it("reverts with AccessControlUnauthorizedAccount for a stranger, the bank's hot key and the deployer", async () => {
      const { token, stranger, bank, admin } = await loadFixture(deployFixture);
      for (const account of [stranger, bank, admin]) {
        await expect(token.connect(account).mint(account.address, yuan(1)))
          .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
          .withArgs(account.address, await token.MINTER_ROLE());
      }
    });

    it("reverts for the issuer once governance revokes its MINTER_ROLE", async () => {
      const fx = await loadFixture(deployFixture);
      const minterRole = await fx.token.MINTER_ROLE();
      await governed(fx, fx.token).revokeRole(minterRole, fx.issuer.address);
      await expect(fx.token.connect(fx.issuer).mint(fx.issuer.address, yuan(1)))
        .to.be.revertedWithCustomError(fx.token, "AccessControlUnauthorizedAccount")
        .withArgs(fx.issuer.address, minterRole);
    });
  });

  describe("when a holder transfers", () => {
    it("moves the amount and emits Transfer", async () => {
      const { token, issuer, bank, borrower } = await loadFixture(deployFixture);
      await token.connect(issuer).mint(bank.address, yuan(100));
      const transfer = token.transfer(borrower.address, 4_250n);
      await expect(transfer).to.emit(token, "Transfer").withArgs(bank.address, borrower.address, 4_250n);
      await expect(transfer).to.changeTokenBalances(token, [bank, borrower], [-4_250n, 4_250n]);
    });

    it("reverts with ERC20InsufficientBalance beyond the balance", async () => {
      const { token, issuer, bank, borrower } = await loadFixture(deployFixture);
      await token.connect(issuer).mint(bank.address, 100n);
      await expect(token.transfer(borrower.address, 101n))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
        .withArgs(bank.address, 100n, 101n);
    });
  });
});
