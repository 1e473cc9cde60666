/**
 * `npm run bench:gas`: gas of the hot paths, measured in one Hardhat run, against an EAS attestation as the peer.
 * Prints a table, then one JSON line with erc20TransferFresh, entrustedPayment, anchorSingle, anchorBatchPerDoc256,
 * dualAttestation, batchVerdictPerDocPerVerifier256 and easAttest (integers, gas). Steady-state figures: the accounts involved have transacted before,
 * as they would have in production; first-use figures are shown in the table for comparison.
 */
import { ethers, network } from "hardhat";
import type { ContractTransactionResponse, Signer } from "ethers";
import EASArtifact from "@ethereum-attestation-service/eas-contracts/artifacts/contracts/EAS.sol/EAS.json";
import SchemaRegistryArtifact from "@ethereum-attestation-service/eas-contracts/artifacts/contracts/SchemaRegistry.sol/SchemaRegistry.json";
import { batchTreeOf } from "../server/chain/batch-tree";
import { evidenceIdOf, EVIDENCE_KINDS } from "../server/chain/evidence";
import { orderCall, orderRequest, signOrderRequest } from "../server/chain/payer-orders";
import { ATTESTATION_TYPES, BATCH_ATTESTATION_TYPES } from "../server/chain/typed-data";
import { deploySystem, type System } from "./lib/deploy";

const Kind = { PURCHASE_CONTRACT: 0, INVOICE: 1, INSPECTION_REPORT: 3 } as const;

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  return Number(receipt!.gasUsed);
}

async function main(): Promise<void> {
  const [admin, bank, regulator, fiscal, bankVerifier, regulatorVerifier, borrower, holder, ...rest] =
    await ethers.getSigners();
  const [bankGovernance, regulatorGovernance, treasury, issuer] = rest;
  const system = await deploySystem(admin, {
    admin: admin.address,
    bank: bank.address,
    regulator: regulator.address,
    fiscal: fiscal.address,
    verifiers: [bankVerifier.address, regulatorVerifier.address],
    threshold: 2,
    treasury: treasury.address,
    governance: [bankGovernance.address, regulatorGovernance.address],
    governanceThreshold: 2,
    governanceDelay: 86_400,
    issuer: issuer.address,
  });
  const token = system.token.connect(bank);
  const minter = system.token.connect(issuer);
  const evidence = system.evidence.connect(bank);
  const manager = system.manager.connect(bank);
  const payees = system.payees.connect(bank);
  const { chainId } = await ethers.provider.getNetwork();
  const domain = {
    name: "QFM EvidenceRegistry",
    version: "1",
    chainId,
    verifyingContract: await evidence.getAddress(),
  };
  const types = ATTESTATION_TYPES;
  let salt = 0;
  const nextHash = () => ethers.id(`bench-document-${++salt}`);

  async function signedAttestation(verifier: Signer, evidenceId: string) {
    const request = {
      evidenceId,
      verdict: 1,
      reasonHash: ethers.ZeroHash,
      nonce: await evidence.nonces(await verifier.getAddress()),
      deadline: BigInt(Math.floor(Date.now() / 1000) + 86_400 * 365),
    };
    return { request, signature: await verifier.signTypedData(domain, types, request) };
  }
  async function dualAttest(evidenceId: string): Promise<number> {
    const a = await signedAttestation(bankVerifier, evidenceId);
    const b = await signedAttestation(regulatorVerifier, evidenceId);
    return gasOf(evidence.attest([a.request, b.request], [a.signature, b.signature]));
  }
  async function anchorOne(
    facilityId: bigint,
    kind: number,
    counterparty: string,
  ): Promise<{ id: string; saltedHash: string; gas: number }> {
    const hash = nextHash();
    const gas = await gasOf(evidence.anchor(facilityId, kind, counterparty, hash));
    return { id: await evidence.evidenceIdOf(facilityId, kind, counterparty, hash), saltedHash: hash, gas };
  }

  // ERC-20 transfer to a fresh recipient (the sender has transferred before).
  await (await minter.mint(holder.address, 1_000_000n)).wait();
  await gasOf(token.connect(holder).transfer(ethers.Wallet.createRandom().address, 1n));
  const erc20TransferFresh = await gasOf(token.connect(holder).transfer(ethers.Wallet.createRandom().address, 1n));

  // A facility whose payments each go to a fresh registered payee and need one verified invoice naming that payee.
  const payeeCount = 4;
  const payeeAddresses = Array.from({ length: payeeCount }, () => ethers.Wallet.createRandom().address);
  for (const payee of payeeAddresses)
    await (await payees.registerPayee(payee, 1, ethers.id(`licence:${payee}`))).wait();
  const plan = payeeAddresses.map((payee) => ({
    payee,
    amount: 100_000_00n,
    category: 1,
    requiredKinds: 1 << Kind.INVOICE,
    qualityPurpose: true,
    paid: false,
  }));
  await (
    await manager.createFacility(
      { borrower: borrower.address, creditLimit: 1_000_000_00n, baseRateBps: 435, qualityFloorBps: 0, subsidyBps: 300 },
      plan,
    )
  ).wait();
  const facilityId = await manager.facilityCount();
  await (await minter.mint(bank.address, 1_000_000_00n)).wait();
  await (await token.approve(await manager.getAddress(), 1_000_000_00n)).wait();
  await (await manager.fund(facilityId, 1_000_000_00n - 1_000_00n)).wait();
  // Funding with an exact, single-use permit (what the node sends).
  const permitDeadline = BigInt(Math.floor(Date.now() / 1000) + 86_400 * 365);
  await (await token.approve(await manager.getAddress(), 0n)).wait();
  const permit = ethers.Signature.from(
    await bank.signTypedData(
      { name: await token.name(), version: "1", chainId, verifyingContract: await token.getAddress() },
      {
        Permit: [
          { name: "owner", type: "address" },
          { name: "spender", type: "address" },
          { name: "value", type: "uint256" },
          { name: "nonce", type: "uint256" },
          { name: "deadline", type: "uint256" },
        ],
      },
      {
        owner: bank.address,
        spender: await manager.getAddress(),
        value: 1_000_00n,
        nonce: await token.nonces(bank.address),
        deadline: permitDeadline,
      },
    ),
  );
  const fundWithPermit = await gasOf(
    manager.fundWithPermit(facilityId, 1_000_00n, permitDeadline, permit.v, permit.r, permit.s),
  );

  // Each payment's evidence is an invoice naming that payment's payee (a payee kind: the id is recomputed with it).
  const invoices: Array<{ id: string; saltedHash: string }> = [];
  let anchorSingleFirst = 0;
  let anchorSingle = 0;
  for (let i = 0; i < payeeCount; i++) {
    const { id, saltedHash, gas } = await anchorOne(facilityId, Kind.INVOICE, payeeAddresses[i]);
    if (i === 0) anchorSingleFirst = gas;
    anchorSingle = gas;
    invoices.push({ id, saltedHash });
  }
  const dualAttestationFirst = await dualAttest(invoices[0].id);
  let dualAttestation = 0;
  for (const { id } of invoices.slice(1)) dualAttestation = await dualAttest(id);

  const offered = (i: number) => [{ kind: Kind.INVOICE, saltedHash: invoices[i].saltedHash }];
  const entrustedPaymentFirst = await gasOf(manager.executePayment(facilityId, 0, offered(0)));
  await network.provider.send("evm_increaseTime", [30 * 86_400]);
  await gasOf(manager.executePayment(facilityId, 1, offered(1)));
  await network.provider.send("evm_increaseTime", [30 * 86_400]);
  const entrustedPayment = await gasOf(manager.executePayment(facilityId, 2, offered(2)));

  // Withdrawal of unused funding to the treasury (the hot key may, to the treasury only).
  const withdrawToTreasury = await gasOf(manager.withdraw(facilityId, 1_00n, treasury.address));
  // The borrower's repayment on its own signed order and permit, relayed by the bank node (the second: nonces warm).
  await (await minter.mint(borrower.address, 1_000_00n)).wait();
  async function borrowersRepayment(amount: bigint) {
    const [, name, version, tokenChainId, tokenAddress] = await token.eip712Domain();
    const latest = (await ethers.provider.getBlock("latest"))!.timestamp;
    const request = orderRequest({
      kind: "REPAYMENT",
      payer: borrower.address,
      facilityId,
      amount,
      inFull: false,
      deadline: BigInt(latest + 3_600),
      manager: { address: await manager.getAddress(), chainId, nonce: await manager.nonces(borrower.address) },
      token: {
        name,
        version,
        chainId: tokenChainId,
        address: tokenAddress,
        nonce: await token.nonces(borrower.address),
      },
    });
    const { order, permit } = orderCall(request, await signOrderRequest(borrower, request));
    return gasOf(manager.repayWithSignature(order, permit));
  }
  await borrowersRepayment(10_00n);
  const repayWithSignature = await borrowersRepayment(10_00n);
  // The governance path: both institutions approve (the second approval schedules), then anyone executes after the delay.
  const calls = {
    targets: [await manager.getAddress()],
    values: [0n],
    payloads: [manager.interface.encodeFunctionData("setTreasury", [regulator.address])],
  };
  const council = system.council;
  const governanceApprove = await gasOf(
    council.connect(bankGovernance).approve(calls.targets, calls.values, calls.payloads, ethers.ZeroHash),
  );
  const governanceSchedule = await gasOf(
    council.connect(regulatorGovernance).approve(calls.targets, calls.values, calls.payloads, ethers.ZeroHash),
  );
  await network.provider.send("evm_increaseTime", [86_400]);
  const governanceExecute = await gasOf(
    system.timelock
      .connect(holder)
      .executeBatch(calls.targets, calls.values, calls.payloads, ethers.ZeroHash, ethers.ZeroHash),
  );

  // A batch of 256 evidence leaves under one root (a position-bound batch tree: server/chain/batch-tree.ts).
  const batchOf = (size: number) => {
    const values = Array.from(
      { length: size },
      (_, i) => [facilityId as bigint, i % 7, payeeAddresses[i % payeeCount] as string, nextHash()] as const,
    );
    const tree = batchTreeOf(values.map(([f, k, c, h]) => evidenceIdOf(f, EVIDENCE_KINDS[k], c, h)));
    return { values, tree };
  };
  /** Every leaf of a batch of `size` accepted: the fullest (costliest) bitmaps. */
  const allAccepted = (size: number) =>
    Array.from({ length: Math.ceil(size / 256) }, (_, w) =>
      size - 256 * w >= 256 ? ethers.MaxUint256 : (1n << BigInt(size - 256 * w)) - 1n,
    );
  async function batchVerdict(verifier: Signer, root: string, size: number) {
    const request = {
      root,
      accepted: allAccepted(size),
      rejected: [] as bigint[],
      nonce: await evidence.nonces(await verifier.getAddress()),
      deadline: BigInt((await ethers.provider.getBlock("latest"))!.timestamp + 3_600),
    };
    const signature = await verifier.signTypedData(domain, BATCH_ATTESTATION_TYPES, request);
    return gasOf(evidence.attestBatch(request, signature));
  }
  const register = (batch: ReturnType<typeof batchOf>, index: number) => {
    const [f, k, c, h] = batch.values[index];
    return gasOf(evidence.registerBatchedEvidence(batch.tree.root, index, f, k, c, h, batch.tree.proof(index)));
  };
  const batch256 = batchOf(256);
  const anchorBatch256 = await gasOf(evidence.anchorBatch(batch256.tree.root, 256));
  const anchorBatchPerDoc256 = Math.ceil(anchorBatch256 / 256);
  const batchVerdict256 = await batchVerdict(bankVerifier, batch256.tree.root, 256);
  const batchVerdictSecond256 = await batchVerdict(regulatorVerifier, batch256.tree.root, 256);
  const batchVerdictPerDocPerVerifier256 = Math.ceil(Math.max(batchVerdict256, batchVerdictSecond256) / 256);
  const registerBatched = await register(batch256, 5);
  // The block-gas bound: the largest batch the registry takes, every leaf decided in one attestation.
  const maxSize = Number(await evidence.MAX_BATCH_SIZE());
  const batchMax = batchOf(maxSize);
  await gasOf(evidence.anchorBatch(batchMax.tree.root, maxSize));
  const batchVerdictMax = await batchVerdict(bankVerifier, batchMax.tree.root, maxSize);
  await batchVerdict(regulatorVerifier, batchMax.tree.root, maxSize);
  const registerBatchedMax = await register(batchMax, maxSize - 1);

  // The peer: an EAS attestation of a bytes32 schema, from the artifacts shipped in @ethereum-attestation-service/eas-contracts.
  const schemaRegistry = await new ethers.ContractFactory(
    SchemaRegistryArtifact.abi,
    SchemaRegistryArtifact.bytecode,
    admin,
  ).deploy();
  await schemaRegistry.waitForDeployment();
  const eas = await new ethers.ContractFactory(EASArtifact.abi, EASArtifact.bytecode, admin).deploy(
    await schemaRegistry.getAddress(),
  );
  await eas.waitForDeployment();
  const schemaTx = await (
    schemaRegistry.getFunction("register") as (...a: unknown[]) => Promise<ContractTransactionResponse>
  )("bytes32 documentHash", ethers.ZeroAddress, true);
  await schemaTx.wait();
  const schemaUid = ethers.solidityPackedKeccak256(
    ["string", "address", "bool"],
    ["bytes32 documentHash", ethers.ZeroAddress, true],
  );
  const easAttestOnce = () =>
    gasOf(
      (eas.connect(bankVerifier).getFunction("attest") as (...a: unknown[]) => Promise<ContractTransactionResponse>)({
        schema: schemaUid,
        data: {
          recipient: ethers.ZeroAddress,
          expirationTime: 0n,
          revocable: true,
          refUID: ethers.ZeroHash,
          data: ethers.AbiCoder.defaultAbiCoder().encode(["bytes32"], [nextHash()]),
          value: 0n,
        },
      }),
    );
  const easAttestFirst = await easAttestOnce();
  const easAttest = await easAttestOnce();

  const results = {
    erc20TransferFresh,
    entrustedPayment,
    anchorSingle,
    anchorBatchPerDoc256,
    dualAttestation,
    batchVerdictPerDocPerVerifier256,
    easAttest,
    fundWithPermit,
    withdrawToTreasury,
    repayWithSignature,
    governanceApprove,
    governanceSchedule,
    governanceExecute,
  };
  const rows: Array<[string, number | string, string]> = [
    ["ERC-20 transfer to a fresh recipient", erc20TransferFresh, "reference"],
    [
      "entrusted payment (1 evidence, fresh payee, closes a segment)",
      entrustedPayment,
      `${(entrustedPayment / erc20TransferFresh).toFixed(2)} × ERC-20 (target ≤ 2.0)`,
    ],
    [
      "  first payment of a facility (no segment to close)",
      entrustedPaymentFirst,
      `${(entrustedPaymentFirst / erc20TransferFresh).toFixed(2)} × ERC-20`,
    ],
    ["anchor one evidence", anchorSingle, `${(anchorSingle / easAttest).toFixed(2)} × EAS (target ≤ 0.3)`],
    ["  first anchor ever", anchorSingleFirst, ""],
    ["anchor a batch of 256: per document", anchorBatchPerDoc256, `target ≤ 300 (whole tx ${anchorBatch256})`],
    [
      "batch verdict (256 documents): per document per verifier",
      batchVerdictPerDocPerVerifier256,
      `target ≤ 1,000 (whole tx ${batchVerdict256}, second verifier ${batchVerdictSecond256})`,
    ],
    [
      "  register a batched leaf (8 siblings) with both batch verdicts",
      registerBatched,
      "once, by the bank's payment pre-flight",
    ],
    [
      `  batch verdict on all ${maxSize} leaves of a largest batch (one tx)`,
      batchVerdictMax,
      "MAX_BATCH_SIZE: the block-gas bound",
    ],
    [`  register a leaf of a ${maxSize}-leaf batch (10 siblings)`, registerBatchedMax, ""],
    [
      "dual attestation (2 signatures, 1 tx)",
      dualAttestation,
      `${(dualAttestation / easAttest).toFixed(2)} × EAS (target ≤ 0.5)`,
    ],
    ["  first attestation of both verifiers (nonces 0 → 1)", dualAttestationFirst, ""],
    ["EAS attest, bytes32 schema", easAttest, "peer"],
    ["  first EAS attest of the attester", easAttestFirst, ""],
    ["fund a facility with an exact permit (approve + transfer, 1 tx)", fundWithPermit, ""],
    ["withdraw to the treasury", withdrawToTreasury, ""],
    ["repayment on the borrower's signed order + permit, relayed", repayWithSignature, ""],
    ["governance: first approval (bank)", governanceApprove, ""],
    ["governance: second approval, schedules in the timelock", governanceSchedule, ""],
    ["governance: execute after the delay (setTreasury)", governanceExecute, ""],
  ];
  console.log(`gas benchmark (Hardhat network, solc 0.8.28, optimizer 1,000 runs, cancun)`);
  console.log(`${"operation".padEnd(64)} ${"gas".padStart(9)}  note`);
  for (const [name, gas, note] of rows) console.log(`${name.padEnd(64)} ${String(gas).padStart(9)}  ${note}`);
  console.log(JSON.stringify(results));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
