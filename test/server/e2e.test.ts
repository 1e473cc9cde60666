import { expect } from "chai";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { JsonRpcProvider, sha256 } from "ethers";
import fs from "node:fs";
import path from "node:path";
import { deploy } from "../../scripts/deploy";
import { freePort } from "../../scripts/bench/lib/system";
import { startChainNode, type ChainNode } from "../../scripts/lib/chain-node";
import { devWallet, parseDeployConfig } from "../../scripts/lib/deploy-config";
import { readDeployment } from "../../scripts/lib/deployments";
import { verifyBatchProof } from "../../server/chain/batch-tree";
import { EvidenceRegistry__factory, type EvidenceRegistry } from "../../typechain-types";
import { openFacility } from "../helpers/liveFacility";
import { chainVerdicts, leafFromNode, verifiedOnChain } from "../helpers/chainVerdicts";
import { client, issueKey, startNodeProcess, tempDir, waitFor, type NodeProcess } from "../helpers/processes";

const ROOT = path.resolve(__dirname, "..", "..");
const Verdict = { NONE: 0n, ACCEPT: 1n, REJECT: 2n };
const pdf = (text: string) => Buffer.from(`%PDF-1.7\n% ${text}\n%%EOF\n`);

/**
 * The whole verification path with real processes: a hardhat chain node, a bank node and a regulator node, each with
 * its own database and key. Upload → anchor → both verdicts on chain → the proof verifies with @openzeppelin/merkle-tree.
 */
describe("bank and regulator nodes, end to end", function () {
  this.timeout(240_000);
  let chainNode: ChainNode;
  let bank: NodeProcess;
  let regulator: NodeProcess;
  let dir: string;
  let officer: ReturnType<typeof client>;
  let officerKey: string;
  let inspector: ReturnType<typeof client>;
  let registry: EvidenceRegistry;
  let provider: JsonRpcProvider;
  const bankVerifier = devWallet("bankVerifier").address;
  const regulatorVerifier = devWallet("regulatorVerifier").address;
  /** Facility 1, paying one payee against any payee kind: evidence needs an open facility. */
  let facility: Awaited<ReturnType<typeof openFacility>>;

  before(async function () {
    dir = tempDir("e2e");
    chainNode = await startChainNode({ kind: "hardhat", port: await freePort() });
    const deploymentsFile = path.join(dir, "deployment.json");
    await deploy(parseDeployConfig({ RPC_URL: chainNode.url, DEPLOYMENTS_FILE: deploymentsFile }), () => undefined);
    provider = new JsonRpcProvider(chainNode.url, undefined, { staticNetwork: true, pollingInterval: 100 });
    registry = EvidenceRegistry__factory.connect(readDeployment(deploymentsFile).contracts.EvidenceRegistry, provider);

    const common = {
      DEPLOYMENTS_FILE: deploymentsFile,
      POLL_INTERVAL_MS: "200",
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? "info",
    };
    const bankEnv = {
      ...common,
      PORT: String(await freePort()),
      DATA_DIR: path.join(dir, "bank"),
      BATCH_MAX_AGE_MS: "1500",
      BATCH_MAX_SIZE: "64",
    };
    officerKey = issueKey(bankEnv, "bank", "bank_officer", "alice");
    const regulatorKeyAtBank = issueKey(bankEnv, "bank", "regulator", "regulator-node");
    bank = await startNodeProcess("bank", bankEnv);
    regulator = await startNodeProcess("regulator", {
      ...common,
      PORT: String(await freePort()),
      DATA_DIR: path.join(dir, "regulator"),
      BANK_NODE_URL: bank.url,
      BANK_NODE_API_KEY: regulatorKeyAtBank,
      REGISTRY_SEED_FILE: path.join(ROOT, "seed", "regulator-registry.json"),
    });
    officer = client(bank.url, officerKey);
    inspector = client(regulator.url, issueKey(regulator.env, "regulator", "regulator", "inspector"));
    facility = await openFacility(officer, { inspector });
  });

  after(async function () {
    if (process.env.E2E_LOGS)
      for (const node of [bank, regulator])
        console.log(
          node?.logs
            .join("")
            .split("\n")
            .filter((l) => /"level":(40|50)|chain write/.test(l))
            .join("\n"),
        );
    await regulator?.stop();
    await bank?.stop();
    provider?.destroy();
    await chainNode?.stop();
    if (this.currentTest?.state !== "failed") fs.rmSync(dir, { recursive: true, force: true });
  });

  async function upload(kind: string, metadata: object, text: string, anchor = "batch") {
    const response = await officer.upload(
      { facilityId: "1", kind, metadata: JSON.stringify(metadata), anchor },
      { name: `${kind.toLowerCase()}.pdf`, type: "application/pdf", bytes: pdf(text) },
    );
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body as { id: string; evidenceId: string; contentHash: string; salt: string; status: string };
  }

  /** Both verifiers' verdicts on chain: a batched leaf's are its batch's bits until a payment registers it. */
  async function verdicts(evidenceId: string) {
    return chainVerdicts(registry, evidenceId, [bankVerifier, regulatorVerifier], leafFromNode(officer));
  }
  const isVerified = (evidenceId: string) =>
    verifiedOnChain(registry, evidenceId, [bankVerifier, regulatorVerifier], leafFromNode(officer));

  it("anchors a batch, both nodes accept on chain, and the proof verifies with @openzeppelin/merkle-tree", async function () {
    const contract = await upload(
      "PURCHASE_CONTRACT",
      { supplierLicence: "91330200MA2H8K3X1Y", contractNumber: "PC-1" },
      "contract 1",
    );
    // The payee's invoice: an inspection report or a patent would name the borrower, whom facility 1 here has not, and
    // a lab's certificate a lab (the regulator binds the licence a document cites to the payee account it names).
    const report = await upload(
      "INVOICE",
      { supplierLicence: "91330200MA2H8K3X1Y", invoiceNumber: "FP-1" },
      "invoice 1",
    );
    expect(contract.status).to.equal("QUEUED");

    await waitFor("both documents anchored", async () => {
      const [a, b] = await Promise.all([
        officer.get(`/documents/${contract.id}`),
        officer.get(`/documents/${report.id}`),
      ]);
      return a.body.status === "ANCHORED" && b.body.status === "ANCHORED";
    });
    const proof = await officer.get(`/documents/${contract.id}/proof`);
    expect(proof.status).to.equal(200);
    expect(proof.body.single).to.equal(false);
    expect(StandardMerkleTree.verify(proof.body.evidenceId, proof.body.leafEncoding, proof.body.leaf, [])).to.equal(
      true,
    );
    expect(verifyBatchProof(proof.body.root, proof.body.evidenceId, proof.body.index, proof.body.proof, 2)).to.equal(
      true,
    );
    const [anchoredAt, size] = await registry.batchOf(proof.body.root);
    expect(anchoredAt).to.be.greaterThan(0n);
    expect(size).to.equal(2n);

    await waitFor("both verdicts on chain", async () => {
      const all = [...(await verdicts(contract.evidenceId)), ...(await verdicts(report.evidenceId))];
      return all.every((verdict) => verdict === Verdict.ACCEPT);
    });
    expect(await isVerified(contract.evidenceId)).to.equal(true);
    expect(await isVerified(report.evidenceId)).to.equal(true);
  });

  it("anchors a single document in its own transaction and both nodes accept it", async function () {
    const patent = await upload(
      "DELIVERY_NOTE",
      { supplierLicence: "91330200MA2H8K3X1Y" },
      "delivery note 1",
      "single",
    );
    await waitFor(
      "the single anchor",
      async () => (await officer.get(`/documents/${patent.id}`)).body.status === "ANCHORED",
    );
    const proof = await officer.get(`/evidence/${patent.evidenceId}/proof`);
    expect(proof.body.single).to.equal(true);
    expect(proof.body.root).to.equal(patent.evidenceId);
    await waitFor("both verdicts on chain", async () =>
      (await verdicts(patent.evidenceId)).every((v) => v === Verdict.ACCEPT),
    );
  });

  it("lets the regulator reject what its own registry does not know, so the evidence is not verified", async function () {
    // Uploaded together (one bulk request), so in one batch: a REJECT of one leaf blocks that leaf only.
    const form = new FormData();
    const both = [
      { kind: "PATENT_FILING", metadata: { patentNumber: "CN209999999999.9" }, text: "unknown patent" },
      { kind: "DELIVERY_NOTE", metadata: { supplierLicence: "91330200MA2H8K3X1Y" }, text: "delivery note beside" },
    ];
    form.append(
      "documents",
      JSON.stringify(both.map((d) => ({ facilityId: "1", kind: d.kind, metadata: d.metadata }))),
    );
    for (const d of both)
      form.append("files", new Blob([new Uint8Array(pdf(d.text))], { type: "application/pdf" }), "d.pdf");
    const bulk = await fetch(`${bank.url}/documents/bulk`, {
      method: "POST",
      headers: { authorization: `Bearer ${officerKey}` },
      body: form,
    });
    expect(bulk.status).to.equal(201);
    const [patent, note] = ((await bulk.json()) as { items: Array<{ evidenceId: string }> }).items;
    await waitFor("both verdicts on chain", async () =>
      [...(await verdicts(patent.evidenceId)), ...(await verdicts(note.evidenceId))].every((v) => v !== Verdict.NONE),
    );
    const leaves = await Promise.all(
      [patent, note].map(async (d) => (await officer.get(`/evidence/${d.evidenceId}/proof`)).body),
    );
    expect(leaves[0].root, "one batch").to.equal(leaves[1].root);
    expect(await verdicts(patent.evidenceId)).to.deep.equal([Verdict.ACCEPT, Verdict.REJECT]);
    expect(await verdicts(note.evidenceId)).to.deep.equal([Verdict.ACCEPT, Verdict.ACCEPT]);
    expect([await isVerified(patent.evidenceId), await isVerified(note.evidenceId)]).to.deep.equal([false, true]);
    // The bank node's own view (what its payment pre-flight reads): accepted by one verifier only is not verified.
    const items = (await officer.get("/facilities/1/evidence")).body.items;
    const view = (id: string) => items.find((e: any) => e.evidenceId === id);
    expect([view(patent.evidenceId).verified, view(patent.evidenceId).registered]).to.deep.equal([false, false]);
    expect(view(patent.evidenceId).verdicts.map((v: any) => v.verdict)).to.deep.equal(["ACCEPT", "REJECT"]);
    expect(view(note.evidenceId).verified).to.equal(true);
    const list = await inspector.get("/verifications?verdict=REJECT");
    const rejection = list.body.items.find((item: { evidenceId: string }) => item.evidenceId === patent.evidenceId);
    expect(rejection.reason).to.equal("patent filing CN209999999999.9 is not in the regulator's registry");
  });

  /** How many POST /documents/contents the bank node answered 200: the regulator's bulk reads of bytes. */
  async function bulkReads(): Promise<number> {
    const text = await (
      await fetch(`${bank.url}/metrics`, { headers: { authorization: `Bearer ${officerKey}` } })
    ).text();
    const line = text
      .split("\n")
      .find(
        (l) =>
          l.startsWith("qfm_http_request_duration_seconds_count{") &&
          l.includes('method="POST"') &&
          l.includes('route="/documents/contents"') &&
          l.includes('status="200"'),
      );
    return line ? Number(line.split(" ").pop()) : 0;
  }

  it("has both nodes reject a document whose bytes were swapped on disk as tampered", async function () {
    const readsBefore = await bulkReads();
    const original = pdf("original delivery note");
    const note = await upload("DELIVERY_NOTE", { supplierLicence: "91330201MA2J4L7P2Q" }, "original delivery note");
    expect(note.contentHash).to.equal(sha256(original));
    // Swap the stored bytes before the batch is sealed: the chain gets the original hash, the store holds other bytes.
    const hex = note.contentHash.slice(2);
    fs.writeFileSync(
      path.join(dir, "bank", "documents", hex.slice(0, 2), hex.slice(2, 4), hex),
      pdf("forged delivery note"),
    );

    await waitFor("both verdicts on chain", async () =>
      (await verdicts(note.evidenceId)).every((v) => v !== Verdict.NONE),
    );
    expect(await verdicts(note.evidenceId)).to.deep.equal([Verdict.REJECT, Verdict.REJECT]);
    expect(await isVerified(note.evidenceId)).to.equal(false);
    // The regulator read the batch's bytes in bulk (answered content_tampered), not one request a document.
    expect(await bulkReads()).to.be.greaterThan(readsBefore);
    const rejection = (await inspector.get("/verifications?verdict=REJECT")).body.items.find(
      (item: { evidenceId: string }) => item.evidenceId === note.evidenceId,
    );
    expect(rejection.reason).to.match(/^tampered/);

    // The public check, against the chain: the original is anchored, the forgery is not.
    const publicClient = client(bank.url);
    const genuine = await publicClient.post("/verify", {
      contentHash: sha256(original),
      salt: note.salt,
      facilityId: "1",
      kind: "DELIVERY_NOTE",
      counterparty: facility.payee,
    });
    expect(genuine.status).to.equal(200);
    expect(genuine.body).to.include({ anchored: true, evidenceId: note.evidenceId, verifiedOnChain: false });
    const forged = await publicClient.upload(
      { salt: note.salt, facilityId: "1", kind: "DELIVERY_NOTE", counterparty: facility.payee },
      { name: "forged.pdf", type: "application/pdf", bytes: pdf("forged delivery note") },
      "/verify/document",
    );
    expect(forged.status).to.equal(200);
    expect(forged.body.anchored).to.equal(false);
  });
});
