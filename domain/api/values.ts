import { z } from "zod";

/** The values API responses are made of: money as decimal strings of fen, times as ISO 8601, hashes as hex. */

/** An amount in fen (CNY minor unit) as a decimal string: exact beyond 2^53. */
export const Fen = z
  .string()
  .regex(/^-?[0-9]+$/)
  .meta({ description: "an amount in fen (CNY minor unit) as a decimal string" });

/** A time as the nodes send it (Date.toISOString()). */
export const IsoTime = z.string().meta({ format: "date-time", description: "ISO 8601 time" });

/** A 0x address as the chain gives it (EIP-55 checksummed). */
export const AddressText = z.string().meta({ description: "a 0x-prefixed 20-byte address" });

/** 0x followed by 64 hex digits: a transaction hash, an evidence id, a salted hash. */
export const HashText = z.string().meta({ description: "0x followed by 64 hex digits" });

/** A transaction hash, or null while the chain write is on its way. */
export const TxHash = HashText.nullable();

/** A chain id or a facility id as a decimal string (a uint64 does not fit a JSON number). */
export const IdText = z.string().regex(/^[0-9]+$/);
