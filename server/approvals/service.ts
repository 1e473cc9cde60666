import { keccak256, toUtf8Bytes, verifyTypedData } from "ethers";
import { randomUUID } from "node:crypto";
import type { PageQuery } from "../../domain/api/page";
import { FACILITY_STATUS as STATUS } from "../../domain/enums";
import type { Principal } from "../auth/roles";
import { chainNow } from "../chain/chain";
import { managerDomain, typesOf, type ApprovalKind } from "../chain/typed-data";
import type { Tx } from "../db/client";
import { conflict, notFound, unprocessable } from "../errors";
import { pageOfTable } from "../http/page";
import type { FacilityEvents, FacilityReads } from "../facilities/chain-view";
import type { FacilityServiceDeps } from "../facilities/service";
import { JOB } from "../outbox/jobs";
import type { Outbox } from "../outbox/outbox";
import { chainWrite } from "../outbox/wait";
import { decideReview } from "../rules/engine";
import { computeMetrics } from "../rules/metrics";
import { frozenDuring, nextPeriodStart, periodRefusal, type PeriodFacts } from "../rules/periods";
import type { Grade } from "../rules/products";
import { toJson } from "../rules/values";

/**
 * The joint decisions: the bank's quarterly review and its proposal to unfreeze, each signed by the bank first
 * (EIP-712) and put on chain once the regulator's co-signature, checked against REGULATOR_ROLE, is added.
 */
export type ApprovalService = ReturnType<typeof createApprovals>;

export function createApprovals(
  deps: FacilityServiceDeps<Pick<FacilityReads, "row" | "onChain" | "history" | "payments">>,
) {
  const { db, chain, outbox, catalog, waitMs, logger, reads, evidence, regulatorEntryOf } = deps;
  const { row, onChain, history, payments } = reads;
  const { evidenceOf } = evidence;

  /**
   * The chain facts a review period is bounded by: the facility's opening, where each review the chain applied ended
   * (the bank's own reports whose hash a ReviewApplied event carries), the chain's time.
   */
  async function periodFacts(facilityId: bigint, events: FacilityEvents): Promise<PeriodFacts> {
    const created = events.find((e) => e.name === "FacilityCreated");
    if (!created) throw conflict("facility_not_indexed", `facility ${facilityId} has no creation event on chain`);
    const applied = new Set(
      events.filter((e) => e.name === "ReviewApplied").map((e) => String(e.args.reportHash).toLowerCase()),
    );
    const reviews = await db.prisma.reviewDecision.findMany({ where: { facilityId } });
    return {
      openedAt: created.at,
      appliedEnds: reviews
        .filter((r) => applied.has(keccak256(toUtf8Bytes(r.decision)).toLowerCase()))
        .map((r) => Math.floor(r.periodTo.getTime() / 1000)),
      now: await chainNow(chain),
    };
  }

  async function sign(kind: ApprovalKind, message: Record<string, unknown>) {
    return chain.signer.signTypedData(await managerDomain(chain), typesOf(kind), message);
  }

  async function propose(
    kind: ApprovalKind,
    facilityId: bigint,
    message: Record<string, unknown>,
    principal: Principal,
    reason: string,
    tx?: (t: Tx, approvalId: string) => Promise<void>,
  ) {
    const existing = await db.prisma.approval.findFirst({ where: { facilityId, kind, status: "AWAITING_REGULATOR" } });
    if (existing)
      throw conflict(
        "approval_pending",
        `a ${kind.toLowerCase()} of facility ${facilityId} already awaits the regulator (approval ${existing.id})`,
      );
    const id = randomUUID();
    const bankSignature = await sign(kind, message);
    await db.prisma.$transaction(async (t) => {
      await t.approval.create({
        data: {
          id,
          kind,
          facilityId,
          message: JSON.stringify(toJson(message)),
          bankSignature,
          reason,
          createdBy: `${principal.institution}/${principal.label}`,
        },
      });
      await tx?.(t, id);
    });
    return db.prisma.approval.findUniqueOrThrow({ where: { id } });
  }

  return {
    row,
    onChain,
    /** A page of the facility's reviews, oldest first (the id orders reviews of the same instant). */
    async reviewsOf(facilityId: bigint, query: PageQuery) {
      const where = { facilityId };
      return pageOfTable(
        query,
        "id",
        (page) => db.prisma.reviewDecision.findMany({ where, orderBy: [{ createdAt: "asc" }, { id: "asc" }], ...page }),
        async (id) => (await db.prisma.reviewDecision.count({ where: { ...where, id } })) > 0,
      );
    },

    /** A page of the joint decisions, oldest first, of one status when given. */
    async listApprovals(query: PageQuery & { status?: string }) {
      const where = { status: query.status };
      return pageOfTable(
        query,
        "id",
        (page) => db.prisma.approval.findMany({ where, orderBy: [{ createdAt: "asc" }, { id: "asc" }], ...page }),
        async (id) => (await db.prisma.approval.count({ where: { ...where, id } })) > 0,
      );
    },

    /** A joint decision, with its review (inputs and decision) when it is one. */
    async approvalOf(approvalId: string) {
      const approval = await db.prisma.approval.findUnique({ where: { id: approvalId } });
      if (!approval) throw notFound(`approval ${approvalId}`);
      const review =
        approval.kind === "REVIEW"
          ? await db.prisma.reviewDecision.findFirst({ where: { approvalId: approval.id } })
          : null;
      return { approval, review };
    },

    /** Where the facility's next review period starts (seconds of chain time), by the rules the regulator checks. */
    async nextReviewStart(facilityId: bigint): Promise<number> {
      return nextPeriodStart(await periodFacts(facilityId, await history(facilityId)));
    },

    /**
     * The bank's review of a period, proposed for the regulator's co-signature. The period follows the same rules the
     * regulator checks (server/rules/periods.ts): it starts where the facility opened or the last applied review
     * ended (`from` defaults to that) and does not reach past the chain's time; a facility frozen in it, or now, earns
     * no discount and no subsidy.
     */
    async proposeReview(principal: Principal, facilityId: bigint, asked: { from?: Date; to?: Date }) {
      const facility = await row(facilityId);
      const product = catalog.find(facility.productId, facility.productVersion);
      if (!product)
        throw unprocessable(
          "unknown_product",
          `product ${facility.productId} v${facility.productVersion} is no longer defined`,
        );
      const state = await onChain(facilityId);
      if (STATUS[Number(state.status)] === "CLOSED")
        throw conflict("facility_is_closed", `facility ${facilityId} is closed`);
      const [evidence, events, listed] = await Promise.all([
        evidenceOf(facilityId),
        history(facilityId),
        regulatorEntryOf(facility.creditCode),
      ]);
      const pending = await db.prisma.approval.findFirst({
        where: { facilityId, kind: "REVIEW", status: "AWAITING_REGULATOR" },
      });
      if (pending)
        throw conflict(
          "approval_pending",
          `a review of facility ${facilityId} already awaits the regulator (approval ${pending.id})`,
        );
      const facts = await periodFacts(facilityId, events);
      const period = {
        from: asked.from ?? new Date(nextPeriodStart(facts) * 1000),
        to: asked.to ?? new Date(facts.now * 1000),
      };
      const refusal = periodRefusal(period, facts);
      if (refusal)
        throw unprocessable("review_period_invalid", refusal, {
          periodStart: new Date(nextPeriodStart(facts) * 1000).toISOString(),
        });
      const frozen = frozenDuring(
        events
          .filter((e) => e.name === "FacilityFrozen" || e.name === "FacilityUnfrozen")
          .map((e) => ({ at: e.at, frozen: e.name === "FacilityFrozen" })),
        period,
        STATUS[Number(state.status)] === "FROZEN",
      );
      const plan = await payments(facilityId);
      const metricsInput = {
        period,
        evidence: evidence.map((e) => ({
          id: e.evidenceId,
          kind: e.kind,
          verifiedByBothNodes: e.verified && !e.mismatch && e.verdicts.every((v) => v.verdict === "ACCEPT"),
          anchoredAt: e.anchoredAt,
          metadata: e.metadata,
        })),
        payments: events
          .filter((e) => e.name === "PaymentExecuted")
          .map((e) => ({
            id: `payment ${e.args.index}`,
            amount: BigInt(e.args.amount),
            qualityPurpose: plan[Number(e.args.index)].qualityPurpose,
            paidAt: new Date(e.at * 1000),
          })),
        grade: (listed?.grade ?? facility.grade) as Grade,
      };
      const metrics = computeMetrics(metricsInput);
      const decision = decideReview(product, { baseRateBps: facility.baseRateBps, frozen, metrics: metrics.values });
      const report = { facilityId: facilityId.toString(), period: metrics.period, metrics, decision };
      const message = {
        facilityId,
        nonce: Number(state.reviewNonce),
        newRateBps: decision.newRateBps,
        subsidyEligible: decision.subsidyEligible,
        reportHash: keccak256(toUtf8Bytes(JSON.stringify(toJson(report)))),
        deadline: BigInt((await chainNow(chain)) + 7 * 86_400),
      };
      const approval = await propose(
        "REVIEW",
        facilityId,
        message,
        principal,
        decision.explanation,
        async (tx, approvalId) => {
          await tx.reviewDecision.create({
            data: {
              id: randomUUID(),
              facilityId,
              periodFrom: period.from,
              periodTo: period.to,
              productId: `${product.id}@${product.version}`,
              inputs: JSON.stringify(toJson(metricsInput)),
              decision: JSON.stringify(toJson(report)),
              approvalId,
            },
          });
        },
      );
      return { approval, report };
    },

    async proposeUnfreeze(principal: Principal, facilityId: bigint, reason: string) {
      const state = await onChain(facilityId);
      if (STATUS[Number(state.status)] !== "FROZEN")
        throw conflict("facility_not_frozen", `facility ${facilityId} is not frozen`);
      const message = {
        facilityId,
        freezeCount: Number(state.freezeCount),
        reasonHash: keccak256(toUtf8Bytes(reason)),
        deadline: BigInt((await chainNow(chain)) + 7 * 86_400),
      };
      return propose("UNFREEZE", facilityId, message, principal, reason);
    },

    /** The regulator's refusal to co-sign, with its reason: shown with the approval, which stays open to re-asking. */
    async recordRefusal(approvalId: string, reason: string) {
      const approval = await db.prisma.approval.findUnique({ where: { id: approvalId } });
      if (!approval) throw notFound(`approval ${approvalId}`);
      if (approval.status !== "AWAITING_REGULATOR")
        throw conflict("approval_not_pending", `approval ${approvalId} is ${approval.status.toLowerCase()}`);
      logger.warn(
        { approvalId, facilityId: approval.facilityId.toString(), reason },
        "the regulator refused to co-sign",
      );
      return db.prisma.approval.update({
        where: { id: approvalId },
        data: { regulatorRefusal: JSON.stringify({ reason, at: new Date().toISOString() }) },
      });
    },

    /** The regulator's co-signature: checked against the chain's REGULATOR_ROLE, then the decision goes on chain. */
    async cosign(approvalId: string, signature: string) {
      const approval = await db.prisma.approval.findUnique({ where: { id: approvalId } });
      if (!approval) throw notFound(`approval ${approvalId}`);
      if (approval.status !== "AWAITING_REGULATOR")
        throw conflict("approval_not_pending", `approval ${approvalId} is ${approval.status.toLowerCase()}`);
      const kind = approval.kind as ApprovalKind;
      const message = JSON.parse(approval.message) as Record<string, string | number | boolean>;
      let signer: string;
      try {
        signer = verifyTypedData(await managerDomain(chain), typesOf(kind), message, signature);
      } catch {
        throw unprocessable("invalid_signature", "the signature is not a valid EIP-712 signature");
      }
      if (!(await chain.manager.hasRole(await chain.manager.REGULATOR_ROLE(), signer))) {
        throw unprocessable(
          "signer_not_regulator",
          `the signature is from ${signer}, which does not hold the regulator role on chain`,
        );
      }
      const key = `approval:${approvalId}`;
      await db.prisma.$transaction(async (tx) => {
        await tx.approval.update({
          where: { id: approvalId },
          data: { regulatorSignature: signature, status: "SUBMITTED" },
        });
        await outbox.enqueue(tx, {
          key,
          kind: kind === "REVIEW" ? JOB.APPLY_REVIEW : JOB.UNFREEZE,
          payload: { approvalId, message, bankSignature: approval.bankSignature, regulatorSignature: signature },
        });
      });
      const landed = await chainWrite(outbox, key, waitMs).catch(async (error) => {
        await db.prisma.approval.update({
          where: { id: approvalId },
          data: { status: "REFUSED", reason: (error as Error).message },
        });
        throw error;
      });
      return {
        approval: await db.prisma.approval.findUniqueOrThrow({ where: { id: approvalId } }),
        txHash: landed?.txHash ?? null,
      };
    },
  };
}

export type Approvals = ReturnType<typeof createApprovals>;

/** Outbox hook: a joint decision landed. */
export async function onApprovalApplied(tx: Tx, payload: { approvalId: string }, landed: { txHash: string }) {
  await tx.approval.update({ where: { id: payload.approvalId }, data: { status: "APPLIED", txHash: landed.txHash } });
}
