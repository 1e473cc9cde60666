import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { yuan } from "./helpers/constants";
import { deployFixture } from "./helpers/fixtures";

describe("SettlementToken", () => {
  describe("when deployed", () => {
    it("is the tokenized CNY deposit with 2 decimals (one unit is one fen)", async () => {
      const { token } = await loadFixture(deployFixture);
      expect(await token.name()).to.equal("Tokenized CNY Deposit");
      expect(await token.symbol()).to.equal("dCNY");
      expect(await token.decimals()).to.equal(2n);
      expect(await token.totalSupply()).to.equal(0n);
    });

    it("gives governance DEFAULT_ADMIN_ROLE and the bank MINTER_ROLE", async () => {
      const { token, admin, bank, stranger } = await loadFixture(deployFixture);
      const minterRole = await token.MINTER_ROLE();
      expect(minterRole).to.equal(ethers.id("MINTER_ROLE"));
      expect(await token.hasRole(await token.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await token.hasRole(minterRole, bank.address)).to.equal(true);
      expect(await token.hasRole(minterRole, stranger.address)).to.equal(false);
    });
  });

  describe("when the bank mints", () => {
    it("credits the recipient and the total supply", async () => {
      const { token, borrower } = await loadFixture(deployFixture);
      await expect(token.mint(borrower.address, yuan(10_000_000))).to.changeTokenBalances(
        token,
        [borrower],
        [1_000_000_000n],
      );
      expect(await token.totalSupply()).to.equal(1_000_000_000n);
    });

    it("emits Transfer from the zero address", async () => {
      const { token, borrower } = await loadFixture(deployFixture);
      await expect(token.mint(borrower.address, 12_345n))
        .to.emit(token, "Transfer")
        .withArgs(ethers.ZeroAddress, borrower.address, 12_345n);
    });
  });

  describe("when an account without MINTER_ROLE mints", () => {
    it("reverts with AccessControlUnauthorizedAccount for a stranger", async () => {
      const { token, stranger } = await loadFixture(deployFixture);
      await expect(token.connect(stranger).mint(stranger.address, yuan(1)))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, await token.MINTER_ROLE());
    });

    it("reverts for the bank once its MINTER_ROLE is revoked", async () => {
      const { token, admin, bank } = await loadFixture(deployFixture);
      const minterRole = await token.MINTER_ROLE();
      await token.connect(admin).revokeRole(minterRole, bank.address);
      await expect(token.mint(bank.address, yuan(1)))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(bank.address, minterRole);
    });
  });

  describe("when a holder transfers", () => {
    it("moves the amount and emits Transfer", async () => {
      const { token, bank, borrower } = await loadFixture(deployFixture);
      await token.mint(bank.address, yuan(100));
      const transfer = token.transfer(borrower.address, 4_250n);
      await expect(transfer).to.emit(token, "Transfer").withArgs(bank.address, borrower.address, 4_250n);
      await expect(transfer).to.changeTokenBalances(token, [bank, borrower], [-4_250n, 4_250n]);
    });

    it("reverts with ERC20InsufficientBalance beyond the balance", async () => {
      const { token, bank, borrower } = await loadFixture(deployFixture);
      await token.mint(bank.address, 100n);
      await expect(token.transfer(borrower.address, 101n))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
        .withArgs(bank.address, 100n, 101n);
    });
  });
});
