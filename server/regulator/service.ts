/**
 * The market regulator's lifecycle duties on its own node: spot checks (a FAIL freezes the facility on chain at once,
 * and the request waits for that transaction), and co-signing joint decisions only after checking them itself
 * (./checks.ts); its own record of what it decided.
 */
import { keccak256, toUtf8Bytes } from "ethers";
import { randomUUID } from "node:crypto";
import type { ApprovalDetail } from "../../domain/api/approvals";
import { FACILITY_STATUS as STATUS } from "../../domain/enums";
import type { Principal } from "../auth/roles";
import type { Chain } from "../chain/chain";
import { managerDomain, typesOf, type ApprovalKind } from "../chain/typed-data";
import type { Database } from "../db/client";
import { AppError, conflict, notFound, unprocessable } from "../errors";
import { JOB } from "../outbox/jobs";
import type { Outbox } from "../outbox/outbox";
import { chainWrite } from "../outbox/wait";
import { createEvidenceStatus } from "../verification/evidence-status";
import { pageArgs, pageOfRows, readPage } from "../http/page";
import { spotCheckRefusal } from "../registry/records";
import type { ProductCatalog } from "../rules/products";
import type { BankClient } from "./bank-client";
import { createDecisionChecks } from "./checks";
import { presentDecision, presentQueueItem, presentSpotCheck } from "./presenter";
import type { ProposedReport } from "./review-rebuild";
import type { FacilityFilter, SpotCheckBody, SpotCheckFilter } from "./schema";

export type RegulatorService = ReturnType<typeof createRegulatorService>;

export function createRegulatorService({
  db,
  chain,
  outbox,
  catalog,
  bank,
  waitMs,
}: {
  db: Database;
  chain: Chain;
  outbox: Outbox;
  catalog: ProductCatalog;
  bank: BankClient;
  waitMs: number;
}) {
  const { decisionRefusal } = createDecisionChecks({ db, chain, catalog });
  const evidenceStatus = createEvidenceStatus({ chain, db });

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

  /** Records a spot check; a FAIL of an active facility freezes it on chain. 202 when the freeze has not landed yet. */
  async function recordSpotCheck(body: SpotCheckBody, principal: Principal) {
    const state = await chain.manager.facility(body.facilityId).catch(() => undefined);
    if (!state || STATUS[Number(state.status)] === "NONE") throw notFound(`facility ${body.facilityId} on chain`);
    const unsupported = await spotCheckRefusal(db, body, state.borrower);
    if (unsupported) throw unprocessable(unsupported.code, unsupported.message);
    const id = randomUUID();
    const reportHash = keccak256(
      toUtf8Bytes(JSON.stringify({ reportNumber: body.reportNumber, result: body.result, findings: body.findings })),
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
          inspector: body.inspector ?? `${principal.institution}/${principal.label}`,
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
  }

  async function listSpotChecks(query: SpotCheckFilter) {
    const where = { facilityId: query.facilityId };
    const orderBy = [{ createdAt: "desc" as const }, { id: "desc" as const }];
    return readPage(query, "id", (page) => db.prisma.spotCheck.findMany({ where, orderBy, ...page }), presentSpotCheck);
  }

  /**
   * Fetches the bank's approval, checks it with the regulator's own reads and co-signs it, or records and sends the
   * refusal (409 regulator_refused). The answer is the bank node's to the signature.
   */
  async function cosign(approvalId: string) {
    const fetched = await bank.approval(approvalId);
    if (fetched.status === 404) throw notFound(`approval ${approvalId} at the bank node`);
    if (fetched.status !== 200)
      throw new AppError(
        502,
        "bank_node_error",
        `the bank node answered ${fetched.status}: ${fetched.body.detail ?? ""}`,
      );
    // Typed as the bank node's GET /approvals/:id declares it; every part the decision rests on is checked below.
    const approval: ApprovalDetail = fetched.body;
    if (approval.status !== "AWAITING_REGULATOR")
      throw conflict("approval_not_pending", `approval ${approvalId} is ${String(approval.status).toLowerCase()}`);
    const kind = approval.kind as ApprovalKind;
    const refusal = await decisionRefusal(approval);
    if (refusal) {
      const detail = `the regulator does not co-sign: ${refusal}`;
      await recordDecision(approval, { status: "REFUSED", reason: refusal });
      // The bank's approval view shows the refusal too; the refusal stands whether or not the bank takes the note.
      await bank.refuse(approvalId, refusal).catch(() => undefined);
      throw conflict("regulator_refused", detail, { reason: refusal });
    }
    await recordDecision(approval, { status: "SIGNED", reason: "" });
    const signature = await chain.signer.signTypedData(await managerDomain(chain), typesOf(kind), approval.message);
    const submitted = await bank.sign(approvalId, signature);
    if (submitted.status >= 400) {
      throw new AppError(
        submitted.status === 409 ? 409 : 502,
        submitted.body.code ?? "bank_node_error",
        `the bank node refused the signature: ${submitted.body.detail ?? submitted.status}`,
      );
    }
    return { status: submitted.status, body: submitted.body };
  }

  async function decisions(query: FacilityFilter) {
    const where = { facilityId: query.facilityId };
    const orderBy = [{ updatedAt: "desc" as const }, { id: "desc" as const }];
    return readPage(query, "id", (page) => db.prisma.approval.findMany({ where, orderBy, ...page }), presentDecision);
  }

  /** Each document this node verified, with the bank verifier's verdict and the chain's, newest first. */
  async function queue(query: FacilityFilter) {
    const rows = await db.prisma.verification.findMany({
      where: { facilityId: query.facilityId },
      orderBy: [{ checkedAt: "desc" }, { evidenceId: "desc" }],
      ...pageArgs(query, "evidenceId"),
    });
    const page = pageOfRows(rows, query, (row) => row.evidenceId);
    const statuses = await evidenceStatus.statusesOf(page.items.map((row) => row.evidenceId));
    const items = page.items.map((row) => {
      // The bank's verifier is the set's first; a batched leaf not registered is read from its batch's bits.
      const { verdicts, verified } = statuses.get(row.evidenceId)!;
      return presentQueueItem(row, { bankVerdict: verdicts[0]?.verdict ?? "NONE", verifiedOnChain: verified });
    });
    return { items, nextCursor: page.nextCursor };
  }

  return { recordSpotCheck, listSpotChecks, cosign, decisions, queue };
}
