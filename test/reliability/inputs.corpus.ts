import fc from "fast-check";
import { Wallet, hexlify, randomBytes } from "ethers";
import { randomUUID } from "node:crypto";
import { devWallet } from "../../scripts/lib/deploy-config";
import {
  ABSENT,
  createSchemaChecker,
  faultsOf,
  propertyPaths,
  repeatedParameter,
  replaceAt,
  toJsonText,
  type Fault,
  type Operation,
} from "../helpers/openApiFaults";

/**
 * The generated half of the bad-input corpus of inputs.test.ts, derived from each node's live OpenAPI document: every
 * schema fault of every path parameter, query parameter and body field of every operation (openApiFaults.ts), random
 * JSON values in every body field (fast-check, only those the document forbids), the body as a whole (missing, not
 * JSON, another media type), and well-formed ids that name nothing. Also what the corpus seeds, and a valid input for
 * each operation, of which it breaks one thing at a time.
 */

export type NodeName = "bank" | "regulator";

/** One bad request and what the node must answer. */
export interface Case {
  node: NodeName;
  /** The operationId it targets, for the counts. */
  operation: string;
  /** A schema fault kind (generated) or a hand-written category. */
  category: string;
  label: string;
  method: string;
  /** Path and query, already encoded. */
  path: string;
  headers?: Record<string, string>;
  body?: BodyInit;
  /** The API key sent, or null for none. */
  key: string | null;
  /** Any 4xx problem unless narrowed: this status, this code, a detail that includes `mentions`. */
  expect: { status?: number; code?: string; mentions?: string };
}

/** What the corpus seeds first, so that both ids that exist and ids that do not are exercised. */
export interface Seeded {
  facilityId: string;
  payee: string;
  document: { id: string; evidenceId: string; root: string; salt: string };
  approvalId: string;
  firm: string;
}

export const seededFirm = {
  creditCode: "91330206MA2AAAAA1X",
  name: "Ningbo Yongxin Bearings",
  grade: "B",
  credit: 86,
  management: 80,
  brand: 72,
  foundation: 84,
  innovation: 77,
};
export const invoiceMetadata = { supplierLicence: "91330200MA2H8K3X1Y", invoiceNumber: "INV-1" };
export const reviewPeriod = { periodFrom: "2026-01-01T00:00:00Z", periodTo: "2026-04-01T00:00:00Z" };
export const pdf = (text: string) => Buffer.from(`%PDF-1.7\n% ${text}\n%%EOF\n`);
/** A file field of a multipart body, as the schema checker sees it; the request carries a small PDF there. */
export const FILE = "(a PDF)";

/** A facility of 1,000,000.00 CNY whose one payment needs a CERTIFICATION, which the corpus never uploads. */
export function facilityBody(payee: string) {
  return {
    productId: "yongzhidai",
    borrower: devWallet("borrower").address,
    borrowerName: seededFirm.name,
    creditCode: seededFirm.creditCode,
    creditLimit: "100000000",
    termMonths: 12,
    plan: [
      {
        payee,
        category: "EQUIPMENT",
        amount: "50000000",
        qualityPurpose: true,
        requiredEvidence: ["CERTIFICATION"],
        description: "CNC grinding line",
      },
    ],
  };
}

/** A valid body for each operation that has one: the corpus breaks one thing in it at a time, never sends it whole. */
export function validBodiesOf(seeded: Seeded): Record<string, any> {
  const { facilityId, document, payee } = seeded;
  const signedOrder = {
    amount: "100",
    inFull: false,
    deadline: "4102444800",
    orderSignature: `0x${"11".repeat(65)}`,
    permitSignature: `0x${"11".repeat(65)}`,
  };
  return {
    uploadDocument: {
      facilityId,
      kind: "INVOICE",
      metadata: JSON.stringify(invoiceMetadata),
      anchor: "batch",
      file: FILE,
    },
    uploadDocuments: {
      documents: JSON.stringify([{ facilityId, kind: "INVOICE", metadata: invoiceMetadata }]),
      files: [FILE],
    },
    getDocumentContents: { ids: [document.id] },
    verifyDocument: { salt: document.salt, facilityId, kind: "INVOICE", counterparty: payee, file: FILE },
    verifyByHash: {
      contentHash: hexlify(randomBytes(32)),
      salt: document.salt,
      facilityId,
      kind: "INVOICE",
      counterparty: payee,
    },
    registerPayee: {
      address: Wallet.createRandom().address,
      name: "Zhejiang Special Alloys",
      creditCode: "91330201MA2J4L7P2Q",
      category: "MATERIALS",
      licenceHash: `0x${"cd".repeat(32)}`,
    },
    updatePayee: { name: "Ningbo Precision CNC", category: "EQUIPMENT", licenceHash: `0x${"ef".repeat(32)}` },
    deactivatePayee: { reason: "licence suspended" },
    reactivatePayee: { reason: "licence restored" },
    createFacility: facilityBody(seeded.payee),
    proposeReview: reviewPeriod,
    // The evidence the payment is to use, named (optional): the seeded invoice.
    requestPayment: { evidence: [seeded.document.id] },
    proposeUnfreeze: { reason: "re-inspection passed" },
    // The end of a loan: well formed; the signatures are no one's, so the node refuses the orders (422).
    prepareRepayment: { amount: "100" },
    repay: signedOrder,
    prepareSubsidyPayment: { amount: "100", inFull: false },
    paySubsidy: signedOrder,
    withdrawToTreasury: { amount: "100" },
    cosignApproval: { signature: `0x${"11".repeat(65)}` },
    refuseApproval: { reason: "the re-inspection report is not on the regulator's record" },
    importWhiteList: { source: "Ningbo AMR 2026 Q1", entries: [seededFirm] },
    // Well formed; the signature is no one's, so the bank node refuses it (422) once it has read it.
    receiveWhiteList: {
      source: "Ningbo AMR 2026 Q1",
      entries: [
        {
          ...seededFirm,
          publishedAt: "2026-07-01T00:00:00.000Z",
          root: `0x${"22".repeat(32)}`,
          proof: [],
          signature: `0x${"11".repeat(65)}`,
        },
      ],
    },
    createRegistryRecord: {
      type: "LICENSED_LAB",
      reference: "CNAS-L99999",
      holder: "Ningbo Lab",
      holderCreditCode: "12330200MB9999999X",
      data: {},
    },
    recordSpotCheck: {
      facilityId,
      result: "PASS",
      reportNumber: "SC-2026-0001",
      findings: "pass rate 99.1%",
      inspector: "Li Wei",
    },
  };
}

/** A valid value of each query parameter (to send it twice: ?limit=10&limit=10). */
function validQueryOf(seeded: Seeded): Record<string, string> {
  return {
    facilityId: seeded.facilityId,
    limit: "10",
    cursor: seeded.document.id,
    payee: seeded.payee,
    borrower: devWallet("borrower").address,
    status: "QUEUED",
    kind: "INVOICE",
    verdict: "ACCEPT",
    category: "EQUIPMENT",
    active: "true",
    grade: "B",
    type: "LICENSED_LAB",
    format: "json",
  };
}

/** The seeded thing each path parameter names, and a value of the same shape that names nothing. */
function pathValuesOf(seeded: Seeded): Record<string, { existing: string; unknown: () => string }> {
  return {
    "documents.id": { existing: seeded.document.id, unknown: randomUUID },
    "evidence.evidenceId": { existing: seeded.document.evidenceId, unknown: () => hexlify(randomBytes(32)) },
    "batches.root": { existing: seeded.document.root, unknown: () => hexlify(randomBytes(32)) },
    "facilities.id": { existing: seeded.facilityId, unknown: () => "999999" },
    "facilities.index": { existing: "0", unknown: () => "7" },
    "approvals.approvalId": { existing: seeded.approvalId, unknown: randomUUID },
    "payees.address": { existing: seeded.payee, unknown: () => Wallet.createRandom().address },
    "whitelist.creditCode": { existing: seeded.firm, unknown: () => "91330200MA2ZZZZZ9Z" },
  };
}

/** A value as a case's label shows it. */
const shown = (value: unknown) => (value === ABSENT ? "(absent)" : String(JSON.stringify(value)).slice(0, 60));

/** A multipart body: text fields (an array repeats one), and a small PDF for each FILE (none for ABSENT). */
export function multipart(fields: Record<string, unknown>): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === ABSENT) continue;
      if (item === FILE) form.append(name, new Blob([new Uint8Array(pdf(name))], { type: "application/pdf" }), "a.pdf");
      else form.append(name, String(item));
    }
  }
  return form;
}

/**
 * The generated cases for the operations of both nodes. Each is sent with a key of the first role the operation allows
 * that `keys` holds (none for a public one), so that validation, not authorization, answers.
 */
export function createCorpus({
  seeded,
  operations,
  keys,
}: {
  seeded: Seeded;
  operations: Record<NodeName, Operation[]>;
  keys: Record<NodeName, Record<string, string>>;
}) {
  const checker = createSchemaChecker();
  const validBodies = validBodiesOf(seeded);
  const validQuery = validQueryOf(seeded);
  const pathValues = pathValuesOf(seeded);

  /** The request of `operation` on `node` with `values` in its path, `query`, and `body` (its valid one by default). */
  function request(node: NodeName, operation: Operation, values: Record<string, string> = {}, query = "") {
    const resource = operation.path.split("/")[1];
    const path = operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
      const value = values[name] ?? pathValues[`${resource}.${name}`]?.existing;
      if (value === undefined) throw new Error(`no value for {${name}} of ${operation.path}`);
      return encodeURIComponent(value);
    });
    let key: string | null = null;
    if (operation.roles !== "public") {
      const role = operation.roles.find((r) => keys[node][r]);
      if (!role) throw new Error(`no key for ${operation.operationId} on the ${node} node (roles ${operation.roles})`);
      key = keys[node][role];
    }
    return {
      node,
      operation: operation.operationId,
      method: operation.method,
      path: path + query,
      key,
      ...(operation.body ? bodyOf(operation, validBodies[operation.operationId]) : {}),
    };
  }

  function bodyOf(operation: Operation, body: unknown) {
    if (body === undefined) throw new Error(`no valid body for ${operation.operationId}`);
    return operation.body!.mediaType === "multipart/form-data"
      ? { body: multipart(body as Record<string, unknown>) }
      : { body: toJsonText(body), headers: { "content-type": "application/json" } };
  }

  /**
   * What the problem's detail must name for a body fault: the field's path; an unknown property's name; a multipart
   * field's name (multer names the part when it refuses one, before any schema sees it).
   */
  function mentionOf(fault: Fault, operation: Operation): string {
    const name = String(fault.where[fault.where.length - 1]);
    if (fault.kind === "unknown property" || operation.body?.mediaType === "multipart/form-data") return name;
    return fault.where.join(".");
  }

  /** The body as a whole: missing, not JSON, or in a media type the operation does not take. */
  function bodyShapeCases(operation: Operation, base: Omit<Case, "category" | "label" | "expect">): Case[] {
    const shape = (category: string, label: string, request: Pick<Case, "body" | "headers">, expect: Case["expect"]) =>
      ({ ...base, ...request, category, label, expect }) as Case;
    const as = (type: string, body: string) => ({ body, headers: { "content-type": type } });
    const none = { body: undefined, headers: {} };
    const valid = validBodies[operation.operationId];
    const text = toJsonText(valid);
    const unsupported = { status: 415, code: "unsupported_media_type" };
    if (operation.body!.mediaType === "multipart/form-data") {
      return [
        shape("body: media type", "JSON", as("application/json", text), unsupported),
        shape("body: missing", "no body", none, unsupported),
      ];
    }
    const form = new URLSearchParams(Object.entries(valid).map(([k, v]) => [k, String(v)])).toString();
    const notJson = { ...unsupported, mentions: "application/json" };
    const cases = [
      shape("body: media type", "JSON as text/plain", as("text/plain", text), notJson),
      shape("body: media type", "a form", as("application/x-www-form-urlencoded", form), notJson),
      shape("body: not JSON", "JSON cut short", as("application/json", text.slice(0, -1)), {
        status: 400,
        code: "malformed_json",
      }),
    ];
    if (operation.body!.required)
      cases.push(shape("body: missing", "no body", none, { status: 400, mentions: "body" }));
    return cases;
  }

  return {
    /** Every schema fault of every parameter and body field of every operation of `node`. */
    generated(node: NodeName): Case[] {
      const cases: Case[] = [];
      for (const operation of operations[node]) {
        const resource = operation.path.split("/")[1];
        for (const parameter of operation.pathParams) {
          const existing = pathValues[`${resource}.${parameter.name}`]?.existing;
          const faults = faultsOf(parameter.schema, existing, {
            where: ["params", parameter.name],
            text: true,
            checker,
          });
          // An empty or dot segment would be another path, not a bad value of this one.
          for (const fault of faults.filter((f) => !["", ".", ".."].includes(f.value as string))) {
            cases.push({
              ...request(node, operation, { [parameter.name]: fault.value as string }),
              category: `path: ${fault.kind}`,
              label: `${parameter.name}=${JSON.stringify(fault.value).slice(0, 60)}`,
              expect: { status: 400, code: "validation_failed", mentions: `params.${parameter.name}` },
            });
          }
        }
        for (const parameter of operation.queryParams) {
          const faults = faultsOf(parameter.schema, undefined, {
            where: ["query", parameter.name],
            text: true,
            checker,
          });
          const sample = validQuery[parameter.name];
          const repeated = sample === undefined ? undefined : repeatedParameter(parameter, sample, checker);
          for (const fault of repeated ? [...faults, repeated] : faults) {
            const values = Array.isArray(fault.value) ? fault.value : [fault.value];
            const query = values.map((v) => `${parameter.name}=${encodeURIComponent(String(v))}`).join("&");
            cases.push({
              ...request(node, operation, {}, `?${query}`),
              category: `query: ${fault.kind}`,
              label: query.slice(0, 80),
              expect: { status: 400, code: "validation_failed", mentions: `query.${parameter.name}` },
            });
          }
        }
        if (!operation.body) continue;
        const valid = validBodies[operation.operationId];
        const text = operation.body.mediaType === "multipart/form-data";
        for (const fault of faultsOf(operation.body.schema, valid, { where: ["body"], text, checker })) {
          cases.push({
            ...request(node, operation),
            ...bodyOf(operation, replaceAt(valid, fault.where.slice(1), fault.value)),
            category: `body: ${fault.kind}`,
            label: `${fault.where.join(".")}=${shown(fault.value)}`,
            expect: { status: 400, mentions: mentionOf(fault, operation) },
          });
        }
        cases.push(...bodyShapeCases(operation, request(node, operation)));
      }
      return cases;
    },

    /**
     * Random JSON values (fast-check, from `seed`) in each field of each JSON body, keeping those the document
     * forbids: `runs` per field.
     */
    fuzzed(node: NodeName, seed: number, runs: number): Case[] {
      const arbitrary = fc.oneof(fc.jsonValue(), fc.string({ unit: "binary", maxLength: 40 }), fc.bigInt().map(String));
      const cases: Case[] = [];
      for (const operation of operations[node]) {
        if (operation.body?.mediaType !== "application/json") continue;
        const valid = validBodies[operation.operationId];
        for (const where of propertyPaths(operation.body.schema, valid)) {
          const values = fc.sample(arbitrary, { numRuns: runs * 4, seed: seed + cases.length });
          const bad = values
            .map((value) => replaceAt(valid, where, value))
            .filter((body) => !checker.isValid(operation.body!.schema, body, false))
            .slice(0, runs);
          for (const body of bad) {
            cases.push({
              ...request(node, operation),
              ...bodyOf(operation, body),
              category: "body: random value",
              label: `body.${where.join(".")}=${shown(where.reduce((at: any, k) => at?.[k], body))}`,
              expect: { status: 400, mentions: ["body", ...where].join(".") },
            });
          }
        }
      }
      return cases;
    },

    /** Each path parameter in turn set to a well-formed id that names nothing (with a valid body): 404. */
    unknownIds(node: NodeName): Case[] {
      return operations[node].flatMap((operation) => {
        const resource = operation.path.split("/")[1];
        return operation.pathParams.map((parameter) => {
          const value = pathValues[`${resource}.${parameter.name}`].unknown();
          return {
            ...request(node, operation, { [parameter.name]: value }),
            category: "unknown id",
            label: `${parameter.name}=${value}`,
            expect: { status: 404, code: "not_found", mentions: value },
          };
        });
      });
    },
  };
}
