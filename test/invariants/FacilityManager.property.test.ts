import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import { actionSequence, type Action } from "./facilityActions";
import { checkInvariants, type Watermarks } from "./facilityInvariants";
import { perform, propertyFixture, type Runner } from "./facilityRunner";
import { regressions } from "./FacilityManager.regressions";

/**
 * Random sequences of everything the bank, the regulator, the verifier nodes, the borrower and the fiscal account can
 * do, each checked against a TypeScript model (facilityModel.ts) and followed by the invariants of
 * facilityInvariants.ts. Replay a failure with FC_SEED=<seed> FC_PATH=<path>; more runs with FC_RUNS=<n>.
 */
const NUM_RUNS = Number(process.env.FC_RUNS ?? 1_000);

describe("FacilityManager (property)", function () {
  this.timeout(0);

  describe("when random sequences of actions run from the prelude's state", function () {
    it("keeps the money, payment and interest invariants after every step", async function () {
      const started = Date.now();
      const totals = new Map<string, number>();
      let runs = 0;
      let steps = 0;

      await fc.assert(
        fc.asyncProperty(actionSequence, async (actions: Action[]) => {
          const { runner: base } = await loadFixture(propertyFixture);
          // loadFixture reverts the chain to the snapshot; the model (a plain object, shared) is copied.
          const runner: Runner = { ...base, model: structuredClone(base.model), stats: totals };
          const watermarks: Watermarks = new Map();
          runs += 1;
          for (const action of actions) {
            await perform(runner, action);
            await checkInvariants(runner.fx, runner.model, watermarks);
            steps += 1;
          }
        }),
        {
          numRuns: NUM_RUNS,
          examples: regressions.map((sequence) => [sequence] as [Action[]]),
          seed: process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED),
          path: process.env.FC_PATH,
          endOnFailure: process.env.FC_PATH !== undefined,
        },
      );

      const seconds = (Date.now() - started) / 1_000;
      console.log(`      ${runs} sequences, ${steps} steps in ${seconds.toFixed(1)} s`);
      for (const [outcome, n] of [...totals.entries()].sort())
        console.log(`        ${String(n).padStart(6)}  ${outcome}`);
    });
  });
});
