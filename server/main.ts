/** Entry point of one node process: `NODE_ROLE=bank tsx server/main.ts` (npm run node:bank / node:regulator). */
import { ConfigError, loadConfig } from "./config";
import { startNode, stopOnSignals } from "./node/start";

async function main(): Promise<void> {
  stopOnSignals(await startNode(loadConfig()));
}

main().catch((error: Error) => {
  console.error(
    error instanceof ConfigError
      ? `configuration error: ${error.message}`
      : `node failed to start: ${error.stack ?? error.message}`,
  );
  process.exit(1);
});
