import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * A node's decision MAC: HMAC-SHA256 with a key that is not in the database (NODE_MAC_KEY(_FILE), or derived from the
 * verifier's private key). Anyone who can write the database can write a verdict row or an outbox job, but cannot
 * make its MAC: a row without a valid one is not a decision of this node, and is never signed.
 */
export interface NodeMac {
  /** The MAC of a record: its kind and its fields, in a fixed order. */
  of(kind: DecisionKind, fields: readonly string[]): string;
  /** Whether `mac` is the MAC of that record (constant time). */
  verify(kind: DecisionKind, fields: readonly string[], mac: string | null | undefined): boolean;
}

/** What a MAC vouches for; the kind is part of the MAC so one record's MAC never passes for another's. */
export type DecisionKind = "verdict" | "attest-job" | "batch-attest-job" | "revocation" | "revoke-job";

const DERIVATION_LABEL = "qfm/node-mac/v1";

/** The MAC key: the configured one, or one derived from the verifier's key (a one-way function of it). */
export function macKeyOf({ macKey, verifierKey }: { macKey?: string; verifierKey: string }): Buffer {
  if (macKey) return Buffer.from(macKey, "utf8");
  return createHmac("sha256", Buffer.from(verifierKey.replace(/^0x/, ""), "hex"))
    .update(DERIVATION_LABEL)
    .digest();
}

export function createNodeMac(key: Buffer): NodeMac {
  // Length-prefixed fields: ["ab", "c"] and ["a", "bc"] must not share a MAC.
  const of = (kind: DecisionKind, fields: readonly string[]) => {
    const hmac = createHmac("sha256", key).update(`${kind}\n`);
    for (const field of fields) hmac.update(`${Buffer.byteLength(field)}:${field}\n`);
    return hmac.digest("hex");
  };
  return {
    of,
    verify(kind, fields, mac) {
      if (typeof mac !== "string" || !/^[0-9a-f]{64}$/.test(mac)) return false;
      return timingSafeEqual(Buffer.from(of(kind, fields), "hex"), Buffer.from(mac, "hex"));
    },
  };
}
