import type { EvidenceKind } from "../chain/evidence";
import { CONTENTS_MAX_IDS, type DocumentContents } from "../documents/schema";
import { inChunks } from "../db/chunks";
import { createBankClient, type BankNodeConfig } from "../regulator/bank-client";

/** One document as a verifier sees it before checking: what the bank claims, to be re-derived from the bytes. */
export interface CandidateEvidence {
  documentId: string;
  facilityId: bigint;
  kind: EvidenceKind;
  /** The payee or borrower the document names, part of the evidence id (so proven with it). */
  counterparty: string;
  salt: string;
  /** The salted hash the bank says it anchored; only trusted once the chain's root or anchor proves it. */
  saltedHash: string;
  evidenceId: string;
  /** The leaf's position in its batch (0 for evidence anchored alone): what its proof and its verdict bit stand for. */
  index: number;
  proof: string[];
  metadata: Record<string, unknown>;
}

/**
 * Where a verifier gets documents: the bank's verifier reads the bank node's own store; the regulator's fetches them
 * from the bank node over its authenticated API. Nothing a source says is trusted: the verifier re-hashes the bytes
 * and checks them against the chain.
 */
export interface DocumentSource {
  batch(root: string): Promise<CandidateEvidence[]>;
  evidence(evidenceId: string): Promise<CandidateEvidence | undefined>;
  content(documentId: string): Promise<Buffer | undefined>;
  /**
   * Several documents' bytes in few requests, each as `content` gives it (a withheld document as ContentTampered
   * instead of thrown); a source that reads one document at a time has none.
   */
  contents?(documentIds: string[]): Promise<Map<string, Fetched>>;
}

/** A document's bytes as a source gives them: none when the bank has none to give, or withheld as tampered. */
export type Fetched = Buffer | ContentTampered | undefined;

/** The bank node withholds a document whose stored bytes no longer hash to its recorded hash (410 content_tampered). */
export class ContentTampered extends Error {
  constructor(readonly storedHash: string | undefined) {
    super("tampered: the bank node reports that the stored bytes no longer match the recorded hash");
    this.name = "ContentTampered";
  }
}

/** A source's `content` of one document, a document withheld as tampered given as a value. */
export const fetchOne = (source: Pick<DocumentSource, "content">, documentId: string): Promise<Fetched> =>
  source.content(documentId).catch((error: unknown) => {
    if (error instanceof ContentTampered) return error;
    throw error;
  });

/** A candidate as the bank node's JSON carries it (the facility id as a decimal string). */
type BatchLeafJson = Omit<CandidateEvidence, "facilityId"> & { facilityId: string };

const fromJson = (leaf: BatchLeafJson): CandidateEvidence => ({ ...leaf, facilityId: BigInt(leaf.facilityId) });

/** The regulator's source: the bank node's HTTP API, through the regulator node's client of it (its API key). */
export function bankNodeSource({
  timeoutMs = 15_000,
  ...node
}: BankNodeConfig & {
  timeoutMs?: number;
}): Required<DocumentSource> {
  const bank = createBankClient({ ...node, timeoutMs });
  async function get(path: string): Promise<Response | undefined> {
    const response = await bank.request(path);
    // 410: the bank knows the document but its store no longer holds the bytes. That is an answer, not an outage: the
    // document cannot be verified (a REJECT), where throwing would retry it, and every anchor behind it, forever.
    if (response.status === 410) {
      const problem = (await response.json().catch(() => ({}))) as { code?: string; storedHash?: string };
      if (problem.code === "content_tampered") throw new ContentTampered(problem.storedHash);
      return undefined;
    }
    if (response.status === 404) return undefined;
    if (!response.ok)
      throw new Error(`bank node answered ${response.status} to GET ${path}: ${(await response.text()).slice(0, 300)}`);
    return response;
  }
  /** One POST /documents/contents; what it does not give (too_large, or left out) is read alone. */
  async function page(documentIds: string[]): Promise<Array<[string, Fetched]>> {
    const into = new Map<string, Fetched>();
    const path = "/documents/contents";
    const response = await bank.request(path, { method: "POST", body: JSON.stringify({ ids: documentIds }) });
    if (!response.ok)
      throw new Error(
        `bank node answered ${response.status} to POST ${path}: ${(await response.text()).slice(0, 300)}`,
      );
    const asked = new Set(documentIds);
    for (const item of ((await response.json()) as DocumentContents).items) {
      // Only the bytes are taken: the verifier hashes them itself; the bank's contentHash is not read.
      if (!asked.has(item.id) || into.has(item.id)) continue;
      if ("content" in item) into.set(item.id, Buffer.from(item.content, "base64"));
      else if (item.error === "content_tampered") into.set(item.id, new ContentTampered(item.storedHash));
      else if (item.error === "not_found" || item.error === "content_missing") into.set(item.id, undefined);
    }
    for (const documentId of documentIds)
      if (!into.has(documentId)) into.set(documentId, await fetchOne(source, documentId));
    return [...into];
  }
  const source: Required<DocumentSource> = {
    async batch(root) {
      const response = await get(`/batches/${root}`);
      if (!response) return [];
      const body = (await response.json()) as { leaves: BatchLeafJson[] };
      return body.leaves.map(fromJson);
    },
    async evidence(evidenceId) {
      const response = await get(`/evidence/${evidenceId}`);
      if (!response) return undefined;
      const d = (await response.json()) as {
        id: string;
        facilityId: string;
        kind: EvidenceKind;
        counterparty: string;
        salt: string;
        saltedHash: string;
        evidenceId: string;
        metadata: Record<string, unknown>;
      };
      return {
        documentId: d.id,
        facilityId: BigInt(d.facilityId),
        kind: d.kind,
        counterparty: d.counterparty,
        salt: d.salt,
        saltedHash: d.saltedHash,
        evidenceId: d.evidenceId,
        index: 0,
        proof: [],
        metadata: d.metadata,
      };
    },
    async content(documentId) {
      const response = await get(`/documents/${documentId}/content`);
      return response ? Buffer.from(await response.arrayBuffer()) : undefined;
    },
    async contents(documentIds) {
      return new Map(await inChunks([...new Set(documentIds)], page, CONTENTS_MAX_IDS));
    },
  };
  return source;
}
