import { z } from "zod";
import { PAYEE_CATEGORIES } from "../enums";

/** A registered supplier or lab as GET /payees shows it, with where its registration stands on chain. */
export const PayeeView = z
  .object({
    address: z.string(),
    name: z.string(),
    creditCode: z.string(),
    category: z.enum(PAYEE_CATEGORIES, { message: `must be one of ${PAYEE_CATEGORIES.join(", ")}` }),
    licenceHash: z.string(),
    active: z.boolean(),
    chainStatus: z.enum(["PENDING", "CONFIRMED"]),
    txHash: z.string().nullable(),
  })
  .meta({ id: "Payee" });
export type PayeeView = z.infer<typeof PayeeView>;

export const PayeeList = z.object({ items: z.array(PayeeView) });
export type PayeeList = z.infer<typeof PayeeList>;
