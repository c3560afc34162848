/**
 * The figures of a whole history at once, in memory (pure): what `waymark figures --recount` writes
 * and what `waymark report --full` shows. Each customer's entries go through the same counting as
 * the stream's batches (aggregate.ts), oldest first, with the markers kept in a map.
 */
import type { HistoryEntry } from '../customer/history.ts';
import { claimsOf, type HistoryChange, sequenceKey } from './aggregate.ts';
import { itemAmountsOf } from './batch.ts';

/** The shard recounted changes are said to come from; their markers' facts are marked as before any change. */
export const RECOUNT_SHARD = 'recount';
export const BEFORE_ANY_CHANGE = sequenceKey(0);

export interface CountedItem {
  journeyId: string | undefined;
  day: string;
  amounts: Map<string, number>;
}

/** A broadcast run's counters; `day` is the latest of its entries (the item expires with it). */
export interface CountedRunItem {
  journeyId: string;
  runId: string;
  day: string;
  amounts: Map<string, number>;
}

export interface CountedHistory {
  /** By journey and day. */
  items: Map<string, CountedItem>;
  /** By journey and broadcast run. */
  runs: Map<string, CountedRunItem>;
  /** Per execution marker: each fact claimed, and by which change (as the stream's markers hold them). */
  markers: Map<string, { customerId: string; tag: string; claimed: Map<string, string> }>;
  entries: number;
}

export interface CustomerHistory {
  customerId: string;
  /** Oldest first (by sort key), as the store reads it. */
  history: readonly { entry: HistoryEntry }[];
}

export function countHistory(customers: Iterable<CustomerHistory>): CountedHistory {
  const counter = new HistoryCounter();
  for (const customer of customers) counter.addCustomer(customer);
  return counter.counted;
}

/**
 * Counts customer by customer, so a recount can write each customer's markers and forget them: only
 * the counters (journeys x days) stay in memory, however many customers there are.
 */
export class HistoryCounter {
  readonly counted: CountedHistory = { items: new Map(), runs: new Map(), markers: new Map(), entries: 0 };
  private position = 0;

  /** Counts one customer's whole history; answers that customer's markers. */
  addCustomer({ customerId, history }: CustomerHistory): CountedHistory['markers'] {
    const before = new Set(this.counted.markers.keys());
    for (const { entry } of history) {
      this.position += 1;
      countChange(this.counted, {
        shard: RECOUNT_SHARD,
        sequence: sequenceKey(this.position),
        customerId,
        entry,
      });
    }
    return new Map([...this.counted.markers].filter(([id]) => !before.has(id)));
  }

  /** Lets go of the markers counted so far (written already): a customer's facts are its own. */
  forgetMarkers(): void {
    this.counted.markers.clear();
  }
}

function countChange(counted: CountedHistory, change: HistoryChange): void {
  counted.entries += 1;
  // Claimed before counting, as the store claims a batch's facts before its counters.
  const claims = claimsOf(change);
  let claimed: Map<string, string> | undefined;
  if (claims !== undefined) {
    const id = JSON.stringify([claims.customerId, claims.tag]);
    const marker = counted.markers.get(id) ?? {
      customerId: claims.customerId,
      tag: claims.tag,
      claimed: new Map<string, string>(),
    };
    counted.markers.set(id, marker);
    claimed = marker.claimed;
    for (const fact of claims.facts) if (!marker.claimed.has(fact)) marker.claimed.set(fact, change.sequence);
  }
  // Counted as the stream's batches count (batch.ts): the same items, the same amounts.
  for (const [key, counts] of itemAmountsOf(change, claimed ?? NO_FACTS)) {
    if (counts.runId !== undefined && counts.journeyId !== undefined) {
      const run = counted.runs.get(key) ?? {
        journeyId: counts.journeyId,
        runId: counts.runId,
        day: counts.day,
        amounts: new Map<string, number>(),
      };
      if (counts.day > run.day) run.day = counts.day;
      addAmounts(run.amounts, counts.amounts);
      counted.runs.set(key, run);
      continue;
    }
    const item = counted.items.get(key) ?? {
      journeyId: counts.journeyId,
      day: counts.day,
      amounts: new Map<string, number>(),
    };
    addAmounts(item.amounts, counts.amounts);
    counted.items.set(key, item);
  }
}

const NO_FACTS: ReadonlyMap<string, string> = new Map();

function addAmounts(into: Map<string, number>, amounts: ReadonlyMap<string, number>): void {
  for (const [name, amount] of amounts) into.set(name, (into.get(name) ?? 0) + amount);
}

/** The counted items summed over their days: what a read of the counters would give. */
export function countedSums(counted: CountedHistory): {
  all: Map<string, number>;
  journeys: Map<string, Map<string, number>>;
} {
  const all = new Map<string, number>();
  const journeys = new Map<string, Map<string, number>>();
  for (const item of counted.items.values()) {
    const sums =
      item.journeyId === undefined ? all : (journeys.get(item.journeyId) ?? new Map<string, number>());
    if (item.journeyId !== undefined) journeys.set(item.journeyId, sums);
    for (const [name, amount] of item.amounts) sums.set(name, (sums.get(name) ?? 0) + amount);
  }
  return { all, journeys };
}
