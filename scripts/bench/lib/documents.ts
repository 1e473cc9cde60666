import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Wallet } from "ethers";
import { randomBytes } from "node:crypto";
import { verifyBatchProof } from "../../../server/chain/batch-tree";
import { EVIDENCE_KINDS, LEAF_ENCODING, PAYEE_KINDS, type EvidenceKind } from "../../../server/chain/evidence";
import { devWallet } from "../../lib/deploy-config";
import type { HttpClient } from "./http";
import { mapPool } from "./pool";

/** The supplier licence the seeded regulator registry knows (seed/regulator-registry.json): the payees' credit code. */
export const BENCH_SUPPLIER_LICENCE = "91330200MA2H8K3X1Y";

/**
 * Opens `count` facilities through the API, as evidence needs them (an upload for a facility id never opened is
 * answered 404): each paying one registered payee holding the seeded supplier licence, the development borrower (whose
 * firm the regulator's registry knows), and one payment requiring every payee kind, so that an upload of any kind
 * names the payee or the borrower without saying so. With `regulator` (a regulator key on the regulator node), each
 * payee's account is put on the regulator's record (FIRM_ACCOUNT) as the licence holder's, so that the regulator can
 * bind the licence a document cites to the payee it names. Answers the facility ids in the order opened; on a fresh
 * chain they are "1".."count".
 */
export async function openFacilities(client: HttpClient, count: number, regulator?: HttpClient): Promise<string[]> {
  const ids: string[] = [];
  // One payee for every facility: a firm (one credit code) is one payee on the bank's file.
  const payee = Wallet.createRandom().address;
  const name = "Ningbo Precision CNC Equipment";
  await regulator?.postJson("/registry/records", {
    type: "FIRM_ACCOUNT",
    reference: payee,
    holder: name,
    holderCreditCode: BENCH_SUPPLIER_LICENCE,
  });
  await client.postJson("/payees", {
    address: payee,
    name,
    creditCode: BENCH_SUPPLIER_LICENCE,
    category: "EQUIPMENT",
    licenceHash: `0x${"ab".repeat(32)}`,
  });
  for (let i = 0; i < count; i++) {
    const created = await client.postJson<{ applicationId: string; facilityId: string | null }>("/facilities", {
      borrower: devWallet("borrower").address,
      borrowerName: "Ningbo Yongxin Bearings",
      creditCode: "91330206MA2AAAAA1X",
      grade: "B",
      creditLimit: "100000000",
      plan: [
        {
          payee,
          category: "EQUIPMENT",
          amount: "100000000",
          qualityPurpose: true,
          requiredEvidence: [...PAYEE_KINDS],
        },
      ],
    });
    ids.push(created.facilityId ?? (await facilityIdOf(client, created.applicationId)));
  }
  return ids;
}

/** A facility application's on-chain id, once its creation has landed (a 202 answered before it did). */
async function facilityIdOf(client: HttpClient, applicationId: string): Promise<string> {
  for (let attempt = 0; attempt < 300; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { items } = await client.getJson<{ items: Array<{ applicationId: string; facilityId: string | null }> }>(
      "/facilities",
    );
    const facilityId = items.find((item) => item.applicationId === applicationId)?.facilityId;
    if (facilityId) return facilityId;
  }
  throw new Error(`facility application ${applicationId} did not land on chain within 60 s`);
}

/** One document to upload: small, PDF-like, and distinct from every other (and from earlier runs'). */
export interface BenchDocument {
  facilityId: string;
  kind: EvidenceKind;
  name: string;
  metadata: string;
  bytes: Buffer;
}

/** What POST /documents answers (the fields the benchmarks use). */
export interface UploadedDocument {
  id: string;
  facilityId: string;
  kind: EvidenceKind;
  /** the payee (payee kinds) or borrower (the other kinds) the evidence id names */
  counterparty: string;
  evidenceId: string;
  saltedHash: string;
  status: string;
}

/** What GET /documents/:id/proof answers. */
export interface Proof {
  evidenceId: string;
  leaf: [string, number, string, string];
  leafEncoding: string[];
  root: string;
  index: number;
  proof: string[];
  single: boolean;
  txHash: string;
  blockNumber: string;
}

const FILLER = "BT /F1 10 Tf 72 720 Td (quality evidence: inspection, invoice, contract) Tj ET\n".repeat(12);

/**
 * `count` documents of about 1 KiB, spread over facilities 1..`facilities` (open them first: openFacilities) and over
 * `kinds` (every evidence kind by default). Payee kinds cite the payees' supplier licence, as the regulator requires.
 */
export function benchDocuments(
  count: number,
  facilities = 1,
  kinds: readonly EvidenceKind[] = EVIDENCE_KINDS,
): BenchDocument[] {
  const run = randomBytes(8).toString("hex");
  return Array.from({ length: count }, (_, i) => {
    const kind = kinds[i % kinds.length];
    const licence = PAYEE_KINDS.includes(kind) ? { supplierLicence: BENCH_SUPPLIER_LICENCE } : {};
    return {
      facilityId: String((i % facilities) + 1),
      kind,
      name: `${kind.toLowerCase()}-${i}.pdf`,
      metadata: JSON.stringify({ reference: `BENCH-${run}-${i}`, ...licence }),
      bytes: Buffer.from(`%PDF-1.7\n% qfm benchmark ${run} document ${i}\n${FILLER}%%EOF\n`),
    };
  });
}

/** Uploads every document through POST /documents with at most `concurrency` in flight. */
export function uploadAll(
  client: HttpClient,
  documents: readonly BenchDocument[],
  concurrency: number,
  onUploaded: () => void = () => undefined,
): Promise<UploadedDocument[]> {
  return mapPool(documents, concurrency, async (document) => {
    const uploaded = await client.upload<UploadedDocument>(
      "/documents",
      { facilityId: document.facilityId, kind: document.kind, metadata: document.metadata },
      { field: "file", name: document.name, type: "application/pdf", bytes: document.bytes },
    );
    onUploaded();
    return uploaded;
  });
}

/**
 * Uploads every document through POST /documents/bulk, `perRequest` files a request, with at most `concurrency`
 * requests in flight; answers the uploaded documents request by request.
 */
export async function uploadAllBulk(
  client: HttpClient,
  documents: readonly BenchDocument[],
  perRequest: number,
  concurrency: number,
  onUploaded: (count: number) => void = () => undefined,
): Promise<UploadedDocument[][]> {
  const groups = Array.from({ length: Math.ceil(documents.length / perRequest) }, (_, i) =>
    documents.slice(i * perRequest, (i + 1) * perRequest),
  );
  const answers = await mapPool(groups, concurrency, async (group) => {
    const entries = group.map((d) => ({ facilityId: d.facilityId, kind: d.kind, metadata: JSON.parse(d.metadata) }));
    const { items } = await client.upload<{ items: UploadedDocument[] }>(
      "/documents/bulk",
      { documents: JSON.stringify(entries) },
      group.map((d) => ({ field: "files", name: d.name, type: "application/pdf", bytes: d.bytes })),
    );
    onUploaded(items.length);
    return items;
  });
  return answers;
}

/** What GET /batches/:root answers (the fields the benchmarks use). */
interface BatchLeaves {
  root: string;
  txHash: string;
  blockNumber: string;
  leaves: {
    documentId: string;
    facilityId: string;
    kind: EvidenceKind;
    counterparty: string;
    saltedHash: string;
    evidenceId: string;
    index: number;
    proof: string[];
  }[];
}

/**
 * Every uploaded document's proof, fetched as a client that uploaded them in bulk would: the root of the first
 * document of each upload (GET /documents/:id; one upload lands in one batch or two), then each batch with every leaf's
 * proof (GET /batches/:root), then the record of any document those batches did not hold.
 */
export async function proofsByBatch(
  client: HttpClient,
  uploads: readonly UploadedDocument[][],
  concurrency: number,
  onProofs: (count: number) => void = () => undefined,
): Promise<Map<string, Proof>> {
  const proofs = new Map<string, Proof>();
  const fetched = new Set<string>();
  const rootOf = async (id: string) =>
    (await client.getJson<{ anchor: { root: string } | null }>(`/documents/${id}`)).anchor!.root;
  const fetchBatch = async (root: string) => {
    if (fetched.has(root)) return;
    fetched.add(root);
    const batch = await client.getJson<BatchLeaves>(`/batches/${root}`);
    for (const leaf of batch.leaves) {
      proofs.set(leaf.documentId, {
        evidenceId: leaf.evidenceId,
        leaf: [leaf.facilityId, EVIDENCE_KINDS.indexOf(leaf.kind), leaf.counterparty, leaf.saltedHash],
        leafEncoding: LEAF_ENCODING,
        root: batch.root,
        index: leaf.index,
        proof: leaf.proof,
        single: false,
        txHash: batch.txHash,
        blockNumber: batch.blockNumber,
      });
    }
    onProofs(batch.leaves.length);
  };
  const firstRoots = await mapPool(uploads, concurrency, (upload) => rootOf(upload[0].id));
  for (const root of new Set(firstRoots)) await fetchBatch(root);
  const missing = uploads.flat().filter((document) => !proofs.has(document.id));
  for (const document of missing) if (!proofs.has(document.id)) await fetchBatch(await rootOf(document.id));
  return proofs;
}

/** The bank node's count of documents confirmed on chain, from its Prometheus metrics. */
export async function anchoredCount(client: HttpClient): Promise<number> {
  const reply = await client.request("GET", "/metrics");
  const match = /^qfm_documents_anchored_total(?:\{[^}]*\})? (\d+)/m.exec(reply.text);
  return match ? Number(match[1]) : 0;
}

/** Waits until the node has anchored `count` documents and none is queued or batched; throws after `timeoutMs`. */
export async function waitAnchored(client: HttpClient, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await anchoredCount(client)) >= count) {
      const [queued, batched] = await Promise.all(
        ["QUEUED", "BATCHED"].map((status) =>
          client.getJson<{ items: unknown[] }>(`/documents?status=${status}&limit=1`),
        ),
      );
      if (queued.items.length === 0 && batched.items.length === 0) return;
    }
    if (Date.now() > deadline) throw new Error(`not every document was anchored within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Checks a proof the way a third party would: the leaf [facilityId, kind, counterparty, saltedHash] is the uploaded
 * document's, its StandardMerkleTree leaf hash is the evidence id, and the evidence id proves into the root at its index.
 */
export function checkProof(document: UploadedDocument, proof: Proof): void {
  const problem =
    proof.evidenceId !== document.evidenceId
      ? "another evidence id"
      : proof.leaf[0] !== document.facilityId ||
          proof.leaf[2].toLowerCase() !== document.counterparty.toLowerCase() ||
          proof.leaf[3] !== document.saltedHash
        ? "another leaf"
        : !StandardMerkleTree.verify(proof.evidenceId, proof.leafEncoding, proof.leaf, [])
          ? "the leaf does not hash to the evidence id"
          : !verifyBatchProof(proof.root, proof.evidenceId, proof.index, proof.proof)
            ? "the evidence id does not prove into the root at its index"
            : undefined;
  if (problem) throw new Error(`the proof of document ${document.id} is wrong: ${problem}`);
}
