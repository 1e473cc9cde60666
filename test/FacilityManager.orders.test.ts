import { expect } from "chai";
import { Signature, type Signer } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { registeredPayeesFixture, type Fixture } from "./helpers/fixtures";
import { buildFacility } from "./helpers/factories";
import { executeWithEvidence } from "./helpers/entrustedPayments";
import { applyJointReview } from "./helpers/jointApprovals";
import { facilityDomain } from "./helpers/signatures";
import { DAY, yuan } from "./helpers/constants";
import { ORDER_TYPES, PERMIT_TYPES, type OrderKind } from "../server/chain/payer-orders";

/**
 * The facility of test/FacilityManager.settlement.test.ts (4,000,000.00 CNY drawn at t0, subsidy-eligible from day
 * 30), with tokens minted to the borrower and the fiscal account but no allowance: their money moves only by the
 * orders and permits they sign, relayed by the bank.
 */
async function orderFixture() {
  const fx = await registeredPayeesFixture();
  const id = await buildFacility(fx, { fund: yuan(10_000_000) });
  const t0 = BigInt(await time.latest()) + 100n;
  await executeWithEvidence(fx, id, 0, { at: t0 });
  await applyJointReview(fx, id, { subsidyEligible: true }, { at: t0 + 30n * DAY });
  await fx.token.connect(fx.issuer).mint(fx.borrower.address, yuan(5_000_000));
  await fx.token.connect(fx.issuer).mint(fx.fiscal.address, yuan(100_000));
  await time.increaseTo(t0 + 90n * DAY);
  return { ...fx, id, t0 };
}

/** `payer`'s signed order for `amount` into facility `id`, with its permit for the manager (nonces as on chain). */
async function signedOrder(
  fx: Fixture,
  kind: OrderKind,
  payer: Signer,
  id: bigint,
  amount: bigint,
  options: { nonce?: bigint; deadline?: bigint; inFull?: boolean } = {},
) {
  const owner = await payer.getAddress();
  const deadline = options.deadline ?? BigInt(await time.latest()) + 3_600n;
  const nonce = options.nonce ?? (await fx.manager.nonces(owner));
  const inFull = options.inFull ?? false;
  const message = { facilityId: id, amount, inFull, nonce, deadline };
  const signature = await payer.signTypedData(await facilityDomain(fx.manager), ORDER_TYPES[kind], message);
  const [, name, version, chainId, verifyingContract] = await fx.token.eip712Domain();
  const permitMessage = {
    owner,
    spender: await fx.manager.getAddress(),
    value: amount,
    nonce: await fx.token.nonces(owner),
    deadline,
  };
  const { v, r, s } = Signature.from(
    await payer.signTypedData({ name, version, chainId, verifyingContract }, PERMIT_TYPES, permitMessage),
  );
  return { order: { facilityId: id, amount, inFull, deadline, signature }, permit: { deadline, v, r, s } };
}

describe("FacilityManager: repayments and subsidy payments on the payer's signed order", () => {
  describe("when the bank relays the borrower's signed repayment", () => {
    it("takes the borrower's tokens for its facility's debt, interest first", async () => {
      const fx = await loadFixture(orderFixture);
      const [, interestDue] = await fx.manager.outstanding(fx.id);
      const { order, permit } = await signedOrder(fx, "REPAYMENT", fx.borrower, fx.id, yuan(50_000));
      const tx = fx.manager.connect(fx.bank).repayWithSignature(order, permit);
      await expect(tx).to.emit(fx.manager, "Repaid");
      await expect(tx).to.changeTokenBalances(fx.token, [fx.borrower, fx.bank], [-yuan(50_000), 0n]);
      const state = await fx.manager.facility(fx.id);
      expect(state.interestRepaid).to.be.gte(interestDue);
      expect(state.principalRepaid + state.interestRepaid).to.equal(yuan(50_000));
      expect(await fx.manager.nonces(fx.borrower.address)).to.equal(1n);
    });

    it("refuses the same order twice (the nonce is used)", async () => {
      const fx = await loadFixture(orderFixture);
      const { order, permit } = await signedOrder(fx, "REPAYMENT", fx.borrower, fx.id, yuan(1_000));
      await fx.manager.repayWithSignature(order, permit);
      await expect(fx.manager.repayWithSignature(order, permit)).to.be.revertedWithCustomError(
        fx.manager,
        "FacilityInvalidPayerSignature",
      );
    });

    it("refuses an order the borrower did not sign, even with the borrower's allowance in place", async () => {
      const fx = await loadFixture(orderFixture);
      await fx.token.connect(fx.borrower).approve(await fx.manager.getAddress(), yuan(1_000));
      const { order, permit } = await signedOrder(fx, "REPAYMENT", fx.bank, fx.id, yuan(1_000), { nonce: 0n });
      await expect(fx.manager.repayWithSignature(order, permit))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidPayerSignature")
        .withArgs(fx.bank.address, fx.borrower.address);
    });

    it("refuses an order whose amount or facility was changed after signing", async () => {
      const fx = await loadFixture(orderFixture);
      const { order, permit } = await signedOrder(fx, "REPAYMENT", fx.borrower, fx.id, yuan(1_000));
      await expect(
        fx.manager.repayWithSignature({ ...order, amount: yuan(2_000) }, permit),
      ).to.be.revertedWithCustomError(fx.manager, "FacilityInvalidPayerSignature");
    });

    it("refuses an expired order with FacilitySignatureExpired", async () => {
      const fx = await loadFixture(orderFixture);
      const deadline = BigInt(await time.latest()) + 10n;
      const { order, permit } = await signedOrder(fx, "REPAYMENT", fx.borrower, fx.id, yuan(1_000), { deadline });
      await time.increaseTo(deadline + 1n);
      await expect(fx.manager.repayWithSignature(order, permit))
        .to.be.revertedWithCustomError(fx.manager, "FacilitySignatureExpired")
        .withArgs(deadline);
    });

    it("with inFull, takes exactly what is owed when it lands, up to the amount signed for", async () => {
      const fx = await loadFixture(orderFixture);
      const ceiling = yuan(4_100_000);
      const { order, permit } = await signedOrder(fx, "REPAYMENT", fx.borrower, fx.id, ceiling, { inFull: true });
      await fx.manager.repayWithSignature(order, permit);
      expect(await fx.manager.outstanding(fx.id)).to.deep.equal([0n, 0n]);
      const state = await fx.manager.facility(fx.id);
      expect(await fx.token.balanceOf(fx.borrower.address)).to.equal(
        yuan(5_000_000) - state.principalRepaid - state.interestRepaid,
      );
      expect(state.principalRepaid).to.equal(yuan(4_000_000));
    });

    it("refuses more than is owed with FacilityRepaymentExceedsDebt", async () => {
      const fx = await loadFixture(orderFixture);
      const { order, permit } = await signedOrder(fx, "REPAYMENT", fx.borrower, fx.id, yuan(4_100_000));
      await expect(fx.manager.repayWithSignature(order, permit)).to.be.revertedWithCustomError(
        fx.manager,
        "FacilityRepaymentExceedsDebt",
      );
    });
  });

  describe("when the bank relays the fiscal account's signed subsidy payment", () => {
    // By hand: eligible from day 30: 400,000,000 × 300 × 60 / 3,600,000 = 2,000,000 fen by day 90
    it("takes the fiscal account's tokens, up to the subsidy due", async () => {
      const fx = await loadFixture(orderFixture);
      await time.setNextBlockTimestamp(fx.t0 + 90n * DAY + 10n);
      const { order, permit } = await signedOrder(fx, "SUBSIDY", fx.fiscal, fx.id, 2_000_000n);
      await fx.manager.connect(fx.bank).paySubsidyWithSignature(fx.fiscal.address, order, permit);
      expect((await fx.manager.facility(fx.id)).subsidyPaid).to.equal(2_000_000n);
      expect(await fx.token.balanceOf(fx.fiscal.address)).to.equal(yuan(100_000) - 2_000_000n);
    });

    it("refuses a payer without FISCAL_ROLE, even one that signed (FacilityPayerNotFiscal)", async () => {
      const fx = await loadFixture(orderFixture);
      const { order, permit } = await signedOrder(fx, "SUBSIDY", fx.borrower, fx.id, 1_000n);
      await expect(fx.manager.paySubsidyWithSignature(fx.borrower.address, order, permit))
        .to.be.revertedWithCustomError(fx.manager, "FacilityPayerNotFiscal")
        .withArgs(fx.borrower.address);
    });

    it("refuses the fiscal account's payer with someone else's signature", async () => {
      const fx = await loadFixture(orderFixture);
      const { order, permit } = await signedOrder(fx, "SUBSIDY", fx.bank, fx.id, 1_000n, { nonce: 0n });
      await expect(fx.manager.paySubsidyWithSignature(fx.fiscal.address, order, permit))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidPayerSignature")
        .withArgs(fx.bank.address, fx.fiscal.address);
    });

    it("refuses a repayment order used as a subsidy order (the types differ)", async () => {
      const fx = await loadFixture(orderFixture);
      const { order, permit } = await signedOrder(fx, "REPAYMENT", fx.fiscal, fx.id, 1_000n);
      await expect(fx.manager.paySubsidyWithSignature(fx.fiscal.address, order, permit)).to.be.revertedWithCustomError(
        fx.manager,
        "FacilityInvalidPayerSignature",
      );
    });

    it("refuses more than the subsidy due with FacilitySubsidyExceedsDue", async () => {
      const fx = await loadFixture(orderFixture);
      const { order, permit } = await signedOrder(fx, "SUBSIDY", fx.fiscal, fx.id, yuan(50_000));
      await expect(fx.manager.paySubsidyWithSignature(fx.fiscal.address, order, permit)).to.be.revertedWithCustomError(
        fx.manager,
        "FacilitySubsidyExceedsDue",
      );
    });
  });
});
