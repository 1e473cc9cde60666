import { Command, Option } from "commander";
import fs from "node:fs";
import path from "node:path";
import type { AuditReport } from "../../domain/api/audit";
import { ApiError } from "../api";
import type { Cli } from "../command";
import { CliError } from "../context";
import { examples, facilityIdArg } from "../input";
import { formatBps, formatFen } from "../money";
import { formatTime, mark, renderPairs, renderTable, section, shortHash } from "../table";

function renderSummary(r: AuditReport): string {
  const t = r.totals;
  const cny = (fen: string) => `${formatFen(fen)} CNY`;
  return [
    section(
      `Audit of facility ${r.facilityId} (rebuilt from chain events up to block ${r.lastBlock})`,
      renderPairs([
        ["status", r.status],
        ["planned", cny(t.planned)],
        ["funded", cny(t.funded)],
        ["paid", cny(t.paid)],
        ["unpaid (planned)", cny(t.unpaidPlanned)],
        [
          "quality-purpose paid",
          `${cny(t.qualityPaid)} (${formatBps(t.qualityShareOfPaidBps)}, floor ${formatBps(t.qualityFloorBps)})`,
        ],
        ["interest accrued", cny(t.interestAccrued)],
        ["repaid", cny(t.repaid)],
        ["outstanding principal", cny(t.outstandingPrincipal)],
        ["balance held", cny(t.balance)],
        ["evidence anchored", String(r.evidence.length)],
        ["ledger lines", String(r.ledger.length)],
      ]),
    ),
    section(
      "Payments",
      renderTable(
        ["#", "payee", "category", "amount (CNY)", "quality", "evidence (verified when paid)", "paid", "transaction"],
        r.payments.map((p) => [
          p.index,
          p.payee,
          p.category,
          formatFen(p.amount),
          mark(p.qualityPurpose),
          p.evidence.map((e) => `${e.kind} ${mark(e.verifiedAtPayment)}`).join(", "),
          formatTime(p.at.time),
          shortHash(p.at.tx),
        ]),
        ["right", "left", "left", "right", "center", "left", "left", "left"],
      ),
    ),
    section(
      "Freezes",
      renderTable(
        ["#", "frozen", "unfrozen", "transaction"],
        r.freezes.map((f) => [
          f.freezeCount,
          formatTime(f.at.time),
          f.unfrozen ? formatTime(f.unfrozen.at.time) : "still frozen",
          shortHash(f.at.tx),
        ]),
      ),
    ),
  ].join("\n\n");
}

/** `qfm report`: a facility's fund-use audit report. */
export function reportCommand(cli: Cli): Command {
  return new Command("report")
    .argument("<facility>", "the facility id", facilityIdArg)
    .description("a facility's fund-use audit report, rebuilt by the node from chain events alone")
    .addOption(new Option("--format <format>", "the whole report as csv (the ledger) or json").choices(["csv", "json"]))
    .option("--out <file>", "write the report to a file (format from --format, else the extension)")
    .addOption(
      new Option("--node <node>", "the node to ask (both rebuild it from the chain)")
        .choices(["bank", "regulator"])
        .default("bank"),
    )
    .addHelpText(
      "after",
      `\nWithout --format or --out: a summary (totals, payments, freezes).\n${examples(
        "qfm report 1",
        "qfm report 1 --format csv --out facility-1-audit.csv",
        "qfm report 1 --node regulator --format json > audit.json",
      )}`,
    )
    .action(
      cli.act(async (ctx, facility: string, options) => {
        const api = options.node === "regulator" ? ctx.regulator : ctx.bank;
        const format: "csv" | "json" | undefined =
          options.format ??
          (options.out ? (path.extname(options.out).toLowerCase() === ".csv" ? "csv" : "json") : undefined);
        let text: string;
        let report: AuditReport | undefined;
        try {
          if (format === "csv") text = (await api.text(`/facilities/${facility}/audit`, { format: "csv" })).body;
          else {
            report = (await api.get(`/facilities/${facility}/audit`, { format: "json" })).body;
            text = `${JSON.stringify(report, null, 2)}\n`;
          }
        } catch (error) {
          if (error instanceof ApiError && error.problem.code === "route_not_found") {
            throw new CliError(
              `the ${api.node} node at ${api.baseUrl} has no audit route (GET /facilities/:id/audit): it runs a version without audit reports`,
            );
          }
          throw error;
        }
        if (options.out) {
          try {
            fs.writeFileSync(options.out, text);
          } catch (error) {
            throw new CliError(`cannot write ${options.out}: ${(error as Error).message}`);
          }
          ctx.print(
            { facilityId: facility, format, out: path.resolve(options.out), bytes: Buffer.byteLength(text) },
            () =>
              `wrote the ${format} audit report of facility ${facility} to ${options.out} (${Buffer.byteLength(text).toLocaleString("en-US")} bytes)`,
          );
        } else if (format || ctx.json) ctx.io.stdout(text);
        else ctx.io.stdout(`${renderSummary(report!)}\n`);
      }),
    );
}
