import { expect } from "chai";
import { Prisma } from "../../../server/db/client";
import { insertRows } from "../../../server/db/rows";
import { forEachDatabase } from "../../helpers/databases";

const INT64_MAX = 2n ** 63n - 1n;

/** A document row as the bulk upload writes it: every column given, the date as a bound Date. */
function row(id: string, createdAt: Date, facilityId = 1n) {
  return Prisma.sql`(${id}, ${facilityId}, ${"INVOICE"}, ${"application/pdf"}, ${12}, ${`${id}.pdf`}, ${"{}"},
    ${`c-${id}`}, ${`s-${id}`}, ${`h-${id}`}, ${`e-${id}`}, ${"bank/test"}, ${createdAt}, ${"QUEUED"})`;
}

const insertDocuments = (values: Prisma.Sql) => Prisma.sql`
  INSERT INTO "Document" ("id", "facilityId", "kind", "mimeType", "size", "originalName", "metadata", "contentHash",
    "salt", "saltedHash", "evidenceId", "uploadedBy", "createdAt", "status")
  VALUES ${values}`;

describe("insertRows (multi-row INSERTs)", function () {
  forEachDatabase((db) => {
    beforeEach(async function () {
      await db().prisma.document.deleteMany();
    });

    it("stores dates and 64-bit ids exactly as Prisma writes and reads them, in chunks of 500", async function () {
      const at = new Date("2026-11-26T10:00:00.123Z");
      await db().prisma.document.create({
        data: {
          id: "by-prisma",
          facilityId: 1n,
          kind: "INVOICE",
          mimeType: "application/pdf",
          size: 1,
          originalName: "p.pdf",
          contentHash: "c",
          salt: "s",
          saltedHash: "h",
          evidenceId: "e",
          uploadedBy: "bank/test",
          createdAt: new Date(at.getTime() + 1),
        },
      });
      const rows = Array.from({ length: 1_201 }, (_, i) => row(`raw-${String(i).padStart(4, "0")}`, at));
      rows.push(row("largest", new Date(at.getTime() + 2), INT64_MAX));
      await db().prisma.$transaction((tx) => insertRows(tx, rows, insertDocuments));

      expect(await db().prisma.document.count()).to.equal(1_203);
      // Compared and ordered by the database: a raw row's date sorts with Prisma's own, to the millisecond.
      const ordered = await db().prisma.document.findMany({
        where: { createdAt: { gt: at } },
        orderBy: { createdAt: "asc" },
        select: { id: true, createdAt: true, facilityId: true },
      });
      expect(ordered.map((d) => d.id)).to.deep.equal(["by-prisma", "largest"]);
      expect(ordered[1].createdAt.toISOString()).to.equal("2026-11-26T10:00:00.125Z");
      expect(ordered[1].facilityId).to.equal(INT64_MAX);
      const first = await db().prisma.document.findUniqueOrThrow({ where: { id: "raw-0000" } });
      expect(first).to.include({ status: "QUEUED", proof: null, anchoredAt: null, batchId: null, metadata: "{}" });
      expect(first.createdAt.toISOString()).to.equal(at.toISOString());
    });

    it("writes nothing when a later chunk holds a duplicate key and the transaction rolls back", async function () {
      const at = new Date();
      const rows = Array.from({ length: 600 }, (_, i) => row(`r-${i}`, at));
      rows.push(row("r-3", at));
      const failed = await db()
        .prisma.$transaction((tx) => insertRows(tx, rows, insertDocuments))
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failed, "the duplicate is refused").to.be.instanceOf(Error);
      expect(await db().prisma.document.count()).to.equal(0);
    });
  });
});
