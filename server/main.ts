/** Entry point of one node process: `NODE_ROLE=bank tsx server/main.ts` (npm run node:bank / node:regulator). */
import { ConfigError, loadConfig } from "./config";
import { startNode } from "./node";

async function main(): Promise<void> {
  const node = await startNode(loadConfig());
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    node.logger.info({ signal }, "stopping");
    node.close().then(
      () => process.exit(0),
      (error: Error) => {
        node.logger.error({ error: error.message }, "unclean stop");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: Error) => {
  console.error(
    error instanceof ConfigError
      ? `configuration error: ${error.message}`
      : `node failed to start: ${error.stack ?? error.message}`,
  );
  process.exit(1);
});
