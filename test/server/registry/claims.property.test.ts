import { expect } from "chai";
import { Wallet } from "ethers";
import fc from "fast-check";
import path from "node:path";
import { findRecord, figuresAsMetadata, inspectionFigures } from "../../../server/registry/records";
import { seedRegistry } from "../../../server/registry/registry";
import { decideReview } from "../../../server/rules/engine";
import { computeMetrics } from "../../../server/rules/metrics";
import { loadProducts } from "../../../server/rules/products";
import { regulatorRecordCheck } from "../../../server/verification/checks";
import { forEachDatabase } from "../../helpers/databases";

const SEED = path.resolve(__dirname, "..", "..", "..", "seed", "regulator-registry.json");
const YONGXIN = "91330206MA2AAAAA1X";
const FACILITY = 1n;
const borrower = Wallet.createRandom().address;

/** Patent numbers a claim may name: the borrower's, another firm's, and ones the registry has never heard of. */
const PATENTS = ["CN202610123456.7", "CN202610654321.0", "CN202610777001.3", "CN209999999999.9", " CN202610123456.7 "];
/** Inspection records a claim may cite: the borrower's (with and without unit counts), another firm's, unknown. */
const REPORTS = ["R-2026-0917", "NB-SC-2026-0042", "R-2026-1002", "NB-SC-2026-0043", "R-0000-0000"];

/** A claimed document: what an uploader (borrower, supplier, or the bank) says in its metadata. */
const claim = fc.oneof(
  fc.record({ kind: fc.constant("PATENT_FILING" as const), patentNumber: fc.constantFrom(...PATENTS) }),
  fc.record({
    kind: fc.constant("INSPECTION_REPORT" as const),
    reportNumber: fc.constantFrom(...REPORTS),
    figures: fc.oneof(
      fc.constant("the record's" as const),
      fc.record({ passRateBps: fc.integer({ min: 0, max: 10_000 }) }),
      fc
        .tuple(fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 0, max: 20_000 }))
        .map(([tested, passed]) => ({ unitsTested: tested, unitsPassed: Math.min(passed, tested) })),
    ),
  }),
);

type Claim = typeof claim extends fc.Arbitrary<infer T> ? T : never;
type Evidence = {
  id: string;
  kind: Claim["kind"];
  verifiedByBothNodes: boolean;
  anchoredAt: Date;
  metadata: Record<string, unknown>;
};

/**
 * No claim the regulator's own records do not support earns a discount or the subsidy: over random sets of patent
 * filings and inspection reports (another firm's, unknown, with forged figures), the regulator's checks accept only
 * the borrower's own patents and inspection reports stating its records' figures, so the review decided on what it
 * accepted is the review decided on its records alone.
 */
describe("registry claims (property)", function () {
  this.timeout(120_000);
  const product = loadProducts().find("yongzhidai")!;

  forEachDatabase((db) => {
    before(async function () {
      await seedRegistry(db(), SEED);
      await db().prisma.registryRecord.create({
        data: {
          id: "firm-account",
          type: "FIRM_ACCOUNT",
          reference: borrower,
          holder: "Ningbo Yongxin Bearings Co., Ltd.",
          holderCreditCode: YONGXIN,
        },
      });
      await db().prisma.chainEvent.create({
        data: {
          id: "created",
          blockNumber: 1n,
          blockHash: "0x01",
          txHash: "0x02",
          logIndex: 0,
          address: "0x03",
          name: "FacilityCreated",
          args: JSON.stringify({ facilityId: FACILITY.toString(), borrower }),
        },
      });
    });

    it("grants nothing from a claim the regulator's records do not support", async function () {
      const check = regulatorRecordCheck(db());
      /** What the records alone say of a claim: its patent if the borrower holds it, its record's figures if the borrower's. */
      async function supported(c: Claim) {
        if (c.kind === "PATENT_FILING") {
          const patent = await findRecord(db(), "PATENT_FILING", c.patentNumber);
          return patent?.holderCreditCode === YONGXIN ? { patentNumber: patent.reference } : null;
        }
        const record = await findRecord(db(), "INSPECTION_RECORD", c.reportNumber);
        const figures = record && inspectionFigures(record);
        return figures && record!.holderCreditCode === YONGXIN ? figures : null;
      }
      await fc.assert(
        fc.asyncProperty(fc.array(claim, { maxLength: 6 }), async (claims) => {
          const anchoredAt = new Date("2026-05-01T00:00:00Z");
          const claimed: Evidence[] = [];
          const truth: Evidence[] = [];
          for (const [i, c] of claims.entries()) {
            const record = await supported(c);
            const metadata =
              c.kind === "PATENT_FILING"
                ? { patentNumber: c.patentNumber }
                : {
                    labLicence: "CNAS-L12345",
                    reportNumber: c.reportNumber,
                    ...(c.figures === "the record's"
                      ? record
                        ? figuresAsMetadata({}, record as any)
                        : {}
                      : c.figures),
                  };
            const verdict = await check({ kind: c.kind, metadata, facilityId: FACILITY });
            const id = `e${i}`;
            claimed.push({ id, kind: c.kind, verifiedByBothNodes: verdict.ok, anchoredAt, metadata });
            // The same document as the records alone would count it: with the record's figures, if it counts at all.
            const counted: Record<string, unknown> | null =
              record === null
                ? null
                : c.kind === "PATENT_FILING"
                  ? { ...record }
                  : figuresAsMetadata(metadata, record as Exclude<typeof record, { patentNumber: string }>);
            if (verdict.ok) expect(counted, `accepted ${JSON.stringify(metadata)}`).to.not.equal(null);
            truth.push({ id, kind: c.kind, verifiedByBothNodes: verdict.ok, anchoredAt, metadata: counted ?? {} });
          }
          const period = { from: new Date("2026-04-01T00:00:00Z"), to: new Date("2026-07-01T00:00:00Z") };
          const decide = (evidence: Evidence[]) => {
            const metrics = computeMetrics({ period, evidence, payments: [] });
            return decideReview(product, { baseRateBps: 435, metrics: metrics.values });
          };
          const granted = decide(claimed);
          const supportedDecision = decide(truth);
          expect(granted.input.metrics).to.deep.equal(supportedDecision.input.metrics);
          expect([granted.discountBps, granted.subsidyEligible]).to.deep.equal([
            supportedDecision.discountBps,
            supportedDecision.subsidyEligible,
          ]);
        }),
        { numRuns: 60 },
      );
    });
  });
});
