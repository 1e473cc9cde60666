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

/** Kinds whose counterparty is the payee (EvidenceLeaf.PAYEE_KINDS); the others name the borrower. */
export const PAYEE_KINDS: readonly Kind[] = [
  Kind.PURCHASE_CONTRACT,
  Kind.INVOICE,
  Kind.DELIVERY_NOTE,
  Kind.CERTIFICATION,
];

/** An anchored piece of evidence; `{ kind, saltedHash }` is what executePayment takes (extra fields are ignored). */
export interface Evidence {
  id: string;
  facilityId: bigint;
  kind: Kind;
  counterparty: string;
  saltedHash: string;
}

/**
 * The counterparty a payment of the facility would recompute for `kind`: the borrower for a borrower kind; for a payee
 * kind the payee of payment `index`, or of the first planned payment requiring that kind (else the equipment vendor).
 */
export async function counterpartyFor(fx: Fixture, facilityId: bigint, kind: Kind, index?: number): Promise<string> {
  const count = await fx.manager.facilityCount();
  if (!PAYEE_KINDS.includes(kind)) {
    return facilityId >= 1n && facilityId <= count
      ? (await fx.manager.facility(facilityId)).borrower
      : fx.borrower.address;
  }
  if (facilityId < 1n || facilityId > count) return fx.equipmentVendor.address;
  if (index !== undefined) return (await fx.manager.payment(facilityId, index)).payee;
  const { paymentCount } = await fx.manager.facility(facilityId);
  for (let i = 0; i < Number(paymentCount); i++) {
    const payment = await fx.manager.payment(facilityId, i);
    if ((Number(payment.requiredKinds) >> kind) & 1) return payment.payee;
  }
  return fx.equipmentVendor.address;
}

/** Anchors one piece of evidence (counterparty from {counterpartyFor} unless given) and returns it. */
export async function anchoredEvidence(
  fx: Fixture,
  facilityId: bigint,
  kind: Kind,
  options: { counterparty?: string; hash?: string; index?: number } = {},
): Promise<Evidence> {
  const counterparty = options.counterparty ?? (await counterpartyFor(fx, facilityId, kind, options.index));
  const hash = options.hash ?? saltedHash();
  await fx.evidence.anchor(facilityId, kind, counterparty, hash);
  const id = await fx.evidence.evidenceIdOf(facilityId, kind, counterparty, hash);
  return { id, facilityId, kind, counterparty, saltedHash: hash };
}

/** Anchors one piece of evidence and returns its id. */
export async function anchorEvidence(
  fx: Fixture,
  facilityId: bigint,
  kind: Kind,
  hash = saltedHash(),
  counterparty?: string,
): Promise<string> {
  return (await anchoredEvidence(fx, facilityId, kind, { hash, counterparty })).id;
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

/** Anchors and verifies one piece of evidence of each kind (counterparties from {counterpartyFor}), in order. */
export async function verifiedEvidence(fx: Fixture, facilityId: bigint, ...kinds: Kind[]): Promise<Evidence[]> {
  const list: Evidence[] = [];
  for (const kind of kinds) {
    const evidence = await anchoredEvidence(fx, facilityId, kind);
    await verifyEvidence(fx, evidence.id);
    list.push(evidence);
  }
  return list;
}

/** Anchors and verifies evidence naming `counterparty` explicitly. */
export async function verifiedEvidenceNaming(
  fx: Fixture,
  facilityId: bigint,
  counterparty: string,
  ...kinds: Kind[]
): Promise<Evidence[]> {
  const list: Evidence[] = [];
  for (const kind of kinds) {
    const evidence = await anchoredEvidence(fx, facilityId, kind, { counterparty });
    await verifyEvidence(fx, evidence.id);
    list.push(evidence);
  }
  return list;
}

/** The ids of a list of evidence. */
export const idsOf = (list: Evidence[]): string[] => list.map((e) => e.id);
