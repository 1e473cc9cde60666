import { Interface, type ErrorFragment } from "ethers";
import {
  EvidenceRegistry__factory,
  FacilityManager__factory,
  PayeeRegistry__factory,
  SettlementToken__factory,
} from "../../typechain-types";

/**
 * Every custom error of the deployed system in one interface: a revert inside a nested call (the PayeeRegistry's
 * `PayeeInactive` or the EvidenceRegistry's `EvidenceNotVerified` during `executePayment`) bubbles up through the
 * FacilityManager, whose own ABI does not know it.
 */
export const systemErrors: Interface = (() => {
  const bySelector = new Map<string, ErrorFragment>();
  for (const abi of [
    FacilityManager__factory.abi,
    EvidenceRegistry__factory.abi,
    PayeeRegistry__factory.abi,
    SettlementToken__factory.abi,
  ]) {
    for (const fragment of new Interface(abi).fragments) {
      if (fragment.type === "error") bySelector.set((fragment as ErrorFragment).selector, fragment as ErrorFragment);
    }
  }
  return new Interface([...bySelector.values()]);
})();

const ERROR_STRING = "0x08c379a0";
const PANIC = "0x4e487b71";

function revertData(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === "object"; ++depth) {
    const data = (current as { data?: unknown }).data;
    if (typeof data === "string" && data.startsWith("0x")) return data;
    // `hardhat node` answers eth_sendTransaction of a transaction it mined and reverted with { data: { data, txHash } }.
    const nested = (data as { data?: unknown } | undefined)?.data;
    if (typeof nested === "string" && nested.startsWith("0x")) return nested;
    current =
      (current as { error?: unknown; info?: { error?: unknown } }).error ??
      (current as { info?: { error?: unknown } }).info?.error;
  }
  return undefined;
}

/**
 * The custom error a failed transaction or call reverted with, by name and arguments (`FacilityIsFrozen`, [3n]), or
 * `Error` / `Panic` with the reason or code, or `EmptyRevert`. Anything that is not a revert (a broken connection, a
 * bug in the test) is rethrown, so it can never pass for an expected revert.
 */
export function revertError(error: unknown): { name: string; args: unknown[] } {
  const data = revertData(error);
  if (data === undefined) throw error;
  if (data === "0x") return { name: "EmptyRevert", args: [] };
  const selector = data.slice(0, 10);
  if (selector === ERROR_STRING || selector === PANIC) {
    const decoded = systemErrors
      .getAbiCoder()
      .decode([selector === PANIC ? "uint256" : "string"], "0x" + data.slice(10));
    return { name: selector === PANIC ? "Panic" : "Error", args: [decoded[0]] };
  }
  const parsed = systemErrors.parseError(data);
  if (parsed === null) throw error;
  return { name: parsed.name, args: [...parsed.args] };
}

/**
 * The name of the custom error a failed transaction or call reverted with (`FacilityIsFrozen`, `PayeeInactive`…), or
 * `Error(<reason>)` / `Panic(<code>)` / `EmptyRevert`. Anything that is not a revert is rethrown.
 */
export function revertName(error: unknown): string {
  const { name, args } = revertError(error);
  return name === "Error" || name === "Panic" ? `${name}(${args[0]})` : name;
}
