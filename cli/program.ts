import { Command, CommanderError, Option } from "commander";
import { version } from "../package.json";
import { createCli, type Cli } from "./command";
import { documentCommands } from "./commands/documents";
import { facilityCommands } from "./commands/facilities";
import { payeeCommands } from "./commands/payees";
import { paymentCommands } from "./commands/payments";
import { regulatorCommands } from "./commands/regulator";
import { reportCommand } from "./commands/report";
import { settlementCommands } from "./commands/settlement";
import { approvalCommands, reviewCommands } from "./commands/reviews";
import { whiteListCommands } from "./commands/whitelist";
import { processIo, type Io } from "./context";
import { reportError } from "./errors";
import { positiveIntArg } from "./input";

const OVERVIEW = `
Exit codes: 0 done, 1 an error (the node's problem detail is printed on stderr), 2 an entrusted payment, a
repayment, subsidy payment, closing or withdrawal refused by the loan's rules.
Amounts are shown in CNY (10,000,000.00) and typed in CNY unless a command says otherwise.

A walk-through (bank officer key in QFM_API_KEY, regulator key in QFM_REGULATOR_KEY):
  $ qfm payee register --address 0x… --name "Ningbo Precision CNC" --credit-code 91330200MA2H8K3X1Y \\
      --category EQUIPMENT --licence-hash 0xabab…ab
  $ qfm whitelist import whitelist.csv
  $ qfm facility create --borrower 0x… --borrower-name "Ningbo Yongxin Bearings" \\
      --credit-code 91330206MA2AAAAA1X --limit 10,000,000.00 --plan plan.json
  $ qfm document upload invoice.pdf --facility 1 --kind INVOICE --metadata '{"supplierLicence":"91330200MA2H8K3X1Y"}'
  $ qfm payment check 1 0 --wait
  $ qfm payment request 1 0
  $ qfm spot-check 1 --result FAIL --report NB-SC-2026-0043
  $ qfm facility statement 1
  $ QFM_SIGNER_KEY=0x… qfm repay 1 --amount 50,000.00    # borrower's API key; the borrower's chain key signs
  $ qfm close 1 && qfm withdraw 1
`;

/** The whole command tree, writing through `cli.io`. */
export function buildProgram(cli: Cli): Command {
  const program = new Command("qfm")
    .description(
      "Command line for the quality-financing fund-use monitor: talks to the bank node's and the regulator node's HTTP APIs.",
    )
    .version(version)
    .addOption(new Option("--bank <url>", "the bank node's URL").env("QFM_BANK_URL").default("http://127.0.0.1:8080"))
    .addOption(
      new Option("--regulator <url>", "the regulator node's URL")
        .env("QFM_REGULATOR_URL")
        .default("http://127.0.0.1:8081"),
    )
    .addOption(new Option("--key <apiKey>", "API key for the node the command talks to").env("QFM_API_KEY"))
    .addOption(
      new Option("--regulator-key <apiKey>", "API key for regulator-node commands (else --key)").env(
        "QFM_REGULATOR_KEY",
      ),
    )
    .option("--json", "print the node's JSON answer (machine output) instead of tables")
    .option("--quiet", "no progress on stderr; a command that creates something prints only its id")
    .addOption(
      new Option("--timeout <seconds>", "how long to wait for a node's answer").argParser(positiveIntArg).default(120),
    )
    .addHelpText("after", OVERVIEW);

  const commands = [
    payeeCommands(cli),
    whiteListCommands(cli),
    facilityCommands(cli),
    ...documentCommands(cli),
    paymentCommands(cli),
    reviewCommands(cli),
    ...approvalCommands(cli),
    ...regulatorCommands(cli),
    ...settlementCommands(cli),
    reportCommand(cli),
  ];
  for (const command of commands) program.addCommand(command);

  // addCommand does not pass settings down: every command writes through cli.io and throws instead of exiting.
  const configure = (command: Command) => {
    command
      .configureOutput({ writeOut: cli.io.stdout, writeErr: cli.io.stderr })
      .exitOverride()
      .showHelpAfterError("(add --help for usage)");
    command.commands.forEach(configure);
  };
  configure(program);
  return program;
}

/** Runs the CLI on `argv` (the arguments after the program name) and returns its exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const cli = createCli(io);
  const program = buildProgram(cli);
  try {
    await program.parseAsync(argv, { from: "user" });
    return cli.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    return reportError(error, io, argv.includes("--json"));
  }
}
