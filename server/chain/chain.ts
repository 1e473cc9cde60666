import { FetchRequest, JsonRpcProvider, Network, Wallet } from "ethers";
import type { Logger } from "pino";
import { createBlockTimes } from "./block-times";
import type { Deployment } from "./deployment";
import {
  EvidenceRegistry__factory,
  FacilityManager__factory,
  PayeeRegistry__factory,
  SettlementToken__factory,
} from "../../typechain-types";

/**
 * The JSON-RPC endpoint is not the deployment's chain: another chain id, or the deployment's contracts are not there
 * (another chain with the same id, a chain reset since the deployment). Retrying does not help; configuration does.
 */
export class ChainMismatch extends Error {
  override name = "ChainMismatch";
}

/**
 * A node's view of the chain: a JSON-RPC provider pinned to the deployment's chain id (so start-up does not depend
 * on the node being up, and a node on another chain is refused), the node's transaction signer and the contracts.
 * Works with any EVM JSON-RPC endpoint: hardhat node, anvil, Besu.
 */
export function createChain({
  deployment,
  rpcUrl,
  expectedChainId,
  signerKey,
  pollingIntervalMs = 250,
  requestTimeoutMs = 10_000,
}: {
  deployment: Deployment;
  rpcUrl?: string;
  expectedChainId?: number;
  signerKey: string;
  pollingIntervalMs?: number;
  /** A node that stops answering (paused, partitioned) fails a request after this long instead of ethers' 5 minutes. */
  requestTimeoutMs?: number;
  logger?: Logger;
}) {
  const chainId = BigInt(deployment.chainId);
  if (expectedChainId !== undefined && BigInt(expectedChainId) !== chainId) {
    throw new ChainMismatch(`EXPECTED_CHAIN_ID is ${expectedChainId} but the deployments file is for chain ${chainId}`);
  }
  const url = rpcUrl ?? deployment.rpcUrl;
  const request = new FetchRequest(url);
  request.timeout = requestTimeoutMs;
  const provider = new JsonRpcProvider(request, Network.from(chainId), {
    staticNetwork: true,
    pollingInterval: pollingIntervalMs,
    batchMaxCount: 20,
  });
  // Unbatched, for reads on an API request's path: ethers holds a batch open 10 ms to fill it, which a facility view
  // (its state, then its plan) paid twice per request.
  const readRequest = new FetchRequest(url);
  readRequest.timeout = requestTimeoutMs;
  const reader = new JsonRpcProvider(readRequest, Network.from(chainId), { staticNetwork: true, batchMaxCount: 1 });
  const signer = new Wallet(signerKey, provider);
  const evidence = EvidenceRegistry__factory.connect(deployment.contracts.EvidenceRegistry, signer);
  const manager = FacilityManager__factory.connect(deployment.contracts.FacilityManager, signer);
  const managerReader = FacilityManager__factory.connect(deployment.contracts.FacilityManager, reader);
  const payees = PayeeRegistry__factory.connect(deployment.contracts.PayeeRegistry, signer);
  const token = SettlementToken__factory.connect(deployment.contracts.SettlementToken, signer);

  return {
    url,
    chainId,
    deployment,
    provider,
    signer,
    evidence,
    manager,
    /** Unbatched reads for request paths: the JSON-RPC provider and the FacilityManager over it. */
    reads: { provider: reader, manager: managerReader },
    payees,
    token,
    /** Block timestamps, cached by block hash (reorg-safe, bounded): one cache for every reader of this chain. */
    blockTimes: createBlockTimes(provider),
    /**
     * Fails unless the node answers with the deployment's chain id and has code at each of the deployment's contracts:
     * with ChainMismatch when it answers as another chain, with the transport's error when it does not answer.
     */
    async check(): Promise<{ chainId: string; block: number }> {
      const answered = BigInt(await provider.send("eth_chainId", []));
      if (answered !== chainId)
        throw new ChainMismatch(
          `the JSON-RPC node at ${url} is chain ${answered}, the deployment is for chain ${chainId}`,
        );
      const contracts = Object.entries(deployment.contracts);
      const codes = await Promise.all(contracts.map(([, address]) => provider.getCode(address)));
      const missing = contracts.filter((_, i) => codes[i] === "0x").map(([name, address]) => `${name} ${address}`);
      if (missing.length > 0) {
        throw new ChainMismatch(
          `no contract code at ${missing.join(", ")} on ${url} (chain ${chainId}): the deployments file's contracts are not on this chain; point RPC_URL at the chain they were deployed to, or deploy first`,
        );
      }
      return { chainId: answered.toString(), block: await provider.getBlockNumber() };
    },
    close(): void {
      provider.destroy();
      reader.destroy();
    },
  };
}

export type Chain = ReturnType<typeof createChain>;

/** The chain's own clock (the latest block's timestamp): deadlines must be set against it, not the wall clock. */
export async function chainNow(chain: Pick<Chain, "provider">): Promise<number> {
  // A raw call: no provider-side caching of "latest" between polls.
  const block = (await chain.provider.send("eth_getBlockByNumber", ["latest", false])) as { timestamp: string } | null;
  return block ? Number(BigInt(block.timestamp)) : Math.floor(Date.now() / 1000);
}
