/** Payee requests (the view: domain/api/payees.ts), and the address every room's requests take. */
import { getAddress, isAddress } from "ethers";
import { z } from "zod";
import { pageQuery } from "../../domain/api/page";
import { PAYEE_CATEGORIES, type PayeeCategory } from "../../domain/enums";
import { CreditCode, Hex32, Text } from "../http/route";

export { PAYEE_CATEGORIES, type PayeeCategory };
/** A category's index in the contract's enum. */
export const categoryIndex = (category: string) => PAYEE_CATEGORIES.indexOf(category as PayeeCategory);

/** An address as 0x and 40 hex digits, in lower case or with its EIP-55 checksum (ethers would also take ICAP). */
export const Address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, { message: "must be a 0x-prefixed 20-byte address (40 hex digits)", abort: true })
  .refine((value) => isAddress(value), {
    message: "has a wrong EIP-55 checksum: write it in lower case, or with the mixed case of its checksum",
  })
  .transform((value) => getAddress(value));

export const Category = z.enum(PAYEE_CATEGORIES, { message: `must be one of ${PAYEE_CATEGORIES.join(", ")}` });

export const RegisterPayeeBody = z.object({
  address: Address,
  name: Text(200),
  creditCode: CreditCode,
  category: Category,
  licenceHash: Hex32.optional().meta({ description: "hash of the licence document" }),
  licenceDocumentId: z
    .uuid()
    .optional()
    .meta({ description: "or: an uploaded document whose content hash is the licence hash" }),
});
export type RegisterPayeeBody = z.infer<typeof RegisterPayeeBody>;

export const UpdatePayeeBody = z.object({
  name: Text(200).optional(),
  category: Category.optional(),
  licenceHash: Hex32.optional(),
});
export type UpdatePayeeBody = z.infer<typeof UpdatePayeeBody>;

export const PayeeFilter = z.object({
  category: Category.optional(),
  active: z.enum(["true", "false"]).optional(),
  ...pageQuery().shape,
});
export type PayeeFilter = z.infer<typeof PayeeFilter>;

export const AddressParams = z.object({ address: Address });

export const ReasonBody = (action: string) => z.object({ reason: Text(1_000).default(action) });
