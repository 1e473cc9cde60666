import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { toCsv, type CSV_COLUMNS } from "../../server/audit/csv";
import {
  AUDIT_EVENT_NAMES,
  buildAuditReport,
  fenToCny,
  type AuditEvent,
  type AuditReport,
} from "../../server/audit/report";
import { auditRoutes } from "../../server/audit/router";
import type { LedgerLine } from "../../server/audit/schema";
import { auditReportOf, createBlockClock, readAuditEvents } from "../../server/audit/service";
import { createApiKeys } from "../../server/auth/api-keys";
import type { Chain } from "../../server/chain/chain";
import { createApp } from "../../server/http/app";
import { createMetrics } from "../../server/http/metrics";
import { createIndexer, readEvents } from "../../server/indexer/indexer";
import { EXPECTED, createAuditHistory } from "../helpers/auditHistory";
import { DAY, Status } from "../helpers/constants";
import { createTestDatabase, type TestDatabase } from "../helpers/databases";
import { deployFixture } from "../helpers/fixtures";

const iso = (seconds: bigint) => new Date(Number(seconds) * 1_000).toISOString();

/** The contracts deployed on the in-process network and one facility's whole history on them. */
async function auditedHistoryFixture() {
  const startBlock = await ethers.provider.getBlockNumber();
  const fx = await deployFixture();
  const history = await createAuditHistory({
    provider: ethers.provider,
    token: fx.token,
    payees: fx.payees,
    evidence: fx.evidence,
    manager: fx.manager,
    bank: fx.bank,
    regulator: fx.regulator,
    fiscal: fx.fiscal,
    borrower: fx.borrower,
    bankVerifier: fx.bankVerifier,
    regulatorVerifier: fx.regulatorVerifier,
    equipmentVendor: fx.equipmentVendor.address,
    lab: fx.lab.address,
    materials: fx.materials.address,
    treasury: fx.treasury.address,
    issue: (to, amount) => fx.token.connect(fx.issuer).mint(to, amount),
  });
  return { fx, history, startBlock };
}

/** A minimal RFC 4180 reader, to check that what toCsv writes reads back field for field. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"' && (quoted || field === "")) {
      quoted = !quoted;
    } else if (quoted) {
      field += c;
    } else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else {
      field += c;
    }
  }
  if (field !== "" || row.length > 0) throw new Error("the CSV does not end with CRLF");
  return rows;
}

describe("fund-use audit report", function () {
  let fixture: Awaited<ReturnType<typeof auditedHistoryFixture>>;
  let db: TestDatabase;
  let events: AuditEvent[];
  let report: AuditReport;

  before(async function () {
    fixture = await loadFixture(auditedHistoryFixture);
    const { fx, startBlock } = fixture;
    db = await createTestDatabase("sqlite");
    // The node's own indexer, reading the in-process network: the events are exactly what a node stores.
    const chain = {
      deployment: {
        contracts: {
          EvidenceRegistry: await fx.evidence.getAddress(),
          FacilityManager: await fx.manager.getAddress(),
          PayeeRegistry: await fx.payees.getAddress(),
        },
      },
      provider: ethers.provider,
    } as unknown as Chain;
    await createIndexer({
      db,
      chain,
      logger: pino({ level: "silent" }),
      metrics: createMetrics("audit-test"),
      confirmations: 0,
      startBlock,
    }).catchUp();
    events = await readAuditEvents(db);
    report = buildAuditReport(events, { facilityId: fixture.history.facilityId })!;
  });

  after(async function () {
    await db?.drop();
  });

  describe("buildAuditReport", function () {
    describe("when a facility has been funded, paid, reviewed, frozen, repaid and subsidised", function () {
      it("states the terms and the plan as the facility was created", async function () {
        const { fx, history } = fixture;
        expect(report.facilityId).to.equal(history.facilityId.toString());
        expect(report.status).to.equal("ACTIVE");
        expect(report.terms).to.deep.include({
          borrower: fx.borrower.address,
          creditLimit: "1000000000",
          baseRateBps: 435,
          qualityFloorBps: 3_000,
          subsidyBps: 300,
          planTotal: "1000000000",
          plannedQualityShareBps: 5_000,
        });
        expect(report.plan.map(({ planned: _planned, ...payment }) => payment)).to.deep.equal([
          {
            index: 0,
            payee: fx.equipmentVendor.address,
            category: "EQUIPMENT",
            amount: "400000000",
            qualityPurpose: true,
            requiredKinds: ["PURCHASE_CONTRACT", "INVOICE"],
            paid: true,
          },
          {
            index: 1,
            payee: fx.lab.address,
            category: "TESTING_CERT",
            amount: "100000000",
            qualityPurpose: true,
            requiredKinds: ["INSPECTION_REPORT"],
            paid: false,
          },
          {
            index: 2,
            payee: fx.materials.address,
            category: "MATERIALS",
            amount: "500000000",
            qualityPurpose: false,
            requiredKinds: ["PURCHASE_CONTRACT", "DELIVERY_NOTE"],
            paid: true,
          },
        ]);
        expect(report.funding.map(({ from, amount }) => ({ from, amount }))).to.deep.equal([
          { from: fx.bank.address, amount: EXPECTED.funded.toString() },
        ]);
      });

      it("lists each entrusted payment with its payee, amount, block and transaction", async function () {
        const { fx, history } = fixture;
        const receipts = await Promise.all(
          [history.tx.payment0, history.tx.payment2].map((hash) => ethers.provider.getTransactionReceipt(hash)),
        );
        expect(
          report.payments.map((p) => ({
            index: p.index,
            payee: p.payee,
            category: p.category,
            amount: p.amount,
            qualityPurpose: p.qualityPurpose,
            block: p.at.block,
            tx: p.at.tx,
            payeeAtPayment: p.payeeAtPayment,
            evidence: p.evidence.map((e) => [e.evidenceId, e.kind]),
          })),
        ).to.deep.equal([
          {
            index: 0,
            payee: fx.equipmentVendor.address,
            category: "EQUIPMENT",
            amount: "400000000",
            qualityPurpose: true,
            block: receipts[0]!.blockNumber.toString(),
            tx: history.tx.payment0,
            payeeAtPayment: { category: "EQUIPMENT", licenceHash: ethers.id("licence:equipment"), active: true },
            evidence: [
              [history.evidence.contract0, "PURCHASE_CONTRACT"],
              [history.evidence.invoice, "INVOICE"],
            ],
          },
          {
            index: 2,
            payee: fx.materials.address,
            category: "MATERIALS",
            amount: "500000000",
            qualityPurpose: false,
            block: receipts[1]!.blockNumber.toString(),
            tx: history.tx.payment2,
            payeeAtPayment: { category: "MATERIALS", licenceHash: ethers.id("licence:materials"), active: true },
            evidence: [
              [history.evidence.contract2, "PURCHASE_CONTRACT"],
              [history.evidence.deliveryNote, "DELIVERY_NOTE"],
            ],
          },
        ]);
      });

      it("shows where each evidence was anchored: in its own transaction, or under a batch root", async function () {
        const { history } = fixture;
        const [contract, invoice] = report.payments[0].evidence;
        expect(contract.anchor).to.deep.include({ type: "single", root: history.evidence.contract0, batchSize: null });
        expect(contract.anchor.anchored).to.deep.equal(contract.anchor.registered);
        expect(invoice.anchor).to.deep.include({ type: "batch", root: history.batchRoot, batchSize: 2 });
        expect(invoice.anchor.anchored!.tx).to.equal(history.tx.batch);
        expect(invoice.anchor.registered.tx).to.not.equal(history.tx.batch);
        expect(BigInt(invoice.anchor.registered.block)).to.be.greaterThan(BigInt(invoice.anchor.anchored!.block));
      });

      it("gives every verifier's verdict, and whether the evidence was verified when it released the payment", async function () {
        const { fx, history } = fixture;
        const [contract, invoice] = report.payments[0].evidence;
        expect(
          contract.verdicts.map(({ at: _at, revoked, ...v }) => ({ ...v, revoked: revoked?.reasonHash ?? null })),
        ).to.deep.equal([
          {
            verifier: fx.bankVerifier.address,
            verdict: "ACCEPT",
            reasonHash: ethers.ZeroHash,
            nonce: contract.verdicts[0].nonce,
            revoked: history.reasons.revocation,
          },
          {
            verifier: fx.regulatorVerifier.address,
            verdict: "ACCEPT",
            reasonHash: ethers.ZeroHash,
            nonce: contract.verdicts[1].nonce,
            revoked: null,
          },
        ]);
        // It was verified (2 of 2) when it released payment 0, and is not any more: the bank's node revoked.
        expect(contract).to.deep.include({
          verifiedAtPayment: true,
          acceptancesAtPayment: 2,
          thresholdAtPayment: 2,
          verified: false,
          consumedByPayment: 0,
        });
        expect(await fx.evidence.isVerified(history.evidence.contract0)).to.equal(false);
        expect(invoice).to.deep.include({ verifiedAtPayment: true, verified: true, consumedByPayment: 0 });
        expect(await fx.evidence.isVerified(history.evidence.invoice)).to.equal(true);
      });

      it("keeps the evidence that released nothing, with the verifier's rejection", async function () {
        const { fx, history } = fixture;
        expect(report.evidence.map((e) => e.evidenceId)).to.deep.equal([
          history.evidence.contract0,
          history.evidence.invoice,
          history.evidence.deliveryNote,
          history.evidence.inspection,
          history.evidence.contract2,
        ]);
        const inspection = report.evidence.find((e) => e.evidenceId === history.evidence.inspection)!;
        expect(inspection).to.deep.include({ kind: "INSPECTION_REPORT", verified: false, consumedByPayment: null });
        expect(inspection.verdicts.map((v) => [v.verifier, v.verdict, v.reasonHash])).to.deep.equal([
          [fx.bankVerifier.address, "ACCEPT", ethers.ZeroHash],
          [fx.regulatorVerifier.address, "REJECT", history.reasons.inspection],
        ]);
      });

      it("records the review with both signers, and the rate history", async function () {
        const { fx, history } = fixture;
        expect(report.reviews.map(({ at, ...review }) => ({ ...review, tx: at.tx }))).to.deep.equal([
          {
            nonce: 0,
            previousRateBps: 435,
            newRateBps: 385,
            subsidyEligible: true,
            reportHash: history.reasons.review,
            bankSigner: fx.bank.address,
            regulatorSigner: fx.regulator.address,
            tx: history.tx.review,
          },
        ]);
        expect(report.rateHistory.map(({ since, ...period }) => ({ ...period, tx: since.tx }))).to.deep.equal([
          { rateBps: 435, subsidyEligible: false, source: "terms", reviewNonce: null, tx: report.terms.created.tx },
          { rateBps: 385, subsidyEligible: true, source: "review", reviewNonce: 0, tx: history.tx.review },
        ]);
        expect((await fx.manager.facility(history.facilityId)).rateBps).to.equal(385n);
      });

      it("lists the interest segments as the contract closed them", async function () {
        const { t0 } = fixture.history;
        let start = 0n;
        const expected = EXPECTED.segments.map((segment) => {
          const from = t0 + start * DAY;
          start += segment.days;
          return {
            from: iso(from),
            to: iso(t0 + start * DAY),
            seconds: Number(segment.days * DAY),
            principal: segment.principal.toString(),
            rateBps: segment.rateBps,
            interest: segment.interest.toString(),
            subsidy: segment.subsidy.toString(),
          };
        });
        expect(report.interest.map(({ at: _at, ...segment }) => segment)).to.deep.equal(expected);
        expect(report.interest.map((segment) => segment.at.tx)).to.deep.equal([
          fixture.history.tx.payment2,
          fixture.history.tx.review,
          fixture.history.tx.repay,
        ]);
      });

      it("records the freeze, who froze it, and both signers of the unfreeze", async function () {
        const { fx, history } = fixture;
        expect(report.freezes).to.have.length(1);
        const [freeze] = report.freezes;
        expect(freeze).to.deep.include({
          freezeCount: 1,
          by: fx.regulator.address,
          reasonHash: history.reasons.freeze,
        });
        expect(freeze.at.tx).to.equal(history.tx.freeze);
        expect(freeze.unfrozen).to.deep.include({
          reasonHash: history.reasons.unfreeze,
          bankSigner: fx.bank.address,
          regulatorSigner: fx.regulator.address,
        });
        expect(freeze.unfrozen!.at.tx).to.equal(history.tx.unfreeze);
      });

      it("records the repayment split into interest and principal, the subsidy and the withdrawal", async function () {
        const { fx, history } = fixture;
        expect(report.repayments.map(({ at, ...r }) => ({ ...r, tx: at.tx }))).to.deep.equal([
          {
            payer: fx.borrower.address,
            amount: (EXPECTED.interestRepaid + EXPECTED.principalRepaid).toString(),
            interestPaid: EXPECTED.interestRepaid.toString(),
            principalPaid: EXPECTED.principalRepaid.toString(),
            tx: history.tx.repay,
          },
        ]);
        expect(report.subsidies.map(({ at, ...s }) => ({ ...s, tx: at.tx }))).to.deep.equal([
          { payer: fx.fiscal.address, amount: EXPECTED.subsidyPaid.toString(), tx: history.tx.subsidy },
        ]);
        expect(report.withdrawals.map(({ at, ...w }) => ({ ...w, tx: at.tx }))).to.deep.equal([
          { to: fx.treasury.address, amount: EXPECTED.withdrawn.toString(), tx: history.tx.withdraw },
        ]);
        expect(report.closed).to.equal(null);
      });

      it("totals the money exactly as worked out by hand and as the contract holds it", async function () {
        const { fx, history } = fixture;
        const s = (value: bigint) => value.toString();
        expect(report.totals).to.deep.equal({
          planned: "1000000000",
          funded: s(EXPECTED.funded),
          paid: s(EXPECTED.paid),
          unpaidPlanned: s(EXPECTED.unpaidPlanned),
          paidByPayee: [
            { payee: fx.equipmentVendor.address, category: "EQUIPMENT", payments: 1, amount: "400000000" },
            { payee: fx.lab.address, category: "TESTING_CERT", payments: 0, amount: "0" },
            { payee: fx.materials.address, category: "MATERIALS", payments: 1, amount: "500000000" },
          ],
          paidByCategory: [
            { category: "EQUIPMENT", payments: 1, amount: "400000000" },
            { category: "TESTING_CERT", payments: 0, amount: "0" },
            { category: "MATERIALS", payments: 1, amount: "500000000" },
          ],
          qualityPaid: s(EXPECTED.qualityPaid),
          qualityShareOfPaidBps: EXPECTED.qualityShareOfPaidBps,
          qualityFloorBps: 3_000,
          interestAccrued: s(EXPECTED.interestAccrued),
          subsidyAccrued: s(EXPECTED.subsidyAccrued),
          subsidyPaid: s(EXPECTED.subsidyPaid),
          interestRepaid: s(EXPECTED.interestRepaid),
          principalRepaid: s(EXPECTED.principalRepaid),
          repaid: s(EXPECTED.interestRepaid + EXPECTED.principalRepaid),
          withdrawn: s(EXPECTED.withdrawn),
          outstandingPrincipal: s(EXPECTED.outstandingPrincipal),
          balance: s(EXPECTED.balance),
        });
        const state = await fx.manager.facility(history.facilityId);
        expect(state.status).to.equal(Status.ACTIVE);
        expect(
          [state.funded, state.drawn, state.withdrawn, state.interestRepaid, state.principalRepaid, state.subsidyPaid]
            .concat([state.principal, state.balance])
            .map(String),
        ).to.deep.equal([
          report.totals.funded,
          report.totals.paid,
          report.totals.withdrawn,
          report.totals.interestRepaid,
          report.totals.principalRepaid,
          report.totals.subsidyPaid,
          report.totals.outstandingPrincipal,
          report.totals.balance,
        ]);
        expect(await fx.token.balanceOf(fx.equipmentVendor.address)).to.equal(400_000_000n);
      });

      it("leaves out another facility's events, which make a report of their own", async function () {
        const { history } = fixture;
        const text = JSON.stringify(report);
        expect(text).to.not.include(history.evidence.otherFacility);
        const other = buildAuditReport(events, { facilityId: history.otherFacilityId })!;
        expect(other.funding.map((f) => f.amount)).to.deep.equal(["100000000"]);
        expect(other.evidence.map((e) => [e.evidenceId, e.verified])).to.deep.equal([
          [history.evidence.otherFacility, true],
          [history.evidence.otherInspection, true],
        ]);
      });

      it("reports a payment released by exactly one document with that one document", async function () {
        const { history } = fixture;
        const other = buildAuditReport(events, { facilityId: history.otherFacilityId })!;
        expect(other.payments).to.have.length(1);
        expect(JSON.stringify(other.payments[0])).to.include(history.evidence.otherInspection);
        expect(JSON.stringify(other.payments[0])).to.include(history.tx.otherPayment);
      });

      it("has one ledger line per event, in chain order", async function () {
        const order = report.ledger.map((line) => [BigInt(line.block), line.logIndex!] as const);
        for (let i = 1; i < order.length; i++) {
          const [[b0, l0], [b1, l1]] = [order[i - 1], order[i]];
          expect(b0 < b1 || (b0 === b1 && l0 < l1), `line ${i} after line ${i - 1}`).to.equal(true);
        }
        const count = (type: string) => report.ledger.filter((line) => line.type === type).length;
        expect({
          FACILITY_CREATED: count("FACILITY_CREATED"),
          PAYMENT_PLANNED: count("PAYMENT_PLANNED"),
          FUNDED: count("FUNDED"),
          EVIDENCE_ANCHORED: count("EVIDENCE_ANCHORED"),
          EVIDENCE_ATTESTED: count("EVIDENCE_ATTESTED"),
          EVIDENCE_VERIFIED: count("EVIDENCE_VERIFIED"),
          ATTESTATION_REVOKED: count("ATTESTATION_REVOKED"),
          EVIDENCE_UNVERIFIED: count("EVIDENCE_UNVERIFIED"),
          PAYMENT_EXECUTED: count("PAYMENT_EXECUTED"),
          INTEREST_ACCRUED: count("INTEREST_ACCRUED"),
          REVIEW_APPLIED: count("REVIEW_APPLIED"),
          FROZEN: count("FROZEN"),
          UNFROZEN: count("UNFROZEN"),
          REPAID: count("REPAID"),
          SUBSIDY_PAID: count("SUBSIDY_PAID"),
          WITHDRAWN: count("WITHDRAWN"),
        }).to.deep.equal({
          FACILITY_CREATED: 1,
          PAYMENT_PLANNED: 3,
          FUNDED: 1,
          EVIDENCE_ANCHORED: 5,
          EVIDENCE_ATTESTED: 10,
          EVIDENCE_VERIFIED: 4,
          ATTESTATION_REVOKED: 1,
          EVIDENCE_UNVERIFIED: 1,
          PAYMENT_EXECUTED: 2,
          INTEREST_ACCRUED: 3,
          REVIEW_APPLIED: 1,
          FROZEN: 1,
          UNFROZEN: 1,
          REPAID: 1,
          SUBSIDY_PAID: 1,
          WITHDRAWN: 1,
        });
        const payment = report.ledger.find(
          (line) => line.tx === fixture.history.tx.payment0 && line.type === "PAYMENT_EXECUTED",
        )!;
        expect(payment).to.deep.include({ party: fixture.fx.equipmentVendor.address, amountFen: "400000000" });
        expect(payment.details).to.include(`PURCHASE_CONTRACT ${fixture.history.evidence.contract0} (verified)`);
      });

      it("is the same report whatever order the events are given in", async function () {
        const shuffled = [...events].reverse();
        expect(buildAuditReport(shuffled, { facilityId: fixture.history.facilityId })).to.deep.equal(report);
        expect(buildAuditReport(events, { facilityId: fixture.history.facilityId })).to.deep.equal(report);
      });
    });

    describe("when no block headers are given", function () {
      it("dates only the blocks whose time the interest events prove", async function () {
        const { t0 } = fixture.history;
        expect(report.payments.map((p) => p.at.time)).to.deep.equal([iso(t0), iso(t0 + 30n * DAY)]);
        expect(report.reviews[0].at.time).to.equal(iso(t0 + 90n * DAY));
        expect(report.repayments[0].at.time).to.equal(iso(t0 + 180n * DAY));
        // Creation and the freeze close no segment, so the events alone cannot date them.
        expect(report.terms.created.time).to.equal(null);
        expect(report.freezes[0].at.time).to.equal(null);
      });
    });

    describe("when the block headers are read from the chain", function () {
      it("dates every line with its block's timestamp, agreeing with what the events prove", async function () {
        const dated = (await auditReportOf(events, fixture.history.facilityId, createBlockClock(ethers.provider)))!;
        for (const line of dated.ledger) {
          const block = await ethers.provider.getBlock(Number(line.block));
          expect(line.time, `line of block ${line.block}`).to.equal(iso(BigInt(block!.timestamp)));
        }
        for (const [i, line] of report.ledger.entries()) {
          if (line.time !== null) expect(dated.ledger[i].time).to.equal(line.time);
        }
        expect(dated.freezes[0].at.time).to.equal(iso(fixture.history.t0 + 95n * DAY));
        expect(dated.payees[0].history[0].at.time).to.not.equal(null);
      });
    });

    describe("when the events start after the verifier set was formed", function () {
      it("tells verification from the registry's verified and unverified events", async function () {
        const setEvents = new Set(["VerifierAdded", "VerifierRemoved", "ThresholdChanged"]);
        const partial = buildAuditReport(
          events.filter((event) => !setEvents.has(event.name)),
          { facilityId: fixture.history.facilityId },
        )!;
        const [contract, invoice] = partial.payments[0].evidence;
        expect(contract).to.deep.include({ verifiedAtPayment: true, thresholdAtPayment: null, verified: false });
        expect(invoice).to.deep.include({ verifiedAtPayment: true, thresholdAtPayment: null, verified: true });
        const inspection = partial.evidence.find((e) => e.evidenceId === fixture.history.evidence.inspection)!;
        expect(inspection.verified).to.equal(false);
      });
    });

    describe("when a verifier leaves the set after the history", function () {
      it("stops counting its verdicts, as the registry does", async function () {
        const { fx, history } = fixture;
        const last = events[events.length - 1];
        const later = (name: string, logIndex: number, args: Record<string, unknown>): AuditEvent => ({
          id: `0x${"ee".repeat(32)}:${logIndex}`,
          name,
          blockNumber: BigInt(last.blockNumber) + 1n,
          txHash: `0x${"ff".repeat(32)}`,
          args,
        });
        const changed = buildAuditReport(
          [
            ...events,
            later("ThresholdChanged", 0, { previousThreshold: "2", newThreshold: "1" }),
            later("VerifierRemoved", 1, { verifier: fx.regulatorVerifier.address }),
          ],
          { facilityId: history.facilityId },
        )!;
        // The regulator's rejection no longer counts; the bank's acceptance alone meets a threshold of 1.
        const inspection = changed.evidence.find((e) => e.evidenceId === history.evidence.inspection)!;
        expect(inspection.verified).to.equal(true);
        // The revoked contract stays unverified: the bank's revocation counts as its rejection.
        expect(changed.evidence.find((e) => e.evidenceId === history.evidence.contract0)!.verified).to.equal(false);
        // What was true at payment time does not change.
        expect(changed.payments).to.deep.equal(
          report.payments.map((p) => ({
            ...p,
            evidence: p.evidence.map((e) => ({ ...e, verified: e.evidenceId !== history.evidence.contract0 })),
          })),
        );
      });
    });

    describe("when the facility was never created", function () {
      it("returns null", async function () {
        expect(buildAuditReport(events, { facilityId: 999n })).to.equal(null);
        expect(buildAuditReport([], { facilityId: 1n })).to.equal(null);
      });
    });

    it("ignores the contracts' other events (roles, consumption, consumer)", async function () {
      const all = await readEvents(db);
      const others = new Set(
        all.map((e) => e.name).filter((name) => !(AUDIT_EVENT_NAMES as readonly string[]).includes(name)),
      );
      expect([...others]).to.include.members(["RoleGranted", "EvidenceConsumed", "ConsumerChanged"]);
      expect(buildAuditReport(all, { facilityId: fixture.history.facilityId })).to.deep.equal(report);
    });
  });

  describe("toCsv", function () {
    const line = (overrides: Partial<LedgerLine>): LedgerLine => ({
      time: "2026-01-01T00:00:00.000Z",
      block: "7",
      tx: `0x${"ab".repeat(32)}`,
      logIndex: 0,
      type: "PAYMENT_EXECUTED",
      party: "0x0000000000000000000000000000000000000001",
      amountFen: "123456789",
      details: "plain",
      ...overrides,
    });

    it("writes a header and one CRLF-terminated line per ledger line, with the amount in fen and in CNY", async function () {
      const csv = toCsv({ ledger: [line({}), line({ amountFen: null, time: null, details: "no amount" })] });
      const header: Array<(typeof CSV_COLUMNS)[number]> = [
        "time",
        "block",
        "tx",
        "type",
        "party",
        "amount_fen",
        "amount_cny",
        "details",
      ];
      expect(csv).to.equal(
        [
          header.join(","),
          `2026-01-01T00:00:00.000Z,7,0x${"ab".repeat(32)},PAYMENT_EXECUTED,0x0000000000000000000000000000000000000001,123456789,1234567.89,plain`,
          `,7,0x${"ab".repeat(32)},PAYMENT_EXECUTED,0x0000000000000000000000000000000000000001,,,no amount`,
          "",
        ].join("\r\n"),
      );
    });

    it("quotes fields with commas, double quotes and line breaks, doubling the quotes (RFC 4180)", async function () {
      const awkward = ["a, b", 'say "yes"', "two\nlines", "carriage\rreturn", "crlf\r\nend", '"', ",", ""];
      const csv = toCsv({ ledger: awkward.map((details) => line({ details })) });
      expect(csv).to.include("\r\n2026-01-01T00:00:00.000Z,7,");
      expect(csv).to.include(',"a, b"\r\n');
      expect(csv).to.include(',"say ""yes"""\r\n');
      expect(csv).to.include(',"two\nlines"\r\n');
      expect(csv).to.include(',""""\r\n');
      expect(csv).to.include(',","\r\n');
      expect(csv.endsWith(",\r\n")).to.equal(true);
      const rows = parseCsv(csv);
      expect(rows).to.have.length(awkward.length + 1);
      expect(rows.slice(1).map((row) => row[7])).to.deep.equal(awkward);
      for (const row of rows) expect(row).to.have.length(8);
    });

    it("writes the real report's ledger so that it reads back line for line", async function () {
      const rows = parseCsv(toCsv(report));
      expect(rows).to.have.length(report.ledger.length + 1);
      for (const [i, row] of rows.slice(1).entries()) {
        const entry = report.ledger[i];
        expect(row).to.deep.equal([
          entry.time ?? "",
          entry.block,
          entry.tx,
          entry.type,
          entry.party,
          entry.amountFen ?? "",
          entry.amountFen === null ? "" : fenToCny(entry.amountFen),
          entry.details,
        ]);
      }
      const repaid = rows.find((row) => row[3] === "REPAID")!;
      expect(repaid.slice(5, 7)).to.deep.equal(["109887500", "1098875.00"]);
    });

    it("formats fen as CNY with two decimals, exactly", async function () {
      expect(["0", "5", "100", "123456789", "100000000000000000001"].map((fen) => fenToCny(fen))).to.deep.equal([
        "0.00",
        "0.05",
        "1.00",
        "1234567.89",
        "1000000000000000000.01",
      ]);
    });
  });

  describe("GET /facilities/:id/audit", function () {
    let server: Server;
    let base: string;
    const keys: Record<string, string> = {};

    before(async function () {
      const apiKeys = createApiKeys({ db });
      for (const role of ["bank_officer", "regulator", "borrower"] as const) {
        const subject =
          role === "borrower"
            ? { address: "0x000000000000000000000000000000000000b0b0", creditCode: "91330206MA2AAAAA1X" }
            : undefined;
        keys[role] = (await apiKeys.issue({ role, institution: role, label: "audit-test", subject })).key;
      }
      const app = createApp({
        title: "audit test",
        description: "the audit route",
        routes: auditRoutes({ db, chain: { provider: ethers.provider } }),
        apiKeys,
        logger: pino({ level: "silent" }),
        metrics: createMetrics("audit-route-test"),
        limits: { jsonBytes: 65_536, uploadBytes: 65_536, requestsPerMinute: 10_000 },
        ready: async () => ({}),
      });
      server = await new Promise((resolve) => {
        const s = app.listen(0, "127.0.0.1", () => resolve(s));
      });
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(async function () {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    });

    const get = (path: string, key?: string) =>
      fetch(`${base}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

    it("returns the report as JSON, dated from the block headers, to bank officers and regulators", async function () {
      const expected = await auditReportOf(events, fixture.history.facilityId, createBlockClock(ethers.provider));
      for (const role of ["bank_officer", "regulator"]) {
        const response = await get(`/facilities/${fixture.history.facilityId}/audit`, keys[role]);
        expect(response.status, role).to.equal(200);
        expect(response.headers.get("content-type")).to.match(/^application\/json/);
        expect(await response.json()).to.deep.equal(JSON.parse(JSON.stringify(expected)));
      }
    });

    it("returns the report of a facility whose payment one document released (200, not a retryable 500)", async function () {
      const facilityId = fixture.history.otherFacilityId;
      const response = await get(`/facilities/${facilityId}/audit`, keys.bank_officer);
      expect(response.status).to.equal(200);
      const body = (await response.json()) as { payments: unknown[] };
      expect(body.payments).to.have.length(1);
      expect(JSON.stringify(body.payments[0])).to.include(fixture.history.evidence.otherInspection);
      expect((await get(`/facilities/${facilityId}/audit?format=csv`, keys.regulator)).status).to.equal(200);
    });

    it("returns the ledger as a CSV attachment with format=csv", async function () {
      const expected = (await auditReportOf(events, fixture.history.facilityId, createBlockClock(ethers.provider)))!;
      const response = await get(`/facilities/${fixture.history.facilityId}/audit?format=csv`, keys.regulator);
      expect(response.status).to.equal(200);
      expect(response.headers.get("content-type")).to.equal("text/csv; charset=utf-8");
      expect(response.headers.get("content-disposition")).to.equal(
        `attachment; filename="facility-${fixture.history.facilityId}-audit.csv"`,
      );
      expect(await response.text()).to.equal(toCsv(expected));
    });

    it("answers 404 not_found for a facility no FacilityCreated event names", async function () {
      const response = await get("/facilities/999/audit", keys.bank_officer);
      expect(response.status).to.equal(404);
      expect(response.headers.get("content-type")).to.match(/^application\/problem\+json/);
      expect(await response.json()).to.deep.include({ code: "not_found", detail: "facility 999 was not found" });
    });

    it("refuses other roles and anonymous callers, and an unknown format", async function () {
      const path = `/facilities/${fixture.history.facilityId}/audit`;
      expect((await get(path, keys.borrower)).status).to.equal(403);
      expect((await get(path)).status).to.equal(401);
      const bad = await get(`${path}?format=xml`, keys.bank_officer);
      expect(bad.status).to.equal(400);
      expect(((await bad.json()) as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).to.deep.equal([
        "query.format",
      ]);
      expect((await get("/facilities/0/audit", keys.bank_officer)).status).to.equal(400);
    });
  });
});
