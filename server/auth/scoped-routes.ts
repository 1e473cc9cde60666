import { FacilityParams, PaymentParams } from "../facilities/schema";
import { defineRoute, guardRoute, type RouteDef } from "../http/route";
import { authorize, type Action, type Policy, type Resource } from "./policy";

/** A route on one facility, declared without its params: they are FacilityParams. */
export type FacilityRouteDef<Q, B, H> = Omit<RouteDef<{ id: bigint }, Q, B, H>, "params">;

/**
 * Routes on one facility (`/facilities/:id/…`): the id read by FacilityParams, and the caller's access to that
 * facility (`action`; one the key may not see is a 404) decided by the policy before the handler runs, so that no
 * handler of a facility can start without it.
 */
export function facilityRouteOf(policy: Pick<Policy, "facility">) {
  return <Q = Record<string, never>, B = undefined, H = undefined>(action: Action, route: FacilityRouteDef<Q, B, H>) =>
    guardRoute(
      ({ principal, params }) => policy.facility(principal!, params.id, action),
      defineRoute({ ...route, params: FacilityParams }),
    );
}

/** A route on one entrusted payment, declared without its params: they are PaymentParams. */
export type PaymentRouteDef<Q, B, H> = Omit<RouteDef<{ id: bigint; index: number }, Q, B, H>, "params">;

/**
 * Routes on one entrusted payment (`/facilities/:id/payments/:index…`): the caller's access to that payment (a payee
 * sees only its own) decided by the policy before the handler runs.
 */
export function paymentRouteOf(policy: Pick<Policy, "payment">) {
  return <Q = Record<string, never>, B = undefined, H = undefined>(action: Action, route: PaymentRouteDef<Q, B, H>) =>
    guardRoute(
      ({ principal, params }) => policy.payment(principal!, params.id, params.index, action),
      defineRoute({ ...route, params: PaymentParams }),
    );
}

/** The answer of a facility route to a facility that does not exist or that the caller may not see. */
export const NO_SUCH_FACILITY = { description: "no such facility" };

/**
 * A route of the institutions' own business, the white list or the shared catalog: the key's `action` on `resource`
 * decided by the policy before the handler runs.
 */
export function authorizedRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined, H = undefined>(
  action: Action,
  resource: Extract<Resource, { type: "institutional" | "whiteList" | "catalog" }>["type"],
  route: RouteDef<P, Q, B, H>,
): RouteDef<P, Q, B, H> {
  return guardRoute(({ principal }) => authorize(principal!, action, { type: resource }), defineRoute(route));
}
