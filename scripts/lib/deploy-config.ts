import { getAddress, isAddress } from "ethers";
import { z } from "zod";
import { DEV_CHAIN_ID } from "../../server/chain/dev-accounts";
import { readKeyFile } from "../../server/config";

// The development accounts are the server's too (a node on the development chain signs with them).
export { DEV_ACCOUNTS, DEV_CHAIN_ID, DEV_MNEMONIC, devWallet } from "../../server/chain/dev-accounts";

/** Governance delay on the development chain: long enough to see the timelock work, short enough for a demo. */
export const DEV_GOVERNANCE_DELAY_SECONDS = 60;

/** Governance delay elsewhere unless GOVERNANCE_DELAY_SECONDS says otherwise: two days for either side to object. */
export const DEFAULT_GOVERNANCE_DELAY_SECONDS = 2 * 86_400;

/** The bank node's operating float minted on the development chain (10,000,000,000,000.00 CNY, in fen). */
export const DEV_FLOAT_FEN = 10n ** 15n;

const address = z
  .string()
  .refine((value) => isAddress(value), { message: "must be a 0x-prefixed 20-byte address" })
  .transform((value) => getAddress(value));

const privateKey = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, { message: "must be a 0x-prefixed 32-byte hex private key" });

const DeployEnv = z.object({
  RPC_URL: z.url({ message: "must be an http(s) URL of a JSON-RPC node" }).default("http://127.0.0.1:8545"),
  EXPECTED_CHAIN_ID: z.coerce.number().int().positive().optional(),
  DEPLOYER_KEY: privateKey.optional(),
  DEPLOYER_KEY_FILE: z.string().min(1).optional(),
  BANK_ADDRESS: address.optional(),
  REGULATOR_ADDRESS: address.optional(),
  FISCAL_ADDRESS: address.optional(),
  VERIFIER_ADDRESSES: z
    .string()
    .transform((value) => value.split(",").map((item) => item.trim()))
    .pipe(z.array(address).min(1))
    .optional(),
  VERIFIER_THRESHOLD: z.coerce.number().int().min(1).max(32).optional(),
  TREASURY_ADDRESS: address.optional(),
  GOVERNANCE_ADDRESSES: z
    .string()
    .transform((value) => value.split(",").map((item) => item.trim()))
    .pipe(z.array(address).min(1))
    .optional(),
  GOVERNANCE_THRESHOLD: z.coerce.number().int().min(1).max(32).optional(),
  GOVERNANCE_DELAY_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .optional(),
  TOKEN_ADDRESS: address.optional(),
  ISSUER_ADDRESS: address.optional(),
  INITIAL_FLOAT_FEN: z
    .string()
    .regex(/^[0-9]{1,17}$/, { message: "must be a whole number of fen (at most 17 digits)" })
    .transform((value) => BigInt(value))
    .optional(),
  DEPLOYMENTS_FILE: z.string().min(1).optional(),
});

export type DeployConfig = Omit<z.infer<typeof DeployEnv>, "DEPLOYER_KEY_FILE"> & {
  dev: boolean;
  /** Problems worth printing that do not stop the deployment (a key file other users can read). */
  warnings?: string[];
};

/**
 * Parses the deployment settings from the environment once. The deployer's key comes from DEPLOYER_KEY or
 * DEPLOYER_KEY_FILE; without either the development accounts are used, on the development chain only
 * (`checkDeployTarget`). A bad value stops with a message naming the variable.
 */
export function parseDeployConfig(env: NodeJS.ProcessEnv = process.env): DeployConfig {
  const parsed = DeployEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new Error(`invalid deployment configuration: ${problems}`);
  }
  const { DEPLOYER_KEY_FILE, ...config } = parsed.data;
  const warnings: string[] = [];
  if (DEPLOYER_KEY_FILE !== undefined) {
    if (config.DEPLOYER_KEY !== undefined) {
      throw new Error("invalid deployment configuration: DEPLOYER_KEY and DEPLOYER_KEY_FILE: set one, not both");
    }
    try {
      config.DEPLOYER_KEY = readKeyFile("DEPLOYER_KEY_FILE", DEPLOYER_KEY_FILE, warnings);
    } catch (error) {
      throw new Error(`invalid deployment configuration: ${(error as Error).message}`);
    }
  }
  const dev = config.DEPLOYER_KEY === undefined;
  if (!dev) {
    const missing = (
      [
        "BANK_ADDRESS",
        "REGULATOR_ADDRESS",
        "FISCAL_ADDRESS",
        "VERIFIER_ADDRESSES",
        "TREASURY_ADDRESS",
        "GOVERNANCE_ADDRESSES",
      ] as const
    ).filter((key) => config[key] === undefined);
    if (missing.length > 0) {
      throw new Error(`invalid deployment configuration: with DEPLOYER_KEY set, also set ${missing.join(", ")}`);
    }
    // Held jointly: with one approval enough, one institution's key alone would be governance.
    const members = config.GOVERNANCE_ADDRESSES!.length;
    const threshold = config.GOVERNANCE_THRESHOLD ?? members;
    if (members < 2 || threshold < 2 || threshold > members) {
      throw new Error(
        `invalid deployment configuration: GOVERNANCE_THRESHOLD: ${threshold} of ${members} GOVERNANCE_ADDRESSES; governance needs at least two members and two approvals (the bank's and the regulator's)`,
      );
    }
  }
  return { ...config, dev, warnings };
}

/**
 * Refuses a deployment to the wrong chain: one whose id differs from EXPECTED_CHAIN_ID, and on any chain but the
 * development chain one that does not name its chain (EXPECTED_CHAIN_ID) or would use the development accounts, whose
 * keys are public (on a free-gas network anyone could then act as the governance admin).
 */
export function checkDeployTarget(config: DeployConfig, chainId: bigint): void {
  if (config.EXPECTED_CHAIN_ID !== undefined && BigInt(config.EXPECTED_CHAIN_ID) !== chainId) {
    throw new Error(
      `chain id check failed: ${config.RPC_URL} is chain ${chainId}, EXPECTED_CHAIN_ID is ${config.EXPECTED_CHAIN_ID}`,
    );
  }
  if (chainId === DEV_CHAIN_ID) return;
  if (config.EXPECTED_CHAIN_ID === undefined) {
    throw new Error(
      `EXPECTED_CHAIN_ID: required on chain ${chainId} (every chain but the development chain ${DEV_CHAIN_ID}); set it to ${chainId} to confirm that ${config.RPC_URL} is the chain to deploy to`,
    );
  }
  if (config.dev) {
    throw new Error(
      `DEPLOYER_KEY or DEPLOYER_KEY_FILE: required on chain ${chainId}; the development accounts (a public mnemonic) are only used on chain ${DEV_CHAIN_ID}`,
    );
  }
}
