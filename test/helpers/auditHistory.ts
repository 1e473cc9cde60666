import { ZeroHash, id as labelHash, type ContractTransactionResponse, type Provider, type Signer } from "ethers";
import type { EvidenceRegistry, FacilityManager, PayeeRegistry, SettlementToken } from "../../typechain-types";
import { Category, DAY, Kind, Verdict, kindsMask, yuan } from "./constants";
import { evidenceTree } from "./batchTree";
import { signAttestation, signReview, signRevocation, signUnfreeze } from "./signatures";

/**
 * One facility's whole life, written against any JSON-RPC chain (the in-process Hardhat network or a `hardhat node`
 * process) so the audit tests check the same history in both places. Timestamps are set exactly, so every interest
 * figure below is worked out by hand.
 */

/** The contracts connected as the bank, and the institutions' accounts. */
export interface AuditActors {
  provider: Provider & { send(method: string, params: unknown[]): Promise<any> };
  token: SettlementToken;
  payees: PayeeRegistry;
  evidence: EvidenceRegistry;
  manager: FacilityManager;
  bank: Signer;
  regulator: Signer;
  fiscal: Signer;
  borrower: Signer;
  bankVerifier: Signer;
  regulatorVerifier: Signer;
  equipmentVendor: string;
  lab: string;
  materials: string;
  /** Where withdrawals go: the treasury governance set. */
  treasury: string;
  /** Gives an account settlement tokens (the issuer mints in unit tests; on a dev deployment the bank's float pays). */
  issue(to: string, amount: bigint): Promise<ContractTransactionResponse>;
}

const FUNDED = yuan(10_000_000);
// 4,000,000.00 CNY at 435 bps for 30 days: 400,000,000 × 435 × 30 / 3,600,000
const INTEREST_1 = 1_450_000n;
// 9,000,000.00 CNY at 435 bps for 60 days
const INTEREST_2 = 6_525_000n;
// 9,000,000.00 CNY at 385 bps for 90 days, of which the subsidy at 300 bps
const INTEREST_3 = 8_662_500n;
const SUBSIDY_3 = 6_750_000n;
const INTEREST_DUE = INTEREST_1 + INTEREST_2 + INTEREST_3 - SUBSIDY_3;
const PRINCIPAL_REPAID = yuan(1_000_000);
const WITHDRAWN = yuan(1_000_000);

/** What the history leaves behind, in fen. */
export const EXPECTED = {
  funded: FUNDED,
  paid: yuan(9_000_000),
  qualityPaid: yuan(4_000_000),
  qualityShareOfPaidBps: 4_444, // 4/9 rounded down
  unpaidPlanned: yuan(1_000_000),
  segments: [
    { days: 30n, principal: yuan(4_000_000), rateBps: 435, interest: INTEREST_1, subsidy: 0n },
    { days: 60n, principal: yuan(9_000_000), rateBps: 435, interest: INTEREST_2, subsidy: 0n },
    { days: 90n, principal: yuan(9_000_000), rateBps: 385, interest: INTEREST_3, subsidy: SUBSIDY_3 },
  ],
  interestAccrued: INTEREST_1 + INTEREST_2 + INTEREST_3,
  subsidyAccrued: SUBSIDY_3,
  interestRepaid: INTEREST_DUE,
  principalRepaid: PRINCIPAL_REPAID,
  subsidyPaid: SUBSIDY_3,
  withdrawn: WITHDRAWN,
  outstandingPrincipal: yuan(9_000_000) - PRINCIPAL_REPAID,
  balance: FUNDED - yuan(9_000_000) + INTEREST_DUE + PRINCIPAL_REPAID + SUBSIDY_3 - WITHDRAWN,
};

export interface AuditHistory {
  facilityId: bigint;
  otherFacilityId: bigint;
  t0: bigint;
  evidence: {
    contract0: string;
    invoice: string;
    deliveryNote: string;
    contract2: string;
    inspection: string;
    otherFacility: string;
    otherInspection: string;
  };
  batchRoot: string;
  tx: {
    batch: string;
    payment0: string;
    payment2: string;
    review: string;
    freeze: string;
    unfreeze: string;
    repay: string;
    subsidy: string;
    withdraw: string;
    otherPayment: string;
  };
  reasons: { inspection: string; revocation: string; freeze: string; unfreeze: string; review: string };
}

async function mined(tx: Promise<ContractTransactionResponse>): Promise<string> {
  const receipt = await (await tx).wait();
  if (!receipt || receipt.status !== 1) throw new Error("transaction failed");
  return receipt.hash;
}

/** The standard plan: equipment 4M (quality), lab 1M (quality), materials 5M (not quality). */
function plan(a: AuditActors) {
  return [
    {
      payee: a.equipmentVendor,
      amount: yuan(4_000_000),
      category: Category.EQUIPMENT,
      requiredKinds: kindsMask(Kind.PURCHASE_CONTRACT, Kind.INVOICE),
      qualityPurpose: true,
      paid: false,
    },
    {
      payee: a.lab,
      amount: yuan(1_000_000),
      category: Category.TESTING_CERT,
      requiredKinds: kindsMask(Kind.INSPECTION_REPORT),
      qualityPurpose: true,
      paid: false,
    },
    {
      payee: a.materials,
      amount: yuan(5_000_000),
      category: Category.MATERIALS,
      requiredKinds: kindsMask(Kind.PURCHASE_CONTRACT, Kind.DELIVERY_NOTE),
      qualityPurpose: false,
      paid: false,
    },
  ];
}

/**
 * Registers the payees, creates and funds the facility (and a second one, whose events must stay out of the first's
 * report), anchors its evidence singly and in a Merkle batch, has both verifiers judge it (one rejection, one
 * acceptance revoked after it released a payment), pays two of its three payments, applies a review, freezes and
 * unfreezes it, takes a repayment and the fiscal subsidy, and withdraws part of its balance.
 */
export async function createAuditHistory(a: AuditActors): Promise<AuditHistory> {
  const managerAddress = await a.manager.getAddress();
  const bankAddress = await a.bank.getAddress();
  const setNextTimestamp = (at: bigint) => a.provider.send("evm_setNextBlockTimestamp", [Number(at)]);
  // eth_getBlockByNumber itself: ethers answers a repeated getBlock("latest") from a short-lived cache, which under
  // load can be a block from before the last time jump (a signature then expires as it lands).
  const latestTimestamp = async () =>
    BigInt((await a.provider.send("eth_getBlockByNumber", ["latest", false])).timestamp);
  const t0 = (await latestTimestamp()) + 1_000n;
  const day = (n: bigint) => t0 + n * DAY;
  const deadline = (at: bigint) => at + 3_600n;

  const nonceOf = async (verifier: Signer) => a.evidence.nonces(await verifier.getAddress());
  async function judge(evidenceId: string, verifier: Signer, verdict: number, reasonHash = ZeroHash) {
    const request = {
      evidenceId,
      verdict,
      reasonHash,
      nonce: await nonceOf(verifier),
      deadline: deadline(await latestTimestamp()),
    };
    return { request, signature: await signAttestation(a.evidence, verifier, request) };
  }
  async function verify(evidenceId: string) {
    const both = [await judge(evidenceId, a.bankVerifier, 1), await judge(evidenceId, a.regulatorVerifier, 1)];
    await mined(
      a.evidence.attest(
        both.map((x) => x.request),
        both.map((x) => x.signature),
      ),
    );
  }
  /** What executePayment takes for each evidence id (the contract recomputes the id with its counterparty). */
  const offered = new Map<string, { kind: number; saltedHash: string }>();
  const offer = (ids: string[]) => ids.map((id) => offered.get(id)!);
  async function anchorSingle(facilityId: bigint, kind: number, counterparty: string, label: string) {
    const hash = labelHash(label);
    await mined(a.evidence.anchor(facilityId, kind, counterparty, hash));
    const id = await a.evidence.evidenceIdOf(facilityId, kind, counterparty, hash);
    offered.set(id, { kind, saltedHash: hash });
    return id;
  }

  await mined(a.payees.registerPayee(a.equipmentVendor, Category.EQUIPMENT, labelHash("licence:equipment")));
  await mined(a.payees.registerPayee(a.lab, Category.TESTING_CERT, labelHash("licence:lab")));
  await mined(a.payees.registerPayee(a.materials, Category.MATERIALS, labelHash("licence:materials")));

  const terms = {
    borrower: await a.borrower.getAddress(),
    creditLimit: yuan(10_000_000),
    baseRateBps: 435,
    qualityFloorBps: 0,
    subsidyBps: 300,
  };
  await mined(a.manager.createFacility(terms, plan(a)));
  const facilityId = await a.manager.facilityCount();
  await mined(a.issue(bankAddress, FUNDED + yuan(1_000_000)));
  await mined(a.token.approve(managerAddress, FUNDED + yuan(1_000_000)));
  await mined(a.manager.fund(facilityId, FUNDED));

  // A second facility with evidence of its own.
  await mined(a.manager.createFacility(terms, plan(a)));
  const otherFacilityId = await a.manager.facilityCount();
  await mined(a.manager.fund(otherFacilityId, yuan(1_000_000)));
  const otherFacility = await anchorSingle(
    otherFacilityId,
    Kind.PURCHASE_CONTRACT,
    a.equipmentVendor,
    "other:contract",
  );
  await verify(otherFacility);

  // Evidence: a purchase contract on its own, an invoice and a delivery note in one Merkle batch.
  const contract0 = await anchorSingle(facilityId, Kind.PURCHASE_CONTRACT, a.equipmentVendor, "contract:equipment");
  await verify(contract0);
  const leaves: [string, number, string, string][] = [
    [facilityId.toString(), Kind.INVOICE, a.equipmentVendor, labelHash("invoice:equipment")],
    [facilityId.toString(), Kind.DELIVERY_NOTE, a.materials, labelHash("delivery-note:materials")],
  ];
  const tree = evidenceTree(leaves);
  const batch = await mined(a.evidence.anchorBatch(tree.root, leaves.length));
  const batched: string[] = [];
  for (const [i, [, kind, counterparty, hash]] of leaves.entries()) {
    await mined(
      a.evidence.registerBatchedEvidence(tree.root, i, facilityId, kind, counterparty, hash, tree.getProof(i)),
    );
    const id = await a.evidence.evidenceIdOf(facilityId, kind, counterparty, hash);
    offered.set(id, { kind, saltedHash: hash });
    batched.push(id);
  }
  for (const evidenceId of batched) await verify(evidenceId);

  // An inspection report the regulator's node rejects.
  const reasons = {
    inspection: labelHash("reason:inspection-report-not-in-registry"),
    revocation: labelHash("reason:purchase-contract-forged"),
    freeze: labelHash("reason:spot-check-failed"),
    unfreeze: labelHash("reason:rectified"),
    review: labelHash("review-report:q1"),
  };
  const inspection = await anchorSingle(
    facilityId,
    Kind.INSPECTION_REPORT,
    await a.borrower.getAddress(),
    "inspection:lab",
  );
  const verdicts = [
    await judge(inspection, a.bankVerifier, Verdict.ACCEPT),
    await judge(inspection, a.regulatorVerifier, Verdict.REJECT, reasons.inspection),
  ];
  await mined(
    a.evidence.attest(
      verdicts.map((x) => x.request),
      verdicts.map((x) => x.signature),
    ),
  );

  // Payment 0 (equipment) at t0, then the bank's node withdraws its acceptance of the contract that released it.
  await setNextTimestamp(t0);
  const payment0 = await mined(a.manager.executePayment(facilityId, 0, offer([contract0, batched[0]])));
  const revocation = {
    evidenceId: contract0,
    reasonHash: reasons.revocation,
    nonce: await nonceOf(a.bankVerifier),
    deadline: deadline(t0),
  };
  await mined(a.evidence.revoke(revocation, await signRevocation(a.evidence, a.bankVerifier, revocation)));

  // Payment 2 (materials) 30 days later.
  const contract2 = await anchorSingle(facilityId, Kind.PURCHASE_CONTRACT, a.materials, "contract:materials");
  await verify(contract2);
  await setNextTimestamp(day(30n));
  const payment2 = await mined(a.manager.executePayment(facilityId, 2, offer([contract2, batched[1]])));

  // The quarterly review at day 90: 435 → 385 bps and subsidy eligibility, signed by the bank and the regulator.
  const review = {
    facilityId,
    nonce: 0,
    newRateBps: 385,
    subsidyEligible: true,
    reportHash: reasons.review,
    deadline: deadline(day(90n)),
  };
  const reviewSignatures = [
    await signReview(a.manager, a.bank, review),
    await signReview(a.manager, a.regulator, review),
  ] as const;
  await setNextTimestamp(day(90n));
  const reviewTx = await mined(a.manager.applyReview(review, ...reviewSignatures));

  // A failed spot check freezes it at day 95; the bank and the regulator lift the freeze at day 100.
  await setNextTimestamp(day(95n));
  const freeze = await mined(a.manager.connect(a.regulator).freeze(facilityId, reasons.freeze));
  const decision = { facilityId, freezeCount: 1, reasonHash: reasons.unfreeze, deadline: deadline(day(100n)) };
  const unfreezeSignatures = [
    await signUnfreeze(a.manager, a.bank, decision),
    await signUnfreeze(a.manager, a.regulator, decision),
  ] as const;
  await setNextTimestamp(day(100n));
  const unfreeze = await mined(a.manager.unfreeze(decision, ...unfreezeSignatures));

  // At day 180 the borrower repays the interest due and 1,000,000.00 CNY of principal; the fiscal account pays the
  // subsidy; the bank withdraws 1,000,000.00 CNY of the balance to the treasury.
  const repayment = INTEREST_DUE + PRINCIPAL_REPAID;
  await mined(a.issue(await a.borrower.getAddress(), repayment));
  await mined(a.token.connect(a.borrower).approve(managerAddress, repayment));
  await mined(a.issue(await a.fiscal.getAddress(), SUBSIDY_3));
  await mined(a.token.connect(a.fiscal).approve(managerAddress, SUBSIDY_3));
  await setNextTimestamp(day(180n));
  const repay = await mined(a.manager.connect(a.borrower).repay(facilityId, repayment));
  const subsidy = await mined(a.manager.connect(a.fiscal).paySubsidy(facilityId, SUBSIDY_3));
  const withdraw = await mined(a.manager.withdraw(facilityId, WITHDRAWN, a.treasury));

  // The other facility pays its lab against one inspection report: a payment released by exactly one document
  // (its evidenceIds a one-element array, which the indexer once stored as {"_": id}).
  const otherInspection = await anchorSingle(
    otherFacilityId,
    Kind.INSPECTION_REPORT,
    await a.borrower.getAddress(),
    "other:inspection",
  );
  await verify(otherInspection);
  const otherPayment = await mined(a.manager.executePayment(otherFacilityId, 1, offer([otherInspection])));

  return {
    facilityId,
    otherFacilityId,
    t0,
    evidence: {
      contract0,
      invoice: batched[0],
      deliveryNote: batched[1],
      contract2,
      inspection,
      otherFacility,
      otherInspection,
    },
    batchRoot: tree.root,
    tx: {
      batch,
      payment0,
      payment2,
      review: reviewTx,
      freeze,
      unfreeze,
      repay,
      subsidy,
      withdraw,
      otherPayment,
    },
    reasons,
  };
}
