import type { Logger } from "pino";
import { FUNDING_STATUSES, facilityStatusOf } from "../../domain/enums";
import { formatCny as cny } from "../../domain/money";
import type { Principal } from "../auth/roles";
import type { Chain } from "../chain/chain";
import type { Database } from "../db/client";
import { conflict } from "../errors";
import type { Outbox } from "../outbox/outbox";
import { JOB } from "../outbox/jobs";
import { chainWrite } from "../outbox/wait";

/** The outbox key of a facility's funding: one per facility, retried under the same key. */
export const fundKey = (applicationId: string) => `facility-fund:${applicationId}`;

/** The chain state funding needs (a FacilityManager.facility result). */
export interface FundedState {
  status: bigint;
  funded: bigint;
  planTotal: bigint;
  creditLimit: bigint;
}

export type FundingStatus = (typeof FUNDING_STATUSES)[number];

/**
 * A facility's funding: where it stands, and the retry when the chain refused it. Each funding is one FUND job under
 * the facility's own key, carrying exactly the missing amount with its own permit (server/outbox/jobs.ts), so
 * facilities funded at the same time share nothing.
 */
export function createFunding({
  db,
  chain,
  outbox,
  waitMs,
  logger,
  applicationOf,
  onChain,
}: {
  db: Database;
  chain: Chain;
  outbox: Outbox;
  waitMs: number;
  logger: Logger;
  /** The facility's application id (404 when the bank node does not know the facility). */
  applicationOf: (facilityId: bigint) => Promise<string>;
  onChain: (facilityId: bigint) => Promise<FundedState>;
}) {
  /**
   * Funded against the plan and the limit, and where the funding stands: FUNDED (the plan total is in), FUNDING (a
   * funding is on its way), FAILED (the chain refused it: POST /facilities/:id/fund retries) or UNFUNDED.
   */
  async function fundingOf(facilityId: bigint, known?: FundedState) {
    const applicationId = await applicationOf(facilityId);
    const state = known ?? (await onChain(facilityId));
    const job = await db.prisma.outboxJob.findUnique({ where: { key: fundKey(applicationId) } });
    const status: FundingStatus =
      state.funded >= state.planTotal
        ? "FUNDED"
        : job?.status === "FAILED"
          ? "FAILED"
          : job && job.status !== "CONFIRMED"
            ? "FUNDING"
            : "UNFUNDED";
    return {
      status,
      funded: state.funded.toString(),
      planTotal: state.planTotal.toString(),
      creditLimit: state.creditLimit.toString(),
      shortfall: (state.funded >= state.planTotal ? 0n : state.planTotal - state.funded).toString(),
      lastError: status === "FAILED" ? (job?.lastError ?? null) : null,
    };
  }

  return {
    fundingOf,

    /**
     * Funds the facility up to its plan total (a retry after a failed funding): idempotent, as the chain's `funded`
     * decides what is still missing and a funding already on its way is left to land.
     */
    async fund(principal: Principal, facilityId: bigint) {
      const applicationId = await applicationOf(facilityId);
      const state = await onChain(facilityId);
      if (facilityStatusOf(state.status) === "CLOSED")
        throw conflict("facility_is_closed", `facility ${facilityId} is closed`);
      if (state.funded >= state.planTotal) return { funding: await fundingOf(facilityId, state), txHash: null };
      const shortfall = state.planTotal - state.funded;
      const float = await chain.token.balanceOf(chain.signer.address);
      if (float < shortfall) {
        throw conflict(
          "insufficient_float",
          `the bank node's account holds ${cny(float)}; funding facility ${facilityId} needs ${cny(shortfall)} more`,
        );
      }
      const key = fundKey(applicationId);
      await db.prisma.$transaction(async (tx) => {
        await outbox.enqueue(
          tx,
          {
            key,
            kind: JOB.FUND,
            payload: {
              facilityId: facilityId.toString(),
              amount: shortfall.toString(),
              fundedAfter: state.planTotal.toString(),
            },
          },
          { retryFailed: true },
        );
      });
      logger.info({ facilityId: facilityId.toString(), by: principal.label }, "facility funding requested");
      const landed = await chainWrite(outbox, key, waitMs);
      return { funding: await fundingOf(facilityId), txHash: landed?.txHash ?? null };
    },
  };
}
