export function presentApproval(a: {
  id: string;
  kind: string;
  facilityId: bigint;
  message: string;
  bankSignature: string | null;
  regulatorSignature: string | null;
  status: string;
  reason: string;
  txHash: string | null;
  createdBy: string;
  createdAt: Date;
  regulatorRefusal?: string | null;
}) {
  return {
    id: a.id,
    kind: a.kind,
    facilityId: a.facilityId.toString(),
    message: JSON.parse(a.message),
    bankSignature: a.bankSignature,
    regulatorSignature: a.regulatorSignature,
    status: a.status,
    reason: a.reason,
    /** The regulator's last refusal to co-sign and why ({reason, at}); null when it has not refused. */
    regulatorRefusal: a.regulatorRefusal ? (JSON.parse(a.regulatorRefusal) as { reason: string; at: string }) : null,
    txHash: a.txHash,
    createdBy: a.createdBy,
    createdAt: a.createdAt.toISOString(),
  };
}

/** A review as GET /facilities/:id/reviews lists it: its period, inputs and decision. */
export function presentReview(r: {
  id: string;
  periodFrom: Date;
  periodTo: Date;
  productId: string;
  inputs: string;
  decision: string;
  approvalId: string | null;
  createdAt: Date;
}) {
  return {
    id: r.id,
    periodFrom: r.periodFrom.toISOString(),
    periodTo: r.periodTo.toISOString(),
    product: r.productId,
    inputs: JSON.parse(r.inputs),
    decision: JSON.parse(r.decision),
    approvalId: r.approvalId,
    createdAt: r.createdAt.toISOString(),
  };
}
