import { expect } from "chai";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { freePort } from "../../scripts/bench/lib/system";
import { startChainNode, type ChainNode } from "../../scripts/lib/chain-node";
import { readDeployment, type Deployment } from "../../scripts/lib/deployments";
import { createChain } from "../../server/chain/chain";
import { keyProblems } from "../../server/chain/startup";
import { loadConfig } from "../../server/config";
import { EvidenceRegistry__factory, FacilityManager__factory, SettlementToken__factory } from "../../typechain-types";
import { emptyDatabase, type EmptyDatabase } from "../helpers/databases";
import { recordAccounts } from "../helpers/liveFacility";
import { client, issueKey, startNodeProcess, tempDir, waitFor, type NodeProcess } from "../helpers/processes";
import { chainVerdicts, leafFromNode, verifiedOnChain } from "../helpers/chainVerdicts";

const ROOT = path.resolve(__dirname, "..", "..");
/** Not the development chain 31337: no development key or default applies. */
const CHAIN_ID = 20261126;
const OTHER_CHAIN_ID = 1337;
/** This file's ports: the kernel's picks, taken when the suite starts. */
const PORT_NAMES = ["chain", "sameIdNoContracts", "otherChainId", "bank", "regulator", "refused", "waiting"] as const;
let PORT: Record<(typeof PORT_NAMES)[number], number>;
/**
 * The chain as a Besu QBFT network with free gas would run it: Cancun, a block every second whether or not there are
 * transactions, base fee and gas price zero (so the keys below never hold ether).
 */
const FREE_GAS_QBFT_LIKE = [
  "--hardfork",
  "cancun",
  "--base-fee",
  "0",
  "--gas-price",
  "0",
  "--disable-min-priority-fee",
];
const Verdict = { ACCEPT: 1n };
const FacilityStatus = { FROZEN: 2n };
const pdf = (text: string) => Buffer.from(`%PDF-1.7\n% ${text}\n%%EOF\n`);
const SUPPLIER_LICENCE = "91330200MA2H8K3X1Y";

interface Exit {
  code: number | null;
  stdout: string;
  /** stdout and stderr as they came */
  output: string;
}

type Env = Record<string, string | undefined>;

/**
 * Runs a TypeScript entry point as its own process (as `npm run deploy` etc. do) until it exits. A variable set to
 * undefined is left out of its environment.
 */
function runToExit(script: string, env: Env, args: string[] = [], timeoutMs = 180_000) {
  return new Promise<Exit>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, script), ...args], {
      cwd: ROOT,
      env: Object.fromEntries(
        Object.entries({ ...process.env, ...env }).filter((entry): entry is [string, string] => entry[1] !== undefined),
      ),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} did not exit within ${timeoutMs} ms:\n${output.slice(-3_000)}`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, output });
    });
  });
}

/**
 * The consortium set-up, as far as one machine can honestly show it (docs/deployment.md, "What was tested here and
 * what was not"): a chain other than 31337 reached only over JSON-RPC, the contracts deployed by the deploy script with
 * EXPECTED_CHAIN_ID and an explicit deployer key, and the bank node and the regulator node as separate processes, each
 * with its own transaction and verifier keys (files with mode 0600, never the development accounts) and its own
 * PostgreSQL database, carrying one facility from evidence to a payment released by both verdicts, then frozen by the
 * regulator. Both nodes use the SAME chain node: two anvil processes do not share a chain, so they cannot stand for
 * two validators. The other chain-node processes are there to be refused: one with the deployment's chain id but
 * none of its contracts, one with another chain id.
 */
describe("consortium deployment: two nodes on a chain other than 31337", function () {
  this.timeout(900_000);
  /** When the suite's first hook ran (mocha loads every file before it runs any). */
  let started = 0;
  const counts = {
    chainNodes: 0,
    transactions: 0,
    keysEtherWei: 0n,
    deployRefusals: 0,
    nodeRefusals: 0,
    documentsVerified: 0,
    verdictsOnChain: 0,
    payments: 0,
    freezes: 0,
    auditReportsRebuilt: 0,
  };
  const keys = {
    deployer: Wallet.createRandom(),
    bankSigner: Wallet.createRandom(),
    bankVerifier: Wallet.createRandom(),
    regulatorSigner: Wallet.createRandom(),
    regulatorVerifier: Wallet.createRandom(),
  };
  const fiscal = Wallet.createRandom().address;
  /** The treasury and the two institutions' governance keys (never used to sign here: nothing is governed). */
  const treasury = Wallet.createRandom().address;
  const governance = [Wallet.createRandom().address, Wallet.createRandom().address];
  let dir: string;
  let keyFiles: Record<keyof typeof keys, string>;
  let chain: ChainNode;
  let otherChain: ChainNode;
  let sameIdNoContracts: ChainNode | undefined;
  let provider: JsonRpcProvider;
  let deploymentsFile: string;
  let deployment: Deployment;
  const databases: EmptyDatabase[] = [];
  const nodes: NodeProcess[] = [];

  const deployEnv = (extra: Env = {}) => ({
    RPC_URL: chain.url,
    EXPECTED_CHAIN_ID: String(CHAIN_ID),
    DEPLOYER_KEY_FILE: keyFiles.deployer,
    BANK_ADDRESS: keys.bankSigner.address,
    REGULATOR_ADDRESS: keys.regulatorSigner.address,
    FISCAL_ADDRESS: fiscal,
    VERIFIER_ADDRESSES: `${keys.bankVerifier.address},${keys.regulatorVerifier.address}`,
    VERIFIER_THRESHOLD: "2",
    TREASURY_ADDRESS: treasury,
    GOVERNANCE_ADDRESSES: governance.join(","),
    // The demo token's float for the bank's transaction key: no one mints after the deployment.
    INITIAL_FLOAT_FEN: "100000000000",
    DEPLOYMENTS_FILE: deploymentsFile,
    ...extra,
  });

  /** A node's environment as an operator would write it: every chain setting and key explicit. */
  const nodeEnv = (role: "bank" | "regulator", extra: Env = {}) => ({
    DEPLOYMENTS_FILE: deploymentsFile,
    RPC_URL: chain.url,
    EXPECTED_CHAIN_ID: String(CHAIN_ID),
    SIGNER_KEY_FILE: role === "bank" ? keyFiles.bankSigner : keyFiles.regulatorSigner,
    VERIFIER_KEY_FILE: role === "bank" ? keyFiles.bankVerifier : keyFiles.regulatorVerifier,
    CONFIRMATIONS: "0",
    POLL_INTERVAL_MS: "200",
    LOG_LEVEL: "info",
    ...extra,
  });

  /** Starts a node that must refuse to start; returns what it printed. */
  async function refusedNode(role: "bank" | "regulator", env: Env): Promise<string> {
    const dataDir = path.join(dir, `refused-${counts.nodeRefusals}`);
    const exit = await runToExit("server/main.ts", {
      NODE_ROLE: role,
      PORT: String(PORT.refused),
      DATA_DIR: dataDir,
      ...env,
    });
    expect(exit.code, exit.output).to.equal(1);
    // Refused before it touched a database or opened its port.
    expect(fs.existsSync(path.join(dataDir, "db.sqlite")), "a database was created").to.equal(false);
    counts.nodeRefusals++;
    return exit.output;
  }

  before(async function () {
    started = Date.now();
    PORT = Object.fromEntries(
      await Promise.all(PORT_NAMES.map(async (name) => [name, await freePort()] as const)),
    ) as typeof PORT;
    dir = tempDir("consortium");
    deploymentsFile = path.join(dir, "deployments", `${CHAIN_ID}.json`);
    keyFiles = Object.fromEntries(
      Object.entries(keys).map(([name, wallet]) => {
        const file = path.join(dir, "keys", `${name}.key`);
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        fs.writeFileSync(file, `${wallet.privateKey}\n`, { mode: 0o600 });
        return [name, file];
      }),
    ) as Record<keyof typeof keys, string>;
    chain = await startChainNode({
      kind: "anvil",
      port: PORT.chain,
      chainId: CHAIN_ID,
      intervalMs: 1_000,
      args: FREE_GAS_QBFT_LIKE,
    });
    otherChain = await startChainNode({ kind: "anvil", port: PORT.otherChainId, chainId: OTHER_CHAIN_ID });
    counts.chainNodes += 2;
    provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, pollingInterval: 200 });
  });

  after(async function () {
    for (const node of nodes.reverse()) await node.stop();
    provider?.destroy();
    await Promise.all([chain?.stop(), otherChain?.stop(), sameIdNoContracts?.stop()]);
    for (const database of databases) await database.remove();
    if (this.currentTest?.state !== "failed") fs.rmSync(dir, { recursive: true, force: true });
    else console.log(`      kept ${dir}`);
    console.log(
      `      consortium: ${Object.entries(counts)
        .map(([name, value]) => `${name} ${value}`)
        .join(", ")}; ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });

  describe("the deploy script", function () {
    it("refuses an endpoint whose chain id is not EXPECTED_CHAIN_ID", async function () {
      const exit = await runToExit("scripts/deploy.ts", deployEnv({ RPC_URL: otherChain.url }));
      expect(exit.code).to.equal(1);
      expect(exit.output).to.include(
        `deploy failed: chain id check failed: ${otherChain.url} is chain ${OTHER_CHAIN_ID}, EXPECTED_CHAIN_ID is ${CHAIN_ID}`,
      );
      counts.deployRefusals++;
    });

    it("refuses a chain other than 31337 without EXPECTED_CHAIN_ID, and with the development accounts", async function () {
      const unnamed = await runToExit("scripts/deploy.ts", deployEnv({ EXPECTED_CHAIN_ID: undefined }));
      expect(unnamed.code).to.equal(1);
      expect(unnamed.output).to.include(`EXPECTED_CHAIN_ID: required on chain ${CHAIN_ID}`);
      const dev = await runToExit("scripts/deploy.ts", {
        RPC_URL: chain.url,
        EXPECTED_CHAIN_ID: String(CHAIN_ID),
        DEPLOYMENTS_FILE: deploymentsFile,
      });
      expect(dev.code).to.equal(1);
      expect(dev.output).to.include(`DEPLOYER_KEY or DEPLOYER_KEY_FILE: required on chain ${CHAIN_ID}`);
      expect(fs.existsSync(deploymentsFile), "a refused deployment wrote a deployments file").to.equal(false);
      counts.deployRefusals += 2;
    });

    it("deploys with an explicit deployer key and EXPECTED_CHAIN_ID, paying no gas", async function () {
      const exit = await runToExit("scripts/deploy.ts", deployEnv());
      expect(exit.code, exit.output).to.equal(0);
      expect(exit.output).to.include(`deploying to chain ${CHAIN_ID} at ${chain.url} from ${keys.deployer.address}`);
      expect(exit.output).to.not.include("dev accounts");
      deployment = readDeployment(deploymentsFile);
      expect(deployment.chainId).to.equal(String(CHAIN_ID));
      expect(deployment.roles).to.deep.equal({
        admin: keys.deployer.address,
        bank: keys.bankSigner.address,
        regulator: keys.regulatorSigner.address,
        fiscal,
        verifiers: [keys.bankVerifier.address, keys.regulatorVerifier.address],
        threshold: 2,
        treasury,
        governance: { members: governance, threshold: 2, delaySeconds: 172_800 },
        float: "100000000000",
      });
      expect(deployment.deployerKeeps).to.deep.equal([]);
      for (const address of Object.values(deployment.contracts))
        expect(await provider.getCode(address)).to.not.equal("0x");
      expect(await provider.getBalance(keys.deployer.address)).to.equal(0n);
    });

    it("refuses to overwrite the deployments file of a live deployment", async function () {
      const before = fs.readFileSync(deploymentsFile, "utf8");
      const exit = await runToExit("scripts/deploy.ts", deployEnv());
      expect(exit.code).to.equal(1);
      expect(exit.output).to.include(
        `DEPLOYMENTS_FILE: ${deploymentsFile} describes a live deployment on chain ${CHAIN_ID}`,
      );
      expect(fs.readFileSync(deploymentsFile, "utf8")).to.equal(before);
      counts.deployRefusals++;
    });
  });

  describe("the nodes' start-up checks", function () {
    it("reads keys from files and warns about one that other users can read", function () {
      for (const file of Object.values(keyFiles)) expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      const loose = path.join(dir, "keys", "loose.key");
      fs.writeFileSync(loose, `${keys.bankSigner.privateKey}\n`, { mode: 0o644 });
      fs.chmodSync(loose, 0o644);
      const config = loadConfig({ NODE_ROLE: "bank", ...nodeEnv("bank", { SIGNER_KEY_FILE: loose }) });
      expect(config.signerKey).to.equal(keys.bankSigner.privateKey);
      expect(config.warnings).to.deep.equal([
        `SIGNER_KEY_FILE: ${loose} can be read by other users (mode 0644); chmod 600 it`,
      ]);
      expect(loadConfig({ NODE_ROLE: "bank", ...nodeEnv("bank") }).warnings).to.deep.equal([]);
    });

    it("refuses to start off chain 31337 without EXPECTED_CHAIN_ID, without its keys, or with a chain id the deployment is not on", async function () {
      const unnamed = await refusedNode("bank", nodeEnv("bank", { EXPECTED_CHAIN_ID: undefined }));
      expect(unnamed).to.include(`configuration error: EXPECTED_CHAIN_ID: required on chain ${CHAIN_ID}`);
      const keyless = await refusedNode(
        "bank",
        nodeEnv("bank", { SIGNER_KEY_FILE: undefined, VERIFIER_KEY_FILE: undefined }),
      );
      expect(keyless).to.include(
        `configuration error: SIGNER_KEY(_FILE) and VERIFIER_KEY(_FILE): required on chain ${CHAIN_ID}`,
      );
      const mismatched = await refusedNode("bank", nodeEnv("bank", { EXPECTED_CHAIN_ID: String(OTHER_CHAIN_ID) }));
      expect(mismatched).to.include(
        `configuration error: EXPECTED_CHAIN_ID: is ${OTHER_CHAIN_ID} but ${deploymentsFile} is a deployment on chain ${CHAIN_ID}`,
      );
    });

    it("refuses a JSON-RPC endpoint that answers with another chain id", async function () {
      const output = await refusedNode("bank", nodeEnv("bank", { RPC_URL: otherChain.url }));
      expect(output).to.include(
        `configuration error: RPC_URL: the JSON-RPC node at ${otherChain.url} is chain ${OTHER_CHAIN_ID}, the deployment is for chain ${CHAIN_ID}`,
      );
    });

    it("starts while its endpoint is down, holds its chain work, and keeps it held when the endpoint turns out to have no contracts", async function () {
      const emptyUrl = `http://127.0.0.1:${PORT.sameIdNoContracts}`;
      const waiting = await startNodeProcess(
        "bank",
        nodeEnv("bank", { RPC_URL: emptyUrl, PORT: String(PORT.waiting), DATA_DIR: path.join(dir, "waiting") }),
      );
      nodes.push(waiting);
      const ready = await client(waiting.url).get("/ready");
      expect(ready.status).to.equal(503);
      expect(waiting.logs.join("")).to.include("the chain node does not answer");

      // Now a chain node appears there with the deployment's chain id, but it is another chain: none of the contracts.
      sameIdNoContracts = await startChainNode({ kind: "anvil", port: PORT.sameIdNoContracts, chainId: CHAIN_ID });
      counts.chainNodes++;
      await waitFor("the waiting node to find the endpoint is not the deployment's chain", async () =>
        waiting.logs.join("").includes("the chain endpoint is not the deployment's chain"),
      );
      const held = waiting.logs.join("");
      expect(held).to.include(`no contract code at SettlementToken ${deployment.contracts.SettlementToken}`);
      expect(held).to.not.include("key check");
      const stillNotReady = await client(waiting.url).get("/ready");
      expect(stillNotReady.status).to.equal(503);
      expect(stillNotReady.body.detail).to.include("no contract code at");
      await waiting.stop();
      counts.nodeRefusals++;
    });

    it("refuses at start-up an endpoint with the deployment's chain id but none of its contracts", async function () {
      const output = await refusedNode("regulator", {
        ...nodeEnv("regulator", { RPC_URL: sameIdNoContracts!.url }),
        BANK_NODE_URL: `http://127.0.0.1:${PORT.bank}`,
        BANK_NODE_API_KEY: "qfm_not-used-before-the-refusal",
      });
      expect(output).to.include(`configuration error: RPC_URL: no contract code at SettlementToken`);
      expect(output).to.include(`on ${sameIdNoContracts!.url} (chain ${CHAIN_ID})`);
    });

    it("finds keys that would make writes fail: a transaction key and a verifier key swapped", async function () {
      const swapped = createChain({ deployment, rpcUrl: chain.url, signerKey: keys.bankVerifier.privateKey });
      try {
        expect(await keyProblems(swapped, "bank", keys.bankSigner.address)).to.deep.equal([
          `the transaction key ${keys.bankVerifier.address} does not hold BANK_ROLE on FacilityManager`,
          `the transaction key ${keys.bankVerifier.address} does not hold ANCHORER_ROLE on EvidenceRegistry`,
          `the transaction key ${keys.bankVerifier.address} does not hold PAYEE_ADMIN_ROLE on PayeeRegistry`,
          `the verifier key ${keys.bankSigner.address} is not in the EvidenceRegistry's verifier set`,
        ]);
      } finally {
        swapped.close();
      }
    });
  });

  describe("the bank node and the regulator node, each with its own keys and PostgreSQL database", function () {
    let bank: NodeProcess;
    let regulator: NodeProcess;
    let officer: ReturnType<typeof client>;
    let inspector: ReturnType<typeof client>;
    const vendor = Wallet.createRandom().address;
    const borrower = Wallet.createRandom().address;
    const amount = "100000000"; // 1,000,000.00 CNY in fen

    before(async function () {
      const [bankDb, regulatorDb] = [emptyDatabase("postgresql"), emptyDatabase("postgresql")];
      databases.push(bankDb, regulatorDb);
      const bankEnv = nodeEnv("bank", {
        PORT: String(PORT.bank),
        DATA_DIR: path.join(dir, "bank"),
        DATABASE_URL: bankDb.url,
        BATCH_MAX_AGE_MS: "500",
        REVIEW_CHECK_MS: "0",
      });
      bank = await startNodeProcess("bank", bankEnv);
      nodes.push(bank);
      officer = client(bank.url, issueKey(bankEnv, "bank", "bank_officer", "officer"));
      const regulatorEnv = nodeEnv("regulator", {
        PORT: String(PORT.regulator),
        DATA_DIR: path.join(dir, "regulator"),
        DATABASE_URL: regulatorDb.url,
        BANK_NODE_URL: bank.url,
        BANK_NODE_API_KEY: issueKey(bankEnv, "bank", "regulator", "regulator-node"),
        REGISTRY_SEED_FILE: path.join(ROOT, "seed", "regulator-registry.json"),
      });
      regulator = await startNodeProcess("regulator", regulatorEnv);
      nodes.push(regulator);
      inspector = client(regulator.url, issueKey(regulatorEnv, "regulator", "regulator", "inspector"));
    });

    /** Until neither node has a chain write waiting. */
    async function quiesce() {
      await waitFor("both nodes' outboxes empty", async () => {
        const [b, r] = await Promise.all([client(bank.url).get("/ready"), client(regulator.url).get("/ready")]);
        return b.body.outboxPending === 0 && r.body.outboxPending === 0;
      });
    }

    it("migrated each node's own PostgreSQL schema at start-up and found its keys fit the chain", async function () {
      for (const node of [bank, regulator]) {
        const ready = await client(node.url).get("/ready");
        expect(ready.status, JSON.stringify(ready.body)).to.equal(200);
        expect(ready.body).to.include({ role: node.role, database: "postgresql" });
        expect(ready.body.chain.chainId).to.equal(String(CHAIN_ID));
        const logs = node.logs.join("");
        expect(logs).to.match(/applied postgresql migration 0001_/);
        await waitFor(`the ${node.role} node's key check`, async () => node.logs.join("").includes("key check"));
        expect(node.logs.join("")).to.include("key check passed").and.not.include("key check failed");
        expect(logs).to.not.include("development keys");
      }
      expect(databases[0].url).to.not.equal(databases[1].url);
    });

    it("registers a payee and creates and funds a facility with the bank's transaction key", async function () {
      const payee = await officer.post("/payees", {
        address: vendor,
        name: "Ningbo Precision CNC Equipment",
        creditCode: SUPPLIER_LICENCE,
        category: "EQUIPMENT",
        licenceHash: `0x${"ab".repeat(32)}`,
      });
      expect(payee.status, JSON.stringify(payee.body)).to.equal(201);
      expect(payee.body.chainStatus).to.equal("CONFIRMED");
      const imported = await inspector.post("/whitelist/import", {
        csv: "creditCode,name,grade,credit,management,brand,foundation,innovation\n91330206MA2AAAAA1X,Ningbo Yongxin Bearings,B,86,80,72,84,77\n",
      });
      expect(imported.body, JSON.stringify(imported.body)).to.include({ imported: 1 });
      // The regulator's own record of the borrower's account: its spot checks are checked against it.
      const firm = await inspector.post("/registry/records", {
        type: "FIRM_ACCOUNT",
        reference: borrower,
        holder: "Ningbo Yongxin Bearings Co., Ltd.",
        holderCreditCode: "91330206MA2AAAAA1X",
      });
      expect(firm.status, JSON.stringify(firm.body)).to.equal(201);
      await recordAccounts(inspector, [[vendor, SUPPLIER_LICENCE]]); // the payee's account, the licence holder's
      const created = await officer.post("/facilities", {
        borrower,
        borrowerName: "Ningbo Yongxin Bearings",
        creditCode: "91330206MA2AAAAA1X",
        creditLimit: amount,
        plan: [
          {
            payee: vendor,
            category: "EQUIPMENT",
            amount,
            qualityPurpose: true,
            requiredEvidence: ["PURCHASE_CONTRACT", "INVOICE"],
          },
        ],
      });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      expect(created.body.facilityId).to.equal("1");
      await quiesce();
      const facility = await officer.get("/facilities/1");
      expect(facility.body.chain).to.include({ status: "ACTIVE", funded: amount, balance: amount });
    });

    it("anchors the evidence; both nodes verify it on chain and the quorum of two releases the payment", async function () {
      const blocked = await officer.post("/facilities/1/payments/0", {});
      expect(blocked.status).to.equal(409);
      const evidenceIds: string[] = [];
      for (const kind of ["PURCHASE_CONTRACT", "INVOICE"]) {
        const uploaded = await officer.upload(
          { facilityId: "1", kind, metadata: JSON.stringify({ supplierLicence: SUPPLIER_LICENCE }) },
          { name: `${kind}.pdf`, type: "application/pdf", bytes: pdf(`${kind} for facility 1`) },
        );
        expect(uploaded.status, JSON.stringify(uploaded.body)).to.equal(201);
        evidenceIds.push(uploaded.body.evidenceId);
      }
      const registry = EvidenceRegistry__factory.connect(deployment.contracts.EvidenceRegistry, provider);
      await waitFor(
        "both verdicts of both documents on chain",
        async () => {
          const verdicts = (
            await Promise.all(
              evidenceIds.map((id) =>
                chainVerdicts(
                  registry,
                  id,
                  [keys.bankVerifier.address, keys.regulatorVerifier.address],
                  leafFromNode(officer),
                ),
              ),
            )
          ).flat();
          return verdicts.every((verdict) => verdict === Verdict.ACCEPT);
        },
        180_000,
        500,
      );
      for (const id of evidenceIds) {
        const verifiers = [keys.bankVerifier.address, keys.regulatorVerifier.address];
        expect(await verifiedOnChain(registry, id, verifiers, leafFromNode(officer))).to.equal(true);
      }
      counts.documentsVerified += evidenceIds.length;
      counts.verdictsOnChain += evidenceIds.length * 2;

      await quiesce();
      const paid = await officer.post("/facilities/1/payments/0", {});
      expect(paid.status, JSON.stringify(paid.body)).to.equal(200);
      const token = SettlementToken__factory.connect(deployment.contracts.SettlementToken, provider);
      expect(await token.balanceOf(vendor)).to.equal(BigInt(amount));
      expect(await token.balanceOf(borrower)).to.equal(0n);
      counts.payments++;
    });

    it("freezes the facility with the regulator's transaction key after a failed spot check", async function () {
      const failed = await inspector.post("/spot-checks", {
        facilityId: "1",
        result: "FAIL",
        reportNumber: "NB-SC-2026-0044",
        findings: "pass rate 91.2%",
      });
      expect(failed.status, JSON.stringify(failed.body)).to.equal(201);
      expect(failed.body).to.include({ frozen: true, facilityStatus: "FROZEN" });
      const freeze = await provider.getTransaction(failed.body.freezeTx);
      expect(freeze!.from).to.equal(keys.regulatorSigner.address);
      const manager = FacilityManager__factory.connect(deployment.contracts.FacilityManager, provider);
      expect((await manager.facility(1n)).status).to.equal(FacilityStatus.FROZEN);
      counts.freezes++;
    });

    it("sent every write from the configured keys, the attestations from the verifier keys, and spent no ether", async function () {
      await quiesce();
      const sent = Object.fromEntries(
        await Promise.all(
          Object.entries(keys).map(async ([name, wallet]) => [
            name,
            await provider.getTransactionCount(wallet.address),
          ]),
        ),
      ) as Record<keyof typeof keys, number>;
      // Each verifier relays its own leaf registrations and attestations (the outbox's RELAY lane), so the signers'
      // accounts stay free for the regulator's controls.
      expect(sent.bankVerifier).to.be.greaterThan(0);
      expect(sent.regulatorVerifier).to.be.greaterThan(0);
      expect(sent.deployer).to.be.greaterThan(4);
      // The payee, the facility, its funding, the anchor and the payment (the relays went from the bank's verifier key).
      expect(sent.bankSigner).to.be.at.least(5);
      expect(sent.regulatorSigner).to.be.greaterThan(0);
      counts.transactions = Object.values(sent).reduce((a, b) => a + b, 0);
      // Fresh keys that never received ether sent every transaction: gas cost nothing.
      for (const wallet of Object.values(keys)) counts.keysEtherWei += await provider.getBalance(wallet.address);
      expect(counts.keysEtherWei).to.equal(0n);
    });

    it("rebuilds the facility's audit report from the chain alone, equal to the bank node's", async function () {
      let live: any;
      await waitFor("the bank node's audit report to show the freeze", async () => {
        live = (await officer.get("/facilities/1/audit")).body;
        return live.freezes?.length === 1;
      });
      const rebuilt = await runToExit("scripts/report.ts", { DEPLOYMENTS_FILE: deploymentsFile, RPC_URL: chain.url }, [
        "--facility",
        "1",
        "--rebuild",
      ]);
      expect(rebuilt.code, rebuilt.output).to.equal(0);
      const report = JSON.parse(rebuilt.stdout);
      expect(report).to.deep.equal(live);
      expect(report.payments).to.have.length(1);
      counts.auditReportsRebuilt++;
    });
  });
});
