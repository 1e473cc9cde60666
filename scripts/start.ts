/**
 * `npm start`: a local chain node (a real `hardhat node` process) with the contracts deployed, ready for the server
 * nodes. Ctrl-C stops it. CHAIN_PORT (default 8545) picks the port.
 */
import { startChainNode } from "./lib/chain-node";
import { deploy } from "./deploy";
import { parseDeployConfig } from "./lib/deploy-config";

async function main(): Promise<void> {
  const port = Number(process.env.CHAIN_PORT ?? 8545);
  if (!Number.isInteger(port) || port <= 0 || port > 65_535)
    throw new Error(`CHAIN_PORT must be a TCP port, got "${process.env.CHAIN_PORT}"`);
  console.log(`[1/2] starting a Hardhat chain node on port ${port}…`);
  const node = await startChainNode({ kind: "hardhat", port });
  let stopping = false;
  const stop = async (signal: string) => {
    stopping = true;
    console.log(`\n${signal}: stopping the chain node…`);
    await node.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
  node.process.once("exit", (code) => {
    if (stopping) return;
    console.error(`the chain node exited (code ${code})`);
    process.exit(1);
  });

  console.log(`[2/2] deploying the contracts…`);
  try {
    await deploy(parseDeployConfig({ ...process.env, RPC_URL: node.url }), (line) => console.log(`      ${line}`));
  } catch (error) {
    await node.stop();
    throw error;
  }
  console.log(`\nready: JSON-RPC at ${node.url} (chain 31337). Press Ctrl-C to stop.`);
}

main().catch((error: Error) => {
  console.error(`npm start failed: ${error.message}`);
  process.exit(1);
});
