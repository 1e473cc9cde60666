/** The white list's requests and views on both nodes (the entry itself: domain/api/whitelist.ts). */
import { z } from "zod";
import { pageQuery } from "../../domain/api/page";
import { Hex32, Text } from "../http/route";
import { GRADES } from "../rules/products";
import { CSV_COLUMNS, WhiteListEntryInput } from "../../domain/api/whitelist";

/**
 * Entries per request to the bank node: with their proofs (~1.3 kB an entry in a publication of 10,000), ~130 kB,
 * under the nodes' default 256 KiB JSON limit.
 */
export const PUBLISH_CHUNK = 100;

/** An entry as the regulator published it: with when, and its signature over both. */
export const SignedEntry = WhiteListEntryInput.extend({
  publishedAt: z.iso.datetime().transform((value) => new Date(value)),
  root: Hex32,
  proof: z.array(Hex32).max(64),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, { message: "must be a 65-byte hex signature" }),
});

export const EntryView = WhiteListEntryInput.extend({
  source: z.string(),
  importedAt: z.string(),
  publishedAt: z.string().nullable().meta({ description: "when the regulator published (signed) the entry" }),
  root: z.string().nullable().meta({ description: "the Merkle root of the regulator's publication it came in" }),
  signature: z.string().nullable().meta({
    description: "the regulator's EIP-712 signature over the root (server/whitelist/signatures.ts)",
  }),
}).meta({
  id: "WhiteListEntry",
});

export const ImportBody = z.object({
  source: Text(200).default("regulator white list"),
  entries: z.array(WhiteListEntryInput).optional().meta({ description: "the firms" }),
  csv: z
    .string()
    .max(5 * 1024 * 1024)
    .optional()
    .meta({ description: `or CSV text with the columns ${CSV_COLUMNS.join(",")}` }),
});
export type ImportBody = z.infer<typeof ImportBody>;

export const ImportResult = z.object({ imported: z.number(), created: z.number(), updated: z.number() });

/** What the regulator node's import says of its publication to the bank node. */
export const Publication = z.object({
  published: z.boolean(),
  accepted: z.number().meta({ description: "entries the bank node stored" }),
  detail: z.string(),
});
export type Publication = z.infer<typeof Publication>;

/** What the bank node takes: entries the regulator signed, one chunk at a time. */
export const ReceiveBody = z.object({
  source: Text(200).default("regulator white list"),
  entries: z.array(SignedEntry).min(1).max(PUBLISH_CHUNK),
});
export type ReceiveBody = z.infer<typeof ReceiveBody>;

export const GradeFilter = z.object({ grade: z.enum(GRADES).optional(), ...pageQuery().shape });
export type GradeFilter = z.infer<typeof GradeFilter>;

export const CreditCodeParams = z.object({
  creditCode: z.string().regex(/^[0-9A-Z]{18}$/, { message: "must be an 18-character unified social credit code" }),
});
