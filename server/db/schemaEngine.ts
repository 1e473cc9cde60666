import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import type { SchemaEngine, SchemaFilter } from "@prisma/schema-engine-wasm";
import pg from "pg";

// Prisma 7's CLI cannot download its native schema engine here, so migrations run on the WebAssembly build of the same
// engine (@prisma/schema-engine-wasm, pinned to the engine commit of @prisma/client) talking through the driver adapters.

type SchemaEngineModule = typeof import("@prisma/schema-engine-wasm/schema_engine_bg");

/** No externally managed tables or enums. */
export const NO_FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] };

// The package's entry point imports the .wasm as an ES module, which Node 20 only allows behind
// --experimental-wasm-modules; loading the JS glue ourselves and instantiating the bytes avoids the flag. The glue is
// ESM: a literal import() would be compiled to require() by ts-node in CommonJS mode, hence the Function.
const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<unknown>;

let loading: Promise<SchemaEngineModule> | undefined;

// The engine arms timers it never clears (the 10 s PostgreSQL advisory-lock timeout): each would keep the process
// alive for its full length after the work is done. They are tracked and cleared when no engine is in use.
const engineTimers = new Set<NodeJS.Timeout>();
let enginesInUse = 0;

/** The schema engine module, instantiated once per process. */
export function loadSchemaEngine(): Promise<SchemaEngineModule> {
  loading ??= instantiate().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function instantiate(): Promise<SchemaEngineModule> {
  const glue = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
  const module = (await importEsm(pathToFileURL(glue).href)) as SchemaEngineModule & {
    __wbg_set_wasm(exports: WebAssembly.Exports): void;
  };
  const bytes = await fs.promises.readFile(path.join(path.dirname(glue), "schema_engine_bg.wasm"));
  const imports: Record<string, unknown> = { ...module };
  for (const name of Object.keys(imports).filter((key) => key.startsWith("__wbg_setTimeout_"))) {
    imports[name] = (callback: () => void, ms: number) => {
      const timer = setTimeout(() => {
        engineTimers.delete(timer);
        callback();
      }, ms >>> 0);
      engineTimers.add(timer);
      return timer;
    };
  }
  const { instance } = await WebAssembly.instantiate(bytes, {
    "./schema_engine_bg.js": imports as WebAssembly.ModuleImports,
  });
  module.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return module;
}

export interface SchemaEngineOptions {
  /** Receives the engine's warnings and errors, one line each. */
  log?: (line: string) => void;
}

/**
 * Runs `use` with a schema engine connected through the adapter factory, then frees the engine and disposes every
 * connection it opened (the engine leaves them open; an open PostgreSQL connection keeps the migration advisory lock
 * and an open SQLite one its file lock).
 */
export async function withSchemaEngine<T>(
  factory: SqlMigrationAwareDriverAdapterFactory,
  use: (engine: SchemaEngine) => Promise<T>,
  options: SchemaEngineOptions = {},
): Promise<T> {
  const wasm = await loadSchemaEngine();
  const connections = trackConnections(factory);
  const bound = bindMigrationAwareSqlAdapterFactory(connections.factory);
  let engine: SchemaEngine | undefined;
  enginesInUse++;
  try {
    // No datamodel: applying migrations does not need one, and a diff takes its schema files as an argument.
    engine = await wasm.SchemaEngine.new({ datamodels: undefined }, engineLogger(options.log), bound);
    return await use(engine);
  } catch (error) {
    throw withDriverErrors(error, bound.errorRegistry.consumeError.bind(bound.errorRegistry));
  } finally {
    engine?.free();
    await connections.disposeAll();
    if (--enginesInUse === 0) {
      for (const timer of engineTimers) clearTimeout(timer);
      engineTimers.clear();
    }
  }
}

function trackConnections(factory: SqlMigrationAwareDriverAdapterFactory) {
  const opened: SqlDriverAdapter[] = [];
  const track = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    // The engine disposes shadow databases itself; a second pool.end() would throw.
    const dispose = adapter.dispose.bind(adapter);
    let disposed: Promise<void> | undefined;
    adapter.dispose = () => (disposed ??= dispose());
    opened.push(adapter);
    return adapter;
  };
  return {
    factory: {
      provider: factory.provider,
      adapterName: factory.adapterName,
      connect: async () => track(await factory.connect()),
      connectToShadowDb: async () => track(await factory.connectToShadowDb()),
    } satisfies SqlMigrationAwareDriverAdapterFactory,
    async disposeAll(): Promise<void> {
      await Promise.allSettled(opened.map((adapter) => adapter.dispose()));
    },
  };
}

function engineLogger(log: ((line: string) => void) | undefined) {
  return (json: string) => {
    if (!log) return;
    try {
      const entry = JSON.parse(json) as { level?: string; fields?: { message?: string } };
      if (entry.level === "WARN" || entry.level === "ERROR") {
        log(`schema engine ${entry.level.toLowerCase()}: ${entry.fields?.message ?? json.trim()}`);
      }
    } catch {
      log(`schema engine: ${json.trim()}`);
    }
  };
}

/** The engine reports a failed driver call as "External error id#N"; put the driver's own message in its place. */
function withDriverErrors(error: unknown, consume: (id: number) => { error: unknown } | undefined): unknown {
  if (!(error instanceof Error)) return error;
  // @prisma/adapter-better-sqlite3 reports SQLITE_BUSY as a kind this engine build cannot read.
  if (/unknown variant `SocketTimeout`/.test(error.message)) {
    return new Error(
      "The SQLite database stayed locked by other connections for the whole busy timeout (SQLITE_BUSY): the schema " +
        "engine needs a moment when no other connection reads or writes. Retry, or stop the processes using it.",
      { cause: error },
    );
  }
  if (!/External error id#\d+/.test(error.message)) return error;
  const message = error.message.replace(/External error id#(\d+)/g, (text, id: string) => {
    const cause = consume(Number(id))?.error;
    return cause === undefined ? text : cause instanceof Error ? cause.message : JSON.stringify(cause);
  });
  return new Error(message, { cause: error });
}

/**
 * A node-postgres client that reports PostgreSQL's internal one-byte "char" type (OID 18) as text (OID 25). The schema
 * engine reads catalogue columns of that type (pg_constraint.contype, …) when it describes a schema, and
 * @prisma/adapter-pg 7.10 rejects the type ("Column type 'char' could not be deserialized"). Only the schema engine's
 * pools use it; the value is already a one-character string.
 */
export class CharAsTextClient extends pg.Client {
  // node-postgres overloads query() a dozen ways; pass everything through and only touch the result.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const query = super.query as (...args: unknown[]) => unknown;
    const last = args.length - 1;
    if (typeof args[last] === "function") {
      const callback = args[last] as (error: Error | null, result: unknown) => void;
      args[last] = (error: Error | null, result: unknown) => callback(error, error ? result : charAsText(result));
      return query.apply(this, args);
    }
    const result = query.apply(this, args) as Promise<unknown> | undefined;
    return result && typeof result.then === "function" ? result.then(charAsText) : result;
  }
}

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

function charAsText(result: unknown): unknown {
  for (const one of Array.isArray(result) ? result : [result]) {
    const fields = (one as { fields?: { dataTypeID: number }[] } | undefined)?.fields;
    for (const field of fields ?? []) if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
  }
  return result;
}
