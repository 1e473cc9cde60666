import { Command } from "commander";
import type { Cli } from "../command";
import type { Context } from "../context";
import { EXIT } from "../errors";
import { examples, facilityIdArg, indexArg, positiveIntArg } from "../input";
import { formatFen } from "../money";
import type { Readiness } from "../../domain/api/facilities";

/** "✓ ready" or "✗ blocked" with one line per blocker. */
export function renderReadiness(facility: string, index: number, r: Readiness): string {
  const documents = (r.considered ?? []).map(
    (c) =>
      `  ${c.use === "chosen" ? "→" : c.use === "usable" ? "·" : "✗"} ${c.kind} ${c.documentId} (names ${c.counterparty}): ${c.reason}`,
  );
  if (r.ready)
    return [
      `✓ payment ${index} of facility ${facility} is ready; it would release evidence ${r.evidenceIds.join(", ")}`,
      ...documents,
    ].join("\n");
  return [
    `✗ payment ${index} of facility ${facility} is blocked:`,
    ...r.blockers.map((b) => `  • ${b.message} [${b.code}]`),
    ...documents,
  ].join("\n");
}

/** `--evidence a,b`: the document or evidence ids the payment is to consume. */
const evidenceList = (value: string) =>
  value
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);

async function readiness(ctx: Context, facility: string, index: number, evidence?: string[]): Promise<Readiness> {
  const query = evidence?.length ? { evidence: evidence.join(",") } : {};
  return (await ctx.bank.get(`/facilities/${facility}/payments/${index}/readiness`, query)).body;
}

/** Polls until the payment is ready or `seconds` pass, showing what still blocks it on stderr. */
async function waitUntilReady(ctx: Context, facility: string, index: number, seconds: number): Promise<Readiness> {
  const deadline = Date.now() + seconds * 1000;
  const line = ctx.progress(`payment ${index} of facility ${facility}:`);
  let last = await readiness(ctx, facility, index);
  while (!last.ready && Date.now() < deadline) {
    line.status(`waiting — ${[...new Set(last.blockers.map((b) => b.code))].join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    last = await readiness(ctx, facility, index);
  }
  if (last.ready) line.done("ready");
  else line.stop();
  return last;
}

/** `qfm payment …`: entrusted payments (bank node). */
export function paymentCommands(cli: Cli): Command {
  const payment = new Command("payment").description("entrusted payments straight to suppliers and labs (bank node)");

  payment
    .command("check")
    .argument("<facility>", "the facility id", facilityIdArg)
    .argument("<index>", "the payment's index in the plan (0, 1, …)", indexArg)
    .description("say what a payment still needs: evidence, verdicts, funds, freeze")
    .option("--wait [seconds]", "poll until it is ready (default 120 s); exits 2 if still blocked", positiveIntArg)
    .option("--evidence <ids>", "comma-separated document or evidence ids to use (else the node picks)", evidenceList)
    .addHelpText(
      "after",
      `\nExit codes: 0 ready, 1 error, 2 blocked (the blockers are listed).\n${examples(
        "qfm payment check 1 0",
        "qfm payment check 1 0 --wait 300",
        "qfm payment check $ID 0 || echo blocked",
      )}`,
    )
    .action(
      cli.act(async (ctx, facility: string, index: number, options) => {
        const seconds = options.wait === true ? 120 : (options.wait as number | undefined);
        const result =
          seconds === undefined || options.evidence
            ? await readiness(ctx, facility, index, options.evidence as string[] | undefined)
            : await waitUntilReady(ctx, facility, index, seconds);
        ctx.print(result, () => renderReadiness(facility, index, result));
        if (result.ready) return EXIT.ok;
        if (seconds !== undefined)
          ctx.io.stderr(`payment ${index} of facility ${facility} is still blocked after ${seconds} s\n`);
        return EXIT.refused;
      }),
    );

  payment
    .command("request")
    .argument("<facility>", "the facility id", facilityIdArg)
    .argument("<index>", "the payment's index in the plan (0, 1, …)", indexArg)
    .description("pay an entrusted payment to its payee on chain; when refused, list every blocker and exit 2")
    .option(
      "--evidence <ids>",
      "comma-separated document or evidence ids to consume (else the node picks)",
      evidenceList,
    )
    .addHelpText(
      "after",
      `\nExit codes: 0 paid (or submitted), 1 error, 2 refused (the blockers are listed on stderr).\n${examples(
        "qfm payment request 1 0",
        "qfm payment request 1 0 --json | jq -r .txHash",
      )}`,
    )
    .action(
      cli.act(async (ctx, facility: string, index: number, options) => {
        const evidence = options.evidence as string[] | undefined;
        const { status, body } = await ctx.waiting(
          `paying ${index} of facility ${facility}`,
          ctx.bank.post(`/facilities/${facility}/payments/${index}`, evidence?.length ? { evidence } : {}),
        );
        ctx.print(body, () =>
          [
            status === 200 && body.txHash
              ? `✓ paid ${formatFen(body.amount)} CNY to ${body.payee} (payment ${index} of facility ${facility})`
              : `… payment ${index} of facility ${facility} submitted (${formatFen(body.amount)} CNY to ${body.payee}); the transaction is on its way`,
            `  transaction: ${body.txHash ?? "pending"}`,
            `  evidence released: ${body.evidenceIds.join(", ")}`,
            ...(body.documentIds ? [`  documents consumed: ${body.documentIds.join(", ")}`] : []),
          ].join("\n"),
        );
        return EXIT.ok;
      }),
    );
  return payment;
}
