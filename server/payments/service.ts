import type { Logger } from "pino";
import type { Principal } from "../auth/roles";
import type { Database } from "../db/client";
import { AppError } from "../errors";
import { JOB } from "../outbox/jobs";
import type { Outbox } from "../outbox/outbox";
import { chainWrite } from "../outbox/wait";
import type { FacilityReads } from "../facilities/chain-view";
import type { Preflight } from "./preflight";
import { queueRegistrations } from "../verification/registration";

export type PaymentService = ReturnType<typeof createPayments>;

/**
 * Entrusted payments: asked for once the pre-flight finds nothing missing, paid by the contract to the payee; the
 * payments of a facility as its chain view shows them; `facilities` lists the facilities a caller may see.
 */
export function createPayments({
  db,
  outbox,
  waitMs,
  logger,
  preflight,
  reads,
  facilities,
}: {
  db: Database;
  outbox: Outbox;
  waitMs: number;
  logger: Logger;
  preflight: Preflight;
  reads: Pick<FacilityReads, "payments">;
  facilities: (where: {
    borrower?: string;
    plan?: { contains: string };
  }) => Promise<Array<{ facilityId: bigint | null; borrower: string; borrowerName: string }>>;
}) {
  async function requestPayment(principal: Principal, facilityId: bigint, index: number, chosen?: string[]) {
    const check = await preflight.readiness(facilityId, index, chosen);
    if (!check.ready) {
      throw new AppError(
        409,
        check.blockers[0].code,
        `payment ${index} of facility ${facilityId} cannot be made: ${check.blockers.map((b) => b.message).join("; ")}`,
        { extensions: { blockers: check.blockers } },
      );
    }
    const key = `payment:${facilityId}:${index}`;
    await db.prisma.$transaction(async (tx) => {
      // Evidence verified in its batch is registered first, by this payment (the MAIN lane keeps the order).
      await queueRegistrations(tx, outbox, check.use);
      // A payment the chain refused before (frozen in between, say) may be asked for again.
      await outbox.enqueue(
        tx,
        {
          key,
          kind: JOB.EXECUTE_PAYMENT,
          payload: {
            facilityId: facilityId.toString(),
            index,
            evidenceIds: check.evidenceIds,
            evidence: check.offered,
          },
        },
        { retryFailed: true },
      );
    });
    logger.info({ facilityId: facilityId.toString(), index, by: principal.label }, "entrusted payment requested");
    const landed = await chainWrite(outbox, key, waitMs);
    if (landed) {
      await db.prisma.facility.updateMany({
        where: { facilityId, firstPaymentAt: null },
        data: { firstPaymentAt: new Date() },
      });
    }
    return {
      txHash: landed?.txHash ?? null,
      evidenceIds: check.evidenceIds,
      documentIds: check.documentIds,
      payee: check.payment.payee,
      amount: check.payment.amount,
    };
  }

  return { requestPayment, readiness: preflight.readiness, payments: reads.payments, facilities };
}
