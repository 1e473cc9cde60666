import { ZeroHash, type ContractTransactionResponse, type Signer } from "ethers";
import type { GovernanceCouncil, TimelockController } from "../../typechain-types";

/** One call a governance operation makes (from the timelock, which holds the admin roles). */
export interface GovernanceCall {
  target: string;
  data: string;
  value?: bigint;
}

function batchOf(calls: GovernanceCall[]) {
  return {
    targets: calls.map((call) => call.target),
    values: calls.map((call) => call.value ?? 0n),
    payloads: calls.map((call) => call.data),
  };
}

/**
 * Each member approves the batch in turn; the approval that reaches the threshold schedules it in the timelock.
 * Returns the operation id.
 */
export async function approveOperation(
  council: GovernanceCouncil,
  members: Signer[],
  calls: GovernanceCall[],
  salt: string = ZeroHash,
): Promise<string> {
  const { targets, values, payloads } = batchOf(calls);
  for (const member of members) {
    await (await council.connect(member).approve(targets, values, payloads, salt)).wait();
  }
  return council.operationId(targets, values, payloads, salt);
}

/** Executes a scheduled batch once its delay has passed; anyone may send this. */
export function executeOperation(
  timelock: TimelockController,
  sender: Signer,
  calls: GovernanceCall[],
  salt: string = ZeroHash,
): Promise<ContractTransactionResponse> {
  const { targets, values, payloads } = batchOf(calls);
  return timelock.connect(sender).executeBatch(targets, values, payloads, ZeroHash, salt);
}
