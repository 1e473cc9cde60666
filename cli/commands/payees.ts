import { Command } from "commander";
import type { PayeeView } from "../../domain/api/payees";
import type { Cli } from "../command";
import { CliError } from "../context";
import { examples } from "../input";
import { mark, renderPairs, renderTable } from "../table";

const CATEGORIES = "EQUIPMENT, TESTING_CERT, MATERIALS, R_AND_D or SERVICES";

function renderPayee(payee: PayeeView, status: number, done: string): string {
  const headline =
    status === 202 ? `${done}: accepted, the chain write is still on its way (see qfm payee list)` : `${done} on chain`;
  return `${headline}\n${renderPairs([
    ["address", payee.address],
    ["name", payee.name],
    ["credit code", payee.creditCode],
    ["category", payee.category],
    ["licence hash", payee.licenceHash],
    ["active", mark(payee.active)],
    ["chain status", payee.chainStatus],
    ["transaction", payee.txHash ?? "—"],
  ])}`;
}

/** `qfm payee …`: the bank's register of suppliers and labs (bank node). */
export function payeeCommands(cli: Cli): Command {
  const payee = new Command("payee").description("suppliers and labs that entrusted payments may go to (bank node)");

  payee
    .command("register")
    .description("register a supplier or lab as a payee on chain (waits for the transaction)")
    .requiredOption("--address <0x…>", "the payee's settlement address")
    .requiredOption("--name <name>", "the payee's name")
    .requiredOption("--credit-code <code>", "its 18-character unified social credit code")
    .requiredOption("--category <category>", CATEGORIES)
    .option("--licence-hash <0x…>", "hash of its licence document")
    .option("--licence-document <documentId>", "or: an uploaded document whose content hash is the licence hash")
    .addHelpText(
      "after",
      examples(
        `qfm payee register --address 0x5A0b54D5dc17e0AadC383d2db43B0a0D3E029c4c --name "Ningbo Precision CNC" \\
      --credit-code 91330200MA2H8K3X1Y --category EQUIPMENT --licence-hash 0xabab…ab`,
        "qfm payee register --address 0x… --name Lab --credit-code 12330200MB1234567X --category TESTING_CERT \\\n      --licence-document 3f2c…-uuid",
      ),
    )
    .action(
      cli.act(async (ctx, options) => {
        if (!options.licenceHash === !options.licenceDocument)
          throw new CliError(
            "give exactly one of --licence-hash and --licence-document: every payee needs its licence",
          );
        // The options are the payee's fields by their API names (address, name, creditCode, category, licenceHash),
        // but for the licence document, whose id the API names licenceDocumentId.
        const { licenceDocument, ...fields } = options;
        const { status, body } = await ctx.waiting(
          "registering on chain",
          ctx.bank.post("/payees", { ...fields, licenceDocumentId: licenceDocument }),
        );
        ctx.print(body, () => renderPayee(body, status, `payee ${body.address} registered`));
      }),
    );

  payee
    .command("list")
    .description("list the payees")
    .option("--category <category>", CATEGORIES)
    .option("--active", "active payees only")
    .option("--inactive", "deactivated payees only")
    .addHelpText("after", examples("qfm payee list", "qfm payee list --category EQUIPMENT --active --json"))
    .action(
      cli.act(async (ctx, options) => {
        if (options.active && options.inactive) throw new CliError("give --active or --inactive, not both");
        const { body } = await ctx.bank.get("/payees", {
          category: options.category,
          active: options.active ? "true" : options.inactive ? "false" : undefined,
        });
        ctx.print(body, () =>
          renderTable(
            ["address", "name", "credit code", "category", "active", "chain"],
            body.items.map((p) => [p.address, p.name, p.creditCode, p.category, mark(p.active), p.chainStatus]),
          ),
        );
      }),
    );

  for (const action of ["deactivate", "reactivate"] as const) {
    const command = payee
      .command(`${action} <address>`)
      .description(
        action === "deactivate"
          ? "deactivate a payee on chain: no entrusted payment can go to it"
          : "reactivate a deactivated payee on chain",
      );
    if (action === "deactivate") command.requiredOption("--reason <text>", "why (its hash goes on chain)");
    else command.option("--reason <text>", "why (its hash goes on chain)");
    command
      .addHelpText(
        "after",
        examples(
          action === "deactivate"
            ? 'qfm payee deactivate 0x5A0b…4c4c --reason "licence revoked by the AMR"'
            : 'qfm payee reactivate 0x5A0b…4c4c --reason "licence reinstated"',
        ),
      )
      .action(
        cli.act(async (ctx, address: string, options) => {
          const { status, body } = await ctx.waiting(
            `${action === "deactivate" ? "deactivating" : "reactivating"} on chain`,
            ctx.bank.post(`/payees/${encodeURIComponent(address)}/${action}`, {
              ...(options.reason ? { reason: options.reason } : {}),
            }),
          );
          ctx.print(body, () => renderPayee(body, status, `payee ${body.address} ${action}d`));
        }),
      );
  }
  return payee;
}
