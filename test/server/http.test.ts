import { expect } from "chai";
import { JsonRpcProvider, NonceManager, Wallet, ZeroHash, getAddress, hexlify, sha256 } from "ethers";
import http, { type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import Ajv2020 from "ajv/dist/2020";
import { deploy } from "../../scripts/deploy";
import { startChainNode, type ChainNode } from "../../scripts/lib/chain-node";
import { freePort } from "../../scripts/bench/lib/system";
import { devWallet, parseDeployConfig } from "../../scripts/lib/deploy-config";
import type { Deployment } from "../../scripts/lib/deployments";
import { createApiKeys, type ApiKeys } from "../../server/auth/api-keys";
import { createChain, type Chain } from "../../server/chain/chain";
import { createDocumentStore } from "../../server/documents/storage";
import { createDatabase, type Database } from "../../server/db/client";
import { migrateDatabase } from "../../server/db/migrate";
import { createApp, type AppOptions } from "../../server/http/app";
import { API_VERSION } from "../../server/http/openapi";
import type { RouteDef } from "../../server/http/route";
import { registryRoutes } from "../../server/registry/registry";
import { whiteListRoutes } from "../../server/whitelist/router";
import { composeNode } from "../../server/node/compose";
import { devVerifierWallet } from "../helpers/nodeParts";

const LIMITS = { jsonBytes: 2_048, uploadBytes: 4_096, requestsPerMinute: 10_000 };
const PROBLEM_TYPE = (code: string) => `https://qfm.example/problems/${code}`;
const pdf = (text: string) => Buffer.from(`%PDF-1.7\n% ${text}\n%%EOF\n`);
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);

interface Reply {
  status: number;
  headers: Headers;
  bytes: Buffer;
  text: string;
  body: any;
}

/**
 * The HTTP layer of a node, in process, on real parts: a migrated SQLite database in a temporary directory, real API
 * keys, a real document store, and a real chain — a `hardhat node` process (this file's port range is 18900–18924)
 * with the contracts deployed by scripts/deploy.ts, reached through createChain as a node reaches it.
 */
describe("the HTTP layer", function () {
  this.timeout(180_000);
  let dir: string;
  let chainNode: ChainNode;
  let deployment: Deployment;
  let db: Database;
  let apiKeys: ApiKeys;
  let chain: Chain;
  let routes: RouteDef<any, any, any, any>[];
  let base: string;
  const servers: Server[] = [];
  const chains: Chain[] = [];
  const keys = {} as Record<"officer" | "officer2" | "regulator" | "borrower" | "supplier", string>;
  /** The payee facility 1 pays (against any payee kind). */
  let PAYEE_OF_1 = "";
  /** What the server logged at error level: shown when a request gets a 5xx. */
  const errorLogs: string[] = [];
  const logger = pino(
    { level: "error" },
    { write: (line: string) => void errorLogs.push(line.length > 2_000 ? line.slice(0, 2_000) : line) },
  );

  /**
   * Serves the bank node's route set (composed as server/node/compose.ts composes it) and the regulator's registry routes on a
   * fresh app; `chain` replaces the deployment's chain, `overrides` the app's options.
   */
  async function listen({ chain: target = chain, ...overrides }: Partial<AppOptions> & { chain?: Chain } = {}) {
    const bank = composeNode({
      role: "bank",
      db,
      chain: target,
      logger,
      verifierWallet: devVerifierWallet("bank"),
      waitMs: 200,
      documentsDir: path.join(dir, "documents"),
      outbox: { confirmations: 0, pollIntervalMs: 1_000 },
    });
    const { metrics, outbox } = bank;
    const routeSet = [...bank.routes, ...registryRoutes({ db })];
    const app = createApp({
      title: "test node",
      description: "the HTTP layer under test",
      routes: routeSet,
      apiKeys,
      logger,
      metrics,
      limits: LIMITS,
      ready: async () => {
        await db.prisma.$queryRawUnsafe("SELECT 1");
        return { database: db.provider, chain: await target.check(), outboxPending: await outbox.pendingCount() };
      },
      ...overrides,
    });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    servers.push(server);
    routes ??= routeSet;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /**
   * Every request of this file goes through here, and any 5xx reply fails the test that made it — except a 503 that
   * the caller expects (readiness) — so no test can pass with a server error hidden behind a looser assertion.
   */
  /** A POST of `body` as it is, declared as `contentType` (with `key`, when given). */
  const postAs = (contentType: string, pathname: string, body: string, key?: string) =>
    send(pathname, { method: "POST", key, headers: { "content-type": contentType }, body });

  async function send(
    pathname: string,
    init: RequestInit & { key?: string; json?: unknown; at?: string; expect503?: boolean } = {},
  ): Promise<Reply> {
    const { key, json, at, expect503, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (key) headers.set("authorization", `Bearer ${key}`);
    if (json !== undefined) headers.set("content-type", "application/json");
    const response = await fetch(`${at ?? base}${pathname}`, {
      ...rest,
      headers,
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const text = bytes.toString("utf8");
    if (response.status >= 500 && !(expect503 && response.status === 503)) {
      expect.fail(
        `${rest.method ?? "GET"} ${pathname} answered ${response.status}: ${text.slice(0, 500)}\n` +
          `server log: ${errorLogs.splice(0).join("").slice(0, 3_000)}`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, headers: response.headers, bytes, text, body };
  }

  function uploadForm(
    fields: Record<string, string>,
    file?: { bytes: Uint8Array; type: string; name?: string; field?: string },
  ): FormData {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    if (file)
      form.append(
        file.field ?? "file",
        new Blob([new Uint8Array(file.bytes)], { type: file.type }),
        file.name ?? "doc",
      );
    return form;
  }

  const upload = (fields: Record<string, string>, file?: Parameters<typeof uploadForm>[1], key = keys.officer) =>
    send("/documents", { method: "POST", key, body: uploadForm(fields, file) });

  const validFields = { facilityId: "1", kind: "INVOICE" };

  /** The borrower and the supplier (a payee of its plan) the tests' borrower and supplier keys are bound to. */
  const PARTIES = { borrower: devWallet("borrower").address, supplier: getAddress(`0x${"5e".repeat(20)}`) };

  /** Records facility `facilityId` on the node with the tests' borrower and supplier as its parties. */
  async function partyFacility(facilityId: bigint) {
    await db.prisma.facility.create({
      data: {
        id: randomUUID(),
        facilityId,
        borrower: PARTIES.borrower,
        borrowerName: "Acme",
        creditCode: "91330206MA2AAAAA1X",
        productId: "yongzhidai",
        productVersion: 1,
        grade: "C",
        creditLimit: 1_000_000n,
        termMonths: 12,
        baseRateBps: 435,
        qualityFloorBps: 3_000,
        subsidyBps: 0,
        plan: JSON.stringify([{ payee: PARTIES.supplier, amount: "1000000" }]),
        targets: "[]",
        createdBy: "http test",
      },
    });
  }

  /** Asserts an RFC 9457 problem with the API's extensions, and returns it. */
  function expectProblem(reply: Reply, status: number, code: string, instance?: string) {
    expect(reply.status, reply.text).to.equal(status);
    expect(reply.headers.get("content-type")).to.match(/^application\/problem\+json/);
    const problem = reply.body;
    expect(problem).to.include({ type: PROBLEM_TYPE(code), status, code });
    expect(problem.title).to.be.a("string").and.not.equal("");
    expect(problem.detail).to.be.a("string").and.not.equal("");
    expect(problem.retryable).to.be.a("boolean");
    if (instance !== undefined) expect(problem.instance).to.equal(instance);
    return problem as {
      detail: string;
      retryable: boolean;
      errors?: Array<{ path: string; message: string }>;
      [key: string]: unknown;
    };
  }

  function expectValidationFailed(reply: Reply, paths: string[], instance?: string) {
    const problem = expectProblem(reply, 400, "validation_failed", instance);
    expect(problem.retryable).to.equal(false);
    expect(problem.errors, "errors[]").to.be.an("array").that.is.not.empty;
    for (const error of problem.errors!) {
      expect(error.path).to.be.a("string");
      expect(error.message).to.be.a("string").and.not.equal("");
    }
    expect(problem.errors!.map((error) => error.path)).to.include.members(paths);
    for (const where of paths) expect(problem.detail).to.include(where);
    return problem;
  }

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-http-"));
    chainNode = await startChainNode({ kind: "hardhat", port: await freePort() });
    deployment = await deploy(
      parseDeployConfig({ RPC_URL: chainNode.url, DEPLOYMENTS_FILE: path.join(dir, "deployment.json") }),
      () => undefined,
    );
    const url = `file:${path.join(dir, "db.sqlite")}`;
    await migrateDatabase(url);
    db = createDatabase(url);
    apiKeys = createApiKeys({ db });
    chain = createChain({ deployment, signerKey: devWallet("bank").privateKey });
    chains.push(chain);
    keys.officer = (await apiKeys.issue({ role: "bank_officer", institution: "bank", label: "alice" })).key;
    keys.regulator = (await apiKeys.issue({ role: "regulator", institution: "samr", label: "inspector" })).key;
    keys.borrower = (
      await apiKeys.issue({
        role: "borrower",
        institution: "acme",
        label: "cfo",
        subject: { address: PARTIES.borrower, creditCode: "91330206MA2AAAAA1X" },
      })
    ).key;
    keys.supplier = (
      await apiKeys.issue({
        role: "supplier",
        institution: "steelco",
        label: "sales",
        subject: { address: PARTIES.supplier },
      })
    ).key;
    // The borrower's and the supplier's keys are parties of facilities 1 and 2, whose documents they read.
    for (const facilityId of [1n, 2n]) await partyFacility(facilityId);
    keys.officer2 = (await apiKeys.issue({ role: "bank_officer", institution: "bank", label: "bob" })).key;
    // Facilities 1–3 on chain, each paying one registered payee against any payee kind: evidence needs a facility.
    const payee = Wallet.createRandom().address;
    PAYEE_OF_1 = payee;
    // a wallet and provider of their own: the node's provider caches reads between blocks
    const setupProvider = new JsonRpcProvider(chainNode.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const bankWallet = new NonceManager(new Wallet(devWallet("bank").privateKey, setupProvider));
    await (await chain.payees.connect(bankWallet).registerPayee(payee, 0, ZeroHash.replace(/0$/, "1"))).wait();
    for (let i = 0; i < 3; i++) {
      await (
        await chain.manager.connect(bankWallet).createFacility(
          {
            borrower: Wallet.createRandom().address,
            creditLimit: 1_000_000n,
            baseRateBps: 435,
            qualityFloorBps: 0,
            subsidyBps: 0,
          },
          [{ payee, amount: 1_000n, category: 0, requiredKinds: 0b10111, qualityPurpose: true, paid: false }],
        )
      ).wait();
    }
    setupProvider.destroy();
    base = await listen();
  });

  afterEach(function () {
    errorLogs.length = 0;
  });

  after(async function () {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    for (const c of chains) c.close();
    await db?.close();
    await chainNode?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("when the input fails validation", function () {
    it("names the path parameter in a 400 validation_failed problem", async function () {
      const reply = await send("/documents/not-a-uuid", { key: keys.officer });
      const problem = expectValidationFailed(reply, ["params.id"], "/documents/not-a-uuid");
      expect(problem.errors).to.deep.equal([{ path: "params.id", message: "must be a document id (UUID)" }]);
    });

    it("names a hex path parameter that is not 32 bytes", async function () {
      expectValidationFailed(await send("/evidence/0x1234/proof", { key: keys.officer }), ["params.evidenceId"]);
      expectValidationFailed(await send(`/batches/0x${"g".repeat(64)}`, { key: keys.officer }), ["params.root"]);
    });

    it("names every offending query parameter", async function () {
      const reply = await send("/documents?limit=0&status=LOST&facilityId=0&cursor=x", { key: keys.officer });
      expectValidationFailed(
        reply,
        ["query.limit", "query.status", "query.facilityId", "query.cursor"],
        "/documents?limit=0&status=LOST&facilityId=0&cursor=x",
      );
    });

    it("rejects a facility id over 2^63 - 1 in a query, where the database could not look it up", async function () {
      const huge = (2n ** 63n).toString();
      expectValidationFailed(await send(`/documents?facilityId=${huge}`, { key: keys.officer }), ["query.facilityId"]);
      expectValidationFailed(await send(`/verifications?facilityId=${huge}`, { key: keys.officer }), [
        "query.facilityId",
      ]);
    });

    it("rejects a repeated query parameter instead of guessing which one was meant", async function () {
      expectValidationFailed(await send("/documents?limit=1&limit=2", { key: keys.officer }), ["query.limit"]);
    });

    it("names every offending body field of a JSON request", async function () {
      const reply = await send("/registry/records", {
        method: "POST",
        key: keys.regulator,
        json: { type: "NOPE", reference: "  ", data: [] },
      });
      expectValidationFailed(
        reply,
        ["body.type", "body.reference", "body.holder", "body.holderCreditCode", "body.data"],
        "/registry/records",
      );
    });

    it("names the body fields of a public JSON request", async function () {
      const reply = await send("/verify", {
        method: "POST",
        json: { contentHash: "0x12", salt: hexlify(randomBytes(32)), facilityId: "-1", kind: "RECEIPT" },
      });
      expectValidationFailed(reply, ["body.contentHash", "body.facilityId", "body.kind"]);
    });

    it("treats a JSON array or a missing body as a body that fails validation", async function () {
      const array = await send("/verify", { method: "POST", json: [] });
      expect(expectProblem(array, 400, "validation_failed").errors![0].path).to.equal("body");
      const none = await send("/verify", { method: "POST" });
      expect(expectProblem(none, 400, "validation_failed").errors![0].path).to.equal("body");
    });

    it("refuses an id sent as a JSON number past 2^53 - 1, which has already lost digits", async function () {
      const hex = hexlify(randomBytes(32));
      const reply = await postAs(
        "application/json",
        "/verify",
        `{"contentHash": "${hex}", "salt": "${hex}", "facilityId": 9007199254740993, "kind": "INVOICE"}`,
      );
      expect(expectValidationFailed(reply, ["body.facilityId"]).detail).to.include("2^53 - 1");
    });

    it("refuses a body field the route does not know, by name, __proto__ included", async function () {
      const valid = {
        contentHash: hexlify(randomBytes(32)),
        salt: hexlify(randomBytes(32)),
        facilityId: "1",
        kind: "INVOICE",
      };
      const misspelt = await send("/verify", { method: "POST", json: { ...valid, facilityID: "2" } });
      expect(expectValidationFailed(misspelt, ["body"]).detail).to.include("facilityID");
      const smuggled = await postAs(
        "application/json",
        "/verify",
        JSON.stringify(valid).replace("{", '{"__proto__": {"kind": "PATENT_FILING"}, '),
      );
      expect(expectValidationFailed(smuggled, ["body"]).detail).to.include("__proto__");
    });

    it("answers 415 for a JSON route's body in another media type", async function () {
      const reply = await postAs("text/plain", "/verify", JSON.stringify({ facilityId: "1" }));
      expect(expectProblem(reply, 415, "unsupported_media_type").detail).to.include("application/json");
    });

    it("refuses an address without 0x, in ICAP form or with a wrong EIP-55 checksum", async function () {
      const address = "0x5A0b54D5dc17e0AadC383d2db43B0a0D3E029c4c";
      const payee = { name: "Ningbo CNC", creditCode: "91330200MA2H8K3X1Y", category: "EQUIPMENT" };
      for (const wrong of [address.slice(2), "XE7338O073KYGTWWZN0F2WZ0R8PX5ZPPZS"]) {
        const reply = await send("/payees", { method: "POST", key: keys.officer, json: { ...payee, address: wrong } });
        expectValidationFailed(reply, ["body.address"]);
      }
      const checksum = await send("/payees", {
        method: "POST",
        key: keys.officer,
        json: { ...payee, address: address.replace("A0b", "a0b") },
      });
      expect(expectValidationFailed(checksum, ["body.address"]).detail).to.include("checksum");
    });

    it("refuses a review period that does not end after it starts (it was a 500)", async function () {
      const reply = await send("/facilities/1/reviews", {
        method: "POST",
        key: keys.officer,
        json: { periodFrom: "2026-04-01T00:00:00+08:00", periodTo: "2026-01-01T00:00:00Z" },
      });
      expectValidationFailed(reply, ["body.periodTo"]);
    });

    it("refuses free text holding a control character or a lone surrogate", async function () {
      const record = { type: "LICENSED_LAB", reference: "CNAS-L1", holderCreditCode: "12330200MB1234567X" };
      const nul = await send("/registry/records", {
        method: "POST",
        key: keys.regulator,
        json: { ...record, holder: "Lab\u0000" },
      });
      expectValidationFailed(nul, ["body.holder"]);
      const surrogate = await postAs(
        "application/json",
        "/registry/records",
        JSON.stringify({ ...record, holder: "Lab X" }).replace("Lab X", "Lab \\ud83d"),
        keys.regulator,
      );
      expectValidationFailed(surrogate, ["body.holder"]);
    });

    let regulatorWhiteList: string | undefined;
    it("reads a white-list score only from digits: an empty CSV cell is not 0", async function () {
      const header = "creditCode,name,grade,credit,management,brand,foundation,innovation";
      for (const credit of ["", "1e2", "0x10"]) {
        // The white list is imported on the regulator node (the bank node takes only its signed entries).
        const reply = await send("/whitelist/import", {
          at: (regulatorWhiteList ??= await listen({ routes: whiteListRoutes({ db, role: "regulator", chain }) })),
          method: "POST",
          key: keys.regulator,
          json: { csv: `${header}\n91330206MA2AAAAA1X,Yongxin,B,${credit},80,72,84,77\n` },
        });
        expect(expectProblem(reply, 400, "validation_failed").errors!.map((e) => e.path)).to.deep.equal([
          "rows.1.credit",
        ]);
      }
    });

    it("reads a query's limit only from decimal digits", async function () {
      for (const limit of ["0x10", "1e2", "%205"])
        expectValidationFailed(await send(`/documents?limit=${limit}`, { key: keys.officer }), ["query.limit"]);
    });

    it("rejects a path with a malformed percent-encoding as a bad request", async function () {
      const reply = await send("/documents/%E0%A4%A", { key: keys.officer });
      expectProblem(reply, 400, "bad_request");
    });
  });

  describe("when the JSON body cannot be read", function () {
    it("answers 400 malformed_json for JSON that does not parse", async function () {
      const reply = await postAs("application/json", "/verify", '{"contentHash": ');
      const problem = expectProblem(reply, 400, "malformed_json", "/verify");
      expect(problem.retryable).to.equal(false);
    });

    it("answers 400 malformed_json for a bare JSON string (strict mode)", async function () {
      const reply = await postAs("application/json", "/verify", '"hello"');
      expectProblem(reply, 400, "malformed_json");
    });

    it("answers 413 payload_too_large for a body over the JSON limit", async function () {
      const reply = await send("/registry/records", {
        method: "POST",
        key: keys.regulator,
        json: { type: "LICENSED_LAB", reference: "R-1", holder: "x".repeat(LIMITS.jsonBytes + 1) },
      });
      const problem = expectProblem(reply, 413, "payload_too_large", "/registry/records");
      expect(problem.title).to.equal("Content Too Large");
      const huge = await send("/verify", { method: "POST", json: { padding: "x".repeat(2 * 1024 * 1024) } });
      expectProblem(huge, 413, "payload_too_large");
    });

    it("answers 415 for a charset it cannot decode", async function () {
      const reply = await postAs("application/json; charset=klingon", "/verify", "{}");
      expectProblem(reply, 415, "unsupported_encoding");
    });
  });

  describe("when a document is uploaded", function () {
    it("stores a valid PDF and answers 201 with the document's record", async function () {
      const bytes = pdf("invoice 1");
      const reply = await upload(
        { ...validFields, metadata: JSON.stringify({ invoiceNumber: "INV-1" }) },
        { bytes, type: "application/pdf", name: "invoice.pdf" },
      );
      expect(reply.status, reply.text).to.equal(201);
      expect(reply.body).to.include({
        facilityId: "1",
        kind: "INVOICE",
        mimeType: "application/pdf",
        size: bytes.length,
        originalName: "invoice.pdf",
        contentHash: sha256(bytes),
        status: "QUEUED",
        uploadedBy: "bank/alice",
      });
      expect(reply.body.metadata).to.deep.equal({ invoiceNumber: "INV-1" });
      const content = await send(`/documents/${reply.body.id}/content`, { key: keys.regulator });
      expect(content.status).to.equal(200);
      expect(content.headers.get("content-type")).to.match(/^application\/pdf/);
      expect(content.headers.get("x-content-sha256")).to.equal(sha256(bytes));
      expect(content.bytes.equals(bytes)).to.equal(true);
    });

    it("keeps a non-ASCII file name and offers it back in the download's Content-Disposition", async function () {
      const name = "采购合同 PC-1.pdf";
      const reply = await upload(validFields, { bytes: pdf("contract"), type: "application/pdf", name });
      expect(reply.status, reply.text).to.equal(201);
      expect(reply.body.originalName).to.equal(name);
      const content = await send(`/documents/${reply.body.id}/content`, { key: keys.officer });
      const disposition = content.headers.get("content-disposition") ?? "";
      expect(disposition).to.match(/^attachment;/);
      expect(disposition).to.include(`filename*=UTF-8''${encodeURIComponent(name)}`);
      expect(content.headers.get("content-type")).to.match(/^application\/pdf/);
    });

    it("stores and serves a file whose name holds a tab, a quote and a latin1 byte", async function () {
      const part = (headers: string, value: string | Buffer) => [
        Buffer.from(`--edge\r\n${headers}\r\n\r\n`, "latin1"),
        Buffer.from(value),
        Buffer.from("\r\n"),
      ];
      const body = Buffer.concat([
        ...part('content-disposition: form-data; name="facilityId"', "1"),
        ...part('content-disposition: form-data; name="kind"', "INVOICE"),
        ...part(
          'content-disposition: form-data; name="file"; filename="odd\\"name\t\u00e9.pdf"\r\ncontent-type: application/pdf',
          pdf("odd name"),
        ),
        Buffer.from("--edge--\r\n"),
      ]);
      const reply = await send("/documents", {
        method: "POST",
        key: keys.officer,
        headers: { "content-type": "multipart/form-data; boundary=edge" },
        body,
      });
      expect(reply.status, reply.text).to.equal(201);
      const content = await send(`/documents/${reply.body.id}/content`, { key: keys.officer });
      expect(content.status).to.equal(200);
      expect(content.headers.get("content-disposition")).to.match(/^attachment; filename="/);
    });

    it("answers 400 invalid_file_name for a file name that names directories", async function () {
      for (const name of ["../../etc/passwd.pdf", "..\\invoice.pdf", "/tmp/invoice.pdf"]) {
        const reply = await upload(validFields, { bytes: pdf(name), type: "application/pdf", name });
        expect(expectProblem(reply, 400, "invalid_file_name").detail).to.include(JSON.stringify(name));
      }
    });

    it("answers 404 facility_not_found for the largest facility id, 2^63 - 1, which the chain never issued", async function () {
      const largest = (2n ** 63n - 1n).toString();
      const reply = await upload(
        { facilityId: largest, kind: "INVOICE" },
        { bytes: pdf("max facility"), type: "application/pdf" },
      );
      expectProblem(reply, 404, "facility_not_found", "/documents");
      const listed = await send(`/documents?facilityId=${largest}`, { key: keys.officer });
      expect(listed.body.items).to.deep.equal([]);
    });

    it("answers 400 file_missing when no file is attached", async function () {
      const problem = expectProblem(await upload(validFields), 400, "file_missing", "/documents");
      expect(problem.detail).to.include('"file"');
    });

    it("answers 415 for a type it does not accept", async function () {
      const reply = await upload(validFields, { bytes: Buffer.from("hello"), type: "text/plain" });
      const problem = expectProblem(reply, 415, "unsupported_media_type");
      expect(problem.detail).to.include("text/plain");
    });

    it("answers 400 content_type_mismatch when the bytes are not of the declared type", async function () {
      const asPdf = await upload(validFields, { bytes: png, type: "application/pdf" });
      expectProblem(asPdf, 400, "content_type_mismatch");
      const asJson = await upload(validFields, { bytes: Buffer.from("{not json"), type: "application/json" });
      expectProblem(asJson, 400, "content_type_mismatch");
    });

    it("answers 400 empty_file for a file of no bytes", async function () {
      expectProblem(await upload(validFields, { bytes: Buffer.alloc(0), type: "application/pdf" }), 400, "empty_file");
    });

    it("answers 413 file_too_large for a file over the upload limit", async function () {
      const bytes = Buffer.concat([pdf("big"), Buffer.alloc(LIMITS.uploadBytes, 0x20)]);
      const problem = expectProblem(
        await upload(validFields, { bytes, type: "application/pdf" }),
        413,
        "file_too_large",
      );
      expect(problem.retryable).to.equal(false);
      // Far over the limit: the server answers before the upload ends and still reads it off, so the client sees 413.
      const huge = Buffer.concat([pdf("huge"), Buffer.alloc(2 * 1024 * 1024, 0x20)]);
      expectProblem(await upload(validFields, { bytes: huge, type: "application/pdf" }), 413, "file_too_large");
      expect((await send("/health")).status).to.equal(200);
    });

    it("answers 415 for a body that is not multipart/form-data", async function () {
      const json = await send("/documents", { method: "POST", key: keys.officer, json: validFields });
      expectProblem(json, 415, "unsupported_media_type", "/documents");
      const form = await postAs(
        "application/x-www-form-urlencoded",
        "/documents",
        "facilityId=1&kind=INVOICE",
        keys.officer,
      );
      expectProblem(form, 415, "unsupported_media_type");
    });

    it("answers 400 invalid_multipart for a broken multipart body", async function () {
      const noBoundary = await postAs("multipart/form-data", "/documents", "x", keys.officer);
      expectProblem(noBoundary, 400, "invalid_multipart");
      const truncated = await postAs(
        "multipart/form-data; boundary=xyz",
        "/documents",
        '--xyz\r\ncontent-disposition: form-data; name="kind"\r\n\r\nINV',
        keys.officer,
      );
      expectProblem(truncated, 400, "invalid_multipart");
    });

    it("answers 400 invalid_multipart for a file in another field or a second file", async function () {
      const elsewhere = await upload(validFields, { bytes: pdf("x"), type: "application/pdf", field: "document" });
      expectProblem(elsewhere, 400, "invalid_multipart");
      const form = uploadForm(validFields, { bytes: pdf("one"), type: "application/pdf" });
      form.append("file", new Blob([pdf("two")], { type: "application/pdf" }), "two.pdf");
      expectProblem(
        await send("/documents", { method: "POST", key: keys.officer, body: form }),
        400,
        "invalid_multipart",
      );
    });

    for (const [what, metadata] of [
      ["not JSON", "{invoiceNumber: INV-1}"],
      ["a JSON array", "[1, 2]"],
      ["JSON null", "null"],
      ["a JSON string", '"text"'],
    ] as const) {
      it(`answers 400 validation_failed naming body.metadata when the metadata is ${what}`, async function () {
        const reply = await upload({ ...validFields, metadata }, { bytes: pdf(what), type: "application/pdf" });
        expectValidationFailed(reply, ["body.metadata"], "/documents");
      });
    }

    it("answers 400 validation_failed naming body.kind for an unknown kind", async function () {
      const reply = await upload({ facilityId: "1", kind: "RECEIPT" }, { bytes: pdf("k"), type: "application/pdf" });
      const problem = expectValidationFailed(reply, ["body.kind"]);
      expect(problem.errors![0].message).to.include("PURCHASE_CONTRACT");
    });

    for (const facilityId of [
      "0",
      "-1",
      "abc",
      "1.5",
      "",
      (2n ** 63n).toString(),
      (2n ** 64n).toString(),
      "9".repeat(40),
    ]) {
      it(`answers 400 validation_failed naming body.facilityId for facilityId "${facilityId}"`, async function () {
        const reply = await upload({ facilityId, kind: "INVOICE" }, { bytes: pdf("f"), type: "application/pdf" });
        expectValidationFailed(reply, ["body.facilityId"]);
      });
    }

    it("checks a public upload against the chain: an unknown document is not anchored", async function () {
      const reply = await send("/verify/document", {
        method: "POST",
        body: uploadForm(
          { salt: hexlify(randomBytes(32)), facilityId: "1", kind: "INVOICE", counterparty: PAYEE_OF_1 },
          { bytes: pdf("never uploaded"), type: "application/pdf" },
        ),
      });
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.body).to.include({ anchored: false, chainId: "31337", verifiedOnChain: false });
    });
  });

  describe("when several documents are uploaded at once", function () {
    const bulk = (entries: unknown, files: { bytes: Uint8Array; type: string; name?: string }[]) => {
      const form = new FormData();
      form.append("documents", typeof entries === "string" ? entries : JSON.stringify(entries));
      for (const file of files)
        form.append("files", new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name ?? "doc");
      return send("/documents/bulk", { method: "POST", key: keys.officer, body: form });
    };
    const documentCount = () => db.prisma.document.count();

    it("stores every file, in order, each queued for the next batch", async function () {
      const files = [pdf("bulk a"), png, Buffer.from('{"inspection":"pass"}')];
      const reply = await bulk(
        [
          { facilityId: "1", kind: "INVOICE", metadata: { invoiceNumber: "FP-1" } },
          { facilityId: "2", kind: "INSPECTION_REPORT" },
          { facilityId: 1, kind: "DELIVERY_NOTE" },
        ],
        [
          { bytes: files[0], type: "application/pdf", name: "a.pdf" },
          { bytes: files[1], type: "image/png", name: "b.png" },
          { bytes: files[2], type: "application/json", name: "c.json" },
        ],
      );
      expect(reply.status, reply.text).to.equal(201);
      expect(reply.body.items.map((item: any) => [item.originalName, item.contentHash, item.status])).to.deep.equal([
        ["a.pdf", sha256(files[0]), "QUEUED"],
        ["b.png", sha256(files[1]), "QUEUED"],
        ["c.json", sha256(files[2]), "QUEUED"],
      ]);
      expect(reply.body.items[0].metadata).to.deep.equal({ invoiceNumber: "FP-1" });
      expect(reply.body.items[1]).to.include({ facilityId: "2", kind: "INSPECTION_REPORT", uploadedBy: "bank/alice" });
      for (const [i, item] of reply.body.items.entries()) {
        const content = await send(`/documents/${item.id}/content`, { key: keys.officer });
        expect(content.bytes.equals(files[i])).to.equal(true);
      }
    });

    it("stores nothing when one file is refused, and names that file", async function () {
      const before = await documentCount();
      const reply = await bulk(
        [
          { facilityId: "1", kind: "INVOICE" },
          { facilityId: "1", kind: "INVOICE" },
        ],
        [
          { bytes: pdf("good"), type: "application/pdf", name: "good.pdf" },
          { bytes: png, type: "application/pdf", name: "liar.pdf" },
        ],
      );
      const problem = expectProblem(reply, 400, "content_type_mismatch", "/documents/bulk");
      expect(problem.detail).to.include("file 2 (liar.pdf)");
      expect(await documentCount()).to.equal(before);
    });

    it("answers 400 when the entries and the files do not pair up, or the entries are not valid", async function () {
      const before = await documentCount();
      const one = [{ bytes: pdf("one"), type: "application/pdf" }];
      const mismatch = expectProblem(
        await bulk(
          [
            { facilityId: "1", kind: "INVOICE" },
            { facilityId: "1", kind: "INVOICE" },
          ],
          one,
        ),
        400,
        "documents_mismatch",
      );
      expect(mismatch.detail).to.include("1 file(s) were sent");
      for (const [entries, says] of [
        ["[{", "must be valid JSON"],
        [{ facilityId: "1", kind: "INVOICE" }, "must be a JSON array"],
        [[], "at least one file"],
        [[{ facilityId: "1", kind: "RECEIPT" }], "must be one of"],
        [[{ facilityId: "1", kind: "INVOICE", colour: "red" }], "colour"],
      ] as const) {
        const reply = await bulk(entries, one);
        expect(reply.status, reply.text).to.equal(400);
        expect(JSON.stringify(reply.body), JSON.stringify(entries)).to.include(says);
      }
      expectProblem(await bulk([{ facilityId: "1", kind: "INVOICE" }], []), 400, "file_missing");
      expect(await documentCount()).to.equal(before);
    });

    it("refuses more files than one upload takes, and an upload declared larger than the limit", async function () {
      const many = Array.from({ length: 101 }, (_, i) => ({ bytes: pdf(`n${i}`), type: "application/pdf" }));
      const tooMany = await bulk(
        many.map(() => ({ facilityId: "1", kind: "INVOICE" })),
        many,
      );
      expect(tooMany.status, tooMany.text).to.equal(400);
      expect(tooMany.body.detail).to.match(/too many files/i);
      const declared = await new Promise<{ status: number; body: any }>((resolve, reject) => {
        const request = http.request(`${base}/documents/bulk`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${keys.officer}`,
            "content-type": "multipart/form-data; boundary=x",
            "content-length": String(65 * 1024 * 1024),
          },
        });
        request.on("response", (response) => {
          let text = "";
          response.on("data", (chunk) => (text += chunk));
          response.on("end", () => {
            resolve({ status: response.statusCode!, body: JSON.parse(text) });
            request.destroy();
          });
        });
        request.on("error", reject);
        request.write("--x\r\n");
      });
      expect(declared.status).to.equal(413);
      expect(declared.body).to.include({ code: "upload_too_large" });
    });
  });

  describe("when an upload carries an Idempotency-Key", function () {
    const documentCount = () => db.prisma.document.count();
    const keyed = (idempotencyKey: string, form: () => FormData, key = keys.officer, at = "/documents") =>
      send(at, { method: "POST", key, headers: { "idempotency-key": idempotencyKey }, body: form() });
    const invoice =
      (text: string, fields: Record<string, string> = validFields) =>
      () =>
        uploadForm(fields, { bytes: pdf(text), type: "application/pdf", name: "invoice.pdf" });

    it("answers a retry with the same document, marked as replayed, and stores nothing more", async function () {
      const idempotencyKey = randomUUID();
      const first = await keyed(idempotencyKey, invoice("idempotent 1"));
      expect(first.status, first.text).to.equal(201);
      expect(first.headers.get("idempotent-replayed")).to.equal(null);
      const before = await documentCount();
      const retry = await keyed(idempotencyKey, invoice("idempotent 1"));
      expect(retry.status, retry.text).to.equal(201);
      expect(retry.headers.get("idempotent-replayed")).to.equal("true");
      expect(retry.body).to.deep.equal(first.body);
      expect(await documentCount()).to.equal(before);
    });

    it("stores one document for two concurrent requests under one key, and answers both with it", async function () {
      const before = await documentCount();
      const idempotencyKey = randomUUID();
      const replies = await Promise.all(
        Array.from({ length: 4 }, () => keyed(idempotencyKey, invoice("idempotent race"))),
      );
      for (const reply of replies) expect(reply.status, reply.text).to.equal(201);
      expect(new Set(replies.map((reply) => reply.body.id)).size).to.equal(1);
      expect(await documentCount()).to.equal(before + 1);
    });

    it("answers 422 idempotency_key_reused for the key with other bytes or fields, and stores nothing", async function () {
      const idempotencyKey = randomUUID();
      expect((await keyed(idempotencyKey, invoice("idempotent 2"))).status).to.equal(201);
      const before = await documentCount();
      for (const form of [
        invoice("idempotent 2 changed"),
        invoice("idempotent 2", { ...validFields, facilityId: "2" }),
      ]) {
        const problem = expectProblem(await keyed(idempotencyKey, form), 422, "idempotency_key_reused", "/documents");
        expect(problem.retryable).to.equal(false);
        expect(problem.detail).to.include(idempotencyKey);
      }
      expect(await documentCount()).to.equal(before);
    });

    it("scopes keys to the API key's holder: another holder's key is another upload", async function () {
      const idempotencyKey = randomUUID();
      const officer = await keyed(idempotencyKey, invoice("idempotent 3"));
      // the same key from another holder (with its own document: the same one would be a duplicate)
      const supplier = await keyed(idempotencyKey, invoice("idempotent 3, the other holder's"), keys.officer2);
      expect([officer.status, supplier.status]).to.deep.equal([201, 201]);
      expect(supplier.headers.get("idempotent-replayed")).to.equal(null);
      expect(supplier.body.id).not.to.equal(officer.body.id);
    });

    it("answers 400 validation_failed naming the header for a key that is empty, too long or not ASCII", async function () {
      const before = await documentCount();
      for (const idempotencyKey of ["", "k".repeat(129), "clé"]) {
        const reply = await keyed(idempotencyKey, invoice("idempotent bad key"));
        expectValidationFailed(reply, ["headers.idempotency-key"], "/documents");
      }
      expect(await documentCount()).to.equal(before);
    });

    it("answers a retried bulk upload with the same documents in order, and stores nothing more", async function () {
      const form =
        (third = "c") =>
        () => {
          const data = new FormData();
          data.append("documents", JSON.stringify(["a", "b", third].map(() => ({ facilityId: "1", kind: "INVOICE" }))));
          for (const name of ["a", "b", third])
            data.append(
              "files",
              new Blob([new Uint8Array(pdf(`bulk idempotent ${name}`))], { type: "application/pdf" }),
            );
          return data;
        };
      const idempotencyKey = randomUUID();
      const first = await keyed(idempotencyKey, form(), keys.officer, "/documents/bulk");
      expect(first.status, first.text).to.equal(201);
      const before = await documentCount();
      const retry = await keyed(idempotencyKey, form(), keys.officer, "/documents/bulk");
      expect(retry.status, retry.text).to.equal(201);
      expect(retry.headers.get("idempotent-replayed")).to.equal("true");
      expect(retry.body.items.map((item: any) => item.id)).to.deep.equal(first.body.items.map((item: any) => item.id));
      expectProblem(
        await keyed(idempotencyKey, form("d"), keys.officer, "/documents/bulk"),
        422,
        "idempotency_key_reused",
      );
      expectProblem(await keyed(idempotencyKey, invoice("bulk idempotent a")), 422, "idempotency_key_reused");
      expect(await documentCount()).to.equal(before);
    });
  });

  describe("when the same bytes are uploaded at the same moment", function () {
    const documentCount = () => db.prisma.document.count();

    it("admits one of several concurrent uploads of the same bytes and refuses the others 409 document_duplicate", async function () {
      const before = await documentCount();
      const bytes = pdf(`same bytes at once ${randomUUID()}`);
      const replies = await Promise.all(
        Array.from({ length: 4 }, () => upload(validFields, { bytes, type: "application/pdf" })),
      );
      const stored = replies.filter((reply) => reply.status === 201);
      expect(stored, replies.map((reply) => reply.text).join("\n")).to.have.length(1);
      for (const reply of replies.filter((r) => r.status !== 201)) {
        expect(expectProblem(reply, 409, "document_duplicate").detail).to.include("same bytes");
      }
      expect(await documentCount()).to.equal(before + 1);
    });

    it("admits one of concurrent bulk uploads that share a file, all or none per upload", async function () {
      const before = await documentCount();
      const shared = pdf(`shared by two bulk uploads ${randomUUID()}`);
      const form = (own: string) => {
        const body = new FormData();
        body.append(
          "documents",
          JSON.stringify([
            { facilityId: "1", kind: "INVOICE" },
            { facilityId: "1", kind: "DELIVERY_NOTE" },
          ]),
        );
        for (const bytes of [shared, pdf(own)]) {
          body.append("files", new Blob([new Uint8Array(bytes)], { type: "application/pdf" }), "doc.pdf");
        }
        return body;
      };
      const replies = await Promise.all(
        [randomUUID(), randomUUID(), randomUUID()].map((own) =>
          send("/documents/bulk", { method: "POST", key: keys.officer, body: form(own) }),
        ),
      );
      expect(
        replies.filter((reply) => reply.status === 201),
        replies.map((r) => r.text).join("\n"),
      ).to.have.length(1);
      for (const reply of replies.filter((r) => r.status !== 201)) expectProblem(reply, 409, "document_duplicate");
      expect(await documentCount()).to.equal(before + 2);
    });

    it("admits one of concurrent bulk uploads citing one invoice number and refuses the others 409", async function () {
      const before = await documentCount();
      const invoiceNumber = `FP-RACE-${randomUUID()}`;
      const form = () => {
        const body = new FormData();
        body.append("documents", JSON.stringify([{ facilityId: "1", kind: "INVOICE", metadata: { invoiceNumber } }]));
        body.append("files", new Blob([new Uint8Array(pdf(randomUUID()))], { type: "application/pdf" }), "doc.pdf");
        return body;
      };
      const replies = await Promise.all(
        [1, 2, 3].map(() => send("/documents/bulk", { method: "POST", key: keys.officer, body: form() })),
      );
      expect(
        replies.filter((reply) => reply.status === 201),
        replies.map((r) => r.text).join("\n"),
      ).to.have.length(1);
      for (const reply of replies.filter((r) => r.status !== 201)) {
        expectProblem(reply, 409, "document_business_duplicate");
      }
      expect(await documentCount()).to.equal(before + 1);
    });
  });

  describe("when documents are listed", function () {
    it("pages newest first with the cursor it hands out, filtered by facility", async function () {
      const facilityId = String(1_000 + Math.floor(Math.random() * 1_000_000));
      await partyFacility(BigInt(facilityId));
      const ids: string[] = [];
      for (const n of [1, 2, 3]) {
        const reply = await upload(
          { facilityId, kind: "DELIVERY_NOTE" },
          { bytes: pdf(`note ${n}`), type: "application/pdf" },
        );
        ids.unshift(reply.body.id);
      }
      const first = await send(`/documents?facilityId=${facilityId}&limit=2`, { key: keys.borrower });
      expect(first.body.items).to.have.length(2);
      expect(first.body.nextCursor).to.equal(first.body.items[1].id);
      const second = await send(`/documents?facilityId=${facilityId}&limit=2&cursor=${first.body.nextCursor}`, {
        key: keys.borrower,
      });
      expect(second.body.items).to.have.length(1);
      expect(second.body.nextCursor).to.equal(null);
      const pages = [...first.body.items, ...second.body.items];
      // Uploads in the same millisecond tie on createdAt; the order is still total, so pages never overlap.
      expect(pages.map((item: { id: string }) => item.id).sort()).to.deep.equal([...ids].sort());
      const times = pages.map((item: { createdAt: string }) => Date.parse(item.createdAt));
      expect(times).to.deep.equal([...times].sort((a, b) => b - a));
    });
  });

  describe("when another list is paged (every list takes limit and cursor)", function () {
    it("hands out a cursor that continues a list built in memory, and null on the last page", async function () {
      for (const [pathname, keyOf] of [
        ["/products", (p: { id: string; version: number }) => `${p.id}@${p.version}`],
        ["/facilities", (f: { applicationId: string }) => f.applicationId],
      ] as const) {
        const all = await send(pathname, { key: keys.officer });
        expect(all.status, all.text).to.equal(200);
        expect(all.body.nextCursor).to.equal(null);
        const ids = all.body.items.map(keyOf as (item: unknown) => string);
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const query: string = `?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
          const page: Reply = await send(`${pathname}${query}`, { key: keys.officer });
          expect(page.status, page.text).to.equal(200);
          expect(page.body.items.length).to.be.at.most(1);
          seen.push(...page.body.items.map(keyOf as (item: unknown) => string));
          cursor = page.body.nextCursor;
          if (cursor !== null) expect(cursor).to.equal(seen[seen.length - 1]);
        } while (cursor !== null);
        expect(seen, pathname).to.deep.equal(ids);
      }
    });

    it("answers 400 invalid_cursor for a cursor that names no item, and 400 for a limit out of range", async function () {
      const problem = expectProblem(
        await send("/products?cursor=nothing@1", { key: keys.officer }),
        400,
        "invalid_cursor",
      );
      expect(problem.detail).to.contain("start without one");
      expectProblem(await send("/payees?limit=501", { key: keys.officer }), 400, "validation_failed");
      expectProblem(await send("/approvals?limit=0", { key: keys.officer }), 400, "validation_failed");
    });

    it("pages a database list without gaps or repeats", async function () {
      const all = await send("/payees", { key: keys.officer });
      expect(all.status, all.text).to.equal(200);
      const first = await send("/payees?limit=1", { key: keys.officer });
      expect(first.body.items).to.deep.equal(all.body.items.slice(0, 1));
      if (all.body.items.length > 1) {
        expect(first.body.nextCursor).to.equal(all.body.items[0].address);
        const rest = await send(`/payees?limit=500&cursor=${first.body.nextCursor}`, { key: keys.officer });
        expect(rest.body.items).to.deep.equal(all.body.items.slice(1));
        expect(rest.body.nextCursor).to.equal(null);
      } else expect(first.body.nextCursor).to.equal(null);
    });
  });

  describe("when several documents' bytes are read at once (POST /documents/contents)", function () {
    let invoices = 0;
    /** A new invoice's PDF uploaded to `facilityId` by the officer: its id and bytes. */
    async function stored(facilityId: string, text = `bulk read ${randomUUID()}`) {
      const bytes = pdf(text);
      const reply = await upload(
        { facilityId, kind: "INVOICE", metadata: JSON.stringify({ invoiceNumber: `INV-BULK-${++invoices}` }) },
        { bytes, type: "application/pdf", name: "invoice.pdf" },
      );
      expect(reply.status, reply.text).to.equal(201);
      return { id: reply.body.id as string, bytes, contentHash: reply.body.contentHash as string };
    }
    const contents = (ids: unknown, key = keys.regulator, at?: string) =>
      send("/documents/contents", { method: "POST", key, json: { ids }, at });
    const fileOf = (contentHash: string) => {
      const hex = contentHash.slice(2);
      return path.join(dir, "documents", hex.slice(0, 2), hex.slice(2, 4), hex);
    };

    it("answers each document in the order asked, with the bytes and their hash, an unknown one not_found", async function () {
      const [a, b] = [await stored("1"), await stored("3")];
      const unknown = randomUUID();
      for (const key of [keys.regulator, keys.officer]) {
        const reply = await contents([b.id, unknown, a.id], key);
        expect(reply.status, reply.text).to.equal(200);
        expect(reply.body.items).to.deep.equal([
          { id: b.id, contentHash: sha256(b.bytes), mimeType: "application/pdf", content: b.bytes.toString("base64") },
          { id: unknown, error: "not_found" },
          { id: a.id, contentHash: sha256(a.bytes), mimeType: "application/pdf", content: a.bytes.toString("base64") },
        ]);
      }
    });

    it("answers a swapped file content_tampered with the stored hash, and a removed one content_missing, as the single read's 410s", async function () {
      const [swapped, removed, intact] = [await stored("1"), await stored("1"), await stored("1")];
      const forged = pdf("forged invoice");
      fs.writeFileSync(fileOf(swapped.contentHash), forged);
      fs.rmSync(fileOf(removed.contentHash));
      const reply = await contents([swapped.id, removed.id, intact.id]);
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.body.items).to.deep.equal([
        { id: swapped.id, error: "content_tampered", storedHash: sha256(forged) },
        { id: removed.id, error: "content_missing" },
        {
          id: intact.id,
          contentHash: sha256(intact.bytes),
          mimeType: "application/pdf",
          content: intact.bytes.toString("base64"),
        },
      ]);
      expectProblem(await send(`/documents/${swapped.id}/content`, { key: keys.regulator }), 410, "content_tampered");
      expectProblem(await send(`/documents/${removed.id}/content`, { key: keys.regulator }), 410, "content_missing");
    });

    it("is refused to the keys the single read refuses (403), and asks the policy per document", async function () {
      const own = await stored("1");
      const foreign = await stored("3");
      for (const key of [keys.borrower, keys.supplier]) {
        expectProblem(await contents([own.id], key), 403, "forbidden");
        expectProblem(await send(`/documents/${own.id}/content`, { key }), 403, "forbidden");
      }
      // Past the role check, each document is the policy's: a party's key would get its own facility's bytes and
      // another tenant's document as one that does not exist (facility 3 is not the tests' parties').
      const route = routes.find((r) => r.operationId === "getDocumentContents")!;
      const stranger = { address: Wallet.createRandom().address, creditCode: "91330206MA2BBBBB2X" };
      const ask = async (subject: Record<string, unknown>, role: "borrower" | "supplier", ids: string[]) =>
        (
          (await route.handler({
            params: {},
            query: {},
            body: { ids },
            headers: undefined,
            principal: { keyId: "k", role, institution: "i", label: "l", subject: subject as never },
          } as never)) as { body: { items: unknown[] } }
        ).body.items;
      const ownItem = {
        id: own.id,
        contentHash: sha256(own.bytes),
        mimeType: "application/pdf",
        content: own.bytes.toString("base64"),
      };
      const borrower = { kind: "borrower", address: PARTIES.borrower, creditCode: "91330206MA2AAAAA1X" };
      const supplier = { kind: "payee", address: PARTIES.supplier };
      for (const [subject, role] of [
        [borrower, "borrower"],
        [supplier, "supplier"],
      ] as const) {
        expect(await ask(subject, role, [foreign.id, own.id]), role).to.deep.equal([
          { id: foreign.id, error: "not_found" },
          ownItem,
        ]);
      }
      for (const [subject, role] of [
        [{ kind: "borrower", ...stranger }, "borrower"],
        [{ kind: "payee", address: stranger.address }, "supplier"],
      ] as const) {
        expect(await ask(subject, role, [own.id, foreign.id]), `another ${role}`).to.deep.equal([
          { id: own.id, error: "not_found" },
          { id: foreign.id, error: "not_found" },
        ]);
      }
    });

    it("answers 400 to no ids, more than 256, or one that is not a document id", async function () {
      // A JSON limit that takes 257 ids (this file's app takes 2 KiB).
      const at = await listen({ limits: { ...LIMITS, jsonBytes: 64 * 1024 } });
      expectValidationFailed(await contents([], keys.regulator, at), ["body.ids"]);
      const many = Array.from({ length: 257 }, () => randomUUID());
      expect(expectValidationFailed(await contents(many, keys.regulator, at), ["body.ids"]).detail).to.include(
        "at most 256",
      );
      expectValidationFailed(await contents(["not-a-uuid"], keys.regulator, at), ["body.ids.0"]);
      expectValidationFailed(await send("/documents/contents", { method: "POST", key: keys.regulator, json: {}, at }), [
        "body.ids",
      ]);
      const all = await contents(many.slice(0, 256), keys.regulator, at);
      expect(all.status, all.text).to.equal(200);
      expect(all.body.items).to.deep.equal(many.slice(0, 256).map((id) => ({ id, error: "not_found" })));
    });

    it("stops adding bytes at 32 MiB a page: the later documents are too_large, an unknown one still not_found", async function () {
      this.timeout(60_000);
      const store = createDocumentStore({ dir: path.join(dir, "documents") });
      /** A document whose stored bytes are `size` bytes (its row re-pointed at them). */
      async function large(size: number) {
        const document = await stored("1");
        const bytes = Buffer.alloc(size, randomBytes(16).toString("hex"));
        const contentHash = sha256(bytes);
        await store.put(contentHash, bytes);
        await db.prisma.document.update({ where: { id: document.id }, data: { contentHash, contentKey: contentHash } });
        return { id: document.id, bytes, contentHash };
      }
      const [big1, big2] = [await large(20 * 1024 * 1024), await large(20 * 1024 * 1024)];
      const [small1, small2] = [await stored("1"), await stored("1")];
      const unknown = randomUUID();
      const reply = await contents([big1.id, small1.id, big2.id, small2.id, unknown]);
      expect(reply.status).to.equal(200);
      const items = reply.body.items as Array<Record<string, string>>;
      expect(items.map((item) => item.error ?? sha256(Buffer.from(item.content, "base64")))).to.deep.equal([
        big1.contentHash,
        small1.contentHash,
        "too_large",
        "too_large",
        "not_found",
      ]);
      // Read alone, a document over the page's bound is served.
      const alone = await send(`/documents/${big2.id}/content`, { key: keys.regulator });
      expect([alone.status, sha256(alone.bytes)]).to.deep.equal([200, big2.contentHash]);
    });
  });

  describe("when something does not exist", function () {
    it("answers 404 route_not_found for an unknown path or method", async function () {
      expectProblem(await send("/nowhere?x=1"), 404, "route_not_found", "/nowhere?x=1");
      expectProblem(await send("/documents", { method: "DELETE", key: keys.officer }), 404, "route_not_found");
    });

    it("pages past a cursor that names no document to an empty page", async function () {
      const reply = await send(`/documents?cursor=${randomUUID()}`, { key: keys.officer });
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.body).to.deep.equal({ items: [], nextCursor: null });
    });

    it("answers 404 not_found for the evidence or the reviews of an unknown facility", async function () {
      for (const what of ["evidence", "reviews"])
        expectProblem(await send(`/facilities/999999/${what}`, { key: keys.officer }), 404, "not_found");
    });

    it("answers 404 not_found for an unknown document, evidence id or batch", async function () {
      const id = randomUUID();
      const problem = expectProblem(await send(`/documents/${id}`, { key: keys.officer }), 404, "not_found");
      expect(problem.detail).to.include(id);
      expectProblem(await send(`/documents/${randomUUID()}/content`, { key: keys.officer }), 404, "not_found");
      expectProblem(await send(`/documents/${randomUUID()}/proof`, { key: keys.officer }), 404, "not_found");
      const hex = hexlify(randomBytes(32));
      expectProblem(await send(`/evidence/${hex}`, { key: keys.officer }), 404, "not_found");
      expectProblem(await send(`/evidence/${hex}/proof`, { key: keys.officer }), 404, "not_found");
      expectProblem(await send(`/batches/${hex}`, { key: keys.officer }), 404, "not_found");
    });
  });

  describe("when a document is not anchored yet", function () {
    it("answers 409 not_anchored_yet for its proof, by document id and by evidence id", async function () {
      const uploaded = await upload(validFields, { bytes: pdf("not anchored"), type: "application/pdf" });
      expect(uploaded.status, uploaded.text).to.equal(201);
      const byId = expectProblem(
        await send(`/documents/${uploaded.body.id}/proof`, { key: keys.borrower }),
        409,
        "not_anchored_yet",
        `/documents/${uploaded.body.id}/proof`,
      );
      expect(byId).to.include({ documentStatus: "QUEUED", retryable: false });
      expectProblem(
        await send(`/evidence/${uploaded.body.evidenceId}/proof`, { key: keys.supplier }),
        409,
        "not_anchored_yet",
      );
    });

    it("answers 409 for a document queued for its own anchor that has not landed", async function () {
      const uploaded = await upload(
        { ...validFields, anchor: "single" },
        { bytes: pdf("single"), type: "application/pdf" },
      );
      expect(uploaded.status, uploaded.text).to.equal(201);
      expect(uploaded.body.status).to.equal("BATCHED");
      const problem = expectProblem(
        await send(`/documents/${uploaded.body.id}/proof`, { key: keys.officer }),
        409,
        "not_anchored_yet",
      );
      expect(problem.documentStatus).to.equal("BATCHED");
    });

    it("tells the public verifier the document is not anchored", async function () {
      const bytes = pdf("public check");
      const uploaded = await upload(validFields, { bytes, type: "application/pdf" });
      const reply = await send("/verify", {
        method: "POST",
        json: {
          contentHash: sha256(bytes),
          salt: uploaded.body.salt,
          facilityId: "1",
          kind: "INVOICE",
          counterparty: uploaded.body.counterparty,
        },
      });
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.body).to.include({ anchored: false, evidenceId: uploaded.body.evidenceId, root: null });
    });
  });

  describe("when the credentials are refused", function () {
    it("answers 401 naming the expected scheme for an Authorization header that is not Bearer", async function () {
      const reply = await send("/verifications", { headers: { authorization: `Basic ${keys.officer}` } });
      const problem = expectProblem(reply, 401, "unauthorized", "/verifications");
      expect(problem.detail).to.include("Bearer <api key>");
    });

    it("answers 401 for an unknown key on a protected route but serves a public route regardless", async function () {
      const bogus = `qfm_${randomBytes(32).toString("base64url")}`;
      expect(expectProblem(await send("/verifications", { key: bogus }), 401, "unauthorized").detail).to.equal(
        "the API key is unknown or revoked",
      );
      const reply = await send("/verify", {
        method: "POST",
        key: bogus,
        json: {
          contentHash: hexlify(randomBytes(32)),
          salt: hexlify(randomBytes(32)),
          facilityId: "1",
          kind: "INVOICE",
          counterparty: PAYEE_OF_1,
        },
      });
      expect(reply.status, reply.text).to.equal(200);
    });

    it("challenges with WWW-Authenticate: Bearer, naming invalid_token when a key was refused", async function () {
      const missing = await send("/verifications");
      expectProblem(missing, 401, "unauthorized");
      expect(missing.headers.get("www-authenticate")).to.equal('Bearer realm="qfm"');
      const bogus = await send("/verifications", { key: `qfm_${randomBytes(32).toString("base64url")}` });
      expectProblem(bogus, 401, "unauthorized");
      expect(bogus.headers.get("www-authenticate")).to.equal('Bearer realm="qfm", error="invalid_token"');
      const metrics = await send("/metrics", { headers: { authorization: "Basic x" } });
      expect(metrics.status).to.equal(401);
      expect(metrics.headers.get("www-authenticate")).to.equal('Bearer realm="qfm", error="invalid_token"');
      // A refusal that is not about credentials carries no challenge.
      const forbidden = await send("/registry/records", { key: keys.officer });
      expect(forbidden.status).to.equal(403);
      expect(forbidden.headers.get("www-authenticate")).to.equal(null);
    });

    it("answers 403 naming the allowed roles for a role the route does not allow", async function () {
      const problem = expectProblem(await send("/registry/records", { key: keys.officer }), 403, "forbidden");
      expect(problem.detail).to.include("allowed: regulator");
    });
  });

  describe("when a client sends too many requests", function () {
    const LIMIT = 3;
    let limited: string;

    before(async function () {
      limited = await listen({ limits: { ...LIMITS, requestsPerMinute: LIMIT } });
    });

    it("answers 429 rate_limited, retryable, once a key has used its budget", async function () {
      for (let i = 0; i < LIMIT; i++) {
        expect((await send("/verifications", { key: keys.officer, at: limited })).status).to.equal(200);
      }
      const reply = await send("/verifications", { key: keys.officer, at: limited });
      const problem = expectProblem(reply, 429, "rate_limited", "/verifications");
      expect(problem.retryable).to.equal(true);
      expect(reply.headers.get("ratelimit-policy")).to.match(new RegExp(`q=${LIMIT}`));
      expect(reply.headers.get("retry-after")).to.match(/^\d+$/);
    });

    it("sends the RateLimit headers /openapi.json declares on every answer, success or refusal", async function () {
      // An anonymous client from an address of its own (trust proxy: loopback), not to spend this one's budget.
      const anonymous = { "x-forwarded-for": "203.0.113.9" };
      for (const [pathname, init, status] of [
        ["/verifications", { key: keys.supplier }, 403],
        ["/verifications", { headers: anonymous }, 401],
        ["/verifications?limit=x", { key: keys.regulator }, 400],
      ] as const) {
        const reply = await send(pathname, { ...init, at: limited });
        expect(reply.status, reply.text).to.equal(status);
        expect(reply.headers.get("ratelimit"), pathname).to.match(/^"[^"]+"; r=\d+; t=\d+$/);
        expect(reply.headers.get("ratelimit-policy"), pathname).to.match(new RegExp(`; q=${LIMIT}; w=60;`));
      }
      const ok = await send("/verifications", { key: keys.officer2, at: limited });
      expect(ok.status).to.equal(200);
      expect(ok.headers.get("ratelimit")).to.match(/r=\d+/);
      const declared = (await send("/openapi.json", { at: limited })).body.paths["/verifications"].get.responses;
      for (const status of ["200", "400", "401", "403", "429"])
        expect(Object.keys(declared[status].headers), status).to.include.members(["RateLimit", "RateLimit-Policy"]);
    });

    it("counts each key on its own", async function () {
      expect((await send("/verifications", { key: keys.regulator, at: limited })).status).to.equal(200);
    });

    it("limits anonymous clients by address, including clients that send unknown keys", async function () {
      const bogus = `qfm_${randomBytes(32).toString("base64url")}`;
      const statuses: number[] = [];
      for (let i = 0; i < LIMIT + 1; i++) {
        statuses.push((await send("/verifications", { key: `${bogus}${i}`, at: limited })).status);
      }
      expect(statuses.slice(0, LIMIT)).to.deep.equal(Array(LIMIT).fill(401));
      expect(statuses[LIMIT]).to.equal(429);
    });

    it("limits IPv6 clients by subnet, so rotating addresses within it does not escape", async function () {
      const statuses: number[] = [];
      for (let i = 1; i <= LIMIT + 1; i++) {
        // trust proxy is loopback: a local reverse proxy's X-Forwarded-For is the client address.
        statuses.push(
          (
            await send("/verify", {
              method: "POST",
              json: {},
              at: limited,
              headers: { "x-forwarded-for": `2001:db8::${i}` },
            })
          ).status,
        );
      }
      expect(statuses).to.deep.equal([...Array(LIMIT).fill(400), 429]);
    });
  });

  describe("the OpenAPI document", function () {
    let doc: any;

    before(async function () {
      const reply = await send("/openapi.json");
      expect(reply.status).to.equal(200);
      expect(reply.headers.get("content-type")).to.match(/^application\/json/);
      doc = reply.body;
    });

    it("is OpenAPI 3.1 with info, servers and the bearer API-key scheme", async function () {
      expect(doc.openapi).to.equal("3.1.0");
      expect(doc.info).to.include({ title: "test node", version: API_VERSION });
      expect(doc.servers).to.deep.equal([{ url: "/" }]);
      expect(doc.components.securitySchemes.apiKey).to.include({ type: "http", scheme: "bearer" });
    });

    it("lists every route once, with its operation id, parameters and security", async function () {
      const operationIds = new Set<string>();
      for (const route of routes) {
        const openApiPath = route.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
        const operation = doc.paths[openApiPath]?.[route.method];
        expect(operation, `${route.method.toUpperCase()} ${openApiPath}`).to.be.an("object");
        expect(operation.operationId).to.equal(route.operationId);
        expect(operationIds.has(route.operationId), `duplicate operationId ${route.operationId}`).to.equal(false);
        operationIds.add(route.operationId);
        const pathParams = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]).sort();
        const declared = (operation.parameters ?? [])
          .filter((p: { in: string }) => p.in === "path")
          .map((p: { name: string; required: boolean }) => {
            expect(p.required, `path parameter ${p.name} is required`).to.equal(true);
            return p.name;
          })
          .sort();
        expect(declared, `path parameters of ${route.operationId}`).to.deep.equal(pathParams);
        if (route.auth === "public") {
          expect(operation.security, route.operationId).to.deep.equal([]);
          expect(operation.responses).not.to.have.property("401");
        } else {
          expect(operation.security, route.operationId).to.deep.equal([{ apiKey: [] }]);
          expect(operation.responses).to.include.keys("401", "403");
          for (const role of route.auth) expect(operation.description).to.include(role);
        }
        expect(operation.responses).to.include.keys("400", "429");
        if (route.upload) expect(operation.requestBody.content).to.have.property("multipart/form-data");
        else if (route.body) expect(operation.requestBody.content).to.have.property("application/json");
      }
      const listed = Object.values(doc.paths).flatMap((item: any) =>
        Object.values(item).map((op: any) => op.operationId),
      );
      expect(listed.sort()).to.deep.equal([...operationIds].sort());
    });

    it("describes the upload's file as binary beside its validated text fields", async function () {
      const schema = doc.paths["/documents"].post.requestBody.content["multipart/form-data"].schema;
      expect(schema.properties.file).to.include({ type: "string", format: "binary" });
      expect(schema.required).to.include.members(["facilityId", "kind", "file"]);
    });

    it("offers the uploads an optional Idempotency-Key header", async function () {
      for (const path of ["/documents", "/documents/bulk"]) {
        const header = doc.paths[path].post.parameters.find((p: { in: string }) => p.in === "header");
        expect(header, path).to.include({ name: "idempotency-key", required: false });
        expect(header.schema.pattern).to.equal("^[\\x20-\\x7E]{1,128}$");
        expect(doc.paths[path].post.responses).to.have.property("422");
      }
    });

    it("says that a body is required and takes no other field, and how ids and addresses are written", async function () {
      const verify = doc.paths["/verify"].post.requestBody;
      expect(verify.required).to.equal(true);
      const schema = verify.content["application/json"].schema;
      expect(schema.additionalProperties).to.equal(false);
      expect(schema.properties.facilityId.anyOf).to.deep.include({ type: "string", pattern: "^[0-9]{1,30}$" });
      const payee = doc.paths["/payees"].post.requestBody.content["application/json"].schema;
      expect(payee.properties.address.pattern).to.equal("^0x[0-9a-fA-F]{40}$");
    });

    it("holds only valid JSON Schema 2020-12 schemas, and every $ref resolves", async function () {
      const ajv = new Ajv2020({ strict: false, validateFormats: false });
      const schemas: unknown[] = [];
      const refs: string[] = [];
      (function walk(node: unknown, key?: string): void {
        if (Array.isArray(node)) return node.forEach((item) => walk(item));
        if (!node || typeof node !== "object") return;
        const record = node as Record<string, unknown>;
        if (key === "schema") schemas.push(node);
        if (typeof record.$ref === "string") refs.push(record.$ref);
        for (const [k, v] of Object.entries(record)) walk(v, k);
      })(doc);
      schemas.push(...Object.values(doc.components.schemas ?? {}));
      expect(schemas.length).to.be.greaterThan(routes.length);
      for (const schema of schemas) {
        expect(ajv.validateSchema(schema as object), JSON.stringify(ajv.errors)).to.equal(true);
      }
      for (const ref of new Set(refs)) {
        expect(ref).to.match(/^#\//);
        const target = ref
          .slice(2)
          .split("/")
          .reduce((at: any, part) => at?.[part.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
        expect(target, ref).to.be.an("object");
      }
    });
  });

  describe("the interactive docs", function () {
    it("serve an HTML page whose scripts and styles all load", async function () {
      const page = await send("/docs");
      expect(page.status).to.equal(200);
      expect(page.headers.get("content-type")).to.match(/^text\/html/);
      const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
      expect(assets).to.include.members(["/docs/assets/swagger-ui-bundle.js", "/docs/init.js"]);
      for (const asset of assets) {
        const reply = await send(asset);
        expect(reply.status, asset).to.equal(200);
        expect(reply.text.length, asset).to.be.greaterThan(0);
      }
      const bundle = await send("/docs/assets/swagger-ui-bundle.js");
      expect(bundle.headers.get("content-type")).to.match(/javascript/);
      expect(bundle.text).to.include("SwaggerUIBundle");
    });

    it("are allowed by the page's content security policy (no inline script)", async function () {
      const page = await send("/docs");
      const csp = page.headers.get("content-security-policy") ?? "";
      expect(csp).to.match(/script-src 'self'/);
      expect(page.text).not.to.match(/<script>(?!<\/script>)/);
    });
  });

  describe("the operational endpoints", function () {
    it("/health answers 200 without a key", async function () {
      const reply = await send("/health");
      expect(reply.status).to.equal(200);
      expect(reply.body).to.deep.equal({ status: "ok" });
    });

    it("/metrics exposes request durations labelled by route pattern, not by raw path", async function () {
      await send("/health");
      await send(`/documents/${randomUUID()}`, { key: keys.officer });
      const reply = await send("/metrics", { key: keys.regulator });
      expect(reply.status).to.equal(200);
      expect(reply.headers.get("content-type")).to.match(/^text\/plain/);
      expect(reply.text).to.include("# TYPE qfm_http_request_duration_seconds histogram");
      expect(reply.text).to.match(/qfm_http_request_duration_seconds_count\{[^}]*route="\/health"[^}]*status="200"/);
      expect(reply.text).to.match(/qfm_http_request_duration_seconds_count\{[^}]*route="\/documents\/:id"/);
      expect(reply.text).not.to.match(/route="\/documents\/[0-9a-f]{8}-/);
    });

    it("/ready answers 200 when the database and the chain answer", async function () {
      const reply = await send("/ready");
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.body.status).to.equal("ready");
      expect(reply.body.database).to.equal("sqlite");
      expect(reply.body.chain.chainId).to.equal("31337");
    });
  });

  describe("when the chain is unreachable", function () {
    let at: string;

    before(async function () {
      const closedPort = await freePort();
      const unreachable = createChain({
        deployment,
        rpcUrl: `http://127.0.0.1:${closedPort}`,
        signerKey: devWallet("bank").privateKey,
      });
      chains.push(unreachable);
      at = await listen({ chain: unreachable });
    });

    it("/ready answers 503 problem+json, retryable, naming the cause", async function () {
      const reply = await send("/ready", { at, expect503: true });
      const problem = expectProblem(reply, 503, "not_ready", "/ready");
      expect(problem.retryable).to.equal(true);
      expect(problem.title).to.equal("Service Unavailable");
      expect(problem.detail).to.match(/ECONNREFUSED|connect/i);
    });

    it("/health still answers 200: the process is alive", async function () {
      expect((await send("/health", { at })).status).to.equal(200);
    });

    it("a public verification answers 503 chain_unavailable, retryable, without the node's address", async function () {
      const reply = await send("/verify", {
        method: "POST",
        at,
        expect503: true,
        json: {
          contentHash: hexlify(randomBytes(32)),
          salt: hexlify(randomBytes(32)),
          facilityId: "1",
          kind: "INVOICE",
          counterparty: PAYEE_OF_1,
        },
      });
      const problem = expectProblem(reply, 503, "chain_unavailable", "/verify");
      expect(problem.retryable).to.equal(true);
      expect(reply.text).not.to.include("127.0.0.1");
    });

    it("reads that need only the database still answer", async function () {
      expect((await send("/verifications", { at, key: keys.officer })).status).to.equal(200);
    });
  });
});
