import { z } from "zod";
import { pageQuery } from "../../domain/api/page";
import { pageOfList } from "../http/page";
import { CreatedFacility, EvidenceList, FacilityDetail, FacilityList, FundResult } from "../../domain/api/facilities";
import { ProductList } from "../../domain/api/products";
import type { ApprovalService } from "../approvals/service";
import type { Policy } from "../auth/policy";
import { NO_SUCH_FACILITY, authorizedRoute, facilityRouteOf } from "../auth/scoped-routes";
import { chainCreateResponses, chainWriteResponses, defineRoute, type RouteDef } from "../http/route";
import type { ProductCatalog } from "../rules/products";
import { toJson } from "../rules/values";
import { presentDetail, presentRow } from "./presenter";
import { CreateFacilityBody } from "./schema";
import type { FacilityService } from "./service";

/** The bank's facility routes: products, facilities, their funding and evidence. */
export function facilityRoutes({
  facilities,
  approvals,
  catalog,
  policy,
}: {
  facilities: FacilityService;
  /** Where a facility's next review period starts is the approvals' rule. */
  approvals: Pick<ApprovalService, "nextReviewStart">;
  catalog: ProductCatalog;
  policy: Policy;
}): RouteDef<any, any, any, any>[] {
  async function detail(facilityId: bigint) {
    const [row, view] = await Promise.all([facilities.row(facilityId), facilities.chainView(facilityId)]);
    const funding = await facilities.fundingOf(facilityId, view.state);
    // Where the next review period must start (the opening, or where the last applied review ended); null if unknown.
    const nextReviewFrom = await approvals
      .nextReviewStart(facilityId)
      .then((s) => new Date(s * 1000).toISOString())
      .catch(() => null);
    return presentDetail(row, view, funding, nextReviewFrom);
  }

  const facilityRoute = facilityRouteOf(policy);
  return [
    authorizedRoute("read", "catalog", {
      method: "get",
      path: "/products",
      operationId: "listProducts",
      summary: "List loan products",
      tags: ["facilities"],
      auth: ["bank_officer", "regulator", "borrower"],
      query: pageQuery(),
      responses: { 200: { description: "the products (rules as data)", schema: ProductList } },
      handler: async ({ query }) => ({ body: pageOfList(catalog.products, query, (p) => `${p.id}@${p.version}`) }),
    }),
    authorizedRoute("write", "institutional", {
      method: "post",
      path: "/facilities",
      operationId: "createFacility",
      summary: "Create a quality loan facility with its payment plan",
      tags: ["facilities"],
      auth: ["bank_officer"],
      body: CreateFacilityBody,
      responses: {
        ...chainCreateResponses(CreatedFacility, "created on chain", "accepted; the chain write is on its way"),
        409: { description: "the credit code is another borrower account's, or the account has another credit code" },
        422: { description: "plan under the quality floor, over the limit, unknown payee, or no grade" },
      },
      handler: async ({ principal, body }) => {
        const { facility, txHash } = await facilities.create(principal!, body);
        return { status: facility.facilityId === null ? 202 : 201, body: { ...presentRow(facility), txHash } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/facilities",
      operationId: "listFacilities",
      summary: "List facilities, each with its status on chain",
      tags: ["facilities"],
      auth: ["bank_officer", "regulator", "borrower", "fiscal"],
      query: z.object({ borrower: z.string().optional(), ...pageQuery().shape }),
      responses: { 200: { description: "facilities, in the order applied for", schema: FacilityList } },
      handler: async ({ query, principal }) => {
        const page = await facilities.page(policy.facilityWhere(principal!), query);
        // The chain is the authority on a created facility's status (FROZEN, CLOSED): read there, in this request.
        const onChain = await facilities.statusesOnChain(
          page.items.flatMap((r) => (r.facilityId === null ? [] : [r.facilityId])),
        );
        const items = page.items.map((r) => ({
          ...presentRow(r),
          status: r.facilityId === null ? r.status : (onChain.get(r.facilityId) ?? r.status),
        }));
        return { body: { ...page, items } };
      },
    }),
    facilityRoute("read", {
      method: "get",
      path: "/facilities/:id",
      operationId: "getFacility",
      summary: "Get a facility: terms, chain state and payment plan",
      tags: ["facilities"],
      auth: ["bank_officer", "regulator", "borrower"],
      responses: { 200: { description: "the facility", schema: FacilityDetail }, 404: NO_SUCH_FACILITY },
      handler: async ({ params }) => ({ body: await detail(params.id) }),
    }),
    facilityRoute("write", {
      method: "post",
      path: "/facilities/:id/fund",
      operationId: "fundFacility",
      summary: "Fund a facility up to its plan total (retry a failed funding; idempotent)",
      tags: ["facilities"],
      auth: ["bank_officer"],
      responses: {
        ...chainWriteResponses(FundResult, "funded on chain (or already funded)", "the funding is on its way"),
        404: NO_SUCH_FACILITY,
        409: { description: "closed, the bank node's float is short, or the chain refused the funding" },
      },
      handler: async ({ principal, params }) => {
        const { funding, txHash } = await facilities.fund(principal!, params.id);
        return {
          status: funding.status === "FUNDED" ? 200 : 202,
          body: { facilityId: params.id.toString(), funding, txHash },
        };
      },
    }),
    facilityRoute("read", {
      method: "get",
      path: "/facilities/:id/evidence",
      operationId: "listFacilityEvidence",
      summary: "List a facility's evidence with each verifier's verdict on chain",
      tags: ["facilities"],
      auth: ["bank_officer", "regulator", "borrower"],
      query: pageQuery(),
      responses: { 200: { description: "evidence", schema: EvidenceList } },
      handler: async ({ params, query }) => {
        await facilities.row(params.id); // an unknown facility is a 404, not an empty list
        const page = await facilities.evidencePage(params.id, query);
        return { body: { items: toJson(page.items), nextCursor: page.nextCursor } };
      },
    }),
  ];
}
