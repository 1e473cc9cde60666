import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import pino from "pino";
import type { Chain } from "../../server/chain/chain";
import { createMetrics } from "../../server/http/metrics";
import { BATCH_ATTEST, batchAttestHandler, bitmapOf } from "../../server/verification/batch-verdicts";
import { createDecisions } from "../../server/verification/decisions";
import { createNodeMac, macKeyOf } from "../../server/verification/mac";
import type { Database } from "../../server/db/client";
import { evidenceTree } from "../helpers/batchTree";
import { saltedHash } from "../helpers/factories";
import { deployFixture } from "../helpers/fixtures";

const COUNTERPARTY = ethers.getAddress("0x" + "c0".repeat(20));

/** A 300-leaf batch anchored on the in-process chain, and the bank verifier's BATCH_ATTEST handler over it. */
async function fixture() {
  const fx = await deployFixture();
  const values = Array.from(
    { length: 300 },
    (_, i) => [3n, i % 7, COUNTERPARTY, saltedHash(`server-batch-${i}`)] as [bigint, number, string, string],
  );
  const tree = evidenceTree(values);
  await fx.evidence.anchorBatch(tree.root, values.length);
  const { chainId } = await ethers.provider.getNetwork();
  const chain = { chainId, provider: ethers.provider, evidence: fx.evidence } as unknown as Chain;
  // A wallet with the bank verifier's key (Hardhat's signer cannot be handed to the handler as an ethers Wallet).
  const index = (await ethers.getSigners()).findIndex((s) => s.address === fx.bankVerifier.address);
  const mnemonic = "test test test test test test test test test test test junk";
  const hd = ethers.HDNodeWallet.fromPhrase(mnemonic, undefined, `m/44'/60'/0'/0/${index}`);
  const verifierWallet = new ethers.Wallet(hd.privateKey, ethers.provider);
  const decisions = createDecisions({
    // refuse is not exercised here (test/server/verification.integrity.test.ts covers it); nothing is revoked
    db: { prisma: { verification: { findMany: async () => [] } } } as unknown as Database,
    mac: createNodeMac(macKeyOf({ verifierKey: verifierWallet.privateKey })),
    metrics: createMetrics("bank"),
    logger: pino({ level: "silent" }),
  });
  const handler = batchAttestHandler({ chain, verifierWallet, decisions });
  const send = async (p: Parameters<typeof handler.build>[0]) =>
    (await fx.bank.sendTransaction(await handler.build(p))).wait();
  return { ...fx, tree, handler, decisions, send };
}

describe("the BATCH_ATTEST job (server/verification/batch-verdicts)", function () {
  it("writes bitmaps with bit b of word w for leaf 256w + b", function () {
    expect(bitmapOf([0, 3, 257])).to.deep.equal([9n, 2n]);
    expect(bitmapOf([])).to.deep.equal([]);
  });

  it("lands one signed batch verdict the contract records by position, then locates it", async function () {
    const fx = await loadFixture(fixture);
    expect(fx.handler.kind).to.equal(BATCH_ATTEST);
    const payload = fx.decisions.batchAttestPayload(fx.tree.root, [
      { index: 299, evidenceId: fx.tree.ids[299], verdict: "REJECT" },
      { index: 0, evidenceId: fx.tree.ids[0], verdict: "ACCEPT" },
      { index: 1, evidenceId: fx.tree.ids[1], verdict: "ACCEPT" },
    ]);
    expect(await fx.handler.locate(payload)).to.equal(undefined);
    const receipt = await fx.send(payload);
    const [accepted0] = await fx.evidence.batchVerdictsOf(fx.tree.root, fx.bankVerifier.address, 0);
    const [, rejected1] = await fx.evidence.batchVerdictsOf(fx.tree.root, fx.bankVerifier.address, 1);
    expect([accepted0, rejected1]).to.deep.equal([3n, 1n << 43n]);
    expect(await fx.handler.locate(payload)).to.deep.equal({
      txHash: receipt!.hash,
      blockNumber: BigInt(receipt!.blockNumber),
    });
  });

  it("sends only the leaves not yet on chain: a rebuilt job after a partial landing, a leaf registered since", async function () {
    const fx = await loadFixture(fixture);
    await fx.send(
      fx.decisions.batchAttestPayload(fx.tree.root, [{ index: 5, evidenceId: fx.tree.ids[5], verdict: "ACCEPT" }]),
    );
    const [facilityId, kind, counterparty, hash] = fx.tree.at(6)!;
    await fx.evidence.registerBatchedEvidence(
      fx.tree.root,
      6,
      facilityId,
      kind,
      counterparty,
      hash,
      fx.tree.getProof(6),
    );
    const payload = fx.decisions.batchAttestPayload(
      fx.tree.root,
      [5, 6, 7].map((index) => ({ index, evidenceId: fx.tree.ids[index], verdict: "ACCEPT" as const })),
    );
    const receipt = await fx.send(payload); // would revert (EvidenceBatchAlreadyAttested / EvidenceLeafRegistered) otherwise
    const event = fx.evidence.interface.parseLog(receipt!.logs[0])!;
    expect(event.name).to.equal("BatchAttested");
    expect(event.args.accepted).to.deep.equal([1n << 7n]);
    expect(await fx.handler.locate(payload)).to.not.equal(undefined);
  });
});
