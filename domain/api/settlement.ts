import { z } from "zod";
import { AddressText, Fen, IdText, TxHash } from "./values";

/**
 * The end of the loan: a payer's order to sign (a repayment by the borrower, a subsidy payment by the fiscal account),
 * what the node answers when it relays one, closing and withdrawal to the treasury.
 */

const Uint = IdText.meta({ description: "an unsigned integer as a decimal string" });

/** One field of an EIP-712 type. */
const TypedDataField = z.object({ name: z.string(), type: z.string() });

/** An EIP-712 domain as the node gives it (chainId as a decimal string). */
const TypedDataDomain = z.object({
  name: z.string(),
  version: z.string(),
  chainId: Uint,
  verifyingContract: AddressText,
});

/** One message to sign, as `eth_signTypedData_v4` takes it less EIP712Domain. */
const typedMessage = <M extends z.ZodObject>(message: M) =>
  z.object({
    domain: TypedDataDomain,
    types: z.record(z.string(), z.array(TypedDataField)).meta({ description: "the EIP-712 types, by name" }),
    primaryType: z.string(),
    message,
  });

/** What the node prepares for a payer: the order (FacilityManager's EIP-712 type) and the token's EIP-2612 permit. */
export const OrderRequest = z
  .object({
    kind: z.enum(["REPAYMENT", "SUBSIDY"]),
    payer: AddressText,
    facilityId: IdText,
    amount: Fen,
    inFull: z
      .boolean()
      .meta({ description: "`amount` is a ceiling: what is owed (due) when it lands is paid, up to it" }),
    deadline: Uint.meta({ description: "seconds of chain time" }),
    order: typedMessage(z.object({ facilityId: Uint, amount: Uint, inFull: z.boolean(), nonce: Uint, deadline: Uint })),
    permit: typedMessage(
      z.object({ owner: AddressText, spender: AddressText, value: Uint, nonce: Uint, deadline: Uint }),
    ),
  })
  .meta({ id: "OrderRequest" });
export type OrderRequest = z.infer<typeof OrderRequest>;

/** A relayed repayment or subsidy payment: landed (txHash) or on its way (null). */
export const OrderResult = z
  .object({
    facilityId: IdText,
    txHash: TxHash,
    payer: AddressText,
    amount: Fen.meta({ description: "the signed amount (a ceiling when inFull)" }),
    inFull: z.boolean(),
  })
  .meta({ id: "OrderResult" });
export type OrderResult = z.infer<typeof OrderResult>;

/** A facility closed, or on its way to be. */
export const CloseResult = z.object({ facilityId: IdText, txHash: TxHash }).meta({ id: "CloseResult" });
export type CloseResult = z.infer<typeof CloseResult>;

/** A withdrawal to the treasury. */
export const WithdrawResult = z
  .object({ facilityId: IdText, txHash: TxHash, amount: Fen, to: AddressText.meta({ description: "the treasury" }) })
  .meta({ id: "WithdrawResult" });
export type WithdrawResult = z.infer<typeof WithdrawResult>;
