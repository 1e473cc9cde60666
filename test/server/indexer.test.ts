import { expect } from "chai";
import {
  JsonRpcProvider,
  NonceManager,
  ZeroAddress,
  ZeroHash,
  getAddress,
  id,
  toQuantity,
  type ContractTransactionResponse,
} from "ethers";
import fs from "node:fs";
import path from "node:path";
import pino from "pino";
import { deploy } from "../../scripts/deploy";
import { startChainNode, type ChainNode, type ChainNodeKind } from "../../scripts/lib/chain-node";
import { devWallet, parseDeployConfig } from "../../scripts/lib/deploy-config";
import type { Deployment } from "../../scripts/lib/deployments";
import { createChain, type Chain } from "../../server/chain/chain";
import { createDatabase, type Database } from "../../server/db/client";
import type { DatabaseProvider } from "../../server/db/url";
import { createMetrics, type Metrics } from "../../server/http/metrics";
import { createIndexer, readEvents, type IndexedEvent, type Indexer } from "../../server/indexer/indexer";
import {
  EvidenceRegistry__factory,
  FacilityManager__factory,
  PayeeRegistry__factory,
  SettlementToken__factory,
} from "../../typechain-types";
import { Category, Kind, Verdict, kindsMask } from "../helpers/constants";
import { evidenceTree } from "../helpers/batchTree";
import { createTestDatabase, type TestDatabase } from "../helpers/databases";
import { tempDir, waitFor } from "../helpers/processes";
import { signAttestation } from "../helpers/signatures";

const logger = pino({ level: "silent" });
type IndexerOptions = Partial<Parameters<typeof createIndexer>[0]>;

/** The contracts as the bank sends to them, through a nonce manager (reset it after a revert). */
function connectBank(deployment: Deployment, provider: JsonRpcProvider) {
  const signer = new NonceManager(devWallet("bank").connect(provider));
  return {
    signer,
    payees: PayeeRegistry__factory.connect(deployment.contracts.PayeeRegistry, signer),
    evidence: EvidenceRegistry__factory.connect(deployment.contracts.EvidenceRegistry, signer),
    manager: FacilityManager__factory.connect(deployment.contracts.FacilityManager, signer),
    token: SettlementToken__factory.connect(deployment.contracts.SettlementToken, signer),
  };
}
type Bank = ReturnType<typeof connectBank>;

async function mined(tx: Promise<ContractTransactionResponse>) {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt;
}

/** Anchors `count` documents one by one: one EvidenceAnchored event in each of `count` new blocks. */
async function anchorDocuments(bank: Bank, label: string, count: number) {
  const receipts = [];
  for (let i = 0; i < count; i++)
    receipts.push(await mined(bank.evidence.anchor(1n, Kind.INVOICE, ZeroAddress, id(`${label}:${i}`))));
  return receipts;
}

async function mine(provider: JsonRpcProvider, blocks: number): Promise<void> {
  for (let i = 0; i < blocks; i++) await provider.send("evm_mine", []);
}

async function counterValue(metrics: Metrics, name: string): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  return (await metric.get()).values.reduce((sum, { value }) => sum + value, 0);
}

async function rows(db: Database) {
  return db.prisma.chainEvent.findMany({ orderBy: [{ blockNumber: "asc" }, { logIndex: "asc" }] });
}

/** The rows of one transaction as name and parsed arguments, in log order. */
async function eventsOf(db: Database, txHash: string) {
  const found = await db.prisma.chainEvent.findMany({ where: { txHash }, orderBy: { logIndex: "asc" } });
  return found.map((row) => ({ name: row.name, args: JSON.parse(row.args) as Record<string, unknown> }));
}

/**
 * The invariant every test ends with: the rows are exactly the three contracts' logs from the start block to the
 * checkpoint as the node serves them now (no gap, no duplicate, nothing from a dropped fork), and every block hash the
 * indexer kept, the checkpoint's included, is canonical.
 */
async function expectMirrorsChain(db: Database, chain: Chain, startBlock: number): Promise<void> {
  const checkpoint = await db.prisma.checkpoint.findUniqueOrThrow({ where: { name: "contracts" } });
  const { contracts } = chain.deployment;
  const logs = await chain.provider.send("eth_getLogs", [
    {
      address: [contracts.EvidenceRegistry, contracts.FacilityManager, contracts.PayeeRegistry],
      fromBlock: toQuantity(startBlock),
      toBlock: toQuantity(checkpoint.blockNumber),
    },
  ]);
  expect(
    (await rows(db)).map((row) => ({
      blockNumber: row.blockNumber,
      blockHash: row.blockHash,
      txHash: row.txHash,
      logIndex: row.logIndex,
      address: row.address.toLowerCase(),
    })),
  ).to.deep.equal(
    logs.map((log: Record<string, string>) => ({
      blockNumber: BigInt(log.blockNumber),
      blockHash: log.blockHash,
      txHash: log.transactionHash,
      logIndex: Number(log.logIndex),
      address: log.address.toLowerCase(),
    })),
  );
  // Each evidence id a stored PaymentExecuted lists has its ConsumedEvidence row, and no other row is there.
  const consumed = (await rows(db))
    .filter((row) => row.name === "PaymentExecuted")
    .flatMap((row) => {
      const args = JSON.parse(row.args) as { facilityId: string; index: string; evidenceIds: string[] };
      return args.evidenceIds.map((evidenceId) => ({
        evidenceId: evidenceId.toLowerCase(),
        eventId: row.id,
        facilityId: BigInt(args.facilityId),
        paymentIndex: Number(args.index),
        txHash: row.txHash,
        blockNumber: row.blockNumber,
      }));
    });
  expect(
    await db.prisma.consumedEvidence.findMany({ orderBy: [{ blockNumber: "asc" }, { evidenceId: "asc" }] }),
  ).to.deep.equal(
    consumed.sort((a, b) => Number(a.blockNumber - b.blockNumber) || (a.evidenceId < b.evidenceId ? -1 : 1)),
  );
  const kept = [
    ...(await db.prisma.indexedBlock.findMany()),
    { number: checkpoint.blockNumber, hash: checkpoint.blockHash },
  ];
  for (const block of kept) {
    const canonical = await chain.provider.send("eth_getBlockByNumber", [toQuantity(block.number), false]);
    expect(block.hash, `kept block ${block.number}`).to.equal(canonical?.hash);
  }
}

/**
 * Starts a node process on the first free port of `port`, `port + 4`, … below 18900 (several people may run these
 * tests at once) and makes sure that the node answering there is this process, not another run's: a node that lost
 * the race for the port exits (anvil at once, hardhat once it has loaded, after which it would print that it started).
 */
async function startOwnNode(kind: ChainNodeKind, port: number, output: string[]): Promise<ChainNode> {
  let bound = false;
  const log = (line: string) => {
    bound ||= line.includes("Started HTTP");
    output.push(line);
    if (output.length > 20) output.shift();
  };
  for (let candidate = port; candidate < 18_900; candidate += 4) {
    let node: ChainNode;
    try {
      node = await startChainNode({ kind, port: candidate, log });
    } catch (error) {
      if (/already in use|exited early/.test(String(error))) continue;
      throw error;
    }
    const exited = () => node.process.exitCode !== null || node.process.signalCode !== null;
    if (kind === "anvil") await new Promise((resolve) => setTimeout(resolve, 300));
    else await waitFor(`the hardhat node on port ${candidate} to bind or exit`, async () => bound || exited());
    if (!exited()) return node;
  }
  throw new Error(`no free port for a ${kind} node from ${port} to 18899`);
}

/**
 * A real node process with the contracts deployed by the dev accounts, the indexer's view of it (`chain`) and the
 * test's own connection (`provider`, without ethers' 250 ms request cache: after a revert the test must see the new
 * chain at once).
 */
async function startDeployedChain(kind: ChainNodeKind, port: number) {
  const output: string[] = [];
  const node = await startOwnNode(kind, port, output);
  const dir = tempDir("indexer");
  const stop = async () => {
    await node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const config = parseDeployConfig({ RPC_URL: node.url, DEPLOYMENTS_FILE: path.join(dir, "deployment.json") });
    let timer: NodeJS.Timeout | undefined;
    const deployment = await Promise.race([
      deploy(config, () => undefined).finally(() => clearTimeout(timer)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`deploying to ${kind} at ${node.url} hung; node output: ${output.join("")}`)),
          60_000,
        );
      }),
    ]);
    const chain = createChain({ deployment, rpcUrl: node.url, signerKey: devWallet("bank").privateKey });
    const provider = new JsonRpcProvider(node.url, undefined, {
      staticNetwork: true,
      cacheTimeout: -1,
      pollingInterval: 50,
    });
    return {
      node,
      deployment,
      chain,
      provider,
      async stop() {
        chain.close();
        provider.destroy();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The indexer's behaviour against one real node process, with a fresh database per test. */
function behavesLikeAnIndexer(kind: ChainNodeKind, port: number, databaseProvider: DatabaseProvider) {
  describe(`when following a real ${kind} node into ${databaseProvider}`, function () {
    let started: Awaited<ReturnType<typeof startDeployedChain>> | undefined;
    let node: ChainNode;
    let deployment: Deployment;
    let chain: Chain;
    let provider: JsonRpcProvider;
    let baseline: string;
    let db: TestDatabase;
    let metrics: Metrics;
    let bank: Bank;
    let running: Indexer[];

    before(async function () {
      started = await startDeployedChain(kind, port);
      ({ node, deployment, chain, provider } = started);
    });

    after(async function () {
      await started?.stop();
    });

    beforeEach(async function () {
      baseline = await provider.send("evm_snapshot", []);
      db = await createTestDatabase(databaseProvider);
      metrics = createMetrics("test");
      bank = connectBank(deployment, provider);
      running = [];
    });

    afterEach(async function () {
      for (const indexer of running) await indexer.stop();
      await db?.drop();
      await provider.send("evm_revert", [baseline]);
    });

    function indexer(options: IndexerOptions = {}): Indexer {
      const created = createIndexer({
        db,
        chain,
        logger,
        metrics,
        confirmations: 0,
        startBlock: deployment.startBlock ?? 0,
        ...options,
      });
      running.push(created);
      return created;
    }

    const head = async () => Number(await provider.send("eth_blockNumber", []));
    const startBlock = () => deployment.startBlock ?? 0;

    describe("when the bank uses every contract", function () {
      it("stores each event with its name, block, transaction, log index and arguments", async function () {
        const lab = getAddress("0x00000000000000000000000000000000000000a1");
        const supplier = getAddress("0x00000000000000000000000000000000000000b2");
        const borrower = devWallet("borrower").address;
        const licence = id("licence:lab");
        const registered = await mined(bank.payees.registerPayee(lab, Category.TESTING_CERT, licence));
        await mined(bank.payees.registerPayee(supplier, Category.EQUIPMENT, id("licence:supplier")));
        const created = await mined(
          bank.manager.createFacility(
            { borrower, creditLimit: 1_000_000n, baseRateBps: 435, qualityFloorBps: 0, subsidyBps: 300 },
            [
              {
                payee: lab,
                amount: 250_000n,
                category: Category.TESTING_CERT,
                requiredKinds: kindsMask(Kind.INSPECTION_REPORT, Kind.CERTIFICATION),
                qualityPurpose: true,
                paid: false,
              },
              {
                payee: supplier,
                amount: 500_000n,
                category: Category.EQUIPMENT,
                requiredKinds: kindsMask(Kind.INVOICE),
                qualityPurpose: false,
                paid: false,
              },
            ],
          ),
        );
        await mined(bank.token.approve(deployment.contracts.FacilityManager, 250_000n));
        const funded = await mined(bank.manager.fund(1n, 250_000n));

        const report = id("inspection report #1");
        // an inspection report names the borrower; a certification (test report) names the lab it pays
        const anchored = await mined(bank.evidence.anchor(1n, Kind.INSPECTION_REPORT, borrower, report));
        const certificate = id("certificate #1");
        const tree = evidenceTree([
          [1n, Kind.CERTIFICATION, lab, certificate],
          [1n, Kind.INVOICE, supplier, id("invoice #1")],
        ]);
        const batch = await mined(bank.evidence.anchorBatch(tree.root, 2));
        const leaf = await mined(
          bank.evidence.registerBatchedEvidence(
            tree.root,
            0,
            1n,
            Kind.CERTIFICATION,
            lab,
            certificate,
            tree.getProof(0),
          ),
        );
        const evidenceIds = [
          await bank.evidence.evidenceIdOf(1n, Kind.INSPECTION_REPORT, borrower, report),
          await bank.evidence.evidenceIdOf(1n, Kind.CERTIFICATION, lab, certificate),
        ];
        const verifiers = [devWallet("bankVerifier"), devWallet("regulatorVerifier")];
        const deadline = BigInt(Math.floor(Date.now() / 1000) + 3_600);
        const requests = evidenceIds.flatMap((evidenceId, nonce) =>
          verifiers.map((verifier) => ({
            verifier,
            request: { evidenceId, verdict: Verdict.ACCEPT, reasonHash: ZeroHash, nonce: BigInt(nonce), deadline },
          })),
        );
        const signatures = [];
        for (const { verifier, request } of requests)
          signatures.push(await signAttestation(bank.evidence, verifier, request));
        const attested = await mined(
          bank.evidence.attest(
            requests.map(({ request }) => request),
            signatures,
          ),
        );
        // A fixed gas limit: anvil gives blocks of the same second the same timestamp, so an estimate made while
        // interest accrual is a no-op falls short once the second has turned.
        const paid = await mined(
          bank.manager.executePayment(
            1n,
            0,
            [
              { kind: Kind.INSPECTION_REPORT, saltedHash: report },
              { kind: Kind.CERTIFICATION, saltedHash: certificate },
            ],
            { gasLimit: 1_000_000 },
          ),
        );

        const indexed: IndexedEvent[] = [];
        await indexer({ onEvents: (events) => void indexed.push(...events) }).catchUp();

        const managerAddress = deployment.contracts.FacilityManager;
        expect(await eventsOf(db, registered.hash)).to.deep.equal([
          { name: "PayeeRegistered", args: { payee: lab, category: "1", licenceHash: licence } },
        ]);
        // The contract stores (and announces) the plan before the facility.
        expect(await eventsOf(db, created.hash)).to.deep.equal([
          {
            name: "PaymentPlanned",
            args: {
              facilityId: "1",
              index: "0",
              payee: lab,
              category: "1",
              amount: "250000",
              qualityPurpose: true,
              requiredKinds: String(kindsMask(Kind.INSPECTION_REPORT, Kind.CERTIFICATION)),
            },
          },
          {
            name: "PaymentPlanned",
            args: {
              facilityId: "1",
              index: "1",
              payee: supplier,
              category: "0",
              amount: "500000",
              qualityPurpose: false,
              requiredKinds: String(kindsMask(Kind.INVOICE)),
            },
          },
          {
            name: "FacilityCreated",
            args: {
              facilityId: "1",
              borrower,
              creditLimit: "1000000",
              baseRateBps: "435",
              qualityFloorBps: "3000",
              subsidyBps: "300",
              planTotal: "750000",
              qualityShareBps: "3333",
            },
          },
        ]);
        expect(await eventsOf(db, funded.hash)).to.deep.equal([
          { name: "FacilityFunded", args: { facilityId: "1", from: devWallet("bank").address, amount: "250000" } },
        ]);
        expect(await eventsOf(db, anchored.hash)).to.deep.equal([
          {
            name: "EvidenceAnchored",
            args: {
              evidenceId: evidenceIds[0],
              facilityId: "1",
              kind: "3",
              counterparty: borrower,
              saltedHash: report,
              batchRoot: ZeroHash,
            },
          },
        ]);
        expect(await eventsOf(db, batch.hash)).to.deep.equal([
          { name: "BatchAnchored", args: { root: tree.root, size: "2" } },
        ]);
        expect(await eventsOf(db, leaf.hash)).to.deep.equal([
          {
            name: "EvidenceAnchored",
            args: {
              evidenceId: evidenceIds[1],
              facilityId: "1",
              kind: "4",
              counterparty: lab,
              saltedHash: certificate,
              batchRoot: tree.root,
              // decoded from the registering call: what a batch verdict's bit stands for
              leafIndex: 0,
            },
          },
        ]);
        const attestation = (index: number) => ({
          name: "EvidenceAttested",
          args: {
            evidenceId: requests[index].request.evidenceId,
            verifier: requests[index].verifier.address,
            verdict: "1",
            reasonHash: ZeroHash,
            nonce: requests[index].request.nonce.toString(),
          },
        });
        expect(await eventsOf(db, attested.hash)).to.deep.equal([
          attestation(0),
          attestation(1),
          { name: "EvidenceVerified", args: { evidenceId: evidenceIds[0] } },
          attestation(2),
          attestation(3),
          { name: "EvidenceVerified", args: { evidenceId: evidenceIds[1] } },
        ]);
        expect(await eventsOf(db, paid.hash)).to.deep.equal([
          { name: "EvidenceConsumed", args: { evidenceId: evidenceIds[0], consumer: managerAddress } },
          { name: "EvidenceConsumed", args: { evidenceId: evidenceIds[1], consumer: managerAddress } },
          {
            name: "PaymentExecuted",
            args: { facilityId: "1", index: "0", payee: lab, amount: "250000", evidenceIds },
          },
        ]);

        // The deployment's own events (role grants, verifier set, consumer) are there too, and nothing else.
        const deploymentNames = (await rows(db))
          .filter((row) => row.blockNumber < BigInt(registered.blockNumber))
          .map((row) => row.name);
        expect(deploymentNames.filter((name) => name === "VerifierAdded")).to.have.length(2);
        expect(deploymentNames).to.include.members(["RoleGranted", "ThresholdChanged", "ConsumerChanged"]);
        await expectMirrorsChain(db, chain, startBlock());

        const row = await db.prisma.chainEvent.findFirstOrThrow({
          where: { txHash: paid.hash, name: "PaymentExecuted" },
        });
        const log = paid.logs.find((entry) => entry.address === managerAddress && entry.index === row.logIndex)!;
        expect(row).to.deep.include({
          id: `${paid.blockHash}:${log.index}`,
          blockNumber: BigInt(paid.blockNumber),
          blockHash: paid.blockHash,
          address: managerAddress,
        });
        expect(indexed.map((event) => event.id)).to.deep.equal((await rows(db)).map((r) => r.id));
        expect((await readEvents(db, { names: ["PaymentExecuted"] }))[0].args.evidenceIds).to.deep.equal(evidenceIds);
        expect(await counterValue(metrics, "qfm_indexer_block")).to.equal(await head());
      });
    });

    describe("when confirmations is 2", function () {
      it("indexes a block only once two more blocks are on top of it", async function () {
        const follower = indexer({ confirmations: 2 });
        const [first, second, third] = await anchorDocuments(bank, "deep", 3);
        await follower.catchUp();
        const blocks = async () => (await rows(db)).map((row) => row.blockNumber);
        expect(await blocks())
          .to.include(BigInt(first.blockNumber))
          .and.not.include(BigInt(second.blockNumber));
        expect((await follower.checkpoint())?.blockNumber).to.equal(BigInt((await head()) - 2));

        await mine(provider, 1);
        expect(await follower.step()).to.equal(1);
        expect(await blocks())
          .to.include(BigInt(second.blockNumber))
          .and.not.include(BigInt(third.blockNumber));

        expect(await follower.step()).to.equal(0);
        await mine(provider, 1);
        await follower.catchUp();
        expect(await blocks()).to.include(BigInt(third.blockNumber));
        expect((await follower.checkpoint())?.blockNumber).to.equal(BigInt(third.blockNumber));
        await expectMirrorsChain(db, chain, startBlock());
      });
    });

    describe("when the indexer restarts", function () {
      it("resumes from the checkpoint with a new indexer and a new client, without duplicates or gaps", async function () {
        await anchorDocuments(bank, "before", 3);
        const first = indexer({ maxBlocksPerStep: 3 });
        await first.step();
        await first.step();
        const stoppedAt = (await first.checkpoint())!.blockNumber;
        await anchorDocuments(bank, "after", 3);

        const reopened = createDatabase(db.url);
        try {
          await indexer({ db: reopened, maxBlocksPerStep: 3 }).catchUp();
          expect((await reopened.prisma.checkpoint.findUniqueOrThrow({ where: { name: "contracts" } })).blockNumber)
            .to.equal(BigInt(await head()))
            .and.be.greaterThan(stoppedAt);
        } finally {
          await reopened.close();
        }
        await expectMirrorsChain(db, chain, startBlock());
      });

      it("follows new blocks while started and picks up after stop() where it left off", async function () {
        const polling = indexer();
        polling.start(50);
        const [last] = (await anchorDocuments(bank, "live", 2)).slice(-1);
        await waitFor(
          "the running indexer to reach the last block",
          async () => (await db.prisma.chainEvent.count({ where: { txHash: last.hash } })) === 1,
        );
        await polling.stop();
        const stoppedAt = (await polling.checkpoint())!.blockNumber;
        const later = await anchorDocuments(bank, "while-stopped", 2);
        expect(await db.prisma.chainEvent.count({ where: { txHash: later[0].hash } })).to.equal(0);
        expect(stoppedAt).to.be.lessThan(BigInt(later[0].blockNumber));

        const restarted = indexer();
        restarted.start(50);
        await waitFor("the restarted indexer to catch up", async () => {
          const checkpoint = await restarted.checkpoint();
          return checkpoint?.blockNumber === BigInt(later[1].blockNumber);
        });
        await restarted.stop();
        await expectMirrorsChain(db, chain, startBlock());
      });
    });

    describe("when the chain reorganises", function () {
      it("drops the events of the replaced blocks, indexes the new ones and moves the checkpoint to the new hash", async function () {
        const seen: IndexedEvent[][] = [];
        const follower = indexer({ onEvents: (events) => void seen.push(events) });
        await follower.catchUp();
        const snapshot = await provider.send("evm_snapshot", []);
        const dropped = await anchorDocuments(bank, "fork-a", 3);
        await follower.catchUp();
        const before = (await follower.checkpoint())!;
        expect(await db.prisma.chainEvent.count({ where: { txHash: { in: dropped.map((r) => r.hash) } } })).to.equal(3);

        await provider.send("evm_revert", [snapshot]);
        bank.signer.reset();
        const replacing = await anchorDocuments(bank, "fork-b", 4);
        expect(replacing[2].blockNumber).to.equal(dropped[2].blockNumber);
        expect(replacing[2].blockHash).to.not.equal(dropped[2].blockHash);
        const reorgs = await counterValue(metrics, "qfm_indexer_reorgs_total");
        seen.length = 0;
        // What a payment in a replaced block and one before the fork left: the first goes with its block.
        const consumedAt = (blockNumber: number, n: number) => ({
          evidenceId: id(`consumed ${n}`),
          eventId: `${n}`,
          facilityId: 1n,
          paymentIndex: n,
          txHash: id(`payment ${n}`),
          blockNumber: BigInt(blockNumber),
        });
        await db.prisma.consumedEvidence.createMany({
          data: [consumedAt(dropped[0].blockNumber - 1, 0), consumedAt(dropped[2].blockNumber, 1)],
        });

        await follower.step();
        expect((await db.prisma.consumedEvidence.findMany()).map((row) => row.eventId)).to.deep.equal(["0"]);
        await db.prisma.consumedEvidence.deleteMany();
        expect(await db.prisma.chainEvent.count({ where: { txHash: { in: dropped.map((r) => r.hash) } } })).to.equal(0);
        expect(await db.prisma.chainEvent.count({ where: { txHash: { in: replacing.map((r) => r.hash) } } })).to.equal(
          4,
        );
        const after = (await follower.checkpoint())!;
        expect(after.blockNumber).to.be.at.least(before.blockNumber);
        expect(after.blockHash).to.equal(replacing[3].blockHash);
        expect(await counterValue(metrics, "qfm_indexer_reorgs_total")).to.equal(reorgs + 1);
        expect(seen.flat().map((event) => event.txHash)).to.deep.equal(replacing.map((r) => r.hash));
        await expectMirrorsChain(db, chain, startBlock());
      });

      it("rolls back to a shorter chain and waits for it to grow", async function () {
        const follower = indexer();
        await follower.catchUp();
        const snapshot = await provider.send("evm_snapshot", []);
        await anchorDocuments(bank, "long", 4);
        await follower.catchUp();
        await provider.send("evm_revert", [snapshot]);
        bank.signer.reset();
        const [short] = await anchorDocuments(bank, "short", 1);

        await follower.catchUp();
        expect((await follower.checkpoint())!.blockHash).to.equal(short.blockHash);
        expect(await counterValue(metrics, "qfm_indexer_reorgs_total")).to.equal(1);
        await expectMirrorsChain(db, chain, startBlock());

        const grown = await anchorDocuments(bank, "grown", 5);
        await follower.catchUp();
        expect((await follower.checkpoint())!.blockHash).to.equal(grown[4].blockHash);
        expect(await counterValue(metrics, "qfm_indexer_reorgs_total")).to.equal(1);
        await expectMirrorsChain(db, chain, startBlock());
      });

      it("re-indexes from the start block when the reorg is deeper than the kept blocks", async function () {
        const delivered: IndexedEvent[] = [];
        const follower = indexer({ keepBlocks: 2, maxBlocksPerStep: 2, onEvents: (e) => void delivered.push(...e) });
        await anchorDocuments(bank, "settled", 2);
        await follower.catchUp();
        const snapshot = await provider.send("evm_snapshot", []);
        await anchorDocuments(bank, "fork-a", 6);
        await follower.catchUp();
        const window = BigInt((await head()) - 2);
        expect((await db.prisma.indexedBlock.findMany()).every((block) => block.number >= window)).to.equal(true);

        await provider.send("evm_revert", [snapshot]);
        bank.signer.reset();
        const replacing = await anchorDocuments(bank, "fork-b", 7);
        delivered.length = 0;
        await follower.catchUp();
        expect(await counterValue(metrics, "qfm_indexer_reorgs_total")).to.equal(1);
        // No kept block was still canonical, so everything was dropped and indexed again from the start block.
        expect(delivered.map((event) => event.id)).to.deep.equal((await rows(db)).map((row) => row.id));
        expect(delivered[0].blockNumber).to.be.at.most(BigInt(deployment.blockNumber));
        expect((await follower.checkpoint())!.blockHash).to.equal(replacing[6].blockHash);
        await expectMirrorsChain(db, chain, startBlock());
      });
    });

    describe("when the chain reorganises in the middle of a catch-up", function () {
      it("checks the checkpoint against the node at every step, not against an answer from before the reorg", async function () {
        const follower = indexer({ maxBlocksPerStep: 2 });
        await follower.catchUp();
        const snapshot = await provider.send("evm_snapshot", []);
        await anchorDocuments(bank, "fork-a", 4);
        expect(await follower.step()).to.equal(2);

        // Quickly, so that a provider cache from the step above would still be answering.
        await provider.send("evm_revert", [snapshot]);
        bank.signer.reset();
        await anchorDocuments(bank, "fork-b", 3);
        await follower.catchUp();
        expect(await counterValue(metrics, "qfm_indexer_reorgs_total")).to.equal(1);
        await expectMirrorsChain(db, chain, startBlock());
      });

      it("reads the step again when the checkpoint block is replaced after it was checked", async function () {
        // The indexer's own connection, which replaces the chain right after the step has checked its checkpoint.
        const racing = createChain({ deployment, rpcUrl: node.url, signerKey: devWallet("bank").privateKey });
        let reorgAfterNextBlockRead: (() => Promise<void>) | undefined;
        const send = racing.provider.send.bind(racing.provider);
        racing.provider.send = async (method: string, params: unknown[] | Record<string, unknown>) => {
          const result = await send(method, params);
          if (method === "eth_getBlockByNumber" && reorgAfterNextBlockRead) {
            const reorg = reorgAfterNextBlockRead;
            reorgAfterNextBlockRead = undefined;
            await reorg();
          }
          return result;
        };
        try {
          const follower = indexer({ chain: racing });
          await follower.catchUp();
          const snapshot = await provider.send("evm_snapshot", []);
          const dropped = await anchorDocuments(bank, "fork-a", 3);
          await follower.catchUp();
          dropped.push(...(await anchorDocuments(bank, "fork-a-unindexed", 2)));
          let replacing: Awaited<ReturnType<typeof anchorDocuments>> = [];
          reorgAfterNextBlockRead = async () => {
            await provider.send("evm_revert", [snapshot]);
            bank.signer.reset();
            replacing = await anchorDocuments(bank, "fork-b", 6);
          };

          await follower.catchUp();
          expect(replacing).to.have.length(6);
          const txHashes = (await rows(db)).map((row) => row.txHash);
          expect(txHashes).to.include.members(replacing.map((r) => r.hash));
          expect(txHashes.filter((hash) => dropped.some((r) => r.hash === hash))).to.deep.equal([]);
          expect(await counterValue(metrics, "qfm_indexer_reorgs_total")).to.equal(1);
          await expectMirrorsChain(db, chain, startBlock());
        } finally {
          racing.close();
        }
      });
    });

    describe("when catching up in small steps", function () {
      it("stores the same rows as one big step", async function () {
        await anchorDocuments(bank, "chunk", 10);
        await mined(bank.payees.registerPayee(devWallet("borrower").address, Category.SERVICES, id("licence")));
        const target = await head();

        const chunked = indexer({ maxBlocksPerStep: 3 });
        const covered: number[] = [];
        for (let blocks = await chunked.step(); blocks > 0; blocks = await chunked.step()) covered.push(blocks);
        expect(covered.every((blocks) => blocks <= 3)).to.equal(true);
        expect(covered.reduce((sum, blocks) => sum + blocks, 0)).to.equal(target - startBlock() + 1);
        expect(covered).to.have.length(Math.ceil((target - startBlock() + 1) / 3));

        const whole = await createTestDatabase(db.provider);
        try {
          await indexer({ db: whole }).catchUp();
          const strip = (list: Awaited<ReturnType<typeof rows>>) =>
            list.map(({ createdAt: _createdAt, ...row }) => row);
          expect(strip(await rows(db))).to.deep.equal(strip(await rows(whole)));
          expect(await chunked.checkpoint()).to.deep.include({ blockNumber: BigInt(target) });
        } finally {
          await whole.drop();
        }
        await expectMirrorsChain(db, chain, startBlock());
      });
    });

    describe("when rows were stored by an earlier version with arrays as objects", function () {
      it("re-shapes them by the ABI before its first step, and leaves rows already in shape alone", async function () {
        const follower = indexer();
        await follower.catchUp();
        const address = deployment.contracts.FacilityManager;
        const row = (n: number, args: unknown) => ({
          id: `0x${"ab".repeat(32)}:${n}`,
          blockNumber: 1n,
          blockHash: `0x${"ab".repeat(32)}`,
          txHash: `0x${"cd".repeat(32)}`,
          logIndex: n,
          address,
          name: "PaymentExecuted",
          args: JSON.stringify(args),
        });
        const one = id("one"),
          two = id("two");
        const base = { facilityId: "1", index: "0", payee: address, amount: "5" };
        await db.prisma.chainEvent.createMany({
          data: [
            row(0, { ...base, evidenceIds: { _: one } }),
            row(1, { ...base, evidenceIds: { "0": one, "1": two } }),
            row(2, { ...base, evidenceIds: [two] }),
          ],
        });

        expect(await indexer().repairStoredArgs()).to.equal(2);
        const repaired = await db.prisma.chainEvent.findMany({
          where: { blockHash: `0x${"ab".repeat(32)}` },
          orderBy: { logIndex: "asc" },
        });
        expect(repaired.map((r) => JSON.parse(r.args).evidenceIds)).to.deep.equal([[one], [one, two], [two]]);
        expect(await indexer().repairStoredArgs()).to.equal(0);
      });
    });

    describe("when onEvents is given", function () {
      it("hands it the new events once they are committed, and is not called for steps without events", async function () {
        const calls: Array<{ events: IndexedEvent[]; committed: string[] }> = [];
        const observer = createDatabase(db.url);
        try {
          const follower = indexer({
            maxBlocksPerStep: 2,
            onEvents: async (events) => {
              const committed = await observer.prisma.chainEvent.findMany({
                where: { id: { in: events.map((event) => event.id) } },
              });
              calls.push({ events, committed: committed.map((row) => row.id) });
            },
          });
          await follower.catchUp();
          calls.length = 0;
          const receipts = await anchorDocuments(bank, "listened", 3);
          await mine(provider, 3);
          await follower.catchUp();

          expect(calls.map(({ events }) => events.length)).to.deep.equal([2, 1]);
          for (const { events, committed } of calls) expect(committed).to.have.members(events.map((e) => e.id));
          const events = calls.flatMap((call) => call.events);
          expect(events.map((event) => event.txHash)).to.deep.equal(receipts.map((r) => r.hash));
          expect(events[0]).to.deep.include({
            blockNumber: BigInt(receipts[0].blockNumber),
            blockHash: receipts[0].blockHash,
            contract: "EvidenceRegistry",
            name: "EvidenceAnchored",
            address: deployment.contracts.EvidenceRegistry,
          });
          expect(events[0].args).to.deep.include({ facilityId: "1", kind: "1", saltedHash: id("listened:0") });
        } finally {
          await observer.close();
        }
      });
    });
  });
}

/** Catch-up time over ~2,000 events, one per block, reported rather than asserted. */
function measuresCatchUp(kind: ChainNodeKind, port: number) {
  describe(`when catching up over 2,000 events on a ${kind} node`, function () {
    const EVENTS = 2_000;
    let started: Awaited<ReturnType<typeof startDeployedChain>> | undefined;
    let chain: Chain;

    before(async function () {
      started = await startDeployedChain(kind, port);
      const { deployment } = started;
      chain = started.chain;
      // Pre-signed raw transactions: the quickest way to put one event in each of 2,000 blocks.
      const wallet = devWallet("bank");
      const registry = EvidenceRegistry__factory.connect(deployment.contracts.EvidenceRegistry);
      let nonce = await chain.provider.getTransactionCount(wallet.address, "pending");
      let last = "";
      for (let i = 0; i < EVENTS; i++) {
        const raw = await wallet.signTransaction({
          to: deployment.contracts.EvidenceRegistry,
          data: registry.interface.encodeFunctionData("anchor", [1n, Kind.INVOICE, ZeroAddress, id(`bulk:${i}`)]),
          nonce: nonce++,
          gasLimit: 150_000,
          chainId: chain.chainId,
          type: 2,
          maxFeePerGas: 10_000_000_000n,
          maxPriorityFeePerGas: 1_000_000_000n,
        });
        last = await chain.provider.send("eth_sendRawTransaction", [raw]);
      }
      await chain.provider.waitForTransaction(last);
    });

    after(async function () {
      await started?.stop();
    });

    for (const provider of ["sqlite", "postgresql"] as const) {
      it(`indexes every event into ${provider} (time reported)`, async function () {
        const db = await createTestDatabase(provider);
        try {
          const indexer = createIndexer({
            db,
            chain,
            logger,
            metrics: createMetrics("test"),
            confirmations: 0,
            startBlock: chain.deployment.startBlock ?? 0,
          });
          const started = performance.now();
          await indexer.catchUp();
          const elapsed = performance.now() - started;
          const count = await db.prisma.chainEvent.count({ where: { name: "EvidenceAnchored" } });
          console.log(`      catch-up of ${count} events (${kind}, ${provider}): ${Math.round(elapsed)} ms`);
          expect(count).to.equal(EVENTS);
          await expectMirrorsChain(db, chain, chain.deployment.startBlock ?? 0);
        } finally {
          await db.drop();
        }
      });
    }
  });
}

describe("server/indexer", function () {
  this.timeout(300_000);
  behavesLikeAnIndexer("hardhat", 18810, "sqlite");
  behavesLikeAnIndexer("anvil", 18811, "sqlite");
  behavesLikeAnIndexer("anvil", 18812, "postgresql");
  measuresCatchUp("anvil", 18813);
});
