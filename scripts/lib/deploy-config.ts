import { HDNodeWallet, Mnemonic, getAddress, isAddress } from "ethers";
import { z } from "zod";

/** The development mnemonic that both `hardhat node` and anvil fund by default. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Dev account indices by role, used when no keys or addresses are configured. */
export const DEV_ACCOUNTS = {
  admin: 0,
  bank: 1,
  regulator: 2,
  fiscal: 3,
  bankVerifier: 4,
  regulatorVerifier: 5,
  borrower: 6,
} as const;

export function devWallet(role: keyof typeof DEV_ACCOUNTS): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), `m/44'/60'/0'/0/${DEV_ACCOUNTS[role]}`);
}

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
  BANK_ADDRESS: address.optional(),
  REGULATOR_ADDRESS: address.optional(),
  FISCAL_ADDRESS: address.optional(),
  VERIFIER_ADDRESSES: z
    .string()
    .transform((value) => value.split(",").map((item) => item.trim()))
    .pipe(z.array(address).min(1))
    .optional(),
  VERIFIER_THRESHOLD: z.coerce.number().int().min(1).max(32).optional(),
  TOKEN_ADDRESS: address.optional(),
  DEPLOYMENTS_FILE: z.string().min(1).optional(),
});

export type DeployConfig = z.infer<typeof DeployEnv> & { dev: boolean };

/**
 * Parses the deployment settings from the environment once. Without DEPLOYER_KEY the development accounts are used,
 * which only a development node funds; a bad value stops with a message naming the variable.
 */
export function parseDeployConfig(env: NodeJS.ProcessEnv = process.env): DeployConfig {
  const parsed = DeployEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new Error(`invalid deployment configuration: ${problems}`);
  }
  const config = parsed.data;
  const dev = config.DEPLOYER_KEY === undefined;
  if (!dev) {
    const missing = (["BANK_ADDRESS", "REGULATOR_ADDRESS", "FISCAL_ADDRESS", "VERIFIER_ADDRESSES"] as const).filter(
      (key) => config[key] === undefined,
    );
    if (missing.length > 0) {
      throw new Error(`invalid deployment configuration: with DEPLOYER_KEY set, also set ${missing.join(", ")}`);
    }
  }
  return { ...config, dev };
}
