import type { Signer, TypedDataDomain } from "ethers";
import type { EvidenceRegistry, FacilityManager } from "../../typechain-types";

/** EIP-712 types, written out independently of the contracts so a typo on either side fails the tests. */
export const attestationTypes = {
  Attestation: [
    { name: "evidenceId", type: "bytes32" },
    { name: "verdict", type: "uint8" },
    { name: "reasonHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
};

export const revocationTypes = {
  Revocation: [
    { name: "evidenceId", type: "bytes32" },
    { name: "reasonHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
};

export const batchAttestationTypes = {
  BatchAttestation: [
    { name: "root", type: "bytes32" },
    { name: "accepted", type: "uint256[]" },
    { name: "rejected", type: "uint256[]" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
};

export const reviewTypes = {
  Review: [
    { name: "facilityId", type: "uint64" },
    { name: "nonce", type: "uint16" },
    { name: "newRateBps", type: "uint16" },
    { name: "subsidyEligible", type: "bool" },
    { name: "reportHash", type: "bytes32" },
    { name: "deadline", type: "uint64" },
  ],
};

export const unfreezeTypes = {
  Unfreeze: [
    { name: "facilityId", type: "uint64" },
    { name: "freezeCount", type: "uint16" },
    { name: "reasonHash", type: "bytes32" },
    { name: "deadline", type: "uint64" },
  ],
};

export interface AttestationRequest {
  evidenceId: string;
  verdict: number;
  reasonHash: string;
  nonce: bigint;
  deadline: bigint;
}

export interface RevocationRequest {
  evidenceId: string;
  reasonHash: string;
  nonce: bigint;
  deadline: bigint;
}

export interface BatchAttestation {
  root: string;
  accepted: bigint[];
  rejected: bigint[];
  nonce: bigint;
  deadline: bigint;
}

export interface Review {
  facilityId: bigint;
  nonce: number;
  newRateBps: number;
  subsidyEligible: boolean;
  reportHash: string;
  deadline: bigint;
}

export interface Unfreeze {
  facilityId: bigint;
  freezeCount: number;
  reasonHash: string;
  deadline: bigint;
}

async function domainOf(contract: { getAddress(): Promise<string> }, name: string): Promise<TypedDataDomain> {
  const { chainId } = await (contract as unknown as { runner: Signer }).runner.provider!.getNetwork();
  return { name, version: "1", chainId, verifyingContract: await contract.getAddress() };
}

export const evidenceDomain = (registry: EvidenceRegistry) => domainOf(registry, "QFM EvidenceRegistry");
export const facilityDomain = (manager: FacilityManager) => domainOf(manager, "QFM FacilityManager");

export async function signAttestation(
  registry: EvidenceRegistry,
  verifier: Signer,
  request: AttestationRequest,
  domainOverride: Partial<TypedDataDomain> = {},
): Promise<string> {
  const domain = { ...(await evidenceDomain(registry)), ...domainOverride };
  return verifier.signTypedData(domain, attestationTypes, request);
}

export async function signRevocation(
  registry: EvidenceRegistry,
  verifier: Signer,
  request: RevocationRequest,
  domainOverride: Partial<TypedDataDomain> = {},
): Promise<string> {
  return verifier.signTypedData({ ...(await evidenceDomain(registry)), ...domainOverride }, revocationTypes, request);
}

export async function signBatchAttestation(
  registry: EvidenceRegistry,
  verifier: Signer,
  attestation: BatchAttestation,
  domainOverride: Partial<TypedDataDomain> = {},
): Promise<string> {
  const domain = { ...(await evidenceDomain(registry)), ...domainOverride };
  return verifier.signTypedData(domain, batchAttestationTypes, attestation);
}

export async function signReview(
  manager: FacilityManager,
  signer: Signer,
  review: Review,
  domainOverride: Partial<TypedDataDomain> = {},
): Promise<string> {
  return signer.signTypedData({ ...(await facilityDomain(manager)), ...domainOverride }, reviewTypes, review);
}

export async function signUnfreeze(
  manager: FacilityManager,
  signer: Signer,
  decision: Unfreeze,
  domainOverride: Partial<TypedDataDomain> = {},
): Promise<string> {
  return signer.signTypedData({ ...(await facilityDomain(manager)), ...domainOverride }, unfreezeTypes, decision);
}
