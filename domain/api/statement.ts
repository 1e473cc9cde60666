import { z } from "zod";
import { FACILITY_STATUS } from "../enums";
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

const Payment = z.object({ at: IsoTime, amount: Fen, txHash: TxHash });

export const Statement = z
  .object({
    facilityId: IdText,
    /** The chain's time and block the figures were read at. */
    at: IsoTime,
    blockNumber: z.int(),
    status: z.enum(FACILITY_STATUS),
    rateBps: z.int(),
    subsidyEligible: z.boolean(),
    principal: Fen,
    drawn: Fen,
    principalRepaid: Fen,
    interestAccrued: Fen,
    subsidyAccrued: Fen,
    interestRepaid: Fen,
    interestDue: Fen,
    subsidyPaid: Fen,
    subsidyDue: Fen,
    amountOwed: Fen,
    /** Who owes what now: the borrower its principal and its share of the interest, the fiscal account the subsidy. */
    owedBy: z.object({
      borrower: z.object({ address: z.string(), principal: Fen, interest: Fen, total: Fen }),
      fiscal: z.object({ subsidy: Fen }),
    }),
    balance: Fen,
    funded: Fen,
    withdrawn: Fen,
    treasury: z.string().nullable(),
    closable: z.boolean(),
    segments: z.array(StatementSegment),
    repayments: z.array(Repayment),
    subsidyPayments: z.array(Payment.extend({ payer: z.string() })),
    withdrawals: z.array(Payment.extend({ to: z.string() })),
    rateHistory: z.array(RateChange),
  })
  .meta({ id: "Statement" });
export type Statement = z.infer<typeof Statement>;
