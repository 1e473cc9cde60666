import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { freePort } from "../../scripts/bench/lib/system";
import { tempDir, waitFor } from "../helpers/processes";

const ROOT = path.resolve(__dirname, "..", "..");

/** Every process on this machine whose command line or environment names `marker` (a temp data folder). */
function processesNaming(marker: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    for (const file of ["cmdline", "environ"]) {
      try {
        if (fs.readFileSync(`/proc/${entry}/${file}`).includes(marker)) {
          found.push(Number(entry));
          break;
        }
      } catch {
        // gone, or not ours to read
      }
    }
  }
  return found;
}

/** The pids under `pid` (children, grandchildren, …), read from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const walk = (p: number) => (parents.get(p) ?? []).forEach((c) => (out.push(c), walk(c)));
  walk(pid);
  return out;
}

const running = (pid: number) => {
  try {
    const state = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
    return state !== undefined && state !== "Z";
  } catch {
    return false;
  }
};

/** Whether this process could listen on `port` now (nothing holds it). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

interface Started {
  npm: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  dir: string;
  ports: { chain: number; bank: number; regulator: number };
}

/**
 * `npm start` (through npm, as a person or a process manager runs it) on free ports in a temp data folder, or again
 * in the folder and on the ports of an earlier start (`again`).
 */
async function npmStart(args: string[], again?: Pick<Started, "dir" | "ports">): Promise<Started> {
  const dir = again?.dir ?? tempDir("start");
  const ports = again?.ports ?? { chain: await freePort(), bank: await freePort(), regulator: await freePort() };
  const npm = spawn("npm", ["start", "--", ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      CHAIN_PORT: String(ports.chain),
      BANK_PORT: String(ports.bank),
      REGULATOR_PORT: String(ports.regulator),
      START_DATA_DIR: dir,
      BATCH_MAX_AGE_MS: "500",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  npm.stdout!.on("data", (chunk: Buffer) => (text += chunk.toString()));
  npm.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => npm.once("exit", (code) => resolve(code)));
  return { npm, output: () => text, exited, dir, ports };
}

/** Stops it with `signal` to the npm process and checks that nothing it started still runs or holds a port. */
async function stopAndCheck(started: Started, signal: NodeJS.Signals, seen: number[]): Promise<void> {
  started.npm.kill(signal);
  const code = await Promise.race([started.exited, new Promise((r) => setTimeout(() => r("timeout"), 60_000))]);
  expect(code, started.output()).to.not.equal("timeout");
  await waitFor("every process npm start ran to be gone", async () => seen.every((pid) => !running(pid)), 10_000);
  expect(processesNaming(started.dir), "processes still naming the data folder").to.deep.equal([]);
  for (const [what, port] of Object.entries(started.ports))
    expect(await canListen(port), `the ${what} port ${port} is still held`).to.equal(true);
  expect(started.output()).to.include(`${signal} received.`).and.include("the chain node stopped");
}

/** The README's walk-through block, as one command per entry (continuation lines joined). */
function walkThrough(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### A walk-through with the command-line tool"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1];
  return block
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .filter((line) => line.trim() !== "");
}

describe("npm start", function () {
  this.timeout(900_000);

  describe("when SIGINT reaches npm while the nodes are starting", function () {
    it("stops every process it started and frees their ports", async function () {
      const started = await npmStart(["--no-seed"]);
      try {
        await waitFor("the bank node to be starting", async () => started.output().includes("[4/5]"), 240_000, 100);
        const seen = [started.npm.pid!, ...descendants(started.npm.pid!)];
        expect(seen.length, "node and the chain node at least").to.be.greaterThan(1);
        await stopAndCheck(started, "SIGINT", seen);
        expect(started.output()).not.to.include("ready.");
      } finally {
        started.npm.kill("SIGKILL");
        for (const pid of processesNaming(started.dir)) process.kill(pid, "SIGKILL");
      }
    });
  });

  describe("when SIGINT reaches npm while the demo is being seeded", function () {
    it("stops every process mid-seed, and the next start says the demo is incomplete instead of failing", async function () {
      const started = await npmStart([]);
      let again: Started | undefined;
      try {
        await waitFor(
          "the seed to be creating facility 1",
          async () => {
            if (started.npm.exitCode !== null) throw new Error(`npm start exited:\n${started.output()}`);
            return started.output().includes("creating facility 1");
          },
          480_000,
          100,
        );
        const seen = [started.npm.pid!, ...descendants(started.npm.pid!)];
        expect(seen.length, "node, the chain node and both nodes at least").to.be.greaterThan(3);
        await stopAndCheck(started, "SIGINT", seen);
        expect(started.output()).to.include("the bank node stopped").and.not.include("ready.");
        expect(fs.existsSync(path.join(started.dir, "demo-seeded")), "marked seeded").to.equal(false);

        // The same folder and ports: it resumes the chain, does not seed over the half-seeded demo, and is ready.
        again = await npmStart([], started);
        await waitFor(
          "the second start to be ready",
          async () => {
            if (again!.npm.exitCode !== null) throw new Error(`npm start exited:\n${again!.output()}`);
            return again!.output().includes("Press Ctrl-C to stop");
          },
          240_000,
          250,
        );
        expect(again.output())
          .to.include("the demo's seed was interrupted")
          .and.include("npm start -- --reset")
          .and.not.include("seeding the demo");
        await stopAndCheck(again, "SIGTERM", [again.npm.pid!, ...descendants(again.npm.pid!)]);
      } finally {
        started.npm.kill("SIGKILL");
        again?.npm.kill("SIGKILL");
        for (const pid of processesNaming(started.dir)) process.kill(pid, "SIGKILL");
      }
    });
  });

  describe("when npm itself is killed outright (SIGKILL, no signal to forward)", function () {
    it("the orphaned start notices and stops every process it started", async function () {
      const started = await npmStart(["--no-seed"]);
      try {
        await waitFor(
          "the regulator node to be starting",
          async () => started.output().includes("[5/5]"),
          240_000,
          100,
        );
        const seen = [started.npm.pid!, ...descendants(started.npm.pid!)];
        started.npm.kill("SIGKILL");
        await waitFor("every process npm start ran to be gone", async () => seen.every((pid) => !running(pid)), 60_000);
        expect(processesNaming(started.dir), "processes still naming the data folder").to.deep.equal([]);
        for (const [what, port] of Object.entries(started.ports))
          expect(await canListen(port), `the ${what} port ${port} is still held`).to.equal(true);
      } finally {
        for (const pid of processesNaming(started.dir)) process.kill(pid, "SIGKILL");
      }
    });
  });

  describe("when a newcomer follows the README's walk-through", function () {
    let started: Started;
    const runs: Array<{ command: string; code: number; output: string }> = [];

    before(async function () {
      started = await npmStart([]);
      await waitFor(
        "npm start to be ready (demo seeded)",
        async () => {
          if (started.npm.exitCode !== null) throw new Error(`npm start exited:\n${started.output()}`);
          return started.output().includes("Press Ctrl-C to stop");
        },
        600_000,
        500,
      );
      // Each command of the block in one bash session (variables carry over), its exit code after a marker.
      const commands = walkThrough().map((line) => line.replaceAll("../data/", `${started.dir}/`));
      const script = ["set +e", `cd ${JSON.stringify(ROOT)}`];
      commands.forEach((command, i) => script.push(`echo "@@start ${i}"`, command, `echo "@@end ${i} $?"`));
      const bash = spawn("bash", ["-c", script.join("\n")], {
        cwd: ROOT,
        env: {
          ...process.env,
          QFM_BANK_URL: `http://127.0.0.1:${started.ports.bank}`,
          QFM_REGULATOR_URL: `http://127.0.0.1:${started.ports.regulator}`,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      bash.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
      bash.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()));
      await new Promise((resolve) => bash.once("close", resolve));
      commands.forEach((command, i) => {
        const match = new RegExp(`@@start ${i}\\n([\\s\\S]*?)@@end ${i} (\\d+)`).exec(out);
        runs.push({ command, code: match ? Number(match[2]) : -1, output: match?.[1] ?? out.slice(-3_000) });
      });
    });

    after(async function () {
      for (const file of fs.readdirSync(path.join(ROOT, "examples")))
        if (/^facility-.*-audit\.csv$/.test(file)) fs.rmSync(path.join(ROOT, "examples", file));
      if (started.npm.exitCode === null) {
        const seen = [started.npm.pid!, ...descendants(started.npm.pid!)];
        try {
          await stopAndCheck(started, "SIGTERM", seen);
        } finally {
          for (const pid of processesNaming(started.dir)) process.kill(pid, "SIGKILL");
        }
      }
    });

    const run = (fragment: string) => {
      const found = runs.find((r) => r.command.includes(fragment));
      expect(found, `no command with "${fragment}" in the README's walk-through`).to.not.equal(undefined);
      return found!;
    };

    it("runs every command with the exit code the README gives it", function () {
      expect(runs.length).to.be.greaterThan(15);
      for (const r of runs) {
        const expected = r.command.includes("(exits 2)") ? 2 : 0;
        expect(r.code, `${r.command}\n${r.output}`).to.equal(expected);
      }
    });

    it("creates a new facility and uses its id, not the seeded ones", function () {
      const id = /^facility (\d+)$/m.exec(run('echo "facility $ID"').output)?.[1];
      expect(id, run("facility create").output).to.match(/^\d+$/);
      expect(Number(id)).to.be.greaterThan(2);
      expect(run("facility show $ID").output)
        .to.include("Ningbo Precision CNC Equipment")
        .and.include("Zhejiang Testing & Certification Centre");
    });

    it("shows the payment blocked, then ready, then paid to the supplier", function () {
      expect(run("payment check $ID 0 ").output).to.include("is blocked").and.include("PURCHASE_CONTRACT");
      expect(run("payment check $ID 0 --wait").output).to.include("is ready");
      expect(run("payment request $ID 0").output).to.include("✓ paid 1,200,000.00 CNY");
    });

    it("proves the invoice, reviews, freezes and refuses the next payment with exit code 2", function () {
      expect(run("document proof $DOC").output).to.include("✓");
      expect(run("approval cosign $APPROVAL").output).to.include("co-signed");
      expect(run("spot-check $ID").output).to.include("FROZEN");
      expect(run("payment request $ID 2").output).to.include("refused: exit code 2");
      expect(run("facility statement $ID").output).to.include("Statement of facility");
    });

    it("seeds a demo that lived a year: quarters of interest, three reviews, exact to the fen", async function () {
      const keys = JSON.parse(fs.readFileSync(path.join(started.dir, "demo-keys.json"), "utf8"));
      const get = async (route: string) => {
        const response = await fetch(`http://127.0.0.1:${started.ports.bank}${route}`, {
          headers: { authorization: `Bearer ${keys.bank[0].key}` },
        });
        expect(response.status, route).to.equal(200);
        return (await response.json()) as any;
      };
      const statement = await get("/facilities/1/statement");
      const day = 86_400_000;
      const opened = Date.parse(statement.segments[0].from);
      // The chain lived about a year and ends near the wall clock (never ahead of it: deadlines are in chain time).
      expect(Date.parse(statement.at) - opened).to.be.greaterThan(360 * day);
      expect(Date.parse(statement.at)).to.be.lessThan(Date.now());
      expect(Date.now() - Date.parse(statement.at)).to.be.lessThan(2 * 3_600_000);
      // Three reviews applied: −50 bps and subsidy, kept, then the pass rate slipped (−25 bps, no subsidy).
      expect(statement.rateHistory.map((r: { to: number }) => r.to).at(-1)).to.equal(385);
      expect(statement.rateHistory.map((r: { to: number }) => r.to)).to.include(360);
      expect(statement.rateBps).to.equal(385);
      expect(statement.subsidyEligible).to.equal(false);
      // Three applied (the bank node's scheduler may have proposed the fourth quarter's, awaiting the regulator).
      const approvals = (await get("/approvals?status=APPLIED")).items.filter(
        (a: { kind: string; facilityId: string }) => a.kind === "REVIEW" && a.facilityId === "1",
      );
      expect(approvals).to.have.length(3);
      // Each closed segment's interest, from its principal, rate and seconds (ACT/360): the sum, exact to the fen.
      const closed = statement.segments.filter((g: { to: string | null }) => g.to !== null);
      expect(closed.length).to.be.greaterThan(2);
      const numerator = closed.reduce(
        (sum: bigint, g: { from: string; to: string; principal: string; rateBps: number }) =>
          sum + BigInt(g.principal) * BigInt(g.rateBps) * BigInt((Date.parse(g.to) - Date.parse(g.from)) / 1000),
        0n,
      );
      const interestOfClosed = closed.reduce((sum: bigint, g: { interest: string }) => sum + BigInt(g.interest), 0n);
      expect(interestOfClosed).to.equal(numerator / (10_000n * 360n * 86_400n));
      // Real quarterly interest on 7,500,000.00 CNY drawn: the first quarter alone, at 4.10%, is over 70,000.00 CNY.
      expect(BigInt(statement.interestAccrued) > 15_000_000n, statement.interestAccrued).to.equal(true);
      expect(BigInt(statement.subsidyAccrued) > 10_000_000n, statement.subsidyAccrued).to.equal(true);
      // The fiscal account's demo deposit covers the subsidy the README has it pay (--all).
      expect(BigInt(statement.owedBy.fiscal.subsidy) < 20_000_000n, statement.owedBy.fiscal.subsidy).to.equal(true);
    });

    it("stops every process on SIGTERM to the npm process and frees their ports", async function () {
      const seen = [started.npm.pid!, ...descendants(started.npm.pid!)];
      expect(seen.length, "node, the chain node and both nodes at least").to.be.greaterThan(3);
      await stopAndCheck(started, "SIGTERM", seen);
      expect(started.output()).to.include("the bank node stopped").and.include("the regulator node stopped");
    });

    it("keeps the console for people and the nodes' JSON logs in files", function () {
      const console = started.output();
      expect(console).to.include(`logs            ${started.dir}/logs/chain.log, bank.log, regulator.log`);
      expect(console.split("\n").filter((line) => line.startsWith('{"level"'))).to.deep.equal([]);
      for (const node of ["bank", "regulator"]) {
        const log = fs.readFileSync(path.join(started.dir, "logs", `${node}.log`), "utf8");
        expect(log).to.include('"msg":"node listening"');
      }
    });
  });
});
