import { PAYEE_CATEGORIES } from "../payees/schema";
import { shareBps } from "./money";
import type { AuditReport, ExecutedPayment } from "./schema";

const sum = (values: Array<string | bigint>) => values.reduce<bigint>((total, value) => total + BigInt(value), 0n);

/**
 * The report's totals in fen. Payees and categories are listed in plan order and enum order, including those not paid
 * yet, so that a reader sees what is still due; the quality share is rounded down as the contract rounds it.
 */
export function totalsOf(
  report: Pick<AuditReport, "terms" | "plan" | "funding" | "interest" | "repayments" | "subsidies" | "withdrawals">,
  payments: ExecutedPayment[],
): AuditReport["totals"] {
  const funded = sum(report.funding.map((f) => f.amount));
  const paid = sum(payments.map((p) => p.amount));
  const qualityPaid = sum(payments.filter((p) => p.qualityPurpose).map((p) => p.amount));
  const interestRepaid = sum(report.repayments.map((r) => r.interestPaid));
  const principalRepaid = sum(report.repayments.map((r) => r.principalPaid));
  const subsidyPaid = sum(report.subsidies.map((s) => s.amount));
  const withdrawn = sum(report.withdrawals.map((w) => w.amount));

  const planPayees = [...new Map(report.plan.map((p) => [p.payee, p.category])).entries()];
  const planCategories = PAYEE_CATEGORIES.filter((category) => report.plan.some((p) => p.category === category));
  const paidTo = (selected: ExecutedPayment[]) => ({
    payments: selected.length,
    amount: sum(selected.map((p) => p.amount)).toString(),
  });

  return {
    planned: sum(report.plan.map((p) => p.amount)).toString(),
    funded: funded.toString(),
    paid: paid.toString(),
    unpaidPlanned: sum(report.plan.filter((p) => !p.paid).map((p) => p.amount)).toString(),
    paidByPayee: planPayees.map(([payee, category]) => ({
      payee,
      category,
      ...paidTo(payments.filter((p) => p.payee === payee)),
    })),
    paidByCategory: planCategories.map((category) => ({
      category,
      ...paidTo(payments.filter((p) => p.category === category)),
    })),
    qualityPaid: qualityPaid.toString(),
    qualityShareOfPaidBps: shareBps(qualityPaid, paid),
    qualityFloorBps: report.terms.qualityFloorBps,
    interestAccrued: sum(report.interest.map((s) => s.interest)).toString(),
    subsidyAccrued: sum(report.interest.map((s) => s.subsidy)).toString(),
    subsidyPaid: subsidyPaid.toString(),
    interestRepaid: interestRepaid.toString(),
    principalRepaid: principalRepaid.toString(),
    repaid: (interestRepaid + principalRepaid).toString(),
    withdrawn: withdrawn.toString(),
    outstandingPrincipal: (paid - principalRepaid).toString(),
    balance: (funded + interestRepaid + principalRepaid + subsidyPaid - paid - withdrawn).toString(),
  };
}
