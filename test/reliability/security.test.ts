/**
 * Security against the running system (npm run test:reliability): a `hardhat node` chain process, the bank node and
 * the regulator node as real processes (on free ports), each with its own SQLite database, documents and keys.
 *
 * 1. The authorization matrix of test/helpers/authorizationMatrix.ts (the routes, samples and expectations the
 *    in-process test/server/authorization.test.ts uses) on both nodes, and the regulator's routes again through the
 *    bank node's dashboard proxy; a key revoked with the admin command while the node runs.
 * 2. EIP-712 signatures wherever they enter: the verifiers' attestations and revocations (relayed by anyone), the joint
 *    reviews and unfreezes (relayed by anyone), and the regulator's co-signature the bank node takes over its API. Each
 *    replay, expired deadline, foreign chain id, foreign verifying contract and wrong signer is refused by the contract
 *    on the chain node (its custom error decoded) and, where a node takes the signature, by the node with a 4xx.
 * 3. Documents swapped on disk once their hash was sealed for anchoring, of every kind, batched or alone: both nodes
 *    reject them as tampered on chain, and the public /verify finds the anchored original, not the bytes on disk.
 * 4. The bank node's database altered behind its back (SQL on its SQLite file): a payee's address, a facility's plan,
 *    a document's hashes, facility and kind, a joint decision's message. Money only ever reaches the payee registered
 *    on chain; no token ever reaches the attacker's address.
 *
 * Each test prints what it checked; the suite prints the totals. SECURITY_LOGS=1 prints the nodes' warnings.
 */
import { expect } from "chai";
import Sqlite from "better-sqlite3";
import { Wallet, hexlify, id as keccakText, randomBytes, sha256, type JsonRpcSigner, type Signer } from "ethers";
import fs from "node:fs";
import path from "node:path";
import { freePort } from "../../scripts/bench/lib/system";
import { devWallet } from "../../scripts/lib/deploy-config";
import { CATALOGUE, PRINCIPALS, checkRoute, routeTitle, type NodeRole } from "../helpers/authorizationMatrix";
import { chainVerdicts, leafFromNode, verifiedOnChain, type Leaf } from "../helpers/chainVerdicts";
import { Status, Verdict } from "../helpers/constants";
import { startLiveSystem, type LiveSystem } from "../helpers/liveSystem";
import { recordAccounts } from "../helpers/liveFacility";
import { client, issueKeyWithId, revokeKey, waitFor } from "../helpers/processes";
import {
  TENANT_LISTS,
  TENANT_ROUTES,
  checkTenantLists,
  checkTenantRoute,
  setUpTenancy,
  tenantsOf,
  type Owned,
  type Party,
} from "../helpers/tenantMatrix";
import { revertError } from "../helpers/revertReasons";
import { sealWhiteList, whiteListDomain } from "../../server/whitelist/signatures";
import {
  signAttestation,
  signReview,
  signRevocation,
  signUnfreeze,
  type Review,
  type Unfreeze,
} from "../helpers/signatures";

const HOUR = 3_600n;
const ACCEPT = BigInt(Verdict.ACCEPT);
const REJECT = BigInt(Verdict.REJECT);

/** Supplier, lab, patent and inspection references the regulator's registry (seed/regulator-registry.json) holds. */
const REFERENCES = {
  equipment: "91330200MA2H8K3X1Y",
  materials: "91330201MA2J4L7P2Q",
  lab: "CNAS-L12345",
  patent: "CN202610654321.0",
  inspection: "NB-SC-2026-0042",
};

/** Metadata of each kind that the regulator's record checks accept: a rejection can only come from the bytes. */
const METADATA = {
  PURCHASE_CONTRACT: { supplierLicence: REFERENCES.equipment },
  INVOICE: { supplierLicence: REFERENCES.equipment },
  DELIVERY_NOTE: { supplierLicence: REFERENCES.equipment },
  INSPECTION_REPORT: {
    labLicence: REFERENCES.lab,
    reportNumber: "R-2026-0917",
    unitsTested: 12_000,
    unitsPassed: 11_880,
  },
  // The certificate is the lab payee's own (the regulator binds the licence to the payee account the document names).
  CERTIFICATION: { labLicence: REFERENCES.lab },
  PATENT_FILING: { patentNumber: REFERENCES.patent },
  SPOT_CHECK_REPORT: { reportNumber: REFERENCES.inspection },
} as const;
type Kind = keyof typeof METADATA;
const KINDS = Object.keys(METADATA) as Kind[];

/** A file of each accepted type, with `text` in it so that every file is distinct. */
const FILE_TYPES = {
  pdf: { type: "application/pdf", bytes: (text: string) => Buffer.from(`%PDF-1.7\n% ${text}\n%%EOF\n`) },
  json: { type: "application/json", bytes: (text: string) => Buffer.from(JSON.stringify({ document: text })) },
  xml: { type: "application/xml", bytes: (text: string) => Buffer.from(`<?xml version="1.0"?><doc>${text}</doc>`) },
  png: {
    type: "image/png",
    bytes: (text: string) => Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), Buffer.from(text)]),
  },
};
type FileType = keyof typeof FILE_TYPES;

interface Uploaded {
  id: string;
  evidenceId: string;
  contentHash: string;
  salt: string;
  facilityId: string;
  counterparty: string;
  kind: Kind;
  type: FileType;
  bytes: Buffer;
}

/** A transaction someone relays: the contract call, or a node's own transaction sent again byte for byte. */
type Relayed = { to: string | null; data: string };

const yuan = (amount: number) => (BigInt(amount) * 100n).toString();
const say = (line: string) => console.log(`      ${line}`);
const distinct = (names: string[]) => [...new Set(names)].join(", ");

describe("security against the running system", function () {
  this.timeout(600_000);
  /** When the suite's first hook ran (mocha loads every file before it runs any). */
  let started = 0;
  const tally = {
    cells: 0,
    tenantCells: 0,
    whiteList: 0,
    chainSignatures: 0,
    apiSignatures: 0,
    swapped: 0,
    tampering: 0,
  };
  let system: LiveSystem;
  let failed = false;
  /** An account of the chain node's own (funded, unlocked) that relays what others signed, as anyone may. */
  let relayer: JsonRpcSigner;
  const url = (node: NodeRole) => system.nodes[node].url;
  const as = (node: NodeRole, role: "bank_officer" | "regulator") => client(url(node), system.keys[node].active[role]);

  before(async function () {
    started = Date.now();
    system = await startLiveSystem({
      name: "security",
      // Free ports: other suites (and other checkouts) run at the same time.
      ports: { chain: await freePort(), bank: await freePort(), regulator: await freePort() },
      env: { POLL_INTERVAL_MS: "200", RATE_LIMIT_PER_MINUTE: "100000" },
      bankEnv: { BATCH_MAX_AGE_MS: "500", REVIEW_CHECK_MS: "0" },
    });
    relayer = await system.provider.getSigner(9);
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") failed = true;
  });

  after(async function () {
    const seconds = Math.round((Date.now() - started) / 1000);
    console.log(
      `\n      security: ${tally.cells} authorization cells; ${tally.tenantCells} tenant cells; ${tally.whiteList} white-list edits refused; ${tally.chainSignatures + tally.apiSignatures} signatures ` +
        `refused (${tally.chainSignatures} by the contracts, ${tally.apiSignatures} by the nodes); ${tally.swapped} ` +
        `documents swapped on disk; ${tally.tampering} tampering attempts refused; ${seconds} s`,
    );
    if (process.env.SECURITY_LOGS || failed) {
      for (const node of ["bank", "regulator"] as const) {
        const warnings = system?.nodes[node]?.logs
          .join("")
          .split("\n")
          .filter((line) => /"level":(40|50)/.test(line));
        console.log(`--- ${node} node warnings ---\n${warnings?.slice(-40).join("\n")}`);
      }
    }
    await system?.stop();
    if (!system) return;
    if (failed) console.log(`      kept ${system.dir}`);
    else fs.rmSync(system.dir, { recursive: true, force: true });
  });

  /** Waits until both nodes have nothing left to write and no document waits for a batch. */
  async function quiesce(): Promise<void> {
    await waitFor(
      "both nodes idle",
      async () => {
        const [bank, regulator, queued] = await Promise.all([
          client(url("bank")).get("/ready"),
          client(url("regulator")).get("/ready"),
          as("bank", "bank_officer").get("/documents?status=QUEUED&limit=1"),
        ]);
        return bank.body.outboxPending === 0 && regulator.body.outboxPending === 0 && queued.body.items.length === 0;
      },
      120_000,
    );
  }

  describe("the authorization matrix on the running nodes", function () {
    after(function () {
      const rows = CATALOGUE.bank.length + 2 * CATALOGUE.regulator.length;
      say(
        `${rows} routes (bank ${CATALOGUE.bank.length}, regulator ${CATALOGUE.regulator.length}, regulator through the proxy ${CATALOGUE.regulator.length}) × ${PRINCIPALS.length} principals + 2 revocations while running = ${tally.cells} cells`,
      );
    });

    it("serves exactly the catalogue's routes on both nodes", async function () {
      for (const node of ["bank", "regulator"] as const) {
        const { body } = await client(url(node)).get("/openapi.json");
        const paths = body.paths as Record<string, Record<string, { operationId: string }>>;
        const served = Object.entries(paths).flatMap(([route, operations]) =>
          Object.entries(operations).map(([method, operation]) => `${method} ${route} ${operation.operationId}`),
        );
        const catalogued = CATALOGUE[node].map(
          (route) => `${route.method} ${route.path.replace(/:(\w+)/g, "{$1}")} ${route.operationId}`,
        );
        expect(served.sort(), node).to.deep.equal(catalogued.sort());
      }
    });

    const matrix = (node: NodeRole, via: "direct" | "proxy") =>
      function () {
        for (const route of CATALOGUE[node]) {
          it(routeTitle(route), async function () {
            const base = via === "direct" ? url(node) : `${url("bank")}/regulator-api`;
            const failures = await checkRoute(base, route, system.keys[node]);
            tally.cells += PRINCIPALS.length;
            expect(failures, routeTitle(route)).to.deep.equal([]);
          });
        }
      };
    describe("on the bank node", matrix("bank", "direct"));
    describe("on the regulator node", matrix("regulator", "direct"));
    // The dashboard reaches the regulator through the bank node, which forwards the caller's key and adds no authority.
    describe("on the regulator node through the bank node's /regulator-api proxy", matrix("regulator", "proxy"));

    it("refuses a key the admin command revoked while the node runs, once the node's cached lookup expires", async function () {
      for (const node of ["bank", "regulator"] as const) {
        const { env } = system.nodes[node];
        const { id, key } = issueKeyWithId(env, node, "regulator", "revoked-while-running");
        const caller = client(url(node), key);
        expect((await caller.get("/verifications")).status, node).to.equal(200); // now in the node's key cache
        revokeKey(env, node, id);
        const revokedAt = Date.now();
        const refused = async () => (await caller.get("/verifications")).status === 401;
        await waitFor(`the revocation on the ${node} node`, refused, 15_000, 100);
        // createApiKeys looks a valid key up on every request: refused from the next one (controls.test.ts, under load).
        expect(Date.now() - revokedAt, node).to.be.below(7_000);
        tally.cells++;
      }
    });
  });

  // Attacks on main: a borrower's key read any facility's detail, statement, reviews, evidence and documents (with
  // their salts); a supplier's key listed every payment of every facility; any key holding an evidence id read that
  // record with its salt; the demo borrower's own list was empty (keys were matched by an institution's name).
  describe("the tenant matrix on the running bank node (principal × owner × route)", function () {
    const tenants = tenantsOf();
    let owned: Record<Party, Owned>;

    before(async function () {
      // Keys issued with the admin command, bound to their subjects by its --borrower/--payee flags.
      for (const tenant of tenants) {
        const subject =
          tenant.role === "borrower"
            ? ["--borrower", tenant.address.toLowerCase(), "--credit-code", tenant.creditCode!]
            : ["--payee", tenant.address];
        tenant.key = issueKeyWithId(system.nodes.bank.env, "bank", tenant.role, tenant.name, subject).key;
      }
      // The admin command ran synchronously: let the connections the node closed meanwhile close here too.
      await new Promise((resolve) => setTimeout(resolve, 200));
      owned = await setUpTenancy(url("bank"), system.keys.bank.active.bank_officer, tenants);
    });

    after(function () {
      say(
        `tenant matrix: ${TENANT_ROUTES.length} routes × ${tenants.length} tenants × 2 owners (payment routes × 2 payments) + ${TENANT_LISTS.length} lists × ${tenants.length} tenants = ${tally.tenantCells} cells`,
      );
    });

    for (const route of TENANT_ROUTES) {
      it(routeTitle(route), async function () {
        const { failures, cells } = await checkTenantRoute(url("bank"), route, tenants, owned);
        tally.tenantCells += cells;
        expect(failures, routeTitle(route)).to.deep.equal([]);
      });
    }

    it("lists to each tenant only what it is party of", async function () {
      const { failures, cells } = await checkTenantLists(url("bank"), tenants, owned);
      tally.tenantCells += cells;
      expect(failures).to.deep.equal([]);
    });
  });

  // Attack on main: the bank officer rewrote a firm's grade in the regulator's white list on the bank node.
  describe("the regulator's white list on the running nodes", function () {
    const firm = {
      creditCode: "91330283MA2EEEEE5V",
      name: "Fenghua Gears",
      grade: "C",
      credit: 70,
      management: 65,
      brand: 60,
      foundation: 68,
      innovation: 55,
    };

    it("takes no edit from a bank key, and prices nothing from a grade rewritten in the bank's database", async function () {
      const imported = await as("regulator", "regulator").post("/whitelist/import", { entries: [firm] });
      expect(imported.status, JSON.stringify(imported.body)).to.equal(200);
      expect(imported.body.bankNode).to.include({ published: true, accepted: 1 });
      for (const node of ["bank", "regulator"] as const) {
        const edit = await as(node, "bank_officer").post("/whitelist/import", { entries: [{ ...firm, grade: "A" }] });
        expect(edit.status, `${node}: ${JSON.stringify(edit.body)}`).to.equal(403);
        tally.whiteList++;
      }
      // A regulator's key the bank issued on its own node, with a publication the bank's own chain key sealed.
      const publishedAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000);
      const domain = whiteListDomain({ chainId: BigInt(system.deployment.chainId), deployment: system.deployment });
      const [seal] = await sealWhiteList(devWallet("bank"), domain, [{ ...firm, grade: "A", publishedAt }]);
      const relayed = await as("bank", "regulator").post("/whitelist/import", {
        entries: [{ ...firm, grade: "A", publishedAt: publishedAt.toISOString(), ...seal }],
      });
      expect(relayed.status, JSON.stringify(relayed.body)).to.equal(422);
      expect(relayed.body.code).to.equal("not_signed_by_regulator");
      tally.whiteList++;
      expect((await as("bank", "bank_officer").get(`/whitelist/${firm.creditCode}`)).body).to.include({ grade: "C" });

      const db = new Sqlite(path.join(system.dataDir("bank"), "db.sqlite"));
      try {
        db.pragma("busy_timeout = 10000");
        db.prepare(`UPDATE "WhiteListEntry" SET grade = 'A' WHERE "creditCode" = ?`).run(firm.creditCode);
      } finally {
        db.close();
      }
      const priced = await as("bank", "bank_officer").post("/facilities", {
        borrower: Wallet.createRandom().address,
        borrowerName: firm.name,
        creditCode: firm.creditCode,
        creditLimit: yuan(1_000_000),
        plan: [
          {
            payee: Wallet.createRandom().address,
            category: "EQUIPMENT",
            amount: yuan(500_000),
            qualityPurpose: true,
            requiredEvidence: ["INVOICE"],
          },
        ],
      });
      expect(priced.status, JSON.stringify(priced.body)).to.equal(422);
      expect(priced.body.code).to.equal("grade_required");
      tally.whiteList++;
    });
  });

  describe("with facilities on chain", function () {
    const borrower = devWallet("borrower").address;
    const [vendor, materials, lab] = [0, 1, 2].map(() => Wallet.createRandom().address);
    const attacker = Wallet.createRandom().address;
    const stranger = Wallet.createRandom();
    const keys = {
      bank: devWallet("bank"),
      regulator: devWallet("regulator"),
      bankVerifier: devWallet("bankVerifier"),
      regulatorVerifier: devWallet("regulatorVerifier"),
    };
    /**
     * pay: payments and database tampering, reviews; freeze: unfreezes; other: another facility's evidence, frozen
     * without a re-inspection; reinspected: frozen and re-inspected (the last two as alike as possible).
     */
    const facility = { pay: 0n, freeze: 0n, other: 0n, reinspected: 0n };
    const evidence = {} as Record<"contract" | "invoice" | "materialsInvoice" | "otherNote" | "otherPatent", Uploaded>;
    let officer: ReturnType<typeof client>;
    let inspector: ReturnType<typeof client>;
    let regulatorAtBank: ReturnType<typeof client>;

    let recorded = 0;
    /**
     * Metadata for one upload of `kind`. One document backs one use (a second upload of a patent or report number is
     * 409), so a patent, inspection report or spot check gets a number of its own, first put on the regulator's record
     * for the borrower (with the figures the metadata states): a rejection can still only come from the bytes.
     */
    async function metadataFor(kind: Kind, licence?: string): Promise<Record<string, unknown>> {
      const metadata: Record<string, unknown> = { ...METADATA[kind] };
      if (licence) metadata.supplierLicence = licence;
      const unique = `${Date.now().toString(36)}-${++recorded}`.toUpperCase();
      const firm = { holder: "Ningbo Yongxin Bearings Co., Ltd.", holderCreditCode: "91330206MA2AAAAA1X" };
      const records = {
        PATENT_FILING: { type: "PATENT_FILING", reference: `CN2026${unique}`, data: { title: "test patent" } },
        INSPECTION_REPORT: {
          type: "INSPECTION_RECORD",
          reference: `R-${unique}`,
          outcome: "PASS",
          passRateBps: 9900,
          data: { unitsTested: 12_000, unitsPassed: 11_880, lab: REFERENCES.lab },
        },
        SPOT_CHECK_REPORT: {
          type: "INSPECTION_RECORD",
          reference: `NB-SC-${unique}`,
          outcome: "PASS",
          passRateBps: 9870,
        },
      } as Record<string, { type: string; reference: string }>;
      const record = records[kind];
      if (!record) return metadata;
      const created = await inspector.post("/registry/records", { ...record, ...firm });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      metadata[kind === "PATENT_FILING" ? "patentNumber" : "reportNumber"] = record.reference;
      return metadata;
    }

    /** The payee a payee-kind document is with, where the plan cannot tell: certificates are the lab's. */
    const counterpartyOf = (kind: Kind): Record<string, string> =>
      kind === "CERTIFICATION" ? { counterparty: lab } : {};

    async function upload(
      facilityId: bigint,
      kind: Kind,
      text: string,
      type: FileType = "pdf",
      anchor = "batch",
      licence?: string,
    ) {
      const bytes = FILE_TYPES[type].bytes(text);
      const metadata = JSON.stringify(await metadataFor(kind, licence));
      const response = await officer.upload(
        { facilityId: facilityId.toString(), kind, metadata, anchor, ...counterpartyOf(kind) },
        { name: `${text}.${type}`, type: FILE_TYPES[type].type, bytes },
      );
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      return { ...(response.body as Omit<Uploaded, "kind" | "type" | "bytes">), kind, type, bytes };
    }

    const verifiers = [keys.bankVerifier.address, keys.regulatorVerifier.address];
    /** Where an evidence sits in its batch, as the bank node's proof gives it (one cache for the suite). */
    let leafCache: ((evidenceId: string) => Promise<Leaf | undefined>) | undefined;
    const leafOf = (evidenceId: string) => (leafCache ??= leafFromNode(officer))(evidenceId);
    /** Both verifiers' verdicts by the path the evidence took: its record once registered, else its batch's bits. */
    const verdictsOf = (evidenceId: string) => chainVerdicts(system.contracts.registry, evidenceId, verifiers, leafOf);
    /** The evidence record's own verdicts (NONE for a batched leaf no payment registered). */
    const recordVerdictsOf = (evidenceId: string) =>
      Promise.all(verifiers.map((verifier) => system.contracts.registry.verdictOf(evidenceId, verifier)));
    const verified = (evidenceId: string) => verifiedOnChain(system.contracts.registry, evidenceId, verifiers, leafOf);

    /** Waits for both nodes' verdicts on chain and checks that they are `expected`. */
    async function bothVerdicts(documents: Uploaded[], expected: bigint) {
      await waitFor(
        `both verdicts on ${documents.length} documents`,
        async () => {
          const all = (await Promise.all(documents.map((d) => verdictsOf(d.evidenceId)))).flat();
          return all.every((verdict) => verdict !== BigInt(Verdict.NONE));
        },
        120_000,
      );
      for (const d of documents) {
        expect(await verdictsOf(d.evidenceId), `${d.kind} ${d.id}`).to.deep.equal([expected, expected]);
      }
    }

    /** A node's own verdict on a document, with its reason, from its API. */
    async function verdictAt(node: NodeRole, document: Uploaded) {
      const { body } = await as(node, "regulator").get(`/verifications?facilityId=${document.facilityId}&limit=500`);
      return (body.items as Array<{ evidenceId: string; verdict: string; reason: string }>).find(
        (item) => item.evidenceId === document.evidenceId,
      );
    }

    /** SQL on the bank node's SQLite file, beside the running node (WAL mode: it keeps serving meanwhile). */
    function bankDatabase<T>(use: (db: Sqlite.Database) => T): T {
      const db = new Sqlite(path.join(system.dataDir("bank"), "db.sqlite"));
      try {
        db.pragma("busy_timeout = 10000");
        return use(db);
      } finally {
        db.close();
      }
    }
    const bankSql = (statement: string, ...parameters: unknown[]) =>
      bankDatabase((db) => db.prepare(statement).run(...parameters).changes);
    const bankRow = <T>(statement: string, ...parameters: unknown[]) =>
      bankDatabase((db) => db.prepare(statement).get(...parameters) as T);

    const storePath = (contentHash: string) => {
      const hex = contentHash.slice(2);
      return path.join(system.dataDir("bank"), "documents", hex.slice(0, 2), hex.slice(2, 4), hex);
    };

    /** Runs `during` with no block mined: what the nodes seal meanwhile is committed, but nobody sees it on chain. */
    async function withMiningPaused<T>(during: () => Promise<T>): Promise<T> {
      await system.provider.send("evm_setAutomine", [false]);
      try {
        return await during();
      } finally {
        await system.provider.send("evm_setAutomine", [true]);
        await system.provider.send("evm_mine", []);
      }
    }

    async function sealed(documents: Uploaded[]) {
      await waitFor(`${documents.length} documents sealed for anchoring`, async () => {
        const states = await Promise.all(documents.map((d) => officer.get(`/documents/${d.id}`)));
        return states.every((state) => state.body.status !== "QUEUED");
      });
    }

    async function chainNow(): Promise<bigint> {
      const block = await system.provider.send("eth_getBlockByNumber", ["latest", false]);
      return BigInt(block.timestamp);
    }

    /**
     * The contract's refusal of a relayed transaction: its custom error as eth_call gives it, and the same error when
     * the transaction is sent (with a fixed gas limit, so nothing but the contract decides): it cannot land.
     */
    async function refusedOnChain(what: string, transaction: Relayed) {
      const request = { to: transaction.to, data: transaction.data };
      const called = await relayer.call(request).then(
        () => undefined,
        (error: unknown) => revertError(error),
      );
      expect(called, `${what} passes the contract's checks`).to.not.equal(undefined);
      const sent = await relayer.sendTransaction({ ...request, gasLimit: 1_000_000 }).then(
        async (tx) => {
          await tx.wait();
          return undefined;
        },
        (error: unknown) => revertError(error),
      );
      expect(sent?.name, `${what}, sent`).to.equal(called!.name);
      tally.chainSignatures++;
      return called!;
    }

    /** Relays each case and checks the contract's error; returns the names, for the printed summary. */
    async function expectRefusals(cases: Array<[what: string, transaction: Promise<Relayed>, error: string]>) {
      const names: string[] = [];
      for (const [what, transaction, expected] of cases) {
        const refused = await refusedOnChain(what, await transaction);
        expect(refused.name, what).to.equal(expected);
        names.push(refused.name);
      }
      return names;
    }

    async function createFacility(
      plan: Array<{ payee: string; category: string; amount: number; qualityPurpose: boolean; evidence: Kind[] }>,
    ): Promise<bigint> {
      const response = await officer.post("/facilities", {
        borrower,
        borrowerName: "Ningbo Yongxin Bearings",
        creditCode: "91330206MA2AAAAA1X",
        creditLimit: yuan(plan.reduce((sum, p) => sum + p.amount, 0)),
        plan: plan.map(({ evidence: requiredEvidence, amount, ...p }) => ({
          ...p,
          amount: yuan(amount),
          requiredEvidence,
        })),
      });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      return BigInt(response.body.facilityId);
    }

    async function spotCheck(facilityId: bigint, result: "PASS" | "FAIL", reportNumber: string) {
      const response = await inspector.post("/spot-checks", {
        facilityId: facilityId.toString(),
        result,
        reportNumber,
        findings: result === "PASS" ? "re-inspection passed" : "pass rate 91.2%",
      });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      if (result === "FAIL") expect(response.body.facilityStatus).to.equal("FROZEN");
    }

    async function proposeReview(facilityId: bigint) {
      const now = Number(await chainNow());
      // From where the period must start (the opening, or the last applied review's end) to the chain's time.
      const response = await officer.post(`/facilities/${facilityId}/reviews`, {
        periodTo: new Date(now * 1000).toISOString(),
      });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      return response.body.approval as Approval;
    }

    async function proposeUnfreeze(facilityId: bigint) {
      const response = await officer.post(`/facilities/${facilityId}/unfreeze`, { reason: "corrective action" });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      return response.body as Approval;
    }

    type Approval = {
      id: string;
      kind: string;
      facilityId: string;
      message: Record<string, any>;
      bankSignature: string;
    };

    /** The facility's review that awaits the regulator, as the bank node lists it. */
    async function pendingReview(facilityId: bigint): Promise<Approval> {
      const { body } = await officer.get("/approvals?status=AWAITING_REGULATOR");
      const pending = (body.items as Approval[]).find(
        (approval) => approval.kind === "REVIEW" && approval.facilityId === facilityId.toString(),
      );
      expect(pending, `a review of facility ${facilityId} awaiting the regulator`).to.not.equal(undefined);
      return pending!;
    }

    const reviewOf = (message: Record<string, any>): Review => ({
      facilityId: BigInt(message.facilityId),
      nonce: Number(message.nonce),
      newRateBps: Number(message.newRateBps),
      subsidyEligible: Boolean(message.subsidyEligible),
      reportHash: message.reportHash,
      deadline: BigInt(message.deadline),
    });

    const unfreezeOf = (message: Record<string, any>): Unfreeze => ({
      facilityId: BigInt(message.facilityId),
      freezeCount: Number(message.freezeCount),
      reasonHash: message.reasonHash,
      deadline: BigInt(message.deadline),
    });

    /** The bank node's answers to co-signatures offered on an approval: each must be a 4xx with `code`. */
    async function refusedByBank(
      approvalId: string,
      cases: Array<[what: string, signature: Promise<string>, status: number, codes: string[]]>,
    ) {
      for (const [what, signature, status, codes] of cases) {
        const response = await regulatorAtBank.post(`/approvals/${approvalId}/signatures`, {
          signature: await signature,
        });
        expect(response.status, `${what}: ${JSON.stringify(response.body)}`).to.equal(status);
        expect(codes, what).to.include(response.body.code);
        if (response.body.code === "signer_not_regulator")
          expect(response.body.detail, what).to.match(/^the signature is from 0x[0-9a-fA-F]{40}, which does not hold/);
        tally.apiSignatures++;
      }
    }

    before(async function () {
      officer = as("bank", "bank_officer");
      inspector = as("regulator", "regulator");
      regulatorAtBank = as("bank", "regulator");
      for (const [address, name, creditCode, category] of [
        [vendor, "Ningbo Precision CNC Equipment", REFERENCES.equipment, "EQUIPMENT"],
        [materials, "Zhejiang Special Alloys", REFERENCES.materials, "MATERIALS"],
        [lab, "Ningbo Institute of Product Quality Inspection", "12330200MB1234567X", "TESTING_CERT"],
      ]) {
        const licenceHash = keccakText(`licence:${name}`);
        const response = await officer.post("/payees", { address, name, creditCode, category, licenceHash });
        expect(response.status, JSON.stringify(response.body)).to.equal(201);
      }
      const imported = await inspector.post("/whitelist/import", {
        csv: "creditCode,name,grade,credit,management,brand,foundation,innovation\n91330206MA2AAAAA1X,Ningbo Yongxin Bearings,C,78,74,66,81,72\n",
      });
      expect(imported.status, JSON.stringify(imported.body)).to.equal(200);
      // The regulator's own record of whose account the borrower's is: patents and inspections are attributed by it.
      const firm = await inspector.post("/registry/records", {
        type: "FIRM_ACCOUNT",
        reference: borrower,
        holder: "Ningbo Yongxin Bearings Co., Ltd.",
        holderCreditCode: "91330206MA2AAAAA1X",
      });
      expect(firm.status, JSON.stringify(firm.body)).to.equal(201);
      // And of the payees' accounts, by the credit codes of the licences their documents cite.
      await recordAccounts(inspector, [
        [vendor, REFERENCES.equipment],
        [materials, REFERENCES.materials],
        [lab, "12330200MB1234567X"],
      ]);

      const equipment = { payee: vendor, category: "EQUIPMENT", qualityPurpose: true };
      const testing = { payee: lab, category: "TESTING_CERT", qualityPurpose: true };
      facility.pay = await createFacility([
        { ...equipment, amount: 4_000_000, evidence: ["PURCHASE_CONTRACT", "INVOICE"] },
        { payee: materials, category: "MATERIALS", qualityPurpose: false, amount: 3_000_000, evidence: ["INVOICE"] },
        { ...equipment, amount: 1_000_000, evidence: ["DELIVERY_NOTE"] },
        { ...testing, amount: 2_000_000, evidence: ["INSPECTION_REPORT"] },
      ]);
      facility.freeze = await createFacility([{ ...testing, amount: 1_000_000, evidence: ["CERTIFICATION"] }]);
      facility.other = await createFacility([{ ...equipment, amount: 1_000_000, evidence: ["INVOICE"] }]);
      facility.reinspected = await createFacility([{ ...equipment, amount: 1_000_000, evidence: ["INVOICE"] }]);

      evidence.contract = await upload(facility.pay, "PURCHASE_CONTRACT", "equipment contract");
      evidence.invoice = await upload(facility.pay, "INVOICE", "equipment invoice", "xml");
      evidence.materialsInvoice = await upload(
        facility.pay,
        "INVOICE",
        "materials invoice",
        "json",
        "batch",
        REFERENCES.materials,
      );
      evidence.otherNote = await upload(facility.other, "DELIVERY_NOTE", "another facility's delivery note");
      evidence.otherPatent = await upload(facility.other, "PATENT_FILING", "patent", "pdf", "single");
      await bothVerdicts(Object.values(evidence), ACCEPT);
      await quiesce();
    });

    describe("EIP-712 signatures", function () {
      it("the chain refuses a replayed attestation, an expired one, one for another chain or contract, and one outside the verifier set", async function () {
        const { registry, manager } = system.contracts;
        const relayed = registry.connect(relayer);
        const { evidenceId } = evidence.contract;
        // The bank node's own attestation transaction, sent again: its batch verdict over the batch the contract is in.
        const leaf = await leafOf(evidenceId);
        expect(leaf, "the contract is batched").to.not.equal(undefined);
        const [attested] = await registry.queryFilter(
          registry.filters.BatchAttested(leaf!.root, keys.bankVerifier.address),
        );
        const original = (await system.provider.getTransaction(attested.transactionHash))!;
        /** A rejection signed by `signer` at the bank verifier's next nonce, valid for an hour unless overridden. */
        const attestation = async (signer: Signer, overrides: { deadline?: bigint } = {}, domain = {}) => {
          const request = {
            evidenceId,
            verdict: Verdict.REJECT,
            reasonHash: keccakText("forged rejection"),
            nonce: await registry.nonces(keys.bankVerifier.address),
            deadline: (await chainNow()) + HOUR,
            ...overrides,
          };
          return relayed.attest.populateTransaction(
            [request],
            [await signAttestation(registry, signer, request, domain)],
          );
        };
        const names = await expectRefusals([
          ["a replayed attestation", Promise.resolve(original), "InvalidAccountNonce"],
          [
            "an expired attestation",
            attestation(keys.bankVerifier, { deadline: (await chainNow()) - 1n }),
            "EvidenceSignatureExpired",
          ],
          ["an attestation for chain 1", attestation(keys.bankVerifier, {}, { chainId: 1 }), "EvidenceNotVerifier"],
          [
            "an attestation for the FacilityManager",
            attestation(keys.bankVerifier, {}, { verifyingContract: await manager.getAddress() }),
            "EvidenceNotVerifier",
          ],
          ["an attestation by a stranger", attestation(stranger), "EvidenceNotVerifier"],
          ["an attestation by the bank's transaction key", attestation(keys.bank), "EvidenceNotVerifier"],
          ["an attestation by the regulator's transaction key", attestation(keys.regulator), "EvidenceNotVerifier"],
        ]);
        expect(await verdictsOf(evidenceId)).to.deep.equal([ACCEPT, ACCEPT]);
        say(`attestations: ${names.length} refused by the EvidenceRegistry (${distinct(names)})`);
      });

      it("the chain refuses a replayed revocation, an expired one, one for another chain or contract, and one outside the verifier set", async function () {
        const { registry, manager } = system.contracts;
        const relayed = registry.connect(relayer);
        const { evidenceId } = evidence.otherPatent;
        const verifier = keys.regulatorVerifier;
        /** A revocation signed by `signer` at the regulator verifier's next nonce, valid for an hour unless overridden. */
        const revocation = async (signer: Signer, overrides: { deadline?: bigint } = {}, domain = {}) => {
          const request = {
            evidenceId,
            reasonHash: keccakText("licence withdrawn"),
            nonce: await registry.nonces(verifier.address),
            deadline: (await chainNow()) + HOUR,
            ...overrides,
          };
          return relayed.revoke.populateTransaction(request, await signRevocation(registry, signer, request, domain));
        };
        // A genuine revocation, relayed once: the regulator withdraws its acceptance. (The node signs attestations with
        // the same nonces; it is idle, and would rebuild its transaction anyway.)
        await quiesce();
        const genuine = await revocation(verifier);
        await (await relayer.sendTransaction(genuine)).wait();
        expect(await registry.isVerified(evidenceId)).to.equal(false);
        const names = await expectRefusals([
          ["a replayed revocation", Promise.resolve(genuine), "InvalidAccountNonce"],
          [
            "an expired revocation",
            revocation(verifier, { deadline: (await chainNow()) - 1n }),
            "EvidenceSignatureExpired",
          ],
          ["a revocation for chain 1", revocation(verifier, {}, { chainId: 1 }), "EvidenceNotVerifier"],
          [
            "a revocation for the FacilityManager",
            revocation(verifier, {}, { verifyingContract: await manager.getAddress() }),
            "EvidenceNotVerifier",
          ],
          ["a revocation by a stranger", revocation(stranger), "EvidenceNotVerifier"],
          ["a revocation by the regulator's transaction key", revocation(keys.regulator), "EvidenceNotVerifier"],
        ]);
        say(`revocations: 1 relayed, ${names.length} refused by the EvidenceRegistry (${distinct(names)})`);
      });

      it("the bank node takes only the regulator's signature over a review, once; the chain refuses every other", async function () {
        const { manager, registry } = system.contracts;
        const relayed = manager.connect(relayer);
        const registryAddress = await registry.getAddress();
        const approval = await proposeReview(facility.pay);
        const review = reviewOf(approval.message);
        const sign = (signer: Signer, domain = {}) => signReview(relayed, signer, review, domain);
        const invalid = ["signer_not_regulator", "invalid_signature"];
        await refusedByBank(approval.id, [
          ["a stranger's signature", sign(stranger), 422, invalid],
          ["the bank's own key's", sign(keys.bank), 422, invalid],
          ["the regulator verifier's", sign(keys.regulatorVerifier), 422, invalid],
          ["the regulator's, for chain 1", sign(keys.regulator, { chainId: 1 }), 422, invalid],
          [
            "the regulator's, for the EvidenceRegistry",
            sign(keys.regulator, { verifyingContract: registryAddress }),
            422,
            invalid,
          ],
          ["65 random bytes", Promise.resolve(hexlify(randomBytes(65))), 422, invalid],
        ]);
        expect((await officer.get(`/approvals/${approval.id}`)).body.status).to.equal("AWAITING_REGULATOR");

        // The regulator node checks the decision itself, signs it and hands the signature to the bank node: applied.
        const cosigned = await inspector.post(`/approvals/${approval.id}/cosign`, {});
        expect(cosigned.status, JSON.stringify(cosigned.body)).to.equal(200);
        expect(cosigned.body.status).to.equal("APPLIED");
        const next = await proposeReview(facility.pay); // awaits the regulator until the decision expires, below
        const signature = Promise.resolve(cosigned.body.regulatorSignature as string);
        await refusedByBank(approval.id, [["the applied signature again", signature, 409, ["approval_not_pending"]]]);
        await refusedByBank(next.id, [["the applied signature on the next review", signature, 422, invalid]]);

        const state = await manager.facility(facility.pay);
        /** A discount nobody checked, at the facility's next review nonce, signed by `bank` and `regulator`. */
        const forged = async (bank: Signer, regulator: Signer, overrides: Partial<Review> = {}, domain = {}) => {
          const decision: Review = {
            facilityId: facility.pay,
            nonce: Number(state.reviewNonce),
            newRateBps: Number(state.baseRateBps) - 100,
            subsidyEligible: true,
            reportHash: keccakText("a report nobody checked"),
            deadline: (await chainNow()) + HOUR,
            ...overrides,
          };
          const [bankSignature, regulatorSignature] = await Promise.all([
            signReview(relayed, bank, decision, domain),
            signReview(relayed, regulator, decision, domain),
          ]);
          return relayed.applyReview.populateTransaction(decision, bankSignature, regulatorSignature);
        };
        const applied = (await system.provider.getTransaction(cosigned.body.txHash))!;
        const { bank, regulator } = keys;
        const names = await expectRefusals([
          ["the applied review replayed", Promise.resolve(applied), "FacilityInvalidReviewNonce"],
          [
            "an expired review",
            forged(bank, regulator, { deadline: (await chainNow()) - 1n }),
            "FacilitySignatureExpired",
          ],
          ["a review for chain 1", forged(bank, regulator, {}, { chainId: 1 }), "FacilityInvalidSigner"],
          [
            "a review for the EvidenceRegistry",
            forged(bank, regulator, {}, { verifyingContract: registryAddress }),
            "FacilityInvalidSigner",
          ],
          ["a review with a stranger as the regulator", forged(bank, stranger), "FacilityInvalidSigner"],
          ["a review with a stranger as the bank", forged(stranger, regulator), "FacilityInvalidSigner"],
          ["a review signed twice by the bank", forged(bank, bank), "FacilityInvalidSigner"],
          ["a review with the regulator's verifier key", forged(bank, keys.regulatorVerifier), "FacilityInvalidSigner"],
        ]);
        expect((await manager.facility(facility.pay)).reviewNonce).to.equal(state.reviewNonce);
        say(
          `reviews: 8 co-signatures refused by the bank node (422 ×7, 409 ×1), the regulator node's applied; ${names.length} refused by the FacilityManager (${distinct(names)})`,
        );
      });

      it("the bank node takes only the regulator's signature over an unfreeze, once; the chain refuses every other", async function () {
        const { manager, registry } = system.contracts;
        const relayed = manager.connect(relayer);
        const registryAddress = await registry.getAddress();
        await spotCheck(facility.freeze, "FAIL", "NB-SC-2026-0045");
        const proposal = await proposeUnfreeze(facility.freeze);
        const decision = unfreezeOf(proposal.message);
        const sign = (signer: Signer, domain = {}) => signUnfreeze(relayed, signer, decision, domain);
        const invalid = ["signer_not_regulator"];
        await refusedByBank(proposal.id, [
          ["a stranger's signature", sign(stranger), 422, invalid],
          ["the bank's own key's", sign(keys.bank), 422, invalid],
          ["the regulator's, for chain 1", sign(keys.regulator, { chainId: 1 }), 422, invalid],
          [
            "the regulator's, for the EvidenceRegistry",
            sign(keys.regulator, { verifyingContract: registryAddress }),
            422,
            invalid,
          ],
        ]);
        // Not before a passing re-inspection; then jointly, once.
        const early = await inspector.post(`/approvals/${proposal.id}/cosign`, {});
        expect([early.status, early.body.code]).to.deep.equal([409, "regulator_refused"]);
        await spotCheck(facility.freeze, "PASS", REFERENCES.inspection);
        const joint = await inspector.post(`/approvals/${proposal.id}/cosign`, {});
        expect(joint.status, JSON.stringify(joint.body)).to.equal(200);
        expect((await manager.facility(facility.freeze)).status).to.equal(Status.ACTIVE);
        const signature = Promise.resolve(joint.body.regulatorSignature as string);
        await refusedByBank(proposal.id, [["the applied signature again", signature, 409, ["approval_not_pending"]]]);

        // On chain: the applied decision sent again while active, and after the next freeze.
        const applied = (await system.provider.getTransaction(joint.body.txHash))!;
        const names = await expectRefusals([
          ["the applied unfreeze replayed", Promise.resolve(applied), "FacilityNotFrozen"],
        ]);
        await spotCheck(facility.freeze, "FAIL", "NB-SC-2026-0044");
        const { freezeCount } = await manager.facility(facility.freeze);
        expect(freezeCount).to.equal(2n);
        /** A decision lifting the current freeze, signed by `bank` and `regulator`, valid for an hour unless overridden. */
        const forged = async (bank: Signer, regulator: Signer, overrides: Partial<Unfreeze> = {}, domain = {}) => {
          const lift: Unfreeze = {
            facilityId: facility.freeze,
            freezeCount: Number(freezeCount),
            reasonHash: keccakText("lifted without a re-inspection"),
            deadline: (await chainNow()) + HOUR,
            ...overrides,
          };
          const bankSignature = await signUnfreeze(relayed, bank, lift, domain);
          return relayed.unfreeze.populateTransaction(
            lift,
            bankSignature,
            await signUnfreeze(relayed, regulator, lift, domain),
          );
        };
        const { bank, regulator } = keys;
        names.push(
          ...(await expectRefusals([
            ["the applied unfreeze after the next freeze", Promise.resolve(applied), "FacilityInvalidFreezeCount"],
            [
              "an expired unfreeze",
              forged(bank, regulator, { deadline: (await chainNow()) - 1n }),
              "FacilitySignatureExpired",
            ],
            ["an unfreeze for chain 1", forged(bank, regulator, {}, { chainId: 1 }), "FacilityInvalidSigner"],
            [
              "an unfreeze for the EvidenceRegistry",
              forged(bank, regulator, {}, { verifyingContract: registryAddress }),
              "FacilityInvalidSigner",
            ],
            ["an unfreeze with a stranger as the regulator", forged(bank, stranger), "FacilityInvalidSigner"],
            ["an unfreeze signed twice by the regulator", forged(regulator, regulator), "FacilityInvalidSigner"],
            [
              "an unfreeze with the bank's verifier key as the bank",
              forged(keys.bankVerifier, regulator),
              "FacilityInvalidSigner",
            ],
          ])),
        );
        expect((await manager.facility(facility.freeze)).status).to.equal(Status.FROZEN);
        say(
          `unfreezes: 5 co-signatures refused by the bank node (422 ×4, 409 ×1), the regulator node's applied; ${names.length} refused by the FacilityManager (${distinct(names)})`,
        );
      });
    });

    describe("documents swapped on disk once their hash was sealed for anchoring", function () {
      it("has both nodes reject every swapped document as tampered, of every kind, batched or anchored alone", async function () {
        const types = Object.keys(FILE_TYPES) as FileType[];
        // Forged content of the same type; and one file each cut short, emptied and removed.
        const damage = ["forged", "forged", "forged", "truncated", "forged", "emptied", "forged", "removed"] as const;
        const swapped = await withMiningPaused(async () => {
          const documents = await Promise.all([
            ...KINDS.map((kind, i) => upload(facility.pay, kind, `genuine ${kind}`, types[i % types.length])),
            ...(["INVOICE", "CERTIFICATION", "PATENT_FILING"] as const).map((kind, i) =>
              upload(facility.pay, kind, `genuine single ${kind}`, types[(i + 1) % types.length], "single"),
            ),
          ]);
          await sealed(documents);
          return documents.map((document, i) => {
            const how = damage[i] ?? "forged";
            const onDisk = {
              forged: FILE_TYPES[document.type].bytes(`forged ${document.kind} ${i}`),
              truncated: document.bytes.subarray(0, document.bytes.length >> 1),
              emptied: Buffer.alloc(0),
              removed: undefined,
            }[how];
            if (onDisk) fs.writeFileSync(storePath(document.contentHash), onDisk);
            else fs.rmSync(storePath(document.contentHash));
            return { ...document, how, onDisk };
          });
        });

        await bothVerdicts(swapped, REJECT);
        const publicClient = client(url("bank"));
        for (const document of swapped) {
          const what = `${document.kind} ${document.how}`;
          for (const node of ["bank", "regulator"] as const) {
            const own = await verdictAt(node, document);
            expect(own?.verdict, `${node}: ${what}`).to.equal("REJECT");
            expect(own?.reason, `${node}: ${what}`).to.match(
              document.how === "removed" ? /^document not available/ : /^tampered: /,
            );
          }
          expect(await verified(document.evidenceId), what).to.equal(false);
          expect(await system.contracts.registry.isVerified(document.evidenceId), what).to.equal(false);
          const check = async (bytes: Buffer) =>
            (
              await publicClient.post("/verify", {
                contentHash: sha256(bytes),
                salt: document.salt,
                facilityId: document.facilityId,
                kind: document.kind,
                counterparty: document.counterparty,
              })
            ).body;
          expect(await check(document.bytes), what).to.include({ anchored: true, verifiedOnChain: false });
          expect((await check(document.onDisk ?? Buffer.alloc(0))).anchored, what).to.equal(false);
          tally.swapped++;
        }
        say(
          `${swapped.length} documents swapped (${new Set(swapped.map((d) => d.kind)).size} kinds, 3 anchored alone; 7 forged, 1 truncated, 1 emptied, 1 removed): 2 × ${swapped.length} REJECT verdicts on chain, ${swapped.length} public checks find the original and not the bytes on disk`,
        );
      });

      it("keeps the payment that evidence was to release blocked", async function () {
        const readiness = await officer.get(`/facilities/${facility.pay}/payments/3/readiness`);
        // The swapped report is considered and said unusable because it is not verified (evidence-choice.ts).
        expect(readiness.body.blockers.map((b: { code: string }) => b.code)).to.deep.equal(["evidence_not_usable"]);
        expect(readiness.body.blockers[0].message).to.include("it is not verified (bank: REJECT, regulator: REJECT)");
        const refused = await officer.post(`/facilities/${facility.pay}/payments/3`, {});
        expect([refused.status, refused.body.code]).to.deep.equal([409, "evidence_not_usable"]);
        expect(refused.body.detail).to.include("(bank: REJECT, regulator: REJECT)");
        tally.tampering++;
        say(
          "the payment the swapped inspection report was to release: refused (409 evidence_not_usable: not verified)",
        );
      });

      it("finds a swap made after both nodes accepted the document with the public check", async function () {
        // A document of its own: both nodes withdraw their acceptance of it (test/reliability/integrity.test.ts).
        const document = await upload(facility.other, "INVOICE", "invoice swapped after acceptance", "json");
        await bothVerdicts([document], ACCEPT);
        expect(await verified(document.evidenceId)).to.equal(true);
        const forged = FILE_TYPES.json.bytes("forged invoice");
        fs.writeFileSync(storePath(document.contentHash), forged);
        const content = await regulatorAtBank.get(`/documents/${document.id}/content`);
        // Not served as if good: the node re-hashes before serving and reports what is on disk.
        expect([content.status, content.body.code]).to.deep.equal([410, "content_tampered"]);
        expect(content.body.storedHash).to.equal(sha256(forged));
        const check = await client(url("bank")).upload(
          {
            salt: document.salt,
            facilityId: document.facilityId,
            kind: document.kind,
            counterparty: document.counterparty,
          },
          { name: "served.json", type: "application/json", bytes: forged },
          "/verify/document",
        );
        expect(check.body.anchored).to.equal(false);
        tally.swapped++;
        say("1 document swapped after both nodes accepted it: withheld (410), and the public check finds no anchor");
      });
    });

    describe("tampering with the bank node's database", function () {
      const balanceOf = (address: string) => system.contracts.token.balanceOf(address);

      it("pays a payee whose address was changed in the database only at the address registered on chain", async function () {
        expect(bankSql(`UPDATE "Payee" SET "address" = ? WHERE "address" = ?`, attacker, vendor)).to.equal(1);
        const listed = await officer.get("/payees");
        expect(listed.body.items.map((p: { address: string }) => p.address)).to.include(attacker);

        await quiesce();
        const paid = await officer.post(`/facilities/${facility.pay}/payments/0`, {});
        expect(paid.status, JSON.stringify(paid.body)).to.equal(200);
        expect(paid.body).to.include({ payee: vendor, amount: yuan(4_000_000) });
        expect(await balanceOf(vendor)).to.equal(BigInt(yuan(4_000_000)));
        expect(await balanceOf(attacker)).to.equal(0n);

        // The forged address, as the payee list now shows it: no plan may name it, and the chain will not update it.
        const plan = await officer.post("/facilities", {
          borrower,
          borrowerName: "Ningbo Yongxin Bearings",
          creditCode: "91330206MA2AAAAA1X",
          creditLimit: yuan(1_000_000),
          plan: [
            {
              payee: attacker,
              category: "EQUIPMENT",
              amount: yuan(1_000_000),
              qualityPurpose: true,
              requiredEvidence: ["INVOICE"],
            },
          ],
        });
        expect([plan.status, plan.body.code]).to.deep.equal([422, "invalid_plan"]);
        expect(plan.body.detail).to.equal(`payment 0: ${attacker} is not a registered payee`);
        const update = await officer.patch(`/payees/${attacker}`, { category: "SERVICES" });
        expect([update.status, update.body.code], JSON.stringify(update.body)).to.deep.equal([
          409,
          "payee_not_registered",
        ]);
        tally.tampering += 3;
        say(
          "a payee's address forged in the database: paid at the registered address; a plan naming the forgery refused (422), its update refused by the chain (409)",
        );
        // Put the row back: the tests below tamper with other things (evidence uploaded meanwhile would name the
        // forged account, which the regulator's records do not bind to the licence, and be rejected for that).
        expect(bankSql(`UPDATE "Payee" SET "address" = ? WHERE "address" = ?`, vendor, attacker)).to.equal(1);
      });

      it("pays what the plan on chain says when the plan in the database was altered", async function () {
        const row = bankRow<{ plan: string }>(`SELECT "plan" FROM "Facility" WHERE "facilityId" = ?`, facility.pay);
        const forged = (JSON.parse(row.plan) as Array<{ amount: string }>).map((p) => ({
          ...p,
          payee: attacker,
          amount: (BigInt(p.amount) * 10n).toString(),
        }));
        const altered = bankSql(
          `UPDATE "Facility" SET "plan" = ? WHERE "facilityId" = ?`,
          JSON.stringify(forged),
          facility.pay,
        );
        expect(altered).to.equal(1);
        const paid = await officer.post(`/facilities/${facility.pay}/payments/1`, {});
        expect(paid.status, JSON.stringify(paid.body)).to.equal(200);
        expect(paid.body).to.include({ payee: materials, amount: yuan(3_000_000) });
        expect(await balanceOf(materials)).to.equal(BigInt(yuan(3_000_000)));
        expect(await balanceOf(attacker)).to.equal(0n);
        const shown = await officer.get(`/facilities/${facility.pay}`);
        expect(shown.body.payments.map((p: { payee: string }) => p.payee)).to.deep.equal([
          vendor,
          materials,
          vendor,
          lab,
        ]);
        tally.tampering++;
        say(
          "the plan altered in the database (every payee the attacker's, amounts × 10): paid 3,000,000.00 CNY to the payee on chain",
        );
        expect(bankSql(`UPDATE "Facility" SET "plan" = ? WHERE "facilityId" = ?`, row.plan, facility.pay)).to.equal(1);
      });

      it("rejects documents whose content hash or salted hash was altered in the database before verification", async function () {
        const [pointed, resalted] = await withMiningPaused(async () => {
          const documents = [
            await upload(facility.freeze, "CERTIFICATION", "certificate"),
            await upload(facility.freeze, "PATENT_FILING", "patent, resalted"),
          ];
          await sealed(documents);
          // One row now points at another document's bytes (ones both nodes accepted); the other claims another hash.
          const [first, second] = documents;
          expect(
            bankSql(`UPDATE "Document" SET "contentHash" = ? WHERE "id" = ?`, evidence.contract.contentHash, first.id),
          ).to.equal(1);
          expect(
            bankSql(`UPDATE "Document" SET "saltedHash" = ? WHERE "id" = ?`, hexlify(randomBytes(32)), second.id),
          ).to.equal(1);
          return documents;
        });
        await bothVerdicts([pointed], REJECT);
        const resaltedVerdicts = () =>
          Promise.all((["bank", "regulator"] as const).map((node) => verdictAt(node, resalted)));
        await waitFor("both nodes' verdicts on the resalted document", async () =>
          (await resaltedVerdicts()).every((verdict) => verdict !== undefined),
        );
        for (const node of ["bank", "regulator"] as const) {
          expect((await verdictAt(node, pointed))?.reason, node).to.match(/^tampered: /);
          expect(await verdictAt(node, resalted), node).to.include({
            verdict: "REJECT",
            reason: "the bank's leaf is not in the anchored root",
          });
        }
        // The forged leaf proves nothing: it was neither registered nor attested on chain.
        expect((await system.contracts.registry.evidenceOf(resalted.evidenceId)).anchoredAt).to.equal(0n);
        expect(await recordVerdictsOf(resalted.evidenceId)).to.deep.equal([0n, 0n]);
        expect(await leafOf(resalted.evidenceId), "batched").to.not.equal(undefined);
        expect(await verdictsOf(resalted.evidenceId)).to.deep.equal([0n, 0n]);
        const readiness = await officer.get(`/facilities/${facility.freeze}/payments/0/readiness`);
        const unusable = readiness.body.blockers.find((b: { code: string }) => b.code === "evidence_not_usable");
        expect(unusable?.message, JSON.stringify(readiness.body.blockers)).to.include("it is not verified");
        tally.tampering += 2;
        say(
          "a content hash re-pointed and a salted hash forged in the database: both rejected by both nodes; neither releases a payment",
        );
      });

      it("refuses evidence moved to another facility or relabelled as another kind in the database", async function () {
        const { registry } = system.contracts;
        const before = await Promise.all([vendor, attacker].map(balanceOf));
        /**
         * The bank node's refusal of an altered row: registered evidence by its record on chain; a batched leaf no
         * payment registered has no record yet, and is refused because the row no longer gives the evidence id, which
         * commits to the facility and kind: the refusal names the field changed and the value the leaf commits to.
         */
        const refusalOf = async (document: Uploaded, byRecord: string, byLeaf: string) => {
          if ((await registry.evidenceOf(document.evidenceId)).anchoredAt !== 0n) {
            return `document ${document.id}: ${byRecord}`;
          }
          expect(await leafOf(document.evidenceId), `${document.kind} ${document.id} batched`).to.not.equal(undefined);
          return `document ${document.id}: its row's ${byLeaf}`;
        };
        // Another facility's verified delivery note, moved to the facility whose payment 2 needs one.
        const move = (to: bigint) =>
          bankSql(`UPDATE "Document" SET "facilityId" = ? WHERE "id" = ?`, to, evidence.otherNote.id);
        expect(move(facility.pay)).to.equal(1);
        const moved = await officer.post(`/facilities/${facility.pay}/payments/2`, {});
        expect(moved.status, JSON.stringify(moved.body)).to.equal(409);
        expect(moved.body.detail).to.include(
          await refusalOf(
            evidence.otherNote,
            `the chain records it as DELIVERY_NOTE of facility ${facility.other}, not DELIVERY_NOTE of facility ${facility.pay}`,
            `facility ${facility.pay} is not the one its evidence id commits to (${facility.other})`,
          ),
        );
        move(facility.other);
        // One of this facility's verified invoices, relabelled as the delivery note.
        const relabelled = await upload(facility.pay, "INVOICE", "invoice to relabel");
        await bothVerdicts([relabelled], ACCEPT);
        expect(bankSql(`UPDATE "Document" SET "kind" = 'DELIVERY_NOTE' WHERE "id" = ?`, relabelled.id)).to.equal(1);
        const renamed = await officer.post(`/facilities/${facility.pay}/payments/2`, {});
        expect(renamed.status, JSON.stringify(renamed.body)).to.equal(409);
        expect(renamed.body.detail).to.include(
          await refusalOf(
            relabelled,
            `the chain records it as INVOICE of facility ${facility.pay}, not DELIVERY_NOTE`,
            "kind DELIVERY_NOTE is not the one its evidence id commits to (INVOICE)",
          ),
        );
        expect(await Promise.all([vendor, attacker].map(balanceOf))).to.deep.equal(before);
        expect((await registry.evidenceOf(evidence.otherNote.evidenceId)).consumed).to.equal(false);
        expect((await registry.evidenceOf(relabelled.evidenceId)).consumed).to.equal(false);
        tally.tampering += 2;
        say(
          `evidence moved to another facility, and relabelled as another kind, in the database: both payments refused by the bank node (409 ${moved.body.code}, ${renamed.body.code})`,
        );
      });

      it("has the regulator refuse to co-sign a decision whose message was swapped in the bank's database", async function () {
        const { manager } = system.contracts;
        // Both frozen once; only one re-inspected since.
        await spotCheck(facility.other, "FAIL", "NB-SC-2026-0045");
        await spotCheck(facility.reinspected, "FAIL", "NB-SC-2026-0046");
        await spotCheck(facility.reinspected, "PASS", REFERENCES.inspection);
        const unsupported = await proposeUnfreeze(facility.other);
        const supported = await proposeUnfreeze(facility.reinspected);
        expect(unsupported.message.freezeCount).to.equal(supported.message.freezeCount);
        const refused = await inspector.post(`/approvals/${unsupported.id}/cosign`, {});
        expect(refused.body.code).to.equal("regulator_refused");

        /** Gives approval `target` the message of `source` and the bank's signature over it. */
        const swap = (target: string, source: Approval) =>
          bankSql(
            `UPDATE "Approval" SET "message" = ?, "bankSignature" = ? WHERE "id" = ?`,
            JSON.stringify(source.message),
            source.bankSignature,
            target,
          );
        expect(swap(supported.id, unsupported)).to.equal(1);
        const unfreeze = await inspector.post(`/approvals/${supported.id}/cosign`, {});
        expect([unfreeze.status, unfreeze.body.code], JSON.stringify(unfreeze.body)).to.deep.equal([
          409,
          "regulator_refused",
        ]);
        expect(unfreeze.body.detail).to.include(`for facility ${facility.other}`);
        expect((await manager.facility(facility.other)).status).to.equal(Status.FROZEN);

        // A review of another facility made to carry the pending review of the first, with the bank's signature.
        const pending = await pendingReview(facility.pay);
        const carrier = await proposeReview(facility.reinspected);
        expect(swap(carrier.id, pending)).to.equal(1);
        const review = await inspector.post(`/approvals/${carrier.id}/cosign`, {});
        expect([review.status, review.body.code], JSON.stringify(review.body)).to.deep.equal([
          409,
          "regulator_refused",
        ]);
        expect(review.body.detail).to.include(`for facility ${facility.pay}`);
        expect((await manager.facility(facility.pay)).reviewNonce).to.equal(BigInt(pending.message.nonce));
        tally.tampering += 2;
        say(
          "an unfreeze's and a review's message swapped in the bank's database: the regulator refused to co-sign either (409)",
        );
      });

      after(async function () {
        // Whatever happened above, no token reached the attacker's address.
        expect(await balanceOf(attacker)).to.equal(0n);
      });
    });

    describe("when a joint decision has expired", function () {
      it("the regulator will not sign it, and the bank node relays the chain's refusal of a signature over it", async function () {
        const pending = await pendingReview(facility.pay);
        const deadline = BigInt(pending.message.deadline);
        await system.provider.send("evm_increaseTime", [Number(deadline - (await chainNow())) + 60]);
        await system.provider.send("evm_mine", []);

        const refused = await inspector.post(`/approvals/${pending.id}/cosign`, {});
        expect([refused.status, refused.body.code], JSON.stringify(refused.body)).to.deep.equal([
          409,
          "regulator_refused",
        ]);
        expect(refused.body.detail).to.include("the decision expired at");
        tally.apiSignatures++;

        const signature = signReview(
          system.contracts.manager.connect(relayer),
          keys.regulator,
          reviewOf(pending.message),
        );
        await refusedByBank(pending.id, [
          ["a valid signature over it", signature, 409, ["facility_signature_expired"]],
        ]);
        expect((await officer.get(`/approvals/${pending.id}`)).body.status).to.equal("REFUSED");
        say(
          "an expired review: the regulator refused to sign it (409); a valid signature over it refused by the chain through the bank node (409)",
        );
      });
    });
  });
});
