import { Signature, verifyTypedData, type TypedDataDomain, type TypedDataField } from "ethers";

/**
 * A payer's signed order to pay into a facility: a repayment by the facility's borrower, or a subsidy payment by the
 * fiscal account. The bank node relays it (FacilityManager.repayWithSignature / paySubsidyWithSignature) through its
 * outbox and pays the gas, but the payer's tokens move only with two signatures of the payer's own: the order (this
 * facility, this amount, the payer's next order nonce, a deadline) and an ERC-2612 permit for the amount. The node
 * prepares both messages; the payer's client (qfm, the dashboard) signs them with a key the node never sees.
 */
export type OrderKind = "REPAYMENT" | "SUBSIDY";

const ORDER_FIELDS: TypedDataField[] = [
  { name: "facilityId", type: "uint64" },
  { name: "amount", type: "uint256" },
  { name: "inFull", type: "bool" },
  { name: "nonce", type: "uint256" },
  { name: "deadline", type: "uint64" },
];

/** EIP-712 types of the orders, as FacilityManager hashes them. */
export const ORDER_TYPES: Record<OrderKind, Record<string, TypedDataField[]>> = {
  REPAYMENT: { Repayment: ORDER_FIELDS },
  SUBSIDY: { SubsidyPayment: ORDER_FIELDS },
};

export const PERMIT_TYPES: Record<string, TypedDataField[]> = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** One message to sign, in JSON (integers as decimal strings), as `eth_signTypedData_v4` takes it less EIP712Domain. */
export interface TypedMessage {
  domain: { name: string; version: string; chainId: string; verifyingContract: string };
  types: Record<string, TypedDataField[]>;
  primaryType: string;
  message: Record<string, string | boolean>;
}

/** What the node prepares for a payer: the order and the permit to sign. */
export interface OrderRequest {
  kind: OrderKind;
  payer: string;
  facilityId: string;
  amount: string;
  /** `amount` is a ceiling: what is owed (due) when it lands is paid, up to it. */
  inFull: boolean;
  deadline: string;
  order: TypedMessage;
  permit: TypedMessage;
}

/** The payer's two signatures over an OrderRequest. */
export interface OrderSignatures {
  orderSignature: string;
  permitSignature: string;
}

/** The facts an order request is built from, read from the chain by the node. */
export interface OrderFacts {
  kind: OrderKind;
  payer: string;
  facilityId: bigint;
  amount: bigint;
  inFull: boolean;
  deadline: bigint;
  manager: { address: string; chainId: bigint; nonce: bigint };
  token: { name: string; version: string; chainId: bigint; address: string; nonce: bigint };
}

export function orderRequest(f: OrderFacts): OrderRequest {
  const managerDomain = {
    name: "QFM FacilityManager",
    version: "1",
    chainId: f.manager.chainId.toString(),
    verifyingContract: f.manager.address,
  };
  const tokenDomain = {
    name: f.token.name,
    version: f.token.version,
    chainId: f.token.chainId.toString(),
    verifyingContract: f.token.address,
  };
  return {
    kind: f.kind,
    payer: f.payer,
    facilityId: f.facilityId.toString(),
    amount: f.amount.toString(),
    inFull: f.inFull,
    deadline: f.deadline.toString(),
    order: {
      domain: managerDomain,
      types: ORDER_TYPES[f.kind],
      primaryType: Object.keys(ORDER_TYPES[f.kind])[0],
      message: {
        facilityId: f.facilityId.toString(),
        amount: f.amount.toString(),
        inFull: f.inFull,
        nonce: f.manager.nonce.toString(),
        deadline: f.deadline.toString(),
      },
    },
    permit: {
      domain: tokenDomain,
      types: PERMIT_TYPES,
      primaryType: "Permit",
      message: {
        owner: f.payer,
        spender: f.manager.address,
        value: f.amount.toString(),
        nonce: f.token.nonce.toString(),
        deadline: f.deadline.toString(),
      },
    },
  };
}

const domainOf = (m: TypedMessage): TypedDataDomain => ({ ...m.domain, chainId: BigInt(m.domain.chainId) });

/** Signs a prepared request with the payer's key (any ethers signer: a Wallet in qfm, a test's account). */
export async function signOrderRequest(
  signer: {
    signTypedData(d: TypedDataDomain, t: Record<string, TypedDataField[]>, m: Record<string, unknown>): Promise<string>;
  },
  request: OrderRequest,
): Promise<OrderSignatures> {
  return {
    orderSignature: await signer.signTypedData(domainOf(request.order), request.order.types, request.order.message),
    permitSignature: await signer.signTypedData(domainOf(request.permit), request.permit.types, request.permit.message),
  };
}

/** Who signed each message (undefined for a signature that does not parse). */
export function signersOf(request: OrderRequest, signatures: OrderSignatures) {
  const recover = (m: TypedMessage, signature: string) => {
    try {
      return verifyTypedData(domainOf(m), m.types, m.message, signature);
    } catch {
      return undefined;
    }
  };
  return {
    order: recover(request.order, signatures.orderSignature),
    permit: recover(request.permit, signatures.permitSignature),
  };
}

/** The contract call's arguments: the order and the permit split into v, r, s. */
export function orderCall(request: OrderRequest, signatures: OrderSignatures) {
  const { v, r, s } = Signature.from(signatures.permitSignature);
  return {
    order: {
      facilityId: BigInt(request.facilityId),
      amount: BigInt(request.amount),
      inFull: request.inFull,
      deadline: BigInt(request.deadline),
      signature: signatures.orderSignature,
    },
    permit: { deadline: BigInt(request.deadline), v, r, s },
  };
}
