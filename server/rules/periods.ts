/**
 * The bounds of a review period and whether the facility was frozen in it, from chain facts alone (seconds of chain
 * time). The bank applies these when it proposes a review and the regulator when it checks one, each from its own
 * reading of the chain: a period starts where the facility opened or where the last applied review ended (no gap to
 * skip a bad quarter, no overlap to count a patent twice, nothing before the facility existed) and does not reach past
 * the chain's current time (no review of a future not yet seen).
 */

export interface PeriodFacts {
  /** Block time of the facility's creation. */
  openedAt: number;
  /** Where each review applied on chain ended. */
  appliedEnds: number[];
  /** The chain's current time. */
  now: number;
}

/** Where the next review period must start. */
export function nextPeriodStart({ openedAt, appliedEnds }: Pick<PeriodFacts, "openedAt" | "appliedEnds">): number {
  return Math.max(openedAt, ...appliedEnds);
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** Why a review period is not allowed, or undefined when it is. */
export function periodRefusal(period: { from: Date; to: Date }, facts: PeriodFacts): string | undefined {
  const start = nextPeriodStart(facts);
  const from = period.from.getTime();
  const to = period.to.getTime();
  if (from !== start * 1000) {
    const where =
      facts.appliedEnds.length > 0 && start > facts.openedAt ? "the last applied review ended" : "the facility opened";
    return `the review period must start at ${iso(start)}, where ${where}, not at ${period.from.toISOString()}`;
  }
  if (to <= from) return `the review period must end after it starts (${period.to.toISOString()})`;
  if (to > facts.now * 1000)
    return `the review period ends at ${period.to.toISOString()}, after the chain's current time ${iso(facts.now)}`;
  return undefined;
}

/** One freeze or unfreeze of the facility, at its block time. */
export interface FreezeChange {
  at: number;
  frozen: boolean;
}

/**
 * Whether the facility was frozen at any instant of [from, to), or is frozen now: such a facility earns no discount
 * and no subsidy for the period.
 */
export function frozenDuring(changes: FreezeChange[], period: { from: Date; to: Date }, frozenNow: boolean): boolean {
  if (frozenNow) return true;
  const from = period.from.getTime() / 1000;
  const to = period.to.getTime() / 1000;
  const ordered = [...changes].sort((a, b) => a.at - b.at);
  let frozenAtStart = false;
  for (const change of ordered) {
    if (change.at <= from) frozenAtStart = change.frozen;
    else if (change.at < to && change.frozen) return true;
  }
  return frozenAtStart;
}
