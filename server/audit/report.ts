import {
  address,
  categoryOf,
  chainRef,
  fen,
  hex,
  inChainOrder,
  int,
  isoOf,
  kindsOfMask,
  yesNo,
  type AuditEvent,
  type LineWriter,
  type Positioned,
} from "./decode";
import { EvidenceReplay, type AtPayment } from "./evidence";
import { fenToCny } from "./money";
import { PayeeReplay } from "./payees";
import type { AuditReport, ChainRef, ExecutedPayment, LedgerLine } from "./schema";
import { totalsOf } from "./totals";

export { toCsv } from "./csv";
export type { AuditEvent } from "./decode";
export { fenToCny } from "./money";
export type { AuditReport } from "./schema";

export interface AuditOptions {
  facilityId: bigint | string | number;
  /**
   * Block timestamps (unix seconds) by decimal block number, from the block headers. Events carry no time of their
   * own; without this the report dates only the blocks whose time the interest events prove.
   */
  blockTimes?: Readonly<Record<string, number>>;
}

const FACILITY_EVENTS = [
  "FacilityCreated",
  "PaymentPlanned",
  "FacilityFunded",
  "PaymentExecuted",
  "InterestAccrued",
  "ReviewApplied",
  "FacilityFrozen",
  "FacilityUnfrozen",
  "Repaid",
  "SubsidyPaid",
  "FundsWithdrawn",
  "FacilityClosed",
] as const;
const EVIDENCE_EVENTS = [
  "EvidenceAnchored",
  "BatchAnchored",
  "EvidenceAttested",
  "AttestationRevoked",
  "EvidenceVerified",
  "EvidenceUnverified",
  "VerifierAdded",
  "VerifierRemoved",
  "ThresholdChanged",
] as const;
const PAYEE_EVENTS = ["PayeeRegistered", "PayeeUpdated", "PayeeDeactivated", "PayeeReactivated"] as const;

/** The events the report reads (FacilityManager, EvidenceRegistry, PayeeRegistry); anything else is ignored. */
export const AUDIT_EVENT_NAMES = [...FACILITY_EVENTS, ...EVIDENCE_EVENTS, ...PAYEE_EVENTS] as const;

const isEvidenceEvent = (name: string) => (EVIDENCE_EVENTS as readonly string[]).includes(name);
const isPayeeEvent = (name: string) => (PAYEE_EVENTS as readonly string[]).includes(name);

/** The interest-bearing actions: each closes the facility's open rate segment (FacilityManager._accrue). */
const ACCRUAL_POINTS = new Set(["FacilityCreated", "PaymentExecuted", "Repaid", "ReviewApplied"]);

/**
 * Block timestamps that the events themselves prove: an InterestAccrued event's `to` is its block's timestamp, and its
 * `from` is the timestamp of the facility's previous accrual point (creation, payment, repayment or review), because
 * every accrual point moves the segment start to its block's time, whether or not it emitted a segment.
 */
function timesFromEvents(events: readonly Positioned[]): Map<string, number> {
  const times = new Map<string, number>();
  const lastAccrualPoint = new Map<string, string>();
  for (const event of events) {
    const block = event.block.toString();
    const facility = String(event.args.facilityId);
    if (event.name === "InterestAccrued") {
      times.set(block, int(event.args.to));
      const previous = lastAccrualPoint.get(facility);
      if (previous !== undefined && previous !== block) times.set(previous, int(event.args.from));
    }
    if (ACCRUAL_POINTS.has(event.name)) lastAccrualPoint.set(facility, block);
  }
  return times;
}

type Draft = Omit<AuditReport, "totals" | "payees" | "evidence" | "payments">;

/** The report's skeleton from the facility's FacilityCreated event. */
function draftOf(facilityId: string, creation: Positioned, created: ChainRef, ledger: LedgerLine[]): Draft {
  const c = creation.args;
  return {
    facilityId,
    status: "ACTIVE",
    lastBlock: created.block,
    terms: {
      borrower: address(c.borrower),
      creditLimit: String(c.creditLimit),
      baseRateBps: int(c.baseRateBps),
      qualityFloorBps: int(c.qualityFloorBps),
      subsidyBps: int(c.subsidyBps),
      planTotal: String(c.planTotal),
      plannedQualityShareBps: int(c.qualityShareBps),
      created,
    },
    plan: [],
    funding: [],
    reviews: [],
    rateHistory: [
      { rateBps: int(c.baseRateBps), subsidyEligible: false, source: "terms", reviewNonce: null, since: created },
    ],
    interest: [],
    freezes: [],
    repayments: [],
    subsidies: [],
    withdrawals: [],
    closed: null,
    ledger,
  };
}

/**
 * Rebuilds a facility's fund-use report from the contracts' events alone (FacilityManager, EvidenceRegistry and
 * PayeeRegistry, as the indexer stores them): terms, plan, funding, each entrusted payment with the evidence that
 * released it and every verifier's verdict on that evidence, reviews and rates, interest segments, freezes, repayments,
 * subsidy, withdrawals and closure, with totals in fen and a ledger of every event in chain order.
 * Pure and deterministic: the same events, in any order, give the same report. Null when the facility was never created.
 */
export function buildAuditReport(input: readonly AuditEvent[], options: AuditOptions): AuditReport | null {
  const facilityId = BigInt(options.facilityId).toString();
  const events = inChainOrder(input);
  // The plan's events come before FacilityCreated in the creation transaction, so the terms are found first.
  const creation = events.find((e) => e.name === "FacilityCreated" && String(e.args.facilityId) === facilityId);
  if (!creation) return null;

  const times = timesFromEvents(events);
  for (const [block, seconds] of Object.entries(options.blockTimes ?? {})) times.set(block, seconds);
  const ledger: LedgerLine[] = [];
  const line: LineWriter = (event, type, party, amount, details) => {
    const { time, block, tx, logIndex } = chainRef(event, times);
    ledger.push({ time, block, tx, logIndex, type, party, amountFen: amount?.toString() ?? null, details });
  };
  const report = draftOf(facilityId, creation, chainRef(creation, times), ledger);
  const evidence = new EvidenceReplay(facilityId, line);
  const payees = new PayeeReplay();
  // A payment's evidence is filled in at the end, so that it shows the verdicts given after the payment too.
  const payments: Array<Omit<ExecutedPayment, "evidence"> & { evidence: Array<{ id: string } & AtPayment> }> = [];

  for (const event of events) {
    const a = event.args;
    const at = chainRef(event, times);
    if (isPayeeEvent(event.name)) {
      payees.apply(event, at);
      continue;
    }
    if (isEvidenceEvent(event.name)) {
      if (evidence.apply(event, at)) report.lastBlock = at.block;
      continue;
    }
    if (String(a.facilityId) !== facilityId) continue;
    report.lastBlock = at.block;
    switch (event.name) {
      case "FacilityCreated":
        line(
          event,
          "FACILITY_CREATED",
          address(a.borrower),
          fen(a.creditLimit),
          `credit limit; base rate ${int(a.baseRateBps)} bps; quality floor ${int(a.qualityFloorBps)} bps; ` +
            `subsidy ${int(a.subsidyBps)} bps; plan total ${fenToCny(fen(a.planTotal))} CNY; ` +
            `planned quality share ${int(a.qualityShareBps)} bps`,
        );
        break;
      case "PaymentPlanned": {
        const planned = {
          index: int(a.index),
          payee: address(a.payee),
          category: categoryOf(a.category),
          amount: String(a.amount),
          qualityPurpose: Boolean(a.qualityPurpose),
          requiredKinds: kindsOfMask(int(a.requiredKinds)),
          paid: false,
          planned: at,
        };
        report.plan.push(planned);
        line(
          event,
          "PAYMENT_PLANNED",
          planned.payee,
          fen(a.amount),
          `index ${planned.index}; ${planned.category}; quality purpose ${yesNo(planned.qualityPurpose)}; ` +
            `requires ${planned.requiredKinds.join(" + ")}`,
        );
        break;
      }
      case "FacilityFunded":
        report.funding.push({ from: address(a.from), amount: String(a.amount), at });
        line(event, "FUNDED", address(a.from), fen(a.amount), "funding from the bank");
        break;
      case "PaymentExecuted": {
        const index = int(a.index);
        const planned = report.plan.find((p) => p.index === index);
        if (!planned) throw new Error(`facility ${facilityId}: payment ${index} was executed but never planned`);
        planned.paid = true;
        const released = (a.evidenceIds as unknown[]).map((id) => ({
          id: hex(id),
          ...evidence.release(index, hex(id)),
        }));
        const payee = address(a.payee);
        payments.push({
          index,
          payee,
          category: planned.category,
          amount: String(a.amount),
          qualityPurpose: planned.qualityPurpose,
          at,
          payeeAtPayment: payees.current(payee),
          evidence: released.map(({ kind: _kind, ...atPayment }) => atPayment),
        });
        const releasedBy = released.map(
          ({ id, kind, verifiedAtPayment }) => `${kind} ${id} (${verifiedAtPayment ? "verified" : "NOT verified"})`,
        );
        line(
          event,
          "PAYMENT_EXECUTED",
          payee,
          fen(a.amount),
          `index ${index}; ${planned.category}; quality purpose ${yesNo(planned.qualityPurpose)}; ` +
            `released by ${releasedBy.join(", ")}`,
        );
        break;
      }
      case "InterestAccrued": {
        const [from, to] = [int(a.from), int(a.to)];
        report.interest.push({
          from: isoOf(from),
          to: isoOf(to),
          seconds: to - from,
          principal: String(a.principal),
          rateBps: int(a.rateBps),
          interest: String(a.interest),
          subsidy: String(a.subsidy),
          at,
        });
        line(
          event,
          "INTEREST_ACCRUED",
          "",
          fen(a.interest),
          `${isoOf(from)} to ${isoOf(to)} (${to - from} s) on ${fenToCny(fen(a.principal))} CNY at ` +
            `${int(a.rateBps)} bps; subsidy ${fenToCny(fen(a.subsidy))} CNY`,
        );
        break;
      }
      case "ReviewApplied": {
        const review = {
          nonce: int(a.nonce),
          previousRateBps: int(a.previousRateBps),
          newRateBps: int(a.newRateBps),
          subsidyEligible: Boolean(a.subsidyEligible),
          reportHash: hex(a.reportHash),
          bankSigner: address(a.bankSigner),
          regulatorSigner: address(a.regulatorSigner),
          at,
        };
        report.reviews.push(review);
        report.rateHistory.push({
          rateBps: review.newRateBps,
          subsidyEligible: review.subsidyEligible,
          source: "review",
          reviewNonce: review.nonce,
          since: at,
        });
        line(
          event,
          "REVIEW_APPLIED",
          "",
          null,
          `review ${review.nonce}: rate ${review.previousRateBps} → ${review.newRateBps} bps; subsidy eligible ` +
            `${yesNo(review.subsidyEligible)}; report ${review.reportHash}; signed by bank ${review.bankSigner} ` +
            `and regulator ${review.regulatorSigner}`,
        );
        break;
      }
      case "FacilityFrozen":
        report.status = "FROZEN";
        report.freezes.push({
          freezeCount: int(a.freezeCount),
          by: address(a.by),
          reasonHash: hex(a.reasonHash),
          at,
          unfrozen: null,
        });
        line(event, "FROZEN", address(a.by), null, `freeze ${int(a.freezeCount)}; reason ${hex(a.reasonHash)}`);
        break;
      case "FacilityUnfrozen": {
        report.status = "ACTIVE";
        const unfrozen = {
          reasonHash: hex(a.reasonHash),
          bankSigner: address(a.bankSigner),
          regulatorSigner: address(a.regulatorSigner),
          at,
        };
        const freeze = report.freezes.find((f) => f.freezeCount === int(a.freezeCount));
        if (freeze) freeze.unfrozen = unfrozen;
        line(
          event,
          "UNFROZEN",
          "",
          null,
          `freeze ${int(a.freezeCount)} lifted; reason ${unfrozen.reasonHash}; signed by bank ${unfrozen.bankSigner} ` +
            `and regulator ${unfrozen.regulatorSigner}`,
        );
        break;
      }
      case "Repaid": {
        const amount = fen(a.interestPaid) + fen(a.principalPaid);
        report.repayments.push({
          payer: address(a.payer),
          amount: amount.toString(),
          interestPaid: String(a.interestPaid),
          principalPaid: String(a.principalPaid),
          at,
        });
        line(
          event,
          "REPAID",
          address(a.payer),
          amount,
          `interest ${fenToCny(fen(a.interestPaid))} CNY; principal ${fenToCny(fen(a.principalPaid))} CNY`,
        );
        break;
      }
      case "SubsidyPaid":
        report.subsidies.push({ payer: address(a.payer), amount: String(a.amount), at });
        line(event, "SUBSIDY_PAID", address(a.payer), fen(a.amount), "fiscal interest subsidy");
        break;
      case "FundsWithdrawn":
        report.withdrawals.push({ to: address(a.to), amount: String(a.amount), at });
        line(event, "WITHDRAWN", address(a.to), fen(a.amount), "taken out of the facility's balance");
        break;
      case "FacilityClosed":
        report.status = "CLOSED";
        report.closed = at;
        line(event, "CLOSED", "", null, "facility closed");
        break;
    }
  }

  const evidenceRecords = evidence.records();
  const byId = new Map(evidenceRecords.map((record) => [record.evidenceId, record]));
  const executed: ExecutedPayment[] = payments.map((payment) => ({
    ...payment,
    evidence: payment.evidence.map(({ id, ...atPayment }) => ({ ...byId.get(id)!, ...atPayment })),
  }));
  return {
    facilityId,
    status: report.status,
    lastBlock: report.lastBlock,
    terms: report.terms,
    plan: report.plan,
    funding: report.funding,
    payments: executed,
    evidence: evidenceRecords,
    payees: [...new Set(report.plan.map((p) => p.payee))].map((payee) => payees.historyOf(payee)),
    reviews: report.reviews,
    rateHistory: report.rateHistory,
    interest: report.interest,
    freezes: report.freezes,
    repayments: report.repayments,
    subsidies: report.subsidies,
    withdrawals: report.withdrawals,
    closed: report.closed,
    totals: totalsOf(report, executed),
    ledger,
  };
}
