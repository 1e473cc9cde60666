import { expect } from "chai";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, NonceManager } from "ethers";
import pino from "pino";
import { deploy } from "../../scripts/deploy";
import { freePort } from "../../scripts/bench/lib/system";
import { startChainNode, type ChainNode } from "../../scripts/lib/chain-node";
import { DEV_MNEMONIC, devWallet, parseDeployConfig } from "../../scripts/lib/deploy-config";
import type { Deployment } from "../../scripts/lib/deployments";
import { toCsv } from "../../server/audit/csv";
import { readOnlyChain, rebuildAuditEvents, type RebuildProgress } from "../../server/audit/rebuild";
import { buildAuditReport, type AuditEvent, type AuditReport } from "../../server/audit/report";
import { auditReportOf, createBlockClock, readAuditEvents } from "../../server/audit/service";
import type { Chain } from "../../server/chain/chain";
import { createMetrics } from "../../server/http/metrics";
import { createIndexer } from "../../server/indexer/indexer";
import {
  EvidenceRegistry__factory,
  FacilityManager__factory,
  PayeeRegistry__factory,
  SettlementToken__factory,
} from "../../typechain-types";
import { EXPECTED, createAuditHistory, type AuditHistory } from "../helpers/auditHistory";
import { createTestDatabase, type TestDatabase } from "../helpers/databases";
import { tempDir, waitFor } from "../helpers/processes";

const ROOT = path.resolve(__dirname, "..", "..");
/** A development account beyond the named roles (payees only receive, so only their addresses matter). */
const devAddress = (index: number) =>
  HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), `m/44'/60'/0'/0/${index}`).address;

/** `npm run report -- …`, as a process. */
function runReportCommand(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "report.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
}

/**
 * The report a bank node serves (its indexer following the chain while the history happens, into its own PostgreSQL
 * database) equals the report rebuilt from nothing but the chain into a fresh SQLite database, as `npm run report --
 * --rebuild` does: the report depends on the chain alone. Against a real `hardhat node` process.
 */
describe("fund-use audit report rebuilt from the chain", function () {
  this.timeout(300_000);
  let dir: string;
  let chainNode: ChainNode;
  let deployment: Deployment;
  let deploymentsFile: string;
  let provider: JsonRpcProvider;
  let chain: Chain;
  let live: TestDatabase;
  let history: AuditHistory;
  let liveEvents: AuditEvent[];

  before(async function () {
    dir = tempDir("audit");
    chainNode = await startChainNode({ kind: "hardhat", port: await freePort() });
    deploymentsFile = path.join(dir, "deployment.json");
    deployment = await deploy(
      parseDeployConfig({ RPC_URL: chainNode.url, DEPLOYMENTS_FILE: deploymentsFile }),
      () => undefined,
    );
    provider = new JsonRpcProvider(chainNode.url, undefined, { staticNetwork: true, pollingInterval: 100 });

    // The live node: its indexer runs while the history is written, a few blocks at a time.
    live = await createTestDatabase("postgresql");
    chain = readOnlyChain(deployment);
    const indexer = createIndexer({
      db: live,
      chain,
      logger: pino({ level: "silent" }),
      metrics: createMetrics("audit-live"),
      confirmations: 0,
      startBlock: deployment.startBlock ?? 0,
    });
    indexer.start(100);
    try {
      const bank = new NonceManager(devWallet("bank").connect(provider));
      const { contracts } = deployment;
      history = await createAuditHistory({
        provider,
        token: SettlementToken__factory.connect(contracts.SettlementToken, bank),
        payees: PayeeRegistry__factory.connect(contracts.PayeeRegistry, bank),
        evidence: EvidenceRegistry__factory.connect(contracts.EvidenceRegistry, bank),
        manager: FacilityManager__factory.connect(contracts.FacilityManager, bank),
        bank,
        regulator: new NonceManager(devWallet("regulator").connect(provider)),
        fiscal: new NonceManager(devWallet("fiscal").connect(provider)),
        borrower: new NonceManager(devWallet("borrower").connect(provider)),
        bankVerifier: devWallet("bankVerifier"),
        regulatorVerifier: devWallet("regulatorVerifier"),
        equipmentVendor: devAddress(10),
        lab: devAddress(11),
        materials: devAddress(12),
        treasury: deployment.roles.treasury!,
        // No one mints on a dev deployment: the bank's float pays the borrower's repayment and the subsidy.
        issue: (to, amount) => SettlementToken__factory.connect(contracts.SettlementToken, bank).transfer(to, amount),
      });
      // eth_blockNumber itself: ethers answers getBlockNumber() from a cache that may not have the last block yet.
      const head = Number(await provider.send("eth_blockNumber", []));
      await waitFor("the live indexer to reach the head", async () => {
        const checkpoint = await indexer.checkpoint();
        return checkpoint !== null && Number(checkpoint.blockNumber) >= head;
      });
    } finally {
      await indexer.stop();
    }
    liveEvents = await readAuditEvents(live);
  });

  after(async function () {
    chain?.close();
    provider?.destroy();
    await live?.drop();
    await chainNode?.stop();
    if (this.currentTest?.state !== "failed") fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("when the chain is indexed again into a fresh database", function () {
    let progress: RebuildProgress[];
    let rebuiltEvents: AuditEvent[];

    before(async function () {
      progress = [];
      const rebuildChain = readOnlyChain(deployment);
      try {
        rebuiltEvents = await rebuildAuditEvents({
          chain: rebuildChain,
          maxBlocksPerStep: 8,
          onProgress: (p) => progress.push(p),
        });
      } finally {
        rebuildChain.close();
      }
    });

    it("gives the same report as the live node's database, dated or not", async function () {
      const clock = createBlockClock(provider);
      for (const facilityId of [history.facilityId, history.otherFacilityId]) {
        const fromLive = await auditReportOf(liveEvents, facilityId, clock);
        const rebuilt = await auditReportOf(rebuiltEvents, facilityId, clock);
        expect(rebuilt, `facility ${facilityId}`).to.not.equal(null);
        expect(rebuilt).to.deep.equal(fromLive);
        expect(buildAuditReport(rebuiltEvents, { facilityId })).to.deep.equal(
          buildAuditReport(liveEvents, { facilityId }),
        );
      }
      const report = (await auditReportOf(rebuiltEvents, history.facilityId, clock))!;
      expect(report.ledger.every((line) => line.time !== null)).to.equal(true);
      expect([report.totals.funded, report.totals.paid, report.totals.balance]).to.deep.equal(
        [EXPECTED.funded, EXPECTED.paid, EXPECTED.balance].map(String),
      );
      expect(report.payments.map((p) => p.at.tx)).to.deep.equal([history.tx.payment0, history.tx.payment2]);
    });

    it("reads exactly the events the live node stored", async function () {
      expect(rebuiltEvents).to.deep.equal(liveEvents);
    });

    it("reports its progress step by step up to the head", async function () {
      expect(progress.length).to.be.greaterThan(2);
      for (let i = 1; i < progress.length; i++) expect(progress[i].block).to.be.greaterThan(progress[i - 1].block);
      const last = progress[progress.length - 1];
      expect(last.block).to.equal(last.head);
      expect(last.events).to.be.greaterThan(0);
    });
  });

  describe("npm run report", function () {
    let expected: AuditReport;

    before(async function () {
      expected = (await auditReportOf(liveEvents, history.facilityId, createBlockClock(provider)))!;
    });

    it("with --rebuild writes the same CSV as the live report, showing progress on stderr", async function () {
      const out = path.join(dir, "audit.csv");
      const result = runReportCommand(
        ["--facility", history.facilityId.toString(), "--rebuild", "--format", "csv", "--out", out],
        { DEPLOYMENTS_FILE: deploymentsFile },
      );
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stderr).to.match(/indexing: block \d+ \/ head \d+ \(\d+ events\)/);
      expect(result.stderr).to.include(`wrote ${out}`);
      expect(fs.readFileSync(out, "utf8")).to.equal(toCsv(expected));
    });

    it("without --rebuild reads the node's database and prints the same JSON", async function () {
      const result = runReportCommand(["--facility", history.facilityId.toString()], {
        DEPLOYMENTS_FILE: deploymentsFile,
        DATABASE_URL: live.url,
      });
      expect(result.status, result.stderr).to.equal(0);
      expect(JSON.parse(result.stdout)).to.deep.equal(JSON.parse(JSON.stringify(expected)));
    });

    it("fails with a message for a facility the chain does not know, and with usage for bad arguments", async function () {
      const unknown = runReportCommand(["--facility", "999", "--rebuild"], { DEPLOYMENTS_FILE: deploymentsFile });
      expect(unknown.status).to.equal(1);
      expect(unknown.stderr).to.include("facility 999 has no FacilityCreated event on this chain");
      const usage = runReportCommand(["--facility", "1", "--format", "xml"], { DEPLOYMENTS_FILE: deploymentsFile });
      expect(usage.status).to.equal(2);
      expect(usage.stderr).to.include("--format: must be json or csv");
      const missing = runReportCommand(["--facility", "1"], {
        DEPLOYMENTS_FILE: deploymentsFile,
        DATABASE_URL: `file:${path.join(dir, "no-such", "db.sqlite")}`,
      });
      expect(missing.status).to.equal(1);
      expect(missing.stderr).to.include("no bank node database at");
    });
  });
});
