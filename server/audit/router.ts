import { createPolicy } from "../auth/policy";
import type { BlockTimes } from "../chain/block-times";
import type { Database } from "../db/client";
import { notFound } from "../errors";
import { defineRoute, type RouteDef } from "../http/route";
import { toCsv } from "./csv";
import { AuditParams, AuditQuery, AuditReport } from "./schema";
import { auditReportOf, createBlockClock, readAuditEvents, type BlockClock, type RpcSender } from "./service";

/**
 * The fund-use audit report of a facility, rebuilt on each request from the node's indexed chain events (never from
 * its off-chain tables), as JSON or as a CSV ledger. With `chain`, lines are dated from the block headers; if the chain
 * node does not answer, the report is still served, dated only where the events themselves tell the time.
 */
export function auditRoutes({
  db,
  chain,
}: {
  db: Database;
  chain?: { provider: RpcSender; blockTimes?: BlockTimes };
}): RouteDef<any, any, any, any>[] {
  const clock = chain ? createBlockClock(chain.blockTimes ?? chain.provider) : undefined;
  const policy = createPolicy({ db });
  const tolerantClock: BlockClock | undefined = clock && {
    timesOf: (events) => clock.timesOf(events).catch(() => ({})),
  };

  return [
    defineRoute({
      method: "get",
      path: "/facilities/:id/audit",
      operationId: "getFacilityAudit",
      summary: "Get a facility's fund-use audit report",
      tags: ["audit"],
      auth: ["bank_officer", "regulator"],
      params: AuditParams,
      query: AuditQuery,
      responses: {
        200: {
          description:
            "the report rebuilt from chain events (JSON); with format=csv, its ledger as text/csv, one line per event",
          schema: AuditReport,
        },
        404: { description: "no FacilityCreated event with this id has been indexed" },
      },
      handler: async ({ params, query, res, principal }) => {
        await policy.facility(principal!, params.id);
        const report = await auditReportOf(await readAuditEvents(db), params.id, tolerantClock);
        if (!report) throw notFound(`facility ${params.id}`);
        if (query.format === "json") return { body: report };
        res.status(200);
        res.setHeader("content-type", "text/csv; charset=utf-8");
        res.setHeader("content-disposition", `attachment; filename="facility-${report.facilityId}-audit.csv"`);
        res.send(toCsv(report));
      },
    }),
  ];
}
