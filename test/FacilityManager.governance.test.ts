import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { registeredPayeesFixture } from "./helpers/fixtures";
import { governed } from "./helpers/governance";
import { buildFacility } from "./helpers/factories";
import { evidenceForPayment, executeWithEvidence } from "./helpers/entrustedPayments";
import { applyJointReview, currentUnfreeze, nextReview, signedReview, signedUnfreeze } from "./helpers/jointApprovals";
import { facilityDomain, reviewTypes, unfreezeTypes, type Review, type Unfreeze } from "./helpers/signatures";
import { Status, yuan } from "./helpers/constants";

const SPOT_CHECK_FAILED = ethers.id("spot check SC-2024-017: pass rate 91.2% < 95%");

/** A funded standard facility, a second bank officer, and the role ids. */
async function governanceFixture() {
  const fx = await registeredPayeesFixture();
  const id = await buildFacility(fx, { fund: yuan(10_000_000) });
  const [bankRole, regulatorRole] = [await fx.manager.BANK_ROLE(), await fx.manager.REGULATOR_ROLE()];
  const secondOfficer = ethers.Wallet.createRandom().connect(ethers.provider);
  await governed(fx, fx.manager).grantRole(bankRole, secondOfficer.address);
  return { ...fx, id, bankRole, regulatorRole, secondOfficer };
}

type Governance = Awaited<ReturnType<typeof governanceFixture>>;

async function frozenFacilityFixture() {
  const fx = await governanceFixture();
  await fx.manager.connect(fx.regulator).freeze(fx.id, SPOT_CHECK_FAILED);
  return fx;
}

async function unfreezeNow(fx: Governance, overrides: Partial<Unfreeze> = {}) {
  return fx.manager.unfreeze(...(await signedUnfreeze(fx, await currentUnfreeze(fx, fx.id, overrides))));
}

describe("FacilityManager: freeze, unfreeze and reviews", () => {
  describe("when the regulator freezes a facility on its own", () => {
    it("emits FacilityFrozen with the first freeze count and marks it FROZEN", async () => {
      const fx = await loadFixture(governanceFixture);
      await expect(fx.manager.connect(fx.regulator).freeze(fx.id, SPOT_CHECK_FAILED))
        .to.emit(fx.manager, "FacilityFrozen")
        .withArgs(fx.id, fx.regulator.address, SPOT_CHECK_FAILED, 1n);
      const state = await fx.manager.facility(fx.id);
      expect(state.status).to.equal(Status.FROZEN);
      expect(state.freezeCount).to.equal(1n);
    });

    it("refuses payments with FacilityIsFrozen", async () => {
      const fx = await loadFixture(frozenFacilityFixture);
      const evidenceIds = await evidenceForPayment(fx, fx.id, 1);
      await expect(fx.manager.executePayment(fx.id, 1, evidenceIds))
        .to.be.revertedWithCustomError(fx.manager, "FacilityIsFrozen")
        .withArgs(fx.id);
    });

    it("reverts a second freeze with FacilityIsFrozen", async () => {
      const fx = await loadFixture(frozenFacilityFixture);
      await expect(fx.manager.freeze(fx.id, SPOT_CHECK_FAILED))
        .to.be.revertedWithCustomError(fx.manager, "FacilityIsFrozen")
        .withArgs(fx.id);
    });
  });

  describe("when the bank freezes a facility", () => {
    it("emits FacilityFrozen naming the bank", async () => {
      const fx = await loadFixture(governanceFixture);
      await expect(fx.manager.freeze(fx.id, ethers.id("suspected diversion")))
        .to.emit(fx.manager, "FacilityFrozen")
        .withArgs(fx.id, fx.bank.address, ethers.id("suspected diversion"), 1n);
    });
  });

  describe("when someone else tries to freeze", () => {
    it("reverts with FacilityUnauthorizedFreeze for a stranger", async () => {
      const fx = await loadFixture(governanceFixture);
      await expect(fx.manager.connect(fx.stranger).freeze(fx.id, SPOT_CHECK_FAILED))
        .to.be.revertedWithCustomError(fx.manager, "FacilityUnauthorizedFreeze")
        .withArgs(fx.stranger.address);
    });

    it("reverts with FacilityUnauthorizedFreeze for the fiscal account and the borrower", async () => {
      const fx = await loadFixture(governanceFixture);
      for (const account of [fx.fiscal, fx.borrower]) {
        await expect(fx.manager.connect(account).freeze(fx.id, SPOT_CHECK_FAILED))
          .to.be.revertedWithCustomError(fx.manager, "FacilityUnauthorizedFreeze")
          .withArgs(account.address);
      }
    });

    it("reverts with FacilityNotFound for an unknown facility", async () => {
      const fx = await loadFixture(governanceFixture);
      await expect(fx.manager.connect(fx.regulator).freeze(5, SPOT_CHECK_FAILED))
        .to.be.revertedWithCustomError(fx.manager, "FacilityNotFound")
        .withArgs(5n);
    });
  });

  describe("when the bank and the regulator jointly unfreeze", () => {
    it("emits FacilityUnfrozen with both signers, relayed by anyone", async () => {
      const fx = await loadFixture(frozenFacilityFixture);
      const args = await signedUnfreeze(
        fx,
        await currentUnfreeze(fx, fx.id, { reasonHash: ethers.id("re-inspected") }),
      );
      await expect(fx.manager.connect(fx.stranger).unfreeze(...args))
        .to.emit(fx.manager, "FacilityUnfrozen")
        .withArgs(fx.id, 1n, ethers.id("re-inspected"), fx.bank.address, fx.regulator.address);
      const state = await fx.manager.facility(fx.id);
      expect(state.status).to.equal(Status.ACTIVE);
      expect(state.freezeCount).to.equal(1n);
    });

    it("lets payments resume", async () => {
      const fx = await loadFixture(frozenFacilityFixture);
      await unfreezeNow(fx);
      await expect(executeWithEvidence(fx, fx.id, 1)).to.changeTokenBalances(
        fx.token,
        [fx.lab, fx.manager, fx.borrower],
        [yuan(1_000_000), -yuan(1_000_000), 0n],
      );
    });

    it("counts the next freeze as number 2", async () => {
      const fx = await loadFixture(frozenFacilityFixture);
      await unfreezeNow(fx);
      await expect(fx.manager.connect(fx.regulator).freeze(fx.id, SPOT_CHECK_FAILED))
        .to.emit(fx.manager, "FacilityFrozen")
        .withArgs(fx.id, fx.regulator.address, SPOT_CHECK_FAILED, 2n);
      expect((await fx.manager.facility(fx.id)).freezeCount).to.equal(2n);
    });

    it("accepts a decision on its deadline second", async () => {
      const fx = await loadFixture(frozenFacilityFixture);
      const deadline = BigInt(await time.latest()) + 600n;
      const args = await signedUnfreeze(fx, await currentUnfreeze(fx, fx.id, { deadline }));
      await time.setNextBlockTimestamp(deadline);
      await expect(fx.manager.unfreeze(...args)).to.emit(fx.manager, "FacilityUnfrozen");
    });
  });

  describe("when an unfreeze is not validly approved", () => {
    it("reverts with FacilityNotFrozen for an active facility", async () => {
      const fx = await loadFixture(governanceFixture);
      const args = await signedUnfreeze(fx, await currentUnfreeze(fx, fx.id));
      await expect(fx.manager.unfreeze(...args))
        .to.be.revertedWithCustomError(fx.manager, "FacilityNotFrozen")
        .withArgs(fx.id);
    });

    it("reverts a replay of an applied decision with FacilityNotFrozen", async () => {
      const fx = await loadFixture(frozenFacilityFixture);
      const args = await signedUnfreeze(fx, await currentUnfreeze(fx, fx.id));
      await fx.manager.unfreeze(...args);
      await expect(fx.manager.unfreeze(...args))
        .to.be.revertedWithCustomError(fx.manager, "FacilityNotFrozen")
        .withArgs(fx.id);
    });

    it("reverts with FacilityInvalidFreezeCount for a decision signed for an earlier freeze", async () => {
      const fx = await loadFixture(frozenFacilityFixture);
      const first = await signedUnfreeze(fx, await currentUnfreeze(fx, fx.id));
      await fx.manager.unfreeze(...first);
      await fx.manager.connect(fx.regulator).freeze(fx.id, SPOT_CHECK_FAILED);
      await expect(fx.manager.unfreeze(...first))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidFreezeCount")
        .withArgs(fx.id, 2n, 1n);
    });

    it("reverts with FacilitySignatureExpired after the deadline", async () => {
      const fx = await loadFixture(frozenFacilityFixture);
      const deadline = BigInt(await time.latest()) + 600n;
      const args = await signedUnfreeze(fx, await currentUnfreeze(fx, fx.id, { deadline }));
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(fx.manager.unfreeze(...args))
        .to.be.revertedWithCustomError(fx.manager, "FacilitySignatureExpired")
        .withArgs(deadline);
    });

    it("reverts with FacilityInvalidSigner when two bank officers sign", async () => {
      const fx = await loadFixture(frozenFacilityFixture);
      const args = await signedUnfreeze(fx, await currentUnfreeze(fx, fx.id), { regulator: fx.secondOfficer });
      await expect(fx.manager.unfreeze(...args))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidSigner")
        .withArgs(fx.secondOfficer.address, fx.regulatorRole);
      expect((await fx.manager.facility(fx.id)).status).to.equal(Status.FROZEN);
    });

    it("reverts with FacilityInvalidSigner when the regulator signs both parts", async () => {
      const fx = await loadFixture(frozenFacilityFixture);
      const args = await signedUnfreeze(fx, await currentUnfreeze(fx, fx.id), { bank: fx.regulator });
      await expect(fx.manager.unfreeze(...args))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidSigner")
        .withArgs(fx.regulator.address, fx.bankRole);
    });

    it("reverts with FacilityInvalidSigner when a stranger signs as the regulator", async () => {
      const fx = await loadFixture(frozenFacilityFixture);
      const args = await signedUnfreeze(fx, await currentUnfreeze(fx, fx.id), { regulator: fx.stranger });
      await expect(fx.manager.unfreeze(...args))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidSigner")
        .withArgs(fx.stranger.address, fx.regulatorRole);
    });

    it("reverts with FacilityInvalidSigner when the relayed decision differs from the signed one", async () => {
      const fx = await loadFixture(frozenFacilityFixture);
      const [decision, bankSignature, regulatorSignature] = await signedUnfreeze(fx, await currentUnfreeze(fx, fx.id));
      const tampered = { ...decision, reasonHash: ethers.id("another reason") };
      await expect(fx.manager.unfreeze(tampered, bankSignature, regulatorSignature))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidSigner")
        .withArgs(anyValue, fx.bankRole);
    });

    it("reverts with FacilityNotFound for an unknown facility", async () => {
      const fx = await loadFixture(frozenFacilityFixture);
      const decision: Unfreeze = {
        facilityId: 4n,
        freezeCount: 1,
        reasonHash: ethers.ZeroHash,
        deadline: BigInt(await time.latest()) + 600n,
      };
      await expect(fx.manager.unfreeze(...(await signedUnfreeze(fx, decision))))
        .to.be.revertedWithCustomError(fx.manager, "FacilityNotFound")
        .withArgs(4n);
    });
  });

  describe("when a jointly signed review is applied", () => {
    it("emits ReviewApplied and sets the discounted rate, the eligibility and the next nonce", async () => {
      const fx = await loadFixture(governanceFixture);
      const reportHash = ethers.id("Q2 review: 3 patents, pass rate 98.6%");
      await expect(applyJointReview(fx, fx.id, { newRateBps: 400, subsidyEligible: true, reportHash }))
        .to.emit(fx.manager, "ReviewApplied")
        .withArgs(fx.id, 0n, 435n, 400n, true, reportHash, fx.bank.address, fx.regulator.address);
      const state = await fx.manager.facility(fx.id);
      expect(state.rateBps).to.equal(400n);
      expect(state.subsidyEligible).to.equal(true);
      expect(state.reviewNonce).to.equal(1n);
    });

    it("may restore the base rate after a discount", async () => {
      const fx = await loadFixture(governanceFixture);
      await applyJointReview(fx, fx.id, { newRateBps: 380 });
      await expect(applyJointReview(fx, fx.id, { newRateBps: 435 }))
        .to.emit(fx.manager, "ReviewApplied")
        .withArgs(fx.id, 1n, 380n, 435n, false, anyValue, fx.bank.address, fx.regulator.address);
    });

    it("is relayed by anyone", async () => {
      const fx = await loadFixture(governanceFixture);
      const args = await signedReview(fx, await nextReview(fx, fx.id, { newRateBps: 410 }));
      await expect(fx.manager.connect(fx.borrower).applyReview(...args)).to.emit(fx.manager, "ReviewApplied");
    });
  });

  describe("when a review is not validly approved", () => {
    it("reverts a replay with FacilityInvalidReviewNonce", async () => {
      const fx = await loadFixture(governanceFixture);
      const args = await signedReview(fx, await nextReview(fx, fx.id, { newRateBps: 400 }));
      await fx.manager.applyReview(...args);
      await expect(fx.manager.applyReview(...args))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidReviewNonce")
        .withArgs(fx.id, 1n, 0n);
    });

    it("reverts a nonce ahead of the next one with FacilityInvalidReviewNonce", async () => {
      const fx = await loadFixture(governanceFixture);
      const args = await signedReview(fx, await nextReview(fx, fx.id, { nonce: 1 }));
      await expect(fx.manager.applyReview(...args))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidReviewNonce")
        .withArgs(fx.id, 0n, 1n);
    });

    it("reverts with FacilityRateAboveBase for a rate above the base rate", async () => {
      const fx = await loadFixture(governanceFixture);
      const args = await signedReview(fx, await nextReview(fx, fx.id, { newRateBps: 436 }));
      await expect(fx.manager.applyReview(...args))
        .to.be.revertedWithCustomError(fx.manager, "FacilityRateAboveBase")
        .withArgs(436n, 435n);
    });

    it("reverts with FacilitySignatureExpired after the deadline", async () => {
      const fx = await loadFixture(governanceFixture);
      const deadline = BigInt(await time.latest()) + 600n;
      const args = await signedReview(fx, await nextReview(fx, fx.id, { deadline }));
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(fx.manager.applyReview(...args))
        .to.be.revertedWithCustomError(fx.manager, "FacilitySignatureExpired")
        .withArgs(deadline);
    });

    it("reverts with FacilityInvalidSigner when the bank's signature is from a non-bank account", async () => {
      const fx = await loadFixture(governanceFixture);
      const args = await signedReview(fx, await nextReview(fx, fx.id), { bank: fx.borrower });
      await expect(fx.manager.applyReview(...args))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidSigner")
        .withArgs(fx.borrower.address, fx.bankRole);
    });

    it("reverts with FacilityInvalidSigner when the regulator's signature is from a non-regulator", async () => {
      const fx = await loadFixture(governanceFixture);
      const args = await signedReview(fx, await nextReview(fx, fx.id), { regulator: fx.stranger });
      await expect(fx.manager.applyReview(...args))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidSigner")
        .withArgs(fx.stranger.address, fx.regulatorRole);
    });

    it("reverts with FacilityInvalidSigner when one account holding both roles signs both parts", async () => {
      const fx = await loadFixture(governanceFixture);
      await governed(fx, fx.manager).grantRole(fx.regulatorRole, fx.bank.address);
      const args = await signedReview(fx, await nextReview(fx, fx.id), { bank: fx.bank, regulator: fx.bank });
      await expect(fx.manager.applyReview(...args))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidSigner")
        .withArgs(fx.bank.address, fx.regulatorRole);
    });

    it("reverts with FacilityInvalidSigner when one account holding both roles signs an unfreeze twice", async () => {
      const fx = await loadFixture(frozenFacilityFixture);
      await governed(fx, fx.manager).grantRole(fx.regulatorRole, fx.bank.address);
      const args = await signedUnfreeze(fx, await currentUnfreeze(fx, fx.id), { regulator: fx.bank });
      await expect(fx.manager.unfreeze(...args))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidSigner")
        .withArgs(fx.bank.address, fx.regulatorRole);
    });

    it("reverts with FacilityInvalidSigner for signatures over another facility's review", async () => {
      const fx = await loadFixture(governanceFixture);
      const other = await buildFacility(fx);
      const [review, bankSignature, regulatorSignature] = await signedReview(fx, await nextReview(fx, other));
      await expect(fx.manager.applyReview({ ...review, facilityId: fx.id }, bankSignature, regulatorSignature))
        .to.be.revertedWithCustomError(fx.manager, "FacilityInvalidSigner")
        .withArgs(anyValue, fx.bankRole);
    });

    it("reverts with FacilityNotFound for an unknown facility", async () => {
      const fx = await loadFixture(governanceFixture);
      const review: Review = {
        facilityId: 8n,
        nonce: 0,
        newRateBps: 400,
        subsidyEligible: false,
        reportHash: ethers.ZeroHash,
        deadline: BigInt(await time.latest()) + 600n,
      };
      await expect(fx.manager.applyReview(...(await signedReview(fx, review))))
        .to.be.revertedWithCustomError(fx.manager, "FacilityNotFound")
        .withArgs(8n);
    });
  });

  describe("when computing what the bank and the regulator sign", () => {
    it("reviewDigest is the EIP-712 hash of the Review", async () => {
      const fx = await loadFixture(governanceFixture);
      const review = await nextReview(fx, fx.id, { newRateBps: 390, subsidyEligible: true });
      const expected = ethers.TypedDataEncoder.hash(await facilityDomain(fx.manager), reviewTypes, review);
      expect(await fx.manager.reviewDigest(review)).to.equal(expected);
    });

    it("unfreezeDigest is the EIP-712 hash of the Unfreeze", async () => {
      const fx = await loadFixture(frozenFacilityFixture);
      const decision = await currentUnfreeze(fx, fx.id);
      const expected = ethers.TypedDataEncoder.hash(await facilityDomain(fx.manager), unfreezeTypes, decision);
      expect(await fx.manager.unfreezeDigest(decision)).to.equal(expected);
    });

    it("signs in the domain QFM FacilityManager, version 1, of this chain and contract", async () => {
      const fx = await loadFixture(governanceFixture);
      const domain = await fx.manager.eip712Domain();
      expect(domain.name).to.equal("QFM FacilityManager");
      expect(domain.version).to.equal("1");
      expect(domain.chainId).to.equal((await ethers.provider.getNetwork()).chainId);
      expect(domain.verifyingContract).to.equal(await fx.manager.getAddress());
    });
  });
});
