import type { Logger } from "pino";
import { facilityStatusOf } from "../../domain/enums";
import { chainNow, type Chain } from "../chain/chain";
import type { Database } from "../db/client";
import { createLoop } from "../loop";
import type { ApprovalService } from "./service";

/** A quarter of the product's review period, in seconds of chain time (the ACT/360 quarter: 90 days). */
export const REVIEW_PERIOD_SECONDS = 90 * 86_400;

const SCHEDULER = {
  keyId: "scheduler",
  role: "bank_officer" as const,
  institution: "bank node",
  label: "review scheduler",
  subject: { kind: "institution" as const, name: "bank node" },
};

/**
 * Runs quarterly reviews on schedule: when a facility's current quarter (counted from its creation on chain, or from
 * the end of its last reviewed period) is over in chain time, it proposes the review for that quarter. The proposal
 * then waits for the regulator's co-signature like one made on demand.
 */
export function createReviewScheduler({
  db,
  chain,
  approvals,
  logger,
}: {
  db: Database;
  chain: Chain;
  approvals: Pick<ApprovalService, "nextReviewStart" | "onChain" | "proposeReview">;
  logger: Logger;
}) {
  let busy = false;

  async function due(): Promise<Array<{ facilityId: bigint; from: Date; to: Date }>> {
    const now = await chainNow(chain);
    const rows = await db.prisma.facility.findMany({ where: { status: "ACTIVE", facilityId: { not: null } } });
    const result: Array<{ facilityId: bigint; from: Date; to: Date }> = [];
    for (const row of rows) {
      // Where the last applied review ended, or the facility's opening: the start the regulator checks.
      const from = await approvals.nextReviewStart(row.facilityId!).catch(() => undefined);
      if (from === undefined) continue;
      if (now >= from + REVIEW_PERIOD_SECONDS) {
        result.push({
          facilityId: row.facilityId!,
          from: new Date(from * 1000),
          to: new Date((from + REVIEW_PERIOD_SECONDS) * 1000),
        });
      }
    }
    return result;
  }

  async function runOnce(): Promise<number> {
    if (busy) return 0;
    busy = true;
    let proposed = 0;
    try {
      for (const { facilityId, from, to } of await due()) {
        const pending = await db.prisma.approval.findFirst({
          where: { facilityId, kind: "REVIEW", status: "AWAITING_REGULATOR" },
        });
        if (pending) continue;
        const state = await approvals.onChain(facilityId);
        if (facilityStatusOf(state.status) === "CLOSED") continue;
        const { report } = await approvals.proposeReview(SCHEDULER, facilityId, { from, to });
        proposed++;
        logger.info(
          { facilityId: facilityId.toString(), from, to, newRateBps: report.decision.newRateBps },
          "scheduled quarterly review proposed",
        );
      }
    } catch (error) {
      logger.warn({ error: (error as Error).message }, "scheduled review pass failed; will retry");
    } finally {
      busy = false;
    }
    return proposed;
  }

  // runOnce reports its own failures; a pass that proposed reviews is not run again at once (false: sleep).
  const loop = createLoop(
    async () => {
      await runOnce();
      return false;
    },
    () => undefined,
  );
  return { runOnce, start: loop.start, stop: loop.stop };
}
