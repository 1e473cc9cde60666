import { z } from "zod";
import { GIVEN_VERDICTS } from "../../domain/enums";
import { EvidenceKind } from "../documents/schema";
import type { Database } from "../db/client";
import { listUnresolvedAnchors } from "./unresolved";
import { authorize } from "../auth/policy";
import { pageOf, pageQuery } from "../../domain/api/page";
import { pageArgs, pageOfRows } from "../http/page";
import { FacilityId, defineRoute, type RouteDef } from "../http/route";

const VerificationView = z
  .object({
    evidenceId: z.string(),
    facilityId: z.string(),
    kind: EvidenceKind,
    verdict: z.enum(GIVEN_VERDICTS),
    reason: z.string(),
    checkedAt: z.string(),
    submitted: z.boolean().meta({ description: "whether the signed verdict is confirmed on chain" }),
    txHash: z.string().nullable(),
    revokedAt: z.string().nullable().meta({ description: "when this node withdrew its acceptance (bytes changed)" }),
    revokeReason: z.string().nullable(),
  })
  .meta({ id: "Verification" });

const UnresolvedAnchorView = z
  .object({
    root: z.string().meta({ description: "the batch root, or the evidence id of a single anchor" }),
    kind: z.enum(["BATCH", "SINGLE"]),
    status: z.literal("UNRESOLVED"),
    blockNumber: z.string(),
    attempts: z.number().int(),
    reason: z.string(),
    firstSeenAt: z.string(),
  })
  .meta({ id: "UnresolvedAnchor" });

const ListVerificationsQuery = z.object({
  facilityId: FacilityId.optional(),
  verdict: z.enum(GIVEN_VERDICTS).optional(),
  ...pageQuery(100).shape,
});

/** This node's own verdicts (each node lists what its verifier decided). */
export function verificationRoutes({
  db,
  nodeRole,
}: {
  db: Database;
  nodeRole: string;
}): RouteDef<any, any, any, any>[] {
  return [
    defineRoute({
      method: "get",
      path: "/verifications",
      operationId: "listVerifications",
      summary: `List the ${nodeRole} verifier's verdicts`,
      tags: ["verification"],
      auth: ["bank_officer", "regulator"],
      query: ListVerificationsQuery,
      responses: {
        200: {
          description: "newest first; `unresolved`: anchors on chain the bank node cannot serve, skipped and retried",
          schema: pageOf(VerificationView).extend({ unresolved: z.array(UnresolvedAnchorView) }),
        },
      },
      handler: async ({ query, principal }) => {
        authorize(principal!, "read", { type: "institutional" });
        const rows = await db.prisma.verification.findMany({
          where: { facilityId: query.facilityId, verdict: query.verdict },
          orderBy: [{ checkedAt: "desc" }, { evidenceId: "desc" }],
          ...pageArgs(query, "evidenceId"),
        });
        const page = pageOfRows(rows, query, (row) => row.evidenceId);
        return {
          body: {
            nextCursor: page.nextCursor,
            items: page.items.map((row) => ({
              evidenceId: row.evidenceId,
              facilityId: row.facilityId.toString(),
              kind: row.kind,
              verdict: row.verdict,
              reason: row.reason,
              checkedAt: row.checkedAt.toISOString(),
              submitted: row.submitted,
              txHash: row.txHash,
              revokedAt: row.revokedAt?.toISOString() ?? null,
              revokeReason: row.revokeReason,
            })),
            unresolved: await listUnresolvedAnchors(db),
          },
        };
      },
    }),
  ];
}
