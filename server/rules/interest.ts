import { z } from "zod";
import { Bps, Fen, Seconds, expected, parseInput } from "./values";

/**
 * The off-chain mirror of FacilityManager's interest, to the fen. Interest is simple ACT/360 per second on drawn,
 * unrepaid principal; a rate segment closes at every payment, repayment and review. Each segment adds its exact
 * numerator principal × bps × seconds, and the totals are rounded down once over DENOMINATOR (InterestMath.sol).
 * In subsidy-eligible periods the subsidy accrues the same way at min(subsidyBps, rateBps).
 */

/** Basis points times the seconds of a 360-day year (InterestMath.DENOMINATOR). */
export const DENOMINATOR = 10_000n * 360n * 86_400n;

/** The unrounded interest of one segment, in fen × DENOMINATOR. */
export function interestNumerator(principal: bigint, rateBps: number | bigint, seconds: bigint): bigint {
  return principal * BigInt(rateBps) * seconds;
}

/** Whole fen in an accumulated numerator, rounded down. */
export function toFen(numerator: bigint): bigint {
  return numerator / DENOMINATOR;
}

/** The facility terms interest depends on (FacilityCreated). */
export const InterestTerms = z.object({
  baseRateBps: Bps,
  subsidyBps: Bps,
  /** When the facility was created: its first segment would start here (optional: nothing accrues before a payment). */
  openedAt: Seconds.optional(),
});
export type InterestTerms = z.input<typeof InterestTerms>;

/** The events of a facility that move interest, named and shaped as the contract emits them; `at` is the block time. */
export const HistoryEvent = z.discriminatedUnion(
  "type",
  [
    z.object({ type: z.literal("PaymentExecuted"), at: Seconds, amount: Fen }),
    z.object({ type: z.literal("Repaid"), at: Seconds, interestPaid: Fen, principalPaid: Fen }),
    z.object({
      type: z.literal("ReviewApplied"),
      at: Seconds,
      newRateBps: Bps,
      subsidyEligible: z.boolean(expected("must be true or false")),
    }),
    /** A fiscal subsidy payment; it does not close a segment (paySubsidy does not accrue). */
    z.object({ type: z.literal("SubsidyPaid"), at: Seconds, amount: Fen }),
  ],
  expected("must be an event of type PaymentExecuted, Repaid, ReviewApplied or SubsidyPaid"),
);
export type HistoryEvent = z.input<typeof HistoryEvent>;
type ParsedEvent = z.output<typeof HistoryEvent>;

export const StatementInput = z.object({
  terms: InterestTerms,
  /** The facility's events in chain order (ties in time keep their order). */
  events: z.array(HistoryEvent),
  /** The time of the statement, in seconds; events after it are left out. */
  at: Seconds,
  /** The subsidy the fiscal account has paid, when the events do not include its SubsidyPaid events. */
  subsidyPaid: Fen.optional(),
});
export type StatementInput = z.input<typeof StatementInput>;

/** One rate segment: `principal` at `rateBps` from `from` to `to` (seconds). */
export interface RateSegment {
  from: bigint;
  to: bigint;
  principal: bigint;
  rateBps: number;
  /** The subsidy rate in the segment: min(subsidyBps, rateBps) when subsidy-eligible, else 0. */
  subsidyRateBps: number;
  /** The whole fen the segment added to the rounded-down interest total (InterestAccrued's `interest`). */
  interestFen: bigint;
  /** The whole fen the segment added to the rounded-down subsidy total (InterestAccrued's `subsidy`). */
  subsidyFen: bigint;
  /** False for the segment still open at the statement's time: its figures are what closing it now would book. */
  closed: boolean;
}

/** A facility's interest position at one time, as the contract's views report it then. */
export interface InterestStatement {
  at: bigint;
  principal: bigint;
  /** Everything ever drawn (principal plus principal repaid). */
  drawn: bigint;
  principalRepaid: bigint;
  rateBps: number;
  subsidyEligible: boolean;
  /** Start of the open segment (facility().lastAccrual); undefined before any event without terms.openedAt. */
  lastAccrual: bigint | undefined;
  segments: RateSegment[];
  interestNumerator: bigint;
  subsidyNumerator: bigint;
  /** facility().interestAccrued */
  interestAccrued: bigint;
  /** facility().subsidyAccrued */
  subsidyAccrued: bigint;
  interestRepaid: bigint;
  subsidyPaid: bigint;
  /** outstanding().interestDue: the borrower's exact share (interest − subsidy) rounded down once, less repayments. */
  interestDue: bigint;
  /** subsidyDue() */
  subsidyDue: bigint;
}

/** Thrown when a history cannot be the contract's (out of order, or a repayment split the contract would not make). */
export class InterestHistoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InterestHistoryError";
  }
}

/** The ledger as the contract keeps it between events. */
interface Ledger {
  baseRateBps: number;
  subsidyBps: number;
  principal: bigint;
  principalRepaid: bigint;
  rateBps: number;
  subsidyEligible: boolean;
  lastAccrual: bigint | undefined;
  interestNumerator: bigint;
  subsidyNumerator: bigint;
  interestRepaid: bigint;
  subsidyPaid: bigint;
  segments: RateSegment[];
}

function subsidyRate(l: Ledger): number {
  return l.subsidyEligible ? Math.min(l.subsidyBps, l.rateBps) : 0;
}

/** The open segment's numerators up to `at` (zero when nothing is owed or no time passed). */
function openNumerators(l: Ledger, at: bigint): { interest: bigint; subsidy: bigint; seconds: bigint } {
  const seconds = l.lastAccrual === undefined ? 0n : at - l.lastAccrual;
  if (l.principal === 0n || seconds === 0n) return { interest: 0n, subsidy: 0n, seconds };
  return {
    interest: interestNumerator(l.principal, l.rateBps, seconds),
    subsidy: interestNumerator(l.principal, subsidyRate(l), seconds),
    seconds,
  };
}

/** The open segment as closing it at `at` would book it, or undefined when it would book nothing (no event). */
function segmentTo(l: Ledger, at: bigint): RateSegment | undefined {
  const open = openNumerators(l, at);
  if (l.principal === 0n || open.seconds === 0n) return undefined;
  return {
    from: l.lastAccrual!,
    to: at,
    principal: l.principal,
    rateBps: l.rateBps,
    subsidyRateBps: subsidyRate(l),
    interestFen: toFen(l.interestNumerator + open.interest) - toFen(l.interestNumerator),
    subsidyFen: toFen(l.subsidyNumerator + open.subsidy) - toFen(l.subsidyNumerator),
    closed: false,
  };
}

/** FacilityManager._accrue: closes the open segment at `at`. */
function accrue(l: Ledger, at: bigint): void {
  if (l.lastAccrual === at) return;
  const segment = segmentTo(l, at);
  const open = openNumerators(l, at);
  l.lastAccrual = at;
  if (!segment) return;
  l.interestNumerator += open.interest;
  l.subsidyNumerator += open.subsidy;
  l.segments.push({ ...segment, closed: true });
}

function interestDueAt(l: Ledger, at: bigint): bigint {
  const open = openNumerators(l, at);
  return toFen(l.interestNumerator + open.interest - (l.subsidyNumerator + open.subsidy)) - l.interestRepaid;
}

function subsidyDueAt(l: Ledger, at: bigint): bigint {
  return toFen(l.subsidyNumerator + openNumerators(l, at).subsidy) - l.subsidyPaid;
}

function apply(l: Ledger, e: ParsedEvent, index: number): void {
  const where = `event ${index} (${e.type} at ${e.at})`;
  switch (e.type) {
    case "PaymentExecuted":
      accrue(l, e.at);
      l.principal += e.amount;
      return;
    case "Repaid": {
      accrue(l, e.at);
      const split = splitDue(interestDueAt(l, e.at), l.principal, e.interestPaid + e.principalPaid, where);
      if (split.interestPaid !== e.interestPaid) {
        throw new InterestHistoryError(
          `${where}: the contract would take ${split.interestPaid} fen of interest from a repayment of ${e.interestPaid + e.principalPaid} fen, not ${e.interestPaid}; is an earlier event missing?`,
        );
      }
      l.interestRepaid += e.interestPaid;
      l.principal -= e.principalPaid;
      l.principalRepaid += e.principalPaid;
      return;
    }
    case "ReviewApplied":
      if (e.newRateBps > l.baseRateBps) {
        throw new InterestHistoryError(`${where}: ${e.newRateBps} bps is above the base rate of ${l.baseRateBps} bps`);
      }
      accrue(l, e.at);
      l.rateBps = e.newRateBps;
      l.subsidyEligible = e.subsidyEligible;
      return;
    case "SubsidyPaid": {
      const due = subsidyDueAt(l, e.at);
      if (e.amount > due) {
        throw new InterestHistoryError(`${where}: ${e.amount} fen of subsidy paid, but only ${due} fen was due`);
      }
      l.subsidyPaid += e.amount;
      return;
    }
  }
}

function splitDue(interestDue: bigint, principal: bigint, amount: bigint, where: string) {
  if (amount > interestDue + principal) {
    throw new InterestHistoryError(
      `${where}: a repayment of ${amount} fen exceeds the debt of ${interestDue + principal} fen (${interestDue} interest, ${principal} principal)`,
    );
  }
  const interestPaid = amount < interestDue ? amount : interestDue;
  return { interestPaid, principalPaid: amount - interestPaid };
}

/**
 * The facility's interest statement at `at`, replaying its events exactly as the contract does: the same segments
 * (with the InterestAccrued figures), the same rounded totals and the same amounts due. Throws a RulesInputError on
 * invalid input and an InterestHistoryError on a history the contract could not have produced.
 */
export function statementAt(input: StatementInput): InterestStatement {
  const { terms, events, at, subsidyPaid } = parseInput(StatementInput, input, "interest statement input");
  const l: Ledger = {
    baseRateBps: terms.baseRateBps,
    subsidyBps: terms.subsidyBps,
    principal: 0n,
    principalRepaid: 0n,
    rateBps: terms.baseRateBps,
    subsidyEligible: false,
    lastAccrual: terms.openedAt,
    interestNumerator: 0n,
    subsidyNumerator: 0n,
    interestRepaid: 0n,
    subsidyPaid: 0n,
    segments: [],
  };
  let previous = terms.openedAt ?? 0n;
  events.forEach((event, index) => {
    if (event.at < previous) {
      throw new InterestHistoryError(`event ${index} (${event.type} at ${event.at}) is earlier than ${previous}`);
    }
    previous = event.at;
    if (event.at <= at) apply(l, event, index);
  });
  if (l.lastAccrual !== undefined && at < l.lastAccrual) {
    throw new InterestHistoryError(`the statement time ${at} is before the facility was opened (${l.lastAccrual})`);
  }
  if (subsidyPaid !== undefined) l.subsidyPaid = subsidyPaid;

  const open = openNumerators(l, at);
  const openSegment = segmentTo(l, at);
  const interestTotal = l.interestNumerator + open.interest;
  const subsidyTotal = l.subsidyNumerator + open.subsidy;
  return {
    at,
    principal: l.principal,
    drawn: l.principal + l.principalRepaid,
    principalRepaid: l.principalRepaid,
    rateBps: l.rateBps,
    subsidyEligible: l.subsidyEligible,
    lastAccrual: l.lastAccrual,
    segments: openSegment ? [...l.segments, openSegment] : [...l.segments],
    interestNumerator: interestTotal,
    subsidyNumerator: subsidyTotal,
    interestAccrued: toFen(interestTotal),
    subsidyAccrued: toFen(subsidyTotal),
    interestRepaid: l.interestRepaid,
    subsidyPaid: l.subsidyPaid,
    interestDue: toFen(interestTotal - subsidyTotal) - l.interestRepaid,
    subsidyDue: toFen(subsidyTotal) - l.subsidyPaid,
  };
}

/**
 * How the contract would split a repayment of `amount` fen made at the statement's time: interest due first, then
 * principal. Throws an InterestHistoryError when the amount exceeds the debt (the contract reverts).
 */
export function splitRepayment(
  statement: InterestStatement,
  amount: bigint,
): { interestPaid: bigint; principalPaid: bigint } {
  return splitDue(statement.interestDue, statement.principal, amount, `a repayment at ${statement.at}`);
}
