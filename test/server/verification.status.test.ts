import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import pino from "pino";
import type { Chain } from "../../server/chain/chain";
import type { Database } from "../../server/db/client";
import { createMetrics } from "../../server/http/metrics";
import { batchAttestHandler } from "../../server/verification/batch-verdicts";
import { createDecisions, type BatchLeafVerdict } from "../../server/verification/decisions";
import { createEvidenceStatus } from "../../server/verification/evidence-status";
import { createNodeMac, macKeyOf } from "../../server/verification/mac";
import { REVOKE, verifierHandlers } from "../../server/verification/verifier";
import { evidenceTree } from "../helpers/batchTree";
import { saltedHash } from "../helpers/factories";
import { deployFixture } from "../helpers/fixtures";

const COUNTERPARTY = ethers.getAddress("0x" + "c2".repeat(20));
const MNEMONIC = "test test test test test test test test test test test junk";

/** A 10-leaf batch anchored on the in-process chain, both verifiers' batch verdict jobs, and a node's leaf rows. */
async function fixture() {
  const fx = await deployFixture();
  const values = Array.from(
    { length: 10 },
    (_, i) => [4n, 1, COUNTERPARTY, saltedHash(`status-${i}`)] as [bigint, number, string, string],
  );
  const tree = evidenceTree(values);
  await fx.evidence.anchorBatch(tree.root, values.length);
  const { chainId } = await ethers.provider.getNetwork();
  const chain = { chainId, provider: ethers.provider, evidence: fx.evidence } as unknown as Chain;
  const signers = await ethers.getSigners();
  const walletOf = (address: string) => {
    const index = signers.findIndex((s) => s.address === address);
    return new ethers.Wallet(
      ethers.HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).privateKey,
      ethers.provider,
    );
  };
  const attest = async (address: string, leaves: Array<[number, "ACCEPT" | "REJECT"]>) => {
    const verifierWallet = walletOf(address);
    const decisions = createDecisions({
      db: { prisma: { verification: { findMany: async () => [] } } } as unknown as Database, // nothing revoked
      mac: createNodeMac(macKeyOf({ verifierKey: verifierWallet.privateKey })),
      metrics: createMetrics("bank"),
      logger: pino({ level: "silent" }),
    });
    const handler = batchAttestHandler({ chain, verifierWallet, decisions });
    const verdicts: BatchLeafVerdict[] = leaves.map(([index, verdict]) => ({
      index,
      evidenceId: tree.ids[index],
      verdict,
    }));
    await (
      await fx.bank.sendTransaction(await handler.build(decisions.batchAttestPayload(tree.root, verdicts)))
    ).wait();
  };
  // The node's rows: where each evidence sits, as a verifier stored it (root, index, proof).
  const rows = tree.ids.map((evidenceId, index) => ({
    evidenceId,
    batchRoot: tree.root,
    leafIndex: index,
    proof: JSON.stringify(tree.getProof(index)),
  }));
  const db = {
    prisma: {
      document: { findMany: async () => [] },
      verification: {
        findMany: async ({ where }: { where: { evidenceId: { in: string[] } } }) =>
          rows.filter((r) => where.evidenceId.in.includes(r.evidenceId)),
      },
    },
  } as unknown as Database;
  const status = createEvidenceStatus({ chain, db });
  const revokeJob = (address: string) =>
    verifierHandlers({ chain, verifierWallet: walletOf(address) }).find((h) => h.kind === REVOKE)!;
  return { ...fx, tree, values, attest, rows, status, revokeJob };
}

describe("verified by both nodes, by batch bits (server/verification/evidence-status)", function () {
  it("is not verified while only one verifier accepted a leaf in its batch", async function () {
    const fx = await loadFixture(fixture);
    await fx.attest(fx.bankVerifier.address, [
      [0, "ACCEPT"],
      [1, "ACCEPT"],
    ]);
    const status = await fx.status.statusOf(fx.tree.ids[0]);
    expect([status.registered, status.verified, status.batch?.index]).to.deep.equal([false, false, 0]);
    expect(status.verdicts.map((v) => v.verdict)).to.deep.equal(["ACCEPT", "NONE"]);
  });

  it("is verified once both accepted, and a REJECT by either blocks that leaf only", async function () {
    const fx = await loadFixture(fixture);
    await fx.attest(fx.bankVerifier.address, [
      [0, "ACCEPT"],
      [1, "ACCEPT"],
      [2, "ACCEPT"],
    ]);
    await fx.attest(fx.regulatorVerifier.address, [
      [0, "ACCEPT"],
      [1, "REJECT"],
      [2, "ACCEPT"],
    ]);
    const statuses = await fx.status.statusesOf(fx.tree.ids.slice(0, 4));
    expect(fx.tree.ids.slice(0, 4).map((id) => statuses.get(id)!.verified)).to.deep.equal([true, false, true, false]);
    expect(statuses.get(fx.tree.ids[1])!.verdicts.map((v) => v.verdict)).to.deep.equal(["ACCEPT", "REJECT"]);
  });

  it("reads the evidence record once the leaf is registered (the copied bits)", async function () {
    const fx = await loadFixture(fixture);
    await fx.attest(fx.bankVerifier.address, [[5, "ACCEPT"]]);
    await fx.attest(fx.regulatorVerifier.address, [[5, "ACCEPT"]]);
    const [facilityId, kind, counterparty, hash] = fx.values[5];
    await fx.evidence.registerBatchedEvidence(
      fx.tree.root,
      5,
      facilityId,
      kind,
      counterparty,
      hash,
      fx.tree.getProof(5),
    );
    const status = await fx.status.statusOf(fx.tree.ids[5]);
    expect([status.registered, status.verified, status.batch]).to.deep.equal([true, true, null]);
  });

  it("believes no row that points an evidence at another, accepted position (an insider's edit)", async function () {
    const fx = await loadFixture(fixture);
    await fx.attest(fx.bankVerifier.address, [[0, "ACCEPT"]]);
    await fx.attest(fx.regulatorVerifier.address, [
      [0, "ACCEPT"],
      [7, "REJECT"],
    ]);
    // Leaf 7 was rejected; a row altered to say it sits at 0 (accepted by both), with leaf 0's proof or its own.
    fx.rows[7].leafIndex = 0;
    expect((await fx.status.statusOf(fx.tree.ids[7])).verified).to.equal(false);
    fx.rows[7].proof = JSON.stringify(fx.tree.getProof(0));
    const status = await fx.status.statusOf(fx.tree.ids[7]);
    expect([status.verified, status.batch]).to.deep.equal([false, null]);
  });

  describe("when a verifier withdraws its acceptance of a batched leaf (its bytes changed)", function () {
    it("revokes it in the batch's bits (revokeBatched), so that leaf is no longer verified, and locates it", async function () {
      const fx = await loadFixture(fixture);
      await fx.attest(fx.bankVerifier.address, [
        [3, "ACCEPT"],
        [4, "ACCEPT"],
      ]);
      await fx.attest(fx.regulatorVerifier.address, [
        [3, "ACCEPT"],
        [4, "ACCEPT"],
      ]);
      const job = fx.revokeJob(fx.regulatorVerifier.address);
      const payload = {
        evidenceId: fx.tree.ids[3],
        reason: "the stored bytes changed",
        batch: { root: fx.tree.root, index: 3, proof: fx.tree.getProof(3) },
      };
      expect(await job.locate(payload)).to.equal(undefined);
      const receipt = await (await fx.bank.sendTransaction(await job.build(payload))).wait();
      const statuses = await fx.status.statusesOf([fx.tree.ids[3], fx.tree.ids[4]]);
      expect([statuses.get(fx.tree.ids[3])!.verified, statuses.get(fx.tree.ids[4])!.verified]).to.deep.equal([
        false,
        true,
      ]);
      expect(statuses.get(fx.tree.ids[3])!.verdicts.map((v) => v.verdict)).to.deep.equal(["ACCEPT", "REJECT"]);
      expect(await job.locate(payload)).to.deep.equal({
        txHash: receipt!.hash,
        blockNumber: BigInt(receipt!.blockNumber),
      });
      // Registration copies the rejection: the leaf can never be consumed.
      const [facilityId, kind, counterparty, hash] = fx.values[3];
      await fx.evidence.registerBatchedEvidence(
        fx.tree.root,
        3,
        facilityId,
        kind,
        counterparty,
        hash,
        fx.tree.getProof(3),
      );
      expect(await fx.evidence.isVerified(fx.tree.ids[3])).to.equal(false);
    });

    it("rejects the leaf in the batch when its batch verdict never went out", async function () {
      const fx = await loadFixture(fixture);
      const job = fx.revokeJob(fx.bankVerifier.address);
      const payload = {
        evidenceId: fx.tree.ids[6],
        reason: "the stored bytes changed",
        batch: { root: fx.tree.root, index: 6, proof: fx.tree.getProof(6) },
      };
      await (await fx.bank.sendTransaction(await job.build(payload))).wait();
      const [, rejected] = await fx.evidence.batchVerdictsOf(fx.tree.root, fx.bankVerifier.address, 0);
      expect(rejected).to.equal(1n << 6n);
      expect(await job.locate(payload)).to.not.equal(undefined);
    });
  });
});
