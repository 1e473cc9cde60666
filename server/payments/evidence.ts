import type { Chain } from "../chain/chain";
import { EVIDENCE_KINDS, type EvidenceKind } from "../chain/evidence";
import type { PageQuery } from "../../domain/api/page";
import type { Database, Prisma } from "../db/client";
import type { EvidenceColumns } from "../documents/presenter";
import { pageOfTable } from "../http/page";
import { createEvidenceStatus } from "../verification/evidence-status";
import { knownValues, rowIdHolds, rowMismatch, type KnownValues } from "./row-mismatch";

/** The evidence a document row names, as the pre-flight and the reviews read it. */
const identityOf = (d: EvidenceColumns) => ({
  documentId: d.id,
  evidenceId: d.evidenceId,
  facilityId: d.facilityId,
  kind: d.kind as EvidenceKind,
  counterparty: d.counterparty,
  saltedHash: d.saltedHash,
});

/** A facility's anchored documents, oldest first (the evidence id orders documents of the same instant). */
const anchoredOf = (facilityId: bigint) => ({ facilityId, status: "ANCHORED" });
const EVIDENCE_ORDER = [{ createdAt: "asc" as const }, { evidenceId: "asc" as const }];

/** A facility's evidence as the chain records it, read for the payment pre-flight, the reviews and the API. */
export function createEvidenceReads({ db, chain }: { db: Database; chain: Chain }) {
  const evidenceStatus = createEvidenceStatus({ chain, db });

  /**
   * Evidence of a facility as the chain sees it, with each verifier's verdict (bank node's documents only): registered
   * evidence from its record, a batched leaf not registered from its batch's verdict bits
   * (server/verification/evidence-status.ts).
   */
  async function evidenceOf(facilityId: bigint) {
    return described(
      facilityId,
      await db.prisma.document.findMany({ where: anchoredOf(facilityId), orderBy: EVIDENCE_ORDER }),
    );
  }

  /** A page of evidenceOf, in its order, read in the database: the chain is read for the page's evidence only. */
  async function evidencePage(facilityId: bigint, query: PageQuery) {
    const where = anchoredOf(facilityId);
    const page = await pageOfTable(
      query,
      "evidenceId",
      (args) => db.prisma.document.findMany({ where, orderBy: EVIDENCE_ORDER, ...args }),
      async (evidenceId) => (await db.prisma.document.count({ where: { ...where, evidenceId } })) > 0,
    );
    return { items: await described(facilityId, page.items), nextCursor: page.nextCursor };
  }

  /** Documents of the facility with what the chain says of their evidence. */
  async function described(facilityId: bigint, documents: Prisma.DocumentGetPayload<object>[]) {
    const statuses = await evidenceStatus.statusesOf(documents.map((d) => d.evidenceId));
    // Rows that no longer give their evidence id; the chain is read for them only, to say which field changed.
    const altered = new Set(documents.filter((d) => !rowIdHolds(d)).map((d) => d.id));
    const known: KnownValues =
      altered.size > 0
        ? await knownValues(
            db,
            chain,
            facilityId,
            documents.filter((d) => altered.has(d.id)),
          )
        : { facilityIds: [], parties: [] };
    return documents.map((d) => {
      const { record, registered, batch, consumed, verified, verdicts } = statuses.get(d.evidenceId)!;
      const chainKind = EVIDENCE_KINDS[Number(record.kind)];
      return {
        ...identityOf(d),
        metadata: JSON.parse(d.metadata) as Record<string, unknown>,
        // The chain's time of the anchor (a batch's block time), not this node's clock.
        anchoredAt: new Date(Number(registered ? record.anchoredAt : (batch?.anchoredAt ?? 0n)) * 1000),
        registered,
        // Verified in its batch and not registered: the payment registers it first (its proof is the authority).
        batch,
        // The chain's record is the authority on whose evidence this is and of what kind: a row that says otherwise
        // was altered, and must not be offered for a payment or counted in a review.
        mismatch:
          registered && (record.facilityId !== facilityId || chainKind !== d.kind)
            ? `the chain records it as ${chainKind} of facility ${record.facilityId}, not ${d.kind} of facility ${facilityId}`
            : altered.has(d.id)
              ? rowMismatch(d, known)
              : undefined,
        consumed,
        verified,
        verdicts,
      };
    });
  }

  /** Named documents that are not this facility's (each is then refused with "wrong facility"). */
  async function foreignEvidence(facilityId: bigint, ids: string[]) {
    const rows = await db.prisma.document.findMany({
      where: {
        facilityId: { not: facilityId },
        OR: [{ id: { in: ids.filter((id) => !id.startsWith("0x")) } }, { evidenceId: { in: ids } }],
      },
      take: 100,
    });
    return rows.map((d) => ({
      ...identityOf(d),
      registered: true,
      consumed: false,
      verified: false,
      verdicts: [],
    }));
  }

  return { evidenceOf, evidencePage, foreignEvidence };
}

export type EvidenceReads = ReturnType<typeof createEvidenceReads>;
