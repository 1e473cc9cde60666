import { expect } from "chai";
import { Wallet, sha256, verifyTypedData } from "ethers";
import fs from "node:fs";
import http, { type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type { Chain } from "../../server/chain/chain";
import { ATTESTATION_TYPES, REVOCATION_TYPES } from "../../server/chain/typed-data";
import { loadConfig } from "../../server/config";
import type { Database } from "../../server/db/client";
import { forEachDatabase } from "../helpers/databases";
import { createDocumentStore } from "../../server/documents/storage";
import { createMetrics, type Metrics } from "../../server/http/metrics";
import { createDecisions, type Decisions } from "../../server/verification/decisions";
import { createNodeMac, macKeyOf } from "../../server/verification/mac";
import { ContentTampered, bankNodeSource } from "../../server/verification/sources";
import { TAMPERED_REASON, createIntegrityChecker } from "../../server/verification/integrity";
import { createUnresolvedAnchors } from "../../server/verification/unresolved";
import { REVOKE, verifierHandlers } from "../../server/verification/verifier";

const VERIFIER_KEY = `0x${"11".repeat(32)}`;
const logger = pino({ level: "silent" });
const evidence = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;

/** A counter's value in a node's registry. */
async function counted(metrics: Metrics, name: string): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []).reduce((sum, v) => sum + Number(v.value), 0);
}

describe("a node signs only its own decisions", function () {
  describe("the decision MAC", function () {
    const mac = createNodeMac(macKeyOf({ verifierKey: VERIFIER_KEY }));

    it("verifies only the same kind and fields under the same key", function () {
      const sealed = mac.of("verdict", ["a", "ACCEPT"]);
      expect(mac.verify("verdict", ["a", "ACCEPT"], sealed)).to.equal(true);
      expect(mac.verify("verdict", ["a", "REJECT"], sealed)).to.equal(false);
      expect(mac.verify("attest-job", ["a", "ACCEPT"], sealed)).to.equal(false);
      expect(mac.verify("verdict", ["aA", "CCEPT"], sealed)).to.equal(false);
      expect(mac.verify("verdict", ["a", "ACCEPT"], undefined)).to.equal(false);
      expect(mac.verify("verdict", ["a", "ACCEPT"], "not hex")).to.equal(false);
      const other = createNodeMac(macKeyOf({ macKey: "x".repeat(32), verifierKey: VERIFIER_KEY }));
      expect(other.verify("verdict", ["a", "ACCEPT"], sealed)).to.equal(false);
    });

    it("reads NODE_MAC_KEY through the configuration, refusing a short one or both sources", function () {
      const base = { NODE_ROLE: "bank", DATA_DIR: os.tmpdir() };
      expect(loadConfig({ ...base, NODE_MAC_KEY: "k".repeat(32) }).macKey).to.equal("k".repeat(32));
      expect(() => loadConfig({ ...base, NODE_MAC_KEY: "short" })).to.throw(/NODE_MAC_KEY: must be at least 32/);
      expect(() => loadConfig({ ...base, NODE_MAC_KEY: "k".repeat(32), NODE_MAC_KEY_FILE: "/x" })).to.throw(
        /set one, not both/,
      );
      const config = loadConfig({ ...base, UNRESOLVED_ANCHOR_RETRIES: "3", INTEGRITY_CHECK_MS: "0" });
      expect(config.unresolvedAnchors.retries).to.equal(3);
      expect(config.integrity.intervalMs).to.equal(0);
    });
  });

  describe("with a node's own database", function () {
    forEachDatabase((database) => {
      let db: Database;
      let metrics: Metrics;
      let decisions: Decisions;

      before(function () {
        db = database();
        metrics = createMetrics("regulator");
        decisions = createDecisions({
          db,
          mac: createNodeMac(macKeyOf({ verifierKey: VERIFIER_KEY })),
          metrics,
          logger,
        });
      });

      async function decide(n: number, verdict: "ACCEPT" | "REJECT", reason = "", sealed = true) {
        const record = { evidenceId: evidence(n), facilityId: 1n, kind: "INVOICE", verdict, reason, contentHash: null };
        await db.prisma.verification.create({
          data: { ...record, mac: sealed ? decisions.sealVerdict(record) : null },
        });
      }

      it("signs a job that is exactly its sealed verdict, and refuses and counts every other", async function () {
        await decide(1, "ACCEPT");
        await decide(2, "REJECT", "licence not in the registry");
        await decide(3, "ACCEPT", "", false);
        expect(await decisions.refuseAttest(decisions.attestPayload(evidence(1), "ACCEPT", ""))).to.equal(undefined);
        expect(
          await decisions.refuseAttest(decisions.attestPayload(evidence(2), "REJECT", "licence not in the registry")),
        ).to.equal(undefined);
        const stolen = decisions.attestPayload(evidence(1), "ACCEPT", "").mac;
        const refusals = await Promise.all([
          decisions.refuseAttest({ evidenceId: evidence(2), verdict: "ACCEPT", reason: "" }),
          decisions.refuseAttest({ evidenceId: evidence(2), verdict: "ACCEPT", reason: "", mac: stolen }),
          decisions.refuseAttest(decisions.attestPayload(evidence(2), "ACCEPT", "")),
          decisions.refuseAttest(decisions.attestPayload(evidence(3), "ACCEPT", "")),
          decisions.refuseAttest(decisions.attestPayload(evidence(4), "ACCEPT", "")),
        ]);
        expect(refusals).to.deep.equal([
          "the job's payload has no valid MAC",
          "the job's payload has no valid MAC",
          "the job says ACCEPT but this node's verdict record says REJECT",
          "the verdict record has no valid MAC (not written by this node's verifier)",
          "this node has no verdict record for the evidence",
        ]);
        expect(await counted(metrics, "qfm_tampered_jobs_total")).to.equal(5);
      });

      it("signs a batch verdict only when every leaf is its sealed verdict, in increasing positions", async function () {
        const root = evidence(0xb0);
        await decide(0xb1, "ACCEPT");
        await decide(0xb2, "REJECT", "inspection record says FAIL");
        await decide(0xb3, "ACCEPT", "", false);
        const leaf = (index: number, n: number, verdict: "ACCEPT" | "REJECT") => ({
          index,
          evidenceId: evidence(n),
          verdict,
        });
        const honest = decisions.batchAttestPayload(root, [leaf(7, 0xb2, "REJECT"), leaf(3, 0xb1, "ACCEPT")]);
        expect(honest.leaves.map((l) => l.index)).to.deep.equal([3, 7]);
        expect(await decisions.refuseBatchAttest(honest)).to.equal(undefined);
        const before = await counted(metrics, "qfm_tampered_jobs_total");
        const refusals = await Promise.all([
          decisions.refuseBatchAttest({ ...honest, leaves: [leaf(3, 0xb1, "ACCEPT"), leaf(7, 0xb2, "ACCEPT")] }),
          decisions.refuseBatchAttest({ ...honest, root: evidence(0xbf) }),
          decisions.refuseBatchAttest(
            decisions.batchAttestPayload(root, [leaf(3, 0xb1, "ACCEPT"), leaf(7, 0xb2, "ACCEPT")]),
          ),
          decisions.refuseBatchAttest(decisions.batchAttestPayload(root, [leaf(4, 0xb3, "ACCEPT")])),
          decisions.refuseBatchAttest(decisions.batchAttestPayload(root, [leaf(5, 0xb4, "REJECT")])),
          decisions.refuseBatchAttest(
            decisions.batchAttestPayload(root, [leaf(3, 0xb1, "ACCEPT"), leaf(3, 0xb1, "ACCEPT")]),
          ),
          decisions.refuseBatchAttest(decisions.batchAttestPayload(root, [])),
        ]);
        expect(refusals).to.deep.equal([
          "the job's payload has no valid MAC",
          "the job's payload has no valid MAC",
          "the job says ACCEPT but this node's verdict record says REJECT",
          "the verdict record has no valid MAC (not written by this node's verifier)",
          "this node has no verdict record for the evidence",
          "the job's leaves are not distinct positions in increasing order",
          "the job names no batch leaves",
        ]);
        expect((await counted(metrics, "qfm_tampered_jobs_total")) - before).to.equal(7);
      });

      it("revokes a sealed acceptance once, and signs no revocation it did not decide", async function () {
        const queued: unknown[] = [];
        const enqueue = async (payload: unknown) => void queued.push(payload);
        const revoke = (n: number) =>
          db.prisma.$transaction((tx) => decisions.revoke(tx, evidence(n), "bytes changed", enqueue));
        expect(await revoke(1)).to.equal(true);
        expect(await revoke(1)).to.equal(false);
        expect(await revoke(2)).to.equal(false); // a rejection has nothing to withdraw
        expect(await revoke(3)).to.equal(false); // an unsealed row is no acceptance of this node's
        expect(queued).to.have.length(1);
        expect(await decisions.refuseRevoke(queued[0] as never)).to.equal(undefined);
        expect(await decisions.refuseRevoke(decisions.revokePayload(evidence(2), "bytes changed"))).to.equal(
          "this node's records decided no such revocation",
        );
        // After the revocation, an ACCEPT for it is not signed any more (a withdrawal, not tampering: not counted).
        const tampered = await counted(metrics, "qfm_tampered_jobs_total");
        expect(await decisions.refuseAttest(decisions.attestPayload(evidence(1), "ACCEPT", ""))).to.equal(
          "this node has revoked its acceptance of the evidence",
        );
        expect((await counted(metrics, "qfm_tampered_jobs_total")) - tampered).to.equal(0);
        expect(await counted(metrics, "qfm_revocations_total")).to.equal(1);
      });

      it("waits a bounded time for an anchor the bank cannot resolve, then skips it, retries it and resolves it", async function () {
        const anchors = createUnresolvedAnchors({
          db,
          logger,
          metrics,
          options: { retries: 2, waitMs: 800, retryMs: 300 },
        });
        const anchor = { root: evidence(99), kind: "BATCH" as const, blockNumber: 7n };
        expect(await anchors.note(anchor, "unknown")).to.equal("wait");
        expect(await anchors.note(anchor, "unknown")).to.equal("wait"); // tries done, the wait not yet over
        await new Promise((resolve) => setTimeout(resolve, 850));
        expect(await anchors.note(anchor, "unknown")).to.equal("skip");
        expect(await counted(metrics, "qfm_unresolved_anchors")).to.equal(1);
        await new Promise((resolve) => setTimeout(resolve, 320));
        expect((await anchors.due(5)).map((a) => a.root)).to.deep.equal([anchor.root]);
        await anchors.stillUnresolved(anchor.root, "still unknown");
        expect(await anchors.due(5)).to.deep.equal([]);
        await anchors.resolved(anchor.root);
        expect(await counted(metrics, "qfm_unresolved_anchors")).to.equal(0);
        expect((await db.prisma.unresolvedAnchor.findUnique({ where: { root: anchor.root } }))?.status).to.equal(
          "RESOLVED",
        );
      });

      it("re-hashes the documents it accepted, least recently checked first, and withdraws the changed ones", async function () {
        const genuine = Buffer.from("%PDF-1.7 accepted");
        for (const n of [20, 21]) {
          const record = {
            evidenceId: evidence(n),
            facilityId: 1n,
            kind: "INVOICE",
            verdict: "ACCEPT",
            reason: "",
            contentHash: sha256(genuine),
          };
          await db.prisma.verification.create({ data: { ...record, mac: decisions.sealVerdict(record) } });
        }
        const revoked: string[] = [];
        const checker = createIntegrityChecker({
          db,
          source: {
            batch: async () => [],
            evidence: async (evidenceId) => ({ documentId: evidenceId }) as never,
            content: async (documentId) => (documentId === evidence(21) ? Buffer.from("%PDF-1.7 swapped") : genuine),
          },
          verifier: {
            revoke: async (evidenceId: string, reason: string) => revoked.push(`${evidenceId} ${reason}`) > 0,
          } as never,
          logger,
          metrics,
          batchSize: 50,
        });
        expect(await checker.pass()).to.equal(1);
        expect(revoked).to.deep.equal([`${evidence(21)} ${TAMPERED_REASON}`]);
        const checked = await db.prisma.verification.findMany({
          where: { evidenceId: { in: [evidence(20), evidence(21)] } },
        });
        expect(checked.every((row) => row.recheckedAt !== null)).to.equal(true);
      });
    });
  });

  describe("the document store", function () {
    it("re-hashes what it reads and reports bytes that no longer match their address", async function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-store-"));
      try {
        const store = createDocumentStore({ dir });
        const mismatches: string[][] = [];
        store.onMismatch((expected, actual) => mismatches.push([expected, actual]));
        const bytes = Buffer.from("%PDF-1.7 genuine");
        const hash = sha256(bytes);
        await store.put(hash, bytes);
        expect(await store.read(hash)).to.deep.include({ actualHash: hash, intact: true });
        fs.writeFileSync(store.pathOf(hash), "%PDF-1.7 forged");
        const forged = sha256(Buffer.from("%PDF-1.7 forged"));
        expect(await store.read(hash)).to.deep.include({ actualHash: forged, intact: false });
        expect(mismatches).to.deep.equal([[hash, forged]]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("the regulator's document source", function () {
    let server: Server;
    after(() => new Promise((resolve) => server.close(resolve)));

    it("reports a document the bank withholds as tampered (410 content_tampered), not as missing", async function () {
      server = http.createServer((_req, res) =>
        res
          .writeHead(410, { "content-type": "application/problem+json" })
          .end(JSON.stringify({ code: "content_tampered", storedHash: "0xabc" })),
      );
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const source = bankNodeSource({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: "k" });
      const error = await source.content("1").catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ContentTampered);
      expect((error as ContentTampered).storedHash).to.equal("0xabc");
    });
  });
  describe("the REVOKE job", function () {
    const wallet = new Wallet(VERIFIER_KEY);
    const registry = "0x00000000000000000000000000000000000000e1";
    let verdict = 0n;
    const fakeChain = {
      chainId: 31337n,
      provider: { send: async () => ({ timestamp: "0x100" }) },
      evidence: {
        verdictOf: async () => verdict,
        nonces: async () => 7n,
        getAddress: async () => registry,
        attest: {
          populateTransaction: async (requests: unknown[], signatures: string[]) => ({ requests, signatures }),
        },
        revoke: { populateTransaction: async (request: unknown, signature: string) => ({ request, signature }) },
      },
    } as unknown as Chain;
    const domain = { name: "QFM EvidenceRegistry", version: "1", chainId: 31337n, verifyingContract: registry };
    const handler = () =>
      verifierHandlers({ chain: fakeChain, verifierWallet: wallet }).find((h) => h.kind === REVOKE)!;

    it("withdraws a landed acceptance with a signed Revocation", async function () {
      verdict = 1n;
      const built = (await handler().build({ evidenceId: evidence(5), reason: "bytes changed" })) as any;
      expect(verifyTypedData(domain, REVOCATION_TYPES, built.request, built.signature)).to.equal(wallet.address);
      expect(built.request.nonce).to.equal(7n);
    });

    it("rejects instead when the acceptance never landed", async function () {
      verdict = 0n;
      const built = (await handler().build({ evidenceId: evidence(5), reason: "bytes changed" })) as any;
      expect(built.requests[0].verdict).to.equal(2);
      expect(verifyTypedData(domain, ATTESTATION_TYPES, built.requests[0], built.signatures[0])).to.equal(
        wallet.address,
      );
    });

    it("refuses every job when the node keeps no decision records", async function () {
      expect(await handler().refuse!({ evidenceId: evidence(5), reason: "x" })).to.match(/no decision records/);
    });
  });
});
