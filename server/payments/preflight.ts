import { FACILITY_STATUS as STATUS, kindsOfMask as kindsOf } from "../../domain/enums";
import { formatCny as cny } from "../../domain/money";
import type { Chain } from "../chain/chain";
import { isPayeeKind } from "../chain/evidence";
import { notFound } from "../errors";
import type { FacilityReads } from "../facilities/chain-view";
import { PAYEE_CATEGORIES } from "../payees/router";
import { chooseEvidence } from "./evidence-choice";
import type { EvidenceReads } from "./evidence";

export interface Blocker {
  code: string;
  message: string;
}

/**
 * The payment pre-flight: what an entrusted payment still needs — the facility neither frozen nor closed, the payment
 * unpaid, its payee registered, active and of the planned category, the funds, and per required kind a verified,
 * unused document naming the payee (or the borrower), among the documents the caller names when given.
 */
export function createPreflight({
  chain,
  reads,
  evidence,
}: {
  chain: Chain;
  reads: Pick<FacilityReads, "onChain">;
  evidence: EvidenceReads;
}) {
  async function readiness(facilityId: bigint, index: number, chosen?: string[]) {
    const state = await reads.onChain(facilityId);
    const blockers: Blocker[] = [];
    if (index >= Number(state.paymentCount)) throw notFound(`payment ${index} of facility ${facilityId}`);
    const payment = await chain.manager.payment(facilityId, index);
    const status = STATUS[Number(state.status)];
    if (status === "FROZEN") {
      blockers.push({
        code: "facility_is_frozen",
        message: `facility ${facilityId} is frozen after a failed spot check; payments resume once the bank and the regulator unfreeze it together`,
      });
    }
    if (status === "CLOSED") blockers.push({ code: "facility_is_closed", message: `facility ${facilityId} is closed` });
    if (payment.paid) blockers.push({ code: "payment_already_paid", message: `payment ${index} was already paid` });
    const payee = await chain.payees.payeeOf(payment.payee);
    if (payee.registeredAt === 0n)
      blockers.push({ code: "payee_not_registered", message: `payee ${payment.payee} is not registered` });
    else if (!payee.active) blockers.push({ code: "payee_inactive", message: `payee ${payment.payee} is deactivated` });
    else if (payee.category !== payment.category) {
      blockers.push({
        code: "payee_category_mismatch",
        message: `payee ${payment.payee} is now registered as ${PAYEE_CATEGORIES[Number(payee.category)]}, the plan says ${PAYEE_CATEGORIES[Number(payment.category)]}`,
      });
    }
    if (state.balance < payment.amount) {
      blockers.push({
        code: "insufficient_funds",
        message: `the facility holds ${cny(state.balance)}; the payment needs ${cny(payment.amount)}`,
      });
    }
    // The documents the caller names may be of another facility: they are looked at, and said why they cannot serve.
    const offered = [
      ...(await evidence.evidenceOf(facilityId)),
      ...(chosen ? await evidence.foreignEvidence(facilityId, chosen) : []),
    ];
    const choice = chooseEvidence(
      offered,
      kindsOf(Number(payment.requiredKinds)),
      facilityId,
      {
        payee: payment.payee,
        borrower: state.borrower,
      },
      chosen,
    );
    for (const kind of choice.missingKinds) {
      const why = choice.considered.filter((c) => c.kind === kind).map((c) => `document ${c.documentId}: ${c.reason}`);
      const named = isPayeeKind(kind) ? `payee ${payment.payee}` : "the borrower";
      if (why.length === 0) {
        blockers.push({
          code: "evidence_missing",
          message: `no ${kind} naming ${named} has been uploaded and anchored for facility ${facilityId}${chosen ? " among the documents named" : ""}`,
        });
      } else blockers.push({ code: "evidence_not_usable", message: `no usable ${kind}: ${why.join("; ")}` });
    }
    return {
      ready: blockers.length === 0,
      blockers,
      evidenceIds: choice.use.map((e) => e.evidenceId),
      documentIds: choice.use.map((e) => e.documentId),
      use: choice.use,
      considered: choice.considered,
      offered: choice.offered,
      payment,
    };
  }

  return { readiness };
}

export type Preflight = ReturnType<typeof createPreflight>;
