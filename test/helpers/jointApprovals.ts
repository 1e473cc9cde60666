import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse, Signer } from "ethers";
import type { Fixture } from "./fixtures";
import { signReview, signUnfreeze, type Review, type Unfreeze } from "./signatures";

/** Who signs a joint decision; the fixture's bank officer and regulator unless given. */
export interface JointSigners {
  bank?: Signer;
  regulator?: Signer;
}

/** When the decision is sent: with `at`, its block gets exactly that timestamp and the deadline is an hour after it. */
export interface At {
  at?: bigint;
}

async function deadlineAfter(at?: bigint): Promise<bigint> {
  return (at ?? BigInt(await time.latest())) + 3_600n;
}

/** A review at the facility's next nonce that keeps its current rate and eligibility, valid for an hour. */
export async function nextReview(fx: Fixture, facilityId: bigint, overrides: Partial<Review> = {}): Promise<Review> {
  const state = await fx.manager.facility(facilityId);
  return {
    facilityId,
    nonce: Number(state.reviewNonce),
    newRateBps: Number(state.rateBps),
    subsidyEligible: state.subsidyEligible,
    reportHash: ethers.id(`review-report:${facilityId}:${state.reviewNonce}`),
    deadline: await deadlineAfter(),
    ...overrides,
  };
}

/** The review with the bank's and the regulator's signatures, in `applyReview`'s argument order. */
export async function signedReview(
  fx: Fixture,
  review: Review,
  signers: JointSigners = {},
): Promise<[Review, string, string]> {
  return [
    review,
    await signReview(fx.manager, signers.bank ?? fx.bank, review),
    await signReview(fx.manager, signers.regulator ?? fx.regulator, review),
  ];
}

/** Signs and applies the facility's next review (relayed by the bank). */
export async function applyJointReview(
  fx: Fixture,
  facilityId: bigint,
  overrides: Partial<Review> = {},
  options: At & JointSigners = {},
): Promise<ContractTransactionResponse> {
  const review = await nextReview(fx, facilityId, { deadline: await deadlineAfter(options.at), ...overrides });
  const args = await signedReview(fx, review, options);
  if (options.at !== undefined) await time.setNextBlockTimestamp(options.at);
  return fx.manager.applyReview(...args);
}

/** A decision to lift the facility's current freeze, valid for an hour. */
export async function currentUnfreeze(
  fx: Fixture,
  facilityId: bigint,
  overrides: Partial<Unfreeze> = {},
): Promise<Unfreeze> {
  const state = await fx.manager.facility(facilityId);
  return {
    facilityId,
    freezeCount: Number(state.freezeCount),
    reasonHash: ethers.id(`unfreeze-reason:${facilityId}:${state.freezeCount}`),
    deadline: await deadlineAfter(),
    ...overrides,
  };
}

/** The decision with the bank's and the regulator's signatures, in `unfreeze`'s argument order. */
export async function signedUnfreeze(
  fx: Fixture,
  decision: Unfreeze,
  signers: JointSigners = {},
): Promise<[Unfreeze, string, string]> {
  return [
    decision,
    await signUnfreeze(fx.manager, signers.bank ?? fx.bank, decision),
    await signUnfreeze(fx.manager, signers.regulator ?? fx.regulator, decision),
  ];
}
