import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import type { BaseContract, ContractTransactionResponse } from "ethers";
import { approveOperation, executeOperation, type GovernanceCall } from "../../scripts/lib/governance";
import type { Fixture } from "./fixtures";

let salts = 0;

/**
 * Runs calls the way governance does: both institutions' governance keys approve, the timelock's delay passes, and
 * a stranger executes. Returns the execution, so a test can expect its events or its revert (the timelock passes
 * the target's revert data through).
 */
export async function viaGovernance(fx: Fixture, calls: GovernanceCall[]): Promise<ContractTransactionResponse> {
  const salt = ethers.zeroPadValue(ethers.toBeHex(++salts), 32);
  await approveOperation(fx.council, [fx.bankGovernance, fx.regulatorGovernance], calls, salt);
  await time.increase(await fx.timelock.getMinDelay());
  return executeOperation(fx.timelock, fx.stranger, calls, salt);
}

/**
 * `contract` as governance sees it: each state-changing method goes through {viaGovernance}; views and everything
 * else are the contract's own.
 */
export function governed<T extends BaseContract>(fx: Fixture, contract: T): T {
  return new Proxy(contract, {
    get(target, prop, receiver) {
      const fragment = typeof prop === "string" ? target.interface.getFunction(prop) : null;
      if (!fragment || fragment.constant) return Reflect.get(target, prop, receiver);
      return async (...args: unknown[]) =>
        viaGovernance(fx, [
          { target: await target.getAddress(), data: target.interface.encodeFunctionData(fragment, args) },
        ]);
    },
  });
}
