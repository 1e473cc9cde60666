import { onCleanup } from "./cleanup";

/** autocannon, typed for what the benchmarks use (the package ships no types). */
const autocannon = require("autocannon") as (options: LoadOptions) => LoadInstance;

interface LoadOptions {
  url: string;
  connections: number;
  duration: number;
  overallRate?: number;
  ignoreCoordinatedOmission?: boolean;
  headers?: Record<string, string>;
  requests?: Array<{ method?: string; setupRequest?: (request: { path: string }) => { path: string } }>;
}

interface LoadResult {
  duration: number;
  requests: { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

interface LoadInstance extends PromiseLike<LoadResult> {
  stop(): void;
  on(event: "response", listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}

export interface SteadyLoadResult {
  requests: number;
  /** Requests a second actually served (each slice's count over its own duration, summed). */
  rps: number;
  /** Every response's latency in milliseconds, sorted. */
  latencies: Float64Array;
  non2xx: number;
  /** Socket errors, timeouts included. */
  errors: number;
  timeouts: number;
}

/** The q-quantile (0–1) of sorted values: the smallest value with at least q of them at or below it. */
export function quantile(sorted: Float64Array, q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : NaN;
}

/**
 * GETs at a steady `rate` with autocannon's overallRate. Its rate limit is a quota per connection per second: each
 * connection sends its share back to back when its second starts and then waits, so a single instance at 500/s hits
 * the node with one burst of 500 requests a second. `slices` instances at rate/slices each, started 1/slices s apart,
 * spread those bursts over the second. Latencies are recorded as measured, one per response: autocannon 9 corrects for
 * coordinated omission with an expected interval of Math.ceil(1 / rate) = 1 ms, which turns an answer of n ms into
 * n samples from 1 to n ms.
 */
export async function steadyLoad(options: {
  url: string;
  rate: number;
  duration: number;
  slices: number;
  connections: number;
  headers: Record<string, string>;
  nextPath: () => string;
}): Promise<SteadyLoadResult> {
  const { slices } = options;
  const latencies: number[] = [];
  const runs: Promise<LoadResult>[] = [];
  for (let slice = 0; slice < slices; slice++) {
    if (slice > 0) await new Promise((resolve) => setTimeout(resolve, 1_000 / slices));
    const instance = autocannon({
      url: options.url,
      connections: Math.max(1, Math.round(options.connections / slices)),
      // The remainder goes to the first slices, so that the rates add up to `rate`.
      overallRate: Math.floor(options.rate / slices) + (slice < options.rate % slices ? 1 : 0),
      duration: options.duration,
      ignoreCoordinatedOmission: true,
      headers: options.headers,
      requests: [
        {
          method: "GET",
          setupRequest: (request) => {
            request.path = options.nextPath();
            return request;
          },
        },
      ],
    });
    onCleanup("stop autocannon", () => instance.stop());
    instance.on("response", (_client, _status, _bytes, ms) => latencies.push(ms));
    runs.push(Promise.resolve(instance));
  }
  const results = await Promise.all(runs);
  const sum = (pick: (result: LoadResult) => number) => results.reduce((total, result) => total + pick(result), 0);
  return {
    requests: sum((r) => r.requests.total),
    rps: sum((r) => r.requests.total / r.duration),
    latencies: Float64Array.from(latencies).sort(),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
  };
}
