/**
 * The regulator node's one client of the bank node's HTTP API: every call carries the regulator's API key and a
 * timeout. Nothing it returns is trusted: the caller checks what a decision rests on against its own chain, index and
 * registry. The document source of the regulator's verifier (server/verification/sources.ts) can take `request`.
 */
import type { ApprovalDetail } from "../../domain/api/approvals";
import { AppError } from "../errors";
import type { SignedFields } from "../whitelist/signatures";

export interface BankNodeConfig {
  url: string;
  apiKey: string;
}

/** A JSON answer of the bank node: its status and its body (an empty object when it sent none). */
export interface BankAnswer<T = Record<string, any>> {
  status: number;
  body: T & { code?: string; detail?: string };
}

/** A white-list entry as the regulator signed it, in the JSON the bank node's POST /whitelist/import takes. */
export type SignedEntryJson = Omit<SignedFields, "publishedAt"> & {
  publishedAt: string;
  root: string;
  proof: string[];
  signature: string;
};

export interface BankClient {
  /** The raw request: the regulator's key and a timeout on `init`; the caller reads the response. */
  request(path: string, init?: RequestInit & { timeoutMs?: number }): Promise<Response>;
  /** GET /approvals/:id, as the bank node declares it. */
  approval(approvalId: string): Promise<BankAnswer<ApprovalDetail>>;
  /** POST /approvals/:id/refusals: the regulator's reason, noted on the bank's approval. */
  refuse(approvalId: string, reason: string): Promise<BankAnswer>;
  /** POST /approvals/:id/signatures: the regulator's co-signature. */
  sign(approvalId: string, signature: string): Promise<BankAnswer>;
  /** POST /whitelist/import: signed white-list entries (one chunk). */
  importWhiteList(source: string, entries: SignedEntryJson[]): Promise<BankAnswer<{ imported?: number }>>;
}

/**
 * A client of the bank node at `url`. `timeoutMs` bounds a call; an unreachable bank node is a retryable 502
 * (bank_node_unreachable) for the JSON calls.
 */
export function createBankClient({
  url,
  apiKey,
  timeoutMs = 15_000,
}: BankNodeConfig & { timeoutMs?: number }): BankClient {
  function request(path: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Response> {
    const { timeoutMs: callTimeout, headers, ...rest } = init;
    return fetch(new URL(path, url), {
      ...rest,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(rest.body === undefined ? {} : { "content-type": "application/json" }),
        ...((headers as Record<string, string>) ?? {}),
      },
      signal: AbortSignal.timeout(callTimeout ?? timeoutMs),
    });
  }

  async function json<T>(path: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<BankAnswer<T>> {
    const response = await request(path, init).catch((error: Error) => {
      throw new AppError(502, "bank_node_unreachable", `the bank node did not answer: ${error.message}`, {
        retryable: true,
      });
    });
    const body = (await response.json().catch(() => ({}))) as BankAnswer<T>["body"];
    return { status: response.status, body };
  }

  const post = <T>(path: string, body: unknown, timeout?: number) =>
    json<T>(path, { method: "POST", body: JSON.stringify(body), timeoutMs: timeout });

  return {
    request,
    approval: (approvalId) => json<ApprovalDetail>(`/approvals/${approvalId}`),
    refuse: (approvalId, reason) => post(`/approvals/${approvalId}/refusals`, { reason }),
    sign: (approvalId, signature) => post(`/approvals/${approvalId}/signatures`, { signature }),
    // A chunk of a large publication: its proofs make it the slowest call.
    importWhiteList: (source, entries) => post(`/whitelist/import`, { source, entries }, Math.max(timeoutMs, 30_000)),
  };
}
