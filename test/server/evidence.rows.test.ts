import { expect } from "chai";
import { Wallet, hexlify, id as keccakText, randomBytes } from "ethers";
import { randomUUID } from "node:crypto";
import path from "node:path";
import pino from "pino";
import { z } from "zod";
import { EvidenceView } from "../../domain/api/facilities";
import { DEV_ACCOUNTS, devWallet } from "../../scripts/lib/deploy-config";
import { batchTreeOf } from "../../server/chain/batch-tree";
import type { Chain } from "../../server/chain/chain";
import { evidenceIdOf, saltedHashOf, type EvidenceKind } from "../../server/chain/evidence";
import { Category } from "../helpers/constants";
import { forEachDatabase } from "../helpers/databases";
import { startDeployedChain, type DeployedChain } from "../helpers/liveNodes";
import { createInvoiceFacility } from "../helpers/invoiceFacility";
import { serveBankNode, type ServedBankNode } from "../helpers/nodeParts";
import { client } from "../helpers/processes";

/** A leaf of the test batch: the document row the bank node keeps for it. */
interface Leaf {
  id: string;
  facilityId: bigint;
  kind: EvidenceKind;
  counterparty: string;
  salt: string;
  contentHash: string;
  saltedHash: string;
  evidenceId: string;
}

/**
 * Batched evidence whose document row a bank insider edited, through the bank node's API on a `hardhat node`: the
 * facility's evidence list shows each batched leaf's batch (GET /facilities/:id/evidence, as EvidenceView declares it),
 * and a payment refused for an edited row says which field no longer gives the evidence id the batch proves — the
 * kind, the facility, the counterparty, the salted hash or the salt — with the value the chain proves where it can.
 */
describe("batched evidence whose row was edited, through the bank node's API", function () {
  this.timeout(120_000);
  const logger = pino({ level: "silent" });
  let started: DeployedChain | undefined;
  let chain: Chain;
  const [payee, otherPayee] = [Wallet.createRandom().address, Wallet.createRandom().address];
  /** pays: payment 0 to `payee` against an INVOICE, payment 1 to `otherPayee`; other: a facility of its own. */
  const facility = { pays: 0n, other: 0n };

  before(async function () {
    started = await startDeployedChain("evidence-rows");
    chain = started.chain;
    const bank = await chain.provider.getSigner(DEV_ACCOUNTS.bank);
    for (const address of [payee, otherPayee])
      await (await chain.payees.connect(bank).registerPayee(address, Category.EQUIPMENT, keccakText("licence"))).wait();
    facility.pays = await createInvoiceFacility(chain, [payee, otherPayee]);
    facility.other = await createInvoiceFacility(chain, [payee, otherPayee]);
  });

  after(async function () {
    await started?.stop();
  });

  forEachDatabase((db) => {
    let node: ServedBankNode | undefined;
    let officer: ReturnType<typeof client>;
    let root: string;
    let anchoredAt: bigint;
    const leaf = (facilityId: bigint, kind: EvidenceKind, counterparty: string): Leaf => {
      const [salt, contentHash] = [hexlify(randomBytes(32)), hexlify(randomBytes(32))];
      const saltedHash = saltedHashOf(salt, contentHash);
      const evidenceId = evidenceIdOf(facilityId, kind, counterparty, saltedHash);
      return { id: randomUUID(), facilityId, kind, counterparty, salt, contentHash, saltedHash, evidenceId };
    };
    /** One leaf per edit below, each as it was uploaded and batched (made once the facilities exist). */
    let leaves: Record<"note" | "otherPayees" | "otherFacility" | "resalted" | "rehashed", Leaf>;

    before(async function () {
      leaves = {
        note: leaf(facility.pays, "DELIVERY_NOTE", payee),
        otherPayees: leaf(facility.pays, "INVOICE", otherPayee),
        otherFacility: leaf(facility.other, "INVOICE", payee),
        resalted: leaf(facility.pays, "INVOICE", payee),
        rehashed: leaf(facility.pays, "INVOICE", payee),
      };
      const all = Object.values(leaves);
      const tree = batchTreeOf(all.map((l) => l.evidenceId));
      root = tree.root;
      const bank = await chain.provider.getSigner(DEV_ACCOUNTS.bank);
      const anchored = await (await chain.evidence.connect(bank).anchorBatch(root, all.length)).wait();
      anchoredAt = BigInt((await chain.provider.getBlock(anchored!.blockNumber))!.timestamp);
      const { prisma } = db();
      // The bank node's record of both facilities (what the node wrote when it created them on chain).
      for (const facilityId of [facility.pays, facility.other]) {
        await prisma.facility.create({
          data: {
            id: randomUUID(),
            facilityId,
            borrower: devWallet("borrower").address,
            borrowerName: "Ningbo Yongxin Bearings",
            creditCode: `91330206MA2AAAAA${facilityId}X`,
            productId: "equipment",
            productVersion: 1,
            grade: "B",
            creditLimit: 200_000n,
            termMonths: 12,
            baseRateBps: 435,
            qualityFloorBps: 3_000,
            subsidyBps: 300,
            plan: "[]",
            targets: "[]",
            status: "ACTIVE",
            createdBy: "test",
          },
        });
      }
      const batchId = randomUUID();
      await prisma.batch.create({
        data: {
          id: batchId,
          root,
          size: all.length,
          status: "CONFIRMED",
          txHash: anchored!.hash,
          blockNumber: BigInt(anchored!.blockNumber),
        },
      });
      for (const [index, l] of all.entries()) {
        await prisma.document.create({
          data: {
            ...l,
            mimeType: "application/pdf",
            size: 10,
            originalName: `${l.kind.toLowerCase()}.pdf`,
            uploadedBy: "test",
            status: "ANCHORED",
            batchId,
            leafIndex: index,
            proof: JSON.stringify(tree.proof(index)),
          },
        });
        // The bank node's own verifier checked each document as it was uploaded (its record of what it verified).
        await prisma.verification.create({
          data: {
            evidenceId: l.evidenceId,
            facilityId: l.facilityId,
            kind: l.kind,
            verdict: "ACCEPT",
            reason: "",
            contentHash: l.contentHash,
          },
        });
      }

      node = await serveBankNode({ db: db(), chain, logger, documentsDir: path.join(started!.dir, randomUUID()) });
      officer = client(node.url, node.officerKey);
    });

    after(async function () {
      await node?.close();
    });

    /** Sets `fields` of leaf `l`'s row, asks for payment 0 of `facility.pays`, and puts the row back; the refusal. */
    async function refusalWith(l: Leaf, fields: Partial<Leaf>): Promise<string> {
      await db().prisma.document.update({ where: { id: l.id }, data: fields });
      try {
        const reply = await officer.post(`/facilities/${facility.pays}/payments/0`, {});
        expect(reply.status, JSON.stringify(reply.body)).to.equal(409);
        return reply.body.detail as string;
      } finally {
        const { id, ...row } = l;
        await db().prisma.document.update({ where: { id }, data: row });
      }
    }

    it("lists a batched leaf with its batch: root, position, proof and the batch's time on chain", async function () {
      const reply = await officer.get(`/facilities/${facility.pays}/evidence`);
      expect(reply.status, JSON.stringify(reply.body)).to.equal(200);
      const listed = reply.body.items.find((e: { documentId: string }) => e.documentId === leaves.resalted.id);
      // Every field the handler returns is one the schema declares (a strict copy refuses any other).
      const item = z.strictObject(EvidenceView.shape).parse(listed);
      expect(item.registered).to.equal(false);
      expect(item.mismatch).to.equal(undefined);
      expect(item.batch).to.deep.equal({
        root,
        index: 3,
        proof: batchTreeOf(Object.values(leaves).map((l) => l.evidenceId)).proof(3),
        anchoredAt: anchoredAt.toString(),
      });
    });

    it("says the kind, and the kind the batch proves, of a row relabelled as the kind the payment needs", async function () {
      const { note } = leaves;
      expect(await refusalWith(note, { kind: "INVOICE" })).to.include(
        `document ${note.id}: its row's kind INVOICE is not the one its evidence id commits to (DELIVERY_NOTE)`,
      );
    });

    it("says the counterparty, and the facility's party the batch proves, of a row naming the payment's payee", async function () {
      const { otherPayees } = leaves;
      expect(await refusalWith(otherPayees, { counterparty: payee })).to.include(
        `document ${otherPayees.id}: its row's counterparty ${payee} is not the one its evidence id commits to (${otherPayee})`,
      );
    });

    it("says the facility, and the facility the batch proves, of a row moved to the paying facility", async function () {
      const { otherFacility } = leaves;
      expect(await refusalWith(otherFacility, { facilityId: facility.pays })).to.include(
        `document ${otherFacility.id}: its row's facility ${facility.pays} is not the one its evidence id commits to (${facility.other})`,
      );
    });

    it("says the salted hash of a row whose salted hash no longer is its salt's", async function () {
      const { rehashed } = leaves;
      const forged = hexlify(randomBytes(32));
      expect(await refusalWith(rehashed, { saltedHash: forged })).to.include(
        `document ${rehashed.id}: its row's salted hash ${forged} is not the one its evidence id commits to (${rehashed.saltedHash}, of its salt)`,
      );
    });

    it("says the salt was changed of a row given a new salt and the salted hash of it", async function () {
      const { resalted } = leaves;
      const salt = hexlify(randomBytes(32));
      const saltedHash = saltedHashOf(salt, resalted.contentHash);
      expect(await refusalWith(resalted, { salt, saltedHash })).to.include(
        `document ${resalted.id}: its row's salted hash ${saltedHash} is not the one its evidence id commits to: its salt was changed`,
      );
    });

    it("blames no field of the rows as they were batched", async function () {
      const reply = await officer.get(`/facilities/${facility.pays}/evidence`);
      expect(reply.body.items.map((e: { mismatch?: string }) => e.mismatch ?? null)).to.deep.equal([
        null,
        null,
        null,
        null,
      ]);
    });
  });
});
