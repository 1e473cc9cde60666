import { pageOf } from "../../domain/api/page";
import { PayeeView } from "../../domain/api/payees";
import { authorizedRoute } from "../auth/scoped-routes";
import { chainCreateResponses, chainWriteResponses, type RouteDef } from "../http/route";
import { AddressParams, PayeeFilter, ReasonBody, RegisterPayeeBody, UpdatePayeeBody } from "./schema";
import type { PayeeService } from "./service";

// payments/preflight.ts still takes the categories from here; their home is ./schema.ts (and domain/enums.ts).
export { PAYEE_CATEGORIES } from "./schema";

/** Suppliers and labs: registered on chain by the bank through the outbox (./service.ts); requests: ./schema.ts. */
export function payeeRoutes({ payees }: { payees: PayeeService }): RouteDef<any, any, any, any>[] {
  return [
    authorizedRoute("write", "institutional", {
      method: "post",
      path: "/payees",
      operationId: "registerPayee",
      summary: "Register a supplier or lab as a payee",
      tags: ["payees"],
      auth: ["bank_officer"],
      body: RegisterPayeeBody,
      responses: {
        ...chainCreateResponses(PayeeView, "registered on chain", "accepted; the chain write is still on its way"),
        409: { description: "already registered, or its credit code is another payee's" },
        422: { description: "no licence given" },
      },
      handler: async ({ body }) => payees.register(body),
    }),
    authorizedRoute("read", "catalog", {
      method: "get",
      path: "/payees",
      operationId: "listPayees",
      summary: "List payees",
      tags: ["payees"],
      auth: ["bank_officer", "regulator", "borrower", "supplier"],
      query: PayeeFilter,
      responses: { 200: { description: "payees, by name", schema: pageOf(PayeeView) } },
      handler: async ({ query }) => ({ body: await payees.list(query) }),
    }),
    authorizedRoute("write", "institutional", {
      method: "patch",
      path: "/payees/:address",
      operationId: "updatePayee",
      summary: "Update a payee's name, category or licence",
      tags: ["payees"],
      auth: ["bank_officer"],
      params: AddressParams,
      body: UpdatePayeeBody,
      responses: chainWriteResponses(PayeeView, "updated", "chain write on its way"),
      handler: async ({ params, body }) => payees.update(params.address, body),
    }),
    ...(["deactivate", "reactivate"] as const).map((action) =>
      authorizedRoute("write", "institutional", {
        method: "post",
        path: `/payees/:address/${action}`,
        operationId: `${action}Payee`,
        summary:
          action === "deactivate" ? "Deactivate a payee: no payment can go to it" : "Reactivate a deactivated payee",
        tags: ["payees"],
        auth: ["bank_officer"],
        params: AddressParams,
        body: ReasonBody(action),
        responses: {
          200: { description: "done on chain", schema: PayeeView },
          409: { description: "already in that state" },
        },
        handler: async ({ params, body }) => payees.setActive(params.address, action, body.reason),
      }),
    ),
  ];
}
