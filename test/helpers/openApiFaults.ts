import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";

/**
 * Bad inputs derived from a live OpenAPI 3.1 document: for each operation, the ways a parameter or a request body can
 * break its schema (a required field missing, a wrong type, a number out of range or not whole, a string off its
 * pattern, enum or format, too long or too short, an array with too few or too many items, a property the schema does
 * not allow). Every fault is checked with Ajv to really be invalid against the document, so a 2xx answer to one means
 * the route accepts what its own document forbids.
 */

/** A JSON Schema node (the 2020-12 dialect of OpenAPI 3.1) with its $refs resolved. */
export type Schema = { [keyword: string]: any };

export interface Parameter {
  name: string;
  required: boolean;
  schema: Schema;
}

export interface RequestBody {
  mediaType: "application/json" | "multipart/form-data";
  required: boolean;
  schema: Schema;
}

/** One operation of a node's API, as its OpenAPI document describes it. */
export interface Operation {
  operationId: string;
  method: string;
  /** The OpenAPI path template, e.g. /facilities/{id}/payments/{index}. */
  path: string;
  /** The roles the document allows, or "public". */
  roles: string[] | "public";
  pathParams: Parameter[];
  queryParams: Parameter[];
  body?: RequestBody;
}

/** A property to leave out. */
export const ABSENT = Symbol("absent");

/** A JSON number sent as written, such as 2^53 + 1, which a JavaScript number cannot hold. */
export class RawNumber {
  constructor(readonly text: string) {}
}

export type FaultKind =
  | "missing"
  | "type"
  | "range"
  | "whole number"
  | "pattern"
  | "enum"
  | "format"
  | "length"
  | "items"
  | "unknown property"
  | "repeated";

/** One way an input breaks its schema. */
export interface Fault {
  kind: FaultKind;
  /** Where the fault is, as the API names it in a problem: ["body", "plan", 0, "amount"]. */
  where: Array<string | number>;
  /** The value put there, or ABSENT. */
  value: unknown;
}

/** The operations of an OpenAPI document, with every $ref resolved. */
export function operationsOf(doc: any): Operation[] {
  const resolve = (node: any, seen: string[] = []): any => {
    if (Array.isArray(node)) return node.map((item) => resolve(item, seen));
    if (!node || typeof node !== "object") return node;
    if (typeof node.$ref === "string") {
      // A schema that contains itself (JsonValue: any JSON) constrains nothing below the first level: no fault there.
      if (seen.includes(node.$ref)) return {};
      const target = node.$ref
        .slice(2)
        .split("/")
        .reduce((at: any, part: string) => at?.[part], doc);
      return resolve(target, [...seen, node.$ref]);
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, resolve(value, seen)]));
  };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, raw] of Object.entries<any>(item)) {
      const operation = resolve(raw);
      const parameters = (operation.parameters ?? []) as Array<Parameter & { in: string }>;
      const params = (where: string) =>
        parameters
          .filter((p) => p.in === where)
          .map(({ name, required, schema }) => ({ name, required: Boolean(required), schema }));
      const content = operation.requestBody?.content ?? {};
      const mediaType = (["application/json", "multipart/form-data"] as const).find((type) => content[type]);
      const roles =
        operation.security?.length === 0
          ? "public"
          : (/Roles: ([^.]+)\./.exec(operation.description ?? "")?.[1].split(", ") ?? []);
      operations.push({
        operationId: operation.operationId,
        method,
        path,
        roles,
        pathParams: params("path"),
        queryParams: params("query"),
        body: mediaType
          ? {
              mediaType,
              required: Boolean(operation.requestBody.required),
              schema: content[mediaType].schema,
            }
          : undefined,
      });
    }
  }
  return operations;
}

/** A value of each JSON type, for the places that take another. */
const JSON_SAMPLES: unknown[] = ["text", 12345, true, null, [], {}];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
/** Strings that break a pattern in ways people and attackers write them. */
const OFF_PATTERN = ["", "✗", "' OR '1'='1' --", "../../etc/passwd", "<script>alert(1)</script>"];
/** The ways a whole number gets written that are not decimal digits. */
const NUMBER_SPELLINGS = ["-1", "1.5", "1e3", "0x10", "+1", "1,000", "1_000", "１２", "٣", "9".repeat(31)];
const fullWidth = (text: string) => text.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x21 + 0xff01));

/** Whether a multipart property is a file (or files): the request carries bytes there, not text. */
const isFile = (property: Schema) => property.format === "binary" || property.items?.format === "binary";

function typesOf(schema: Schema): string[] {
  if (schema.anyOf) return (schema.anyOf as Schema[]).flatMap(typesOf);
  return Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
}

/**
 * The candidate faults at one place of an input: `text` is true where every value is a string (path, query and
 * multipart fields), so only strings are tried there.
 */
function* faultsAt(schema: Schema, value: unknown, where: Fault["where"], text: boolean): Generator<Fault> {
  const at = (kind: FaultKind, bad: unknown, path = where): Fault => ({ kind, where: path, value: bad });
  if (schema.anyOf) {
    for (const branch of schema.anyOf as Schema[]) yield* faultsAt(branch, value, where, text);
  }
  const types = typesOf(schema);
  if (!text) for (const sample of JSON_SAMPLES) yield at("type", sample);
  else if (types.length > 0 && !types.some((type) => ["string", "object"].includes(type))) yield at("type", "abc");

  if (schema.type === "string") {
    const sample = typeof value === "string" ? value : String(schema.example ?? schema.default ?? "x");
    if (schema.minLength > 0) yield at("length", "x".repeat(schema.minLength - 1));
    if (schema.maxLength !== undefined && schema.maxLength <= 65_536) {
      yield at("length", "x".repeat(schema.maxLength + 1));
      yield at("length", "汉".repeat(schema.maxLength + 1));
    }
    if (schema.pattern) {
      for (const bad of OFF_PATTERN) yield at("pattern", bad);
      for (const bad of [`${sample}!`, sample.slice(1), fullWidth(sample), `${sample}\u200b`, `${sample}\u0000`])
        yield at("pattern", bad);
      for (const bad of [sample.toLowerCase(), sample.toUpperCase()]) yield at("pattern", bad);
      if (new RegExp(schema.pattern).test("7")) for (const bad of NUMBER_SPELLINGS) yield at("whole number", bad);
    }
    if (schema.enum) {
      const first = String(schema.enum[0]);
      for (const bad of ["NOT_AN_OPTION", first.toLowerCase(), ` ${first}`, `${first}\u0000`, first.repeat(2)])
        yield at("enum", bad);
    }
    if (schema.format === "uuid") {
      const uuid = typeof value === "string" && UUID.test(value) ? value : "0b6c9a4e-3c7e-4f6a-9d51-2f1b5e8a7c3d";
      for (const bad of ["not-a-uuid", uuid.replace(/-/g, ""), `${uuid.slice(0, -1)}g`, `${uuid}0`, "' OR 1=1 --"])
        yield at("format", bad);
    }
    if (schema.format === "date-time") {
      for (const bad of ["2026-13-01T00:00:00Z", "2026-01-01", "yesterday", "2026-01-01T24:61:00Z", "1767225600"])
        yield at("format", bad);
    }
  }

  if (schema.type === "integer" || schema.type === "number") {
    const numbers: Array<[FaultKind, number | RawNumber]> = [];
    if (schema.minimum !== undefined) numbers.push(["range", schema.minimum - 1]);
    if (schema.exclusiveMinimum !== undefined) numbers.push(["range", schema.exclusiveMinimum]);
    if (schema.maximum !== undefined) numbers.push(["range", schema.maximum + 1]);
    if (schema.exclusiveMaximum !== undefined) numbers.push(["range", schema.exclusiveMaximum]);
    if (schema.type === "integer") numbers.push(["whole number", (schema.minimum ?? 0) + 1.5]);
    numbers.push(["range", 1e308], ["range", -1e308], ["whole number", new RawNumber("9007199254740993")]);
    for (const [kind, bad] of numbers) {
      if (!text) yield at(kind, bad);
      else yield at(kind, bad instanceof RawNumber ? bad.text : String(bad));
    }
    if (text) for (const bad of ["", "0x10", "1e2", " 5", "５"]) yield at("whole number", bad);
  }

  if (schema.type === "array" && !text) {
    const items = Array.isArray(value) ? value : [];
    if (schema.minItems > 0) yield at("items", items.slice(0, schema.minItems - 1));
    if (schema.maxItems !== undefined && schema.maxItems <= 1_000 && items.length > 0)
      yield at(
        "items",
        Array.from({ length: schema.maxItems + 1 }, () => items[0]),
      );
    if (schema.items && items.length > 0) yield* faultsAt(schema.items, items[0], [...where, 0], text);
  }

  if (schema.type === "object") {
    const object = (value && typeof value === "object" ? value : {}) as Record<string, unknown>;
    for (const key of (schema.required ?? []) as string[]) yield at("missing", ABSENT, [...where, key]);
    if (schema.additionalProperties === false) yield at("unknown property", "surprise", [...where, "unexpectedField"]);
    for (const [key, property] of Object.entries<Schema>(schema.properties ?? {})) {
      if (isFile(property)) continue;
      yield* faultsAt(property, object[key], [...where, key], text);
    }
  }
}

/** `value` with `replacement` put at `path` (or the property removed for ABSENT), leaving `value` untouched. */
export function replaceAt(value: unknown, path: Array<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  if (rest.length === 0 && replacement === ABSENT) {
    if (Array.isArray(copy)) copy.splice(Number(head), 1);
    else delete copy[head];
  } else copy[head] = replaceAt(copy[head], rest, replacement);
  return copy;
}

/** Validates values against schemas of the document, as JSON (`text` false) or as strings coerced to their types. */
export function createSchemaChecker() {
  const options = { strict: false, allErrors: false, validateFormats: true } as const;
  const [json, text] = [new Ajv2020(options), new Ajv2020({ ...options, coerceTypes: true })];
  for (const ajv of [json, text]) {
    ajv.addFormat("uuid", UUID);
    ajv.addFormat("date-time", (value: string) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)));
    ajv.addFormat("binary", true);
  }
  const compiled = new Map<string, ValidateFunction>();
  const toPlain = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value, (_key, v) => (v instanceof RawNumber ? Number(v.text) : v)));
  return {
    isValid(schema: Schema, value: unknown, asText: boolean): boolean {
      const key = `${asText}:${JSON.stringify(schema)}`;
      let validate = compiled.get(key);
      if (!validate) compiled.set(key, (validate = (asText ? text : json).compile(schema)));
      return validate(value === undefined ? value : toPlain(value));
    },
  };
}

export type SchemaChecker = ReturnType<typeof createSchemaChecker>;

/**
 * Every fault of an input that `schema` describes, starting from the valid input `valid` (which it checks first), each
 * one invalid against the schema and none twice. `where` places the input: ["body"], or ["query", "limit"].
 */
export function faultsOf(
  schema: Schema,
  valid: unknown,
  options: { where: string[]; text: boolean; checker: SchemaChecker },
): Fault[] {
  const { where, text, checker } = options;
  if (valid !== undefined && !checker.isValid(schema, valid, text)) {
    throw new Error(`the valid ${where.join(".")} given is not valid against the document: ${JSON.stringify(valid)}`);
  }
  const seen = new Set<string>();
  const faults: Fault[] = [];
  for (const fault of faultsAt(schema, valid, where, text)) {
    const input = replaceAt(valid, fault.where.slice(where.length), fault.value);
    const key = `${fault.where.join(".")}=${fault.value === ABSENT ? "(absent)" : JSON.stringify(fault.value)}`;
    if (seen.has(key) || checker.isValid(schema, input, text)) continue;
    seen.add(key);
    faults.push(fault);
  }
  return faults;
}

/**
 * The place of every property of `valid` that `schema` describes, nested objects and the first item of arrays
 * included (file fields of a multipart body left out): where random values can go.
 */
export function propertyPaths(schema: Schema, valid: unknown, where: Array<string | number> = []): Fault["where"][] {
  if (schema.type === "array" && Array.isArray(valid) && valid.length > 0 && schema.items)
    return propertyPaths(schema.items, valid[0], [...where, 0]);
  if (schema.type !== "object" || !valid || typeof valid !== "object") return [];
  return Object.entries<Schema>(schema.properties ?? {})
    .filter(([key, property]) => key in valid && !isFile(property))
    .flatMap(([key, property]) => [
      [...where, key],
      ...propertyPaths(property, (valid as Record<string, unknown>)[key], [...where, key]),
    ]);
}

/** A query parameter repeated (?limit=1&limit=2), which is invalid unless its schema is an array. */
export function repeatedParameter(parameter: Parameter, value: string, checker: SchemaChecker): Fault | undefined {
  const values = [value, value];
  if (checker.isValid(parameter.schema, values, true)) return undefined;
  return { kind: "repeated", where: ["query", parameter.name], value: values };
}

/** JSON text of `value`, with RawNumber written verbatim and ABSENT properties left out. */
export function toJsonText(value: unknown): string {
  const raw: string[] = [];
  const text = JSON.stringify(value, (_key, v) => {
    if (v === ABSENT) return undefined;
    if (v instanceof RawNumber) return `\u0000raw${raw.push(v.text) - 1}\u0000`;
    return v;
  });
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_match, index) => raw[Number(index)]);
}
