import { expect } from "chai";
import { Wallet } from "ethers";
import fs from "node:fs";
import path from "node:path";
import { freePort } from "../../scripts/bench/lib/system";
import { deploy } from "../../scripts/deploy";
import { startChainNode, type ChainNode } from "../../scripts/lib/chain-node";
import { devWallet, parseDeployConfig } from "../../scripts/lib/deploy-config";
import { changesBetween, openNodeState, readChainState, type ChainState, type NodeState } from "../helpers/nodeState";
import { operationsOf, type Operation } from "../helpers/openApiFaults";
import { client, issueKey, startNodeProcess, tempDir, waitFor, type NodeProcess } from "../helpers/processes";
import {
  createCorpus,
  facilityBody,
  invoiceMetadata,
  pdf,
  seededFirm,
  type Case,
  type NodeName,
  type Seeded,
} from "./inputs.corpus";
import { hostileCases } from "./inputs.hostile";
import { uploadCases } from "./inputs.uploads";

const ROOT = path.resolve(__dirname, "..", "..");
/** This file's ports: the kernel's picks, taken when the suite starts. */
let PORTS: { chain: number; bank: number; regulator: number };
const UPLOAD_MAX_BYTES = 256 * 1024;
/** The fast-check seed of the random values (INPUTS_SEED to replay another run); the tally prints it. */
const SEED = Number(process.env.INPUTS_SEED ?? 20260401);
const NODES = ["bank", "regulator"] as const;

type State = Record<string, NodeState | ChainState>;

interface Reply {
  status: number;
  contentType: string;
  text: string;
  body: any;
}

/**
 * A bad-input corpus against real processes: a `hardhat node`, the bank node and the regulator node, each with its own
 * SQLite database. Some two thousand cases are generated from each node's live /openapi.json (inputs.corpus.ts: every
 * parameter and body field broken every way its schema allows, random values, the body as a whole, unknown ids), and
 * about a hundred are written by hand (inputs.hostile.ts, inputs.uploads.ts). Each is sent with a key of a role the
 * operation allows, so validation and not authorization answers (a few go without one), and each must get a 4xx
 * problem+json whose detail names what is wrong, never a 5xx, with the node healthy after it and nothing changed: after
 * every case every table of both databases, both document stores, the block number and the nodes' four account nonces
 * (so no outbox sent anything) are compared with the state before the corpus. No table is left out: none changes on a
 * refused request (API keys are looked up, never written; the indexer and the verifiers write only on new blocks).
 * INPUTS_VERBOSE=1 prints every case with its answer.
 */
describe("bad input against both nodes, generated from their OpenAPI documents", function () {
  this.timeout(900_000);
  let dir: string;
  let chainNode: ChainNode;
  const nodes = {} as Record<NodeName, NodeProcess>;
  const keys = {} as Record<NodeName, Record<string, string>>;
  let corpus: ReturnType<typeof createCorpus>;
  let seeded: Seeded;
  let readState: () => Promise<State>;
  let baseline: State;
  const closers: Array<() => void> = [];
  /** When the suite's first hook ran (mocha loads every file before it runs any). */
  let started = 0;
  const tally = {
    byOperation: new Map<string, number>(),
    byCategory: new Map<string, number>(),
    statuses: new Map<number, number>(),
    serverErrors: 0,
    failures: 0,
    tables: {} as Record<NodeName, string[]>,
  };

  before(async function () {
    started = Date.now();
    dir = tempDir("inputs");
    PORTS = { chain: await freePort(), bank: await freePort(), regulator: await freePort() };
    chainNode = await startChainNode({ kind: "hardhat", port: PORTS.chain });
    const deploymentsFile = path.join(dir, "deployment.json");
    await deploy(parseDeployConfig({ RPC_URL: chainNode.url, DEPLOYMENTS_FILE: deploymentsFile }), () => undefined);
    const common = {
      DEPLOYMENTS_FILE: deploymentsFile,
      POLL_INTERVAL_MS: "200",
      LOG_LEVEL: "warn",
      // High enough that no 429 masks what validation answers.
      RATE_LIMIT_PER_MINUTE: "1000000",
      UPLOAD_QUOTA_PER_MINUTE: "1000000",
      UPLOAD_MAX_BYTES: String(UPLOAD_MAX_BYTES),
    };
    const env = {
      bank: { ...common, PORT: String(PORTS.bank), DATA_DIR: path.join(dir, "bank"), BATCH_MAX_AGE_MS: "300" },
      regulator: {
        ...common,
        PORT: String(PORTS.regulator),
        DATA_DIR: path.join(dir, "regulator"),
        BANK_NODE_URL: `http://127.0.0.1:${PORTS.bank}`,
        REGISTRY_SEED_FILE: path.join(ROOT, "seed", "regulator-registry.json"),
      },
    };
    keys.bank = {
      bank_officer: issueKey(env.bank, "bank", "bank_officer", "officer"),
      regulator: issueKey(env.bank, "bank", "regulator", "regulator-node"),
      // The subsidy routes are the fiscal account's alone.
      fiscal: issueKey(env.bank, "bank", "fiscal", "subsidy-desk", "Ningbo Finance Bureau"),
    };
    keys.regulator = { regulator: issueKey(env.regulator, "regulator", "regulator", "inspector") };
    // No scheduled review: the state must hold still while the corpus runs.
    nodes.bank = await startNodeProcess("bank", { ...env.bank, REVIEW_CHECK_MS: "0" });
    nodes.regulator = await startNodeProcess("regulator", { ...env.regulator, BANK_NODE_API_KEY: keys.bank.regulator });

    seeded = await seed();
    const states = { bank: openNodeState(env.bank.DATA_DIR), regulator: openNodeState(env.regulator.DATA_DIR) };
    closers.push(states.bank.close, states.regulator.close);
    tally.tables = { bank: states.bank.tables, regulator: states.regulator.tables };
    const accounts = (["bank", "bankVerifier", "regulator", "regulatorVerifier"] as const).map(
      (role) => devWallet(role).address,
    );
    readState = async () => ({
      bank: states.bank.read(),
      regulator: states.regulator.read(),
      chain: await readChainState(chainNode.url, accounts),
    });
    baseline = await quiet();

    const operations = {} as Record<NodeName, Operation[]>;
    for (const node of NODES) {
      const doc = await client(nodes[node].url).get("/openapi.json");
      expect(doc.status).to.equal(200);
      operations[node] = operationsOf(doc.body);
    }
    corpus = createCorpus({ seeded, operations, keys });
  });

  after(async function () {
    for (const close of closers) close();
    for (const node of NODES)
      if (nodes[node]) fs.writeFileSync(path.join(dir, `${node}.log`), nodes[node].logs.join(""));
    await nodes.regulator?.stop();
    await nodes.bank?.stop();
    await chainNode?.stop();
    printTally();
    if (this.test?.parent?.tests.every((test) => test.state === "passed"))
      fs.rmSync(dir, { recursive: true, force: true });
    else console.log(`    kept ${dir} (the nodes' logs are bank.log and regulator.log there)`);
  });

  /** A payee, a white-listed borrower, facility 1, a document anchored and verified by both nodes, an approval. */
  async function seed(): Promise<Seeded> {
    const officer = client(nodes.bank.url, keys.bank.bank_officer);
    const created = async (reply: Promise<{ status: number; body: any }>, status = 201) => {
      const { status: got, body } = await reply;
      expect(got, JSON.stringify(body)).to.equal(status);
      return body;
    };
    const payee = Wallet.createRandom().address;
    await created(
      officer.post("/payees", {
        address: payee,
        name: "Ningbo Precision CNC Equipment",
        creditCode: "91330200MA2H8K3X1Y",
        category: "EQUIPMENT",
        licenceHash: `0x${"ab".repeat(32)}`,
      }),
    );
    // The regulator imports its white list and publishes the signed entries to the bank node.
    const published = await created(
      client(nodes.regulator.url, keys.regulator.regulator).post("/whitelist/import", { entries: [seededFirm] }),
      200,
    );
    if (!published.bankNode?.published) throw new Error(`white list not published: ${JSON.stringify(published)}`);
    const facility = await created(officer.post("/facilities", facilityBody(payee)));
    const uploaded = await created(
      officer.upload(
        { facilityId: facility.facilityId, kind: "INVOICE", metadata: JSON.stringify(invoiceMetadata) },
        { name: "invoice.pdf", type: "application/pdf", bytes: pdf("seeded invoice") },
      ),
    );
    const inspector = client(nodes.regulator.url, keys.regulator.regulator);
    await waitFor(
      "the seeded document anchored and both nodes' verdicts on chain",
      async () => {
        const [document, ...verdicts] = await Promise.all([
          officer.get(`/documents/${uploaded.id}`),
          officer.get("/verifications"),
          inspector.get("/verifications"),
        ]);
        const submitted = verdicts.every((list) => list.body.items.some((v: { submitted: boolean }) => v.submitted));
        return document.body.status === "ANCHORED" && submitted;
      },
      120_000,
    );
    // The period from the facility's opening to the chain's time, as the bank fills it in: proposed once the anchoring
    // and the verdicts have moved the chain past the opening block (in the opening's second it would be empty, 422).
    const review = await created(officer.post(`/facilities/${facility.facilityId}/reviews`, {}));
    const { body: document } = await officer.get(`/documents/${uploaded.id}`);
    return {
      facilityId: facility.facilityId,
      payee,
      document: { id: document.id, evidenceId: document.evidenceId, root: document.anchor.root, salt: document.salt },
      approvalId: review.approval.id,
      firm: seededFirm.creditCode,
    };
  }

  /** Waits until both nodes have nothing left to do: no chain write pending, and their state the same 2 s apart. */
  async function quiet(): Promise<State> {
    let previous: State | undefined;
    let current: State | undefined;
    await waitFor(
      "both nodes idle (no outbox job pending, state unchanged for 2 s)",
      async () => {
        const ready = await Promise.all(NODES.map((node) => client(nodes[node].url).get("/ready")));
        [previous, current] = [current, await readState()];
        const idle = ready.every((reply) => reply.body.outboxPending === 0);
        return idle && previous !== undefined && changesBetween(previous, current).length === 0;
      },
      120_000,
      2_000,
    );
    return current!;
  }

  async function send(c: Case): Promise<Reply> {
    const headers = new Headers(c.headers);
    if (c.key) headers.set("authorization", `Bearer ${c.key}`);
    const response = await fetch(`${nodes[c.node].url}${c.path}`, {
      method: c.method.toUpperCase(),
      headers,
      body: c.body,
      redirect: "manual",
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, contentType: response.headers.get("content-type") ?? "", text, body };
  }

  /** What is wrong with the answer to a bad input; nothing when it is the problem expected. */
  function judge(c: Case, reply: Reply): string[] {
    const wrong: string[] = [];
    if (reply.status < 400 || reply.status >= 500) wrong.push(`answered ${reply.status}, not a 4xx`);
    else if (c.expect.status !== undefined && reply.status !== c.expect.status)
      wrong.push(`answered ${reply.status}, expected ${c.expect.status}`);
    if (!/^application\/problem\+json/.test(reply.contentType))
      wrong.push(`content type ${reply.contentType || "none"}`);
    const problem = reply.body;
    if (!problem || typeof problem !== "object") return [...wrong, "no problem body"];
    if (problem.status !== reply.status) wrong.push(`problem status ${problem.status}`);
    if (typeof problem.code !== "string" || problem.code === "") wrong.push("no code");
    else if (c.expect.code !== undefined && problem.code !== c.expect.code)
      wrong.push(`code ${problem.code}, expected ${c.expect.code}`);
    if (typeof problem.detail !== "string" || problem.detail.trim() === "") wrong.push("no detail");
    else if (c.expect.mentions !== undefined && !problem.detail.includes(c.expect.mentions))
      wrong.push(`the detail does not mention ${JSON.stringify(c.expect.mentions)}`);
    return wrong;
  }

  /**
   * Sends every case in turn and checks, after each, the answer, the node's health and the whole state; fails with
   * every case that went wrong.
   */
  async function run(cases: Case[]) {
    expect(cases.length).to.be.greaterThan(0);
    const failures: string[] = [];
    for (const c of cases) {
      const label = `${c.node} ${c.method.toUpperCase()} ${c.path.slice(0, 100)} [${c.category}] ${c.label}`;
      const count = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);
      count(tally.byOperation, `${c.node} ${c.operation}`);
      count(tally.byCategory, c.category);
      let reply: Reply;
      try {
        reply = await send(c);
      } catch (error) {
        failures.push(`${label}: no answer (${(error as Error).message})`);
        continue;
      }
      count(tally.statuses, reply.status);
      if (reply.status >= 500) tally.serverErrors++;
      if (process.env.INPUTS_VERBOSE) console.log(`      ${reply.status} ${label}`);
      const wrong = judge(c, reply);
      const health = await fetch(`${nodes[c.node].url}/health`).then(
        (r) => r.status,
        (error: Error) => error.message,
      );
      if (health !== 200) wrong.push(`the node is not healthy afterwards (${health})`);
      const changes = changesBetween(baseline, await readState());
      if (changes.length > 0) {
        wrong.push(`state changed: ${changes.join("; ")}`);
        baseline = await quiet(); // so that the next case is judged on its own
      }
      if (wrong.length > 0) failures.push(`${label}: ${wrong.join("; ")} — ${reply.text.slice(0, 300)}`);
      if (typeof health !== "number") throw new Error(`${label}: the ${c.node} node is down (${health})`);
    }
    tally.failures += failures.length;
    if (failures.length > 0) expect.fail(`${failures.length} case(s) failed:\n${failures.slice(0, 80).join("\n")}`);
  }

  it("answers every schema fault of every operation with a 400 problem naming the field", async function () {
    const cases = NODES.flatMap(corpus.generated);
    expect(cases.length, "generated cases").to.be.greaterThan(1_000);
    await run(cases);
  });

  it("answers random values the document forbids with a 400 problem naming the field", async function () {
    await run(NODES.flatMap((node) => corpus.fuzzed(node, SEED, 3)));
  });

  it("answers 404 to well-formed ids that name nothing, on every path parameter", async function () {
    await run(NODES.flatMap(corpus.unknownIds));
  });

  it("answers hand-written hostile input with the 4xx problem that says what is wrong", async function () {
    await run([...hostileCases({ seeded, keys }), ...uploadCases({ seeded, keys, uploadMaxBytes: UPLOAD_MAX_BYTES })]);
  });

  it("leaves both nodes without a server error, and every table, store, nonce and outbox as it was", async function () {
    // A write some case queued would show here once the outboxes had time to send it.
    expect(changesBetween(baseline, await quiet())).to.deep.equal([]);
    expect(tally.serverErrors, "5xx answers").to.equal(0);
    for (const node of NODES) {
      const errors = nodes[node].logs
        .join("")
        .split("\n")
        .filter((line) => /"level":50/.test(line));
      expect(errors, `error logs of the ${node} node`).to.deep.equal([]);
    }
  });

  function printTally() {
    const lines = (map: Map<string | number, number>) =>
      [...map.entries()]
        .sort(([a], [b]) => String(a).localeCompare(String(b), "en", { numeric: true }))
        .map(([name, n]) => `      ${String(n).padStart(5)}  ${name}`);
    const total = [...tally.byOperation.values()].reduce((sum, n) => sum + n, 0);
    const tables = NODES.map(
      (node) => `${node} ${tally.tables[node]?.length ?? 0} (${tally.tables[node]?.join(", ")})`,
    );
    console.log(
      [
        "",
        "    bad-input corpus",
        "    cases per operation:",
        ...lines(tally.byOperation),
        "    cases per category:",
        ...lines(tally.byCategory),
        `    total cases: ${total} (random values from fast-check seed ${SEED})`,
        "    statuses seen:",
        ...lines(tally.statuses),
        `    5xx answers: ${tally.serverErrors}`,
        `    failed cases: ${tally.failures}`,
        `    compared after every case: tables ${tables.join(", ")}; both document stores; the block number;`,
        "      the nonces of the bank's and the regulator's signer and verifier accounts",
        `    duration: ${((Date.now() - started) / 1000).toFixed(1)} s`,
      ].join("\n"),
    );
  }
});
