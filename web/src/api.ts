import type { paths as BankPaths } from "../../domain/api/generated/bank";
import type { paths as RegulatorPaths } from "../../domain/api/generated/regulator";
import type { Answer } from "../../domain/api/paths";
import type { Role } from "../../domain/enums";

export type { Role };

export interface Session {
  role: Role;
  label: string;
  bankKey: string;
  regulatorKey?: string;
  /** Demo logins on the development chain only: the payer's chain key, which signs in the browser. */
  signerKey?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: any,
  ) {
    super(body?.detail ?? body?.title ?? `HTTP ${status}`);
  }
}

async function call(key: string | undefined, method: string, path: string, body?: unknown): Promise<any> {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

/**
 * Same-origin calls to the bank node; regulator calls go through the bank node's /regulator-api proxy. Each answer
 * has the type /openapi.json declares for the path (domain/api/generated, domain/api/paths.ts), so a schema change
 * that breaks a use of it breaks this build once the types are regenerated (`npm run api:types`).
 */
export function apiFor(session: Session) {
  return {
    /** Whether this session holds a key at the regulator node (its own views, or a bank officer's read access). */
    hasRegulatorKey: !!session.regulatorKey,
    get: <S extends string>(path: S): Promise<Answer<BankPaths, "get", S>> => call(session.bankKey, "GET", path),
    post: <S extends string>(path: S, body: unknown = {}): Promise<Answer<BankPaths, "post", S>> =>
      call(session.bankKey, "POST", path, body),
    regGet: <S extends string>(path: S): Promise<Answer<RegulatorPaths, "get", S>> =>
      call(session.regulatorKey, "GET", `/regulator-api${path}`),
    regPost: <S extends string>(path: S, body: unknown = {}): Promise<Answer<RegulatorPaths, "post", S>> =>
      call(session.regulatorKey, "POST", `/regulator-api${path}`, body),
  };
}
export type Api = ReturnType<typeof apiFor>;

export const demoLogins = (): Promise<Session[]> => call(undefined, "GET", "/demo/logins");
