/**
 * The development chain's accounts (hardhat node and anvil fund them by default): a node on that chain signs with
 * them when no key is configured; the deploy script (scripts/lib/deploy-config.ts) deploys with them. Never used on
 * another chain.
 */
import { HDNodeWallet, Mnemonic } from "ethers";

/** The development chain id (hardhat node, anvil by default): the only chain on which dev accounts are used. */
export const DEV_CHAIN_ID = 31337n;

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
  bankGovernance: 7,
  regulatorGovernance: 8,
  treasury: 9,
} as const;

export function devWallet(role: keyof typeof DEV_ACCOUNTS): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), `m/44'/60'/0'/0/${DEV_ACCOUNTS[role]}`);
}
