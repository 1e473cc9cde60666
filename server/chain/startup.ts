import type { Logger } from "pino";
import type { NodeRole } from "../config";
import { createLoop } from "../loop";
import { ChainMismatch, type Chain } from "./chain";

/**
 * Holds a node's chain work (outbox, indexer, verifier, review scheduler) until its JSON-RPC endpoint has answered as
 * the deployment's chain. Sending to the wrong endpoint is worse than not sending: a transaction to an address without
 * code succeeds and does nothing, so the outbox would record writes that never happened.
 *
 * `probe` is the start-up check: it throws ChainMismatch (the node refuses to start) and answers false when the
 * endpoint does not answer yet. Then `whenReady` keeps checking and starts the work once it answers as the right
 * chain, or never, with an error logged, when it turns out to be another one.
 */
export function createChainGate({
  chain,
  logger,
  retryMs = 2_000,
}: {
  chain: Chain;
  logger: Logger;
  retryMs?: number;
}) {
  let retry: ReturnType<typeof createLoop> | undefined;
  let closed = false;
  let lastError = "";

  async function probe(): Promise<boolean> {
    try {
      await chain.check();
      return true;
    } catch (error) {
      if (error instanceof ChainMismatch) throw error;
      lastError = (error as Error).message;
      return false;
    }
  }

  return {
    probe,
    /** The last transport error of a check that got no answer. */
    lastError: () => lastError,
    whenReady(start: () => void): void {
      if (closed) return;
      // Checks every `retryMs` until the endpoint answers; then, or on a mismatch (a pass that throws), no more.
      const loop = createLoop(
        async () => {
          if (!(await probe())) return false;
          void loop.stop();
          if (!closed) start();
          return false;
        },
        (error) => {
          void loop.stop();
          logger.error(
            { error: (error as Error).message },
            "the chain endpoint is not the deployment's chain: the outbox, indexer and verifier stay stopped",
          );
        },
      );
      retry = loop;
      loop.start(retryMs);
    },
    close(): void {
      closed = true;
      void retry?.stop();
    },
  };
}

/**
 * What would make this node's writes fail on chain although they are well formed: its transaction key without the
 * roles they need, its verifier key outside the verifier set (two keys swapped, a key file of another node), or no
 * ether to pay gas on a chain that charges for it; and powers it must not hold (an admin role, minting), which whoever
 * took the server would hold too. Each problem is a sentence; none means the keys fit. Without a
 * verifier address (the node's verifier is off) the verifier set is not looked at.
 */
export async function keyProblems(chain: Chain, role: NodeRole, verifierAddress?: string): Promise<string[]> {
  const signer = chain.signer.address;
  const { manager, evidence, payees } = chain;
  const holds = async (contract: { hasRole(role: string, account: string): Promise<boolean> }, id: Promise<string>) =>
    contract.hasRole(await id, signer);
  const needed: Array<[role: string, contract: string, held: Promise<boolean>]> =
    role === "bank"
      ? [
          ["BANK_ROLE", "FacilityManager", holds(manager, manager.BANK_ROLE())],
          ["ANCHORER_ROLE", "EvidenceRegistry", holds(evidence, evidence.ANCHORER_ROLE())],
          ["PAYEE_ADMIN_ROLE", "PayeeRegistry", holds(payees, payees.PAYEE_ADMIN_ROLE())],
        ]
      : [["REGULATOR_ROLE", "FacilityManager", holds(manager, manager.REGULATOR_ROLE())]];
  // Powers an online key must not hold (issue 12): taking the server would take them too.
  const ADMIN = "0x" + "0".repeat(64);
  const forbidden: Array<[role: string, contract: string, held: Promise<boolean>]> = [
    ["DEFAULT_ADMIN_ROLE", "FacilityManager", manager.hasRole(ADMIN, signer)],
    ["DEFAULT_ADMIN_ROLE", "EvidenceRegistry", evidence.hasRole(ADMIN, signer)],
    ["DEFAULT_ADMIN_ROLE", "PayeeRegistry", payees.hasRole(ADMIN, signer)],
    ["DEFAULT_ADMIN_ROLE", "SettlementToken", chain.token.hasRole(ADMIN, signer).catch(() => false)],
    ["MINTER_ROLE", "SettlementToken", holds(chain.token, chain.token.MINTER_ROLE()).catch(() => false)],
  ];
  const [held, powers, isVerifier, balance, gasPrice, relayBalance] = await Promise.all([
    Promise.all(needed.map(([, , has]) => has)),
    Promise.all(forbidden.map(([, , has]) => has)),
    verifierAddress === undefined ? true : evidence.isVerifier(verifierAddress),
    chain.provider.getBalance(signer),
    chain.provider.send("eth_gasPrice", []).then(BigInt),
    verifierAddress === undefined ? 1n : chain.provider.getBalance(verifierAddress),
  ]);
  const problems = needed
    .filter((_, i) => !held[i])
    .map(([name, contract]) => `the transaction key ${signer} does not hold ${name} on ${contract}`);
  for (const [name, contract] of forbidden.filter((_, i) => powers[i])) {
    problems.push(
      `the transaction key ${signer} holds ${name} on ${contract}: an online key must not hold governance powers; revoke it through governance (docs/deployment.md, 6.1)`,
    );
  }
  if (!isVerifier) problems.push(`the verifier key ${verifierAddress} is not in the EvidenceRegistry's verifier set`);
  if (balance === 0n && gasPrice > 0n) {
    problems.push(`the transaction key ${signer} holds no ether and the chain's gas price is ${gasPrice} wei`);
  }
  // The verifier's account relays its own attestations (the outbox's RELAY lane, server/outbox/lanes.ts).
  if (relayBalance === 0n && gasPrice > 0n) {
    problems.push(
      `the verifier key ${verifierAddress} relays attestations but holds no ether (gas price ${gasPrice} wei)`,
    );
  }
  return problems;
}
