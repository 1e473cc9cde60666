import type { Chain } from "./chain";

/**
 * Where an evidence record landed on chain (its EvidenceAnchored event, whoever put it there), for an outbox job's
 * `locate`: undefined while the record is not on chain.
 */
export async function locateAnchored(chain: Chain, evidenceId: string) {
  const evidence = await chain.evidence.evidenceOf(evidenceId);
  if (evidence.anchoredAt === 0n) return undefined;
  const [event] = await chain.evidence.queryFilter(chain.evidence.filters.EvidenceAnchored(evidenceId));
  return event
    ? { txHash: event.transactionHash, blockNumber: BigInt(event.blockNumber) }
    : { txHash: "0x", blockNumber: 0n };
}
