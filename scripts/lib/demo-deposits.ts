/**
 * The demo's deposits on the development chain: a deposit issuer (dev account 10, given gas with the dev chain's
 * setBalance) holds MINTER_ROLE on the demo token, and mints the money the demo's payers pay with — the borrower of
 * facility 1 (its repayments) and the fiscal account (the subsidy) — so the whole loan can be played in the dashboard.
 */
import { HDNodeWallet, JsonRpcProvider, Mnemonic, Wallet } from "ethers";
import { SettlementToken__factory } from "../../typechain-types";
import { DEV_MNEMONIC } from "./deploy-config";
import type { Deployment } from "./deployments";
import { DEMO_BORROWERS, DEMO_SIGNER_KEYS } from "./demo-seed";

export const demoIssuer = () => HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), "m/44'/60'/0'/0/10");

/** Gives the demo issuer gas on a development chain (anvil and hardhat both answer hardhat_setBalance). */
export async function fundDemoIssuer(rpcUrl: string): Promise<string> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
  try {
    const issuer = demoIssuer().address;
    await provider.send("hardhat_setBalance", [issuer, "0x56BC75E2D63100000"]); // 100 ETH
    return issuer;
  } finally {
    provider.destroy();
  }
}

/** Mints 2,000,000.00 CNY to the demo borrower and 200,000.00 CNY to the fiscal account (a year's subsidy is ~114,000). */
export async function seedDeposits(rpcUrl: string, deployment: Deployment, log: (line: string) => void) {
  if (new Wallet(DEMO_SIGNER_KEYS.yongxin).address !== DEMO_BORROWERS.yongxin)
    throw new Error("DEMO_SIGNER_KEYS.yongxin does not give DEMO_BORROWERS.yongxin");
  const issuer = demoIssuer();
  if (deployment.roles.issuer?.toLowerCase() !== issuer.address.toLowerCase()) {
    log("the demo token has no demo issuer (deployed before it had one): no deposits minted; npm start -- --reset");
    return;
  }
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
  try {
    const token = SettlementToken__factory.connect(deployment.contracts.SettlementToken, issuer.connect(provider));
    log("minting the demo's deposits (the borrower's, to repay; the fiscal account's, for the subsidy)…");
    // Numbered here: the provider's cached transaction count may not have seen the first mint yet.
    const nonce = await provider.getTransactionCount(issuer.address, "pending");
    await (await token.mint(DEMO_BORROWERS.yongxin, 200_000_000n, { nonce })).wait();
    await (await token.mint(deployment.roles.fiscal, 20_000_000n, { nonce: nonce + 1 })).wait();
  } finally {
    provider.destroy();
  }
}
