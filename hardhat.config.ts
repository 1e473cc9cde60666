import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, TASK_TEST_GET_TEST_FILES } from "hardhat/builtin-tasks/task-names";
import path from "node:path";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";

// One pinned compiler, taken from the npm `solc` package (solcjs): Hardhat cannot download solc on these machines.
const SOLC_VERSION = "0.8.28";
const SOLC_LONG_VERSION = "0.8.28+commit.7893614a";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async ({ solcVersion }: { solcVersion: string }, _hre, runSuper) => {
  if (solcVersion !== SOLC_VERSION) return runSuper();
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: SOLC_LONG_VERSION,
  };
});

// `hardhat test` without file arguments (npm test) leaves out the reliability suite (test/reliability: soak, faults,
// fuzzed input, security), which runs on its own with `npm run test:reliability`.
subtask(TASK_TEST_GET_TEST_FILES, async ({ testFiles }: { testFiles: string[] }, hre, runSuper) => {
  const files: string[] = await runSuper({ testFiles });
  if (testFiles.length > 0) return files;
  const reliability = path.join(hre.config.paths.tests, "reliability") + path.sep;
  return files.filter((file) => !file.startsWith(reliability));
});

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: { optimizer: { enabled: true, runs: 1_000 }, evmVersion: "cancun" },
  },
  networks: {
    hardhat: {
      hardfork: "cancun",
      // `hardhat node` for the demo and the process tests can also mine on an interval, so confirmations advance on
      // an idle chain as they would on a real one; the in-process test network keeps pure automine.
      ...(process.env.HARDHAT_INTERVAL_MS
        ? { mining: { auto: true, interval: Number(process.env.HARDHAT_INTERVAL_MS) } }
        : {}),
    },
    localhost: { url: process.env.RPC_URL ?? "http://127.0.0.1:8545" },
  },
  gasReporter: { enabled: process.env.REPORT_GAS === "1", currency: "USD", offline: true },
  mocha: { timeout: 120_000 },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
};

export default config;
