/** The demo seed's HTTP client of the nodes, the development chain's clock and waiting. */

export class SeedError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export function api(base: string, key: string) {
  async function call(method: string, path: string, body?: unknown) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await response.json().catch(() => ({}))) as any;
    if (response.status >= 400)
      throw new SeedError(
        `${method} ${path} → ${response.status} ${json.code ?? ""}: ${json.detail ?? ""}`,
        response.status,
      );
    return json;
  }
  return {
    get: (path: string) => call("GET", path),
    post: (path: string, body: unknown = {}) => call("POST", path, body),
    /** `counterparty`: the payee a contract, invoice, delivery note or certificate is with (others name the borrower). */
    async upload(facilityId: string, kind: string, metadata: object, name: string, counterparty?: string) {
      const form = new FormData();
      form.append("facilityId", facilityId);
      form.append("kind", kind);
      if (counterparty) form.append("counterparty", counterparty);
      form.append("metadata", JSON.stringify(metadata));
      form.append(
        "file",
        new Blob([Buffer.from(`%PDF-1.7\n% ${name}\n% ${Date.now()}\n%%EOF\n`)], { type: "application/pdf" }),
        `${name}.pdf`,
      );
      const response = await fetch(`${base}/documents`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}` },
        body: form,
      });
      const json = (await response.json()) as any;
      if (response.status !== 201) throw new SeedError(`upload ${name} → ${response.status}: ${json.detail}`);
      return json;
    },
  };
}

const DAY = 86_400;
/** A quarter as the demo lives it: 91 days of chain time. */
export const DEMO_QUARTER = 91 * DAY;

/**
 * The development chain's clock. `advanceTo` moves it forward (evm_increaseTime + evm_mine) but never past the wall
 * clock less a minute: the nodes set deadlines against chain time, and a chain ahead of the real time would run ahead
 * of everything signed after the seed. Without a chain URL it does nothing (the demo then lives a few seconds).
 */
export function devClock(url: string | undefined) {
  async function rpc(method: string, params: unknown[]): Promise<any> {
    const response = await fetch(url!, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = (await response.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new SeedError(`${method}: ${body.error.message}`);
    return body.result;
  }
  const now = async () => Number(BigInt((await rpc("eth_getBlockByNumber", ["latest", false])).timestamp));
  return {
    enabled: url !== undefined,
    now,
    /** Moves the chain's time to `target` (seconds), or as near as the wall clock allows; returns the chain's time. */
    async advanceTo(target: number): Promise<number> {
      if (!url) return Math.floor(Date.now() / 1000);
      const current = await now();
      const to = Math.min(target, Math.floor(Date.now() / 1000) - 60);
      if (to > current) {
        await rpc("evm_increaseTime", [to - current]);
        await rpc("evm_mine", []);
      }
      return now();
    },
  };
}

export const dateOf = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new SeedError(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
