import { Command, Option } from "commander";
import type { ApprovalView } from "../../domain/api/approvals";
import type { ReviewDecision } from "../../domain/api/reviews";
import { formatValue } from "../../domain/metrics";
import type { Cli } from "../command";
import { CliError } from "../context";
import { examples, facilityIdArg, timeArg } from "../input";
import { formatBps } from "../money";
import { formatTime, mark, renderPairs, renderTable, section, shortHash } from "../table";

type Approval = ApprovalView;

/** What the review shows of a decision (server/rules/engine.ts). */
type Decision = Pick<
  ReviewDecision,
  "targets" | "discountBps" | "baseRateBps" | "newRateBps" | "subsidyEligible" | "explanation"
>;

/** Each target met or not, then the decision, as a review shows it. */
export function renderDecision(decision: Decision): string {
  const targets = renderTable(
    ["target", "wanted", "actual", "met", "discount", "subsidy target"],
    decision.targets.map((t) => [
      t.label.en,
      `${t.comparator === "gte" ? "≥" : "≤"} ${formatValue(t.metric, t.threshold)}`,
      t.actual === null ? "no data" : formatValue(t.metric, t.actual),
      t.met ? "✓ met" : "✗ not met",
      t.discountBps ? `−${t.discountBps} bps` : "—",
      t.subsidyEligible ? "✓" : "—",
    ]),
    ["left", "left", "left", "left", "right", "center"],
  );
  const rate =
    decision.newRateBps === decision.baseRateBps
      ? `rate stays at the base rate ${formatBps(decision.baseRateBps)}`
      : `rate ${formatBps(decision.baseRateBps)} → ${formatBps(decision.newRateBps)} (−${decision.discountBps} bps)`;
  return `${targets}\ndecision: ${rate}; fiscal subsidy ${decision.subsidyEligible ? "✓ eligible" : "✗ not eligible"}\n${decision.explanation}`;
}

function cosignHint(approval: Approval): string {
  return approval.status === "AWAITING_REGULATOR"
    ? `signed by the bank; approval ${approval.id} awaits the regulator:\n  qfm approval cosign ${approval.id}`
    : `approval ${approval.id}: ${approval.status}`;
}

/** `qfm review …`: the quarterly review (bank node proposes; the regulator co-signs). */
export function reviewCommands(cli: Cli): Command {
  const review = new Command("review").description(
    "quarterly reviews: quality targets, rate discount and subsidy (bank node)",
  );

  review
    .command("run")
    .argument("<facility>", "the facility id", facilityIdArg)
    .description("compute the period's quality metrics, decide the review and sign it for the bank")
    .option(
      "--from <date>",
      "the period's start (inclusive): where the facility opened or the last applied review ended, which the node " +
        "uses when it is left out; a day (2026-01-01, midnight in your time zone) or an ISO 8601 time",
      timeArg,
    )
    .option(
      "--to <date>",
      "the period's end (exclusive), not after the chain's time; left out: the chain's time now",
      timeArg,
    )
    .addHelpText(
      "after",
      examples(
        "qfm review run 1                    # from the fixed start to the chain's time now",
        "qfm review run 1 --to 2026-04-01",
        "qfm approval cosign <approval id>   # the regulator",
      ),
    )
    .action(
      cli.act(async (ctx, facility: string, options: { from?: string; to?: string }) => {
        if (options.from && options.to && new Date(options.from) >= new Date(options.to))
          throw new CliError("--from must be before --to");
        const { body } = await ctx.bank.post(`/facilities/${facility}/reviews`, {
          ...(options.from ? { periodFrom: options.from } : {}),
          ...(options.to ? { periodTo: options.to } : {}),
        });
        const period = body.report.period ?? { from: options.from, to: options.to };
        ctx.printId(body.approval.id, body, () =>
          [
            section(
              `Review of facility ${facility}, ${formatTime(period.from)} → ${formatTime(period.to)}`,
              renderDecision(body.report.decision),
            ),
            cosignHint(body.approval),
          ].join("\n"),
        );
      }),
    );

  review
    .command("list")
    .argument("<facility>", "the facility id", facilityIdArg)
    .description("a facility's reviews with their decisions")
    .addHelpText("after", examples("qfm review list 1", "qfm review list 1 --json"))
    .action(
      cli.act(async (ctx, facility: string) => {
        const { body } = await ctx.bank.get(`/facilities/${facility}/reviews`);
        ctx.print(body, () =>
          renderTable(
            ["period", "targets met", "rate", "subsidy", "approval", "proposed"],
            body.items.map((r) => {
              const d = r.decision.decision;
              return [
                `${String(r.periodFrom).slice(0, 10)} → ${String(r.periodTo).slice(0, 10)}`,
                `${d.targets.filter((t) => t.met).length}/${d.targets.length}`,
                `${formatBps(d.baseRateBps)} → ${formatBps(d.newRateBps)}`,
                mark(d.subsidyEligible),
                r.approvalId ?? "—",
                formatTime(r.createdAt),
              ];
            }),
          ),
        );
      }),
    );
  return review;
}

/** `qfm unfreeze …` and `qfm approval …`: joint decisions the bank signs first and the regulator co-signs. */
export function approvalCommands(cli: Cli): Command[] {
  const unfreeze = new Command("unfreeze").description("lifting a freeze: the bank proposes, the regulator co-signs");
  unfreeze
    .command("propose")
    .argument("<facility>", "the facility id", facilityIdArg)
    .description("propose lifting a facility's freeze, signed by the bank (bank node)")
    .requiredOption("--reason <text>", "why the freeze can be lifted (its hash goes on chain)")
    .addHelpText("after", examples('qfm unfreeze propose 1 --reason "corrective action verified by re-inspection"'))
    .action(
      cli.act(async (ctx, facility: string, options) => {
        const { body } = await ctx.bank.post(`/facilities/${facility}/unfreeze`, { reason: options.reason });
        ctx.print(body, () => `unfreeze of facility ${facility} proposed\n${cosignHint(body)}`);
      }),
    );

  const approval = new Command("approval").description(
    "joint decisions (reviews and unfreezes) awaiting or carrying both signatures",
  );
  approval
    .command("list")
    .description("list joint decisions (bank node; a regulator key issued by the bank works too)")
    .addOption(
      new Option("--status <status>", "one status").choices(["AWAITING_REGULATOR", "SUBMITTED", "APPLIED", "REFUSED"]),
    )
    .addHelpText("after", examples("qfm approval list", "qfm approval list --status AWAITING_REGULATOR"))
    .action(
      cli.act(async (ctx, options) => {
        const { body } = await ctx.bank.get("/approvals", { status: options.status });
        ctx.print(body, () =>
          renderTable(
            ["approval", "kind", "facility", "status", "reason", "proposed", "transaction"],
            body.items.map((a) => [
              a.id,
              a.kind,
              a.facilityId,
              a.status,
              a.reason,
              formatTime(a.createdAt),
              shortHash(a.txHash),
            ]),
            [],
            // Whole reasons, wrapped at 64 columns: reviews' explanations share their first words.
            [null, null, null, null, Math.min(64, Math.max(8, ...body.items.map((a) => a.reason.length)) + 2)],
          ),
        );
      }),
    );

  approval
    .command("cosign")
    .argument("<approvalId>", "the approval's id (qfm approval list)")
    .description(
      "as the regulator: have the regulator node check a joint decision itself and co-sign it; it then goes on chain",
    )
    .addHelpText(
      "after",
      `\nTalks to the regulator node with --regulator-key (or QFM_REGULATOR_KEY, else --key).\n${examples(
        "qfm approval cosign 6f1c2d7e-…",
        "QFM_REGULATOR_KEY=qfm_… qfm approval cosign 6f1c2d7e-… --json",
      )}`,
    )
    .action(
      cli.act(async (ctx, approvalId: string) => {
        const { status, body } = await ctx.waiting(
          "checking and co-signing",
          ctx.regulator.post(`/approvals/${encodeURIComponent(approvalId)}/cosign`),
        );
        ctx.print(body, () =>
          [
            status === 200
              ? `✓ co-signed: the ${body.kind.toLowerCase()} of facility ${body.facilityId} is ${body.status.toLowerCase()} on chain`
              : `co-signed: the ${body.kind.toLowerCase()} of facility ${body.facilityId} is ${body.status.toLowerCase()}; the transaction is on its way`,
            renderPairs([
              ["approval", body.id],
              ["status", body.status],
              ["transaction", body.txHash ?? "pending"],
            ]),
          ].join("\n"),
        );
      }),
    );
  return [unfreeze, approval];
}
