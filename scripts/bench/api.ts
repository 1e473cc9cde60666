/**
 * `npm run bench:api`: latency of the bank node's read endpoints at a fixed 500 requests a second.
 *
 * Starts a chain node (anvil), deploys, starts a real bank node process (SQLite, verifier off, the rate limit raised so
 * that it does not refuse the benchmark's one key), and gives it data: four facilities opened through the API (each a
 * registered payee and a one-payment plan) and BENCH_SEED_DOCUMENTS (2,000) documents over them, every one anchored. Then
 * autocannon drives, in turn, GET /documents/:id/proof, GET /evidence/:evidenceId/proof, GET /documents?facilityId=…
 * (the evidence list, first page of 50) and GET /facilities/:id (terms, chain state read from the chain node, plan) at
 * BENCH_RATE (500) requests a second for BENCH_DURATION (30) seconds after a 5-second warm-up: BENCH_SLICES (10)
 * autocannon instances with overallRate = rate / slices, started 1/slices s apart (steadyLoad says why), with
 * BENCH_CONNECTIONS (40) keep-alive connections in all. BENCH_ENDPOINTS=proof,evidence,list,facility chooses a subset.
 * Progress goes to stderr; a table (with the node's own timings by route, from /metrics) and, as the last line,
 * {"rps","p50Ms","p99Ms","errors"} to stdout.
 */
import { quantile, steadyLoad } from "./lib/autocannon";
import { onCleanup, runBenchmark } from "./lib/cleanup";
import { benchDocuments, openFacilities, uploadAll, waitAnchored } from "./lib/documents";
import { createHttpClient, type HttpClient } from "./lib/http";
import { every } from "./lib/pool";
import { fmt, machine, markdownTable, round, today, verdict } from "./lib/report";
import { startBenchSystem } from "./lib/system";

const SEED_DOCUMENTS = Number(process.env.BENCH_SEED_DOCUMENTS ?? 2_000);
const FACILITY_IDS = 4;
const RATE = Number(process.env.BENCH_RATE ?? 500);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 40);
const SLICES = Number(process.env.BENCH_SLICES ?? 10);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 30);
const WARMUP_S = 5;
const TARGET_P99_MS = 50;

const log = (line: string) => console.error(`[bench:api] ${line}`);

interface RouteTiming {
  count: number;
  sum: number;
  buckets: Map<number, number>;
}

/** The node's own request durations by route (its Prometheus histogram), to subtract one scrape from another. */
async function routeTimings(client: HttpClient): Promise<Map<string, RouteTiming>> {
  const { text } = await client.request("GET", "/metrics");
  const routes = new Map<string, RouteTiming>();
  const line = /^qfm_http_request_duration_seconds_(bucket|sum|count)\{([^}]*)\} (\S+)$/gm;
  for (const [, kind, labelText, value] of text.matchAll(line)) {
    const labels = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    if (labels.method !== "GET" || labels.status !== "200") continue;
    const timing = routes.get(labels.route) ?? { count: 0, sum: 0, buckets: new Map() };
    routes.set(labels.route, timing);
    if (kind === "count") timing.count = Number(value);
    else if (kind === "sum") timing.sum = Number(value);
    else timing.buckets.set(labels.le === "+Inf" ? Infinity : Number(labels.le), Number(value));
  }
  return routes;
}

/** Per route between two scrapes: requests, mean and the histogram bucket that holds the 99th percentile. */
function timingRows(before: Map<string, RouteTiming>, after: Map<string, RouteTiming>, routes: string[]): string[][] {
  return routes.map((route) => {
    const a = after.get(route);
    const b = before.get(route);
    const count = (a?.count ?? 0) - (b?.count ?? 0);
    const sum = (a?.sum ?? 0) - (b?.sum ?? 0);
    let p99 = "—";
    for (const [le, cumulative] of [...(a?.buckets ?? new Map<number, number>())].sort(([x], [y]) => x - y)) {
      if (cumulative - (b?.buckets.get(le) ?? 0) >= 0.99 * count) {
        p99 = le === Infinity ? "> 2,500" : `≤ ${fmt(le * 1000, le < 0.01 ? 1 : 0)}`;
        break;
      }
    }
    return [`GET ${route}`, fmt(count), count ? fmt((sum / count) * 1000, 2) : "—", p99];
  });
}

const ROUTES = {
  proof: "/documents/:id/proof",
  evidence: "/evidence/:evidenceId/proof",
  list: "/documents",
  facility: "/facilities/:id",
} as const;
type Endpoint = keyof typeof ROUTES;

runBenchmark("bench:api", async () => {
  const endpoints = (process.env.BENCH_ENDPOINTS ?? Object.keys(ROUTES).join(",")).split(",") as Endpoint[];
  const unknown = endpoints.filter((endpoint) => !(endpoint in ROUTES));
  if (unknown.length > 0 || endpoints.length === 0) {
    throw new Error(`BENCH_ENDPOINTS: ${unknown.join(", ")} unknown; choose from ${Object.keys(ROUTES).join(", ")}`);
  }
  const system = await startBenchSystem({ BATCH_MAX_SIZE: "512", BATCH_MAX_AGE_MS: "500" }, log);
  const client = createHttpClient(system.bank.url, system.apiKey, 32);
  onCleanup("close the HTTP client", () => client.close());

  log(`opening ${FACILITY_IDS} facilities, then seeding ${fmt(SEED_DOCUMENTS)} documents over them`);
  const facilityIds = await openFacilities(client, FACILITY_IDS);
  const expected = Array.from({ length: FACILITY_IDS }, (_, i) => String(i + 1));
  if (facilityIds.join() !== expected.join()) throw new Error(`facilities opened as ${facilityIds.join()}, not 1..`);
  let uploaded = 0;
  const stopProgress = every(2_000, () => log(`uploaded ${fmt(uploaded)} / ${fmt(SEED_DOCUMENTS)}`));
  const documents = await uploadAll(client, benchDocuments(SEED_DOCUMENTS, FACILITY_IDS), 16, () => uploaded++);
  stopProgress();
  await waitAnchored(client, SEED_DOCUMENTS, 300_000);
  const facilityId = endpoints.includes("facility") ? facilityIds[0] : undefined;
  log(`every document anchored${facilityId ? `; facility ${facilityId} created on chain` : ""}`);

  const pathOf: Record<Endpoint, (i: number) => string> = {
    proof: (i) => `/documents/${documents[i].id}/proof`,
    evidence: (i) => `/evidence/${documents[documents.length - 1 - i].evidenceId}/proof`,
    list: (i) => `/documents?facilityId=${(i % FACILITY_IDS) + 1}&limit=50`,
    facility: () => `/facilities/${facilityId}`,
  };
  const paths = Array.from({ length: Math.min(500, documents.length) }, (_, i) =>
    endpoints.map((endpoint) => pathOf[endpoint](i)),
  ).flat();
  for (const path of paths.slice(0, endpoints.length)) await client.getJson(path); // each answers 200 before the load

  let next = 0;
  const load = (duration: number) =>
    steadyLoad({
      url: system.bank.url,
      rate: RATE,
      duration,
      slices: SLICES,
      connections: CONNECTIONS,
      headers: { authorization: `Bearer ${system.apiKey}` },
      nextPath: () => paths[next++ % paths.length],
    });
  log(`warming up: ${WARMUP_S} s at ${RATE} requests/s`);
  await load(WARMUP_S);
  log(`measuring: ${DURATION_S} s at ${RATE} requests/s (${SLICES} autocannon instances, ${CONNECTIONS} connections)`);
  const before = await routeTimings(client);
  const result = await load(DURATION_S);
  const after = await routeTimings(client);

  const [p50, p90, p99] = [0.5, 0.9, 0.99].map((q) => quantile(result.latencies, q));
  const max = quantile(result.latencies, 1);
  const errors = result.errors + result.non2xx;
  const rows = [
    ["requests", fmt(result.requests)],
    ["requests/s", fmt(result.rps, 1)],
    ["latency p50 (ms)", fmt(p50, 2)],
    ["latency p90 (ms)", fmt(p90, 2)],
    ["latency p99 (ms)", fmt(p99, 2)],
    ["latency max (ms)", fmt(max, 2)],
    ["non-2xx", fmt(result.non2xx)],
    ["socket errors (timeouts)", `${fmt(result.errors)} (${fmt(result.timeouts)})`],
  ];
  return {
    print() {
      console.log(`\nbench:api — ${DURATION_S} s at ${RATE} requests/s, ${today()}, ${machine()}`);
      console.log(
        `bank node: SQLite, ${fmt(SEED_DOCUMENTS)} anchored documents${facilityId ? ", 1 facility" : ""}; ` +
          `${SLICES} autocannon instances at ${fmt(RATE / SLICES)} requests/s each, ` +
          `started ${fmt(1_000 / SLICES)} ms apart, ` +
          `${CONNECTIONS} connections in all; requests in turn over the endpoints below\n`,
      );
      console.log(markdownTable(["client (autocannon)", "value"], rows));
      console.log("");
      console.log(
        markdownTable(
          ["endpoint (node's own timing, /metrics)", "requests", "mean ms", "p99 ms (bucket)"],
          timingRows(
            before,
            after,
            endpoints.map((endpoint) => ROUTES[endpoint]),
          ),
        ),
      );
      console.log(
        `\np99 ${fmt(p99, 2)} ms (target < ${TARGET_P99_MS}: ${verdict(p99 < TARGET_P99_MS)}); ` +
          `${fmt(errors)} errors (target 0: ${verdict(errors === 0)})`,
      );
      console.log(
        JSON.stringify({
          rps: round(result.rps, 1),
          p50Ms: round(p50, 2),
          p99Ms: round(p99, 2),
          errors,
        }),
      );
    },
  };
});
