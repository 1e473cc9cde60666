import { expect } from "chai";
import { Wallet, hexlify, randomBytes } from "ethers";
import { randomUUID } from "node:crypto";
import path from "node:path";
import pino from "pino";
import { decideReview } from "../../server/rules/engine";
import { computeMetrics } from "../../server/rules/metrics";
import { loadProducts } from "../../server/rules/products";
import { toJson } from "../../server/rules/values";
import { forEachDatabase } from "../helpers/databases";
import { startDeployedChain, type DeployedChain } from "../helpers/liveNodes";
import { serveBankNode, type ServedBankNode } from "../helpers/nodeParts";
import { client } from "../helpers/processes";

/** Rows in each list: more than three pages of PAGE, with runs of rows written at the same instant. */
const ROWS = 11;
const PAGE = 3;
const FACILITY = 7n;
/** The i-th row's time: three rows share each millisecond, so only the id orders them. */
const timeOf = (i: number) => new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 3) * 60_000);

type Keyed = { id: string; at: Date };
const oldestFirst = (a: Keyed, b: Keyed) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : 1);
const newestFirst = (a: Keyed, b: Keyed) => -oldestFirst(a, b);

/**
 * The bank node's database lists (reviews, joint decisions, facilities, a facility's evidence) are paged in the database query, on SQLite and
 * on PostgreSQL: walked by the cursor each hands out, a list longer than a page gives every row once, in the list's
 * order (the id breaking ties of the same instant), and a cursor that is no row of that list is a 400.
 */
describe("the bank node's lists paged in the database", function () {
  this.timeout(120_000);
  const logger = pino({ level: "silent" });
  let started: DeployedChain | undefined;

  before(async function () {
    started = await startDeployedChain("paging");
  });

  after(async function () {
    await started?.stop();
  });

  forEachDatabase((db) => {
    let node: ServedBankNode | undefined;
    let api: ReturnType<typeof client>;
    const borrower = Wallet.createRandom().address;
    const seeded = {
      reviews: [] as Keyed[],
      approvals: [] as Keyed[],
      facilities: [] as Keyed[],
      evidence: [] as Keyed[],
    };

    before(async function () {
      const { chain, dir } = started!;
      node = await serveBankNode({ db: db(), chain, logger, documentsDir: path.join(dir, randomUUID()) });
      api = client(node.url, node.officerKey);

      const { prisma } = db();
      const [product] = loadProducts().products;
      for (let i = 0; i < ROWS; i++) {
        const at = timeOf(i);
        const period = { from: at, to: new Date(at.getTime() + 86_400_000) };
        const metrics = computeMetrics({ period, evidence: [], payments: [], grade: "B" });
        const decision = decideReview(product, { baseRateBps: 435, frozen: false, metrics: metrics.values });
        const report = { facilityId: FACILITY.toString(), period: metrics.period, metrics, decision };
        // Every other facility is the borrower's; the first is FACILITY (ids past the chain's: no chain reads).
        const facility = { id: randomUUID(), at };
        await prisma.facility.create({
          data: {
            id: facility.id,
            facilityId: i === 0 ? FACILITY : 1_000n + BigInt(i),
            borrower: i % 2 === 0 ? borrower : Wallet.createRandom().address,
            borrowerName: `borrower ${i}`,
            creditCode: `91330206MA2AAA${String(i).padStart(3, "0")}X`,
            productId: "equipment",
            productVersion: 1,
            grade: "B",
            creditLimit: 100_000n,
            termMonths: 12,
            baseRateBps: 435,
            qualityFloorBps: 3_000,
            subsidyBps: 0,
            plan: "[]",
            targets: "[]",
            status: "ACTIVE",
            appliedAt: at,
            createdBy: "test",
          },
        });
        seeded.facilities.push(facility);
        // Reviews of FACILITY, and one of another facility among them (never on FACILITY's pages).
        const review = { id: randomUUID(), at };
        await prisma.reviewDecision.create({
          data: {
            id: review.id,
            facilityId: i === 5 ? 1_005n : FACILITY,
            periodFrom: period.from,
            periodTo: period.to,
            productId: `${product.id}@${product.version}`,
            inputs: "{}",
            decision: JSON.stringify(toJson(report)),
            createdAt: at,
          },
        });
        if (i !== 5) seeded.reviews.push(review);
        const approval = { id: randomUUID(), at };
        await prisma.approval.create({
          data: {
            id: approval.id,
            kind: "UNFREEZE",
            facilityId: FACILITY,
            message: JSON.stringify({
              facilityId: "7",
              freezeCount: i,
              reasonHash: `0x${"00".repeat(32)}`,
              deadline: "1",
            }),
            status: i % 3 === 0 ? "APPLIED" : "AWAITING_REGULATOR",
            createdBy: "test",
            createdAt: at,
          },
        });
        seeded.approvals.push(approval);
        // FACILITY's anchored documents (an evidence list is keyed by evidence id), one of another facility among them.
        const evidence = { id: hexlify(randomBytes(32)), at };
        await prisma.document.create({
          data: {
            id: randomUUID(),
            facilityId: i === 4 ? 1_004n : FACILITY,
            kind: "INSPECTION_REPORT",
            mimeType: "application/pdf",
            size: 10,
            originalName: "report.pdf",
            contentHash: hexlify(randomBytes(32)),
            salt: hexlify(randomBytes(32)),
            saltedHash: hexlify(randomBytes(32)),
            evidenceId: evidence.id,
            counterparty: borrower,
            uploadedBy: "test",
            status: "ANCHORED",
            createdAt: at,
          },
        });
        if (i !== 4) seeded.evidence.push(evidence);
      }
    });

    after(async function () {
      await node?.close();
    });

    /** Walks `pathname` PAGE items at a time by the cursors it hands out; the items' keys in the order served. */
    async function walk(pathname: string, keyOf: (item: any) => string): Promise<string[]> {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages <= ROWS; pages++) {
        const separator = pathname.includes("?") ? "&" : "?";
        const reply = await api.get(`${pathname}${separator}limit=${PAGE}${cursor ? `&cursor=${cursor}` : ""}`);
        expect(reply.status, JSON.stringify(reply.body)).to.equal(200);
        expect(reply.body.items.length).to.be.at.most(PAGE);
        seen.push(...reply.body.items.map(keyOf));
        cursor = reply.body.nextCursor;
        if (cursor === null) return seen;
        expect(cursor).to.equal(seen[seen.length - 1]);
      }
      throw new Error(`${pathname} handed out more pages than it has rows`);
    }

    const ids = (rows: Keyed[], order: (a: Keyed, b: Keyed) => number) => [...rows].sort(order).map((r) => r.id);

    it("walks a facility's reviews page by page: each once, oldest first", async function () {
      expect(await walk(`/facilities/${FACILITY}/reviews`, (r) => r.id)).to.deep.equal(
        ids(seeded.reviews, oldestFirst),
      );
    });

    it("walks a facility's evidence page by page: each once, oldest first, keyed by evidence id", async function () {
      expect(await walk(`/facilities/${FACILITY}/evidence`, (e) => e.evidenceId)).to.deep.equal(
        ids(seeded.evidence, oldestFirst),
      );
    });

    it("walks the joint decisions, all and of one status, page by page: each once, oldest first", async function () {
      expect(await walk("/approvals", (a) => a.id)).to.deep.equal(ids(seeded.approvals, oldestFirst));
      const applied = seeded.approvals.filter((_, i) => i % 3 === 0);
      expect(await walk("/approvals?status=APPLIED", (a) => a.id)).to.deep.equal(ids(applied, oldestFirst));
    });

    it("walks the facilities, all and of one borrower in any case, page by page: each once, newest first", async function () {
      expect(await walk("/facilities", (f) => f.applicationId)).to.deep.equal(ids(seeded.facilities, newestFirst));
      const own = seeded.facilities.filter((_, i) => i % 2 === 0);
      expect(await walk(`/facilities?borrower=${borrower.toLowerCase()}`, (f) => f.applicationId)).to.deep.equal(
        ids(own, newestFirst),
      );
    });

    it("answers 400 invalid_cursor for a cursor that is no row of the list, naming it", async function () {
      const otherReview = (await db().prisma.reviewDecision.findFirstOrThrow({ where: { facilityId: 1_005n } })).id;
      const pending = seeded.approvals[1].id;
      const otherEvidence = (await db().prisma.document.findFirstOrThrow({ where: { facilityId: 1_004n } })).evidenceId;
      const strangers = seeded.facilities.filter((_, i) => i % 2 === 1);
      for (const [pathname, cursor] of [
        [`/facilities/${FACILITY}/reviews`, randomUUID()],
        [`/facilities/${FACILITY}/reviews`, otherReview],
        ["/approvals", "not-an-id"],
        ["/approvals?status=APPLIED", pending],
        ["/facilities", randomUUID()],
        [`/facilities/${FACILITY}/evidence`, hexlify(randomBytes(32))],
        [`/facilities/${FACILITY}/evidence`, otherEvidence],
        [`/facilities?borrower=${borrower}`, strangers[0].id],
      ]) {
        const reply = await api.get(`${pathname}${pathname.includes("?") ? "&" : "?"}cursor=${cursor}`);
        expect(reply.status, `${pathname} ${cursor}`).to.equal(400);
        expect(reply.body.code).to.equal("invalid_cursor");
        expect(reply.body.detail).to.equal(`the cursor ${cursor} names no item of this list: start without one`);
      }
    });
  });
});
