import { keccak256, toBeHex, toUtf8Bytes, verifyTypedData, zeroPadValue } from "ethers";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { FACILITY_STATUS as STATUS, VERDICTS as VERDICT, kindsOfMask as kindsOf } from "../../domain/enums";
import { formatBps as pct, formatCny as cny, shareBps } from "../../domain/money";
import type { Principal } from "../auth/roles";
import { chainNow, type Chain } from "../chain/chain";
import { EVIDENCE_KINDS, evidenceIdOf, isPayeeKind, kindIndex, type EvidenceKind } from "../chain/evidence";
import type { Database, Tx } from "../db/client";
import { AppError, conflict, notFound, unprocessable } from "../errors";
import type { JobHandler, Outbox } from "../outbox/outbox";
import { decideReview } from "../rules/engine";
import { computeMetrics } from "../rules/metrics";
import { baseRateFor, isFastTrack, type Grade, type ProductCatalog } from "../rules/products";
import { toJson } from "../rules/values";
import { frozenDuring, nextPeriodStart, periodRefusal, type PeriodFacts } from "../rules/periods";
import { JOB, type CreateFacilityPayload } from "../outbox/jobs";
import { categoryIndex, PAYEE_CATEGORIES } from "../payees/router";
import { managerDomain, typesOf, type ApprovalKind } from "../chain/typed-data";
import { chainWrite } from "../outbox/wait";
import { createRegulatorWhiteList } from "../whitelist/signatures";
import { createFunding, fundKey } from "./funding";
import { chooseEvidence } from "../payments/evidence-choice";
import type { CreateFacilityBody } from "./schema";

const maskOf = (kinds: readonly string[]) =>
  kinds.reduce((mask, kind) => mask | (1 << kindIndex(kind as EvidenceKind)), 0);

export interface Blocker {
  code: string;
  message: string;
}

/**
 * The bank's loan lifecycle: facilities from a product definition, entrusted payments with a pre-flight that says
 * exactly what is missing, statements from the chain, and the joint decisions (reviews, unfreezing) the bank signs
 * first and the regulator co-signs.
 */
export function createFacilityService({
  db,
  chain,
  outbox,
  catalog,
  waitMs,
  logger,
}: {
  db: Database;
  chain: Chain;
  outbox: Outbox;
  catalog: ProductCatalog;
  waitMs: number;
  logger: Logger;
}) {
  const verifiers = () => chain.evidence.verifiers();
  const regulatorEntryOf = createRegulatorWhiteList({ db, chain });
  const blockTimes = new Map<number, number>();
  async function blockTime(blockNumber: number): Promise<number> {
    let t = blockTimes.get(blockNumber);
    if (t === undefined) {
      const block = await chain.provider.getBlock(blockNumber);
      t = block!.timestamp;
      blockTimes.set(blockNumber, t);
    }
    return t;
  }

  async function row(facilityId: bigint) {
    const facility = await db.prisma.facility.findUnique({ where: { facilityId } });
    if (!facility) throw notFound(`facility ${facilityId}`);
    return facility;
  }

  /**
   * A read of one facility from the chain. The contract reverts (FacilityNotFound) for an id it has not issued: that is
   * a 404, whichever of several parallel reads fails first, not an internal error.
   */
  async function ofFacility<T>(facilityId: bigint, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (facilityId > (await chain.manager.facilityCount())) throw notFound(`facility ${facilityId} on chain`);
      throw error;
    }
  }

  async function onChain(facilityId: bigint) {
    return ofFacility(facilityId, () => chain.manager.facility(facilityId));
  }

  /** Each facility's chain state and payment plan as read at one block: the block's number and hash. */
  const views = new Map<bigint, { number: number; hash: string; view: Promise<ChainView> }>();

  /**
   * A facility's chain state and payment plan at the latest block, read once per block and facility: a detail page
   * under load asked for the same contract state hundreds of times a block, and decoding it was most of the node's
   * CPU. Keyed by the block's hash too, so a reorganised chain is read again. For display: the checks before a write
   * read the chain themselves.
   */
  async function chainView(facilityId: bigint): Promise<ChainView> {
    const latest = (await chain.reads.provider.send("eth_getBlockByNumber", ["latest", false])) as {
      number: string;
      hash: string;
    };
    const number = Number(latest.number);
    const cached = views.get(facilityId);
    if (cached && cached.number === number && cached.hash === latest.hash) return cached.view;
    const view = (async () => {
      const state = await ofFacility(facilityId, () => chain.reads.manager.facility(facilityId, { blockTag: number }));
      return { state, payments: await payments(facilityId, { state, blockTag: number }) };
    })();
    if (views.size >= 10_000) views.clear();
    views.set(facilityId, { number, hash: latest.hash, view });
    view.catch(() => {
      if (views.get(facilityId)?.view === view) views.delete(facilityId);
    });
    return view;
  }

  const funding = createFunding({
    db,
    chain,
    outbox,
    waitMs,
    logger,
    applicationOf: async (facilityId) => (await row(facilityId)).id,
    onChain,
  });

  async function validatePlan(body: CreateFacilityBody, floorBps: number): Promise<void> {
    const total = body.plan.reduce((sum, p) => sum + p.amount, 0n);
    const quality = body.plan.filter((p) => p.qualityPurpose).reduce((sum, p) => sum + p.amount, 0n);
    if (total > body.creditLimit) {
      throw unprocessable(
        "plan_exceeds_limit",
        `the plan totals ${cny(total)}, more than the credit limit of ${cny(body.creditLimit)}`,
      );
    }
    const share = shareBps(quality, total);
    if (share < floorBps) {
      throw unprocessable(
        "quality_share_below_floor",
        `the plan puts ${pct(share)} (${cny(quality)} of ${cny(total)}) into quality purposes; the product's floor is ${pct(floorBps)}`,
        { shareBps: share, floorBps },
      );
    }
    const problems: string[] = [];
    for (const [i, p] of body.plan.entries()) {
      if (p.payee === body.borrower)
        problems.push(`payment ${i} pays the borrower: entrusted payments go to suppliers and labs only`);
      const payee = await chain.payees.payeeOf(p.payee);
      if (payee.registeredAt === 0n) problems.push(`payment ${i}: ${p.payee} is not a registered payee`);
      else if (!payee.active) problems.push(`payment ${i}: payee ${p.payee} is deactivated`);
      else if (PAYEE_CATEGORIES[Number(payee.category)] !== p.category) {
        problems.push(
          `payment ${i}: payee ${p.payee} is registered as ${PAYEE_CATEGORIES[Number(payee.category)]}, not ${p.category}`,
        );
      }
    }
    if (problems.length > 0) throw unprocessable("invalid_plan", problems.join("; "), { problems });
  }

  /** Evidence of a facility as the chain sees it, with each verifier's verdict (bank node's documents only). */
  async function evidenceOf(facilityId: bigint) {
    const documents = await db.prisma.document.findMany({
      where: { facilityId, status: "ANCHORED" },
      orderBy: { createdAt: "asc" },
    });
    const set = await verifiers();
    return Promise.all(
      documents.map(async (d) => {
        const [record, verified, ...verdicts] = await Promise.all([
          chain.evidence.evidenceOf(d.evidenceId),
          chain.evidence.isVerified(d.evidenceId),
          ...set.map((v) => chain.evidence.verdictOf(d.evidenceId, v)),
        ]);
        const registered = record.anchoredAt !== 0n;
        const chainKind = EVIDENCE_KINDS[Number(record.kind)];
        return {
          documentId: d.id,
          evidenceId: d.evidenceId,
          facilityId: d.facilityId,
          kind: d.kind as EvidenceKind,
          counterparty: d.counterparty,
          saltedHash: d.saltedHash,
          metadata: JSON.parse(d.metadata) as Record<string, unknown>,
          // The chain's time of the anchor (a batch's block time), not this node's clock.
          anchoredAt: new Date(Number(record.anchoredAt) * 1000),
          registered,
          // The chain's record is the authority on whose evidence this is and of what kind: a row that says otherwise
          // was altered, and must not be offered for a payment or counted in a review.
          mismatch:
            registered && (record.facilityId !== facilityId || chainKind !== d.kind)
              ? `the chain records it as ${chainKind} of facility ${record.facilityId}, not ${d.kind} of facility ${facilityId}`
              : !rowIdHolds(d)
                ? `its row's counterparty ${d.counterparty} is not the one its evidence id commits to`
                : undefined,
          consumed: record.consumed,
          verified,
          verdicts: set.map((verifier, i) => ({ verifier, verdict: VERDICT[Number(verdicts[i])] })),
        };
      }),
    );
  }

  /** Whether a row's facility, kind, counterparty and salted hash give its evidence id (else the row was altered). */
  function rowIdHolds(d: {
    facilityId: bigint;
    kind: string;
    counterparty: string;
    saltedHash: string;
    evidenceId: string;
  }) {
    try {
      return (
        evidenceIdOf(d.facilityId, d.kind as EvidenceKind, d.counterparty, d.saltedHash) === d.evidenceId.toLowerCase()
      );
    } catch {
      return false;
    }
  }

  async function readiness(facilityId: bigint, index: number, chosen?: string[]) {
    const state = await onChain(facilityId);
    const blockers: Blocker[] = [];
    if (index >= Number(state.paymentCount)) throw notFound(`payment ${index} of facility ${facilityId}`);
    const payment = await chain.manager.payment(facilityId, index);
    const status = STATUS[Number(state.status)];
    if (status === "FROZEN") {
      blockers.push({
        code: "facility_is_frozen",
        message: `facility ${facilityId} is frozen after a failed spot check; payments resume once the bank and the regulator unfreeze it together`,
      });
    }
    if (status === "CLOSED") blockers.push({ code: "facility_is_closed", message: `facility ${facilityId} is closed` });
    if (payment.paid) blockers.push({ code: "payment_already_paid", message: `payment ${index} was already paid` });
    const payee = await chain.payees.payeeOf(payment.payee);
    if (payee.registeredAt === 0n)
      blockers.push({ code: "payee_not_registered", message: `payee ${payment.payee} is not registered` });
    else if (!payee.active) blockers.push({ code: "payee_inactive", message: `payee ${payment.payee} is deactivated` });
    else if (payee.category !== payment.category) {
      blockers.push({
        code: "payee_category_mismatch",
        message: `payee ${payment.payee} is now registered as ${PAYEE_CATEGORIES[Number(payee.category)]}, the plan says ${PAYEE_CATEGORIES[Number(payment.category)]}`,
      });
    }
    if (state.balance < payment.amount) {
      blockers.push({
        code: "insufficient_funds",
        message: `the facility holds ${cny(state.balance)}; the payment needs ${cny(payment.amount)}`,
      });
    }
    // The documents the caller names may be of another facility: they are looked at, and said why they cannot serve.
    const evidence = [...(await evidenceOf(facilityId)), ...(chosen ? await foreignEvidence(facilityId, chosen) : [])];
    const choice = chooseEvidence(
      evidence,
      kindsOf(Number(payment.requiredKinds)),
      facilityId,
      {
        payee: payment.payee,
        borrower: state.borrower,
      },
      chosen,
    );
    for (const kind of choice.missingKinds) {
      const why = choice.considered.filter((c) => c.kind === kind).map((c) => `document ${c.documentId}: ${c.reason}`);
      const named = isPayeeKind(kind) ? `payee ${payment.payee}` : "the borrower";
      if (why.length === 0) {
        blockers.push({
          code: "evidence_missing",
          message: `no ${kind} naming ${named} has been uploaded and anchored for facility ${facilityId}${chosen ? " among the documents named" : ""}`,
        });
      } else blockers.push({ code: "evidence_not_usable", message: `no usable ${kind}: ${why.join("; ")}` });
    }
    return {
      ready: blockers.length === 0,
      blockers,
      evidenceIds: choice.use.map((e) => e.evidenceId),
      documentIds: choice.use.map((e) => e.documentId),
      considered: choice.considered,
      offered: choice.offered,
      payment,
    };
  }

  /** Named documents that are not this facility's (each is then refused with "wrong facility"). */
  async function foreignEvidence(facilityId: bigint, ids: string[]) {
    const rows = await db.prisma.document.findMany({
      where: {
        facilityId: { not: facilityId },
        OR: [{ id: { in: ids.filter((id) => !id.startsWith("0x")) } }, { evidenceId: { in: ids } }],
      },
      take: 100,
    });
    return rows.map((d) => ({
      documentId: d.id,
      evidenceId: d.evidenceId,
      facilityId: d.facilityId,
      kind: d.kind as EvidenceKind,
      counterparty: d.counterparty,
      saltedHash: d.saltedHash,
      registered: true,
      consumed: false,
      verified: false,
      verdicts: [],
    }));
  }

  async function payments(facilityId: bigint, at?: { state: ChainFacility; blockTag: number }) {
    const state = at?.state ?? (await onChain(facilityId));
    const manager = at ? chain.reads.manager : chain.manager;
    return Promise.all(
      Array.from({ length: Number(state.paymentCount) }, async (_, index) => {
        const p = await manager.payment(facilityId, index, { blockTag: at?.blockTag ?? "latest" });
        return {
          index,
          payee: p.payee,
          amount: p.amount,
          category: PAYEE_CATEGORIES[Number(p.category)],
          requiredEvidence: kindsOf(Number(p.requiredKinds)),
          qualityPurpose: p.qualityPurpose,
          paid: p.paid,
        };
      }),
    );
  }

  /**
   * The facility's FacilityManager events straight from the chain (filtered by the indexed facility id), with their
   * block times: a statement must not lag behind the indexer. `toBlock`: up to that block (a statement's).
   */
  async function history(facilityId: bigint, toBlock: number | "latest" = "latest") {
    const logs = await chain.provider.getLogs({
      address: await chain.manager.getAddress(),
      topics: [null, zeroPadValue(toBeHex(facilityId), 32)],
      fromBlock: chain.deployment.startBlock ?? 0,
      toBlock,
    });
    const events = logs
      .map((log) => ({ log, parsed: chain.manager.interface.parseLog(log) }))
      .filter((e) => e.parsed !== null)
      .map(({ log, parsed }) => ({
        name: parsed!.name,
        blockNumber: BigInt(log.blockNumber),
        txHash: log.transactionHash,
        args: Object.fromEntries(
          parsed!.fragment.inputs.map((input, i) => {
            const value = parsed!.args[i];
            return [
              input.name,
              typeof value === "bigint" ? value.toString() : Array.isArray(value) ? [...value].map(String) : value,
            ];
          }),
        ) as Record<string, any>,
      }));
    return Promise.all(events.map(async (e) => ({ ...e, at: await blockTime(Number(e.blockNumber)) })));
  }

  /**
   * The chain facts a review period is bounded by: the facility's opening, where each review the chain applied ended
   * (the bank's own reports whose hash a ReviewApplied event carries), the chain's time.
   */
  async function periodFacts(facilityId: bigint, events: Awaited<ReturnType<typeof history>>): Promise<PeriodFacts> {
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
    readiness,
    evidenceOf,
    history,

    /** Where the facility's next review period starts (seconds of chain time), by the rules the regulator checks. */
    async nextReviewStart(facilityId: bigint): Promise<number> {
      return nextPeriodStart(await periodFacts(facilityId, await history(facilityId)));
    },

    async create(principal: Principal, body: CreateFacilityBody) {
      const product = catalog.find(body.productId, body.productVersion);
      if (!product)
        throw unprocessable(
          "unknown_product",
          `no product ${body.productId}${body.productVersion ? ` version ${body.productVersion}` : ""}; see GET /products`,
        );
      // Only the regulator's signed entry prices a white-listed firm (never a row someone wrote on the bank node).
      const listed = await regulatorEntryOf(body.creditCode);
      const grade = (listed?.grade ?? body.grade) as Grade | undefined;
      if (!grade)
        throw unprocessable(
          "grade_required",
          `${body.borrowerName} (${body.creditCode}) is not on the quality white list: give its grade (A–E)`,
        );
      await validatePlan(body, product.qualityFloorBps);
      const fastTrack = listed !== null && isFastTrack(product, grade);
      const baseRateBps = baseRateFor(product, grade);
      const id = randomUUID();
      const total = body.plan.reduce((sum, p) => sum + p.amount, 0n);
      const payload: CreateFacilityPayload = {
        applicationId: id,
        borrower: body.borrower,
        creditLimit: body.creditLimit.toString(),
        baseRateBps,
        qualityFloorBps: product.qualityFloorBps,
        subsidyBps: product.subsidyBps,
        plan: body.plan.map((p) => ({
          payee: p.payee,
          amount: p.amount.toString(),
          category: categoryIndex(p.category),
          requiredKinds: maskOf(p.requiredEvidence),
          qualityPurpose: p.qualityPurpose,
        })),
      };
      const [balance, canMint] = await Promise.all([
        chain.token.balanceOf(chain.signer.address),
        chain.token.hasRole(await chain.token.MINTER_ROLE(), chain.signer.address),
      ]);
      await db.prisma.$transaction(async (tx) => {
        await tx.facility.create({
          data: {
            id,
            borrower: body.borrower,
            borrowerName: body.borrowerName,
            creditCode: body.creditCode,
            productId: product.id,
            productVersion: product.version,
            grade,
            creditLimit: body.creditLimit,
            termMonths: body.termMonths ?? product.termMonths,
            baseRateBps,
            qualityFloorBps: product.qualityFloorBps,
            subsidyBps: product.subsidyBps,
            plan: JSON.stringify(toJson(body.plan)),
            targets: JSON.stringify(product.targets),
            fastTrack,
            appliedAt: body.appliedAt ? new Date(body.appliedAt) : new Date(),
            createdBy: `${principal.institution}/${principal.label}`,
          },
        });
        await outbox.enqueue(tx, { key: `facility-create:${id}`, kind: JOB.CREATE_FACILITY, payload });
        // Fund the plan: the demo token can be minted by the bank; a real tokenized deposit must already be held.
        if (balance < total && canMint) {
          await outbox.enqueue(tx, {
            key: `facility-mint:${id}`,
            kind: JOB.MINT,
            payload: { amount: (total - balance).toString(), minBalance: total.toString() },
          });
        }
        // No approval here: each funding carries its own exact permit (see the FUND job), so facilities created at the
        // same moment cannot overwrite one another's allowance.
      });
      logger.info({ application: id, grade, baseRateBps, fastTrack }, "facility application accepted");
      const landed = await chainWrite(outbox, `facility-create:${id}`, waitMs);
      return {
        facility: await db.prisma.facility.findUniqueOrThrow({ where: { id } }),
        txHash: landed?.txHash ?? null,
      };
    },

    /** Outbox hook: the facility exists on chain; record its id and queue its funding. */
    ...funding,

    async byApplication(id: string) {
      return db.prisma.facility.findUnique({ where: { id } });
    },

    /** The facilities matching `where` (the policy's filter of what the caller may list), newest first. */
    async list(where: { borrower?: string; plan?: { contains: string } } = {}) {
      return db.prisma.facility.findMany({ where, orderBy: { appliedAt: "desc" } });
    },

    row,
    onChain,
    chainView,
    outstandingOf: (facilityId: bigint) => ofFacility(facilityId, () => chain.manager.outstanding(facilityId)),
    subsidyDueOf: (facilityId: bigint) => ofFacility(facilityId, () => chain.manager.subsidyDue(facilityId)),

    payments,

    async requestPayment(principal: Principal, facilityId: bigint, index: number, chosen?: string[]) {
      const check = await readiness(facilityId, index, chosen);
      if (!check.ready) {
        throw new AppError(
          409,
          check.blockers[0].code,
          `payment ${index} of facility ${facilityId} cannot be made: ${check.blockers.map((b) => b.message).join("; ")}`,
          { extensions: { blockers: check.blockers } },
        );
      }
      const key = `payment:${facilityId}:${index}`;
      await db.prisma.$transaction(async (tx) => {
        // A payment the chain refused before (frozen in between, say) may be asked for again.
        await outbox.enqueue(
          tx,
          {
            key,
            kind: JOB.EXECUTE_PAYMENT,
            payload: {
              facilityId: facilityId.toString(),
              index,
              evidenceIds: check.evidenceIds,
              evidence: check.offered,
            },
          },
          { retryFailed: true },
        );
      });
      logger.info({ facilityId: facilityId.toString(), index, by: principal.label }, "entrusted payment requested");
      const landed = await chainWrite(outbox, key, waitMs);
      if (landed) {
        await db.prisma.facility.updateMany({
          where: { facilityId, firstPaymentAt: null },
          data: { firstPaymentAt: new Date() },
        });
      }
      return {
        txHash: landed?.txHash ?? null,
        evidenceIds: check.evidenceIds,
        documentIds: check.documentIds,
        payee: check.payment.payee,
        amount: check.payment.amount,
      };
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

export type FacilityService = ReturnType<typeof createFacilityService>;

/** A facility as FacilityManager.facility returns it. */
type ChainFacility = Awaited<ReturnType<Chain["manager"]["facility"]>>;

/** A facility's chain state and payment plan, read at one block. */
interface ChainView {
  state: ChainFacility;
  payments: {
    index: number;
    payee: string;
    amount: bigint;
    category: (typeof PAYEE_CATEGORIES)[number];
    requiredEvidence: EvidenceKind[];
    qualityPurpose: boolean;
    paid: boolean;
  }[];
}

/** Outbox hook: a joint decision landed. */
export async function onApprovalApplied(tx: Tx, payload: { approvalId: string }, landed: { txHash: string }) {
  await tx.approval.update({ where: { id: payload.approvalId }, data: { status: "APPLIED", txHash: landed.txHash } });
}

/**
 * Outbox hook of CREATE_FACILITY: records the facility's on-chain id (read from the FacilityCreated event of the
 * landed transaction) and queues its funding, inside the confirming database transaction.
 */
export function onFacilityCreated(chain: Chain): JobHandler<CreateFacilityPayload>["onConfirmed"] {
  return async (tx, payload, landed, outbox) => {
    const landedTxHash = landed.txHash;
    const receipt = await chain.provider.getTransactionReceipt(landedTxHash);
    const created = receipt?.logs
      .map((log) => {
        try {
          return chain.manager.interface.parseLog(log);
        } catch {
          return null;
        }
      })
      .find((parsed) => parsed?.name === "FacilityCreated");
    if (!created) throw new Error(`no FacilityCreated event in ${landedTxHash}`);
    const facilityId = created.args.facilityId as bigint;
    await tx.facility.update({
      where: { id: payload.applicationId },
      data: { facilityId, status: "ACTIVE", createdTx: landedTxHash },
    });
    const total = payload.plan.reduce((sum, p) => sum + BigInt(p.amount), 0n);
    await outbox.enqueue(tx, {
      key: fundKey(payload.applicationId),
      kind: JOB.FUND,
      payload: { facilityId: facilityId.toString(), amount: total.toString(), fundedAfter: total.toString() },
    });
  };
}
