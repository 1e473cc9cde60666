import { Command } from "commander";
import type { BankAnswer } from "../api";
import type { Cli } from "../command";
import { CliError, type Context } from "../context";
import { amountToFen, examples, facilityIdArg, positiveIntArg, readJson, timeArg } from "../input";
import { formatBps, formatFen } from "../money";
import { formatTime, mark, renderTable, section, shortHash } from "../table";
import { chainOf, fundingOf, payeeNames, planOf, renderStatement, targetsOf, termsOf } from "./facility-views";

/** One entrusted payment of a plan file, with its amount converted to fen for the API. */
export interface PlannedPayment {
  payee: unknown;
  category: unknown;
  amount: string;
  qualityPurpose: unknown;
  requiredEvidence: unknown;
  description?: unknown;
}

/**
 * Reads a payment plan: a JSON array (or { "plan": [...] }) of { payee, payeeName?, category, amount, qualityPurpose,
 * requiredEvidence, description? } (payeeName is a note for readers, not sent). `amount` is CNY ("4,000,000.00"; fen with `fen`), `amountFen` is always fen.
 */
export function readPlan(file: string, fen: boolean): PlannedPayment[] {
  const json = readJson(file, "plan");
  const entries = Array.isArray(json) ? json : (json as { plan?: unknown })?.plan;
  if (!Array.isArray(entries) || entries.length === 0)
    throw new CliError(`the plan ${file} must be a non-empty JSON array of payments, or { "plan": [ … ] }`);
  return entries.map((entry, index) => {
    const what = `the plan ${file}, payment ${index}`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry))
      throw new CliError(`${what}: must be an object`);
    // payeeName is a note for people reading the file (the chain knows payees by address); it is not sent.
    const { amount, amountFen, payeeName, ...rest } = entry as Record<string, unknown>;
    if (payeeName !== undefined && typeof payeeName !== "string")
      throw new CliError(`${what}: payeeName, a note for readers, must be text`);
    if ((amount === undefined) === (amountFen === undefined))
      throw new CliError(`${what}: give amount (${fen ? "fen" : 'CNY, like "4,000,000.00"'}) or amountFen, not both`);
    const raw = (amount ?? amountFen) as unknown;
    if (typeof raw !== "string" && typeof raw !== "number")
      throw new CliError(`${what}: the amount must be a string or a number`);
    const value = amountToFen(raw, amountFen !== undefined || fen, `${what}, amount`);
    return { ...(rest as Omit<PlannedPayment, "amount">), amount: value.toString() };
  });
}

/** Waits until an application accepted with 202 has its facility id on chain (for --quiet, which prints the id). */
async function facilityIdOf(ctx: Context, applicationId: string, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await ctx.bank.get("/facilities");
    const row = body.items.find((f) => f.applicationId === applicationId);
    if (row?.facilityId) return row.facilityId;
    if (Date.now() > deadline)
      throw new CliError(`application ${applicationId} has no facility id after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** `qfm facility …`: quality loans (bank node). */
export function facilityCommands(cli: Cli): Command {
  const facility = new Command("facility").description(
    "quality loan facilities and their entrusted-payment plans (bank node)",
  );

  /** `qfm facility <name> <id>`: a command on one facility. */
  const ofOneFacility = (name: string, description: string, ...usage: string[]) =>
    facility
      .command(name)
      .argument("<id>", "the facility id", facilityIdArg)
      .description(description)
      .addHelpText("after", examples(...usage));

  /** `qfm facility <part> <id>`: prints what the bank node answers for GET /facilities/{id}/<part>. */
  const printsFacility = <Part extends "statement" | "evidence">(
    part: Part,
    description: string,
    usage: string,
    render: (body: BankAnswer<`/facilities/${string}/${Part}`>) => string,
  ) =>
    ofOneFacility(part, description, usage).action(
      cli.act(async (ctx, id: string) => {
        const { body } = await ctx.bank.get(`/facilities/${id}/${part}`);
        ctx.print(body, () => render(body));
      }),
    );

  facility
    .command("create")
    .description("create a facility with its payment plan; the bank node writes it to the chain and funds it")
    .requiredOption("--borrower <0x…>", "the borrower's address")
    .requiredOption("--borrower-name <name>", "the borrower's name")
    .requiredOption("--credit-code <code>", "the borrower's unified social credit code")
    .option("--grade <grade>", "its quality grade A–E, needed when it is not on the white list")
    .requiredOption("--limit <amount>", "the credit limit in CNY (10,000,000.00), or fen with --fen")
    .option("--fen", "amounts (--limit and plan amounts) are in fen")
    .requiredOption("--plan <plan.json>", "the entrusted payments: JSON array of payments (see below)")
    .option("--product <id>", "the loan product", "yongzhidai")
    .option("--product-version <n>", "a product version (default: the latest)", positiveIntArg)
    .option("--term-months <n>", "term in months (default: the product's)", positiveIntArg)
    .option("--applied-at <time>", "when the borrower applied (default: now)", timeArg)
    .addHelpText(
      "after",
      `
The plan file is a JSON array (or { "plan": [...] }) of entrusted payments:
  [{ "payee": "0x…", "category": "EQUIPMENT", "amount": "4,000,000.00", "qualityPurpose": true,
     "requiredEvidence": ["PURCHASE_CONTRACT", "INVOICE"], "description": "CNC grinder" }]
"amount" is CNY (fen with --fen); "amountFen" is always fen. Write amounts with decimals as strings.
"payeeName" is an optional note for people reading the file; it is not sent (the chain knows payees by address).
${examples(
  'qfm facility create --borrower 0x90F7…b906 --borrower-name "Ningbo Yongxin Bearings" \\\n      --credit-code 91330206MA2AAAAA1X --limit 10,000,000.00 --plan plan.json',
  "ID=$(qfm facility create … --quiet)   # prints only the new facility id",
  "qfm facility create … --grade C --limit 1000000000 --fen --plan plan-in-fen.json",
)}`,
    )
    .action(
      cli.act(async (ctx, options) => {
        const creditLimit = amountToFen(options.limit, Boolean(options.fen), "--limit");
        if (creditLimit === 0n) throw new CliError("--limit: must be more than 0");
        const plan = readPlan(options.plan, Boolean(options.fen));
        const { status, body } = await ctx.waiting(
          "creating on chain",
          ctx.bank.post("/facilities", {
            productId: options.product,
            productVersion: options.productVersion,
            borrower: options.borrower,
            borrowerName: options.borrowerName,
            creditCode: options.creditCode,
            grade: options.grade,
            creditLimit: creditLimit.toString(),
            termMonths: options.termMonths,
            appliedAt: options.appliedAt,
            plan,
          }),
        );
        if (ctx.quiet && !ctx.json) {
          ctx.io.stdout(`${body.facilityId ?? (await facilityIdOf(ctx, body.applicationId))}\n`);
          return;
        }
        ctx.print(body, () => {
          const headline =
            status === 202 || body.facilityId === null
              ? `application ${body.applicationId} accepted; the facility is still being written to the chain (see qfm facility list)`
              : `facility ${body.facilityId} created on chain (transaction ${body.txHash ?? body.createdTx}); the bank node funds it next`;
          return `${headline}\n${termsOf(body)}`;
        });
      }),
    );

  facility
    .command("list")
    .description("list facilities")
    .option("--borrower <0x…>", "one borrower's facilities")
    .addHelpText("after", examples("qfm facility list", "qfm facility list --borrower 0x90F7…b906 --json"))
    .action(
      cli.act(async (ctx, options) => {
        const { body } = await ctx.bank.get("/facilities", { borrower: options.borrower });
        ctx.print(body, () =>
          renderTable(
            ["id", "status", "borrower", "credit code", "grade", "limit (CNY)", "rate", "fast track", "applied"],
            body.items.map((f) => [
              f.facilityId ?? "pending",
              f.status,
              f.borrowerName,
              f.creditCode,
              f.grade,
              formatFen(f.creditLimit),
              formatBps(f.baseRateBps),
              mark(f.fastTrack),
              formatTime(f.appliedAt),
            ]),
            ["right", "left", "left", "left", "center", "right", "right", "center", "left"],
          ),
        );
      }),
    );

  ofOneFacility(
    "show",
    "a facility: its terms, its state on chain, its quality targets and its payment plan (paid/unpaid)",
    "qfm facility show 1",
    "qfm facility show 1 --json",
  ).action(
    cli.act(async (ctx, id: string) => {
      const { body } = await ctx.bank.get(`/facilities/${id}`);
      const names = ctx.json ? new Map<string, string>() : await payeeNames(ctx);
      ctx.print(body, () =>
        [
          section(`Facility ${body.facilityId}: terms`, termsOf(body)),
          section("On chain", chainOf(body.chain)),
          ...(body.funding ? [section("Funding", fundingOf(body.funding))] : []),
          section("Quality targets (quarterly review)", targetsOf(body)),
          section("Payment plan", planOf(body.payments, names)),
        ].join("\n\n"),
      );
    }),
  );

  ofOneFacility(
    "fund",
    "fund a facility up to its plan total: retries a funding the chain refused; does nothing if funded",
    "qfm facility fund 2",
  ).action(
    cli.act(async (ctx, id: string) => {
      const { body } = await ctx.waiting("funding on chain", ctx.bank.post(`/facilities/${id}/fund`, {}));
      ctx.print(body, () => {
        const headline =
          body.funding.status === "FUNDED"
            ? `facility ${body.facilityId} is funded${body.txHash ? ` (transaction ${body.txHash})` : ""}`
            : `facility ${body.facilityId}: the funding is on its way (see qfm facility show ${body.facilityId})`;
        return `${headline}\n${fundingOf(body.funding)}`;
      });
    }),
  );

  printsFacility(
    "statement",
    "the statement at chain time: what the borrower and the fiscal account owe, rate segments (ACT/360), repayments",
    "qfm facility statement 1",
    renderStatement,
  );

  printsFacility(
    "evidence",
    "a facility's anchored evidence with each verifier's verdict on chain",
    "qfm facility evidence 1",
    (body) =>
      renderTable(
        ["document", "kind", "evidence id", "anchored", "verdicts", "verified", "used"],
        body.items.map((e) => [
          e.documentId,
          e.kind,
          shortHash(e.evidenceId),
          formatTime(e.anchoredAt),
          e.verdicts
            .map(
              (v, i) =>
                `${i === 0 ? "bank" : i === 1 ? "regulator" : `#${i}`}: ${v.verdict === "NONE" ? "pending" : v.verdict}`,
            )
            .join(", "),
          mark(e.verified),
          e.consumed ? "✓ released a payment" : "—",
        ]),
      ),
  );
  return facility;
}
