import { Command, Option } from "commander";
import { Wallet } from "ethers";
import fs from "node:fs";
import { signOrderRequest } from "../../domain/chain/payer-orders";
import { ApiError } from "../api";
import type { Cli } from "../command";
import { CliError, type Context } from "../context";
import { EXIT, reportError } from "../errors";
import { amountToFen, examples, facilityIdArg } from "../input";
import { formatFen } from "../money";

/** Refusals by the loan's rules (more than owed, more than due, a balance left, frozen, not the payer's signature). */
const REFUSED = new Set([409, 422]);

/**
 * Runs a settlement request: a refusal by the rules is reported like an error but exits 2, as a refused payment does.
 */
async function refusable(ctx: Context, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ApiError && REFUSED.has(error.problem.status)) {
      reportError(error, ctx.io, ctx.json);
      return EXIT.refused;
    }
    throw error;
  }
}

/** The payer's key, from --signer-key-file or QFM_SIGNER_KEY: it signs here, and is never sent to a node. */
function payerWallet(file: string | undefined): Wallet {
  const text = file ? readKey(file) : process.env.QFM_SIGNER_KEY?.trim();
  if (!text)
    throw new CliError(
      "the payer signs this itself: give its chain account's private key with --signer-key-file FILE or QFM_SIGNER_KEY",
    );
  try {
    return new Wallet(text);
  } catch {
    throw new CliError(`${file ?? "QFM_SIGNER_KEY"}: not a private key (0x and 64 hex digits)`);
  }
}

function readKey(file: string): string {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new CliError(`cannot read the signer key file ${file}: ${(error as Error).message}`);
  }
}

const amountOption = () => new Option("--amount <cny>", "the amount, CNY (e.g. 1,000.00), or fen with --fen");
const allOption = (what: string) =>
  new Option("--all", `pay ${what} when it lands (interest grows by the second), instead of --amount`);

/** Prepares the payer's order on the node, signs it with the payer's key here, and has the node relay it. */
async function signedPayment(
  ctx: Context,
  path: `/facilities/${string}/${"repayments" | "subsidy"}`,
  kind: "repayment" | "subsidy payment",
  options: any,
) {
  const wallet = payerWallet(options.signerKeyFile);
  if (options.all && options.amount !== undefined) throw new CliError("give --amount or --all, not both");
  if (!options.all && options.amount === undefined) throw new CliError("give --amount (CNY) or --all");
  const asked = options.all
    ? { inFull: true }
    : { amount: amountToFen(options.amount, Boolean(options.fen), "--amount").toString() };
  const { body: request } = await ctx.bank.post(`${path}/order`, asked);
  const amount = BigInt(request.amount);
  if (request.payer.toLowerCase() !== wallet.address.toLowerCase())
    throw new CliError(`the ${kind} is the account ${request.payer}'s to sign; the key given is ${wallet.address}'s`);
  const signatures = await signOrderRequest(wallet, request);
  const { status, body } = await ctx.waiting(
    request.inFull ? `${kind} in full (at most ${formatFen(amount)} CNY)` : `${kind} of ${formatFen(amount)} CNY`,
    ctx.bank.post(path, {
      amount: request.amount,
      inFull: request.inFull,
      deadline: request.deadline,
      ...signatures,
    }),
  );
  return { status, body, amount, inFull: request.inFull };
}

/** `qfm repay`, `qfm subsidy`, `qfm close`, `qfm withdraw`: the end of a loan (bank node). */
export function settlementCommands(cli: Cli): Command[] {
  const done = (ctx: Context, body: { txHash: string | null }, line: string) => {
    ctx.printId(body.txHash ?? "pending", body, () =>
      [body.txHash ? `✓ ${line}` : `… ${line}: on its way`, `  transaction: ${body.txHash ?? "pending"}`].join("\n"),
    );
    return EXIT.ok;
  };
  const signerOption = () =>
    new Option(
      "--signer-key-file <file>",
      "the payer's private key (else QFM_SIGNER_KEY); it never leaves this machine",
    );
  const codes =
    "\nExit codes: 0 done (or on its way), 1 error, 2 refused by the loan's rules (the reason on stderr).\n--quiet prints only the transaction hash.";

  /** `qfm repay` and `qfm subsidy`: a payment its payer signs here and the bank node relays. */
  const payerCommand = (spec: {
    name: string;
    description: string;
    all: string;
    help: string;
    route: "repayments" | "subsidy";
    kind: "repayment" | "subsidy payment";
    /** The line that says what was paid, given the amount paid or (in full) the most that could be. */
    paid: (facility: string, amount: string, inFull: boolean, payer: string) => string;
  }) =>
    new Command(spec.name)
      .argument("<facility>", "the facility id", facilityIdArg)
      .description(spec.description)
      .addOption(amountOption())
      .addOption(allOption(spec.all))
      .option("--fen", "--amount is in fen")
      .addOption(signerOption())
      .addHelpText("after", `${codes}\n${spec.help}`)
      .action(
        cli.act((ctx, facility: string, options) =>
          refusable(ctx, async () => {
            const { body, amount, inFull } = await signedPayment(
              ctx,
              `/facilities/${facility}/${spec.route}`,
              spec.kind,
              options,
            );
            return done(ctx, body, spec.paid(facility, formatFen(amount), inFull, body.payer));
          }),
        ),
      );

  const repay = payerCommand({
    name: "repay",
    description:
      "repay a facility (interest first, then principal) from the borrower's account, signed by the borrower",
    all: "everything owed",
    help: `With the borrower's API key (--key) and its chain account's key, which signs the order and the permit here.\n${examples(
      "QFM_SIGNER_KEY=0x… qfm repay 1 --amount 50,000.00",
      "qfm repay 1 --amount 5000000 --fen --signer-key-file borrower.key --quiet",
      "qfm repay 1 --all --signer-key-file borrower.key          # pay off the loan exactly",
    )}`,
    route: "repayments",
    kind: "repayment",
    paid: (facility, amount, inFull, payer) =>
      `repaid ${inFull ? `everything owed (at most ${amount} CNY)` : `${amount} CNY`} of facility ${facility} from ${payer}`,
  });

  const subsidy = payerCommand({
    name: "subsidy",
    description: "pay the fiscal interest subsidy due on a facility from the fiscal account, signed by it",
    all: "the subsidy due",
    help: `With the fiscal account's API key (--key) and its chain account's key (it holds FISCAL_ROLE).\n${examples(
      "QFM_SIGNER_KEY=0x… qfm subsidy 1 --amount 1,200.00",
    )}`,
    route: "subsidy",
    kind: "subsidy payment",
    paid: (facility, amount, inFull) =>
      `paid ${inFull ? `the subsidy due (at most ${amount} CNY)` : `${amount} CNY of subsidy`} into facility ${facility}`,
  });

  const close = new Command("close")
    .argument("<facility>", "the facility id", facilityIdArg)
    .description("close a facility that owes nothing (bank officer)")
    .addHelpText("after", `${codes}\n${examples("qfm close 1")}`)
    .action(
      cli.act((ctx, facility: string) =>
        refusable(ctx, async () => {
          const { body } = await ctx.waiting(
            `closing facility ${facility}`,
            ctx.bank.post(`/facilities/${facility}/close`, {}),
          );
          return done(ctx, body, `facility ${facility} closed`);
        }),
      ),
    );

  const withdraw = new Command("withdraw")
    .argument("<facility>", "the facility id", facilityIdArg)
    .description("withdraw a facility's balance (or --amount of it) to the treasury governance set (bank officer)")
    .option("--amount <cny>", "the amount, CNY (default: the whole balance)")
    .option("--fen", "--amount is in fen")
    .addHelpText("after", `${codes}\n${examples("qfm withdraw 1", "qfm withdraw 1 --amount 100,000.00")}`)
    .action(
      cli.act((ctx, facility: string, options) =>
        refusable(ctx, async () => {
          const amount =
            options.amount === undefined ? undefined : amountToFen(options.amount, Boolean(options.fen), "--amount");
          const { body } = await ctx.waiting(
            `withdrawing from facility ${facility}`,
            ctx.bank.post(
              `/facilities/${facility}/withdraw`,
              amount === undefined ? {} : { amount: amount.toString() },
            ),
          );
          return done(
            ctx,
            body,
            `withdrew ${formatFen(body.amount)} CNY from facility ${facility} to the treasury ${body.to}`,
          );
        }),
      ),
    );
  return [repay, subsidy, close, withdraw];
}
