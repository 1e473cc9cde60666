import type { TypedDataDomain } from "ethers";
import type { ApprovalKind } from "../../domain/enums";
import type { Chain } from "./chain";

/** EIP-712 type of a verifier's verdict (EvidenceRegistry's Attestation). */
export const ATTESTATION_TYPES = {
  Attestation: [
    { name: "evidenceId", type: "bytes32" },
    { name: "verdict", type: "uint8" },
    { name: "reasonHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
};

/** EIP-712 type of a verifier's withdrawal of its acceptance (EvidenceRegistry's Revocation). */
export const REVOCATION_TYPES = {
  Revocation: [
    { name: "evidenceId", type: "bytes32" },
    { name: "reasonHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
};

/** EIP-712 type of a verifier's verdicts on a batch's leaves by position (EvidenceRegistry's BatchAttestation). */
export const BATCH_ATTESTATION_TYPES = {
  BatchAttestation: [
    { name: "root", type: "bytes32" },
    { name: "accepted", type: "uint256[]" },
    { name: "rejected", type: "uint256[]" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
};

/** EIP-712 types of the joint decisions (FacilityManager's Review and Unfreeze). */
export const REVIEW_TYPES = {
  Review: [
    { name: "facilityId", type: "uint64" },
    { name: "nonce", type: "uint16" },
    { name: "newRateBps", type: "uint16" },
    { name: "subsidyEligible", type: "bool" },
    { name: "reportHash", type: "bytes32" },
    { name: "deadline", type: "uint64" },
  ],
};

export const UNFREEZE_TYPES = {
  Unfreeze: [
    { name: "facilityId", type: "uint64" },
    { name: "freezeCount", type: "uint16" },
    { name: "reasonHash", type: "bytes32" },
    { name: "deadline", type: "uint64" },
  ],
};

export type { ApprovalKind };

export const typesOf = (kind: ApprovalKind) => (kind === "REVIEW" ? REVIEW_TYPES : UNFREEZE_TYPES);

export async function managerDomain(chain: Chain): Promise<TypedDataDomain> {
  return {
    name: "QFM FacilityManager",
    version: "1",
    chainId: chain.chainId,
    verifyingContract: await chain.manager.getAddress(),
  };
}
