import { expect } from "chai";
import {
  Wallet,
  getAddress,
  hexlify,
  id as keccakText,
  keccak256,
  randomBytes,
  toUtf8Bytes,
  verifyTypedData,
} from "ethers";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import http, { type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { deploy } from "../../scripts/deploy";
import { startChainNode, type ChainNode } from "../../scripts/lib/chain-node";
import { freePort } from "../../scripts/bench/lib/system";
import { DEV_ACCOUNTS, devWallet, parseDeployConfig } from "../../scripts/lib/deploy-config";
import { createChain, chainNow, type Chain } from "../../server/chain/chain";
import { evidenceIdOf } from "../../server/chain/evidence";
import { UNFREEZE_TYPES, managerDomain } from "../../server/chain/typed-data";
import type { Principal } from "../../server/auth/roles";
import { AppError } from "../../server/errors";
import type { RouteDef } from "../../server/http/route";
import { Category, Kind } from "../helpers/constants";
import { createInvoiceFacility } from "../helpers/invoiceFacility";
import { createNodeParts, type NodeParts } from "../helpers/nodeParts";
import { signAttestation } from "../helpers/signatures";

/** The regulator's inspector, as its API key authenticates it. */
const INSPECTOR: Principal = {
  keyId: "test",
  role: "regulator",
  institution: "regulator",
  label: "inspector",
  subject: { kind: "institution", name: "regulator" },
};

/** A joint decision as the bank node serves it at GET /approvals/:id. */
interface ServedApproval {
  id: string;
  kind: "REVIEW" | "UNFREEZE";
  facilityId: string;
  status: string;
  message: Record<string, unknown>;
  review: { inputs: unknown; decision: Record<string, unknown> } | null;
}

/**
 * A stand-in for the bank node, for the regulator's co-signing: it serves the approvals the test gives it and records
 * the signatures the regulator posts back (answering as the bank does once a decision is applied).
 */
async function startStubBank() {
  const approvals = new Map<string, ServedApproval>();
  const signatures: Array<{ approvalId: string; signature: string }> = [];
  const server: Server = http.createServer((req, res) => {
    const [, , approvalId, action] = (req.url ?? "").split("/");
    const answer = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.method === "GET") {
      const approval = approvals.get(approvalId);
      return approval ? answer(200, approval) : answer(404, { code: "not_found" });
    }
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (action !== "signatures") return answer(404, { code: "route_not_found" });
      signatures.push({ approvalId, signature: (JSON.parse(body) as { signature: string }).signature });
      answer(200, { ...approvals.get(approvalId), status: "APPLIED" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    approvals,
    signatures,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * What the nodes act on, in process on a `hardhat node` (this file's port range is 19140–19149) with the contracts
 * deployed by scripts/deploy.ts. Regressions of test/reliability/security.test.ts: the regulator co-signed whatever
 * message a joint decision carried after checking the facility the approval named (so a bank, or anyone who could
 * write to its database, got a facility unfrozen that had not been re-inspected); the bank's payment pre-flight
 * offered evidence its database attributed to the facility and kind the payment needed, whatever the chain recorded.
 */
describe("what the nodes act on", function () {
  this.timeout(120_000);
  const logger = pino({ level: "silent" });
  let dir: string;
  let chainNode: ChainNode;
  const chains: Chain[] = [];
  let bankChain: Chain;
  let regulatorChain: Chain;
  /** re-inspected: frozen, then re-inspected; frozen: frozen only; active: never frozen. */
  const facility = { reinspected: 0n, frozen: 0n, active: 0n, unrecorded: 0n };
  /** The registered supplier every facility pays (payment 0, against an invoice naming it). */
  const supplier = Wallet.createRandom().address;

  /** The chain node's own (unlocked) account of a dev role: the node numbers its transactions. */
  const account = (index: number) => bankChain.provider.getSigner(index);

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-trust-"));
    chainNode = await startChainNode({ kind: "hardhat", port: await freePort() });
    const deployment = await deploy(
      parseDeployConfig({ RPC_URL: chainNode.url, DEPLOYMENTS_FILE: path.join(dir, "deployment.json") }),
      () => undefined,
    );
    bankChain = createChain({ deployment, signerKey: devWallet("bank").privateKey });
    regulatorChain = createChain({ deployment, signerKey: devWallet("regulator").privateKey });
    chains.push(bankChain, regulatorChain);
    const payees = bankChain.payees.connect(await account(DEV_ACCOUNTS.bank));
    await (await payees.registerPayee(supplier, Category.EQUIPMENT, keccakText("licence"))).wait();
    facility.reinspected = await createInvoiceFacility(bankChain, [supplier]);
    facility.frozen = await createInvoiceFacility(bankChain, [supplier]);
    facility.active = await createInvoiceFacility(bankChain, [supplier]);
    facility.unrecorded = await createInvoiceFacility(bankChain, [supplier]);
    const manager = bankChain.manager.connect(await account(DEV_ACCOUNTS.regulator));
    for (const id of [facility.reinspected, facility.frozen, facility.unrecorded])
      await (await manager.freeze(id, keccakText("failed spot check"))).wait();
  });

  after(async function () {
    for (const chain of chains) chain.close();
    await chainNode?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("when the regulator is asked to co-sign", function () {
    let parts: NodeParts;
    let bank: Awaited<ReturnType<typeof startStubBank>>;
    let cosign: RouteDef<any, any, any, any>;

    before(async function () {
      bank = await startStubBank();
      parts = await createNodeParts({
        role: "regulator",
        dir: path.join(dir, "regulator"),
        chain: regulatorChain,
        logger,
        waitMs: 200,
        bankNode: { url: bank.url, apiKey: "stub" },
      });
      cosign = parts.routes.find((route) => route.operationId === "cosignAtBank")!;
      // A failed spot check of each frozen facility; a passing re-inspection of one.
      const check = (facilityId: bigint, result: string, minutes: number) =>
        parts.db.prisma.spotCheck.create({
          data: {
            id: randomUUID(),
            facilityId,
            result,
            reportNumber: `NB-SC-${result}-${facilityId}`,
            findings: "",
            reportHash: keccakText(result),
            inspector: "test",
            createdAt: new Date(Date.now() - 60_000 * minutes),
          },
        });
      // The regulator's records of the borrower's account and of the passing re-inspection the unfreeze rests on.
      await parts.db.prisma.registryRecord.createMany({
        data: [
          {
            id: randomUUID(),
            type: "FIRM_ACCOUNT",
            reference: devWallet("borrower").address,
            holder: "Ningbo Yongxin Bearings Co., Ltd.",
            holderCreditCode: "91330206MA2AAAAA1X",
          },
          {
            id: randomUUID(),
            type: "INSPECTION_RECORD",
            reference: `NB-SC-PASS-${facility.reinspected}`,
            holder: "Ningbo Yongxin Bearings Co., Ltd.",
            holderCreditCode: "91330206MA2AAAAA1X",
            outcome: "PASS",
            passRateBps: 9_900,
          },
        ],
      });
      await check(facility.reinspected, "FAIL", 10);
      await check(facility.frozen, "FAIL", 10);
      await check(facility.reinspected, "PASS", 5);
      // A passing spot check whose report number the registry does not hold.
      await check(facility.unrecorded, "FAIL", 10);
      await check(facility.unrecorded, "PASS", 5);
    });

    after(async function () {
      await bank?.close();
      await parts?.db.close();
    });

    /** Serves the approval at the stub bank and asks the regulator's route to co-sign it. */
    async function ask(approval: Omit<ServedApproval, "id" | "status">) {
      const id = randomUUID();
      bank.approvals.set(id, { ...approval, id, status: "AWAITING_REGULATOR" });
      const before = bank.signatures.length;
      const answer = await cosign
        .handler({ params: { approvalId: id }, query: {}, body: {}, principal: INSPECTOR } as any)
        .then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        );
      return { ...answer, signed: bank.signatures.slice(before) };
    }

    function expectRefusal(answer: Awaited<ReturnType<typeof ask>>, detail: string) {
      expect(answer.signed, "signatures posted to the bank").to.deep.equal([]);
      expect(answer).to.have.property("error").that.is.instanceOf(AppError);
      const error = (answer as { error: AppError }).error;
      expect([error.status, error.code]).to.deep.equal([409, "regulator_refused"]);
      expect(error.message).to.equal(`the regulator does not co-sign: ${detail}`);
    }

    const unfreezeOf = async (facilityId: bigint, deadlineIn = 3_600) => ({
      facilityId: facilityId.toString(),
      freezeCount: 1,
      reasonHash: keccakText("corrective action"),
      deadline: (await chainNow(regulatorChain)) + deadlineIn,
    });

    it("signs the unfreeze of the facility it checked", async function () {
      const message = await unfreezeOf(facility.reinspected);
      const answer = await ask({
        kind: "UNFREEZE",
        facilityId: facility.reinspected.toString(),
        message,
        review: null,
      });
      expect(answer).to.not.have.property("error");
      expect(answer.signed).to.have.length(1);
      const signer = verifyTypedData(
        await managerDomain(regulatorChain),
        UNFREEZE_TYPES,
        message,
        answer.signed[0].signature,
      );
      expect(signer).to.equal(devWallet("regulator").address);
    });

    it("refuses an unfreeze whose message names another facility than the one its approval names", async function () {
      const message = await unfreezeOf(facility.frozen);
      const answer = await ask({
        kind: "UNFREEZE",
        facilityId: facility.reinspected.toString(),
        message,
        review: null,
      });
      expectRefusal(
        answer,
        `the decision's message is for facility ${facility.frozen}, the approval for facility ${facility.reinspected}`,
      );
    });

    it("refuses the unfreeze of a facility that was not re-inspected, whatever the approval names", async function () {
      const message = await unfreezeOf(facility.frozen);
      const answer = await ask({ kind: "UNFREEZE", facilityId: facility.frozen.toString(), message, review: null });
      expectRefusal(
        answer,
        `no passing re-inspection of facility ${facility.frozen} has been recorded since the failed spot check NB-SC-FAIL-${facility.frozen}`,
      );
    });

    it("refuses an unfreeze whose passing re-inspection is not a record of the borrower in its registry", async function () {
      const message = await unfreezeOf(facility.unrecorded);
      const answer = await ask({
        kind: "UNFREEZE",
        facilityId: facility.unrecorded.toString(),
        message,
        review: null,
      });
      expectRefusal(
        answer,
        `the re-inspection NB-SC-PASS-${facility.unrecorded} is not a passing inspection record of the borrower 91330206MA2AAAAA1X in the regulator's registry`,
      );
      const own = await parts.db.prisma.approval.findMany({ where: { facilityId: facility.unrecorded } });
      expect(own.map((a) => [a.status, a.reason])).to.deep.equal([
        [
          "REFUSED",
          `the re-inspection NB-SC-PASS-${facility.unrecorded} is not a passing inspection record of the borrower 91330206MA2AAAAA1X in the regulator's registry`,
        ],
      ]);
    });

    it("refuses a decision that has expired by the chain's clock", async function () {
      const message = await unfreezeOf(facility.reinspected, -1);
      const answer = await ask({
        kind: "UNFREEZE",
        facilityId: facility.reinspected.toString(),
        message,
        review: null,
      });
      expectRefusal(answer, `the decision expired at ${new Date(message.deadline * 1000).toISOString()} (chain time)`);
    });

    describe("for a review", function () {
      const decision = { facilityId: "", period: { from: "2026-01-01T00:00:00.000Z", to: "2026-04-01T00:00:00.000Z" } };
      const reviewOf = async (facilityId: bigint, overrides: Record<string, unknown> = {}) => {
        const report = { ...decision, facilityId: facilityId.toString() };
        return {
          report,
          message: {
            facilityId: facilityId.toString(),
            nonce: 0,
            newRateBps: 385,
            subsidyEligible: true,
            reportHash: keccak256(toUtf8Bytes(JSON.stringify(report))),
            deadline: (await chainNow(regulatorChain)) + 3_600,
            ...overrides,
          },
        };
      };
      const askReview = (
        approvalFacility: bigint,
        review: Awaited<ReturnType<typeof reviewOf>>,
        reportFacility?: bigint,
      ) =>
        ask({
          kind: "REVIEW",
          facilityId: approvalFacility.toString(),
          message: review.message,
          review: {
            inputs: {},
            decision: reportFacility ? { ...review.report, facilityId: reportFacility.toString() } : review.report,
          },
        });

      it("refuses one whose message names another facility than its approval", async function () {
        expectRefusal(
          await askReview(facility.active, await reviewOf(facility.reinspected)),
          `the decision's message is for facility ${facility.reinspected}, the approval for facility ${facility.active}`,
        );
      });

      it("refuses one whose report is of another facility", async function () {
        expectRefusal(
          await askReview(facility.active, await reviewOf(facility.active), facility.reinspected),
          `the review report is of facility ${facility.reinspected}, the decision of facility ${facility.active}`,
        );
      });

      it("refuses one whose report hash is not the hash of the report it came with", async function () {
        const forged = hexlify(randomBytes(32));
        const review = await reviewOf(facility.active, { reportHash: forged });
        const actual = keccak256(toUtf8Bytes(JSON.stringify(review.report)));
        expectRefusal(
          await askReview(facility.active, review),
          `the decision's report hash ${forged} is not the hash of the review report (${actual})`,
        );
      });

      it("refuses one at another nonce than the facility's next review", async function () {
        expectRefusal(
          await askReview(facility.active, await reviewOf(facility.active, { nonce: 3 })),
          `the decision is review 3 of facility ${facility.active}; its next review is 0`,
        );
      });
    });
  });

  describe("when the bank checks what a payment still needs", function () {
    let parts: NodeParts;
    /** An invoice of the active facility, anchored and accepted by both verifiers on chain. */
    let invoice: { evidenceId: string; saltedHash: string };

    before(async function () {
      parts = await createNodeParts({
        role: "bank",
        dir: path.join(dir, "bank"),
        chain: bankChain,
        logger,
        waitMs: 200,
      });
      const saltedHash = hexlify(randomBytes(32));
      const evidence = bankChain.evidence.connect(await account(DEV_ACCOUNTS.bank));
      await (await evidence.anchor(facility.active, Kind.INVOICE, supplier, saltedHash)).wait();
      const evidenceId = evidenceIdOf(facility.active, "INVOICE", supplier, saltedHash);
      const now = BigInt(await chainNow(bankChain));
      for (const verifier of [devWallet("bankVerifier"), devWallet("regulatorVerifier")]) {
        const request = {
          evidenceId,
          verdict: 1,
          reasonHash: keccakText(""),
          nonce: await evidence.nonces(verifier.address),
          deadline: now + 3_600n,
        };
        await (await evidence.attest([request], [await signAttestation(evidence, verifier, request)])).wait();
      }
      expect(await evidence.isVerified(evidenceId)).to.equal(true);
      invoice = { evidenceId, saltedHash };
    });

    after(async function () {
      await parts?.db.close();
    });

    /** The invoice's document row, as the bank node stores it, with `facilityId`, `kind` and counterparty as given. */
    async function storeRow(facilityId: bigint, kind: string, counterparty = supplier) {
      await parts.db.prisma.document.deleteMany({ where: { evidenceId: invoice.evidenceId } });
      const id = randomUUID();
      await parts.db.prisma.document.create({
        data: {
          id,
          facilityId,
          kind,
          mimeType: "application/pdf",
          size: 10,
          originalName: "invoice.pdf",
          contentHash: hexlify(randomBytes(32)),
          salt: hexlify(randomBytes(32)),
          saltedHash: invoice.saltedHash,
          evidenceId: invoice.evidenceId,
          counterparty,
          uploadedBy: "test",
          status: "ANCHORED",
        },
      });
      return id;
    }

    it("offers the verified evidence its row and the chain agree on", async function () {
      await storeRow(facility.active, "INVOICE");
      const { blockers, evidenceIds } = await parts.bank!.payments.readiness(facility.active, 0);
      expect(evidenceIds).to.deep.equal([invoice.evidenceId]);
      expect(blockers.map((b) => b.code)).to.not.include("evidence_not_verified");
    });

    it("does not offer evidence whose row names another facility than the chain records", async function () {
      const id = await storeRow(facility.reinspected, "INVOICE");
      const { blockers, evidenceIds } = await parts.bank!.payments.readiness(facility.reinspected, 0);
      expect(evidenceIds).to.deep.equal([]);
      expect(blockers).to.deep.include({
        code: "evidence_not_usable",
        message: `no usable INVOICE: document ${id}: the chain records it as INVOICE of facility ${facility.active}, not INVOICE of facility ${facility.reinspected}`,
      });
    });

    it("does not offer evidence whose row names another kind than the chain records", async function () {
      const id = await storeRow(facility.active, "PURCHASE_CONTRACT");
      const planned = await parts.bank!.facilities.evidenceOf(facility.active);
      expect(planned.find((e) => e.documentId === id)?.mismatch).to.equal(
        `the chain records it as INVOICE of facility ${facility.active}, not PURCHASE_CONTRACT of facility ${facility.active}`,
      );
      const { evidenceIds } = await parts.bank!.payments.readiness(facility.active, 0);
      expect(evidenceIds).to.deep.equal([]);
    });

    it("does not offer evidence whose row names another counterparty than its evidence id commits to", async function () {
      const other = getAddress("0x00000000000000000000000000000000000000c3");
      const id = await storeRow(facility.active, "INVOICE", other);
      const { evidenceIds, considered } = await parts.bank!.payments.readiness(facility.active, 0);
      expect(evidenceIds).to.deep.equal([]);
      expect(considered.find((c) => c.documentId === id)?.reason).to.equal(
        `its row's counterparty ${other} is not the one its evidence id commits to (${supplier})`,
      );
    });

    it("says which document the payment will consume, and why", async function () {
      const id = await storeRow(facility.active, "INVOICE");
      const { documentIds, considered } = await parts.bank!.payments.readiness(facility.active, 0, [id]);
      expect(documentIds).to.deep.equal([id]);
      expect(considered).to.deep.include({
        documentId: id,
        evidenceId: invoice.evidenceId,
        kind: "INVOICE",
        counterparty: supplier,
        use: "chosen",
        reason: "names this payment's counterparty, verified and unused",
      });
    });
  });
});
