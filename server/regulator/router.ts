import { keccak256, toUtf8Bytes } from "ethers";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { pageQuery } from "../../domain/api/page";
import { pageArgs, pageOfRows } from "../http/page";
import { SignedApproval, type ApprovalDetail } from "../../domain/api/approvals";
import { Queue, RecordedSpotCheck, RegulatorDecisionList, SpotCheckList } from "../../domain/api/regulator";
import { ReviewReport } from "../../domain/api/reviews";
import { FACILITY_STATUS as STATUS, VERDICTS } from "../../domain/enums";
import { chainNow, type Chain } from "../chain/chain";
import type { Database } from "../db/client";
import { createEvidenceStatus } from "../verification/evidence-status";
import { authorize } from "../auth/policy";
import { AppError, conflict, notFound, unprocessable } from "../errors";
import { FacilityId, Text, defineRoute, type RouteDef } from "../http/route";
import type { Outbox } from "../outbox/outbox";
import { findRecord, firmOfAccount, inspectionFigures, spotCheckRefusal } from "../registry/records";
import { createReviewRebuilder, reviewDifferences, type ProposedReport } from "./review-rebuild";
import type { ProductCatalog } from "../rules/products";
import { JOB } from "../outbox/jobs";
import { managerDomain, typesOf, type ApprovalKind } from "../chain/typed-data";
import { chainWrite } from "../outbox/wait";

const SpotCheckBody = z.object({
  facilityId: FacilityId,
  result: z.enum(["PASS", "FAIL"]),
  reportNumber: Text(64),
  findings: Text(4_000, { min: 0 }).default(""),
  inspector: Text(200).optional(),
});

/** The bank verifier's verdict as the queue shows it: PENDING until it has decided. */
const pendingForNone = (verdict: (typeof VERDICTS)[number]) => (verdict === "NONE" ? "PENDING" : verdict);

function presentSpotCheck(s: {
  id: string;
  facilityId: bigint;
  result: string;
  reportNumber: string;
  findings: string;
  reportHash: string;
  inspector: string;
  freezeTx: string | null;
  createdAt: Date;
}) {
  return { ...s, facilityId: s.facilityId.toString(), createdAt: s.createdAt.toISOString() };
}

/**
 * The market regulator's lifecycle duties on its own node: spot checks (a FAIL freezes the facility on chain at once,
 * and the request waits for that transaction), and co-signing joint decisions only after checking them itself.
 */
export function regulatorRoutes({
  db,
  chain,
  outbox,
  catalog,
  bankNode,
  waitMs,
}: {
  db: Database;
  chain: Chain;
  outbox: Outbox;
  catalog: ProductCatalog;
  bankNode: { url: string; apiKey: string };
  waitMs: number;
}): RouteDef<any, any, any, any>[] {
  const rebuilder = createReviewRebuilder({ db, chain, catalog });

  async function bank(path: string, init: RequestInit = {}) {
    const response = await fetch(new URL(path, bankNode.url), {
      ...init,
      headers: {
        authorization: `Bearer ${bankNode.apiKey}`,
        "content-type": "application/json",
        ...(init.headers ?? {}),
      },
      signal: AbortSignal.timeout(waitMs + 10_000),
    }).catch((error: Error) => {
      throw new AppError(502, "bank_node_unreachable", `the bank node did not answer: ${error.message}`, {
        retryable: true,
      });
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, any>;
    return { status: response.status, body };
  }

  /** Why the regulator will not co-sign this unfreeze, or undefined when it will. */
  async function unfreezeRefusal(facilityId: bigint, message: { freezeCount: number }): Promise<string | undefined> {
    const state = await chain.manager.facility(facilityId);
    if (STATUS[Number(state.status)] !== "FROZEN") return `facility ${facilityId} is not frozen`;
    if (Number(state.freezeCount) !== message.freezeCount)
      return `the proposal names freeze ${message.freezeCount}; the current freeze is ${state.freezeCount}`;
    const checks = await db.prisma.spotCheck.findMany({ where: { facilityId }, orderBy: { createdAt: "asc" } });
    const lastFail = checks.filter((c) => c.result === "FAIL").pop();
    const passAfter = checks.find((c) => c.result === "PASS" && (!lastFail || c.createdAt > lastFail.createdAt));
    if (!passAfter)
      return `no passing re-inspection of facility ${facilityId} has been recorded since the failed spot check${lastFail ? ` ${lastFail.reportNumber}` : ""}`;
    // A spot-check row is not a decision: the re-inspection must be a passing record of this borrower in the registry.
    const borrower = await firmOfAccount(db, state.borrower, `of facility ${facilityId}`);
    if (!borrower.ok) return borrower.reason;
    const record = await findRecord(db, "INSPECTION_RECORD", passAfter.reportNumber);
    const figures = record && inspectionFigures(record);
    if (!figures || figures.outcome !== "PASS" || record!.holderCreditCode !== borrower.creditCode)
      return `the re-inspection ${passAfter.reportNumber} is not a passing inspection record of the borrower ${borrower.creditCode} in the regulator's registry`;
    return undefined;
  }

  /**
   * Checks the bank's review against the regulator's own: the message must be that review (this facility, its next
   * review nonce, the hash of this report), and the report's values, targets met, rate and subsidy must be what the
   * regulator rebuilds itself from its own index, verdicts, registry and white list for the period the report names.
   */
  async function reviewRefusal(
    facilityId: bigint,
    message: { nonce: number; newRateBps: number; subsidyEligible: boolean; reportHash: string },
    review: { inputs: unknown; decision: any } | null,
  ): Promise<string | undefined> {
    if (!review?.decision || typeof review.decision !== "object")
      return "the bank node sent no review report with the decision";
    if (String(review.decision.facilityId) !== facilityId.toString())
      return `the review report is of facility ${review.decision.facilityId}, the decision of facility ${facilityId}`;
    const reportHash = keccak256(toUtf8Bytes(JSON.stringify(review.decision)));
    if (message.reportHash !== reportHash)
      return `the decision's report hash ${message.reportHash} is not the hash of the review report (${reportHash})`;
    const state = await chain.manager.facility(facilityId);
    if (Number(message.nonce) !== Number(state.reviewNonce))
      return `the decision is review ${message.nonce} of facility ${facilityId}; its next review is ${state.reviewNonce}`;
    // The report is the contract between the nodes (domain/api/reviews.ts): one of another shape is not compared.
    const parsed = ReviewReport.safeParse(review.decision);
    if (!parsed.success)
      return `the review report is not a review report: ${parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join(".") || "(root)"} ${issue.message}`)
        .join("; ")}`;
    const report: ProposedReport = parsed.data;
    const mine = await rebuilder.rebuild(facilityId, report);
    if (!mine.ok) return mine.reason;
    const differences = reviewDifferences(mine, report, message);
    if (differences.length > 0)
      return `its own review differs: ${differences.join("; ")}. ${mine.decision.explanation}`;
    return undefined;
  }

  /**
   * The regulator's own record of what it decided on a joint decision (its Approval row, keyed by the bank's id), and
   * for a review it signs, the report it signed and its period: where the next period must start once it is applied.
   */
  async function recordDecision(approval: Record<string, any>, outcome: { status: string; reason: string }) {
    const facilityId = BigInt(approval.message.facilityId);
    const refusal = outcome.status === "REFUSED" ? JSON.stringify({ reason: outcome.reason, at: new Date() }) : null;
    const columns = {
      kind: String(approval.kind),
      facilityId,
      message: JSON.stringify(approval.message),
      status: outcome.status,
      reason: outcome.reason,
      regulatorRefusal: refusal,
    };
    await db.prisma.$transaction(async (tx) => {
      await tx.approval.upsert({
        where: { id: approval.id },
        create: { id: approval.id, ...columns, createdBy: "regulator node" },
        update: columns,
      });
      if (outcome.status !== "SIGNED" || approval.kind !== "REVIEW") return;
      const report = approval.review.decision as ProposedReport;
      await tx.reviewDecision.deleteMany({ where: { approvalId: approval.id } });
      await tx.reviewDecision.create({
        data: {
          id: randomUUID(),
          facilityId,
          periodFrom: new Date(report.period.from),
          periodTo: new Date(report.period.to),
          productId: `${report.decision.product.id}@${report.decision.product.version}`,
          inputs: JSON.stringify({ rebuiltByRegulator: true }),
          decision: JSON.stringify(approval.review.decision),
          approvalId: approval.id,
        },
      });
    });
  }

  /**
   * Why the regulator will not sign a joint decision, or undefined when it will. The message is what takes effect on
   * chain, so it is what is checked — its facility, its deadline, then the freeze or the review it names — whatever
   * the bank's approval says around it.
   */
  async function decisionRefusal(approval: Record<string, any>): Promise<string | undefined> {
    const facilityId = BigInt(approval.message.facilityId);
    if (facilityId.toString() !== String(approval.facilityId))
      return `the decision's message is for facility ${facilityId}, the approval for facility ${approval.facilityId}`;
    const deadline = Number(approval.message.deadline);
    if (deadline <= (await chainNow(chain)))
      return `the decision expired at ${new Date(deadline * 1000).toISOString()} (chain time)`;
    return approval.kind === "UNFREEZE"
      ? unfreezeRefusal(facilityId, approval.message)
      : reviewRefusal(facilityId, approval.message, approval.review);
  }

  return [
    defineRoute({
      method: "post",
      path: "/spot-checks",
      operationId: "recordSpotCheck",
      summary: "Record a spot check; a FAIL freezes the facility on chain at once",
      tags: ["spot checks"],
      auth: ["regulator"],
      body: SpotCheckBody,
      responses: {
        201: { description: "recorded (and frozen on chain when FAIL)", schema: RecordedSpotCheck },
        202: { description: "recorded; the freeze is on its way", schema: RecordedSpotCheck },
        422: { description: "the report is not an inspection record of this borrower with this result" },
      },
      handler: async ({ principal, body }) => {
        authorize(principal!, "write", { type: "institutional" });
        const state = await chain.manager.facility(body.facilityId).catch(() => undefined);
        if (!state || STATUS[Number(state.status)] === "NONE") throw notFound(`facility ${body.facilityId} on chain`);
        const unsupported = await spotCheckRefusal(db, body, state.borrower);
        if (unsupported) throw unprocessable(unsupported.code, unsupported.message);
        const id = randomUUID();
        const reportHash = keccak256(
          toUtf8Bytes(
            JSON.stringify({ reportNumber: body.reportNumber, result: body.result, findings: body.findings }),
          ),
        );
        const freeze = body.result === "FAIL" && STATUS[Number(state.status)] === "ACTIVE";
        const key = `spot-check-freeze:${id}`;
        await db.prisma.$transaction(async (tx) => {
          await tx.spotCheck.create({
            data: {
              id,
              facilityId: body.facilityId,
              result: body.result,
              reportNumber: body.reportNumber,
              findings: body.findings,
              reportHash,
              inspector: body.inspector ?? `${principal!.institution}/${principal!.label}`,
            },
          });
          if (freeze) {
            await outbox.enqueue(tx, {
              key,
              kind: JOB.FREEZE,
              payload: {
                facilityId: body.facilityId.toString(),
                reasonHash: reportHash,
                freezeCountAfter: Number(state.freezeCount) + 1,
              },
            });
          }
        });
        const landed = freeze ? await chainWrite(outbox, key, waitMs) : undefined;
        if (landed) await db.prisma.spotCheck.update({ where: { id }, data: { freezeTx: landed.txHash } });
        const spotCheck = await db.prisma.spotCheck.findUniqueOrThrow({ where: { id } });
        const after = await chain.manager.facility(body.facilityId);
        return {
          status: freeze && !landed ? 202 : 201,
          body: {
            ...presentSpotCheck(spotCheck),
            facilityStatus: STATUS[Number(after.status)],
            frozen: STATUS[Number(after.status)] === "FROZEN",
          },
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/spot-checks",
      operationId: "listSpotChecks",
      summary: "List spot checks",
      tags: ["spot checks"],
      auth: ["regulator", "bank_officer"],
      query: z.object({ facilityId: FacilityId.optional(), ...pageQuery().shape }),
      responses: { 200: { description: "spot checks, newest first", schema: SpotCheckList } },
      handler: async ({ query, principal }) => {
        authorize(principal!, "read", { type: "institutional" });
        const rows = await db.prisma.spotCheck.findMany({
          where: { facilityId: query.facilityId },
          orderBy: [{ createdAt: "desc" }, { id: "desc" }],
          ...pageArgs(query, "id"),
        });
        const page = pageOfRows(rows, query, (row) => row.id);
        return { body: { items: page.items.map(presentSpotCheck), nextCursor: page.nextCursor } };
      },
    }),
    defineRoute({
      method: "post",
      path: "/approvals/:approvalId/cosign",
      operationId: "cosignAtBank",
      summary: "Check a joint decision proposed by the bank and co-sign it",
      tags: ["reviews"],
      auth: ["regulator"],
      params: z.object({ approvalId: z.uuid() }),
      responses: {
        200: { description: "co-signed and applied on chain", schema: SignedApproval },
        202: { description: "co-signed; the decision is on its way to the chain", schema: SignedApproval },
        409: { description: "refused by the regulator's own checks" },
      },
      handler: async ({ params, principal }) => {
        authorize(principal!, "write", { type: "institutional" });
        const fetched = await bank(`/approvals/${params.approvalId}`);
        if (fetched.status === 404) throw notFound(`approval ${params.approvalId} at the bank node`);
        if (fetched.status !== 200)
          throw new AppError(
            502,
            "bank_node_error",
            `the bank node answered ${fetched.status}: ${fetched.body.detail ?? ""}`,
          );
        // Typed as the bank node's GET /approvals/:id declares it; every part the decision rests on is checked below.
        const approval = fetched.body as ApprovalDetail;
        if (approval.status !== "AWAITING_REGULATOR")
          throw conflict(
            "approval_not_pending",
            `approval ${params.approvalId} is ${String(approval.status).toLowerCase()}`,
          );
        const kind = approval.kind as ApprovalKind;
        const refusal = await decisionRefusal(approval);
        if (refusal) {
          const detail = `the regulator does not co-sign: ${refusal}`;
          await recordDecision(approval, { status: "REFUSED", reason: refusal });
          // The bank's approval view shows the refusal too; the refusal stands whether or not the bank takes the note.
          await bank(`/approvals/${params.approvalId}/refusals`, {
            method: "POST",
            body: JSON.stringify({ reason: refusal }),
          }).catch(() => undefined);
          throw conflict("regulator_refused", detail, { reason: refusal });
        }
        await recordDecision(approval, { status: "SIGNED", reason: "" });
        const signature = await chain.signer.signTypedData(await managerDomain(chain), typesOf(kind), approval.message);
        const submitted = await bank(`/approvals/${params.approvalId}/signatures`, {
          method: "POST",
          body: JSON.stringify({ signature }),
        });
        if (submitted.status >= 400) {
          throw new AppError(
            submitted.status === 409 ? 409 : 502,
            submitted.body.code ?? "bank_node_error",
            `the bank node refused the signature: ${submitted.body.detail ?? submitted.status}`,
          );
        }
        return { status: submitted.status, body: submitted.body };
      },
    }),
    defineRoute({
      method: "get",
      path: "/decisions",
      operationId: "listRegulatorDecisions",
      summary: "The regulator's own decisions on joint decisions: co-signed, or refused with the reason",
      tags: ["reviews"],
      auth: ["regulator", "bank_officer"],
      query: z.object({ facilityId: FacilityId.optional(), ...pageQuery(200).shape }),
      responses: { 200: { description: "newest first", schema: RegulatorDecisionList } },
      handler: async ({ query }) => {
        const rows = await db.prisma.approval.findMany({
          where: { facilityId: query.facilityId },
          orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
          ...pageArgs(query, "id"),
        });
        const page = pageOfRows(rows, query, (row) => row.id);
        return {
          body: {
            nextCursor: page.nextCursor,
            items: page.items.map((row) => ({
              approvalId: row.id,
              kind: row.kind,
              facilityId: row.facilityId.toString(),
              status: row.status,
              reason: row.reason,
              message: JSON.parse(row.message),
              decidedAt: row.updatedAt.toISOString(),
            })),
          },
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/queue",
      operationId: "verificationQueue",
      summary: "Verification queue: each document with the bank's verdict and the regulator's",
      tags: ["verification"],
      auth: ["regulator"],
      query: z.object({ facilityId: FacilityId.optional(), ...pageQuery(200).shape }),
      responses: { 200: { description: "newest first", schema: Queue } },
      handler: async ({ query, principal }) => {
        authorize(principal!, "read", { type: "institutional" });
        const rows = await db.prisma.verification.findMany({
          where: { facilityId: query.facilityId },
          orderBy: [{ checkedAt: "desc" }, { evidenceId: "desc" }],
          ...pageArgs(query, "evidenceId"),
        });
        const page = pageOfRows(rows, query, (row) => row.evidenceId);
        const statuses = await createEvidenceStatus({ chain, db }).statusesOf(page.items.map((r) => r.evidenceId));
        const items = await Promise.all(
          page.items.map(async (r) => {
            // The bank's verifier is the set's first; a batched leaf not registered is read from its batch's bits.
            const { verdicts, verified } = statuses.get(r.evidenceId)!;
            const bankVerdict = verdicts[0]?.verdict ?? "NONE";
            return {
              evidenceId: r.evidenceId,
              facilityId: r.facilityId.toString(),
              kind: r.kind,
              metadata: JSON.parse(r.metadata),
              regulatorVerdict: r.verdict,
              regulatorReason: r.reason,
              bankVerdict: pendingForNone(bankVerdict),
              verifiedOnChain: verified,
              checkedAt: r.checkedAt.toISOString(),
            };
          }),
        );
        return { body: { items, nextCursor: page.nextCursor } };
      },
    }),
  ];
}

export { unprocessable };
