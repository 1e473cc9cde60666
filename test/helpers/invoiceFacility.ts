import { DEV_ACCOUNTS, devWallet } from "../../scripts/lib/deploy-config";
import type { Chain } from "../../server/chain/chain";
import { Category, Kind, kindsMask } from "./constants";

/**
 * A facility of the dev borrower created on chain by the bank's account (the chain node's unlocked signer, which
 * numbers its transactions): one payment of 100,000 fen to each of `payees` (registered EQUIPMENT payees), each
 * released by an INVOICE naming it. Its id.
 */
export async function createInvoiceFacility(chain: Chain, payees: string[]): Promise<bigint> {
  const manager = chain.manager.connect(await chain.provider.getSigner(DEV_ACCOUNTS.bank));
  const terms = {
    borrower: devWallet("borrower").address,
    creditLimit: 100_000n * BigInt(payees.length),
    baseRateBps: 435,
    qualityFloorBps: 3_000,
    subsidyBps: 300,
  };
  const plan = payees.map((payee) => ({
    payee,
    amount: 100_000n,
    category: Category.EQUIPMENT,
    requiredKinds: kindsMask(Kind.INVOICE),
    qualityPurpose: true,
    paid: false,
  }));
  await (await manager.createFacility(terms, plan)).wait();
  return chain.manager.facilityCount();
}
