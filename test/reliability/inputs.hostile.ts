import { Signature, Wallet, toBeHex } from "ethers";
import { randomBytes, randomUUID } from "node:crypto";
import { RawNumber, toJsonText } from "../helpers/openApiFaults";
import { reviewPeriod, seededFirm, validBodiesOf, type Case, type NodeName, type Seeded } from "./inputs.corpus";

/**
 * The hand-written half of the bad-input corpus of inputs.test.ts: hostile or malformed input that no schema describes
 * — broken JSON and encodings, prototype pollution, numbers beyond 2^53, bad address checksums, EIP-712 signatures of
 * the wrong length, control characters, SQL-ish strings, malformed path ids, input well formed but wrong for the
 * state, and requests without a valid key (refused before their input is read). Uploads are in inputs.uploads.ts.
 */

const BEYOND_2_53 = new RawNumber("9007199254740993");
/** secp256k1's group order: s and n - s sign the same message, and only the low one is canonical. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const WHITE_LIST_HEADER = "creditCode,name,grade,credit,management,brand,foundation,innovation";

/** Any 400, naming `field` in the detail. */
export const bad = (field: string) => ({ status: 400, mentions: field });
export const problem = (status: number, code?: string, mentions?: string) => ({ status, code, mentions });

/** A JSON request; `body` is sent as written when it is a string. */
export const json = (body: unknown, headers: Record<string, string> = {}) => ({
  body: typeof body === "string" ? body : toJsonText(body),
  headers: { "content-type": "application/json", ...headers },
});

export type Target = Pick<Case, "node" | "operation" | "method" | "path" | "key">;

/**
 * Writes hand-written cases into `cases`: `bank(...)` and `regulator(...)` name an operation (with the key of a role it
 * allows unless another is given), and `section(category)` returns the function that adds the cases of a category.
 */
export function caseWriter(keys: Record<NodeName, Record<string, string>>) {
  const cases: Case[] = [];
  const at =
    (node: NodeName, defaultKey: string) =>
    (operation: string, method: string, path: string, key: string | null = defaultKey): Target => ({
      node,
      operation,
      method,
      path,
      key,
    });
  return {
    cases,
    bank: at("bank", keys.bank.bank_officer),
    regulator: at("regulator", keys.regulator.regulator),
    section:
      (category: string) =>
      (target: Target, label: string, expect: Case["expect"], request: Pick<Case, "body" | "headers"> = {}) =>
        cases.push({ ...target, category, label, expect, ...request }),
  };
}

/** `address` with the case of its first letter flipped: the same bytes, a checksum that no longer holds. */
function badChecksum(address: string): string {
  const i = [...address].findIndex((c, index) => index > 1 && /[a-fA-F]/.test(c));
  const c = address[i];
  return address.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + address.slice(i + 1);
}

export function hostileCases({ seeded, keys }: { seeded: Seeded; keys: Record<NodeName, Record<string, string>> }) {
  const { facilityId, payee, approvalId } = seeded;
  const officer = keys.bank.bank_officer;
  const valid = validBodiesOf(seeded);
  const { cases, bank, regulator, section } = caseWriter(keys);
  const unfreeze = bank("proposeUnfreeze", "post", `/facilities/${facilityId}/unfreeze`);
  const createFacility = bank("createFacility", "post", "/facilities");
  const registerPayee = bank("registerPayee", "post", "/payees");
  // The white list is imported on the regulator node (the bank node takes only the regulator's signed entries).
  const importWhiteList = regulator("importWhiteList", "post", "/whitelist/import");
  const createRecord = regulator("createRegistryRecord", "post", "/registry/records");
  const spotCheck = regulator("recordSpotCheck", "post", "/spot-checks");
  const facility = valid.createFacility;
  const payment = facility.plan[0];

  let add = section("JSON syntax");
  const malformed = problem(400, "malformed_json");
  add(unfreeze, "cut short", malformed, json('{"reason": '));
  add(unfreeze, "single quotes", malformed, json("{'reason': 'x'}"));
  add(unfreeze, "a trailing comma", malformed, json('{"reason": "x",}'));
  add(unfreeze, "a comment", malformed, json('{"reason": "x" /* why */}'));
  add(unfreeze, "two documents", malformed, json('{"reason": "x"}{"reason": "y"}'));
  add(unfreeze, "an unquoted key", malformed, json("{reason: 1}"));
  add(createFacility, "NaN", malformed, json('{"creditLimit": NaN}'));
  add(createFacility, "Infinity", malformed, json('{"creditLimit": Infinity}'));
  add(registerPayee, "a byte-order mark before {}", problem(400), json("\ufeff{}"));
  add(unfreeze, "a duplicate key, the last empty", bad("body.reason"), json('{"reason": "ok", "reason": ""}'));
  const deep = `{"reason": ${"[".repeat(50_000)}${"]".repeat(50_000)}}`;
  add(unfreeze, "50,000 nested arrays for a string", bad("body.reason"), json(deep));

  add = section("encoding");
  add(unfreeze, "gzip that is not gzip", problem(400), json('{"reason": "x"}', { "content-encoding": "gzip" }));
  const unsupportedEncoding = problem(415, "unsupported_encoding");
  add(unfreeze, "an unknown encoding", unsupportedEncoding, json('{"reason": "x"}', { "content-encoding": "snappy" }));
  add(
    unfreeze,
    "latin1",
    unsupportedEncoding,
    json('{"reason": "x"}', { "content-type": "application/json; charset=latin1" }),
  );
  add(
    unfreeze,
    "over the JSON size limit",
    problem(413, "payload_too_large"),
    json({ reason: "x".repeat(300 * 1024) }),
  );

  // A field smuggled inside __proto__ or constructor is no field; at the top level either is an unknown field.
  add = section("prototype pollution");
  add(unfreeze, "reason inside __proto__", bad("body.reason"), json('{"__proto__": {"reason": "smuggled"}}'));
  add(
    unfreeze,
    "reason inside constructor.prototype",
    bad("body.reason"),
    json('{"constructor": {"prototype": {"reason": "x"}}}'),
  );
  add(
    createRecord,
    "holder inside __proto__",
    bad("body.holder"),
    json('{"type": "LICENSED_LAB", "reference": "R-1", "__proto__": {"holder": "x"}}'),
  );
  const facilityText = toJsonText(facility);
  const prefixed = (text: string, member: string) => text.replace(/^\{/, `{${member}, `);
  add(
    createFacility,
    "__proto__.isAdmin on a valid facility",
    bad("__proto__"),
    json(prefixed(facilityText, '"__proto__": {"isAdmin": true}')),
  );
  add(
    createFacility,
    "constructor.prototype on a valid facility",
    bad("constructor"),
    json(prefixed(facilityText, '"constructor": {"prototype": {"x": 1}}')),
  );
  const smuggledPurpose = facilityText.replace('"qualityPurpose":true', '"__proto__": {"qualityPurpose": true}');
  add(
    createFacility,
    "a payment's qualityPurpose inside __proto__",
    bad("body.plan.0.qualityPurpose"),
    json(smuggledPurpose),
  );
  const firm = toJsonText({ entries: [{ ...seededFirm, grade: undefined }] });
  add(
    importWhiteList,
    "a firm's grade inside __proto__",
    bad("grade"),
    json(firm.replace('{"creditCode"', '{"__proto__": {"grade": "A"}, "creditCode"')),
  );

  // Numbers beyond 2^53 have lost digits in JSON.parse: ids and fen must come as decimal strings then.
  add = section("beyond 2^53");
  add(createFacility, "creditLimit 2^53 + 1", bad("body.creditLimit"), json({ ...facility, creditLimit: BEYOND_2_53 }));
  add(
    createFacility,
    "a payment of 2^53 + 1 fen",
    bad("body.plan.0.amount"),
    json({ ...facility, plan: [{ ...payment, amount: BEYOND_2_53 }] }),
  );
  add(
    bank("verifyByHash", "post", "/verify", null),
    "facilityId 2^53 + 1",
    bad("body.facilityId"),
    json({ ...valid.verifyByHash, facilityId: BEYOND_2_53 }),
  );
  add(
    spotCheck,
    "facilityId 2^53 + 1",
    bad("body.facilityId"),
    json({ ...valid.recordSpotCheck, facilityId: BEYOND_2_53 }),
  );
  add(
    createFacility,
    "termMonths 1e400",
    bad("body.termMonths"),
    json({ ...facility, termMonths: new RawNumber("1e400") }),
  );

  add = section("address");
  const fresh = valid.registerPayee.address as string;
  add(
    registerPayee,
    "a bad EIP-55 checksum",
    bad("checksum"),
    json({ ...valid.registerPayee, address: badChecksum(fresh) }),
  );
  add(registerPayee, "no 0x prefix", bad("body.address"), json({ ...valid.registerPayee, address: fresh.slice(2) }));
  add(
    registerPayee,
    "the ICAP form",
    bad("body.address"),
    json({ ...valid.registerPayee, address: "XE7338O073KYGTWWZN0F2WZ0R8PX5ZPPZS" }),
  );
  add(
    createFacility,
    "a borrower with a bad checksum",
    bad("body.borrower"),
    json({ ...facility, borrower: badChecksum(facility.borrower) }),
  );
  add(
    bank("updatePayee", "patch", `/payees/${badChecksum(payee)}`),
    "a path with a bad checksum",
    bad("params.address"),
    json(valid.updatePayee),
  );
  add(
    bank("listEntrustedPayments", "get", `/payments?payee=${badChecksum(payee)}`),
    "a filter with a bad checksum",
    bad("query.payee"),
  );
  const zero = "0x0000000000000000000000000000000000000000";
  add(
    createFacility,
    "a plan paying the zero address",
    problem(422, "invalid_plan", "not a registered payee"),
    json({ ...facility, plan: [{ ...payment, payee: zero }] }),
  );

  add = section("signature");
  const cosign = bank("cosignApproval", "post", `/approvals/${approvalId}/signatures`, keys.bank.regulator);
  const otherMessage = Wallet.createRandom().signMessageSync("not the approval");
  for (const [label, signature] of [
    ["64 bytes", `0x${"11".repeat(64)}`],
    ["66 bytes", `0x${"11".repeat(66)}`],
    ["no 0x", otherMessage.slice(2)],
    ["an odd number of hex digits", `${otherMessage}1`],
    ["65 bytes that are not hex", `0x${"zz".repeat(65)}`],
    ["empty", ""],
  ])
    add(cosign, label, bad("body.signature"), json({ signature }));
  add(cosign, "65 bytes of noise", problem(422, "invalid_signature"), json({ signature: `0x${"11".repeat(65)}` }));
  add(
    cosign,
    "a signature of another message",
    problem(422, "signer_not_regulator"),
    json({ signature: otherMessage }),
  );
  const { r, s, v } = Signature.from(otherMessage);
  const highS = `${r}${toBeHex(SECP256K1_N - BigInt(s), 32).slice(2)}${v === 27 ? "1c" : "1b"}`;
  add(cosign, "the high-s twin of a signature", problem(422), json({ signature: highS }));

  // PostgreSQL cannot store NUL; a lone surrogate is not text (it would be stored as U+FFFD).
  add = section("unicode");
  add(
    registerPayee,
    "a NUL in a name",
    bad("body.name"),
    json({ ...valid.registerPayee, name: "Zhejiang\u0000Alloys" }),
  );
  const surrogate = toJsonText({ ...valid.registerPayee, name: "Alloys HALF" }).replace("HALF", "\\ud83d");
  add(registerPayee, "a lone surrogate in a name", bad("body.name"), json(surrogate));
  add(
    registerPayee,
    "a name of ideographic spaces",
    bad("body.name"),
    json({ ...valid.registerPayee, name: "\u3000\u3000" }),
  );
  add(
    createFacility,
    "an escape sequence in a name",
    bad("body.borrowerName"),
    json({ ...facility, borrowerName: "Yongxin\u001b[31m" }),
  );
  add(
    unfreeze,
    "a C1 control character in a reason",
    bad("body.reason"),
    json({ reason: "re-inspection\u0085passed" }),
  );
  add(
    createRecord,
    "a NUL in a holder",
    bad("body.holder"),
    json({ ...valid.createRegistryRecord, holder: "Ningbo\u0000Lab" }),
  );
  add(
    spotCheck,
    "a NUL in findings",
    bad("body.findings"),
    json({ ...valid.recordSpotCheck, findings: "pass rate\u000091%" }),
  );
  add(
    importWhiteList,
    "a NUL in a firm's name",
    bad("body.entries.0.name"),
    json({ entries: [{ ...seededFirm, name: "Yongxin\u0000" }] }),
  );

  add = section("SQL-ish");
  const sql = (text: string) => encodeURIComponent(text);
  add(
    registerPayee,
    "a credit code with DROP TABLE",
    bad("body.creditCode"),
    json({ ...valid.registerPayee, creditCode: "91330201MA2J4L7P2Q'; DROP TABLE Payee; --" }),
  );
  add(bank("listDocuments", "get", `/documents?kind=${sql("INVOICE' OR '1'='1")}`), "a kind filter", bad("query.kind"));
  add(bank("getFacility", "get", `/facilities/${sql("1 OR 1=1")}`), "a facility id", bad("params.id"));
  add(
    regulator("listRegistryRecords", "get", `/registry/records?type=${sql("LICENSED_LAB' --")}`),
    "a type filter",
    bad("query.type"),
  );

  add = section("path id");
  const getDocument = (id: string) => bank("getDocument", "get", `/documents/${id}`);
  add(getDocument("%E0%A4%A"), "a malformed percent-encoding", problem(400, "bad_request"));
  add(getDocument("%00"), "a NUL", bad("params.id"));
  add(getDocument("a".repeat(8_000)), "8,000 characters", bad("params.id"));
  add(getDocument("%252e%252e%252fetc%252fpasswd"), "a double-encoded traversal", bad("params.id"));
  add(bank("getFacility", "get", "/facilities/18446744073709551616"), "2^64", bad("params.id"));
  const readiness = (index: string) =>
    bank("getPaymentReadiness", "get", `/facilities/${facilityId}/payments/${index}/readiness`);
  add(readiness("64"), "payment 64", bad("params.index"));
  add(readiness("-0"), "payment -0", bad("params.index"));

  // Well formed but wrong for the state: refused with the reason, and nothing is written.
  add = section("state");
  add(
    createFacility,
    "a plan over the limit",
    problem(422, "plan_exceeds_limit"),
    json({ ...facility, plan: [{ ...payment, amount: "100000001" }] }),
  );
  add(
    createFacility,
    "a plan under the quality floor",
    problem(422, "quality_share_below_floor"),
    json({ ...facility, plan: [{ ...payment, qualityPurpose: false }] }),
  );
  add(
    createFacility,
    "an unknown product",
    problem(422, "unknown_product"),
    json({ ...facility, productId: "no-such-product" }),
  );
  add(
    createFacility,
    "a plan paying the borrower",
    problem(422, "invalid_plan"),
    json({ ...facility, plan: [{ ...payment, payee: facility.borrower }] }),
  );
  add(
    registerPayee,
    "a payee registered already",
    problem(409, "payee_already_registered"),
    json({ ...valid.registerPayee, address: payee }),
  );
  const noLicence = { ...valid.registerPayee, licenceHash: undefined };
  add(
    registerPayee,
    "a licence document that does not exist",
    problem(422, "licence_document_not_found"),
    json({ ...noLicence, licenceDocumentId: randomUUID() }),
  );
  add(registerPayee, "no licence at all", problem(422, "licence_missing"), json(noLicence));
  add(
    bank("reactivatePayee", "post", `/payees/${payee}/reactivate`),
    "an active payee",
    problem(409, "payee_already_active"),
    json({}),
  );
  add(unfreeze, "a facility that is not frozen", problem(409, "facility_not_frozen"), json(valid.proposeUnfreeze));
  add(
    bank("requestPayment", "post", `/facilities/${facilityId}/payments/0`),
    "a payment without its evidence",
    problem(409, "evidence_missing"),
  );
  const proposeReview = bank("proposeReview", "post", `/facilities/${facilityId}/reviews`);
  add(proposeReview, "a second review while one awaits", problem(409, "approval_pending"), json(reviewPeriod));
  const { periodFrom, periodTo } = reviewPeriod;
  add(
    proposeReview,
    "a period that ends before it starts",
    bad("body.periodTo"),
    json({ periodFrom: periodTo, periodTo: periodFrom }),
  );
  add(
    proposeReview,
    "a period that ends as it starts",
    bad("body.periodTo"),
    json({ periodFrom, periodTo: periodFrom }),
  );
  add(
    spotCheck,
    "a facility that does not exist",
    problem(404, "not_found", "999999"),
    json({ ...valid.recordSpotCheck, facilityId: "999999" }),
  );
  const existingRecord = {
    type: "LICENSED_SUPPLIER",
    reference: "91330200MA2H8K3X1Y",
    holder: "again",
    holderCreditCode: "91330200MA2H8K3X1Y",
  };
  add(createRecord, "a record that exists", problem(409, "registry_record_exists"), json(existingRecord));
  add(
    importWhiteList,
    "entries and csv both",
    problem(400),
    json({ entries: [seededFirm], csv: `${WHITE_LIST_HEADER}\n` }),
  );
  add(importWhiteList, "neither entries nor csv", problem(400), json({ source: "nothing" }));
  add(
    importWhiteList,
    "a CSV header without the scores",
    problem(400, "invalid_white_list"),
    json({ csv: "creditCode,name\nX,Y\n" }),
  );
  for (const [label, credit] of [
    ["an empty score", ""],
    ["a score of 1e2", "1e2"],
    ["a score in hex", "0x10"],
  ])
    add(
      importWhiteList,
      `a CSV row with ${label}`,
      bad("rows.1.credit"),
      json({ csv: `${WHITE_LIST_HEADER}\n${seededFirm.creditCode},Yongxin,B,${credit},80,72,84,77\n` }),
    );

  // Without a valid key, or with a role the operation does not allow, a bad input is refused before it is read.
  add = section("no key");
  const unauthorized = problem(401, "unauthorized");
  const bogus = `qfm_${randomBytes(32).toString("base64url")}`;
  add({ ...createFacility, key: null }, "a bad facility", unauthorized, json({ creditLimit: -1 }));
  add(bank("updatePayee", "patch", "/payees/0x123", null), "a bad payee path", unauthorized, json({ name: "" }));
  add(bank("listDocuments", "get", "/documents?limit=0", null), "a bad query", unauthorized);
  add({ ...cosign, key: bogus }, "an unknown key", unauthorized, json({ signature: "0x" }));
  const basic = `Basic ${Buffer.from(`officer:${officer}`).toString("base64")}`;
  add({ ...registerPayee, key: null }, "Basic instead of Bearer", unauthorized, json({}, { authorization: basic }));
  add(
    { ...createFacility, key: keys.bank.regulator },
    "a regulator's key",
    problem(403, "forbidden"),
    json({ creditLimit: -1 }),
  );
  add({ ...spotCheck, key: null }, "a bad spot check", unauthorized, json({ facilityId: "x" }));
  add({ ...createRecord, key: officer }, "the bank's key at the regulator", unauthorized, json({ type: "NOPE" }));
  add(regulator("verificationQueue", "get", "/queue?facilityId=abc", null), "a bad query", unauthorized);
  return cases;
}
