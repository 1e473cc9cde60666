import type { FacilityDetail, FacilityView as FacilityRow, Funding } from "../../domain/api/facilities";
import type { Statement } from "../../domain/api/statement";
import { formatValue, METRIC_LABELS } from "../../domain/metrics";
import type { Context } from "../context";
import { formatBps, formatFen } from "../money";
import { formatTime, mark, renderPairs, renderTable, section, shortHash } from "../table";

/* Text views of a facility for `qfm facility …`. */

export function fundingOf(f: Funding): string {
  return renderPairs([
    ["funding", f.status],
    ["funded / plan total", `${cny(f.funded)} / ${cny(f.planTotal)}`],
    ["credit limit", cny(f.creditLimit)],
    ...(f.shortfall !== "0" ? [["still to fund", cny(f.shortfall)] as [string, string]] : []),
    ...(f.lastError ? [["refused", `${f.lastError} (retry: qfm facility fund <id>)`] as [string, string]] : []),
  ]);
}

export const cny = (fen: string | number | bigint) => `${formatFen(fen)} CNY`;

export function termsOf(f: FacilityRow): string {
  return renderPairs([
    ["facility", f.facilityId ?? `— (application ${f.applicationId})`],
    ["status", f.status],
    ["borrower", `${f.borrowerName} (${f.creditCode})`],
    ["borrower address", f.borrower],
    ["product", `${f.product.id} v${f.product.version}`],
    ["grade", f.grade],
    ["credit limit", cny(f.creditLimit)],
    ["term", `${f.termMonths} months`],
    ["base rate", formatBps(f.baseRateBps)],
    ["quality floor", formatBps(f.qualityFloorBps)],
    ["fiscal subsidy", formatBps(f.subsidyBps)],
    ["fast track", mark(f.fastTrack)],
    ["applied", formatTime(f.appliedAt)],
    ["first payment", formatTime(f.firstPaymentAt)],
    ...(f.applicationToFirstPaymentSeconds !== null
      ? [
          ["application → first payment", `${(f.applicationToFirstPaymentSeconds / 3600).toFixed(1)} h`] as [
            string,
            string,
          ],
        ]
      : []),
    ["created in transaction", f.createdTx ?? "—"],
  ]);
}

export function targetsOf(f: FacilityRow): string {
  return renderTable(
    ["target", "description", "wanted", "discount", "subsidy"],
    f.targets.map((t) => [
      t.id,
      (t.label ?? METRIC_LABELS[t.metric]).en,
      `${t.comparator === "gte" ? "≥" : "≤"} ${formatValue(t.metric, t.threshold)}`,
      `${t.discountBps} bps`,
      mark(t.subsidyEligible),
    ]),
    ["left", "left", "left", "right", "center"],
  );
}

/** Payee names by lower-case address, from the bank's register (empty when this key may not list payees). */
export async function payeeNames(ctx: Context): Promise<Map<string, string>> {
  try {
    const { body } = await ctx.bank.get("/payees");
    return new Map(body.items.map((p) => [p.address.toLowerCase(), p.name]));
  } catch {
    return new Map();
  }
}

/** "Ningbo Precision CNC (0x5A0b…9c4c)", or the address alone when the payee is not in the register. */
export function payeeLabel(address: string, names: Map<string, string>): string {
  const name = names.get(address.toLowerCase());
  return name ? `${name} (${address.slice(0, 6)}…${address.slice(-4)})` : address;
}

export function planOf(payments: FacilityDetail["payments"], names: Map<string, string> = new Map()): string {
  const paid = payments.filter((p) => p.paid).reduce((sum, p) => sum + BigInt(p.amount), 0n);
  const total = payments.reduce((sum, p) => sum + BigInt(p.amount), 0n);
  return `${renderTable(
    ["#", "payee", "category", "amount (CNY)", "quality", "evidence required", "paid"],
    payments.map((p) => [
      p.index,
      payeeLabel(p.payee, names),
      p.category,
      formatFen(p.amount),
      mark(p.qualityPurpose),
      p.requiredEvidence.join(", "),
      p.paid ? "✓ paid" : "unpaid",
    ]),
    ["right", "left", "left", "right", "center", "left", "left"],
  )}\npaid ${cny(paid)} of ${cny(total)}; unpaid ${cny(total - paid)}`;
}

export function chainOf(c: FacilityDetail["chain"]): string {
  return renderPairs([
    ["status", c.status],
    ["rate", `${formatBps(c.rateBps)} (base ${formatBps(c.baseRateBps)})`],
    ["subsidy eligible", mark(c.subsidyEligible)],
    ["freezes so far", String(c.freezeCount)],
    ["reviews applied", String(c.reviewNonce)],
    ["credit limit", cny(c.creditLimit)],
    ["plan total", cny(c.planTotal)],
    ["quality-purpose total", cny(c.qualityTotal)],
    ["funded", cny(c.funded)],
    ["drawn (paid out)", cny(c.drawn)],
    ["outstanding principal", cny(c.principal)],
    ["balance held", cny(c.balance)],
    ["interest accrued", cny(c.interestAccrued)],
    ["interest repaid", cny(c.interestRepaid)],
    ["subsidy accrued", cny(c.subsidyAccrued)],
    ["subsidy paid", cny(c.subsidyPaid)],
  ]);
}

/** The statement at chain time: what is owed, the interest segments, the repayments and the rate changes. */
export function renderStatement(body: Statement): string {
  const summary = renderPairs([
    ["at (chain time)", formatTime(body.at)],
    ["status", body.status],
    ["owed by the borrower", `${cny(body.owedBy.borrower.total)} (principal and interest)`],
    ["owed by the fiscal account", `${cny(body.owedBy.fiscal.subsidy)} (subsidy)`],
    ["rate", formatBps(body.rateBps)],
    ["subsidy eligible", mark(body.subsidyEligible)],
    ["outstanding principal", cny(body.principal)],
    ["interest accrued", cny(body.interestAccrued)],
    ["interest repaid", cny(body.interestRepaid)],
    ["interest due", cny(body.interestDue)],
    ["amount owed", cny(body.amountOwed)],
    ["subsidy accrued", cny(body.subsidyAccrued)],
    ["subsidy due", cny(body.subsidyDue)],
    ["subsidy paid", cny(body.subsidyPaid)],
    ["balance held", cny(body.balance)],
    ["withdrawn to the treasury", cny(body.withdrawn)],
  ]);
  const segments = renderTable(
    ["from", "to", "principal (CNY)", "rate", "interest (CNY)", "subsidy (CNY)"],
    body.segments.map((s) => [
      formatTime(s.from),
      s.open ? "now (open)" : formatTime(s.to),
      formatFen(s.principal),
      formatBps(s.rateBps),
      formatFen(s.interest),
      s.subsidy === null ? "—" : formatFen(s.subsidy),
    ]),
    ["left", "left", "right", "right", "right", "right"],
  );
  const repayments = renderTable(
    ["at", "payer", "interest (CNY)", "principal (CNY)", "transaction"],
    body.repayments.map((r) => [
      formatTime(r.at),
      r.payer,
      formatFen(r.interestPaid),
      formatFen(r.principalPaid),
      shortHash(r.txHash),
    ]),
    ["left", "left", "right", "right", "left"],
  );
  const rates = renderTable(
    ["at", "from", "to", "subsidy", "transaction"],
    body.rateHistory.map((r) => [
      formatTime(r.at),
      formatBps(r.from),
      formatBps(r.to),
      mark(r.subsidyEligible),
      shortHash(r.txHash),
    ]),
  );
  return [
    section(`Statement of facility ${body.facilityId}`, summary),
    section("Interest segments", segments),
    section("Repayments", repayments),
    section("Rate changes", rates),
  ].join("\n\n");
}
