/**
 * The tenant matrix: principal × owner of the resource × route, on the bank node. Two facilities, A and B, each with
 * its own borrower and its own supplier (the payee of its payment 0; payment 1 pays a third payee who holds no key).
 * Every bank route that names a facility, a payment, a document or evidence — and the uploads, which name a facility
 * in their body — is called by each of the four tenants on A's and on B's resources: a tenant gets its own, and 404
 * for the other's (as for one that does not exist, never a 403 that would tell it exists), or 403 where its role may
 * not use the route at all. The lists (facilities, payments, documents) must hold the tenant's own and nothing else.
 * test/server/authorization.test.ts runs it in process, test/reliability/security.test.ts against the node processes.
 */
import { getAddress, hexlify, id as keccakText } from "ethers";
import { randomBytes, randomUUID } from "node:crypto";
import { CATALOGUE, sampleBody, sendRequest, type Route } from "./authorizationMatrix";

export type Party = "A" | "B";
export interface Tenant {
  name: string;
  role: "borrower" | "supplier";
  party: Party;
  address: string;
  /** The borrower's credit code (borrowers only). */
  creditCode?: string;
  /** The tenant's API key on the bank node, once issued. */
  key?: string;
}

/** What a party owns on the bank node. */
export interface Owned {
  facilityId: string;
  documentId: string;
  evidenceId: string;
}

const address = () => getAddress(hexlify(randomBytes(20)));
const creditCode = () => `913302${randomBytes(6).toString("hex").toUpperCase()}`;
const PARTIES: Party[] = ["A", "B"];

/** Four tenants with fresh addresses: borrower A, borrower B, supplier A, supplier B (keys issued by the caller). */
export function tenantsOf(): Tenant[] {
  return PARTIES.flatMap((party): Tenant[] => [
    { name: `borrower ${party}`, role: "borrower", party, address: address(), creditCode: creditCode() },
    { name: `supplier ${party}`, role: "supplier", party, address: address() },
  ]);
}

/** The subject to issue a tenant's key with (createApiKeys().issue's `subject`). */
export const subjectOf = (tenant: Tenant) => ({ address: tenant.address, creditCode: tenant.creditCode });

async function call(baseUrl: string, key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json().catch(() => undefined)) as any };
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Builds A and B on the bank node with an officer's key (the node's outbox must be running): registers the two
 * suppliers and a third payee, creates facility A (borrower A; pays supplier A, then the third payee) and B likewise,
 * waits until both are on chain, and uploads one invoice to each.
 */
export async function setUpTenancy(
  baseUrl: string,
  officerKey: string,
  tenants: Tenant[],
  timeoutMs = 120_000,
): Promise<Record<Party, Owned>> {
  const of = (role: Tenant["role"], party: Party) => tenants.find((t) => t.role === role && t.party === party)!;
  const third = address();
  const payees = [of("supplier", "A").address, of("supplier", "B").address, third];
  for (const payee of payees) {
    const registered = await call(baseUrl, officerKey, "POST", "/payees", {
      address: payee,
      name: `Tenant matrix supplier ${payee.slice(2, 8)}`,
      creditCode: creditCode(),
      category: "EQUIPMENT",
      licenceHash: keccakText(`licence:${payee}`),
    });
    if (registered.status !== 201 && registered.status !== 202)
      throw new Error(`registering payee ${payee}: ${registered.status} ${JSON.stringify(registered.body)}`);
  }
  await until(
    "the payees on chain",
    async () => {
      const { body } = await call(baseUrl, officerKey, "GET", "/payees");
      const confirmed = (body?.items ?? []).filter(
        (p: any) => payees.includes(p.address) && p.chainStatus === "CONFIRMED",
      );
      return confirmed.length === payees.length ? true : undefined;
    },
    timeoutMs,
  );
  const owned = {} as Record<Party, Owned>;
  for (const party of PARTIES) {
    const borrower = of("borrower", party);
    const payment = { category: "EQUIPMENT", qualityPurpose: true, requiredEvidence: ["INVOICE"] };
    const created = await call(baseUrl, officerKey, "POST", "/facilities", {
      productId: "yongzhidai",
      borrower: borrower.address,
      borrowerName: `Tenant matrix borrower ${party}`,
      creditCode: borrower.creditCode,
      grade: "C",
      creditLimit: "1000000000",
      termMonths: 12,
      plan: [
        { ...payment, payee: of("supplier", party).address, amount: "400000000", description: "own supplier" },
        { ...payment, payee: third, amount: "100000000", description: "a payee with no key" },
      ],
    });
    if (created.status !== 201 && created.status !== 202)
      throw new Error(`creating facility ${party}: ${created.status} ${JSON.stringify(created.body)}`);
    const facilityId = await until(
      `facility ${party} on chain`,
      async () => {
        const { body } = await call(baseUrl, officerKey, "GET", "/facilities");
        const row = (body?.items ?? []).find((f: any) => f.applicationId === created.body.applicationId);
        return (row?.facilityId as string | null) ?? undefined;
      },
      timeoutMs,
    );
    const form = new FormData();
    form.append("facilityId", facilityId);
    form.append("kind", "INVOICE");
    // Both payments require an invoice: the invoice names the payee it is with, the facility's own supplier.
    form.append("counterparty", of("supplier", party).address);
    form.append("metadata", JSON.stringify({ invoiceNumber: `INV-${randomUUID()}` }));
    form.append(
      "file",
      new Blob([`%PDF-1.7\n% tenant ${party} ${randomUUID()}\n%%EOF\n`], { type: "application/pdf" }),
    );
    const response = await fetch(`${baseUrl}/documents`, {
      method: "POST",
      headers: { authorization: `Bearer ${officerKey}` },
      body: form,
    });
    const document = (await response.json()) as any;
    if (response.status !== 201) throw new Error(`uploading to facility ${party}: ${JSON.stringify(document)}`);
    owned[party] = { facilityId, documentId: document.id, evidenceId: document.evidenceId };
  }
  return owned;
}

/** The bank routes that name one facility's resource in their path, or a facility in their body (the uploads). */
export const TENANT_ROUTES: Route[] = CATALOGUE.bank.filter(
  (route) => /:(id|evidenceId)\b/.test(route.path) || (route.upload !== undefined && route.auth !== "public"),
);
/** The bank's lists a tenant may be served, each narrowed to what it is party of. */
export const TENANT_LISTS = ["listFacilities", "listEntrustedPayments", "listDocuments"];

const isPaymentRoute = (route: Route) => route.path.includes(":index");
/** The borrower's repayment routes: a tenant reaches its own facility's, and the amounts decide the rest. */
const SETTLEMENT = /\/repayments(\/order)?$/;

/** A route's request for a resource of `owned`: its path, and its body naming that facility. */
function requestFor(route: Route, owned: Owned, index: number) {
  const path = route.path
    .replace(":id", route.path.startsWith("/documents") ? owned.documentId : owned.facilityId)
    .replace(":index", String(index))
    .replace(":evidenceId", owned.evidenceId);
  const fields = sampleBody(route);
  if (fields && "facilityId" in fields) fields.facilityId = owned.facilityId;
  if (fields && typeof fields.documents === "string")
    fields.documents = JSON.stringify(
      (JSON.parse(fields.documents) as Array<Record<string, unknown>>).map((d) => ({
        ...d,
        facilityId: owned.facilityId,
      })),
    );
  return { path, fields };
}

/**
 * What a cell must answer: 403 for a role the route does not allow; for the tenant's own resource, what the owner
 * gets (2xx; a proof may still be 409 not anchored; an upload anything but 404/5xx, the upload's own rules decide);
 * for the other tenant's, or a payment of its facility to another payee, 404 not_found.
 */
function judge(route: Route, tenant: Tenant, own: boolean, answer: { status: number; code?: string; text: string }) {
  const cell = `${tenant.name} on ${own ? "its own" : "the other's"}: ${answer.status} ${answer.code ?? ""} ${answer.text}`;
  if (route.auth === "public") return undefined;
  if (!route.auth.includes(tenant.role))
    return answer.status === 403 && answer.code === "forbidden" ? undefined : `expected 403 forbidden — ${cell}`;
  if (!own)
    return answer.status === 404 && answer.code === "not_found" ? undefined : `expected 404 not_found — ${cell}`;
  if (route.upload) return answer.status !== 404 && answer.status < 500 ? undefined : `expected no 404/5xx — ${cell}`;
  // A repayment's amount decides past the policy (the matrix's facilities owe nothing yet: 422).
  if (SETTLEMENT.test(route.path))
    return answer.status !== 403 && answer.status !== 404 && answer.status < 500
      ? undefined
      : `expected no 403/404/5xx — ${cell}`;
  if (answer.status < 300 || (route.path.endsWith("/proof") && answer.status === 409)) return undefined;
  return `expected the owner's 2xx — ${cell}`;
}

/** Runs one route's rows of the tenant matrix; returns the failed cells and how many cells there were. */
export async function checkTenantRoute(baseUrl: string, route: Route, tenants: Tenant[], owned: Record<Party, Owned>) {
  const failures: string[] = [];
  let cells = 0;
  for (const tenant of tenants) {
    for (const party of PARTIES) {
      for (const index of isPaymentRoute(route) ? [0, 1] : [0]) {
        const { path, fields } = requestFor(route, owned[party], index);
        const answer = await sendRequest(baseUrl, route, tenant.key, path, fields);
        // A supplier's own payment is payment 0 of its facility; payment 1 pays another payee.
        const own = tenant.party === party && (tenant.role === "borrower" || !isPaymentRoute(route) || index === 0);
        const failure = judge(route, tenant, own, answer);
        if (failure)
          failures.push(`${route.method.toUpperCase()} ${path}${index ? ` (payment ${index})` : ""}: ${failure}`);
        cells++;
      }
    }
  }
  return { failures, cells };
}

/** Each tenant's view of the bank's lists: its own facility's items only (403 where its role may not list). */
export async function checkTenantLists(baseUrl: string, tenants: Tenant[], owned: Record<Party, Owned>) {
  const failures: string[] = [];
  let cells = 0;
  for (const operationId of TENANT_LISTS) {
    const route = CATALOGUE.bank.find((r) => r.operationId === operationId)!;
    for (const tenant of tenants) {
      cells++;
      const answer = await sendRequest(baseUrl, route, tenant.key, route.path, undefined);
      const where = `${operationId} as ${tenant.name}`;
      if (route.auth === "public" || !route.auth.includes(tenant.role)) {
        if (answer.status !== 403) failures.push(`${where}: expected 403, got ${answer.status}`);
        continue;
      }
      if (answer.status !== 200) {
        failures.push(`${where}: expected 200, got ${answer.status} ${answer.text}`);
        continue;
      }
      const items = answer.json.items as Array<Record<string, string>>;
      const mine = owned[tenant.party];
      const foreign = items.filter((item) => item.facilityId !== mine.facilityId);
      if (foreign.length > 0)
        failures.push(`${where}: lists facilities ${[...new Set(foreign.map((i) => i.facilityId))].join(", ")}`);
      if (operationId === "listEntrustedPayments") {
        const others = items.filter((item) => item.payee !== tenant.address);
        if (others.length > 0) failures.push(`${where}: lists ${others.length} payment(s) to other payees`);
      }
      if (operationId === "listDocuments" && !items.some((item) => item.id === mine.documentId))
        failures.push(`${where}: misses its own document`);
      if (operationId !== "listDocuments" && items.length === 0) failures.push(`${where}: misses its own facility`);
    }
  }
  return { failures, cells };
}
