import { SignedApproval } from "../../domain/api/approvals";
import { Queue, RecordedSpotCheck, RegulatorDecisionList, SpotCheckList } from "../../domain/api/regulator";
import { ApprovalParams } from "../approvals/schema";
import { authorizedRoute } from "../auth/scoped-routes";
import { chainCreateResponses, chainWriteResponses, defineRoute, type RouteDef } from "../http/route";
import { FacilityFilter, SpotCheckBody, SpotCheckFilter } from "./schema";
import type { RegulatorService } from "./service";

/**
 * The market regulator's lifecycle routes on its own node (spot checks, co-signing, its decisions, the verification
 * queue): ./service.ts does the work, ./checks.ts the checks before co-signing, ./bank-client.ts the calls to the bank.
 */
export function regulatorRoutes({ regulator }: { regulator: RegulatorService }): RouteDef<any, any, any, any>[] {
  return [
    authorizedRoute("write", "institutional", {
      method: "post",
      path: "/spot-checks",
      operationId: "recordSpotCheck",
      summary: "Record a spot check; a FAIL freezes the facility on chain at once",
      tags: ["spot checks"],
      auth: ["regulator"],
      body: SpotCheckBody,
      responses: {
        ...chainCreateResponses(
          RecordedSpotCheck,
          "recorded (and frozen on chain when FAIL)",
          "recorded; the freeze is on its way",
        ),
        422: { description: "the report is not an inspection record of this borrower with this result" },
      },
      handler: async ({ body, principal }) => regulator.recordSpotCheck(body, principal!),
    }),
    authorizedRoute("read", "institutional", {
      method: "get",
      path: "/spot-checks",
      operationId: "listSpotChecks",
      summary: "List spot checks",
      tags: ["spot checks"],
      auth: ["regulator", "bank_officer"],
      query: SpotCheckFilter,
      responses: { 200: { description: "spot checks, newest first", schema: SpotCheckList } },
      handler: async ({ query }) => ({ body: await regulator.listSpotChecks(query) }),
    }),
    authorizedRoute("write", "institutional", {
      method: "post",
      path: "/approvals/:approvalId/cosign",
      operationId: "cosignAtBank",
      summary: "Check a joint decision proposed by the bank and co-sign it",
      tags: ["reviews"],
      auth: ["regulator"],
      params: ApprovalParams,
      responses: {
        ...chainWriteResponses(
          SignedApproval,
          "co-signed and applied on chain",
          "co-signed; the decision is on its way to the chain",
        ),
        409: { description: "refused by the regulator's own checks" },
      },
      handler: async ({ params }) => regulator.cosign(params.approvalId),
    }),
    defineRoute({
      method: "get",
      path: "/decisions",
      operationId: "listRegulatorDecisions",
      summary: "The regulator's own decisions on joint decisions: co-signed, or refused with the reason",
      tags: ["reviews"],
      auth: ["regulator", "bank_officer"],
      query: FacilityFilter,
      responses: { 200: { description: "newest first", schema: RegulatorDecisionList } },
      handler: async ({ query }) => ({ body: await regulator.decisions(query) }),
    }),
    authorizedRoute("read", "institutional", {
      method: "get",
      path: "/queue",
      operationId: "verificationQueue",
      summary: "Verification queue: each document with the bank's verdict and the regulator's",
      tags: ["verification"],
      auth: ["regulator"],
      query: FacilityFilter,
      responses: { 200: { description: "newest first", schema: Queue } },
      handler: async ({ query }) => ({ body: await regulator.queue(query) }),
    }),
  ];
}
