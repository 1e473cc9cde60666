import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import fs from "node:fs";
import path from "node:path";
import { deploy } from "../../scripts/deploy";
import { freePort } from "../../scripts/bench/lib/system";
import { startChainNode, type ChainNode } from "../../scripts/lib/chain-node";
import { devWallet, parseDeployConfig } from "../../scripts/lib/deploy-config";
import { readDeployment } from "../../scripts/lib/deployments";
import { EvidenceRegistry__factory, type EvidenceRegistry } from "../../typechain-types";
import { assertAnchoredExactlyOnce } from "../helpers/anchoring";
import { client, issueKey, startNodeProcess, tempDir, waitFor, type NodeProcess } from "../helpers/processes";
import { openFacility } from "../helpers/liveFacility";
import { uploadMany } from "../helpers/uploads";

describe("bank node faults", function () {
  this.timeout(600_000);
  let chainNode: ChainNode;
  let provider: JsonRpcProvider;
  let registry: EvidenceRegistry;
  let dir: string;
  let deploymentsFile: string;

  /** The bank node's port, the same across its restarts in a test. */
  let bankPort = 0;

  beforeEach(async function () {
    dir = tempDir("faults");
    chainNode = await startChainNode({ kind: "hardhat", port: await freePort() });
    bankPort = await freePort();
    deploymentsFile = path.join(dir, "deployment.json");
    await deploy(parseDeployConfig({ RPC_URL: chainNode.url, DEPLOYMENTS_FILE: deploymentsFile }), () => undefined);
    provider = new JsonRpcProvider(chainNode.url, undefined, { staticNetwork: true, pollingInterval: 100 });
    registry = EvidenceRegistry__factory.connect(readDeployment(deploymentsFile).contracts.EvidenceRegistry, provider);
  });

  afterEach(async function () {
    chainNode?.process.kill("SIGCONT");
    provider?.destroy();
    await chainNode?.stop();
    if (this.currentTest?.state !== "failed") fs.rmSync(dir, { recursive: true, force: true });
  });

  function bankEnv(extra: Record<string, string> = {}) {
    return {
      DEPLOYMENTS_FILE: deploymentsFile,
      PORT: String(bankPort),
      DATA_DIR: path.join(dir, "bank"),
      POLL_INTERVAL_MS: "100",
      BATCH_MAX_SIZE: "50",
      BATCH_MAX_AGE_MS: "300",
      VERIFIER_ENABLED: "false",
      LOG_LEVEL: "warn",
      // One loader key sends 500 uploads in well under a minute.
      UPLOAD_QUOTA_PER_MINUTE: "100000",
      ...extra,
    };
  }

  /**
   * Opens facilities 1–3 (evidence must name an existing, open facility) and waits until their transactions (funding
   * among them) are confirmed; returns the bank's nonce then, from which the anchoring transactions are counted.
   */
  async function openFacilities(url: string, key: string): Promise<number> {
    for (let i = 0; i < 3; i++) await openFacility(client(url, key));
    await waitFor("the facilities' transactions confirmed", async () => {
      const ready = await client(url, key).get("/ready");
      return ready.body?.outboxPending === 0;
    });
    return provider.getTransactionCount(devWallet("bank").address, "latest");
  }

  it("anchors all 500 documents exactly once when the bank node is killed with SIGKILL mid-anchoring", async function () {
    const env = bankEnv();
    const key = issueKey(env, "bank", "bank_officer", "loader");
    let bank: NodeProcess = await startNodeProcess("bank", env);
    const sentBefore = await openFacilities(bank.url, key);
    const documents = await uploadMany(bank.url, key, 500, "kill");
    // Kill as soon as anchoring is under way but not finished.
    await waitFor(
      "anchoring under way",
      async () => (await client(bank.url, key).get("/documents?status=ANCHORED&limit=1")).body.items.length > 0,
      60_000,
      20,
    );
    const queuedAtKill = (await client(bank.url, key).get("/documents?status=QUEUED&limit=500")).body.items.length;
    await bank.stop("SIGKILL");
    bank = await startNodeProcess("bank", env);
    try {
      await waitFor(
        "all 500 anchored after the restart",
        async () => (await client(bank.url, key).get("/documents?status=ANCHORED&limit=500")).body.items.length === 500,
        180_000,
        250,
      );
      const { batches } = await assertAnchoredExactlyOnce(bank.url, key, documents, registry, provider, sentBefore);
      console.log(
        `      documents 500, SIGKILLs 1 (${queuedAtKill} still queued at the kill), batches ${batches}, duplicates 0`,
      );
    } finally {
      await bank.stop();
    }
  });

  it("queues writes while the chain node is stopped and drains them when it returns, without duplicate transactions", async function () {
    const env = bankEnv();
    const key = issueKey(env, "bank", "bank_officer", "loader");
    const bank = await startNodeProcess("bank", env);
    try {
      // Facilities first: an upload names one the bank created (its record serves while the chain is away).
      const sentBefore = await openFacilities(bank.url, key);
      chainNode.process.kill("SIGSTOP");
      const documents = await uploadMany(bank.url, key, 120, "pause");
      await new Promise((resolve) => setTimeout(resolve, 8_000));
      const anchoredWhileStopped = (await client(bank.url, key).get("/documents?status=ANCHORED&limit=500")).body.items
        .length;
      expect(anchoredWhileStopped).to.equal(0);
      chainNode.process.kill("SIGCONT");
      await waitFor(
        "all 120 anchored after the chain returned",
        async () => (await client(bank.url, key).get("/documents?status=ANCHORED&limit=500")).body.items.length === 120,
        180_000,
        250,
      );
      const { batches } = await assertAnchoredExactlyOnce(bank.url, key, documents, registry, provider, sentBefore);
      console.log(`      documents 120 uploaded while the chain was stopped 8 s, batches ${batches}, duplicates 0`);
    } finally {
      await bank.stop();
    }
  });
});
