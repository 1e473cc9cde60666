import { formatBps as pct, formatCny as cny, shareBps } from "../../domain/money";
import type { Chain } from "../chain/chain";
import { kindIndex, type EvidenceKind } from "../chain/evidence";
import { unprocessable } from "../errors";
import { PAYEE_CATEGORIES } from "../payees/schema";
import type { CreateFacilityBody } from "./schema";

/** The bit mask of evidence kinds a planned payment requires (as the contract takes it). */
export const maskOf = (kinds: readonly string[]) =>
  kinds.reduce((mask, kind) => mask | (1 << kindIndex(kind as EvidenceKind)), 0);

/**
 * Checks a payment plan before a facility is applied for: within the credit limit, at least the product's quality
 * floor into quality purposes, every payee registered, active and of the category the plan names, none the borrower.
 */
export async function validatePlan(chain: Chain, body: CreateFacilityBody, floorBps: number): Promise<void> {
  const total = body.plan.reduce((sum, p) => sum + p.amount, 0n);
  const quality = body.plan.filter((p) => p.qualityPurpose).reduce((sum, p) => sum + p.amount, 0n);
  if (total > body.creditLimit) {
    throw unprocessable(
      "plan_exceeds_limit",
      `the plan totals ${cny(total)}, more than the credit limit of ${cny(body.creditLimit)}`,
    );
  }
  const share = shareBps(quality, total);
  if (share < floorBps) {
    throw unprocessable(
      "quality_share_below_floor",
      `the plan puts ${pct(share)} (${cny(quality)} of ${cny(total)}) into quality purposes; the product's floor is ${pct(floorBps)}`,
      { shareBps: share, floorBps },
    );
  }
  const problems: string[] = [];
  for (const [i, p] of body.plan.entries()) {
    if (p.payee === body.borrower)
      problems.push(`payment ${i} pays the borrower: entrusted payments go to suppliers and labs only`);
    const payee = await chain.payees.payeeOf(p.payee);
    if (payee.registeredAt === 0n) problems.push(`payment ${i}: ${p.payee} is not a registered payee`);
    else if (!payee.active) problems.push(`payment ${i}: payee ${p.payee} is deactivated`);
    else if (PAYEE_CATEGORIES[Number(payee.category)] !== p.category) {
      problems.push(
        `payment ${i}: payee ${p.payee} is registered as ${PAYEE_CATEGORIES[Number(payee.category)]}, not ${p.category}`,
      );
    }
  }
  if (problems.length > 0) throw unprocessable("invalid_plan", problems.join("; "), { problems });
}
