import type { Chain } from "../chain/chain";
import { locateAnchored } from "../chain/anchored";
import { kindIndex } from "../chain/evidence";
import type { Tx } from "../db/client";
import type { JobHandler, Outbox } from "../outbox/outbox";
import type { LeafRef } from "./evidence-status";

/**
 * The bank's job that records a batched leaf as evidence (registerBatchedEvidence), queued by a payment's pre-flight
 * for evidence both verifiers accepted in its batch: a MAIN-lane job (server/outbox/lanes.ts), queued in the same
 * database transaction as the payment and before it, so the payment (whose gas estimate needs the record) lands after
 * it and the leaf is registered once, by one node.
 */
export const REGISTER_EVIDENCE = "REGISTER_EVIDENCE";

export interface RegisterPayload {
  root: string;
  index: number;
  facilityId: string;
  kind: number;
  counterparty: string;
  saltedHash: string;
  proof: string[];
  evidenceId: string;
}

/** The job key of a leaf's registration (the same as the REGISTER_LEAF jobs of earlier versions: one per evidence). */
export const registerKey = (evidenceId: string) => `register:${evidenceId}`;

/**
 * A handler that registers a batched leaf: done once its evidence record is on chain (whoever registered it). The proof
 * is the authority, so the contract checks everything the payload says.
 */
export function registerLeafHandler(chain: Chain, kind: string): JobHandler<RegisterPayload> {
  return {
    kind,
    locate: ({ evidenceId }) => locateAnchored(chain, evidenceId),
    build: (p) =>
      chain.evidence.registerBatchedEvidence.populateTransaction(
        p.root,
        p.index,
        BigInt(p.facilityId),
        p.kind,
        p.counterparty,
        p.saltedHash,
        p.proof,
      ),
    async onConfirmed() {
      // nothing to record: the payment job behind it is what the node tracks
    },
  };
}

/** What a payment's chosen evidence must say for its leaf to be registered. */
export interface ChosenEvidence {
  evidenceId: string;
  facilityId: bigint;
  kind: Parameters<typeof kindIndex>[0];
  counterparty: string;
  saltedHash: string;
  registered: boolean;
  verified: boolean;
  batch?: LeafRef | null;
}

/**
 * Queues, inside the payment's transaction, the registration of each chosen evidence that is verified in its batch but
 * not registered on chain. Exactly once across crashes: one job key per evidence, created with the payment's job or not
 * at all. Returns the evidence ids queued.
 */
export async function queueRegistrations(tx: Tx, outbox: Outbox, chosen: ChosenEvidence[]): Promise<string[]> {
  const queued: string[] = [];
  for (const e of chosen) {
    if (e.registered || !e.batch || !e.verified) continue;
    const payload: RegisterPayload = {
      root: e.batch.root,
      index: e.batch.index,
      facilityId: e.facilityId.toString(),
      kind: kindIndex(e.kind),
      counterparty: e.counterparty,
      saltedHash: e.saltedHash,
      proof: e.batch.proof,
      evidenceId: e.evidenceId,
    };
    await outbox.enqueue(
      tx,
      { key: registerKey(e.evidenceId), kind: REGISTER_EVIDENCE, payload },
      { retryFailed: true },
    );
    queued.push(e.evidenceId);
  }
  return queued;
}
