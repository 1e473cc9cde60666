import { Signature, type Signer, type TypedDataDomain } from "ethers";
import { PERMIT_TYPES } from "../../domain/chain/payer-orders";

/** The token calls a permit needs: its EIP-712 domain (ERC-5267) and the owner's permit nonce. */
export interface PermitToken {
  eip712Domain(): Promise<[string, string, string, bigint, string, string, bigint[]]>;
  nonces(owner: string): Promise<bigint>;
}

export interface Permit {
  deadline: bigint;
  v: number;
  r: string;
  s: string;
}

/**
 * An ERC-2612 permit by `owner` for `spender` to take exactly `value`, signed with the owner's current permit nonce.
 * Used at once by FacilityManager.fundWithPermit, which approves and transfers in one call, so no allowance is left
 * for another funding to overwrite.
 */
export async function signPermit(
  token: PermitToken,
  owner: Signer,
  spender: string,
  value: bigint,
  deadline: bigint,
): Promise<Permit> {
  const [, name, version, chainId, verifyingContract] = await token.eip712Domain();
  const address = await owner.getAddress();
  const domain: TypedDataDomain = { name, version, chainId, verifyingContract };
  const message = { owner: address, spender, value, nonce: await token.nonces(address), deadline };
  const { v, r, s } = Signature.from(await owner.signTypedData(domain, PERMIT_TYPES, message));
  return { deadline, v, r, s };
}
