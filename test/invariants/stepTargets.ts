import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";
import type { Fixture } from "../helpers/fixtures";
import * as M from "./facilityModel";

/** The deployed system, the accounts the actions use, and the model that shadows the chain. */
export interface Runner {
  fx: Fixture;
  borrowers: HardhatEthersSigner[];
  payeePool: string[];
  model: M.Model;
  stats: Map<string, number>;
}

/** What one action does on chain, what the model expects of it, and how the model follows a success. */
export interface Step {
  expected: string[];
  send(): Promise<ContractTransactionResponse>;
  apply(receipt: ContractTransactionReceipt): void;
}

export const HOUR = 3_600n;

export function count(r: Runner, key: string): void {
  r.stats.set(key, (r.stats.get(key) ?? 0) + 1);
}

/** A deterministic stream of choices from one picked number (the action stays a small, printable value). */
export function chooser(seed: number): <T>(list: T[]) => T | undefined {
  let state = seed >>> 0;
  return <T>(list: T[]) => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return list.length === 0 ? undefined : list[state % list.length];
  };
}

/**
 * Three picks in four aim at a target where the action makes sense (a frozen facility to unfreeze, an inactive payee
 * to reactivate), when there is one; the fourth, and every pick when there is none, takes any target.
 */
export function aim<T>(pick: number, all: T[], sensible: (t: T) => boolean = () => true): T {
  const aimed = all.filter(sensible);
  return pick % 4 !== 3 && aimed.length > 0 ? aimed[pick % aimed.length] : all[pick % all.length];
}

export function resolveFacility(
  m: M.Model,
  pick: number,
  sensible?: (f: M.FacilityModel) => boolean,
): { id: bigint; f: M.FacilityModel | undefined } {
  if (pick < 0 || m.facilities.length === 0) return { id: M.MISSING_FACILITY, f: undefined };
  const f = aim(pick, m.facilities, sensible);
  return { id: f.id, f };
}

export function resolvePayee(r: Runner, pick: number, sensible: (p: M.PayeeState | undefined) => boolean): string {
  return aim(pick, r.payeePool, (payee) => sensible(r.model.payees.get(payee)));
}

export function amountFor(mode: string, limit: bigint, pick: number): bigint {
  switch (mode) {
    case "all":
      return limit;
    case "tooMuch":
      return limit + 1n;
    case "zero":
      return 0n;
    default: // "part", "interest", "zeroAddress": somewhere in 1..limit
      return limit > 0n ? 1n + (BigInt(pick) % limit) : 1n;
  }
}
