import { Interface, isError, type ErrorDescription } from "ethers";
import {
  EvidenceRegistry__factory,
  FacilityManager__factory,
  PayeeRegistry__factory,
  SettlementToken__factory,
} from "../../typechain-types";

/** Every custom error any of our contracts (and the OpenZeppelin code they use) can revert with. */
const errorsInterface = new Interface(
  [
    ...EvidenceRegistry__factory.abi,
    ...FacilityManager__factory.abi,
    ...PayeeRegistry__factory.abi,
    ...SettlementToken__factory.abi,
  ].filter((fragment, index, all) => {
    if (fragment.type !== "error") return false;
    const signature = `${fragment.name}(${fragment.inputs.map((input) => input.type).join(",")})`;
    return (
      all.findIndex(
        (other) =>
          other.type === "error" && `${other.name}(${other.inputs.map((input) => input.type).join(",")})` === signature,
      ) === index
    );
  }),
);

function revertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: any = error;
  // ethers wraps JSON-RPC errors several levels deep depending on the node; look for the first revert payload.
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    if (typeof current.data === "string" && current.data.startsWith("0x") && current.data.length >= 10)
      return current.data;
    if (current.data && typeof current.data.data === "string") return current.data.data;
    current = current.error ?? current.info?.error ?? current.cause;
  }
  return undefined;
}

/** The decoded custom error of a reverted call or transaction, if it is one of ours. */
export function decodeRevert(error: unknown): ErrorDescription | undefined {
  const data = revertData(error);
  if (!data) return undefined;
  try {
    return errorsInterface.parseError(data) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Whether the error means the node could not be reached or did not answer: retrying later may succeed. */
export function isTransient(error: unknown): boolean {
  if (decodeRevert(error)) return false;
  if (isError(error, "NETWORK_ERROR") || isError(error, "TIMEOUT") || isError(error, "SERVER_ERROR")) return true;
  if (isError(error, "NONCE_EXPIRED") || isError(error, "REPLACEMENT_UNDERPRICED")) return true;
  const text = String((error as Error)?.message ?? error);
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|socket hang up|fetch failed|network|timeout|nonce too low|already known|underpriced/i.test(
    text,
  );
}

export function describeError(error: unknown): string {
  const decoded = decodeRevert(error);
  if (decoded) return `${decoded.name}(${decoded.args.map(String).join(", ")})`;
  const e = error as { shortMessage?: string; message?: string };
  return e?.shortMessage ?? e?.message ?? String(error);
}
