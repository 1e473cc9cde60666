import { expect } from "chai";
import type { Server } from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { deploy } from "../../scripts/deploy";
import { freePort } from "../../scripts/bench/lib/system";
import { startChainNode, type ChainNode } from "../../scripts/lib/chain-node";
import { devWallet, parseDeployConfig } from "../../scripts/lib/deploy-config";
import { createChain, type Chain } from "../../server/chain/chain";
import { createRegulatorWhiteList, sealWhiteList, whiteListDomain } from "../../server/whitelist/signatures";
import { client } from "../helpers/processes";
import { createNodeParts, type NodeParts, serveNode } from "../helpers/nodeParts";

const FIRM = {
  creditCode: "91330206MA2AAAAA1X",
  name: "Ningbo Yongxin Bearings",
  grade: "B",
  credit: 86,
  management: 80,
  brand: 72,
  foundation: 84,
  innovation: 77,
};

/**
 * The quality white list is the regulator's, in process on a `hardhat node` with the contracts deployed: the
 * regulator node imports it, signs each entry with its REGULATOR_ROLE key and publishes it to the bank node; the bank
 * node takes no officer's edit (403), no entry signed by anyone else (422), no older publication over a newer one,
 * and prices a facility only from an entry whose signature checks when it is read. Attack on main: the bank officer
 * rewrote a firm's grade in the bank node's white list, and the grade set the facility's base rate.
 */
describe("the regulator's quality white list", function () {
  this.timeout(120_000);
  const logger = pino({ level: "silent" });
  let dir: string;
  let chainNode: ChainNode;
  const chains: Chain[] = [];
  const servers: Server[] = [];
  const nodes = {} as Record<"bank" | "regulator", { url: string; parts: NodeParts; chain: Chain }>;
  let keys: { officer: string; regulatorAtBank: string; inspector: string; officerAtRegulator: string };

  async function startNode(role: "bank" | "regulator", deployment: any, bankNode?: { url: string; apiKey: string }) {
    const chain = createChain({ deployment, signerKey: devWallet(role).privateKey });
    chains.push(chain);
    const parts = await createNodeParts({ role, dir: path.join(dir, role), chain, logger, waitMs: 200, bankNode });
    const { server, url } = await serveNode(parts, logger, 256 * 1024);
    servers.push(server);
    nodes[role] = { url, parts, chain };
  }

  const issue = async (role: "bank" | "regulator", keyRole: "bank_officer" | "regulator") =>
    (await nodes[role].parts.apiKeys.issue({ role: keyRole, institution: keyRole, label: "test" })).key;

  /** An entry as the regulator node sends it, sealed by `signer` (the regulator's chain key unless given). */
  async function signed(entry: typeof FIRM, publishedAt: Date, signer = devWallet("regulator")) {
    const at = new Date(Math.floor(publishedAt.getTime() / 1000) * 1000);
    const other = { ...FIRM, creditCode: "91330282MA2BBBBB2Y", publishedAt: at };
    const [seal] = await sealWhiteList(signer, whiteListDomain(nodes.bank.chain), [
      { ...entry, publishedAt: at },
      other,
    ]);
    return { ...entry, publishedAt: at.toISOString(), ...seal };
  }

  const atBank = async (path: string) => (await client(nodes.bank.url, keys.officer).get(path)).body;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-whitelist-"));
    chainNode = await startChainNode({ kind: "hardhat", port: await freePort() });
    const deployment = await deploy(
      parseDeployConfig({ RPC_URL: chainNode.url, DEPLOYMENTS_FILE: path.join(dir, "deployment.json") }),
      () => undefined,
    );
    await startNode("bank", deployment);
    const regulatorAtBank = await issue("bank", "regulator");
    await startNode("regulator", deployment, { url: nodes.bank.url, apiKey: regulatorAtBank });
    keys = {
      officer: await issue("bank", "bank_officer"),
      regulatorAtBank,
      inspector: await issue("regulator", "regulator"),
      officerAtRegulator: await issue("regulator", "bank_officer"),
    };
  });

  after(async function () {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    for (const chain of chains) chain.close();
    for (const node of Object.values(nodes)) await node.parts.db.close();
    await chainNode?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("when the regulator imports its list", function () {
    it("seals the entries (one signed Merkle root) and publishes them to the bank node, which serves them sealed", async function () {
      const imported = await client(nodes.regulator.url, keys.inspector).post("/whitelist/import", {
        source: "Ningbo AMR 2026 Q3",
        entries: [FIRM],
      });
      expect(imported.status, JSON.stringify(imported.body)).to.equal(200);
      expect(imported.body).to.deep.include({ imported: 1, created: 1, updated: 0 });
      expect(imported.body.bankNode).to.include({ published: true, accepted: 1 });
      const entry = await atBank(`/whitelist/${FIRM.creditCode}`);
      expect(entry).to.include({ grade: "B", source: "Ningbo AMR 2026 Q3" });
      expect(entry.signature).to.match(/^0x[0-9a-f]{130}$/);
      const mine = await client(nodes.regulator.url, keys.inspector).get(`/whitelist/${FIRM.creditCode}`);
      expect(mine.body).to.include({ signature: entry.signature, publishedAt: entry.publishedAt });
    });

    it("publishes the whole list again on request (after the bank node missed it)", async function () {
      await nodes.bank.parts.db.prisma.whiteListEntry.deleteMany({});
      const published = await client(nodes.regulator.url, keys.inspector).post("/whitelist/publish", {});
      expect(published.status, JSON.stringify(published.body)).to.equal(200);
      expect(published.body).to.include({ published: true, accepted: 1 });
      expect(await atBank(`/whitelist/${FIRM.creditCode}`)).to.include({ grade: "B" });
    });
  });

  describe("when the bank tries to edit it", function () {
    it("refuses a bank officer's import on either node with 403, and the grade stays", async function () {
      for (const [url, key] of [
        [nodes.bank.url, keys.officer],
        [nodes.regulator.url, keys.officerAtRegulator],
      ]) {
        const edit = await client(url, key).post("/whitelist/import", {
          entries: [{ ...FIRM, grade: "A" }],
        });
        expect(edit.status, JSON.stringify(edit.body)).to.equal(403);
        expect(edit.body.code).to.equal("forbidden");
      }
      expect(await atBank(`/whitelist/${FIRM.creditCode}`)).to.include({ grade: "B" });
    });

    it("refuses entries signed by the bank's key, or a regulator's signature over another grade, with 422", async function () {
      const relay = client(nodes.bank.url, keys.regulatorAtBank);
      const later = new Date(Date.now() + 60_000);
      for (const [what, entry] of [
        ["signed by the bank", await signed({ ...FIRM, grade: "A" }, later, devWallet("bank"))],
        ["signed by the bank's verifier", await signed({ ...FIRM, grade: "A" }, later, devWallet("bankVerifier"))],
        ["the grade changed after signing", { ...(await signed(FIRM, later)), grade: "A" }],
        ["another entry's proof", { ...(await signed(FIRM, later)), creditCode: "91330282MA2BBBBB2Y" }],
      ] as const) {
        const sent = await relay.post("/whitelist/import", { entries: [entry] });
        expect(sent.status, `${what}: ${JSON.stringify(sent.body)}`).to.equal(422);
        expect(sent.body.code, what).to.equal("not_signed_by_regulator");
      }
      expect(await atBank(`/whitelist/${FIRM.creditCode}`)).to.include({ grade: "B" });
    });

    it("keeps a newer grade when an older signed entry is replayed", async function () {
      const relay = client(nodes.bank.url, keys.regulatorAtBank);
      const older = await signed({ ...FIRM, grade: "A" }, new Date(Date.now() - 86_400_000));
      const replayed = await relay.post("/whitelist/import", { entries: [older] });
      expect(replayed.status, JSON.stringify(replayed.body)).to.equal(200);
      expect(replayed.body).to.include({ imported: 0, stale: 1 });
      expect(await atBank(`/whitelist/${FIRM.creditCode}`)).to.include({ grade: "B" });
      // A newer one, signed by the regulator and relayed by anyone, is taken.
      const newer = await relay.post("/whitelist/import", {
        entries: [await signed({ ...FIRM, grade: "C" }, new Date(Date.now() + 120_000))],
      });
      expect(newer.body).to.include({ imported: 1, stale: 0 });
      expect(await atBank(`/whitelist/${FIRM.creditCode}`)).to.include({ grade: "C" });
    });
  });

  describe("when the bank node prices a facility", function () {
    it("uses a grade only when the regulator's signature over it checks", async function () {
      const { db } = nodes.bank.parts;
      const regulatorEntryOf = createRegulatorWhiteList({ db, chain: nodes.bank.chain });
      const gradeOf = async () => (await regulatorEntryOf(FIRM.creditCode))?.grade ?? null;
      expect(await gradeOf()).to.equal("C");
      // The attack: a grade rewritten in the bank node's database.
      await db.prisma.whiteListEntry.update({ where: { creditCode: FIRM.creditCode }, data: { grade: "A" } });
      expect(await gradeOf()).to.equal(null);
      // A row with no signature at all (as main imported them) prices nothing either.
      await db.prisma.whiteListEntry.update({
        where: { creditCode: FIRM.creditCode },
        data: { grade: "C", signature: null },
      });
      expect(await gradeOf()).to.equal(null);
    });

    it("refuses to price a firm whose listed grade was tampered with unless the officer names a grade", async function () {
      const created = await client(nodes.bank.url, keys.officer).post("/facilities", {
        productId: "yongzhidai",
        borrower: devWallet("borrower").address,
        borrowerName: FIRM.name,
        creditCode: FIRM.creditCode,
        creditLimit: "1000000000",
        termMonths: 12,
        plan: [
          {
            payee: devWallet("regulatorVerifier").address,
            category: "EQUIPMENT",
            amount: "400000000",
            qualityPurpose: true,
            requiredEvidence: ["INVOICE"],
          },
        ],
      });
      expect(created.status, JSON.stringify(created.body)).to.equal(422);
      expect(created.body.code).to.equal("grade_required");
    });
  });
});
