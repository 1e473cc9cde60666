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
 * Same-origin calls to the bank node; regulator calls go through the bank node's /regulator-api proxy. The type
 * argument is the response's type from domain/api (what the route declares in /openapi.json).
 */
export function apiFor(session: Session) {
  return {
    /** Whether this session holds a key at the regulator node (its own views, or a bank officer's read access). */
    hasRegulatorKey: !!session.regulatorKey,
    get: <T = any>(path: string): Promise<T> => call(session.bankKey, "GET", path),
    post: <T = any>(path: string, body: unknown = {}): Promise<T> => call(session.bankKey, "POST", path, body),
    regGet: <T = any>(path: string): Promise<T> => call(session.regulatorKey, "GET", `/regulator-api${path}`),
    regPost: <T = any>(path: string, body: unknown = {}): Promise<T> =>
      call(session.regulatorKey, "POST", `/regulator-api${path}`, body),
  };
}
export type Api = ReturnType<typeof apiFor>;

export const demoLogins = (): Promise<Session[]> => call(undefined, "GET", "/demo/logins");
