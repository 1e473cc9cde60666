import { toBeHex, zeroPadValue } from "ethers";
import { FACILITY_STATUS as STATUS, kindsOfMask as kindsOf } from "../../domain/enums";
import type { Chain } from "../chain/chain";
import { decodeLog } from "../chain/events";
import type { EvidenceKind } from "../chain/evidence";
import type { Database } from "../db/client";
import { notFound } from "../errors";
import { PAYEE_CATEGORIES } from "../payees/schema";

/** A facility as FacilityManager.facility returns it. */
export type ChainFacility = Awaited<ReturnType<Chain["manager"]["facility"]>>;

/** A facility's chain state and payment plan, read at one block. */
export interface ChainView {
  state: ChainFacility;
  payments: {
    index: number;
    payee: string;
    amount: bigint;
    category: (typeof PAYEE_CATEGORIES)[number];
    requiredEvidence: EvidenceKind[];
    qualityPurpose: boolean;
    paid: boolean;
  }[];
}

/**
 * Reads of a facility: the bank's row, its chain state and payment plan (cached per block for display), its events
 * with their block times, and what it owes.
 */
export function createFacilityReads({ db, chain }: { db: Database; chain: Chain }) {
  async function row(facilityId: bigint) {
    const facility = await db.prisma.facility.findUnique({ where: { facilityId } });
    if (!facility) throw notFound(`facility ${facilityId}`);
    return facility;
  }

  /**
   * A read of one facility from the chain. The contract reverts (FacilityNotFound) for an id it has not issued: that is
   * a 404, whichever of several parallel reads fails first, not an internal error.
   */
  async function ofFacility<T>(facilityId: bigint, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (facilityId > (await chain.manager.facilityCount())) throw notFound(`facility ${facilityId} on chain`);
      throw error;
    }
  }

  async function onChain(facilityId: bigint) {
    return ofFacility(facilityId, () => chain.manager.facility(facilityId));
  }

  /**
   * The chain's status (ACTIVE, FROZEN, CLOSED) of each facility, read at one block: the list shows it, not the
   * application's row (a freeze or a closing happens on chain). One contract read per facility, in parallel. An id the
   * chain has not issued (a row ahead of its chain, as after a chain reset) is left out: the row's status stands, and
   * the list is not a 500 for it (the facility's own reads answer 404).
   */
  async function statusesOnChain(facilityIds: bigint[]): Promise<Map<bigint, string>> {
    if (facilityIds.length === 0) return new Map();
    const blockTag = await chain.reads.provider.getBlockNumber();
    const issued = await chain.reads.manager.facilityCount({ blockTag });
    const states = await Promise.all(
      facilityIds
        .filter((id) => id >= 1n && id <= issued)
        .map((id) => chain.reads.manager.facility(id, { blockTag }).then((state) => [id, state] as const)),
    );
    return new Map(states.map(([id, state]) => [id, STATUS[Number(state.status)]]));
  }

  /** Each facility's chain state and payment plan as read at one block: the block's number and hash. */
  const views = new Map<bigint, { number: number; hash: string; view: Promise<ChainView> }>();

  /**
   * A facility's chain state and payment plan at the latest block, read once per block and facility: a detail page
   * under load asked for the same contract state hundreds of times a block, and decoding it was most of the node's
   * CPU. Keyed by the block's hash too, so a reorganised chain is read again. For display: the checks before a write
   * read the chain themselves.
   */
  async function chainView(facilityId: bigint): Promise<ChainView> {
    const latest = (await chain.reads.provider.send("eth_getBlockByNumber", ["latest", false])) as {
      number: string;
      hash: string;
    };
    const number = Number(latest.number);
    const cached = views.get(facilityId);
    if (cached && cached.number === number && cached.hash === latest.hash) return cached.view;
    const view = (async () => {
      const state = await ofFacility(facilityId, () => chain.reads.manager.facility(facilityId, { blockTag: number }));
      return { state, payments: await payments(facilityId, { state, blockTag: number }) };
    })();
    if (views.size >= 10_000) views.clear();
    views.set(facilityId, { number, hash: latest.hash, view });
    view.catch(() => {
      if (views.get(facilityId)?.view === view) views.delete(facilityId);
    });
    return view;
  }

  async function payments(facilityId: bigint, at?: { state: ChainFacility; blockTag: number }) {
    const state = at?.state ?? (await onChain(facilityId));
    const manager = at ? chain.reads.manager : chain.manager;
    return Promise.all(
      Array.from({ length: Number(state.paymentCount) }, async (_, index) => {
        const p = await manager.payment(facilityId, index, { blockTag: at?.blockTag ?? "latest" });
        return {
          index,
          payee: p.payee,
          amount: p.amount,
          category: PAYEE_CATEGORIES[Number(p.category)],
          requiredEvidence: kindsOf(Number(p.requiredKinds)),
          qualityPurpose: p.qualityPurpose,
          paid: p.paid,
        };
      }),
    );
  }

  /**
   * The facility's FacilityManager events straight from the chain (filtered by the indexed facility id), with their
   * block times: a statement must not lag behind the indexer. `toBlock`: up to that block (a statement's).
   */
  async function history(facilityId: bigint, toBlock: number | "latest" = "latest") {
    const logs = await chain.provider.getLogs({
      address: await chain.manager.getAddress(),
      topics: [null, zeroPadValue(toBeHex(facilityId), 32)],
      fromBlock: chain.deployment.startBlock ?? 0,
      toBlock,
    });
    const events = logs.flatMap((log) => {
      const decoded = decodeLog(chain.manager.interface, log);
      if (!decoded) return [];
      const event = { name: decoded.name, blockNumber: BigInt(log.blockNumber), txHash: log.transactionHash };
      return [{ ...event, blockHash: log.blockHash, args: decoded.args }];
    });
    return Promise.all(events.map(async ({ blockHash, ...e }) => ({ ...e, at: await chain.blockTimes.of(blockHash) })));
  }

  return {
    row,
    onChain,
    chainView,
    statusesOnChain,
    payments,
    history,
    outstandingOf: (facilityId: bigint) => ofFacility(facilityId, () => chain.manager.outstanding(facilityId)),
    subsidyDueOf: (facilityId: bigint) => ofFacility(facilityId, () => chain.manager.subsidyDue(facilityId)),
  };
}

export type FacilityReads = ReturnType<typeof createFacilityReads>;
/** A facility's events as `history` reads them. */
export type FacilityEvents = Awaited<ReturnType<FacilityReads["history"]>>;
