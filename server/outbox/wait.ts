import { AppError, codeOfContractError } from "../errors";
import { ChainWriteFailed, type Outbox } from "./outbox";

/**
 * Waits for a queued chain write: its transaction once confirmed, undefined if it is still on its way after `waitMs`
 * (the caller answers 202), or a 409 problem named after the contract's custom error when the chain refused it.
 */
export async function chainWrite(outbox: Outbox, key: string, waitMs: number): Promise<{ txHash: string } | undefined> {
  outbox.poke();
  try {
    return await outbox.waitFor(key, waitMs);
  } catch (error) {
    if (error instanceof ChainWriteFailed) {
      const name = /^([A-Za-z]+)\(/.exec(error.reason)?.[1];
      throw new AppError(
        409,
        name ? codeOfContractError(name) : "chain_write_refused",
        `the chain refused the transaction: ${error.reason}`,
      );
    }
    throw error;
  }
}
