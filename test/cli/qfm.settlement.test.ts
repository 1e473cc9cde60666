import { expect } from "chai";
import { Wallet } from "ethers";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { tempDir } from "../helpers/processes";
import { DAY, startLiveLoan, type LiveLoan } from "../helpers/liveLoan";

const ROOT = path.resolve(__dirname, "..", "..");
const ENTRY = path.join(ROOT, "scripts", "qfm.ts");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `qfm repay`, `qfm subsidy`, `qfm close` and `qfm withdraw` through the binary (a child process per command) against
 * real processes (test/helpers/liveLoan.ts): the payer's key signs on this machine and never reaches a node; exit
 * codes 0 done, 1 error, 2 refused by the loan's rules; --quiet prints only the transaction hash.
 */
describe("qfm repay, subsidy, close and withdraw, end to end through the binary", function () {
  this.timeout(600_000);
  let loan: LiveLoan;
  let id: string;
  let dir: string;
  let keyFile: { borrower: string; fiscal: string; stranger: string };

  function qfm(apiKey: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
    const outside = Object.fromEntries(
      Object.entries(process.env).filter(([name, value]) => !name.startsWith("QFM_") && value !== undefined),
    ) as Record<string, string>;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", ENTRY, ...args], {
        cwd: ROOT,
        env: { ...outside, QFM_BANK_URL: loan.bank.url, QFM_API_KEY: apiKey, ...extraEnv },
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
  const shown = (run: Run) => `--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
  const owed = async () =>
    BigInt((await loan.as("officer").get(`/facilities/${id}/statement`)).body.owedBy.borrower.total);

  before(async function () {
    loan = await startLiveLoan("cli-settlement");
    id = loan.facilityId;
    await loan.at(loan.t0 + 180 * DAY);
    dir = tempDir("cli-settlement-keys");
    const write = (name: string, key: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
      return file;
    };
    keyFile = {
      borrower: write("borrower.key", loan.borrower.privateKey),
      fiscal: write("fiscal.key", loan.fiscal.privateKey),
      stranger: write("stranger.key", Wallet.createRandom().privateKey),
    };
  });

  after(async function () {
    await loan?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("asks for the payer's key, and refuses a key that is not the borrower's before asking the node to relay", async function () {
    const missing = await qfm(loan.keys.borrower, ["repay", id, "--amount", "1,000.00"]);
    expect(missing.code, shown(missing)).to.equal(1);
    expect(missing.stderr).to.include("--signer-key-file FILE or QFM_SIGNER_KEY");
    const stranger = await qfm(loan.keys.borrower, [
      "repay",
      id,
      "--amount",
      "1,000.00",
      "--signer-key-file",
      keyFile.stranger,
    ]);
    expect(stranger.code, shown(stranger)).to.equal(1);
    expect(stranger.stderr).to.include(`the repayment is the account ${loan.borrower.address}'s to sign`);
  });

  it("exits 2 for more than is owed, and 0 with only the transaction hash for a repayment with --quiet", async function () {
    const over = await qfm(loan.keys.borrower, ["repay", id, "--amount", "9,999,999.00"], {
      QFM_SIGNER_KEY: loan.borrower.privateKey,
    });
    expect(over.code, shown(over)).to.equal(2);
    expect(over.stderr).to.include("repayment_exceeds_debt");
    const before = await loan.token.balanceOf(loan.borrower.address);
    const run = await qfm(loan.keys.borrower, [
      "repay",
      id,
      "--amount",
      "50,000.00",
      "--signer-key-file",
      keyFile.borrower,
      "--quiet",
    ]);
    expect(run.code, shown(run)).to.equal(0);
    expect(run.stdout).to.match(/^0x[0-9a-f]{64}\n$/);
    expect(run.stderr).to.equal("");
    expect(await loan.token.balanceOf(loan.borrower.address)).to.equal(before - 5_000_000n);
  });

  it("lets only the fiscal account's key pay subsidy: 403 for a borrower's (exit 1), 2 over the due, 0 for the due", async function () {
    const borrower = await qfm(loan.keys.borrower, ["subsidy", id, "--amount", "1.00"], {
      QFM_SIGNER_KEY: loan.borrower.privateKey,
    });
    expect(borrower.code, shown(borrower)).to.equal(1);
    expect(borrower.stderr).to.include("forbidden");
    const due = BigInt((await loan.as("fiscal").get(`/facilities/${id}/statement`)).body.subsidyDue);
    const over = await qfm(loan.keys.fiscal, [
      "subsidy",
      id,
      "--amount",
      String(due + 1_000n),
      "--fen",
      "--signer-key-file",
      keyFile.fiscal,
    ]);
    expect(over.code, shown(over)).to.equal(2);
    expect(over.stderr).to.include("subsidy_exceeds_due");
    const run = await qfm(loan.keys.fiscal, [
      "--json",
      "subsidy",
      id,
      "--amount",
      String(due),
      "--fen",
      "--signer-key-file",
      keyFile.fiscal,
    ]);
    expect(run.code, shown(run)).to.equal(0);
    expect(JSON.parse(run.stdout)).to.include({ payer: loan.fiscal.address, amount: due.toString() });
  });

  it("exits 2 when closing with a balance owed, withdraws to the treasury, then closes once repaid", async function () {
    const early = await qfm(loan.keys.officer, ["close", id]);
    expect(early.code, shown(early)).to.equal(2);
    expect(early.stderr).to.include("outstanding_debt");

    const withdrawn = await qfm(loan.keys.officer, ["withdraw", id, "--amount", "1.00"]);
    expect(withdrawn.code, shown(withdrawn)).to.equal(0);
    expect(withdrawn.stdout).to.include(`✓ withdrew 1.00 CNY from facility ${id} to the treasury ${loan.treasury}`);

    const all = await qfm(loan.keys.borrower, ["repay", id, "--all", "--signer-key-file", keyFile.borrower]);
    expect(all.code, shown(all)).to.equal(0);
    expect(all.stdout).to.include(`✓ repaid everything owed (at most`);
    expect(await owed()).to.equal(0n);
    const closed = await qfm(loan.keys.officer, ["close", id, "--quiet"]);
    expect(closed.code, shown(closed)).to.equal(0);
    expect(closed.stdout).to.match(/^0x[0-9a-f]{64}\n$/);
    const statement = await qfm(loan.keys.officer, ["facility", "statement", id]);
    expect(statement.code, shown(statement)).to.equal(0);
    expect(statement.stdout).to.match(/│ status\s+│ CLOSED\s+│/);
    expect(statement.stdout).to.match(/│ owed by the borrower\s+│ 0\.00 CNY/);
  });
});
