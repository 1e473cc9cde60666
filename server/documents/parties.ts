import { getAddress } from "ethers";
import { isPayeeKind, type EvidenceKind } from "../chain/evidence";
import type { Database } from "../db/client";

/** Whom a document is with, by name where the bank knows it, and the entrusted payment that consumed it, if one has. */
export interface DocumentParties {
  counterpartyRole: "payee" | "borrower";
  /** The payee's name on the bank's file, or the facility's borrower's name; null when the bank has neither. */
  counterpartyName: string | null;
  /** The payment whose PaymentExecuted event (as this node indexed it) lists the document's evidence id. */
  consumedBy: { facilityId: string; paymentIndex: number; txHash: string } | null;
}

type Row = { id: string; facilityId: bigint; kind: string; counterparty: string; evidenceId: string };

const roleOf = (kind: string): DocumentParties["counterpartyRole"] =>
  isPayeeKind(kind as EvidenceKind) ? "payee" : "borrower";

/** Parties of documents before anything is known of them beyond the row (a fresh upload has consumed nothing). */
export const bareParties = (row: Pick<Row, "kind">): DocumentParties => ({
  counterpartyRole: roleOf(row.kind),
  counterpartyName: null,
  consumedBy: null,
});

/**
 * The parties of a page of documents, by document id: names from the bank's payee and facility records (a label for
 * people, not a decision: the evidence id commits to the address), consumption from the indexed PaymentExecuted events
 * of those documents' facilities (the chain's record of which evidence released which payment), looked up by the
 * page's evidence ids in the indexer's ConsumedEvidence rows rather than by reading every payment's event.
 */
export async function partiesOf(db: Database, rows: Row[]): Promise<Map<string, DocumentParties>> {
  if (rows.length === 0) return new Map();
  const facilityIds = [...new Set(rows.map((row) => row.facilityId))];
  const payeeAddresses = [...new Set(rows.filter((r) => roleOf(r.kind) === "payee").map((r) => r.counterparty))];
  const [payees, facilities, payments] = await Promise.all([
    db.prisma.payee.findMany({ where: { address: { in: payeeAddresses } }, select: { address: true, name: true } }),
    db.prisma.facility.findMany({
      where: { facilityId: { in: facilityIds } },
      select: { facilityId: true, borrowerName: true },
    }),
    db.prisma.consumedEvidence.findMany({
      where: { evidenceId: { in: [...new Set(rows.map((row) => row.evidenceId.toLowerCase()))] } },
    }),
  ]);
  const payeeName = new Map(payees.map((p) => [getAddress(p.address), p.name]));
  const borrowerName = new Map(facilities.map((f) => [f.facilityId!.toString(), f.borrowerName]));
  const wanted = new Set(facilityIds.map(String));
  const consumedBy = new Map<string, NonNullable<DocumentParties["consumedBy"]>>();
  for (const payment of payments) {
    if (!wanted.has(payment.facilityId.toString())) continue;
    consumedBy.set(payment.evidenceId, {
      facilityId: payment.facilityId.toString(),
      paymentIndex: payment.paymentIndex,
      txHash: payment.txHash,
    });
  }
  return new Map(
    rows.map((row) => {
      const role = roleOf(row.kind);
      const name =
        role === "payee" ? payeeName.get(safeAddress(row.counterparty)) : borrowerName.get(row.facilityId.toString());
      return [
        row.id,
        {
          counterpartyRole: role,
          counterpartyName: name ?? null,
          consumedBy: consumedBy.get(row.evidenceId.toLowerCase()) ?? null,
        },
      ];
    }),
  );
}

function safeAddress(address: string): string {
  try {
    return getAddress(address);
  } catch {
    return address;
  }
}
