import { Session } from "node:inspector/promises";
import path from "node:path";
import type { Chain } from "../../../server/chain/chain";
import type { Database } from "../../../server/db/client";

/** Wall-clock time spent in labelled spans (sequential code: the indexer awaits each call before the next). */
export function createSpans() {
  const totals = new Map<string, { calls: number; ms: number }>();
  const add = (label: string, ms: number) => {
    const entry = totals.get(label) ?? { calls: 0, ms: 0 };
    entry.calls++;
    entry.ms += ms;
    totals.set(label, entry);
  };
  return {
    add,
    async time<T>(label: string, run: () => Promise<T>): Promise<T> {
      const started = performance.now();
      try {
        return await run();
      } finally {
        add(label, performance.now() - started);
      }
    },
    get(label: string) {
      return totals.get(label) ?? { calls: 0, ms: 0 };
    },
    entries() {
      return [...totals.entries()].map(([label, { calls, ms }]) => ({ label, calls, ms }));
    },
  };
}

export type Spans = ReturnType<typeof createSpans>;

/**
 * Times the chain's JSON-RPC traffic twice over: `rpc <method>` for each `provider.send` (ethers' decoding of the
 * response included) and `http <method>` for each HTTP exchange on the provider's connection (transport only: the
 * node's work and the bytes on the wire), which also covers requests made on that connection without `send`.
 */
export function probeChain(chain: Chain, spans: Spans): void {
  const { provider } = chain;
  const send = provider.send.bind(provider);
  provider.send = (method, params) => spans.time(`rpc ${method}`, () => send(method, params));
  const connection = provider._getConnection.bind(provider);
  provider._getConnection = () => {
    const request = connection();
    const exchange = request.send.bind(request);
    request.send = () => {
      const payload = request.body ? JSON.parse(new TextDecoder().decode(request.body)) : {};
      const method = Array.isArray(payload) ? "batch" : String(payload.method);
      return spans.time(`http ${method}`, exchange);
    };
    return request;
  };
}

/** A model delegate whose calls are timed as `db <model>.<method>`. */
function probeDelegate(model: string, delegate: object, spans: Spans): object {
  return new Proxy(delegate, {
    get(target, method) {
      const value = Reflect.get(target, method);
      if (typeof value !== "function" || typeof method !== "string") return value;
      return (...args: unknown[]) => spans.time(`db ${model}.${method}`, () => value.apply(target, args));
    },
  });
}

/** A client whose model calls are timed; `$transaction(fn)` is timed as a whole and its client's calls inside it. */
function probeClient<T extends object>(client: T, spans: Spans, inTransaction: boolean): T {
  return new Proxy(client, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (typeof key !== "string") return value;
      if (key === "$transaction" && typeof value === "function") {
        return (run: unknown, options?: unknown) =>
          typeof run === "function"
            ? spans.time("db $transaction", () =>
                value.call(target, (tx: object) => run(probeClient(tx, spans, true)), options),
              )
            : value.call(target, run, options);
      }
      if ((key === "$executeRaw" || key === "$queryRaw") && typeof value === "function") {
        const label = `db ${key}${inTransaction ? " (in tx)" : ""}`;
        return (...args: unknown[]) => spans.time(label, () => value.apply(target, args));
      }
      if (key.startsWith("$") || typeof value !== "object" || value === null) return value;
      return probeDelegate(inTransaction ? `${key} (in tx)` : key, value, spans);
    },
  });
}

/** The database with its Prisma client's calls timed. */
export function probeDatabase(db: Database, spans: Spans): Database {
  return { ...db, prisma: probeClient(db.prisma, spans, false) };
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

/** Runs `work` under the V8 CPU profiler; returns its result and the profile (Chrome DevTools' .cpuprofile format). */
export async function profiled<T>(work: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 1_000 });
    await session.post("Profiler.start");
    const result = await work();
    const { profile } = await session.post("Profiler.stop");
    return { result, profile: profile as unknown as CpuProfile };
  } finally {
    session.disconnect();
  }
}

/** Where a frame's code lives: an npm package, a project file, or a V8 bucket such as (garbage collector). */
function origin(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const file = url.replace(/^file:\/\//, "");
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return pkg[1];
  if (file.startsWith("node:")) return "node internals";
  return path.relative(process.cwd(), file) || file;
}

/** Self time by function and by origin (package or file), largest first, in milliseconds. */
export function summariseProfile(profile: CpuProfile, top = 15) {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const functions = new Map<string, number>();
  const origins = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((nodeId, i) => {
    const frame = byNode.get(nodeId);
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!frame) return;
    totalMs += ms;
    const where = origin(frame.url, frame.functionName);
    const file = frame.url.includes("node_modules/") ? `${where}/${path.basename(frame.url)}` : where;
    const fn = `${frame.functionName || "(anonymous)"} ${file}${frame.url ? `:${frame.lineNumber + 1}` : ""}`;
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
    origins.set(where, (origins.get(where) ?? 0) + ms);
  });
  const sorted = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms }));
  return { totalMs, functions: sorted(functions), origins: sorted(origins) };
}
