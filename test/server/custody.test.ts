import { expect } from "chai";
import { Interface, Wallet, ZeroHash, id as keccakText, type JsonRpcSigner } from "ethers";
import { devWallet } from "../../scripts/lib/deploy-config";
import { freePort } from "../../scripts/bench/lib/system";
import {
  EvidenceRegistry__factory,
  FacilityManager__factory,
  GovernanceCouncil__factory,
  PayeeRegistry__factory,
  SettlementToken__factory,
} from "../../typechain-types";
import { startLiveSystem, type LiveSystem } from "../helpers/liveSystem";
import { client, waitFor } from "../helpers/processes";
import { approveOperation, executeOperation } from "../../scripts/lib/governance";
import { createChain } from "../../server/chain/chain";
import { keyProblems } from "../../server/chain/startup";
import { TimelockController__factory } from "../../typechain-types";

const say = (line: string) => console.log(`      ${line}`);

/** The custom error a call reverts with (decoded by `iface` when ethers could not), or "ok". */
async function refusal(call: () => Promise<unknown>, iface?: Interface): Promise<string> {
  try {
    await call();
    return "ok";
  } catch (error) {
    const { revert, data } = error as { revert?: { name?: string }; data?: string };
    const parsed = !revert?.name && iface && data ? iface.parseError(data) : null;
    return revert?.name ?? parsed?.name ?? String((error as Error).message).slice(0, 80);
  }
}

/**
 * The facilities' money against the running system (a `hardhat node` with the contracts as `npm run deploy` leaves
 * them, the bank node and the regulator node as processes). Regressions of issue 12: the bank node's chain key alone
 * withdrew a FROZEN facility's money to the borrower; two facilities created at the same moment shared one token
 * allowance (`approve` then `fund`), the second was never funded, and nothing could fund it again.
 */
describe("facility money against the running system", function () {
  this.timeout(300_000);
  let system: LiveSystem;
  let officer: ReturnType<typeof client>;
  let payees: string[];
  /** An unlocked account of the chain node's own, to hold the bank's float while the test keeps it away. */
  let holder: JsonRpcSigner;

  const detail = async (facilityId: string) => (await officer.get(`/facilities/${facilityId}`)).body;

  function application(i: number, total: bigint) {
    return {
      borrower: Wallet.createRandom().address,
      borrowerName: `Concurrent Borrower ${i}`,
      creditCode: `9133020${String(i).padStart(2, "0")}MA2FUND${String(i).padStart(2, "0")}`.slice(0, 18).toUpperCase(),
      grade: "B",
      creditLimit: (total * 2n).toString(),
      plan: [
        {
          payee: payees[0],
          category: "EQUIPMENT",
          amount: (total - total / 4n).toString(),
          qualityPurpose: true,
          requiredEvidence: ["PURCHASE_CONTRACT"],
          description: "grinding line",
        },
        {
          payee: payees[1],
          category: "TESTING_CERT",
          amount: (total / 4n).toString(),
          qualityPurpose: true,
          requiredEvidence: ["INSPECTION_REPORT"],
          description: "type test",
        },
      ],
    };
  }

  /** Creates and waits for the facility's on-chain id. */
  async function created(response: { status: number; body: any }): Promise<string> {
    expect(response.status, JSON.stringify(response.body)).to.be.oneOf([201, 202]);
    const applicationId = response.body.applicationId as string;
    let facilityId: string | null = response.body.facilityId;
    await waitFor(`facility ${applicationId} on chain`, async () => {
      const { body } = await officer.get("/facilities");
      facilityId = body.items.find((f: any) => f.applicationId === applicationId)?.facilityId ?? null;
      return facilityId !== null;
    });
    return facilityId!;
  }

  before(async function () {
    system = await startLiveSystem({
      name: "funding",
      ports: { chain: await freePort(), bank: await freePort(), regulator: await freePort() },
      env: { POLL_INTERVAL_MS: "100", RATE_LIMIT_PER_MINUTE: "100000" },
    });
    officer = client(system.nodes.bank.url, system.keys.bank.active.bank_officer);
    holder = await system.provider.getSigner(12);
    payees = [Wallet.createRandom().address, Wallet.createRandom().address];
    for (const [i, [address, category]] of [
      [payees[0], "EQUIPMENT"],
      [payees[1], "TESTING_CERT"],
    ].entries()) {
      const { status, body } = await officer.post("/payees", {
        address,
        name: `Payee ${i}`,
        creditCode: `91330200MA2PAYE${i}0X`,
        category,
        licenceHash: `0x${String(i + 1).repeat(64)}`,
      });
      expect(status, JSON.stringify(body)).to.be.oneOf([201, 202]);
    }
    await waitFor("payees on chain", async () =>
      (await Promise.all(payees.map((p) => system.contracts.payees.isActive(p)))).every(Boolean),
    );
  });

  after(async function () {
    await system?.stop();
  });

  it("refuses every attempt of the bank node's chain key alone to move money elsewhere or to escalate", async function () {
    const id = await created(await officer.post("/facilities", application(20, 2_000_000n)));
    await waitFor("the facility funded", async () => (await detail(id)).funding?.status === "FUNDED", 60_000);
    const other = await created(await officer.post("/facilities", application(21, 2_000_000n)));
    await waitFor("the facility funded", async () => (await detail(other)).funding?.status === "FUNDED", 60_000);
    const { contracts } = system.deployment;
    const regulatorKey = devWallet("regulator").connect(system.provider);
    await (
      await FacilityManager__factory.connect(contracts.FacilityManager, regulatorKey).freeze(
        BigInt(id),
        keccakText("spot check failed"),
      )
    ).wait();

    // Everything below is signed with the key the bank node holds, as a thief who took the server would.
    const bankKey = devWallet("bank").connect(system.provider);
    const manager = FacilityManager__factory.connect(contracts.FacilityManager, bankKey);
    const evidence = EvidenceRegistry__factory.connect(contracts.EvidenceRegistry, bankKey);
    const payees = PayeeRegistry__factory.connect(contracts.PayeeRegistry, bankKey);
    const token = SettlementToken__factory.connect(contracts.SettlementToken, bankKey);
    const council = GovernanceCouncil__factory.connect(contracts.GovernanceCouncil!, bankKey);
    const borrower = (await detail(id)).borrower as string;
    const treasury = system.deployment.roles.treasury!;
    const attacks: Array<[string, () => Promise<unknown>, string]> = [
      [
        "withdraw a frozen facility to its borrower",
        () => manager.withdraw.staticCall(BigInt(id), 1n, borrower),
        "FacilityIsFrozen",
      ],
      [
        "withdraw a frozen facility to the treasury",
        () => manager.withdraw.staticCall(BigInt(id), 1n, treasury),
        "FacilityIsFrozen",
      ],
      ["close a frozen facility (to free its money)", () => manager.close.staticCall(BigInt(id)), "FacilityIsFrozen"],
      [
        "withdraw to the borrower",
        () => manager.withdraw.staticCall(BigInt(other), 1n, borrower),
        "FacilityWithdrawalNotToTreasury",
      ],
      [
        "withdraw to itself",
        () => manager.withdraw.staticCall(BigInt(other), 1n, bankKey.address),
        "FacilityWithdrawalNotToTreasury",
      ],
      [
        "set the treasury to itself",
        () => manager.setTreasury.staticCall(bankKey.address),
        "AccessControlUnauthorizedAccount",
      ],
      [
        "grant itself the manager's admin role",
        () => manager.grantRole.staticCall(ZeroHash, bankKey.address),
        "AccessControlUnauthorizedAccount",
      ],
      [
        "grant the payee registry's admin role",
        () => payees.grantRole.staticCall(ZeroHash, bankKey.address),
        "AccessControlUnauthorizedAccount",
      ],
      [
        "lower the verifier threshold to 1",
        () => evidence.setThreshold.staticCall(1),
        "AccessControlUnauthorizedAccount",
      ],
      [
        "add itself as a verifier",
        () => evidence.addVerifier.staticCall(bankKey.address),
        "AccessControlUnauthorizedAccount",
      ],
      [
        "make itself the evidence consumer",
        () => evidence.setConsumer.staticCall(bankKey.address),
        "AccessControlUnauthorizedAccount",
      ],
      ["mint", () => token.mint.staticCall(bankKey.address, 1n), "AccessControlUnauthorizedAccount"],
      [
        "propose a governance change",
        () =>
          council.approve.staticCall(
            [contracts.FacilityManager],
            [0n],
            [manager.interface.encodeFunctionData("setTreasury", [bankKey.address])],
            ZeroHash,
          ),
        "CouncilNotMember",
      ],
    ];
    for (const [what, attack, expected] of attacks) expect(await refusal(attack), what).to.equal(expected);
    expect((await system.contracts.manager.facility(BigInt(id))).balance).to.equal(2_000_000n);
    say(
      `${attacks.length} attacks with the bank node's chain key refused by the contracts (frozen money, withdrawals elsewhere, escalation)`,
    );
  });

  it("governs on the running chain only with both institutions after the delay, and a node key holding admin is reported", async function () {
    const { contracts, roles } = system.deployment;
    const council = GovernanceCouncil__factory.connect(contracts.GovernanceCouncil!, system.provider);
    const timelock = TimelockController__factory.connect(contracts.TimelockController!, system.provider);
    const someone = Wallet.createRandom();
    const calls = [
      {
        target: contracts.FacilityManager,
        data: system.contracts.manager.interface.encodeFunctionData("grantRole", [ZeroHash, someone.address]),
      },
    ];
    const [bankGovernance, regulatorGovernance] = [
      devWallet("bankGovernance").connect(system.provider),
      devWallet("regulatorGovernance").connect(system.provider),
    ];
    await approveOperation(council, [bankGovernance], calls);
    expect(await refusal(() => executeOperation(timelock, holder, calls), timelock.interface)).to.equal(
      "TimelockUnexpectedOperationState",
    );
    await approveOperation(council, [regulatorGovernance], calls);
    expect(await refusal(() => executeOperation(timelock, holder, calls), timelock.interface)).to.equal(
      "TimelockUnexpectedOperationState",
    );
    await system.provider.send("evm_increaseTime", [roles.governance!.delaySeconds]);
    await system.provider.send("evm_mine", []);
    // With a gas limit: the hardhat node estimates against a block time that ignores evm_increaseTime.
    await (
      await timelock
        .connect(holder)
        .executeBatch([calls[0].target], [0n], [calls[0].data], ZeroHash, ZeroHash, { gasLimit: 500_000 })
    ).wait();
    expect(await system.contracts.manager.hasRole(ZeroHash, someone.address)).to.equal(true);

    const bankChain = createChain({ deployment: system.deployment, signerKey: devWallet("bank").privateKey });
    const adminChain = createChain({ deployment: system.deployment, signerKey: someone.privateKey });
    try {
      expect(await keyProblems(bankChain, "bank")).to.deep.equal([]);
      expect(await keyProblems(adminChain, "bank")).to.include(
        `the transaction key ${someone.address} holds DEFAULT_ADMIN_ROLE on FacilityManager: an online key must not hold governance powers; revoke it through governance (docs/deployment.md, 6.1)`,
      );
    } finally {
      bankChain.close();
      adminChain.close();
    }
    say("governance on the running chain: refused before both approved and before the delay, executed after it");
  });

  it("funds every facility created at the same moment with exactly its plan total", async function () {
    const count = 6;
    const totals = Array.from({ length: count }, (_, i) => 1_000_000n * BigInt(i + 1) + BigInt(i) * 4n);
    const managerBefore = await system.contracts.token.balanceOf(system.deployment.contracts.FacilityManager);
    const responses = await Promise.all(totals.map((total, i) => officer.post("/facilities", application(i, total))));
    const ids = await Promise.all(responses.map(created));
    await waitFor(
      `all ${count} facilities funded`,
      async () => (await Promise.all(ids.map(detail))).every((d) => d.funding?.status === "FUNDED"),
      120_000,
    );
    for (const [i, id] of ids.entries()) {
      const state = await system.contracts.manager.facility(BigInt(id));
      expect(state.planTotal).to.equal(totals[i]);
      expect(state.funded, `facility ${id}`).to.equal(totals[i]);
      expect(state.balance, `facility ${id}`).to.equal(totals[i]);
      const { funding } = await detail(id);
      expect(funding).to.include({ status: "FUNDED", funded: totals[i].toString(), shortfall: "0" });
      expect(funding.creditLimit).to.equal((totals[i] * 2n).toString());
    }
    const sum = totals.reduce((a, b) => a + b, 0n);
    expect(
      (await system.contracts.token.balanceOf(system.deployment.contracts.FacilityManager)) - managerBefore,
    ).to.equal(sum);
    expect(
      await system.contracts.token.allowance(devWallet("bank").address, system.deployment.contracts.FacilityManager),
    ).to.equal(0n);
    say(`${count} facilities created at once: all funded exactly (${sum} fen in all), no allowance left`);
  });

  it("shows a refused funding as FAILED, refuses a retry while the float is short, funds on retry, and a second retry changes nothing", async function () {
    // Take the bank node's float away, so the funding of the next facility is refused on chain.
    const bankKey = devWallet("bank").connect(system.provider);
    const token = SettlementToken__factory.connect(system.deployment.contracts.SettlementToken, bankKey);
    const float = await token.balanceOf(bankKey.address);
    await (await token.transfer(await holder.getAddress(), float)).wait();

    const total = 3_000_000n;
    const id = await created(await officer.post("/facilities", application(40, total)));
    await waitFor("the funding to be refused", async () => (await detail(id)).funding?.status === "FAILED", 60_000);
    const failed = (await detail(id)).funding;
    expect(failed).to.include({ status: "FAILED", funded: "0", shortfall: total.toString() });
    expect(failed.lastError).to.be.a("string").and.not.equal("");

    const short = await officer.post(`/facilities/${id}/fund`, {});
    expect(short.status).to.equal(409);
    expect(short.body.code).to.equal("insufficient_float");

    const borrowerKey = client(system.nodes.bank.url, system.keys.bank.active.borrower);
    expect((await borrowerKey.post(`/facilities/${id}/fund`, {})).status).to.equal(403);

    await (await token.connect(holder).transfer(bankKey.address, float)).wait();
    const retried = await officer.post(`/facilities/${id}/fund`, {});
    expect(retried.status, JSON.stringify(retried.body)).to.equal(200);
    expect(retried.body.funding).to.include({ status: "FUNDED", funded: total.toString(), shortfall: "0" });
    expect(retried.body.txHash).to.match(/^0x[0-9a-f]{64}$/);

    const again = await officer.post(`/facilities/${id}/fund`, {});
    expect(again.status).to.equal(200);
    expect(again.body.txHash).to.equal(null);
    expect((await system.contracts.manager.facility(BigInt(id))).funded).to.equal(total);
    say("a refused funding: FAILED on the detail, 409 insufficient_float, funded once on retry, idempotent after");
  });
});
