import type { Action } from "./facilityActions";

/**
 * Sequences the property always runs first (fast-check `examples`), before its random ones.
 *
 * When the property fails, fast-check prints `seed`, `path` and the shrunk `Counterexample: [[...actions]]`.
 * To keep it as a regression case (STYLE.md, point 12):
 * 1. replay it: `FC_SEED=<seed> FC_PATH=<path> npx hardhat test test/invariants/FacilityManager.property.test.ts`;
 * 2. paste the counterexample's inner array here as a new entry, with a comment naming the bug it caught;
 * 3. fix the contract (or the model), and see the entry pass.
 */
export const regressions: Action[][] = [
  // seed -1816563211, path 171:3:2:2:2:2:2:4:4:4:6:6:7:7:7:7:7:7:7:8:7:15:7:8:7:8:7:7:8:9:7:7:7:8:8:8:8 (shrunk).
  // Interest rounded once over the summed numerators: after a repayment clears all interest due, a later second where
  // the subsidy's rounded total ticks up before the interest's makes `accrued − subsidy − repaid` negative, and
  // `_interestDue` underflows: repay (any amount), close and outstanding() revert with Panic(0x11). The failed
  // actions before the repayments matter: each takes a block, one second, and so sets where the fractions fall.
  [
    {
      type: "createFacility",
      borrower: 0,
      limit: "exact",
      baseRateBps: 0,
      qualityFloorBps: 0,
      subsidyBps: 0,
      plan: [],
    },
    { type: "anchor", facility: 0, kind: 0, neededKind: true, reanchor: false },
    { type: "reactivatePayee", payee: 0 },
    { type: "executePayment", facility: 0, payment: 0, evidence: "missing", pick: 0 },
    { type: "unfreeze", facility: 0, variant: "valid" },
    { type: "repay", facility: 0, mode: "part", pick: 500166679 },
    { type: "repay", facility: 0, mode: "interest", pick: 0 },
  ],
  // The whole life of the prelude's first facility: evidence for the 4M equipment payment anchored, half-attested
  // evidence completed, paid; a quarter later repaid in full (interest first), subsidy paid, the facility closed.
  [
    { type: "anchor", facility: 0, kind: 0, neededKind: false, reanchor: false },
    { type: "anchor", facility: 0, kind: 1, neededKind: false, reanchor: false },
    { type: "attest", evidence: 0, signers: "both", accept: [true, true], expired: false, ghost: false },
    { type: "attest", evidence: 0, signers: "both", accept: [true, true], expired: false, ghost: false },
    { type: "executePayment", facility: 0, payment: 0, evidence: "correct", pick: 0 },
    { type: "timePasses", seconds: 90 * 86_400 },
    { type: "repay", facility: 0, mode: "all", pick: 0 },
    { type: "paySubsidy", facility: 0, mode: "all", pick: 0 },
    { type: "close", facility: 0 },
    { type: "executePayment", facility: 0, payment: 2, evidence: "correct", pick: 0 },
  ],
  // A freeze stops a payment whose evidence is verified; a one-sided unfreeze fails; a joint one lets it through.
  [
    { type: "anchor", facility: 1, kind: 4, neededKind: false, reanchor: false },
    { type: "attest", evidence: 0, signers: "both", accept: [true, true], expired: false, ghost: false },
    { type: "freeze", facility: 1, by: "regulator" },
    { type: "executePayment", facility: 1, payment: 0, evidence: "correct", pick: 0 },
    { type: "unfreeze", facility: 1, variant: "regulatorOnly" },
    { type: "unfreeze", facility: 1, variant: "valid" },
    { type: "deactivatePayee", payee: 1 },
    { type: "executePayment", facility: 1, payment: 0, evidence: "correct", pick: 0 },
    { type: "reactivatePayee", payee: 1 },
    { type: "executePayment", facility: 1, payment: 0, evidence: "correct", pick: 0 },
    { type: "executePayment", facility: 1, payment: 0, evidence: "correct", pick: 0 },
  ],
];
