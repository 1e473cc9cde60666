import { ethers } from "hardhat";
import type { Signer } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Fixture } from "./fixtures";
import { Category, Kind, Verdict, kindsMask, yuan } from "./constants";
import { signAttestation, type AttestationRequest } from "./signatures";
import type { IFacilityManager } from "../../typechain-types";

type PaymentInput = IFacilityManager.EntrustedPaymentStruct;
type TermsInput = IFacilityManager.FacilityTermsStruct;

/** The standard plan: 4M to equipment (quality), 1M to the lab (quality), 5M of materials (not quality): 50% quality. */
export function standardPlan(fx: Fixture): PaymentInput[] {
  return [
    {
      payee: fx.equipmentVendor.address,
      amount: yuan(4_000_000),
      category: Category.EQUIPMENT,
      requiredKinds: kindsMask(Kind.PURCHASE_CONTRACT, Kind.INVOICE),
      qualityPurpose: true,
      paid: false,
    },
    {
      payee: fx.lab.address,
      amount: yuan(1_000_000),
      category: Category.TESTING_CERT,
      requiredKinds: kindsMask(Kind.INSPECTION_REPORT),
      qualityPurpose: true,
      paid: false,
    },
    {
      payee: fx.materials.address,
      amount: yuan(5_000_000),
      category: Category.MATERIALS,
      requiredKinds: kindsMask(Kind.PURCHASE_CONTRACT, Kind.DELIVERY_NOTE),
      qualityPurpose: false,
      paid: false,
    },
  ];
}

export function standardTerms(fx: Fixture, overrides: Partial<TermsInput> = {}): TermsInput {
  return {
    borrower: fx.borrower.address,
    creditLimit: yuan(10_000_000),
    baseRateBps: 435,
    qualityFloorBps: 0,
    subsidyBps: 300,
    ...overrides,
  };
}

/** Creates a facility (standard terms and plan unless overridden) and returns its id. */
export async function buildFacility(
  fx: Fixture,
  options: { terms?: Partial<TermsInput>; plan?: PaymentInput[]; fund?: bigint } = {},
): Promise<bigint> {
  const plan = options.plan ?? standardPlan(fx);
  await fx.manager.createFacility(standardTerms(fx, options.terms), plan);
  const id = await fx.manager.facilityCount();
  if (options.fund) await fundFacility(fx, id, options.fund);
  return id;
}

/** Mints to the bank and funds the facility. */
export async function fundFacility(fx: Fixture, facilityId: bigint, amount: bigint): Promise<void> {
  await fx.token.connect(fx.issuer).mint(fx.bank.address, amount);
  await fx.token.approve(await fx.manager.getAddress(), amount);
  await fx.manager.fund(facilityId, amount);
}

let saltCounter = 0;
/** A fresh salted document hash. */
export function saltedHash(label = "document"): string {
  return ethers.id(`${label}#${++saltCounter}#${Math.random()}`);
}

/** Anchors one piece of evidence and returns its id. */
export async function anchorEvidence(
  fx: Fixture,
  facilityId: bigint,
  kind: Kind,
  hash = saltedHash(),
): Promise<string> {
  await fx.evidence.anchor(facilityId, kind, hash);
  return fx.evidence.evidenceIdOf(facilityId, kind, hash);
}

/** A verifier's signed verdict with its current nonce and a deadline an hour ahead. */
export async function attestation(
  fx: Fixture,
  verifier: Signer,
  evidenceId: string,
  verdict: number = Verdict.ACCEPT,
  overrides: Partial<AttestationRequest> = {},
): Promise<{ request: AttestationRequest; signature: string }> {
  const request: AttestationRequest = {
    evidenceId,
    verdict,
    reasonHash: ethers.ZeroHash,
    nonce: await fx.evidence.nonces(await verifier.getAddress()),
    deadline: BigInt(await time.latest()) + 3_600n,
    ...overrides,
  };
  return { request, signature: await signAttestation(fx.evidence, verifier, request) };
}

/** Both verifier nodes accept the evidence in one transaction. */
export async function verifyEvidence(fx: Fixture, evidenceId: string): Promise<void> {
  const a = await attestation(fx, fx.bankVerifier, evidenceId);
  const b = await attestation(fx, fx.regulatorVerifier, evidenceId);
  await fx.evidence.attest([a.request, b.request], [a.signature, b.signature]);
}

/** Anchors and verifies one piece of evidence of each kind; returns their ids in order. */
export async function verifiedEvidence(fx: Fixture, facilityId: bigint, ...kinds: Kind[]): Promise<string[]> {
  const ids: string[] = [];
  for (const kind of kinds) {
    const id = await anchorEvidence(fx, facilityId, kind);
    await verifyEvidence(fx, id);
    ids.push(id);
  }
  return ids;
}
