import { expect } from "chai";
import { Wallet } from "ethers";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { deploy } from "../../scripts/deploy";
import { startChainNode, type ChainNode } from "../../scripts/lib/chain-node";
import { devWallet, parseDeployConfig } from "../../scripts/lib/deploy-config";
import { freePort } from "../../scripts/bench/lib/system";
import { issueKey, startNodeProcess, tempDir, waitFor, type NodeProcess } from "../helpers/processes";

const ROOT = path.resolve(__dirname, "..", "..");
const ENTRY = path.join(ROOT, "scripts", "qfm.ts");
/** Free ports, taken in before(). */
const PORTS = { chain: 0, bank: 0, regulator: 0, nothing: 0 };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A short loan walk-through driven only through the `qfm` binary (a child process per command) against real
 * processes: a chain node, the bank node and the regulator node. Payees, a 1,201-firm white list in three chunks, a
 * facility from a plan file, evidence, a blocked payment that becomes payable once both nodes verified the evidence, a
 * failed spot check that freezes the facility and a payment refused with exit code 2, the statement, the audit
 * report, and a joint unfreeze.
 */
describe("qfm, end to end through the binary", function () {
  this.timeout(600_000);
  let chainNode: ChainNode;
  let bank: NodeProcess;
  let regulator: NodeProcess;
  let dir: string;
  let env: Record<string, string>;
  const borrower = devWallet("borrower").address;
  const [equipmentVendor, lab] = [0, 1].map(() => Wallet.createRandom().address);
  const file = (name: string) => path.join(dir, name);

  /** Runs `qfm <args>` as its own process, like a person at a shell. */
  function qfm(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", ENTRY, ...args], {
        cwd: ROOT,
        env: { ...env, ...extraEnv },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.once("error", reject);
      child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  /** Runs a command that must succeed and returns its output. */
  async function ok(args: string[], extraEnv?: Record<string, string>): Promise<Run> {
    const run = await qfm(args, extraEnv);
    expect(run.code, `qfm ${args.join(" ")}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`).to.equal(0);
    return run;
  }

  const json = async (args: string[]) => JSON.parse((await ok(["--json", ...args])).stdout);

  before(async function () {
    dir = tempDir("cli");
    for (const name of Object.keys(PORTS) as Array<keyof typeof PORTS>) PORTS[name] = await freePort();
    const chainLog = fs.createWriteStream(path.join(dir, "chain.log"));
    chainNode = await startChainNode({ kind: "hardhat", port: PORTS.chain, log: (line) => chainLog.write(line) });
    const deploymentsFile = path.join(dir, "deployment.json");
    await deploy(parseDeployConfig({ RPC_URL: chainNode.url, DEPLOYMENTS_FILE: deploymentsFile }), () => undefined);
    const common = { DEPLOYMENTS_FILE: deploymentsFile, POLL_INTERVAL_MS: "100", LOG_LEVEL: "warn" };
    const bankUrl = `http://127.0.0.1:${PORTS.bank}`;
    const bankEnv = { ...common, PORT: String(PORTS.bank), DATA_DIR: path.join(dir, "bank"), BATCH_MAX_AGE_MS: "300" };
    const regulatorEnv = {
      ...common,
      PORT: String(PORTS.regulator),
      DATA_DIR: path.join(dir, "regulator"),
      BANK_NODE_URL: bankUrl,
      BANK_NODE_API_KEY: issueKey(bankEnv, "bank", "regulator", "regulator-node"),
      REGISTRY_SEED_FILE: path.join(ROOT, "seed", "regulator-registry.json"),
    };
    const outside = Object.fromEntries(
      Object.entries(process.env).filter(([name, value]) => !name.startsWith("QFM_") && value !== undefined),
    ) as Record<string, string>;
    env = {
      ...outside,
      QFM_BANK_URL: bankUrl,
      QFM_REGULATOR_URL: `http://127.0.0.1:${PORTS.regulator}`,
      QFM_API_KEY: issueKey(bankEnv, "bank", "bank_officer", "officer"),
      QFM_REGULATOR_KEY: issueKey(regulatorEnv, "regulator", "regulator", "inspector"),
    };
    bank = await startNodeProcess("bank", bankEnv);
    regulator = await startNodeProcess("regulator", regulatorEnv);
    // The regulator's own records of whose chain accounts the borrower's and the payees' are: what a spot check's
    // report is matched by, and what binds the licence a document cites to the payee account it names.
    for (const [reference, holder, holderCreditCode] of [
      [borrower, "Ningbo Yongxin Bearings Co., Ltd.", "91330206MA2AAAAA1X"],
      [equipmentVendor, "Ningbo Precision CNC Equipment Co., Ltd.", "91330200MA2H8K3X1Y"],
      [lab, "Ningbo Institute of Product Quality Inspection", "12330200MB1234567X"],
    ]) {
      const firm = await fetch(`${env.QFM_REGULATOR_URL}/registry/records`, {
        method: "POST",
        headers: { authorization: `Bearer ${env.QFM_REGULATOR_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ type: "FIRM_ACCOUNT", reference, holder, holderCreditCode }),
      });
      expect(firm.status, await firm.text()).to.equal(201);
    }

    const firms = Array.from(
      { length: 1_200 },
      (_, i) => `91330206MA${String(i).padStart(8, "0")},Firm ${i},${"ABCDE"[i % 5]},70,71,72,73,74`,
    );
    fs.writeFileSync(
      file("whitelist.csv"),
      [
        "creditCode,name,grade,credit,management,brand,foundation,innovation",
        '91330206MA2AAAAA1X,"Ningbo Yongxin Bearings",C,78,74,66,81,72',
        ...firms,
      ].join("\n"),
    );
    fs.writeFileSync(
      file("plan.json"),
      JSON.stringify([
        {
          payee: equipmentVendor,
          category: "EQUIPMENT",
          amount: "4,000,000.00",
          qualityPurpose: true,
          requiredEvidence: ["PURCHASE_CONTRACT", "INVOICE"],
          description: "CNC grinder",
        },
        {
          payee: lab,
          category: "TESTING_CERT",
          amount: "500,000.00",
          qualityPurpose: true,
          requiredEvidence: ["CERTIFICATION"],
        },
      ]),
    );
    for (const name of ["contract", "invoice"]) fs.writeFileSync(file(`${name}.pdf`), `%PDF-1.7\n% ${name}\n%%EOF\n`);
  });

  after(async function () {
    await regulator?.stop();
    await bank?.stop();
    await chainNode?.stop();
    if (!process.env.E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  });

  let contract: { id: string; salt: string };

  it("registers the payees on chain", async function () {
    const first = await ok([
      "payee",
      "register",
      "--address",
      equipmentVendor,
      "--name",
      "Ningbo Precision CNC Equipment",
      "--credit-code",
      "91330200MA2H8K3X1Y",
      "--category",
      "EQUIPMENT",
      "--licence-hash",
      `0x${"ab".repeat(32)}`,
    ]);
    expect(first.stdout).to.include(`payee ${equipmentVendor} registered on chain`).and.include("CONFIRMED");
    const second = await json([
      "payee",
      "register",
      "--address",
      lab,
      "--name",
      "Ningbo Institute of Product Quality Inspection",
      "--credit-code",
      "12330200MB1234567X",
      "--category",
      "TESTING_CERT",
      "--licence-hash",
      `0x${"cd".repeat(32)}`,
    ]);
    expect(second).to.include({ address: lab, chainStatus: "CONFIRMED" });
    expect((await json(["payee", "list"])).items).to.have.length(2);
  });

  it("refuses a second payee with a payee's credit code, however it is written (409, exit 1)", async function () {
    const shell = Wallet.createRandom().address;
    // The same code in lower case and with spaces: one firm, so refused, naming the payee that holds it.
    for (const written of ["91330200MA2H8K3X1Y", " 91330200ma2h8k3x1y ", "9133 0200 MA2H 8K3X 1Y"]) {
      const run = await qfm([
        "payee",
        "register",
        "--address",
        shell,
        "--name",
        "Precision CNC Trading (shell)",
        "--credit-code",
        written,
        "--category",
        "EQUIPMENT",
        "--licence-hash",
        `0x${"ef".repeat(32)}`,
      ]);
      expect(run.code, `${written}\n${run.stdout}${run.stderr}`).to.equal(1);
      expect(run.stderr)
        .to.include("credit_code_taken, HTTP 409")
        .and.include(`credit code 91330200MA2H8K3X1Y is already registered to payee ${equipmentVendor}`);
    }
    expect((await json(["payee", "list"])).items.map((p: any) => p.address)).to.not.include(shell);
  });

  it("lets only one of two simultaneous registrations with one credit code through", async function () {
    const [first, second] = [0, 1].map(() => Wallet.createRandom().address);
    const register = (address: string, creditCode: string) =>
      qfm([
        "payee",
        "register",
        "--address",
        address,
        "--name",
        `Ningbo Gauge Works ${address.slice(2, 6)}`,
        "--credit-code",
        creditCode,
        "--category",
        "TESTING_CERT",
        "--licence-hash",
        `0x${"cd".repeat(32)}`,
      ]);
    const runs = await Promise.all([register(first, "91330299MA2RACE01K"), register(second, "91330299ma2race01k")]);
    expect(runs.map((r) => r.code).sort(), runs.map((r) => r.stdout + r.stderr).join("\n")).to.deep.equal([0, 1]);
    expect(runs.find((r) => r.code === 1)!.stderr).to.include("credit_code_taken, HTTP 409");
    const holders = (await json(["payee", "list"])).items.filter((p: any) => p.creditCode === "91330299MA2RACE01K");
    expect(holders).to.have.length(1);
    expect([first, second]).to.include(holders[0].address);
  });

  it("imports a 1,201-firm white list in chunks of 500, showing progress on stderr", async function () {
    // The white list is the regulator's: imported on the regulator node, which publishes the signed entries to the bank.
    const run = await ok(["whitelist", "import", file("whitelist.csv"), "--chunk-size", "500", "--node", "regulator"]);
    expect(run.stdout).to.include("imported 1,201 firms into the regulator node's white list (1,201 new, 0 updated)");
    expect(run.stderr).to.include("1,201 rows valid").and.include("1,201 rows in 3 requests");
    const graded = await json(["whitelist", "list", "--grade", "C"]);
    expect(graded.items.map((e: any) => e.creditCode)).to.include("91330206MA2AAAAA1X");
  });

  it("creates a 10,000,000.00 CNY facility from a plan file", async function () {
    const created = await json([
      "facility",
      "create",
      "--borrower",
      borrower,
      "--borrower-name",
      "Ningbo Yongxin Bearings",
      "--credit-code",
      "91330206MA2AAAAA1X",
      "--limit",
      "10,000,000.00",
      "--plan",
      file("plan.json"),
    ]);
    expect(created).to.include({ facilityId: "1", grade: "C", baseRateBps: 435, creditLimit: "1000000000" });
  });

  it("refuses a borrower's credit code for another account, and another code for its account (409, exit 1)", async function () {
    const create = (account: string, creditCode: string) =>
      qfm([
        "facility",
        "create",
        "--borrower",
        account,
        "--borrower-name",
        "Ningbo Yongxin Bearings",
        "--credit-code",
        creditCode,
        "--limit",
        "10,000,000.00",
        "--plan",
        file("plan.json"),
      ]);
    const stranger = Wallet.createRandom().address;
    const taken = await create(stranger, "91330206ma2aaaaa1x ");
    expect(taken.code, taken.stderr).to.equal(1);
    expect(taken.stderr)
      .to.include("credit_code_taken, HTTP 409")
      .and.include(`credit code 91330206MA2AAAAA1X belongs to borrower ${borrower}`);
    const otherCode = await create(borrower, "91330282MA2BBBBB2Y");
    expect(otherCode.code, otherCode.stderr).to.equal(1);
    expect(otherCode.stderr)
      .to.include("borrower_credit_code_mismatch, HTTP 409")
      .and.include("with credit code 91330206MA2AAAAA1X, not 91330282MA2BBBBB2Y");
    // Nothing was created by either: facility 1 is still the only one.
    expect((await json(["facility", "list"])).items.map((f: any) => f.facilityId)).to.deep.equal(["1"]);
  });

  it("lists what blocks the first payment, then pays it once both nodes verified the evidence", async function () {
    const blocked = await qfm(["payment", "check", "1", "0"]);
    expect(blocked.code, "a blocked payment exits 2").to.equal(2);
    expect(blocked.stdout)
      .to.include("✗ payment 0 of facility 1 is blocked:")
      .and.include(
        `no PURCHASE_CONTRACT naming payee ${equipmentVendor} has been uploaded and anchored for facility 1 [evidence_missing]`,
      );

    const supplier = JSON.stringify({ supplierLicence: "91330200MA2H8K3X1Y" });
    contract = await json([
      "document",
      "upload",
      file("contract.pdf"),
      "--facility",
      "1",
      "--kind",
      "PURCHASE_CONTRACT",
      "--metadata",
      supplier,
    ]);
    await ok([
      "document",
      "upload",
      file("invoice.pdf"),
      "--facility",
      "1",
      "--kind",
      "INVOICE",
      "--metadata",
      supplier,
    ]);

    const ready = await ok(["payment", "check", "1", "0", "--wait", "180"]);
    expect(ready.stdout).to.include("✓ payment 0 of facility 1 is ready");
    const paid = await ok(["payment", "request", "1", "0"]);
    expect(paid.stdout).to.include(`✓ paid 4,000,000.00 CNY to ${equipmentVendor} (payment 0 of facility 1)`);
    expect(paid.stdout).to.match(/transaction: 0x[0-9a-f]{64}/);
    // The documents listing names each document's counterparty and, once the payment is indexed, the payment it released.
    await waitFor("the payment's evidence shown as consumed", async () => {
      const listed = await ok(["document", "list", "--facility", "1", "--kind", "INVOICE"]);
      return listed.stdout.includes("payment 0");
    });
    const listed = await ok(["document", "list", "--facility", "1"]);
    expect(listed.stdout).to.include("payee Ningbo Precision CNC Equipment (0x").and.include("consumed by");

    const shown = await ok(["facility", "show", "1"]);
    expect(shown.stdout).to.include("✓ paid").and.include("unpaid").and.include("10,000,000.00 CNY");
    expect(shown.stdout).to.include("paid 4,000,000.00 CNY of 4,500,000.00 CNY; unpaid 500,000.00 CNY");
    expect(shown.stdout).to.match(/funding\s+│\s+FUNDED/);

    // Funding again is a no-op once the plan total is in (the retry of a refused funding).
    const funded = await ok(["facility", "fund", "1"]);
    expect(funded.stdout)
      .to.include("facility 1 is funded")
      .and.match(/funded \/ plan total\s+│\s+4,500,000\.00 CNY/);
  });

  it("proves the evidence against the chain, and anyone can verify the file with its salt", async function () {
    const proof = await ok(["document", "proof", contract.id]);
    expect(proof.stdout)
      .to.include("✓ the leaf hashes to the evidence id")
      .and.include("✓ the proof leads from the leaf to the root")
      .and.include("✓ the chain holds this root for the document");

    const anonymous = { QFM_API_KEY: "", QFM_REGULATOR_KEY: "" };
    const args = [
      "verify",
      file("contract.pdf"),
      "--salt",
      contract.salt,
      "--facility",
      "1",
      "--counterparty",
      equipmentVendor,
    ];
    const verified = await ok([...args, "--kind", "PURCHASE_CONTRACT"], anonymous);
    expect(verified.stdout).to.include("✓ contract.pdf is anchored on chain 31337");
    const wrongKind = await qfm([...args, "--kind", "INVOICE"], anonymous);
    expect(wrongKind.code).to.equal(1);
    expect(wrongKind.stdout).to.include("✗ contract.pdf is not anchored as INVOICE evidence of facility 1");
  });

  it("freezes the facility on a failed spot check; the next payment is refused with exit code 2", async function () {
    const failed = await ok([
      "spot-check",
      "1",
      "--result",
      "FAIL",
      "--report",
      "NB-SC-2026-0044",
      "--findings",
      "pass rate 91.2%",
    ]);
    expect(failed.stdout).to.include("✗ facility 1 is FROZEN");
    expect(failed.stdout).to.match(/freeze transaction\s*│\s*0x[0-9a-f]{64}/);
    // The list says so too, from the chain, in the one request it makes.
    expect((await json(["facility", "list"])).items.find((f: any) => f.facilityId === "1").status).to.equal("FROZEN");
    expect((await ok(["facility", "list"])).stdout).to.match(/│\s*1\s*│\s*FROZEN\s*│/);

    const refused = await qfm(["payment", "request", "1", "1"]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr)
      .to.include(
        "✗ payment 1 of facility 1 cannot be made (facility_is_frozen, HTTP 409 from the bank node); 2 blockers:",
      )
      .and.include("facility 1 is frozen after a failed spot check")
      .and.include("[evidence_missing]");
    const refusedJson = await qfm(["--json", "payment", "request", "1", "1"]);
    expect(refusedJson.code).to.equal(2);
    expect(JSON.parse(refusedJson.stdout).blockers.map((b: any) => b.code)).to.include("facility_is_frozen");
  });

  it("shows the statement, the regulator's queue and the audit report", async function () {
    const statement = await ok(["facility", "statement", "1"]);
    expect(statement.stdout).to.match(/outstanding principal\s*│\s*4,000,000\.00 CNY/);
    expect(statement.stdout).to.include("now (open)");

    const queue = await json(["queue", "--facility", "1"]);
    expect(queue.items.map((q: any) => q.regulatorVerdict)).to.deep.equal(["ACCEPT", "ACCEPT"]);

    const out = file("audit.csv");
    await ok(["report", "1", "--format", "csv", "--out", out]);
    expect(fs.readFileSync(out, "utf8").split("\n")[0]).to.include("type");
    const summary = await ok(["report", "1"]);
    expect(summary.stdout).to.include("Audit of facility 1").and.include("still frozen");
  });

  it("lifts the freeze jointly: the regulator refuses until a re-inspection passes", async function () {
    const proposal = await json(["unfreeze", "propose", "1", "--reason", "corrective action taken"]);
    expect((await ok(["approval", "list", "--status", "AWAITING_REGULATOR"])).stdout).to.include(proposal.id);

    const early = await qfm(["approval", "cosign", proposal.id]);
    expect(early.code).to.equal(1);
    expect(early.stderr).to.include("the regulator does not co-sign").and.include("regulator_refused, HTTP 409");

    await ok(["spot-check", "1", "--result", "PASS", "--report", "NB-SC-2026-0042"]);
    const joint = await ok(["approval", "cosign", proposal.id]);
    expect(joint.stdout).to.include("✓ co-signed: the unfreeze of facility 1 is applied on chain");
    expect((await json(["facility", "show", "1"])).chain.status).to.equal("ACTIVE");
  });

  it("names the URL when a node cannot be reached", async function () {
    const run = await qfm(["facility", "list", "--bank", `http://127.0.0.1:${PORTS.nothing}`]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.include(
      `cannot reach the bank node at http://127.0.0.1:${PORTS.nothing}: connection refused`,
    );
  });
});
