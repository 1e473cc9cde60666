import { keccak256, toUtf8Bytes } from "ethers";
import type { ReviewReport } from "../../domain/api/reviews";
import { blockHashOfEventId } from "../chain/block-times";
import { chainNow, type Chain } from "../chain/chain";
import { EVIDENCE_KINDS, facilityStatusOf } from "../../domain/enums";
import type { Database } from "../db/client";
import { readEvents } from "../indexer/read";
import { createEvidenceStatus } from "../verification/evidence-status";
import { borrowerOf, figureMismatch, figuresAsMetadata, findRecord, inspectionFigures } from "../registry/records";
import { decideReview, type ReviewDecision } from "../rules/engine";
import { computeMetrics, type MetricsInput, type QualityMetrics } from "../rules/metrics";
import { GRADES, type Grade, type ProductCatalog, type ProductDefinition } from "../rules/products";
import { frozenDuring, periodRefusal, type FreezeChange } from "../rules/periods";

/** A review report as the bank node proposes it (its hash is what both institutions sign): domain/api/reviews.ts. */
export type ProposedReport = ReviewReport;

/** The review as the regulator rebuilt it itself, or why it could not. */
export type Rebuilt =
  { ok: true; metrics: QualityMetrics; decision: ReviewDecision; input: MetricsInput } | { ok: false; reason: string };

/**
 * The regulator's own review of a facility: the period's bounds, payments, evidence (with kinds and times from the
 * chain), freezes and earlier applied reviews from the chain events its own indexer stored; verdicts from its own
 * verifier; patents, inspection figures and the borrower from its own registry; the grade from its own white list.
 * Nothing of the bank's proposal is read but the period it names and the product it names (checked against the
 * chain's terms).
 */
export function createReviewRebuilder({ db, chain, catalog }: { db: Database; chain: Chain; catalog: ProductCatalog }) {
  const evidenceStatus = createEvidenceStatus({ chain, db });
  /** The time of an indexed event's block, by the block hash its id carries. */
  async function timeOf(event: { id: string; blockNumber: bigint }): Promise<number> {
    const hash = blockHashOfEventId(event.id);
    if (!hash) throw new Error(`indexed event ${event.id} (block ${event.blockNumber}) has no block hash in its id`);
    return chain.blockTimes.of(hash);
  }

  /** This facility's indexed events of the given names, in chain order. */
  async function eventsOf(facilityId: bigint, names: string[]) {
    const id = facilityId.toString();
    return (await readEvents(db, { names })).filter((event) => String(event.args.facilityId) === id);
  }

  /** Where each review this regulator co-signed, and the chain applied, ended (seconds). */
  async function appliedEnds(facilityId: bigint, applied: Set<string>): Promise<number[]> {
    const own = await db.prisma.reviewDecision.findMany({ where: { facilityId } });
    return own
      .filter((row) => applied.has(keccak256(toUtf8Bytes(row.decision)).toLowerCase()))
      .map((row) => Math.floor(row.periodTo.getTime() / 1000));
  }

  /**
   * The evidence of the facility as the regulator counts it: chain kind and time, its own verdict and records. Evidence
   * registered on chain (its EvidenceAnchored event), and batched leaves its own verifier proved against a batch root
   * and that are not registered (patents and inspection reports never are): those are judged by the batch's bits.
   */
  async function evidenceOf(facilityId: bigint, borrowerCreditCode: string | undefined) {
    const anchored = await eventsOf(facilityId, ["EvidenceAnchored"]);
    const batched = await db.prisma.verification.findMany({
      where: { facilityId, batchRoot: { not: null } },
      select: { evidenceId: true },
    });
    const ids = [
      ...new Set([...anchored.map((event) => String(event.args.evidenceId)), ...batched.map((v) => v.evidenceId)]),
    ];
    const statuses = await evidenceStatus.statusesOf(ids);
    const counted = await Promise.all(
      ids.map(async (evidenceId) => {
        const status = statuses.get(evidenceId)!;
        const own = await db.prisma.verification.findUnique({ where: { evidenceId } });
        // Registered: the chain's record says the kind and facility. A batched leaf: its proof against the root bound
        // the evidence id (which commits to both) to its position, and this node's verdict row says them.
        const kind = status.registered ? EVIDENCE_KINDS[Number(status.record.kind)] : own?.kind;
        const ofFacility = status.registered ? status.record.facilityId === facilityId : status.batch !== null;
        if (!kind) return null;
        const checked = own?.verdict === "ACCEPT" && own.facilityId === facilityId ? JSON.parse(own.metadata) : null;
        const metadata = await countedMetadata(kind as (typeof EVIDENCE_KINDS)[number], checked, borrowerCreditCode);
        return {
          id: evidenceId,
          kind: kind as (typeof EVIDENCE_KINDS)[number],
          verifiedByBothNodes: status.verified && ofFacility && metadata !== null,
          anchoredAt: new Date(
            Number(status.registered ? status.record.anchoredAt : (status.batch?.anchoredAt ?? 0n)) * 1000,
          ),
          metadata: metadata ?? {},
        };
      }),
    );
    return counted.filter((item) => item !== null);
  }

  /**
   * What of a document the regulator counts, from what it verified and its registry now: a patent only if the borrower
   * holds it, an inspection's figures only from its own record of the borrower. Null: it does not count.
   */
  async function countedMetadata(
    kind: (typeof EVIDENCE_KINDS)[number],
    checked: Record<string, unknown> | null,
    borrowerCreditCode: string | undefined,
  ): Promise<Record<string, unknown> | null> {
    if (checked === null) return null;
    if (kind === "PATENT_FILING") {
      const number = typeof checked.patentNumber === "string" ? checked.patentNumber.trim() : "";
      const patent = number === "" ? null : await findRecord(db, "PATENT_FILING", number);
      return borrowerCreditCode !== undefined && patent?.holderCreditCode === borrowerCreditCode
        ? { patentNumber: patent.reference }
        : null;
    }
    if (kind === "INSPECTION_REPORT") {
      const number = typeof checked.reportNumber === "string" ? checked.reportNumber : "";
      const record = number === "" ? null : await findRecord(db, "INSPECTION_RECORD", number);
      const figures = record && inspectionFigures(record);
      if (!figures || borrowerCreditCode === undefined || record!.holderCreditCode !== borrowerCreditCode) return null;
      if (figureMismatch(checked, figures)) return null;
      return figuresAsMetadata(checked, figures);
    }
    return {};
  }

  /** The product the bank names, if it is one whose terms the chain's facility carries. */
  function productOf(report: ProposedReport, state: Awaited<ReturnType<Chain["manager"]["facility"]>>) {
    const named = report.decision?.product;
    const product: ProductDefinition | undefined = named ? catalog.find(named.id, named.version) : undefined;
    if (!product) return { reason: `unknown product ${named?.id ?? "(none named)"}` };
    const rates = Object.values(product.gradeRatesBps);
    if (
      product.qualityFloorBps !== Number(state.qualityFloorBps) ||
      product.subsidyBps !== Number(state.subsidyBps) ||
      !rates.includes(Number(state.baseRateBps))
    )
      return {
        reason: `product ${product.id} v${product.version} does not have the terms facility ${report.facilityId} was created with`,
      };
    return { product };
  }

  /** Rebuilds the review of `report.period` for the facility. */
  async function rebuild(facilityId: bigint, report: ProposedReport): Promise<Rebuilt> {
    const state = await chain.manager.facility(facilityId);
    const chosen = productOf(report, state);
    if (!chosen.product) return { ok: false, reason: chosen.reason! };
    const [created] = await eventsOf(facilityId, ["FacilityCreated"]);
    if (!created) return { ok: false, reason: `the regulator has not indexed the creation of facility ${facilityId}` };
    const period = { from: new Date(report.period?.from), to: new Date(report.period?.to) };
    if (Number.isNaN(period.from.getTime()) || Number.isNaN(period.to.getTime()))
      return { ok: false, reason: "the review report names no valid period" };
    const applied = await eventsOf(facilityId, ["ReviewApplied"]);
    const facts = {
      openedAt: await timeOf(created),
      appliedEnds: await appliedEnds(facilityId, new Set(applied.map((e) => String(e.args.reportHash).toLowerCase()))),
      now: await chainNow(chain),
    };
    if (applied.length > facts.appliedEnds.length)
      return {
        ok: false,
        reason: `facility ${facilityId} has ${applied.length} applied review(s) on chain, ${facts.appliedEnds.length} of them co-signed by this regulator: the period's start cannot be checked`,
      };
    const refusal = periodRefusal(period, facts);
    if (refusal) return { ok: false, reason: refusal };

    const borrower = await borrowerOf(db, facilityId);
    const creditCode = borrower.ok ? borrower.creditCode : undefined;
    const listed = creditCode ? await db.prisma.whiteListEntry.findUnique({ where: { creditCode } }) : null;
    const executed = await eventsOf(facilityId, ["PaymentExecuted"]);
    const payments = await Promise.all(
      executed.map(async (event) => ({
        id: `payment ${event.args.index}`,
        amount: BigInt(event.args.amount),
        qualityPurpose: (await chain.manager.payment(facilityId, Number(event.args.index))).qualityPurpose,
        paidAt: new Date((await timeOf(event)) * 1000),
      })),
    );
    const changes: FreezeChange[] = await Promise.all(
      (await eventsOf(facilityId, ["FacilityFrozen", "FacilityUnfrozen"])).map(async (event) => ({
        at: await timeOf(event),
        frozen: event.name === "FacilityFrozen",
      })),
    );
    const input: MetricsInput = {
      period,
      evidence: await evidenceOf(facilityId, creditCode),
      payments,
      grade: GRADES.includes(listed?.grade as Grade) ? (listed!.grade as Grade) : undefined,
    };
    const metrics = computeMetrics(input);
    const decision = decideReview(chosen.product, {
      baseRateBps: Number(state.baseRateBps),
      frozen: frozenDuring(changes, period, facilityStatusOf(state.status) === "FROZEN"),
      metrics: metrics.values,
    });
    return { ok: true, metrics, decision, input };
  }

  return { rebuild };
}

/**
 * Every difference between the bank's proposal and the regulator's own review that matters to the decision: the
 * measured values of the product's metrics, each target met or not, the new rate, the subsidy eligibility.
 */
export function reviewDifferences(
  mine: { metrics: QualityMetrics; decision: ReviewDecision },
  report: ProposedReport,
  message: { newRateBps: number; subsidyEligible: boolean },
): string[] {
  const differences: string[] = [];
  const metricsUsed = [...new Set(mine.decision.targets.map((t) => t.metric))];
  for (const metric of metricsUsed) {
    const theirs = report.metrics?.values?.[metric] ?? null;
    const own = mine.metrics.values[metric];
    if (theirs !== own)
      differences.push(`${metric}: the regulator measures ${own ?? "no data"}, the bank ${theirs ?? "no data"}`);
  }
  for (const target of mine.decision.targets) {
    const theirs = report.decision?.targets?.find((t) => t.id === target.id);
    if (theirs?.met !== target.met)
      differences.push(
        `target ${target.id}: ${target.met ? "met" : "not met"} by the regulator's records, ${theirs?.met ? "met" : "not met"} in the proposal`,
      );
  }
  const eligible = (value: boolean) => (value ? "eligible" : "not eligible");
  for (const [what, theirs] of [
    ["proposal", message],
    ["report", report.decision ?? {}],
  ] as const) {
    if (theirs.newRateBps !== mine.decision.newRateBps)
      differences.push(
        `new rate: the regulator's ${mine.decision.newRateBps} bps, the ${what}'s ${String(theirs.newRateBps)} bps`,
      );
    if (theirs.subsidyEligible !== mine.decision.subsidyEligible)
      differences.push(
        `subsidy: ${eligible(mine.decision.subsidyEligible)} by the regulator's records, ${eligible(Boolean(theirs.subsidyEligible))} in the ${what}`,
      );
  }
  return differences;
}
