import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

export const NODE_ROLES = ["bank", "regulator"] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

const ROOT = path.resolve(__dirname, "..");

const privateKey = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, { message: "must be a 0x-prefixed 32-byte hex private key" });
const positiveInt = z.coerce.number().int().positive();

/** Every setting a node reads, from the environment, validated once at start-up. */
const EnvSchema = z.object({
  NODE_ROLE: z.enum(NODE_ROLES, { message: "must be bank or regulator" }),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  DATA_DIR: z.string().min(1).optional(),
  DATABASE_URL: z.string().min(1).optional(),
  DEPLOYMENTS_FILE: z.string().min(1).optional(),
  RPC_URL: z.url({ message: "must be an http(s) URL of a JSON-RPC node" }).optional(),
  EXPECTED_CHAIN_ID: positiveInt.optional(),
  /** The key this node sends transactions with (bank: BANK_ROLE + ANCHORER_ROLE holder). */
  SIGNER_KEY: privateKey.optional(),
  SIGNER_KEY_FILE: z.string().min(1).optional(),
  /** The key this node's verifier signs EIP-712 attestations with (a member of the verifier set). */
  VERIFIER_KEY: privateKey.optional(),
  VERIFIER_KEY_FILE: z.string().min(1).optional(),
  /** The key of this node's decision MACs (not in the database); default: derived from the verifier key. */
  NODE_MAC_KEY: z.string().min(32, { message: "must be at least 32 characters" }).optional(),
  NODE_MAC_KEY_FILE: z.string().min(1).optional(),
  /** How often both nodes re-hash the documents they accepted (0 turns it off), and how many in one pass. */
  INTEGRITY_CHECK_MS: z.coerce.number().int().min(0).default(600_000),
  INTEGRITY_CHECK_BATCH: positiveInt.default(50),
  /** An anchor the bank node cannot resolve is skipped as unresolved after this many tries and this long... */
  UNRESOLVED_ANCHOR_RETRIES: positiveInt.default(5),
  UNRESOLVED_ANCHOR_WAIT_MS: z.coerce.number().int().min(0).default(60_000),
  /** ...and then tried again this often. */
  UNRESOLVED_ANCHOR_RETRY_MS: positiveInt.default(600_000),
  CONFIRMATIONS: z.coerce.number().int().min(0).max(1_000).default(0),
  POLL_INTERVAL_MS: positiveInt.default(500),
  /** The most chain transactions of one account in flight (broadcast, not yet mined) at once. */
  OUTBOX_WINDOW: z.coerce.number().int().min(1).max(256).default(16),
  /**
   * The most documents a batch seals (EvidenceRegistry.MAX_BATCH_SIZE is 1,024). Each verifier sends one batch verdict
   * per batch, and its verdicts are signed with its next contract nonce, so one lands per block: the batch size bounds
   * how many documents a node can make payable a block (bench:verified).
   */
  BATCH_MAX_SIZE: z.coerce.number().int().min(1).max(1_024).default(1_024),
  BATCH_MAX_AGE_MS: positiveInt.default(2_000),
  UPLOAD_MAX_BYTES: positiveInt.default(10 * 1024 * 1024),
  JSON_MAX_BYTES: positiveInt.default(256 * 1024),
  RATE_LIMIT_PER_MINUTE: positiveInt.default(1_200),
  /** Documents one API key may upload a minute (a bulk upload counts each); more are answered 429 with Retry-After. */
  UPLOAD_QUOTA_PER_MINUTE: positiveInt.default(300),
  /** Regulator: where the bank node is, and the regulator-role API key it uses there to fetch documents. */
  BANK_NODE_URL: z.url({ message: "must be the bank node's http(s) URL" }).optional(),
  BANK_NODE_API_KEY: z.string().min(8).optional(),
  /** Regulator: its own registry of licensed suppliers and labs, patent filings and inspection records (JSON). */
  REGISTRY_SEED_FILE: z.string().min(1).optional(),
  /** How long a request that writes to the chain waits for its transaction before answering 202. */
  CHAIN_WAIT_MS: positiveInt.default(30_000),
  /** Bank: how often to look for facilities whose quarter is over and propose their review (0 turns it off). */
  REVIEW_CHECK_MS: z.coerce.number().int().min(0).default(60_000),
  /** Bank: the regulator node, for the dashboard's regulator views (proxied at /regulator-api). */
  REGULATOR_NODE_URL: z.url({ message: "must be the regulator node's http(s) URL" }).optional(),
  /** Bank: a JSON file of demo logins (role → API keys) the dashboard offers; never set it in production. */
  DEMO_LOGINS_FILE: z.string().min(1).optional(),
  /** Bank: the built dashboard (default web/dist when it exists). */
  WEB_DIR: z.string().min(1).optional(),
  /** Extra loan products (JSON files) besides the built-in ones. */
  PRODUCTS_DIR: z.string().min(1).optional(),
  VERIFIER_ENABLED: z
    .enum(["true", "false"])
    .default("true")
    .transform((value) => value === "true"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export interface NodeConfig {
  role: NodeRole;
  host: string;
  port: number;
  dataDir: string;
  documentsDir: string;
  databaseUrl: string;
  deploymentsFile: string;
  rpcUrl?: string;
  expectedChainId?: number;
  signerKey?: string;
  verifierKey?: string;
  /** NODE_MAC_KEY(_FILE); undefined: derived from the verifier key. */
  macKey?: string;
  integrity: { intervalMs: number; batchSize: number };
  unresolvedAnchors: { retries: number; waitMs: number; retryMs: number };
  confirmations: number;
  pollIntervalMs: number;
  outboxWindow: number;
  batch: { maxSize: number; maxAgeMs: number };
  limits: { uploadBytes: number; jsonBytes: number; requestsPerMinute: number; uploadsPerMinute: number };
  bankNode?: { url: string; apiKey: string };
  registrySeedFile?: string;
  verifierEnabled: boolean;
  chainWaitMs: number;
  reviewCheckMs: number;
  regulatorNodeUrl?: string;
  demoLoginsFile?: string;
  webDir?: string;
  productsDir?: string;
  logLevel: string;
  /** Problems that do not stop start-up but that the node logs (a key file others can read). */
  warnings?: string[];
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Where a node keeps its data: DATA_DIR (default data/<role>) and DATABASE_URL (default SQLite in DATA_DIR). */
export function storageOf(
  role: NodeRole,
  env: NodeJS.ProcessEnv = process.env,
): { dataDir: string; databaseUrl: string } {
  const dataDir = path.resolve(env.DATA_DIR || path.join(ROOT, "data", role));
  const databaseUrl = env.DATABASE_URL || `file:${path.join(dataDir, "db.sqlite")}`;
  if (!/^(file:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError(
      `DATABASE_URL: must start with file: (SQLite) or postgresql:// (PostgreSQL), got "${databaseUrl.split(":")[0]}:…"`,
    );
  }
  return { dataDir, databaseUrl };
}

/**
 * Reads a private key from a file (SIGNER_KEY_FILE, VERIFIER_KEY_FILE, the deploy script's DEPLOYER_KEY_FILE); a file
 * that other users can read adds a warning.
 */
export function readKeyFile(variable: string, file: string, warnings: string[]): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8").trim();
    // Like ssh with an identity file: a key that other local users can read is as good as theirs.
    const mode = fs.statSync(file).mode & 0o777;
    if (process.platform !== "win32" && (mode & 0o077) !== 0) {
      warnings.push(
        `${variable}: ${file} can be read by other users (mode ${mode.toString(8).padStart(4, "0")}); chmod 600 it`,
      );
    }
  } catch (error) {
    throw new ConfigError(`${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
  }
  const parsed = privateKey.safeParse(text);
  if (!parsed.success) throw new ConfigError(`${variable}: ${file} must hold a 0x-prefixed 32-byte hex private key`);
  return parsed.data;
}

/** Reads NODE_MAC_KEY_FILE: at least 32 characters of secret (outside the database, like the keys). */
function readMacKeyFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new ConfigError(`NODE_MAC_KEY_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
  }
  if (text.length < 32) throw new ConfigError(`NODE_MAC_KEY_FILE: ${file} must hold at least 32 characters`);
  return text;
}

/**
 * Parses a node's configuration from the environment. A bad value stops start-up with a message naming the variable.
 * Keys come from *_KEY or *_KEY_FILE and are never logged.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      `invalid configuration: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`,
    );
  }
  const e = parsed.data;
  const role = e.NODE_ROLE;
  const { dataDir, databaseUrl } = storageOf(role, env);
  if (e.SIGNER_KEY && e.SIGNER_KEY_FILE) throw new ConfigError("SIGNER_KEY and SIGNER_KEY_FILE: set one, not both");
  if (e.VERIFIER_KEY && e.VERIFIER_KEY_FILE)
    throw new ConfigError("VERIFIER_KEY and VERIFIER_KEY_FILE: set one, not both");
  if (role === "regulator" && (!e.BANK_NODE_URL || !e.BANK_NODE_API_KEY)) {
    throw new ConfigError(
      "BANK_NODE_URL and BANK_NODE_API_KEY: the regulator node needs both to fetch documents from the bank node",
    );
  }
  if (e.NODE_MAC_KEY && e.NODE_MAC_KEY_FILE)
    throw new ConfigError("NODE_MAC_KEY and NODE_MAC_KEY_FILE: set one, not both");
  const warnings: string[] = [];
  return {
    role,
    host: e.HOST,
    port: e.PORT ?? (role === "bank" ? 8080 : 8081),
    dataDir,
    documentsDir: path.join(dataDir, "documents"),
    databaseUrl,
    deploymentsFile: path.resolve(e.DEPLOYMENTS_FILE ?? path.join(ROOT, "deployments", "31337.json")),
    rpcUrl: e.RPC_URL,
    expectedChainId: e.EXPECTED_CHAIN_ID,
    signerKey:
      e.SIGNER_KEY ?? (e.SIGNER_KEY_FILE ? readKeyFile("SIGNER_KEY_FILE", e.SIGNER_KEY_FILE, warnings) : undefined),
    verifierKey:
      e.VERIFIER_KEY ??
      (e.VERIFIER_KEY_FILE ? readKeyFile("VERIFIER_KEY_FILE", e.VERIFIER_KEY_FILE, warnings) : undefined),
    macKey: e.NODE_MAC_KEY ?? (e.NODE_MAC_KEY_FILE ? readMacKeyFile(e.NODE_MAC_KEY_FILE) : undefined),
    integrity: { intervalMs: e.INTEGRITY_CHECK_MS, batchSize: e.INTEGRITY_CHECK_BATCH },
    unresolvedAnchors: {
      retries: e.UNRESOLVED_ANCHOR_RETRIES,
      waitMs: e.UNRESOLVED_ANCHOR_WAIT_MS,
      retryMs: e.UNRESOLVED_ANCHOR_RETRY_MS,
    },
    confirmations: e.CONFIRMATIONS,
    pollIntervalMs: e.POLL_INTERVAL_MS,
    outboxWindow: e.OUTBOX_WINDOW,
    batch: { maxSize: e.BATCH_MAX_SIZE, maxAgeMs: e.BATCH_MAX_AGE_MS },
    limits: {
      uploadBytes: e.UPLOAD_MAX_BYTES,
      jsonBytes: e.JSON_MAX_BYTES,
      requestsPerMinute: e.RATE_LIMIT_PER_MINUTE,
      uploadsPerMinute: e.UPLOAD_QUOTA_PER_MINUTE,
    },
    bankNode:
      e.BANK_NODE_URL && e.BANK_NODE_API_KEY ? { url: e.BANK_NODE_URL, apiKey: e.BANK_NODE_API_KEY } : undefined,
    registrySeedFile: e.REGISTRY_SEED_FILE ? path.resolve(e.REGISTRY_SEED_FILE) : undefined,
    verifierEnabled: e.VERIFIER_ENABLED,
    chainWaitMs: e.CHAIN_WAIT_MS,
    reviewCheckMs: e.REVIEW_CHECK_MS,
    regulatorNodeUrl: e.REGULATOR_NODE_URL,
    demoLoginsFile: e.DEMO_LOGINS_FILE ? path.resolve(e.DEMO_LOGINS_FILE) : undefined,
    webDir: path.resolve(e.WEB_DIR ?? path.join(ROOT, "web", "dist")),
    productsDir: e.PRODUCTS_DIR ? path.resolve(e.PRODUCTS_DIR) : undefined,
    logLevel: e.LOG_LEVEL,
    warnings,
  };
}
