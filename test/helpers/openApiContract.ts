import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";

/**
 * Holds a node to its own /openapi.json: every JSON success response a test receives through `client()` is validated
 * against the schema the node declares for that operation and status, so a response that drifts from its declared
 * (domain/api) schema fails the test that saw it. Responses the document declares no schema for pass unchecked.
 */

interface Operation {
  pattern: RegExp;
  method: string;
  validators: Map<number, ValidateFunction>;
}

const documents = new Map<string, Promise<Operation[] | undefined>>();

async function operationsOf(url: string): Promise<Operation[] | undefined> {
  const response = await fetch(`${url}/openapi.json`).catch(() => undefined);
  if (!response?.ok) return undefined;
  const doc = (await response.json()) as {
    paths: Record<
      string,
      Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
    >;
    components?: object;
  };
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ components: doc.components ?? {} }, "openapi");
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
    for (const [method, operation] of Object.entries(item)) {
      const validators = new Map<number, ValidateFunction>();
      for (const [status, spec] of Object.entries(operation.responses)) {
        const schema = spec.content?.["application/json"]?.schema;
        if (Number(status) < 300 && schema)
          validators.set(
            Number(status),
            ajv.compile(JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"openapi#/components/'))),
          );
      }
      operations.push({ pattern, method: method.toUpperCase(), validators });
    }
  }
  return operations;
}

/** Throws when `body` is not what the node's OpenAPI document declares for this method, path and status. */
export async function expectDeclaredResponse(
  url: string,
  method: string,
  pathname: string,
  status: number,
  body: unknown,
): Promise<void> {
  if (status >= 300 || body === undefined) return;
  let operations = documents.get(url);
  if (!operations) {
    operations = operationsOf(url);
    documents.set(url, operations);
  }
  const known = await operations;
  if (!known) {
    documents.delete(url); // the node was not up: ask again next time
    return;
  }
  const path = pathname.split("?")[0];
  // A literal path (/documents/bulk) before a template that also matches it (/documents/{id}).
  const parameters = (op: Operation) => op.pattern.source.split("[^/]+").length;
  const candidates = known.filter((op) => op.method === method && op.pattern.test(path));
  const operation = candidates.sort((a, b) => parameters(a) - parameters(b))[0];
  const validate = operation?.validators.get(status);
  if (!validate || validate(body)) return;
  throw new Error(
    `${method} ${pathname} answered ${status} with a body its OpenAPI schema refuses: ${JSON.stringify(validate.errors?.slice(0, 5))}`,
  );
}
