/** autocannon, typed for what the benchmarks use (the package ships no types). */
const autocannon = require("autocannon") as (options: LoadOptions) => LoadInstance;

export interface LoadOptions {
  url: string;
  connections: number;
  duration: number;
  /** Requests a second from all connections together; latencies are corrected for coordinated omission. */
  overallRate?: number;
  headers?: Record<string, string>;
  requests?: Array<{ method?: string; setupRequest?: (request: { path: string }) => { path: string } }>;
}

interface Histogram {
  average: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  total: number;
}

export interface LoadResult {
  duration: number;
  requests: Histogram;
  latency: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
}

export interface LoadInstance extends PromiseLike<LoadResult> {
  stop(): void;
}

export { autocannon };
