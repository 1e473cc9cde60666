import { expect } from "chai";
import { Wallet, ZeroHash, id } from "ethers";
import { randomUUID } from "node:crypto";
import { bankRecordCheck, regulatorRecordCheck } from "../../server/verification/checks";
import { forEachDatabase } from "../helpers/databases";

const LICENCE_A = "91330200MA2H8K3X1Y";
const LICENCE_C = "91330201MA2J4L7P2Q";

describe("the verifiers' record checks", function () {
  forEachDatabase((db) => {
    const payeeA = Wallet.createRandom().address;
    const payeeC = Wallet.createRandom().address;
    const borrower = Wallet.createRandom().address;

    before(async function () {
      for (const reference of [LICENCE_A, LICENCE_C]) {
        await db().prisma.registryRecord.create({
          data: {
            id: randomUUID(),
            type: "LICENSED_SUPPLIER",
            reference,
            holder: `firm ${reference}`,
            holderCreditCode: reference,
          },
        });
      }
      // The regulator's own binding of chain accounts to firms: A's account is A's, C's is C's.
      for (const [account, holderCreditCode] of [
        [payeeA, LICENCE_A],
        [payeeC, LICENCE_C],
      ]) {
        await db().prisma.registryRecord.create({
          data: { id: randomUUID(), type: "FIRM_ACCOUNT", reference: account, holder: "firm", holderCreditCode },
        });
      }
      await db().prisma.payee.create({
        data: { address: payeeA, name: "A", creditCode: LICENCE_A, category: "EQUIPMENT", licenceHash: ZeroHash },
      });
      await db().prisma.facility.create({
        data: {
          id: randomUUID(),
          facilityId: 1n,
          borrower,
          borrowerName: "B",
          creditCode: "91330206MA2AAAAA1X",
          productId: "yongzhidai",
          productVersion: 1,
          grade: "C",
          creditLimit: 1_000n,
          termMonths: 12,
          baseRateBps: 435,
          qualityFloorBps: 3_000,
          subsidyBps: 300,
          plan: JSON.stringify([{ payee: payeeA, requiredEvidence: ["INVOICE"] }]),
          targets: "[]",
          createdBy: "test",
        },
      });
    });

    const invoice = (evidenceId: string, contentHash: string, invoiceNumber: string, licence = LICENCE_A) => ({
      kind: "INVOICE" as const,
      metadata: { supplierLicence: licence, invoiceNumber },
      facilityId: 1n,
      counterparty: payeeA,
      evidenceId,
      contentHash,
    });

    describe("when the regulator sees a document a second time", function () {
      it("accepts the first evidence, again on a retry, and rejects another with the same bytes or number", async function () {
        const check = regulatorRecordCheck(db());
        const [e1, e2, e3] = [id("e1"), id("e2"), id("e3")];
        expect(await check(invoice(e1, id("bytes 1"), "FP-1"))).to.deep.equal({ ok: true });
        expect(await check(invoice(e1, id("bytes 1"), "FP-1"))).to.deep.equal({ ok: true });
        expect(await check(invoice(e2, id("bytes 1"), "FP-2"))).to.deep.equal({
          ok: false,
          reason: `the same document (sha256 ${id("bytes 1")}) was already presented as evidence ${e1}`,
        });
        expect(await check(invoice(e3, id("bytes 3"), " fp-1"))).to.deep.equal({
          ok: false,
          reason: `INVOICE:${payeeA}:FP-1 was already presented as evidence ${e1}`,
        });
      });
    });

    describe("when a pass decides a batch's documents together (many)", function () {
      it("decides them in order, as one after another: the second with the same bytes or number is rejected", async function () {
        const check = regulatorRecordCheck(db());
        const [m1, m2, m3, m4, m5] = ["m1", "m2", "m3", "m4", "m5"].map((name) => id(name));
        const verdicts = await check.many([
          invoice(m1, id("m bytes 1"), "FP-M1"),
          invoice(m2, id("m bytes 1"), "FP-M2"), // m1's bytes
          invoice(m3, id("m bytes 3"), "fp-m1 "), // m1's number
          { ...invoice(m4, id("m bytes 4"), "FP-M4"), counterparty: payeeC }, // passes "one use", fails the binding
          {
            ...invoice(m5, id("m bytes 5"), "FP-M5", LICENCE_C),
            counterparty: payeeC,
            metadata: { invoiceNumber: "FP-M4", supplierLicence: LICENCE_C },
          },
        ]);
        expect(verdicts).to.deep.equal([
          { ok: true },
          {
            ok: false,
            reason: `the same document (sha256 ${id("m bytes 1")}) was already presented as evidence ${m1}`,
          },
          { ok: false, reason: `INVOICE:${payeeA}:FP-M1 was already presented as evidence ${m1}` },
          {
            ok: false,
            reason: `supplier licence ${LICENCE_A} is held by ${LICENCE_A}, but payee account ${payeeC} is of firm ${LICENCE_C} in the regulator's registry`,
          },
          { ok: false, reason: `INVOICE:${payeeC}:FP-M4 was already presented as evidence ${m4}` },
        ]);
        // What the pass remembered is written once, and a later pass (or a retry of this one) reads it.
        const seen = await db().prisma.evidenceSeen.findMany({ where: { evidenceId: { in: [m1, m2, m3, m4, m5] } } });
        expect(seen.map((row) => row.evidenceId).sort()).to.deep.equal([m1, m4].sort());
        expect(
          await check.many([invoice(m1, id("m bytes 1"), "FP-M1"), invoice(id("m6"), id("m bytes 1"), "FP-M6")]),
        ).to.deep.equal([
          { ok: true },
          {
            ok: false,
            reason: `the same document (sha256 ${id("m bytes 1")}) was already presented as evidence ${m1}`,
          },
        ]);
      });

      it("gives the bank's checks the same answers in one pass as one at a time", async function () {
        const candidates = [
          invoice(id("bm1"), id("bm1"), "FP-BM1"),
          invoice(id("bm2"), id("bm2"), "FP-BM2", LICENCE_C),
          { ...invoice(id("bm3"), id("bm3"), "FP-BM3"), counterparty: payeeC },
          { ...invoice(id("bm4"), id("bm4"), "FP-BM4"), kind: "PURCHASE_CONTRACT" as const },
          { ...invoice(id("bm5"), id("bm5"), "FP-BM5"), facilityId: 99n },
        ];
        const oneByOne = [];
        for (const candidate of candidates) oneByOne.push(await bankRecordCheck(db())(candidate));
        expect(await bankRecordCheck(db()).many(candidates)).to.deep.equal(oneByOne);
        expect(oneByOne.map((check) => check.ok)).to.deep.equal([true, false, false, true, false]);
      });
    });

    describe("when an earlier evidence with the same bytes or number was rejected on chain", function () {
      it("lets another evidence present them, while one still awaiting its verdict keeps them", async function () {
        const rejected = new Set<string>();
        const check = regulatorRecordCheck(db(), { rejected: async (evidenceId) => rejected.has(evidenceId) });
        const [forged, genuine] = [id("forged"), id("genuine")];
        expect(await check(invoice(forged, id("forged bytes"), "FP-9"))).to.deep.equal({ ok: true });
        expect(await check(invoice(genuine, id("genuine bytes"), "FP-9"))).to.deep.equal({
          ok: false,
          reason: `INVOICE:${payeeA}:FP-9 was already presented as evidence ${forged}`,
        });
        rejected.add(forged);
        const again = id("genuine again");
        expect(await check(invoice(again, id("genuine bytes 2"), "FP-9"))).to.deep.equal({ ok: true });
        expect(await check(invoice(id("resent"), id("forged bytes"), "FP-10"))).to.deep.equal({ ok: true });
        expect(await check(invoice(id("third"), id("third bytes"), "FP-9"))).to.deep.equal({
          ok: false,
          reason: `INVOICE:${payeeA}:FP-9 was already presented as evidence ${again}`,
        });
      });
    });

    describe("when the regulator binds a licence to the payee's account", function () {
      it("rejects a payee account its registry does not hold, and one of another firm than the licence's", async function () {
        const check = regulatorRecordCheck(db());
        const unknown = Wallet.createRandom().address;
        expect(await check({ ...invoice(id("u1"), id("u1"), "FP-U1"), counterparty: unknown })).to.deep.equal({
          ok: false,
          reason: `payee account ${unknown} is not in the regulator's registry: it cannot be bound to supplier licence ${LICENCE_A}`,
        });
        expect(await check({ ...invoice(id("u2"), id("u2"), "FP-U2"), counterparty: payeeC })).to.deep.equal({
          ok: false,
          reason: `supplier licence ${LICENCE_A} is held by ${LICENCE_A}, but payee account ${payeeC} is of firm ${LICENCE_C} in the regulator's registry`,
        });
        expect(await check({ ...invoice(id("u3"), id("u3"), "FP-U3", LICENCE_C), counterparty: payeeC })).to.deep.equal(
          { ok: true },
        );
      });
    });

    describe("when the bank checks a document against its own records", function () {
      it("rejects an invoice naming payee A that cites C's licence", async function () {
        expect(await bankRecordCheck(db())(invoice(id("b1"), id("b1"), "FP-B1", LICENCE_C))).to.deep.equal({
          ok: false,
          reason: `supplier licence ${LICENCE_C} is not the licence of payee ${payeeA} (credit code ${LICENCE_A})`,
        });
      });

      it("rejects a payee-kind document naming a party outside the plan, and a borrower kind naming anyone else", async function () {
        const stranger = Wallet.createRandom().address;
        const check = bankRecordCheck(db());
        expect(await check({ ...invoice(id("b2"), id("b2"), "FP-B2"), counterparty: stranger })).to.deep.equal({
          ok: false,
          reason: `${stranger} is not a payee of facility 1's plan`,
        });
        expect(
          await check({
            kind: "PATENT_FILING",
            metadata: {},
            facilityId: 1n,
            counterparty: payeeA,
            evidenceId: id("b3"),
          }),
        ).to.deep.equal({ ok: false, reason: `a PATENT_FILING names the borrower ${borrower}, not ${payeeA}` });
      });

      it("accepts an invoice naming A with A's licence", async function () {
        expect(await bankRecordCheck(db())(invoice(id("b4"), id("b4"), "FP-B4"))).to.deep.equal({ ok: true });
      });
    });
  });
});
