import { Command, Option } from "commander";
import type { Cli } from "../command";
import { examples, facilityIdArg } from "../input";
import { formatTime, mark, renderPairs, renderTable, shortHash } from "../table";

const REGULATOR_KEY = "\nTalks to the regulator node with --regulator-key (or QFM_REGULATOR_KEY, else --key).\n";

/** `qfm spot-check` and `qfm queue`: the market regulator's duties on its own node. */
export function regulatorCommands(cli: Cli): Command[] {
  const spotCheck = new Command("spot-check")
    .argument("<facility>", "the facility id", facilityIdArg)
    .description("record a spot check (regulator node); a FAIL freezes the facility on chain at once")
    .addOption(new Option("--result <result>", "the outcome").choices(["PASS", "FAIL"]).makeOptionMandatory())
    .requiredOption("--report <number>", "the inspection report's number")
    .option("--findings <text>", "what the inspectors found", "")
    .option("--inspector <name>", "who inspected (default: the key's institution and label)")
    .addHelpText(
      "after",
      `${REGULATOR_KEY}${examples(
        'qfm spot-check 1 --result FAIL --report NB-SC-2026-0043 --findings "pass rate 91.2%"',
        "qfm spot-check 1 --result PASS --report NB-SC-2026-0042",
      )}`,
    )
    .action(
      cli.act(async (ctx, facility: string, options) => {
        const { status, body } = await ctx.waiting(
          options.result === "FAIL" ? "recording and freezing" : "recording",
          ctx.regulator.post("/spot-checks", {
            facilityId: facility,
            result: options.result,
            reportNumber: options.report,
            findings: options.findings,
            inspector: options.inspector,
          }),
        );
        ctx.print(body, () => {
          const headline = body.frozen
            ? `✗ facility ${facility} is FROZEN: no entrusted payment until the bank and the regulator unfreeze it together`
            : status === 202
              ? `spot check recorded; the freeze of facility ${facility} is on its way to the chain`
              : `spot check recorded; facility ${facility} is ${body.facilityStatus ?? "unchanged"}`;
          return `${headline}\n${renderPairs([
            ["spot check", body.id],
            ["result", body.result],
            ["report", body.reportNumber],
            ["findings", body.findings || "—"],
            ["report hash", body.reportHash],
            ["inspector", body.inspector],
            ["facility status", body.facilityStatus ?? "—"],
            ["frozen", mark(Boolean(body.frozen))],
            ["freeze transaction", body.freezeTx ?? "—"],
          ])}`;
        });
      }),
    );

  const queue = new Command("queue")
    .description("the regulator's verification queue: each document with the bank's verdict and the regulator's")
    .option("--facility <id>", "one facility's documents", facilityIdArg)
    .addHelpText("after", `${REGULATOR_KEY}${examples("qfm queue", "qfm queue --facility 1 --json")}`)
    .action(
      cli.act(async (ctx, options) => {
        const { body } = await ctx.regulator.get("/queue", {
          facilityId: options.facility,
        });
        ctx.print(body, () =>
          renderTable(
            ["evidence id", "facility", "kind", "bank", "regulator", "regulator's reason", "verified", "checked"],
            body.items.map((q) => [
              shortHash(q.evidenceId),
              q.facilityId,
              q.kind,
              q.bankVerdict,
              q.regulatorVerdict,
              !q.regulatorReason
                ? "—"
                : q.regulatorReason.length > 60
                  ? `${q.regulatorReason.slice(0, 57)}…`
                  : q.regulatorReason,
              mark(q.verifiedOnChain),
              formatTime(q.checkedAt),
            ]),
          ),
        );
      }),
    );
  return [spotCheck, queue];
}
