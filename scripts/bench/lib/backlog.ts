/**
 * What a verifier node looks like once thousands of documents have reached it: a facility on chain, a batch of
 * `count` of its evidence leaves anchored (batches of at most MAX_BATCH_SIZE, one transaction each), and in the node's own database the verdicts and the
 * outbox jobs its verifier queues for them — a leaf registration and an attestation each, in that order, as
 * createVerifier's `record` writes them, sealed with the node's decision MAC (derived from its verifier key, as a node
 * without NODE_MAC_KEY derives it). Every job is real: the node's outbox signs each one and the chain takes it.
 */
import { Wallet, hexlify, id as keccakText, randomBytes, type JsonRpcProvider } from "ethers";
import { devWallet } from "../../lib/deploy-config";
import type { Deployment } from "../../lib/deployments";
import { batchTreeOf } from "../../../server/chain/batch-tree";
import { evidenceIdOf, kindIndex } from "../../../server/chain/evidence";

/** The counterparty the backlog's made-up leaves name (part of each evidence id). */
const BACKLOG_COUNTERPARTY = "0x00000000000000000000000000000000000000b1";
import { createDatabase } from "../../../server/db/client";
import { orderedId } from "../../../server/ids";
import { laneOf } from "../../../server/outbox/lanes";
import { createDecisions } from "../../../server/verification/decisions";
import { createNodeMac, macKeyOf } from "../../../server/verification/mac";
import { ATTEST, REGISTER_LEAF } from "../../../server/verification/verifier";
import { createMetrics } from "../../../server/http/metrics";
import pino from "pino";
import { EvidenceRegistry__factory, FacilityManager__factory, PayeeRegistry__factory } from "../../../typechain-types";

const KIND = "INVOICE" as const;

/** The bank key's next nonce, asked of the node itself (ethers caches an identical request for 250 ms). */
const nextNonce = async (provider: JsonRpcProvider) =>
  Number(BigInt(await provider.send("eth_getTransactionCount", [devWallet("bank").address, "pending"])));

/** A facility created on chain by the bank's development key: one equipment payment to a new payee. Returns its id. */
export async function facilityOnChain(provider: JsonRpcProvider, deployment: Deployment): Promise<bigint> {
  const bank = devWallet("bank").connect(provider);
  const payee = Wallet.createRandom().address;
  const payees = PayeeRegistry__factory.connect(deployment.contracts.PayeeRegistry, bank);
  await (
    await payees.registerPayee(payee, 0, keccakText(`licence:${payee}`), { nonce: await nextNonce(provider) })
  ).wait();
  const manager = FacilityManager__factory.connect(deployment.contracts.FacilityManager, bank);
  const amount = 1_000_000n;
  const receipt = await (
    await manager.createFacility(
      {
        borrower: devWallet("borrower").address,
        creditLimit: amount,
        baseRateBps: 435,
        qualityFloorBps: 0,
        subsidyBps: 0,
      },
      [{ payee, amount, category: 0, requiredKinds: 1 << kindIndex(KIND), qualityPurpose: true, paid: false }],
      { nonce: await nextNonce(provider) },
    )
  ).wait();
  const created = receipt!.logs
    .map((log) => manager.interface.parseLog(log))
    .find((event) => event?.name === "FacilityCreated");
  return BigInt(created!.args[0]);
}

/**
 * Anchors `count` leaves of `facilityId` in one batch (with the bank's development key, which holds ANCHORER_ROLE; the
 * bank node must have no transaction of its own in flight) and writes the verifier's verdicts and jobs for them into
 * the database at `databaseUrl` (a running node's: written in chunks, each chunk one transaction).
 */
export async function queueVerifierBacklog(options: {
  provider: JsonRpcProvider;
  deployment: Deployment;
  databaseUrl: string;
  facilityId: bigint;
  count: number;
  /** The node's verifier key: its address names the jobs, and the node's MAC key is derived from it. */
  verifierKey: string;
}): Promise<{ root: string; jobs: number }> {
  const { provider, deployment, facilityId, count } = options;
  const verifierAddress = new Wallet(options.verifierKey).address;
  const leaves = Array.from({ length: count }, () => {
    const saltedHash = hexlify(randomBytes(32));
    return { saltedHash, evidenceId: evidenceIdOf(facilityId, KIND, BACKLOG_COUNTERPARTY, saltedHash) };
  });
  // Batches of at most MAX_BATCH_SIZE leaves on the position-bound batch tree, as the bank's batcher seals them.
  const registry = EvidenceRegistry__factory.connect(
    deployment.contracts.EvidenceRegistry,
    devWallet("bank").connect(provider),
  );
  const maxSize = Number(await registry.MAX_BATCH_SIZE());
  const placed: Array<{ root: string; index: number; proof: string[] }> = [];
  let root = "";
  for (let from = 0; from < count; from += maxSize) {
    const tree = batchTreeOf(leaves.slice(from, from + maxSize).map((leaf) => leaf.evidenceId));
    await (await registry.anchorBatch(tree.root, tree.size, { nonce: await nextNonce(provider) })).wait();
    for (let index = 0; index < tree.size; index++) placed.push({ root: tree.root, index, proof: tree.proof(index) });
    root ||= tree.root;
  }

  const db = await createDatabase(options.databaseUrl);
  const decisions = createDecisions({
    db,
    mac: createNodeMac(macKeyOf({ verifierKey: options.verifierKey })),
    metrics: createMetrics("regulator"),
    logger: pino({ level: "silent" }),
  });
  try {
    const CHUNK = 500;
    for (let from = 0; from < count; from += CHUNK) {
      const chunk = leaves.slice(from, from + CHUNK);
      const jobs = chunk.flatMap(({ saltedHash, evidenceId }, i) => [
        {
          id: orderedId(),
          key: `register:${evidenceId}`,
          kind: REGISTER_LEAF,
          lane: laneOf(REGISTER_LEAF),
          payload: JSON.stringify({
            root: placed[from + i].root,
            index: placed[from + i].index,
            facilityId: facilityId.toString(),
            kind: kindIndex(KIND),
            counterparty: BACKLOG_COUNTERPARTY,
            saltedHash,
            proof: placed[from + i].proof,
            evidenceId,
          }),
        },
        {
          id: orderedId(),
          key: `attest:${verifierAddress}:${evidenceId}`,
          kind: ATTEST,
          lane: laneOf(ATTEST),
          payload: JSON.stringify(decisions.attestPayload(evidenceId, "ACCEPT", "")),
        },
      ]);
      await db.prisma.$transaction(async (tx) => {
        await tx.verification.createMany({
          data: chunk.map(({ evidenceId }) => {
            const decided = { evidenceId, facilityId, kind: KIND, verdict: "ACCEPT", reason: "", contentHash: null };
            return { ...decided, metadata: "{}", mac: decisions.sealVerdict(decided) };
          }),
        });
        await tx.outboxJob.createMany({ data: jobs });
      });
    }
  } finally {
    await db.close();
  }
  return { root, jobs: count * 2 };
}

/** Jobs the node's outbox still has to send, by kind. */
async function openJobs(databaseUrl: string, kind: string): Promise<number> {
  const db = await createDatabase(databaseUrl);
  try {
    return await db.prisma.outboxJob.count({ where: { kind, status: { in: ["PENDING", "SENT"] } } });
  } finally {
    await db.close();
  }
}

/** Blocks every `ms` milliseconds from now on, as a consortium chain makes them (hardhat node and anvil). */
export async function intervalMining(provider: JsonRpcProvider, ms: number): Promise<void> {
  await provider.send("evm_setAutomine", [false]);
  await provider.send("evm_setIntervalMining", [ms]);
}

export interface FreezeMeasure {
  status: number;
  facilityStatus: string;
  /** Blocks from the one before the spot check was sent to the one holding the freeze. */
  blocks: number;
  /** From sending the spot check to the regulator node's answer (which waits for the freeze). */
  answeredMs: number;
  attestationsQueued: number;
  attestationsLanded: number;
}

/** The borrower's firm and a failed inspection of it, as the regulator's registry (seed/regulator-registry.json) holds. */
const BORROWER_FIRM = { holder: "Ningbo Yongxin Bearings Co., Ltd.", holderCreditCode: "91330206MA2AAAAA1X" };
const FAILED_INSPECTION = "NB-SC-2026-0044";

/**
 * Sends a FAIL spot check to the regulator node, citing a failed inspection record of the borrower's firm (the
 * regulator records a spot check only on its own record of the borrower), and measures where and when the freeze
 * landed on chain.
 */
export async function freezeUnderBacklog(options: {
  provider: JsonRpcProvider;
  deployment: Deployment;
  regulatorUrl: string;
  regulatorKey: string;
  databaseUrl: string;
  facilityId: bigint;
}): Promise<FreezeMeasure> {
  const { provider, facilityId } = options;
  const manager = FacilityManager__factory.connect(options.deployment.contracts.FacilityManager, provider);
  const headers = { authorization: `Bearer ${options.regulatorKey}`, "content-type": "application/json" };
  const firm = await fetch(`${options.regulatorUrl}/registry/records`, {
    method: "POST",
    headers,
    body: JSON.stringify({ type: "FIRM_ACCOUNT", reference: devWallet("borrower").address, ...BORROWER_FIRM }),
  });
  if (firm.status !== 201 && firm.status !== 409)
    throw new Error(`registry record: ${firm.status} ${await firm.text()}`);
  const attestationsQueued = await openJobs(options.databaseUrl, ATTEST);
  const before = await provider.getBlockNumber();
  const started = Date.now();
  const response = await fetch(`${options.regulatorUrl}/spot-checks`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      facilityId: facilityId.toString(),
      result: "FAIL",
      reportNumber: FAILED_INSPECTION,
      findings: "pass rate 91.2%, below the 95% target",
    }),
  });
  const answeredMs = Date.now() - started;
  const body = (await response.json()) as { facilityStatus?: string };
  const [frozen] = await manager.queryFilter(manager.filters.FacilityFrozen(facilityId), before);
  const attestationsLeft = await openJobs(options.databaseUrl, ATTEST);
  return {
    status: response.status,
    facilityStatus: String(body.facilityStatus),
    blocks: frozen ? frozen.blockNumber - before : Number.POSITIVE_INFINITY,
    answeredMs,
    attestationsQueued,
    attestationsLanded: attestationsQueued - attestationsLeft,
  };
}
