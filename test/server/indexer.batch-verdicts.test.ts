import { expect } from "chai";
import { ZeroHash, getAddress } from "ethers";
import { EvidenceReplay } from "../../server/audit/evidence";
import type { Positioned } from "../../server/audit/decode";
import { readEvents } from "../../server/indexer/indexer";
import { forEachDatabase, type TestDatabase } from "../helpers/databases";

const word = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;
const ROOT = word(0xabc);
const BANK = getAddress(`0x${"b1".repeat(20)}`);
const REGULATOR = getAddress(`0x${"a2".repeat(20)}`);

describe("batch verdicts as per-document verdicts (server/indexer readEvents, server/audit EvidenceReplay)", function () {
  forEachDatabase((database) => {
    let db: TestDatabase;
    before(async function () {
      db = database();
      await db.prisma.chainEvent.deleteMany();
      await db.prisma.verification.deleteMany();
      // This node's verifier proved leaves 2 and 5 of the batch; leaf 9 only the chain's registration names.
      for (const index of [2, 5]) {
        await db.prisma.verification.create({
          data: {
            evidenceId: word(0xe0 + index),
            facilityId: 1n,
            kind: "INVOICE",
            verdict: "ACCEPT",
            reason: "",
            batchRoot: ROOT,
            leafIndex: index,
          },
        });
      }
      const event = (logIndex: number, name: string, args: object) => ({
        id: `${word(7)}:${logIndex}`,
        blockNumber: 7n,
        blockHash: word(7),
        txHash: word(0x77),
        logIndex,
        address: BANK,
        name,
        args: JSON.stringify(args),
      });
      await db.prisma.chainEvent.createMany({
        data: [
          event(0, "BatchAttested", {
            root: ROOT,
            verifier: BANK,
            nonce: "3",
            acceptedCount: "2",
            rejectedCount: "1",
            accepted: [String((1n << 5n) | (1n << 9n))],
            rejected: [String(1n << 2n)],
          }),
          event(2, "EvidenceAnchored", {
            evidenceId: word(0xe9),
            facilityId: "1",
            kind: "1",
            counterparty: BANK,
            saltedHash: word(0xe9),
            batchRoot: ROOT,
            leafIndex: 9,
          }),
          event(1, "EvidenceAttested", {
            evidenceId: word(0xf0),
            verifier: BANK,
            verdict: "1",
            reasonHash: ZeroHash,
            nonce: "4",
          }),
        ],
      });
    });

    it("gives each decided leaf this node knows as an EvidenceAttested in the batch event's place", async function () {
      const events = await readEvents(db, { names: ["EvidenceAttested"] });
      // Leaf 9 is known from the chain alone: its registration (the index the indexer decoded from the call).
      expect(events.map((e) => [e.name, e.args.evidenceId, e.args.verdict, e.args.leafIndex ?? null])).to.deep.equal([
        ["EvidenceAttested", word(0xe2), "2", 2],
        ["EvidenceAttested", word(0xe5), "1", 5],
        ["EvidenceAttested", word(0xe9), "1", 9],
        ["EvidenceAttested", word(0xf0), "1", null],
      ]);
      expect(events[0].args).to.include({ verifier: BANK, batchRoot: ROOT, reasonHash: ZeroHash, nonce: "3" });
    });

    it("keeps the batch event itself only when asked for it, and expands nothing when verdicts are not asked for", async function () {
      const both = await readEvents(db, { names: ["BatchAttested", "EvidenceAttested"] });
      expect(both.map((e) => e.name)).to.deep.equal([
        "BatchAttested",
        "EvidenceAttested",
        "EvidenceAttested",
        "EvidenceAttested",
        "EvidenceAttested",
      ]);
      expect((await readEvents(db, { names: ["BatchAttested"] })).map((e) => e.name)).to.deep.equal(["BatchAttested"]);
    });
  });

  describe("the audit replay", function () {
    const at = (block: number) => ({ block: String(block), tx: word(block), logIndex: 0, time: null });
    const positioned = (block: number, name: string, args: Record<string, unknown>): Positioned => ({
      id: `${word(block)}:0`,
      name,
      blockNumber: BigInt(block),
      txHash: word(block),
      args,
      block: BigInt(block),
      position: 0,
    });

    it("counts both batch verdicts once the leaf is registered, and a batch REJECT blocks it", function () {
      const lines: string[] = [];
      const replay = new EvidenceReplay("1", (_e, type, _p, _a, details) => lines.push(`${type} ${details}`));
      const events = [
        positioned(1, "VerifierAdded", { verifier: BANK, slot: "0" }),
        positioned(1, "VerifierAdded", { verifier: REGULATOR, slot: "1" }),
        positioned(1, "ThresholdChanged", { previousThreshold: "0", newThreshold: "2" }),
        positioned(2, "BatchAnchored", { root: ROOT, size: "10" }),
        ...[BANK, REGULATOR].flatMap((verifier, i) => [
          positioned(3 + i, "EvidenceAttested", {
            evidenceId: word(0xe2),
            verifier,
            verdict: "1",
            reasonHash: ZeroHash,
            nonce: "1",
            batchRoot: ROOT,
            leafIndex: 2,
          }),
          positioned(3 + i, "EvidenceAttested", {
            evidenceId: word(0xe5),
            verifier,
            verdict: i === 0 ? "1" : "2",
            reasonHash: ZeroHash,
            nonce: "1",
            batchRoot: ROOT,
            leafIndex: 5,
          }),
        ]),
        ...[0xe2, 0xe5].map((id) =>
          positioned(6, "EvidenceAnchored", {
            evidenceId: word(id),
            facilityId: "1",
            kind: "1",
            counterparty: BANK,
            saltedHash: word(id + 1),
            batchRoot: ROOT,
          }),
        ),
      ];
      for (const [i, event] of events.entries()) replay.apply(event, at(i));
      const records = replay.records();
      expect(records.map((r) => [r.evidenceId, r.verified, r.verdicts.length])).to.deep.equal([
        [word(0xe2), true, 2],
        [word(0xe5), false, 2],
      ]);
      expect(lines.filter((l) => l.startsWith("EVIDENCE_ATTESTED"))).to.include(
        `EVIDENCE_ATTESTED REJECT evidence ${word(0xe5)}; by batch ${ROOT} leaf 5`,
      );
    });
  });
});
