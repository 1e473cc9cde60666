import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { Fixture } from "./fixtures";
import type { Kind } from "./constants";
import { anchoredEvidence, verifyEvidence, type Evidence } from "./factories";

/** The evidence kinds set in a payment's required-kinds mask, lowest bit first. */
export function kindsOf(mask: bigint | number): Kind[] {
  const kinds: Kind[] = [];
  for (let kind = 0; kind < 7; ++kind) {
    if ((Number(mask) >> kind) & 1) kinds.push(kind as Kind);
  }
  return kinds;
}

/** Anchors and verifies one piece of evidence for each kind that payment `index` of the facility requires. */
export async function evidenceForPayment(fx: Fixture, facilityId: bigint, index: number): Promise<Evidence[]> {
  const { requiredKinds } = await fx.manager.payment(facilityId, index);
  const list: Evidence[] = [];
  for (const kind of kindsOf(requiredKinds)) {
    const evidence = await anchoredEvidence(fx, facilityId, kind, { index });
    await verifyEvidence(fx, evidence.id);
    list.push(evidence);
  }
  return list;
}

/**
 * Executes payment `index` with freshly verified evidence. With `at`, the payment's block gets exactly that timestamp
 * (the evidence is prepared in earlier blocks), so interest segments start and end on known seconds.
 */
export async function executeWithEvidence(
  fx: Fixture,
  facilityId: bigint,
  index: number,
  options: { at?: bigint } = {},
): Promise<ContractTransactionResponse> {
  const evidence = await evidenceForPayment(fx, facilityId, index);
  if (options.at !== undefined) await time.setNextBlockTimestamp(options.at);
  return fx.manager.executePayment(facilityId, index, evidence);
}
