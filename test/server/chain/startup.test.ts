import { expect } from "chai";
import pino from "pino";
import { ChainMismatch, type Chain } from "../../../server/chain/chain";
import { createChainGate } from "../../../server/chain/startup";

/** A chain whose check answers from `answers` in turn (then as the last one): "ok", "down" or "mismatch". */
function chainAnswering(answers: Array<"ok" | "down" | "mismatch">) {
  const seen = { checks: 0 };
  const chain = {
    async check() {
      const answer = answers[Math.min(seen.checks++, answers.length - 1)];
      if (answer === "down") throw new Error("connect ECONNREFUSED");
      if (answer === "mismatch") throw new ChainMismatch("chain id 1, not the deployment's 31337");
    },
  } as unknown as Chain;
  return { chain, seen };
}

function logged() {
  const lines: string[] = [];
  const logger = pino({ level: "error" }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the chain gate (server/chain/startup.ts)", function () {
  describe("when the endpoint answers only after a while", function () {
    it("keeps checking every retryMs and starts the chain work once, when it answers as the deployment's chain", async function () {
      const { chain, seen } = chainAnswering(["down", "down", "ok"]);
      const gate = createChainGate({ chain, logger: logged().logger, retryMs: 10 });
      let started = 0;
      gate.whenReady(() => started++);
      await settle(150);
      expect(started).to.equal(1);
      expect(seen.checks).to.equal(3);
      expect(gate.lastError()).to.equal("connect ECONNREFUSED");
      gate.close();
    });
  });

  describe("when the endpoint turns out to be another chain", function () {
    it("never starts the chain work, logs why and stops checking", async function () {
      const { chain, seen } = chainAnswering(["down", "mismatch", "ok"]);
      const { logger, lines } = logged();
      const gate = createChainGate({ chain, logger, retryMs: 10 });
      let started = 0;
      gate.whenReady(() => started++);
      await settle(150);
      expect(started).to.equal(0);
      expect(seen.checks).to.equal(2);
      expect(lines.join("")).to.include("the chain endpoint is not the deployment's chain");
      gate.close();
    });
  });

  describe("when the node closes before the endpoint answers", function () {
    it("stops checking and never starts the chain work", async function () {
      const { chain, seen } = chainAnswering(["down", "down", "down", "ok"]);
      const gate = createChainGate({ chain, logger: logged().logger, retryMs: 20 });
      let started = 0;
      gate.whenReady(() => started++);
      await settle(30);
      gate.close();
      const checks = seen.checks;
      await settle(150);
      expect(started).to.equal(0);
      expect(seen.checks).to.equal(checks);
    });
  });
});
