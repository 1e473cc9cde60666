/**
 * The authorization matrix, in one place: every route of both nodes' route sets (`routesOf`) × every principal (each
 * role, no key, an unknown key, a revoked key), the minimal valid request for each cell, and what each cell must
 * answer. test/server/authorization.test.ts runs it against apps in process; test/reliability/security.test.ts against
 * the real node processes.
 */
import { getAddress, hexlify } from "ethers";
import { randomBytes, randomUUID } from "node:crypto";
import type { z } from "zod";
import { ROLES, type Role } from "../../server/auth/roles";
import type { RouteDef } from "../../server/http/route";
import { routesOf } from "../../server/node/compose";
import { inertRouteDeps } from "./nodeParts";

export type NodeRole = "bank" | "regulator";
export type Route = RouteDef<any, any, any, any>;

// A route's method, path, roles and schemas do not depend on the services behind it, so the route sets are read once
// here from `routesOf` with inert dependencies; the nodes under test serve `routesOf` with real dependencies, and each
// test checks that both agree.
export const CATALOGUE: Record<NodeRole, Route[]> = {
  bank: routesOf("bank", inertRouteDeps()),
  regulator: routesOf("regulator", inertRouteDeps()),
};

export type Principal = { name: string; role?: Role; key: "none" | "unknown" | "revoked" | "valid" };
export const PRINCIPALS: Principal[] = [
  ...ROLES.map((role): Principal => ({ name: role, role, key: "valid" })),
  { name: "no key", key: "none" },
  { name: "unknown key", key: "unknown" },
  { name: "revoked key", key: "revoked" },
];

/**
 * The subject a matrix key of `role` is bound to: borrowers and suppliers to a fresh address that is party of no
 * facility (so they own nothing the matrix names), institutions to their institution.
 */
export function matrixSubject(role: Role): { address?: string; creditCode?: string } | undefined {
  if (role === "borrower") return { address: address(), creditCode: creditCode() };
  if (role === "supplier") return { address: address() };
  return undefined;
}

/** A node's keys: one active key per role, and one revoked key per role. */
export interface MatrixKeys {
  active: Record<Role, string>;
  revoked: Record<Role, string>;
}

const hex32 = () => hexlify(randomBytes(32));
const address = () => getAddress(hexlify(randomBytes(20)));
/** An 18-character unified social credit code (Ningbo, enterprise): new each time, so no sample collides. */
const creditCode = () => `913302${randomBytes(6).toString("hex").toUpperCase()}`;

/**
 * Syntactically valid values for path parameters; each parameter takes the first its schema accepts (a document id, an
 * evidence id or batch root, facility 1 or payment 1, a payee's address, a firm's credit code).
 */
const PARAM_CANDIDATES = [() => randomUUID(), hex32, () => "1", address, creditCode];

/**
 * A valid value for each flat body field the routes have; a new required field needs an entry here, or its route a
 * whole body in BODY_SAMPLES. Every field a route's body declares and this table holds is sent, optional or not.
 */
const FIELD_SAMPLES: Record<string, () => unknown> = {
  // documents, public verification
  facilityId: () => "1",
  kind: () => "INVOICE",
  metadata: () => JSON.stringify({ invoiceNumber: `INV-${randomUUID()}` }),
  salt: hex32,
  contentHash: hex32,
  counterparty: address,
  // a bulk read of contents: a document id no one has (answered not_found)
  ids: () => [randomUUID()],
  // the regulator's registry
  type: () => "LICENSED_SUPPLIER",
  reference: () => `REF-${randomUUID()}`,
  holder: () => "Ningbo Steel Co.",
  holderCreditCode: creditCode,
  // payees
  address,
  name: () => "Ningbo Precision CNC Equipment",
  creditCode,
  category: () => "EQUIPMENT",
  licenceHash: hex32,
  reason: () => "corrective action verified on site",
  // reviews and joint decisions
  periodFrom: () => "2026-01-01T00:00:00.000Z",
  periodTo: () => "2026-03-31T23:59:59.000Z",
  signature: () => hexlify(randomBytes(65)),
  // repayments, subsidy payments (signatures of no one's: refused 422), withdrawals
  amount: () => "100",
  deadline: () => "4102444800",
  orderSignature: () => hexlify(randomBytes(65)),
  permitSignature: () => hexlify(randomBytes(65)),
  // spot checks
  result: () => "PASS",
  reportNumber: () => `SC-2026-${randomBytes(3).toString("hex").toUpperCase()}`,
  findings: () => "welds and coatings conform to the drawings",
  inspector: () => "Ningbo AMR, quality inspection unit 3",
};

/** One firm of the white list, as JSON and as a CSV row. */
const whiteListFirm = () => ({
  creditCode: creditCode(),
  name: "Ningbo Yongxin Bearings",
  grade: "B",
  credit: 82,
  management: 77,
  brand: 70,
  foundation: 85,
  innovation: 74,
});
let whiteListImports = 0;

/** Whole bodies, by operation id, for routes whose body is more than flat fields. */
const BODY_SAMPLES: Record<string, () => Record<string, unknown>> = {
  // Both forms of the import, by turns.
  importWhiteList: () => {
    const firm = whiteListFirm();
    return whiteListImports++ % 2 === 0
      ? { source: "regulator white list 2026Q1", entries: [firm] }
      : { csv: `${Object.keys(firm).join(",")}\n${Object.values(firm).join(",")}\n` };
  },
  // Entries the regulator node sends the bank node; the signature is no one's, so the bank refuses it (422).
  receiveWhiteList: () => ({
    source: "regulator white list 2026Q1",
    entries: [
      {
        ...whiteListFirm(),
        publishedAt: new Date().toISOString(),
        root: hex32(),
        proof: [hex32()],
        signature: hexlify(randomBytes(65)),
      },
    ],
  }),
  // A payment request may name the evidence it consumes; without, the pre-flight picks.
  requestPayment: () => ({}),
  // One entry for the one file a cell sends.
  uploadDocuments: () => ({
    documents: JSON.stringify([
      { facilityId: "1", kind: "INVOICE", metadata: { invoiceNumber: `INV-${randomUUID()}` } },
    ]),
  }),
  // A plan over the product's quality floor; its payees are not registered, so the bank refuses it (422).
  createFacility: () => ({
    productId: "yongzhidai",
    borrower: address(),
    borrowerName: "Ningbo Yongxin Bearings",
    creditCode: creditCode(),
    grade: "C",
    creditLimit: "1000000000",
    termMonths: 12,
    appliedAt: new Date().toISOString(),
    plan: [
      {
        payee: address(),
        category: "EQUIPMENT",
        amount: "400000000",
        qualityPurpose: true,
        requiredEvidence: ["PURCHASE_CONTRACT", "INVOICE"],
        description: "CNC machining centre",
      },
      {
        payee: address(),
        category: "MATERIALS",
        amount: "300000000",
        qualityPurpose: false,
        requiredEvidence: ["DELIVERY_NOTE"],
      },
    ],
  }),
};

export function fillPath(route: Route): string {
  const names = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1]);
  const values: Record<string, string> = {};
  for (const name of names) {
    const accepted = PARAM_CANDIDATES.map((candidate) => candidate()).find((value) => {
      if (!route.params) return true;
      const result = route.params.safeParse({ ...values, [name]: value });
      return result.success || !result.error.issues.some((issue) => issue.path[0] === name);
    });
    if (accepted === undefined) throw new Error(`no candidate value fits :${name} of ${route.operationId}`);
    values[name] = accepted;
  }
  return route.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => encodeURIComponent(values[name]));
}

export function sampleBody(route: Route): Record<string, unknown> | undefined {
  if (!route.body) return undefined;
  let body: Record<string, unknown>;
  if (route.operationId in BODY_SAMPLES) body = BODY_SAMPLES[route.operationId]();
  else {
    const shape = (route.body as unknown as z.ZodObject).shape as Record<string, unknown>;
    body = Object.fromEntries(
      Object.keys(shape)
        .filter((field) => field in FIELD_SAMPLES)
        .map((field) => [field, FIELD_SAMPLES[field]()]),
    );
  }
  const parsed = route.body.safeParse(body);
  if (!parsed.success) {
    throw new Error(
      `the sample body of ${route.operationId} is invalid (${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}): add the field to FIELD_SAMPLES, or the body to BODY_SAMPLES`,
    );
  }
  return body;
}

/** What a cell answered: the status, the problem's code and the start of the body (for failure messages). */
export interface CellAnswer {
  status: number;
  code?: string;
  text: string;
}

/**
 * One cell: the route called at `baseUrl` by the principal with a minimal valid request. A revoked key is one of a
 * role the route allows, so only the revocation can refuse it.
 */
export async function callCell(baseUrl: string, route: Route, principal: Principal, keys: MatrixKeys) {
  const allowedRole = route.auth === "public" ? "bank_officer" : route.auth[0];
  const key =
    principal.key === "valid"
      ? keys.active[principal.role!]
      : principal.key === "revoked"
        ? keys.revoked[allowedRole]
        : principal.key === "unknown"
          ? `qfm_${randomBytes(32).toString("base64url")}`
          : undefined;
  return sendRequest(baseUrl, route, key, fillPath(route), sampleBody(route));
}

/** Sends `route` at `path` with `key` (if any) and `fields` as its JSON body or its multipart form with one PDF. */
export async function sendRequest(
  baseUrl: string,
  route: Route,
  key: string | undefined,
  path: string,
  fields: Record<string, unknown> | undefined,
): Promise<CellAnswer & { json?: any }> {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  let body: BodyInit | undefined;
  if (route.upload) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields ?? {})) form.append(name, String(value));
    const pdf = Buffer.from(`%PDF-1.7\n% ${randomUUID()}\n%%EOF\n`);
    form.append(route.upload.fileField, new Blob([pdf], { type: "application/pdf" }), "matrix.pdf");
    body = form;
  } else if (fields) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(fields);
  }
  const response = await fetch(`${baseUrl}${path}`, { method: route.method.toUpperCase(), headers, body });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, code: json?.code, text: text.slice(0, 300), json };
}

/**
 * What the cell must be, or why it is not: public routes and allowed roles get past authorization and their minimal
 * valid request is not refused (no 400/401/403, no 5xx); a missing, unknown or revoked key gets 401 `unauthorized`;
 * a role the route does not allow gets 403 `forbidden`. Returns undefined when the cell is right.
 */
export function judgeCell(route: Route, principal: Principal, answer: CellAnswer): string | undefined {
  const { status, code, text } = answer;
  const cell = `${principal.name}: ${status} ${code ?? ""} ${status >= 400 ? text : ""}`.trim();
  const allowed = principal.role !== undefined && route.auth !== "public" && route.auth.includes(principal.role);
  if (route.auth === "public" || allowed) {
    if ([400, 401, 403].includes(status) || status >= 500) return `expected no 400/401/403/5xx — ${cell}`;
  } else if (principal.key !== "valid") {
    if (status !== 401 || code !== "unauthorized") return `expected 401 unauthorized — ${cell}`;
  } else if (status !== 403 || code !== "forbidden") {
    return `expected 403 forbidden — ${cell}`;
  }
  return undefined;
}

/** Runs one route's row of the matrix; returns the failed cells (empty when every cell is right). */
export async function checkRoute(baseUrl: string, route: Route, keys: MatrixKeys): Promise<string[]> {
  const failures: string[] = [];
  for (const principal of PRINCIPALS) {
    const failure = judgeCell(route, principal, await callCell(baseUrl, route, principal, keys));
    if (failure) failures.push(failure);
  }
  return failures;
}

/** How a route is named in test titles: `POST /payees (bank_officer)`. */
export function routeTitle(route: Route): string {
  return `${route.method.toUpperCase()} ${route.path} (${route.auth === "public" ? "public" : route.auth.join(", ")})`;
}
