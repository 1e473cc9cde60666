import type { Chain } from "../chain/chain";
import type { Database } from "../db/client";
import { createEvidenceStatus } from "./evidence-status";

/**
 * Whether evidence can never be verified, from the chain alone: a current verifier recorded a REJECT for it (or
 * revoked its acceptance, which records a REJECT). On chain a REJECT from a current verifier is a veto (evidence is
 * verified only while no current verifier rejects it) and is final (a verifier attests once; a revocation only turns
 * an ACCEPT into a REJECT). So such evidence can back no payment, and what it claimed — its bytes, its business
 * identity — may be presented again by another document: a forgery citing a real invoice or report number does not
 * block the genuine one once either node has rejected it. Evidence still awaiting a verdict is not rejected: it holds
 * its bytes and identity until judged. A batched leaf not registered is judged by its batch's verdict bits
 * (./evidence-status.ts): a REJECT bit is as final as a recorded REJECT (registration copies it).
 *
 * The only way back for a rejected evidence is governance removing the rejecting verifier from the set (both
 * institutions' keys and the timelock): docs/architecture.md names it.
 */
export type RejectedOnChain = (evidenceId: string) => Promise<boolean>;

export function rejectedOnChain(chain: Pick<Chain, "evidence">, db: Database): RejectedOnChain {
  const status = createEvidenceStatus({ chain, db });
  return async (evidenceId) => (await status.statusOf(evidenceId)).verdicts.some((v) => v.verdict === "REJECT");
}

/** The evidence ids among `evidenceIds` that are not rejected on chain (in order): those still hold what they claim. */
export async function stillHolding(rejected: RejectedOnChain, evidenceIds: string[]): Promise<string[]> {
  const dead = await Promise.all(evidenceIds.map((id) => rejected(id)));
  return evidenceIds.filter((_, i) => !dead[i]);
}

/** Of `others` (newest first), the one whose evidence still holds its bytes or identity: not rejected on chain. */
export async function holderAmong<T extends { evidenceId: string }>(
  rejected: RejectedOnChain,
  others: T[],
): Promise<T | undefined> {
  const [holding] = await stillHolding(
    rejected,
    others.map((o) => o.evidenceId),
  );
  return others.find((o) => o.evidenceId === holding);
}
