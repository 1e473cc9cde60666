import { expect } from "chai";
import { getAddress, hexlify } from "ethers";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type { z } from "zod";
import { deploy } from "../../scripts/deploy";
import { assertPortFree, startChainNode, type ChainNode } from "../../scripts/lib/chain-node";
import { devWallet, parseDeployConfig } from "../../scripts/lib/deploy-config";
import type { Deployment } from "../../scripts/lib/deployments";
import { ROLES, type Role } from "../../server/auth/roles";
import { createChain, type Chain } from "../../server/chain/chain";
import type { Database } from "../../server/db/client";
import { createApp } from "../../server/http/app";
import type { RouteDef } from "../../server/http/route";
import { routesOf } from "../../server/node";
import { createNodeParts, inertRouteDeps, type NodeParts } from "../helpers/nodeParts";

type NodeRole = "bank" | "regulator";
type Routes = RouteDef<any, any, any>[];

/**
 * How long a chain-writing request waits for its transaction. The outboxes are not started, so no write lands: each
 * such request answers 202 after this long instead of the nodes' default 30 s.
 */
const WAIT_MS = 200;

// A route's method, path, roles and schemas do not depend on the services behind it, so the route sets are read once
// here from `routesOf` with inert dependencies, to generate one test per route; the apps under test serve `routesOf`
// with real dependencies, and the first test checks both agree.
const CATALOGUE: Record<NodeRole, Routes> = {
  bank: routesOf("bank", inertRouteDeps()),
  regulator: routesOf("regulator", inertRouteDeps()),
};

type Principal = { name: string; role?: Role; key: "none" | "unknown" | "revoked" | "valid" };
const PRINCIPALS: Principal[] = [
  ...ROLES.map((role): Principal => ({ name: role, role, key: "valid" })),
  { name: "no key", key: "none" },
  { name: "unknown key", key: "unknown" },
  { name: "revoked key", key: "revoked" },
];

const hex32 = () => hexlify(randomBytes(32));
const address = () => getAddress(hexlify(randomBytes(20)));
/** An 18-character unified social credit code (Ningbo, enterprise): new each time, so no sample collides. */
const creditCode = () => `913302${randomBytes(6).toString("hex").toUpperCase()}`;

/**
 * Syntactically valid values for path parameters; each parameter takes the first its schema accepts (a document id, an
 * evidence id or batch root, facility 1 or payment 1, a payee's address, a firm's credit code).
 */
const PARAM_CANDIDATES = [() => randomUUID(), hex32, () => "1", address, creditCode];

/**
 * A valid value for each flat body field the routes have; a new required field needs an entry here, or its route a
 * whole body in BODY_SAMPLES. Every field a route's body declares and this table holds is sent, optional or not.
 */
const FIELD_SAMPLES: Record<string, () => unknown> = {
  // documents, public verification
  facilityId: () => "1",
  kind: () => "INVOICE",
  metadata: () => JSON.stringify({ invoiceNumber: `INV-${randomUUID()}` }),
  salt: hex32,
  contentHash: hex32,
  // the regulator's registry
  type: () => "LICENSED_SUPPLIER",
  reference: () => `REF-${randomUUID()}`,
  holder: () => "Ningbo Steel Co.",
  // payees
  address,
  name: () => "Ningbo Precision CNC Equipment",
  creditCode,
  category: () => "EQUIPMENT",
  licenceHash: hex32,
  reason: () => "corrective action verified on site",
  // reviews and joint decisions
  periodFrom: () => "2026-01-01T00:00:00.000Z",
  periodTo: () => "2026-03-31T23:59:59.000Z",
  signature: () => hexlify(randomBytes(65)),
  // spot checks
  result: () => "PASS",
  reportNumber: () => `SC-2026-${randomBytes(3).toString("hex").toUpperCase()}`,
  findings: () => "welds and coatings conform to the drawings",
  inspector: () => "Ningbo AMR, quality inspection unit 3",
};

/** One firm of the white list, as JSON and as a CSV row. */
const whiteListFirm = () => ({
  creditCode: creditCode(),
  name: "Ningbo Yongxin Bearings",
  grade: "B",
  credit: 82,
  management: 77,
  brand: 70,
  foundation: 85,
  innovation: 74,
});
let whiteListImports = 0;

/** Whole bodies, by operation id, for routes whose body is more than flat fields. */
const BODY_SAMPLES: Record<string, () => Record<string, unknown>> = {
  // Both forms of the import, by turns.
  importWhiteList: () => {
    const firm = whiteListFirm();
    return whiteListImports++ % 2 === 0
      ? { source: "regulator white list 2026Q1", entries: [firm] }
      : { csv: `${Object.keys(firm).join(",")}\n${Object.values(firm).join(",")}\n` };
  },
  // A plan over the product's quality floor; its payees are not registered, so the bank refuses it (422).
  createFacility: () => ({
    productId: "yongzhidai",
    borrower: address(),
    borrowerName: "Ningbo Yongxin Bearings",
    creditCode: creditCode(),
    grade: "C",
    creditLimit: "1000000000",
    termMonths: 12,
    appliedAt: new Date().toISOString(),
    plan: [
      {
        payee: address(),
        category: "EQUIPMENT",
        amount: "400000000",
        qualityPurpose: true,
        requiredEvidence: ["PURCHASE_CONTRACT", "INVOICE"],
        description: "CNC machining centre",
      },
      {
        payee: address(),
        category: "MATERIALS",
        amount: "300000000",
        qualityPurpose: false,
        requiredEvidence: ["DELIVERY_NOTE"],
      },
    ],
  }),
};

function fillPath(route: RouteDef<any, any, any>): string {
  const names = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1]);
  const values: Record<string, string> = {};
  for (const name of names) {
    const accepted = PARAM_CANDIDATES.map((candidate) => candidate()).find((value) => {
      if (!route.params) return true;
      const result = route.params.safeParse({ ...values, [name]: value });
      return result.success || !result.error.issues.some((issue) => issue.path[0] === name);
    });
    if (accepted === undefined) throw new Error(`no candidate value fits :${name} of ${route.operationId}`);
    values[name] = accepted;
  }
  return route.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => encodeURIComponent(values[name]));
}

function sampleBody(route: RouteDef<any, any, any>): Record<string, unknown> | undefined {
  if (!route.body) return undefined;
  let body: Record<string, unknown>;
  if (route.operationId in BODY_SAMPLES) body = BODY_SAMPLES[route.operationId]();
  else {
    const shape = (route.body as unknown as z.ZodObject).shape as Record<string, unknown>;
    body = Object.fromEntries(
      Object.keys(shape)
        .filter((field) => field in FIELD_SAMPLES)
        .map((field) => [field, FIELD_SAMPLES[field]()]),
    );
  }
  const parsed = route.body.safeParse(body);
  if (!parsed.success) {
    throw new Error(
      `the sample body of ${route.operationId} is invalid (${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}): add the field to FIELD_SAMPLES, or the body to BODY_SAMPLES`,
    );
  }
  return body;
}

/**
 * The authorization matrix: every route of both nodes' route sets (`routesOf`), called as each role, without a key,
 * with an unknown key and with a revoked key, against apps built on real parts as server/node.ts builds them (a
 * migrated SQLite database per node, real API keys, each node's outbox with its job handlers — not started —, the
 * product catalog, a document store, the bank's facility service, and a `hardhat node` process — port range
 * 18925–18949 — with the contracts deployed by scripts/deploy.ts, each node signing with its own key); the regulator's
 * lifecycle routes call the bank node under test. Public routes never answer 401/403; protected routes answer 401 to a
 * missing, unknown or revoked key, 403 to a role they do not allow, and to a role they allow neither 401/403 nor 400
 * (the samples are valid) nor 5xx.
 */
describe("the authorization matrix", function () {
  this.timeout(120_000);
  let dir: string;
  let chainNode: ChainNode;
  let deployment: Deployment;
  const chains: Chain[] = [];
  const servers: Server[] = [];
  const databases: Database[] = [];
  const nodes = {} as Record<
    NodeRole,
    { url: string; parts: NodeParts; keys: Record<Role, string>; revoked: Record<Role, string> }
  >;
  const errorLogs: string[] = [];
  const logger = pino({ level: "error" }, { write: (line: string) => void errorLogs.push(line.slice(0, 2_000)) });
  let cells = 0;

  async function freePort(from: number, to: number): Promise<number> {
    for (let port = from; port <= to; port++) {
      const free = await assertPortFree(port, "test").then(
        () => true,
        () => false,
      );
      if (free) return port;
    }
    throw new Error(`no free port in ${from}–${to}`);
  }

  async function startNode(role: NodeRole, bankNode?: { url: string; apiKey: string }) {
    const chain = createChain({ deployment, signerKey: devWallet(role).privateKey });
    chains.push(chain);
    const parts = await createNodeParts({ role, dir: path.join(dir, role), chain, logger, waitMs: WAIT_MS, bankNode });
    databases.push(parts.db);
    const app = createApp({
      title: `${role} node`,
      description: "authorization matrix",
      routes: parts.routes,
      apiKeys: parts.apiKeys,
      logger,
      metrics: parts.metrics,
      limits: { jsonBytes: 64 * 1024, uploadBytes: 1024 * 1024, requestsPerMinute: 100_000 },
      ready: async () => ({}),
    });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    servers.push(server);
    const keys = {} as Record<Role, string>;
    const revoked = {} as Record<Role, string>;
    for (const keyRole of ROLES) {
      keys[keyRole] = (
        await parts.apiKeys.issue({ role: keyRole, institution: `${keyRole}-inst`, label: "active" })
      ).key;
      const old = await parts.apiKeys.issue({ role: keyRole, institution: `${keyRole}-inst`, label: "revoked" });
      // Used once before revoking, so the matrix also shows the revocation beats the lookup cache.
      expect(await parts.apiKeys.authenticate(old.key)).to.include({ role: keyRole });
      expect(await parts.apiKeys.revoke(old.id)).to.equal(true);
      revoked[keyRole] = old.key;
    }
    nodes[role] = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, parts, keys, revoked };
  }

  /** One cell: the route called by the principal; returns the status and the problem's code. */
  async function call(node: NodeRole, route: RouteDef<any, any, any>, principal: Principal) {
    const { url, keys, revoked } = nodes[node];
    const allowedRole = route.auth === "public" ? "bank_officer" : route.auth[0];
    const key =
      principal.key === "valid"
        ? keys[principal.role!]
        : principal.key === "revoked"
          ? revoked[allowedRole]
          : principal.key === "unknown"
            ? `qfm_${randomBytes(32).toString("base64url")}`
            : undefined;
    const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
    const fields = sampleBody(route);
    let body: BodyInit | undefined;
    if (route.upload) {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields ?? {})) form.append(name, String(value));
      const pdf = Buffer.from(`%PDF-1.7\n% ${randomUUID()}\n%%EOF\n`);
      form.append(route.upload.fileField, new Blob([pdf], { type: "application/pdf" }), "matrix.pdf");
      body = form;
    } else if (fields) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(fields);
    }
    const response = await fetch(`${url}${fillPath(route)}`, { method: route.method.toUpperCase(), headers, body });
    const text = await response.text();
    let code: string | undefined;
    try {
      code = (JSON.parse(text) as { code?: string }).code;
    } catch {
      code = undefined;
    }
    cells++;
    return { status: response.status, code, text: text.slice(0, 300) };
  }

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-authz-"));
    chainNode = await startChainNode({ kind: "hardhat", port: await freePort(18925, 18949) });
    deployment = await deploy(
      parseDeployConfig({ RPC_URL: chainNode.url, DEPLOYMENTS_FILE: path.join(dir, "deployment.json") }),
      () => undefined,
    );
    await startNode("bank");
    // The regulator node reaches the bank node with a regulator's key the bank issued, as in a deployment.
    const bankKey = await nodes.bank.parts.apiKeys.issue({ role: "regulator", institution: "samr", label: "node" });
    await startNode("regulator", { url: nodes.bank.url, apiKey: bankKey.key });
  });

  after(async function () {
    const size = CATALOGUE.bank.length + CATALOGUE.regulator.length;
    console.log(
      `      authorization matrix: ${size} routes (bank ${CATALOGUE.bank.length}, regulator ${CATALOGUE.regulator.length}) × ${PRINCIPALS.length} principals = ${size * PRINCIPALS.length} cells (${cells} requests made)`,
    );
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    for (const chain of chains) chain.close();
    for (const db of databases) await db.close();
    await chainNode?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("covers the same routes the nodes serve", async function () {
    const line = (route: RouteDef<any, any, any>) =>
      `${route.method} ${route.path} ${route.operationId} ${JSON.stringify(route.auth)}`;
    for (const role of ["bank", "regulator"] as const) {
      expect(CATALOGUE[role].map(line), role).to.deep.equal(nodes[role].parts.routes.map(line));
    }
    // The lifecycle routes are part of it: the bank's payees and facilities, the regulator's spot checks (given the
    // bank node's address), the white list and the audit report on both.
    const operations = (role: NodeRole) => CATALOGUE[role].map((route) => route.operationId);
    expect(operations("bank")).to.include.members([
      "registerPayee",
      "createFacility",
      "proposeReview",
      "cosignApproval",
      "importWhiteList",
      "getFacilityAudit",
    ]);
    expect(operations("regulator")).to.include.members([
      "recordSpotCheck",
      "cosignAtBank",
      "verificationQueue",
      "importWhiteList",
      "getFacilityAudit",
    ]);
  });

  for (const node of ["bank", "regulator"] as const) {
    describe(`on the ${node} node`, function () {
      for (const route of CATALOGUE[node]) {
        const who = route.auth === "public" ? "public" : route.auth.join(", ");
        it(`${route.method.toUpperCase()} ${route.path} (${who})`, async function () {
          const failures: string[] = [];
          for (const principal of PRINCIPALS) {
            const { status, code, text } = await call(node, route, principal);
            const cell = `${principal.name}: ${status} ${code ?? ""} ${status >= 400 ? text : ""}`.trim();
            const allowed =
              principal.role !== undefined && route.auth !== "public" && route.auth.includes(principal.role);
            if (route.auth === "public" || allowed) {
              // Allowed and public callers get past authorization, and the minimal valid request is not refused.
              if ([400, 401, 403].includes(status) || status >= 500)
                failures.push(`expected no 400/401/403/5xx — ${cell}`);
            } else if (principal.key !== "valid") {
              if (status !== 401 || code !== "unauthorized") failures.push(`expected 401 unauthorized — ${cell}`);
            } else if (status !== 403 || code !== "forbidden") {
              failures.push(`expected 403 forbidden — ${cell}`);
            }
          }
          const logs = errorLogs.splice(0).join("");
          expect(
            failures,
            `${route.method.toUpperCase()} ${route.path}${logs ? `\nserver log: ${logs}` : ""}`,
          ).to.deep.equal([]);
        });
      }
    });
  }
});
