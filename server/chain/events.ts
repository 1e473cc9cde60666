import { Indexed, type EventFragment, type Interface, type ParamType } from "ethers";

/**
 * Event arguments as JSON-safe values, shaped by the ABI rather than by what ethers' Result happens to hold: arrays
 * stay arrays at every length (0, 1 or many), structs become objects keyed by their field names, integers become
 * decimal strings, and an indexed dynamic value (which a log carries only as its hash) becomes that hash.
 *
 * Guessing the shape from the Result (its `toObject()`) is what stored a one-element bytes32[] as `{"_": value}`.
 */
export function plainArgs(fragment: EventFragment, values: readonly unknown[]): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  fragment.inputs.forEach((input, i) => {
    args[input.name || String(i)] = plainValue(input, values[i]);
  });
  return args;
}

function plainValue(type: ParamType, value: unknown): unknown {
  if (value instanceof Indexed) return value.hash;
  if (type.isArray()) {
    return Array.from(value as readonly unknown[], (item) => plainValue(type.arrayChildren, item));
  }
  if (type.isTuple()) {
    const members = value as readonly unknown[];
    return Object.fromEntries(type.components.map((c, i) => [c.name || String(i), plainValue(c, members[i])]));
  }
  return typeof value === "bigint" ? value.toString() : value;
}

/**
 * Re-shapes arguments stored before {@link plainArgs} by the ABI: an array stored as an object (`{"_": value}`,
 * `{"0": a, "1": b}`) becomes the array again, and a struct stored as an array gets its field names back. Values
 * already in shape are returned as they are, so applying it twice changes nothing.
 */
export function reshapeStoredArgs(fragment: EventFragment, stored: Record<string, unknown>): Record<string, unknown> {
  const args: Record<string, unknown> = { ...stored };
  fragment.inputs.forEach((input, i) => {
    const key = input.name || String(i);
    if (key in stored) args[key] = reshape(input, stored[key]);
  });
  return args;
}

function reshape(type: ParamType, value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (type.isArray()) {
    const items = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
    return items.map((item) => reshape(type.arrayChildren, item));
  }
  if (type.isTuple()) {
    const source = value as Record<string, unknown> & unknown[];
    return Object.fromEntries(
      type.components.map((c, i) => {
        const key = c.name || String(i);
        return [key, reshape(c, Array.isArray(value) ? source[i] : source[key])];
      }),
    );
  }
  return value;
}

/** Whether an event has an argument whose stored shape {@link reshapeStoredArgs} may have to repair. */
export const hasStructuredArgs = (fragment: EventFragment) =>
  fragment.inputs.some((input) => input.isArray() || input.isTuple());

/**
 * A log decoded by a contract's ABI, its arguments as {@link plainArgs} shapes them; null for a log of an event the
 * ABI does not have. The one decoder of logs read straight from the chain (the indexer's stored events are decoded
 * with the same plainArgs).
 */
export function decodeLog(
  iface: Interface,
  log: { topics: readonly string[]; data: string },
): { name: string; fragment: EventFragment; args: Record<string, any> } | null {
  let parsed: ReturnType<Interface["parseLog"]>;
  try {
    parsed = iface.parseLog(log);
  } catch {
    return null;
  }
  if (!parsed) return null;
  return { name: parsed.name, fragment: parsed.fragment, args: plainArgs(parsed.fragment, parsed.args) };
}
