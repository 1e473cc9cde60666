import { expect } from "chai";
import { hexlify } from "ethers";
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
import { anchoringHandlers } from "../../server/anchoring/anchoring";
import { createApiKeys } from "../../server/auth/api-keys";
import { ROLES, type Role } from "../../server/auth/roles";
import { createChain, type Chain } from "../../server/chain/chain";
import { createDatabase, type Database } from "../../server/db/client";
import { migrateDatabase } from "../../server/db/migrate";
import { documentRoutes } from "../../server/documents/router";
import { createDocumentService } from "../../server/documents/service";
import { createDocumentStore } from "../../server/documents/storage";
import { createApp } from "../../server/http/app";
import { createMetrics } from "../../server/http/metrics";
import type { RouteDef } from "../../server/http/route";
import { createOutbox } from "../../server/outbox/outbox";
import { registryRoutes } from "../../server/registry/registry";
import { verificationRoutes } from "../../server/verification/router";

type NodeRole = "bank" | "regulator";
type Routes = RouteDef<any, any, any>[];

/** Each node's route set, assembled as server/node.ts assembles it. */
function nodeRoutes(
  role: NodeRole,
  deps: { db: Database; documents: Parameters<typeof documentRoutes>[0]["documents"]; chain: Chain },
): Routes {
  const routes: Routes = [...verificationRoutes({ db: deps.db, nodeRole: role })];
  if (role === "bank") {
    routes.push(
      ...documentRoutes({
        documents: deps.documents,
        chain: { chainId: deps.chain.chainId, evidenceRegistry: deps.chain.deployment.contracts.EvidenceRegistry },
      }),
    );
  } else {
    routes.push(...registryRoutes({ db: deps.db }));
  }
  return routes;
}

// A route's method, path, roles and schemas do not depend on the services behind it, so the route sets are read once
// here, without dependencies, to generate one test per route; the apps under test are built from the same factories
// with real dependencies, and the first test checks both agree.
const CATALOGUE: Record<NodeRole, Routes> = {
  bank: nodeRoutes("bank", { db: undefined as never, documents: undefined as never, chain: stubChain() }),
  regulator: nodeRoutes("regulator", { db: undefined as never, documents: undefined as never, chain: stubChain() }),
};

function stubChain(): Chain {
  return { chainId: 0n, deployment: { contracts: { EvidenceRegistry: "" } } } as unknown as Chain;
}

type Principal = { name: string; role?: Role; key: "none" | "unknown" | "revoked" | "valid" };
const PRINCIPALS: Principal[] = [
  ...ROLES.map((role): Principal => ({ name: role, role, key: "valid" })),
  { name: "no key", key: "none" },
  { name: "unknown key", key: "unknown" },
  { name: "revoked key", key: "revoked" },
];

const hex32 = () => hexlify(randomBytes(32));
/** Syntactically valid values for path parameters; each parameter takes the first its schema accepts. */
const PARAM_CANDIDATES = [() => randomUUID(), hex32, () => "1"];
/** A minimal valid value for each body field the routes have; a new required field needs an entry here. */
const FIELD_SAMPLES: Record<string, () => string> = {
  facilityId: () => "1",
  kind: () => "INVOICE",
  salt: hex32,
  contentHash: hex32,
  type: () => "LICENSED_SUPPLIER",
  reference: () => `REF-${randomUUID()}`,
  holder: () => "Ningbo Steel Co.",
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

function sampleBody(route: RouteDef<any, any, any>): Record<string, string> | undefined {
  if (!route.body) return undefined;
  const shape = (route.body as unknown as z.ZodObject).shape as Record<string, unknown>;
  const body = Object.fromEntries(
    Object.keys(shape)
      .filter((field) => field in FIELD_SAMPLES)
      .map((field) => [field, FIELD_SAMPLES[field]()]),
  );
  const parsed = route.body.safeParse(body);
  if (!parsed.success) {
    throw new Error(
      `the sample body of ${route.operationId} is invalid (${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}): add the field to FIELD_SAMPLES`,
    );
  }
  return body;
}

/**
 * The authorization matrix: every route of both nodes' route sets, called as each role, without a key, with an unknown
 * key and with a revoked key, against apps built on real parts (a migrated SQLite database per node, real API keys, a
 * real document store, and a `hardhat node` process — port range 18925–18949 — with the contracts deployed by
 * scripts/deploy.ts). Public routes never answer 401/403; protected routes answer 401 to a missing, unknown or revoked
 * key, 403 to a role they do not allow, and neither to a role they allow.
 */
describe("the authorization matrix", function () {
  this.timeout(180_000);
  let dir: string;
  let chainNode: ChainNode;
  let chain: Chain;
  const servers: Server[] = [];
  const databases: Database[] = [];
  const nodes = {} as Record<
    NodeRole,
    { url: string; routes: Routes; keys: Record<Role, string>; revoked: Record<Role, string> }
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

  async function startNode(role: NodeRole) {
    const url = `file:${path.join(dir, role, "db.sqlite")}`;
    await migrateDatabase(url);
    const db = createDatabase(url);
    databases.push(db);
    const apiKeys = createApiKeys({ db });
    const metrics = createMetrics(role);
    const outbox = createOutbox({
      db,
      chain,
      logger,
      metrics,
      handlers: anchoringHandlers({ chain, metrics }),
      confirmations: 0,
      pollIntervalMs: 1_000,
    });
    const documents = createDocumentService({
      db,
      store: createDocumentStore({ dir: path.join(dir, role, "documents") }),
      outbox,
      chain,
      metrics,
    });
    const routes = nodeRoutes(role, { db, documents, chain });
    const app = createApp({
      title: `${role} node`,
      description: "authorization matrix",
      routes,
      apiKeys,
      logger,
      metrics,
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
      keys[keyRole] = (await apiKeys.issue({ role: keyRole, institution: `${keyRole}-inst`, label: "active" })).key;
      const old = await apiKeys.issue({ role: keyRole, institution: `${keyRole}-inst`, label: "revoked" });
      // Used once before revoking, so the matrix also shows the revocation beats the lookup cache.
      expect(await apiKeys.authenticate(old.key)).to.include({ role: keyRole });
      expect(await apiKeys.revoke(old.id)).to.equal(true);
      revoked[keyRole] = old.key;
    }
    nodes[role] = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, routes, keys, revoked };
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
      for (const [name, value] of Object.entries(fields ?? {})) form.append(name, value);
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
    const deployment = await deploy(
      parseDeployConfig({ RPC_URL: chainNode.url, DEPLOYMENTS_FILE: path.join(dir, "deployment.json") }),
      () => undefined,
    );
    chain = createChain({ deployment, signerKey: devWallet("bank").privateKey });
    await startNode("bank");
    await startNode("regulator");
  });

  after(async function () {
    const size = CATALOGUE.bank.length + CATALOGUE.regulator.length;
    console.log(
      `      authorization matrix: ${size} routes × ${PRINCIPALS.length} principals = ${size * PRINCIPALS.length} cells (${cells} requests made)`,
    );
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    chain?.close();
    for (const db of databases) await db.close();
    await chainNode?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("covers the same routes the nodes serve", async function () {
    for (const role of ["bank", "regulator"] as const) {
      const served = nodes[role].routes.map((route) => `${route.method} ${route.path} ${JSON.stringify(route.auth)}`);
      const walked = CATALOGUE[role].map((route) => `${route.method} ${route.path} ${JSON.stringify(route.auth)}`);
      expect(walked, role).to.deep.equal(served);
    }
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
