import { expect } from "chai";
import { JsonRpcProvider, NonceManager, ZeroHash, id } from "ethers";
import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import { deploy } from "../../scripts/deploy";
import { startChainNode, type ChainNode, type ChainNodeKind } from "../../scripts/lib/chain-node";
import { devWallet, parseDeployConfig } from "../../scripts/lib/deploy-config";
import { freePort } from "../../scripts/bench/lib/system";
import { readDeployment } from "../../scripts/lib/deployments";
import {
  EvidenceRegistry__factory,
  FacilityManager__factory,
  PayeeRegistry__factory,
  SettlementToken__factory,
} from "../../typechain-types";
import { attestationTypes } from "../helpers/signatures";
import { Category, Kind, Verdict, kindsMask } from "../helpers/constants";

const silent = () => undefined;

/** Deploys to a real node process and pays one evidence-gated entrusted payment through JSON-RPC. */
function behavesOnNode(kind: ChainNodeKind) {
  describe(`when deployed to a real ${kind} node process`, function () {
    let node: ChainNode;
    let dir: string;

    before(async function () {
      node = await startChainNode({ kind, port: await freePort() });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-deploy-"));
    });

    after(async function () {
      await node?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("refuses a node whose chain id is not the expected one", async function () {
      const config = parseDeployConfig({ RPC_URL: node.url, EXPECTED_CHAIN_ID: "1" });
      await expect(deploy(config, silent)).to.be.rejectedWith(
        /chain id check failed: .* is chain 31337, EXPECTED_CHAIN_ID is 1/,
      );
    });

    it("writes a deployments file and the contracts pay an entrusted payment end to end", async function () {
      const file = path.join(dir, "deployment.json");
      await deploy(
        parseDeployConfig({ RPC_URL: node.url, EXPECTED_CHAIN_ID: "31337", DEPLOYMENTS_FILE: file }),
        silent,
      );
      const deployment = readDeployment(file);
      expect(deployment.chainId).to.equal("31337");
      expect(deployment.roles.threshold).to.equal(2);
      // The deployer keeps nothing; the file records who holds what, as read back from the chain.
      const timelock = deployment.contracts.TimelockController!;
      const deployer = devWallet("admin").address;
      expect(deployment.deployerKeeps).to.deep.equal([]);
      expect(deployment.roles.governance).to.deep.equal({
        members: [devWallet("bankGovernance").address, devWallet("regulatorGovernance").address],
        threshold: 2,
        delaySeconds: 60,
      });
      for (const name of ["FacilityManager", "PayeeRegistry", "EvidenceRegistry", "SettlementToken"]) {
        expect(deployment.holders![name].DEFAULT_ADMIN_ROLE, name).to.deep.equal([timelock]);
      }
      expect(deployment.holders!.SettlementToken.MINTER_ROLE).to.deep.equal([timelock]);
      expect(deployment.holders!.PayeeRegistry.PAYEE_ADMIN_ROLE).to.deep.equal([devWallet("bank").address]);
      expect(deployment.holders!.FacilityManager.BANK_ROLE).to.deep.equal([devWallet("bank").address]);
      expect(deployment.holders!.TimelockController.PROPOSER_ROLE).to.deep.equal([
        deployment.contracts.GovernanceCouncil,
      ]);
      for (const byRole of Object.values(deployment.holders!)) {
        for (const holders of Object.values(byRole)) expect(holders).to.not.include(deployer);
      }

      const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, pollingInterval: 50 });
      const bank = new NonceManager(devWallet("bank").connect(provider));
      const bankVerifier = devWallet("bankVerifier");
      const regulatorVerifier = devWallet("regulatorVerifier");
      const borrower = devWallet("borrower");
      const token = SettlementToken__factory.connect(deployment.contracts.SettlementToken, bank);
      const payees = PayeeRegistry__factory.connect(deployment.contracts.PayeeRegistry, bank);
      const evidence = EvidenceRegistry__factory.connect(deployment.contracts.EvidenceRegistry, bank);
      const manager = FacilityManager__factory.connect(deployment.contracts.FacilityManager, bank);
      expect(await evidence.consumer()).to.equal(deployment.contracts.FacilityManager);

      const lab = "0x00000000000000000000000000000000000000a1";
      await (await payees.registerPayee(lab, Category.TESTING_CERT, id("licence:lab"))).wait();
      await (
        await manager.createFacility(
          {
            borrower: borrower.address,
            creditLimit: 1_000_000n,
            baseRateBps: 435,
            qualityFloorBps: 0,
            subsidyBps: 300,
          },
          [
            {
              payee: lab,
              amount: 250_000n,
              category: Category.TESTING_CERT,
              requiredKinds: kindsMask(Kind.INSPECTION_REPORT),
              qualityPurpose: true,
              paid: false,
            },
          ],
        )
      ).wait();
      // No one mints: the deployment gave the bank's hot key its operating float.
      expect(await token.balanceOf(await bank.getAddress())).to.equal(10n ** 15n);
      await (await token.approve(deployment.contracts.FacilityManager, 250_000n)).wait();
      await (await manager.fund(1n, 250_000n)).wait();

      const hash = id("inspection report #1");
      // an inspection report names the borrower
      await (await evidence.anchor(1n, Kind.INSPECTION_REPORT, borrower.address, hash)).wait();
      const evidenceId = await evidence.evidenceIdOf(1n, Kind.INSPECTION_REPORT, borrower.address, hash);
      const domain = {
        name: "QFM EvidenceRegistry",
        version: "1",
        chainId: 31337n,
        verifyingContract: deployment.contracts.EvidenceRegistry,
      };
      const requests = [bankVerifier, regulatorVerifier].map((verifier) => ({
        evidenceId,
        verdict: Verdict.ACCEPT,
        reasonHash: ZeroHash,
        nonce: 0n,
        deadline: BigInt(Math.floor(Date.now() / 1000) + 3_600),
        verifier,
      }));
      const signatures = await Promise.all(
        requests.map(({ verifier, ...request }) => verifier.signTypedData(domain, attestationTypes, request)),
      );
      await (
        await evidence.attest(
          requests.map(({ verifier: _verifier, ...request }) => request),
          signatures,
        )
      ).wait();
      expect(await evidence.isVerified(evidenceId)).to.equal(true);

      // An explicit gas limit: anvil estimates against the current second, and the block the payment lands in can be
      // the next one, where starting the first interest segment costs a little more than the estimate (the outbox adds
      // a margin for the same reason).
      await (
        await manager.executePayment(1n, 0, [{ kind: Kind.INSPECTION_REPORT, saltedHash: hash }], {
          gasLimit: 300_000,
        })
      ).wait();
      expect(await token.balanceOf(lab)).to.equal(250_000n);
      expect(await token.balanceOf(borrower.address)).to.equal(0n);
      provider.destroy();
    });
  });
}

describe("scripts/deploy", function () {
  this.timeout(180_000);
  behavesOnNode("hardhat");
  behavesOnNode("anvil");

  describe("when the configuration is invalid", function () {
    it("names the variable that is wrong", function () {
      expect(() => parseDeployConfig({ RPC_URL: "not a url" })).to.throw(/RPC_URL: must be an http\(s\) URL/);
      expect(() => parseDeployConfig({ DEPLOYER_KEY: "0x1234" })).to.throw(
        /DEPLOYER_KEY: must be a 0x-prefixed 32-byte hex/,
      );
      expect(() => parseDeployConfig({ VERIFIER_ADDRESSES: "0xabc" })).to.throw(
        /VERIFIER_ADDRESSES.*must be a 0x-prefixed 20-byte address/,
      );
    });

    it("reads the deployer key from DEPLOYER_KEY_FILE, and refuses it together with DEPLOYER_KEY", function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-deploy-key-"));
      try {
        const file = path.join(dir, "deployer.key");
        const key = `0x${"11".repeat(32)}`;
        fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
        const roles = {
          BANK_ADDRESS: devWallet("bank").address,
          REGULATOR_ADDRESS: devWallet("regulator").address,
          FISCAL_ADDRESS: devWallet("fiscal").address,
          VERIFIER_ADDRESSES: devWallet("bankVerifier").address,
          TREASURY_ADDRESS: devWallet("treasury").address,
          GOVERNANCE_ADDRESSES: `${devWallet("bankGovernance").address},${devWallet("regulatorGovernance").address}`,
        };
        const config = parseDeployConfig({ DEPLOYER_KEY_FILE: file, ...roles });
        expect([config.DEPLOYER_KEY, config.dev, config.warnings]).to.deep.equal([key, false, []]);
        expect(() => parseDeployConfig({ DEPLOYER_KEY_FILE: file, DEPLOYER_KEY: key, ...roles })).to.throw(
          /DEPLOYER_KEY and DEPLOYER_KEY_FILE: set one, not both/,
        );
        expect(() => parseDeployConfig({ DEPLOYER_KEY_FILE: path.join(dir, "missing.key") })).to.throw(
          /DEPLOYER_KEY_FILE: cannot read .*missing\.key \(ENOENT\)/,
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("asks for the role addresses when a real deployer key is given", function () {
      expect(() => parseDeployConfig({ DEPLOYER_KEY: `0x${"11".repeat(32)}` })).to.throw(
        /also set BANK_ADDRESS, REGULATOR_ADDRESS, FISCAL_ADDRESS, VERIFIER_ADDRESSES, TREASURY_ADDRESS, GOVERNANCE_ADDRESSES/,
      );
    });

    it("refuses governance one institution could run alone (one member, or one approval)", function () {
      const base = {
        DEPLOYER_KEY: `0x${"11".repeat(32)}`,
        BANK_ADDRESS: devWallet("bank").address,
        REGULATOR_ADDRESS: devWallet("regulator").address,
        FISCAL_ADDRESS: devWallet("fiscal").address,
        VERIFIER_ADDRESSES: devWallet("bankVerifier").address,
        TREASURY_ADDRESS: devWallet("treasury").address,
      };
      const both = `${devWallet("bankGovernance").address},${devWallet("regulatorGovernance").address}`;
      expect(() => parseDeployConfig({ ...base, GOVERNANCE_ADDRESSES: devWallet("bankGovernance").address })).to.throw(
        /GOVERNANCE_THRESHOLD: 1 of 1 GOVERNANCE_ADDRESSES/,
      );
      expect(() => parseDeployConfig({ ...base, GOVERNANCE_ADDRESSES: both, GOVERNANCE_THRESHOLD: "1" })).to.throw(
        /GOVERNANCE_THRESHOLD: 1 of 2 GOVERNANCE_ADDRESSES/,
      );
      expect(parseDeployConfig({ ...base, GOVERNANCE_ADDRESSES: both }).GOVERNANCE_ADDRESSES).to.have.length(2);
    });
  });
});
