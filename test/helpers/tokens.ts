import type { Signer } from "ethers";
import type { Fixture } from "./fixtures";

/** Mints `amount` fen to `holder` (the bank holds MINTER_ROLE) and has it approve the manager for that amount. */
export async function giveTokens(fx: Fixture, holder: Signer, amount: bigint): Promise<void> {
  await fx.token.connect(fx.issuer).mint(await holder.getAddress(), amount);
  await fx.token.connect(holder).approve(await fx.manager.getAddress(), amount);
}
