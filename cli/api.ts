import type { paths as BankPaths } from "../domain/api/generated/bank";
import type { paths as RegulatorPaths } from "../domain/api/generated/regulator";
import type { Blocker } from "../domain/api/facilities";
import type { Answer } from "../domain/api/paths";
import type { Problem as ServerProblem } from "../domain/api/problem";

/** The two nodes' HTTP APIs, as the CLI sees them: JSON in, JSON (or problem+json) out. */

export type NodeName = "bank" | "regulator";

/** An RFC 9457 problem as the nodes render it (server/errors.ts), with the extension a refused payment carries. */
export type Problem = ServerProblem & {
  /** On a refused entrusted payment: everything that blocks it. */
  blockers?: Blocker[];
};

/** The node answered with an error. */
export class ApiError extends Error {
  constructor(
    readonly node: NodeName,
    readonly url: string,
    readonly problem: Problem,
  ) {
    super(problem.detail);
    this.name = "ApiError";
  }

  get status(): number {
    return this.problem.status;
  }
}

/** The node did not answer at all. */
export class NetworkError extends Error {
  constructor(
    readonly node: NodeName,
    readonly url: string,
    message: string,
  ) {
    super(message);
    this.name = "NetworkError";
  }
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

export interface UploadFile {
  name: string;
  type: string;
  bytes: Uint8Array;
}

export type Query = Record<string, string | number | undefined>;

/** A node's paths, as generated from its /openapi.json (domain/api/generated). */
export interface NodePaths {
  bank: BankPaths;
  regulator: RegulatorPaths;
}

/** What the bank node answers a GET of `path`. */
export type BankAnswer<S extends string> = Answer<NodePaths["bank"], "get", S>;

/**
 * A client of one node. Each answer has the type that node's /openapi.json declares for the path (domain/api/paths.ts),
 * so a schema change that breaks a command's use of it breaks this build once the types are regenerated.
 */
export interface Api<N extends NodeName = NodeName> {
  readonly node: N;
  readonly baseUrl: string;
  get<S extends string>(path: S, query?: Query): Promise<ApiResponse<Answer<NodePaths[N], "get", S>>>;
  post<S extends string>(path: S, body?: unknown): Promise<ApiResponse<Answer<NodePaths[N], "post", S>>>;
  upload<S extends string>(
    path: S,
    fields: Record<string, string>,
    file: UploadFile,
  ): Promise<ApiResponse<Answer<NodePaths[N], "post", S>>>;
  /** A response that is not JSON (a CSV report): its text and content type. */
  text(path: string, query?: Query): Promise<ApiResponse<string> & { contentType: string }>;
}

const NETWORK_CAUSES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
};

/** Why fetch failed, in words: Node's fetch hides the system error in `cause`. */
function describeFetchFailure(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return "no answer in time";
  const code = e.cause?.code;
  if (code) return `${NETWORK_CAUSES[code] ?? e.cause?.message ?? code} (${code})`;
  return e.cause?.message ?? e.message ?? String(error);
}

export function createApi<N extends NodeName>(options: {
  node: N;
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
}): Api<N> {
  const { node, apiKey, timeoutMs } = options;
  const baseUrl = options.baseUrl.replace(/\/+$/, "");

  function urlOf(path: string, query: Query = {}): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
    const search = params.toString();
    return `${baseUrl}${path}${search ? `?${search}` : ""}`;
  }

  async function send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, {
        ...init,
        headers: { ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), ...(init.headers ?? {}) },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const why = describeFetchFailure(error);
      throw new NetworkError(
        node,
        url,
        why === "no answer in time"
          ? `the ${node} node at ${baseUrl} did not answer within ${Math.round(timeoutMs / 1000)} s (${init.method ?? "GET"} ${url}); raise --timeout if it is busy writing to the chain`
          : `cannot reach the ${node} node at ${baseUrl}: ${why}. Is it running? Give its URL with --${node} or QFM_${node.toUpperCase()}_URL`,
      );
    }
  }

  /** The problem of a failed response; a body that is not problem+json (a proxy's page) still gives a message. */
  async function problemOf(response: Response, url: string): Promise<never> {
    const text = await response.text().catch(() => "");
    let problem: Problem | undefined;
    try {
      const parsed = JSON.parse(text) as Partial<Problem>;
      if (parsed && typeof parsed === "object" && typeof parsed.detail === "string") {
        problem = { ...parsed, status: response.status, code: parsed.code ?? `http_${response.status}` } as Problem;
      }
    } catch {
      // not JSON: described below
    }
    throw new ApiError(
      node,
      url,
      problem ?? {
        type: "about:blank",
        title: response.statusText,
        status: response.status,
        retryable: response.status >= 500,
        code: `http_${response.status}`,
        detail: `the ${node} node at ${baseUrl} answered ${response.status} ${response.statusText}${text ? `: ${text.slice(0, 200).trim()}` : ""}`,
      },
    );
  }

  async function json<T>(url: string, init: RequestInit): Promise<ApiResponse<T>> {
    const response = await send(url, init);
    if (!response.ok) return problemOf(response, url);
    const text = await response.text();
    try {
      return { status: response.status, body: (text === "" ? undefined : JSON.parse(text)) as T };
    } catch {
      throw new NetworkError(
        node,
        url,
        `the ${node} node at ${baseUrl} answered ${response.status} with something that is not JSON: is ${baseUrl} really a ${node} node?`,
      );
    }
  }

  return {
    node,
    baseUrl,
    get: (path, query) => json(urlOf(path, query), { method: "GET" }) as never,
    post: (path, body = {}) =>
      json(urlOf(path), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }) as never,
    upload(path, fields, file) {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append("file", new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
      return json(urlOf(path), { method: "POST", body: form }) as never;
    },
    async text(path, query) {
      const url = urlOf(path, query);
      const response = await send(url, { method: "GET" });
      if (!response.ok) return problemOf(response, url);
      return {
        status: response.status,
        body: await response.text(),
        contentType: response.headers.get("content-type") ?? "",
      };
    },
  };
}
