import { expect } from "chai";
import type { Server } from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { deploy } from "../../scripts/deploy";
import { startChainNode, type ChainNode } from "../../scripts/lib/chain-node";
import { freePort } from "../../scripts/bench/lib/system";
import { devWallet, parseDeployConfig } from "../../scripts/lib/deploy-config";
import type { Deployment } from "../../scripts/lib/deployments";
import { ROLES, type Role } from "../../server/auth/roles";
import { createChain, type Chain } from "../../server/chain/chain";
import type { Database } from "../../server/db/client";
import {
  CATALOGUE,
  PRINCIPALS,
  checkRoute,
  matrixSubject,
  routeTitle,
  type MatrixKeys,
  type NodeRole,
  type Route,
} from "../helpers/authorizationMatrix";
import { createNodeParts, type NodeParts, serveNode } from "../helpers/nodeParts";
import {
  TENANT_LISTS,
  TENANT_ROUTES,
  checkTenantLists,
  checkTenantRoute,
  setUpTenancy,
  subjectOf,
  tenantsOf,
  type Owned,
  type Party,
} from "../helpers/tenantMatrix";

/**
 * How long a chain-writing request waits for its transaction. The outboxes are not started, so no write lands: each
 * such request answers 202 after this long instead of the nodes' default 30 s.
 */
const WAIT_MS = 200;

/**
 * The authorization matrix: every route of both nodes' route sets (`routesOf`), called as each role, without a key,
 * with an unknown key and with a revoked key, against apps built on real parts as server/node.ts builds them (a
 * migrated SQLite database per node, real API keys, each node's outbox with its job handlers — not started —, the
 * product catalog, a document store, the bank's facility service, and a `hardhat node` process — port range
 * 18925–18949 — with the contracts deployed by scripts/deploy.ts, each node signing with its own key); the regulator's
 * lifecycle routes call the bank node under test. Public routes never answer 401/403; protected routes answer 401 to a
 * missing, unknown or revoked key, 403 to a role they do not allow, and to a role they allow neither 401/403 nor 400
 * (the samples are valid) nor 5xx. The routes, samples and expectations are test/helpers/authorizationMatrix.ts, which
 * test/reliability/security.test.ts also runs against the real node processes.
 */
describe("the authorization matrix", function () {
  this.timeout(120_000);
  let dir: string;
  let chainNode: ChainNode;
  let deployment: Deployment;
  const chains: Chain[] = [];
  const servers: Server[] = [];
  const databases: Database[] = [];
  const nodes = {} as Record<NodeRole, { url: string; parts: NodeParts; keys: MatrixKeys }>;
  const errorLogs: string[] = [];
  const logger = pino({ level: "error" }, { write: (line: string) => void errorLogs.push(line.slice(0, 2_000)) });
  let cells = 0;

  async function startNode(role: NodeRole, bankNode?: { url: string; apiKey: string }) {
    const chain = createChain({ deployment, signerKey: devWallet(role).privateKey });
    chains.push(chain);
    const parts = await createNodeParts({ role, dir: path.join(dir, role), chain, logger, waitMs: WAIT_MS, bankNode });
    databases.push(parts.db);
    const { server, url } = await serveNode(parts, logger);
    servers.push(server);
    const keys: MatrixKeys = { active: {} as Record<Role, string>, revoked: {} as Record<Role, string> };
    for (const keyRole of ROLES) {
      const subject = matrixSubject(keyRole);
      keys.active[keyRole] = (
        await parts.apiKeys.issue({ role: keyRole, institution: `${keyRole}-inst`, label: "active", subject })
      ).key;
      const old = await parts.apiKeys.issue({
        role: keyRole,
        institution: `${keyRole}-inst`,
        label: "revoked",
        subject,
      });
      // Used once before revoking, so the matrix also shows the revocation beats the lookup cache.
      expect(await parts.apiKeys.authenticate(old.key)).to.include({ role: keyRole });
      expect(await parts.apiKeys.revoke(old.id)).to.equal(true);
      keys.revoked[keyRole] = old.key;
    }
    nodes[role] = { url, parts, keys };
  }

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-authz-"));
    chainNode = await startChainNode({ kind: "hardhat", port: await freePort() });
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
    const line = (route: Route) => `${route.method} ${route.path} ${route.operationId} ${JSON.stringify(route.auth)}`;
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
      "receiveWhiteList",
      "getFacilityAudit",
    ]);
    expect(operations("regulator")).to.include.members([
      "recordSpotCheck",
      "cosignAtBank",
      "verificationQueue",
      "importWhiteList",
      "publishWhiteList",
      "getFacilityAudit",
    ]);
  });

  for (const node of ["bank", "regulator"] as const) {
    describe(`on the ${node} node`, function () {
      for (const route of CATALOGUE[node]) {
        it(routeTitle(route), async function () {
          const { url, keys } = nodes[node];
          const failures = await checkRoute(url, route, keys);
          cells += PRINCIPALS.length;
          const logs = errorLogs.splice(0).join("");
          expect(failures, `${routeTitle(route)}${logs ? `\nserver log: ${logs}` : ""}`).to.deep.equal([]);
        });
      }
    });
  }
  // After the role matrix, which runs on empty nodes: here the bank's outbox runs, so the facilities land on chain.
  describe("the tenant matrix on the bank node (principal × owner × route)", function () {
    const tenants = tenantsOf();
    let owned: Record<Party, Owned>;
    let tenantCells = 0;

    before(async function () {
      const { parts, url, keys } = nodes.bank;
      for (const tenant of tenants) {
        const issued = await parts.apiKeys.issue({
          role: tenant.role,
          institution: tenant.name,
          label: "tenant",
          subject: subjectOf(tenant),
        });
        tenant.key = issued.key;
      }
      parts.outbox.start();
      owned = await setUpTenancy(url, keys.active.bank_officer, tenants);
    });

    after(function () {
      nodes.bank?.parts.outbox.stop();
      console.log(
        `      tenant matrix: ${TENANT_ROUTES.length} routes × ${tenants.length} tenants × 2 owners (payment routes × 2 payments) + ${TENANT_LISTS.length} lists × ${tenants.length} tenants = ${tenantCells} cells`,
      );
    });

    for (const route of TENANT_ROUTES) {
      it(routeTitle(route), async function () {
        const { failures, cells: made } = await checkTenantRoute(nodes.bank.url, route, tenants, owned);
        tenantCells += made;
        expect(failures, routeTitle(route)).to.deep.equal([]);
      });
    }

    it("lists to each tenant only what it is party of", async function () {
      const { failures, cells: made } = await checkTenantLists(nodes.bank.url, tenants, owned);
      tenantCells += made;
      expect(failures).to.deep.equal([]);
    });
  });
});
