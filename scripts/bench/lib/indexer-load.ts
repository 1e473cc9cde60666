import { id, toQuantity } from "ethers";
import type { Deployment } from "../../lib/deployments";
import { EvidenceRegistry__factory } from "../../../typechain-types";

/** One JSON-RPC call as sent in a batch. */
interface RpcCall {
  method: string;
  params: unknown[];
}

/**
 * Sends calls as one JSON-RPC batch (a single HTTP request) and returns their results in order; fails on the first
 * error. A batch of a few hundred eth_sendTransaction calls costs the node far less than as many separate requests.
 */
export async function rpcBatch(url: string, calls: RpcCall[]): Promise<unknown[]> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(calls.map((call, i) => ({ jsonrpc: "2.0", id: i, ...call }))),
  });
  const answers = (await response.json()) as Array<{ id: number; result?: unknown; error?: { message: string } }>;
  if (!Array.isArray(answers)) throw new Error(`the node at ${url} answered a batch with ${JSON.stringify(answers)}`);
  const results = new Array<unknown>(calls.length);
  for (const answer of answers) {
    if (answer.error) throw new Error(`${calls[answer.id].method} failed: ${answer.error.message}`);
    results[answer.id] = answer.result;
  }
  return results;
}

export async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const [result] = await rpcBatch(url, [{ method, params }]);
  return result as T;
}

export interface GeneratedEvents {
  /** Contract events emitted by the generated transactions (one per transaction). */
  eventCount: number;
  firstBlock: number;
  lastBlock: number;
  seconds: number;
}

/**
 * Fills a development chain (anvil: its dev accounts are unlocked, so it signs eth_sendTransaction itself) with `count`
 * evidence anchors sent by the bank: three `anchor` calls (EvidenceAnchored) to one `anchorBatch` (BatchAnchored),
 * each transaction emitting exactly one event. Automine is switched off so `perBlock` transactions, sent as one batch
 * with explicit nonces, gas and price, land in each block mined with evm_mine; it is switched back on at the end.
 * Blocks stay under half full so the base fee falls rather than climbs past the price offered.
 */
export async function generateAnchorEvents({
  url,
  deployment,
  count,
  perBlock,
  onProgress,
}: {
  url: string;
  deployment: Deployment;
  count: number;
  perBlock: number;
  onProgress?: (sent: number, seconds: number) => void;
}): Promise<GeneratedEvents> {
  const registry = EvidenceRegistry__factory.createInterface();
  const to = deployment.contracts.EvidenceRegistry;
  const from = deployment.roles.bank;
  const run = `${Date.now()}:${Math.random()}`;
  const calldata = (i: number) =>
    i % 4 === 3
      ? registry.encodeFunctionData("anchorBatch", [id(`bench-batch:${run}:${i}`), 256])
      : registry.encodeFunctionData("anchor", [BigInt(1 + (i % 97)), i % 7, from, id(`bench-evidence:${run}:${i}`)]);

  // Every anchor writes the same fresh slots, so one estimate per function (with headroom) covers them all.
  const [anchorGas, batchGas] = (await rpcBatch(url, [
    { method: "eth_estimateGas", params: [{ from, to, data: calldata(0) }] },
    { method: "eth_estimateGas", params: [{ from, to, data: calldata(3) }] },
  ])) as string[];
  const gas = (i: number) => toQuantity((BigInt(i % 4 === 3 ? batchGas : anchorGas) * 3n) / 2n);
  const gasPrice = toQuantity(10_000_000_000n); // 10 gwei: well above anvil's base fee, which starts at 1 gwei
  let nonce = Number(await rpc<string>(url, "eth_getTransactionCount", [from, "latest"]));
  const startNonce = nonce;

  const started = performance.now();
  await rpc(url, "evm_setAutomine", [false]);
  let firstBlock = 0;
  let lastBlock = 0;
  try {
    for (let sent = 0; sent < count;) {
      const size = Math.min(perBlock, count - sent);
      const calls: RpcCall[] = [];
      for (let k = 0; k < size; k++) {
        const i = sent + k;
        calls.push({
          method: "eth_sendTransaction",
          params: [{ from, to, data: calldata(i), gas: gas(i), gasPrice, nonce: toQuantity(nonce++) }],
        });
      }
      await rpcBatch(url, calls);
      await rpc(url, "evm_mine", []);
      lastBlock = Number(await rpc<string>(url, "eth_blockNumber"));
      if (sent === 0) firstBlock = lastBlock;
      sent += size;
      onProgress?.(sent, (performance.now() - started) / 1000);
    }
  } finally {
    await rpc(url, "evm_setAutomine", [true]);
  }

  const mined = Number(await rpc<string>(url, "eth_getTransactionCount", [from, "latest"])) - startNonce;
  if (mined !== count) throw new Error(`sent ${count} transactions but ${mined} were mined (the pool kept the rest)`);
  return { eventCount: count, firstBlock, lastBlock, seconds: (performance.now() - started) / 1000 };
}

/** How many logs the indexed contracts (not the token) emitted in blocks `from`..`to`: what the indexer must store. */
export async function countLogs(url: string, deployment: Deployment, from: number, to: number): Promise<number> {
  if (to < from) return 0;
  const logs = await rpc<unknown[]>(url, "eth_getLogs", [
    {
      address: [
        deployment.contracts.EvidenceRegistry,
        deployment.contracts.FacilityManager,
        deployment.contracts.PayeeRegistry,
      ],
      fromBlock: toQuantity(from),
      toBlock: toQuantity(to),
    },
  ]);
  return logs.length;
}
