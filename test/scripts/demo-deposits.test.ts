import { expect } from "chai";
import { JsonRpcProvider, Wallet } from "ethers";
import fs from "node:fs";
import path from "node:path";
import { deploy } from "../../scripts/deploy";
import { startChainNode, type ChainNode } from "../../scripts/lib/chain-node";
import { parseDeployConfig } from "../../scripts/lib/deploy-config";
import { fundDemoIssuer, seedDeposits } from "../../scripts/lib/demo-deposits";
import { DEMO_BORROWERS, DEMO_SIGNER_KEYS } from "../../scripts/lib/demo-seed";
import { readDeployment } from "../../scripts/lib/deployments";
import { freePort } from "../../scripts/bench/lib/system";
import { SettlementToken__factory } from "../../typechain-types";
import { tempDir } from "../helpers/processes";

/** npm start's demo money on anvil, as scripts/start.ts makes it: the payers of the whole loan hold deposits. */
describe("the demo's deposits (npm start)", function () {
  this.timeout(120_000);
  let chainNode: ChainNode;
  let dir: string;

  after(async function () {
    await chainNode?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("mints the demo borrower's and the fiscal account's deposits, and the borrower's published key is its own", async function () {
    dir = tempDir("demo-deposits");
    chainNode = await startChainNode({ kind: "anvil", port: await freePort() });
    const file = path.join(dir, "deployment.json");
    const issuer = await fundDemoIssuer(chainNode.url);
    await deploy(
      parseDeployConfig({ RPC_URL: chainNode.url, DEPLOYMENTS_FILE: file, ISSUER_ADDRESS: issuer }),
      () => undefined,
    );
    const deployment = readDeployment(file);
    await seedDeposits(chainNode.url, deployment, () => undefined);
    const provider = new JsonRpcProvider(chainNode.url, undefined, { staticNetwork: true });
    const token = SettlementToken__factory.connect(deployment.contracts.SettlementToken, provider);
    expect(await token.balanceOf(DEMO_BORROWERS.yongxin)).to.equal(200_000_000n);
    expect(await token.balanceOf(deployment.roles.fiscal)).to.equal(20_000_000n);
    expect(new Wallet(DEMO_SIGNER_KEYS.yongxin).address).to.equal(DEMO_BORROWERS.yongxin);
    provider.destroy();
  });
});
