import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import type { ContractTransactionReceipt } from "ethers";
import { Category, Kind, yuan } from "../helpers/constants";
import { deployFixture } from "../helpers/fixtures";
import { revertName } from "../helpers/revertReasons";
import type { Action } from "./facilityActions";
import { checkInvariants } from "./facilityInvariants";
import * as M from "./facilityModel";
import { prepareAnchor, prepareAttest, preparePayment, prepareRevoke } from "./evidenceSteps";
import { prepareFacilityStep } from "./facilitySteps";
import { count, type Runner, type Step } from "./stepTargets";

export type { Runner } from "./stepTargets";

/**
 * The fixed opening of every sequence, run through the same executor as the random actions: three payees, two
 * facilities (one 10M plan at 4.35%, funded 6M, with its 1M lab payment already executed, a review that made it
 * subsidy-eligible at 4.00%; one 3M plan at 5.00%), evidence in every state (verified, attested by one node only,
 * anchored and not yet attested, consumed), then ten days. Short random sequences
 * start from here, so they reach payments, repayments and subsidy without first having to build them.
 */
export const PRELUDE: Action[] = [
  { type: "registerPayee", payee: 0, category: Category.EQUIPMENT },
  { type: "registerPayee", payee: 1, category: Category.TESTING_CERT },
  { type: "registerPayee", payee: 2, category: Category.MATERIALS },
  {
    type: "createFacility",
    borrower: 0,
    limit: "exact",
    baseRateBps: 435,
    qualityFloorBps: 0,
    subsidyBps: 300,
    plan: [
      { payee: 0, amount: yuan(4_000_000), categoryMatches: true, requiredKinds: 0b11, qualityPurpose: true },
      { payee: 1, amount: yuan(1_000_000), categoryMatches: true, requiredKinds: 0b1000, qualityPurpose: true },
      { payee: 2, amount: yuan(5_000_000), categoryMatches: true, requiredKinds: 0b101, qualityPurpose: false },
    ],
  },
  {
    type: "createFacility",
    borrower: 1,
    limit: "roomy",
    baseRateBps: 500,
    qualityFloorBps: 5_000,
    subsidyBps: 300,
    plan: [
      { payee: 1, amount: yuan(2_000_000), categoryMatches: true, requiredKinds: 0b10000, qualityPurpose: true },
      { payee: 2, amount: yuan(1_000_000), categoryMatches: true, requiredKinds: 0b10, qualityPurpose: false },
    ],
  },
  { type: "fund", facility: 0, amount: yuan(6_000_000) },
  { type: "fund", facility: 1, amount: yuan(3_000_000) },
  { type: "anchor", facility: 0, kind: Kind.INSPECTION_REPORT, neededKind: false, reanchor: false },
  { type: "attest", evidence: 0, signers: "both", accept: [true, true], expired: false, ghost: false },
  { type: "executePayment", facility: 0, payment: 1, evidence: "correct", pick: 0 },
  { type: "anchor", facility: 0, kind: Kind.PURCHASE_CONTRACT, neededKind: false, reanchor: false },
  { type: "anchor", facility: 0, kind: Kind.INVOICE, neededKind: false, reanchor: false },
  { type: "attest", evidence: 0, signers: "both", accept: [true, true], expired: false, ghost: false },
  { type: "attest", evidence: 0, signers: "bank", accept: [true, true], expired: false, ghost: false },
  { type: "anchor", facility: 1, kind: Kind.CERTIFICATION, neededKind: false, reanchor: false },
  { type: "attest", evidence: 0, signers: "both", accept: [true, true], expired: false, ghost: false },
  { type: "anchor", facility: 0, kind: Kind.DELIVERY_NOTE, neededKind: false, reanchor: false },
  { type: "anchor", facility: 1, kind: Kind.INVOICE, neededKind: false, reanchor: false },
  { type: "applyReview", facility: 0, discountBps: 35, subsidyEligible: true, variant: "valid" },
  { type: "timePasses", seconds: 10 * 86_400 },
];

/** Deploys once, funds the actors, runs the prelude; `loadFixture` snapshots the result for every run. */
export async function propertyFixture(): Promise<{ runner: Runner }> {
  const fx = await deployFixture();
  const signers = await ethers.getSigners();
  const borrowers = [fx.borrower, signers[14]];
  const payeePool = [fx.equipmentVendor, fx.lab, fx.materials, ...signers.slice(11, 14)].map((s) => s.address);
  const manager = await fx.manager.getAddress();
  for (const holder of [fx.bank, fx.fiscal, ...borrowers]) {
    await fx.token.connect(fx.issuer).mint(await holder.getAddress(), 10n ** 15n);
    await fx.token.connect(holder).approve(manager, ethers.MaxUint256);
  }
  const runner: Runner = {
    fx,
    borrowers,
    payeePool,
    model: M.emptyModel(BigInt(await time.latest())),
    stats: new Map(),
  };
  for (const a of PRELUDE) {
    const outcome = await perform(runner, a);
    if (outcome !== "ok") throw new Error(`prelude action ${fc.stringify(a)} did not succeed: ${outcome}`);
    await checkInvariants(fx, runner.model, new Map());
  }
  runner.stats.clear();
  return { runner };
}

/**
 * Sends one action to the chain in its own block, one second after the previous one (so the model knows every
 * timestamp), and checks the outcome against the model: success exactly when the model finds no violation, and a
 * revert only with one of the errors the model names. Returns "ok", the revert's error name, or "skipped".
 */
export async function perform(r: Runner, a: Action): Promise<string> {
  const m = r.model;
  if (a.type === "timePasses") {
    m.now += BigInt(a.seconds);
    await time.increaseTo(m.now);
    count(r, "timePasses ok");
    return "ok";
  }
  const at = m.now + 1n;
  const step = await prepare(r, a, at);
  if (!step) return "skipped";
  await time.setNextBlockTimestamp(at);
  let receipt: ContractTransactionReceipt | null = null;
  let failure: unknown;
  try {
    receipt = await (await step.send()).wait();
  } catch (error) {
    failure = error;
  }
  const what = `${fc.stringify(a)} at ${at}`;
  if (receipt) {
    m.now = at;
    expect(step.expected, `${what} succeeded on chain, but the model expected a revert with one of`).to.deep.equal([]);
    step.apply(receipt);
    count(r, `${a.type} ok`);
    return "ok";
  }
  const name = revertName(failure);
  if ((failure as { transactionHash?: string }).transactionHash) m.now = at; // the reverted transaction took the block
  if (step.expected.length === 0) expect.fail(`${what} reverted with ${name} on chain, but the model expected success`);
  expect(step.expected, `${what} reverted with ${name} on chain; the model expected one of`).to.include(name);
  count(r, `${a.type} ✗ ${name}`);
  return name;
}

function prepare(r: Runner, a: Exclude<Action, { type: "timePasses" }>, at: bigint): Promise<Step | undefined> {
  switch (a.type) {
    case "anchor":
      return prepareAnchor(r, a);
    case "attest":
      return prepareAttest(r, a, at);
    case "revoke":
      return prepareRevoke(r, a, at);
    case "executePayment":
      return preparePayment(r, a, at);
    default:
      return prepareFacilityStep(r, a, at);
  }
}
