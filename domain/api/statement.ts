import { z } from "zod";
import { Fen, IdText, IsoTime, TxHash } from "./values";

/** GET /facilities/:id/statement: interest by rate segment, subsidy, the amount owed and the repayments. */

/** A period at one rate; the last one is open (to null) and its interest is what has accrued so far. */
export const StatementSegment = z.object({
  from: IsoTime,
  to: IsoTime.nullable(),
  principal: Fen,
  rateBps: z.int(),
  interest: Fen,
  subsidy: Fen.nullable(),
  txHash: TxHash.optional(),
  open: z.boolean().optional().meta({ description: "the segment still accruing" }),
});
export type StatementSegment = z.infer<typeof StatementSegment>;

export const Repayment = z.object({
  at: IsoTime,
  payer: z.string(),
  interestPaid: Fen,
  principalPaid: Fen,
  txHash: TxHash,
});

export const RateChange = z.object({
  at: IsoTime,
  from: z.int(),
  to: z.int(),
  subsidyEligible: z.boolean(),
  txHash: TxHash,
});

export const Statement = z
  .object({
    facilityId: IdText,
    at: IsoTime,
    rateBps: z.int(),
    subsidyEligible: z.boolean(),
    principal: Fen,
    interestAccrued: Fen,
    subsidyAccrued: Fen,
    interestRepaid: Fen,
    interestDue: Fen,
    subsidyDue: Fen,
    amountOwed: Fen,
    segments: z.array(StatementSegment),
    repayments: z.array(Repayment),
    rateHistory: z.array(RateChange),
  })
  .meta({ id: "Statement" });
export type Statement = z.infer<typeof Statement>;
