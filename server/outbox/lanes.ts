import type { Wallet } from "ethers";

/**
 * The outbox's lanes. A job waits in one lane, chosen by its kind when it is queued and kept in its row:
 *
 * - CONTROL: the regulator's controls (a freeze, an unfreeze). Never behind bulk work: its worker takes a due CONTROL
 *   job before any other job of its account, and bulk verifier work is sent from another account altogether.
 * - RELAY: bulk work any account may send, because what it carries was signed elsewhere (a verifier's attestation,
 *   batch verdict or revocation). Sent from the relay account (the node's verifier key) when one is configured, so its
 *   nonces and its place in the chain node's pool are its own.
 * - MAIN: everything else (anchoring, payees, facilities, payments and the leaf registrations they need, reviews),
 *   from the node's role-holding key: a payment's REGISTER_EVIDENCE is signed before the payment, on the same nonces.
 *
 * Jobs are signed in creation order and an account's nonces make the chain execute them so (./window.ts). Lanes that
 * share an account share one worker and one nonce sequence, in the order of `tiers`.
 */
export const LANE = { CONTROL: "CONTROL", MAIN: "MAIN", RELAY: "RELAY" } as const;
export type Lane = (typeof LANE)[keyof typeof LANE];

/** Job kinds of the CONTROL lane (JOB.FREEZE and JOB.UNFREEZE of server/outbox/jobs.ts). */
export const CONTROL_KINDS: readonly string[] = ["FREEZE", "UNFREEZE"];
/** Job kinds of the RELAY lane (ATTEST, REVOKE of server/verification/verifier.ts, BATCH_ATTEST; REGISTER_LEAF of earlier versions). */
export const RELAY_KINDS: readonly string[] = ["REGISTER_LEAF", "ATTEST", "REVOKE", "BATCH_ATTEST"];

/**
 * Kinds whose jobs go strictly one after another, by sequence: a verifier's attestations (one evidence or a batch) and revocations carry its
 * EIP-712 nonce, which their handlers read from the chain when they build (the registry refuses one out of turn:
 * InvalidAccountNonce), and a freeze and the unfreeze after it must not cross. A job of a sequence is built only when
 * no earlier job of its sequence is unmined or waiting (to re-check a refusal, or for an earlier transaction); other
 * jobs go on meanwhile. Other kinds have no order between them beyond what their gas estimates show (a leaf registered
 * before its attestation, a facility created before its funding: the window waits for those). A handler that builds
 * from chain state its own earlier transactions change belongs in a sequence.
 */
export const SEQUENCES: Readonly<Record<string, string>> = {
  ATTEST: "verifier-nonce",
  BATCH_ATTEST: "verifier-nonce",
  REVOKE: "verifier-nonce",
  FREEZE: "control",
  UNFREEZE: "control",
};

export const sequenceOf = (kind: string): string | undefined => SEQUENCES[kind];

export function laneOf(kind: string): Lane {
  if (CONTROL_KINDS.includes(kind)) return LANE.CONTROL;
  if (RELAY_KINDS.includes(kind)) return LANE.RELAY;
  return LANE.MAIN;
}

/** One worker: an account, and the lanes it serves, highest priority first (lanes of one tier in creation order). */
export interface LaneWorker {
  name: string;
  signer: Wallet;
  tiers: Lane[][];
}

/**
 * The workers of a node: the role-holding signer serves CONTROL first, then MAIN; RELAY gets a worker of its own when
 * its account differs, and otherwise joins MAIN's tier (one account, one sequence: the order of old).
 */
export function laneWorkers(signer: Wallet, relaySigner?: Wallet): LaneWorker[] {
  if (!relaySigner || relaySigner.address === signer.address) {
    return [{ name: "main", signer, tiers: [[LANE.CONTROL], [LANE.MAIN, LANE.RELAY]] }];
  }
  return [
    { name: "main", signer, tiers: [[LANE.CONTROL], [LANE.MAIN]] },
    { name: "relay", signer: relaySigner, tiers: [[LANE.RELAY]] },
  ];
}
