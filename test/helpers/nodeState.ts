import Sqlite from "better-sqlite3";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * What a running node holds, read from outside the process so a test can show that a request changed nothing: the row
 * count and a digest of every table of its SQLite database (opened read-only beside the node; the file is in WAL mode,
 * so reading never blocks the node), and the files of its document store.
 */
export interface NodeState {
  tables: Record<string, { rows: number; sha256: string }>;
  files: string[];
}

/** The chain as the nodes' writes would move it: the block number and each account's next nonce (pending included). */
export interface ChainState {
  blockNumber: string;
  nonces: Record<string, string>;
}

const stringify = (row: unknown) =>
  JSON.stringify(row, (_key, value) =>
    typeof value === "bigint" ? value.toString() : Buffer.isBuffer(value) ? value.toString("hex") : value,
  );

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .flatMap((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      // A file removed between the listing and its stat is not there: the snapshot does not crash on it.
      const stat = fs.statSync(file, { throwIfNoEntry: false });
      return stat ? [`${path.relative(dir, file)} (${stat.size} bytes)`] : [];
    })
    .sort();
}

/** Opens a node's database (`<dataDir>/db.sqlite`) read-only; `read()` takes a snapshot of it and its documents. */
export function openNodeState(dataDir: string) {
  const db = new Sqlite(path.join(dataDir, "db.sqlite"), { readonly: true, fileMustExist: true });
  db.defaultSafeIntegers(true);
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  const selects = tables.map((table) => [table, db.prepare(`SELECT * FROM "${table}" ORDER BY rowid`)] as const);
  return {
    tables,
    read(): NodeState {
      const digests: NodeState["tables"] = {};
      // One read transaction: every table as of the same moment.
      db.transaction(() => {
        for (const [table, select] of selects) {
          const hash = createHash("sha256");
          let rows = 0;
          for (const row of select.iterate()) {
            hash.update(stringify(row)).update("\n");
            rows++;
          }
          digests[table] = { rows, sha256: hash.digest("hex") };
        }
      })();
      return { tables: digests, files: filesUnder(path.join(dataDir, "documents")) };
    },
    close: () => db.close(),
  };
}

/** The chain's block number and the pending nonces of `accounts`, in one JSON-RPC batch. */
export async function readChainState(rpcUrl: string, accounts: string[]): Promise<ChainState> {
  const calls = [
    { jsonrpc: "2.0", id: 0, method: "eth_blockNumber", params: [] },
    ...accounts.map((account, i) => ({
      jsonrpc: "2.0",
      id: i + 1,
      method: "eth_getTransactionCount",
      params: [account, "pending"],
    })),
  ];
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(calls),
  });
  const results = (await response.json()) as Array<{ id: number; result?: string; error?: unknown }>;
  const byId = new Map(results.map((r) => [r.id, r]));
  const value = (id: number) => {
    const reply = byId.get(id);
    if (reply?.result === undefined) throw new Error(`JSON-RPC call ${id} failed: ${JSON.stringify(reply?.error)}`);
    return BigInt(reply.result).toString();
  };
  return {
    blockNumber: value(0),
    nonces: Object.fromEntries(accounts.map((account, i) => [account, value(i + 1)])),
  };
}

/** What differs between two snapshots, one line per table, file list or chain value; empty when nothing does. */
export function changesBetween<T extends Record<string, NodeState | ChainState>>(before: T, after: T): string[] {
  const changes: string[] = [];
  for (const [name, was] of Object.entries(before)) {
    const now = after[name] as NodeState | ChainState;
    if ("tables" in was && "tables" in now) {
      for (const [table, digest] of Object.entries(was.tables)) {
        const current = now.tables[table];
        if (current?.sha256 !== digest.sha256)
          changes.push(`${name}: table ${table} changed (${digest.rows} → ${current?.rows ?? "missing"} rows)`);
      }
      const added = now.files.filter((file) => !was.files.includes(file));
      const removed = was.files.filter((file) => !now.files.includes(file));
      const list = (files: string[]) => files.join(", ") || "none";
      if (added.length + removed.length > 0)
        changes.push(`${name}: document store changed (added ${list(added)}; removed ${list(removed)})`);
    } else if ("blockNumber" in was && "blockNumber" in now) {
      if (was.blockNumber !== now.blockNumber) changes.push(`${name}: block ${was.blockNumber} → ${now.blockNumber}`);
      for (const [account, nonce] of Object.entries(was.nonces))
        if (now.nonces[account] !== nonce)
          changes.push(`${name}: nonce of ${account} ${nonce} → ${now.nonces[account]}`);
    }
  }
  return changes;
}
