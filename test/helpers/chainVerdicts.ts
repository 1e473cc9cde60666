/**
 * The verifiers' verdicts on an evidence as the chain holds them, whichever path they took: the evidence record
 * (verdictOf, isVerified) once it is registered, else the bits of its batch (batchVerdictsOf) at its position, which
 * the bank node's proof gives. Verdicts as the registry's Verdict values (0 NONE, 1 ACCEPT, 2 REJECT).
 */
import type { EvidenceRegistry } from "../../typechain-types";

export interface Leaf {
  root: string;
  index: number;
}

/** Where an evidence sits in its batch, from a node's GET /evidence/:id/proof (undefined: anchored alone, or unknown). */
export function leafFromNode(node: { get(path: string): Promise<{ status: number; body: any }> }) {
  const known = new Map<string, Leaf | undefined>();
  return async (evidenceId: string): Promise<Leaf | undefined> => {
    if (known.has(evidenceId)) return known.get(evidenceId);
    const reply = await node.get(`/evidence/${evidenceId}/proof`);
    if (reply.status !== 200) return undefined; // not anchored yet: asked again next time
    const leaf = reply.body.single ? undefined : { root: reply.body.root as string, index: Number(reply.body.index) };
    known.set(evidenceId, leaf);
    return leaf;
  };
}

/** Each verifier's verdict (in `verifiers`' order) on the evidence, by record or by batch bits. */
export async function chainVerdicts(
  registry: EvidenceRegistry,
  evidenceId: string,
  verifiers: readonly string[],
  leafOf: (evidenceId: string) => Promise<Leaf | undefined>,
): Promise<bigint[]> {
  const record = await registry.evidenceOf(evidenceId);
  const leaf = record.anchoredAt === 0n ? await leafOf(evidenceId) : undefined;
  if (!leaf) return Promise.all(verifiers.map((v) => registry.verdictOf(evidenceId, v)));
  const bit = 1n << BigInt(leaf.index & 255);
  return Promise.all(
    verifiers.map(async (v) => {
      const [accepted, rejected] = await registry.batchVerdictsOf(leaf.root, v, leaf.index >> 8);
      return rejected & bit ? 2n : accepted & bit ? 1n : 0n;
    }),
  );
}

/** Whether the evidence is verified (every verifier of a 2-of-2 set accepted, none rejected), by either path. */
export async function verifiedOnChain(
  registry: EvidenceRegistry,
  evidenceId: string,
  verifiers: readonly string[],
  leafOf: (evidenceId: string) => Promise<Leaf | undefined>,
): Promise<boolean> {
  if ((await registry.evidenceOf(evidenceId)).anchoredAt !== 0n) return registry.isVerified(evidenceId);
  return (await chainVerdicts(registry, evidenceId, verifiers, leafOf)).every((v) => v === 1n);
}
