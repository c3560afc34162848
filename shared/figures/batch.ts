/**
 * One batch of history changes -> one UpdateItem per counter item (pure). Each update carries the
 * first and last sequence numbers of the changes in it, per stream shard: the store writes the last
 * one on the item under a condition (shared/store/figures.ts), so a batch applied twice counts once.
 */
import { createHash } from 'node:crypto';
import { type HistoryChange, incrementsOf, runIncrementsOf } from './aggregate.ts';
import { counterName, runCounterName } from './counters.ts';

export interface BatchOptions {
  /**
   * Counter items per journey and day: each stream shard writes one of them (by a hash of its id), so at
   * high volume concurrent shards do not all update one item. A read sums whatever items a day has.
   */
  writeShards: number;
  /**
   * Counters one UpdateItem may carry (an expression is at most 4 KB); a busier item takes several
   * updates, each for a run of consecutive changes, in order.
   */
  maxCounters: number;
}

export const DEFAULT_BATCH_OPTIONS: BatchOptions = { writeShards: 1, maxCounters: 150 };

/** Where the CDK stack tells the figures function its `writeShards` (infra/cdk/constructs/figures.ts). */
export const WRITE_SHARDS_ENVIRONMENT = 'WAYMARK_FIGURES_WRITE_SHARDS';

/** The counters one change adds to one item: kept apart so a partly applied batch can be finished. */
export interface ChangeAmounts {
  sequence: string;
  amounts: Map<string, number>;
}

/** What one UpdateItem adds to one counter item, for the changes of one stream shard. */
export interface CounterUpdate {
  journeyId: string | undefined;
  /** A broadcast run's item (runId set): `day` is its latest change's, for the item's expiry. */
  runId?: string;
  day: string;
  writeShard: number;
  streamShard: string;
  /** Sequence of its first and last change. */
  first: string;
  last: string;
  parts: ChangeAmounts[];
}

/** The counters one change adds, by item: its days' items and its broadcast run's. */
export function itemAmountsOf(
  change: HistoryChange,
  facts: ReadonlyMap<string, string>,
): Map<string, { journeyId: string | undefined; runId?: string; day: string; amounts: Map<string, number> }> {
  const byItem = new Map<
    string,
    { journeyId: string | undefined; runId?: string; day: string; amounts: Map<string, number> }
  >();
  const addTo = (
    itemKey: string,
    item: { journeyId: string | undefined; runId?: string; day: string },
    name: string,
    amount: number,
  ): void => {
    const known = byItem.get(itemKey) ?? { ...item, amounts: new Map<string, number>() };
    known.amounts.set(name, (known.amounts.get(name) ?? 0) + amount);
    byItem.set(itemKey, known);
  };
  for (const increment of incrementsOf(change, (fact) => facts.get(fact))) {
    addTo(
      JSON.stringify(['day', increment.journeyId ?? null, increment.day]),
      { journeyId: increment.journeyId, day: increment.day },
      counterName(increment.counter),
      increment.amount,
    );
  }
  for (const increment of runIncrementsOf(change, facts)) {
    addTo(
      JSON.stringify(['run', increment.journeyId, increment.runId]),
      { journeyId: increment.journeyId, runId: increment.runId, day: increment.day },
      runCounterName(increment.counter),
      increment.amount,
    );
  }
  return byItem;
}

/**
 * The updates for a batch, in stream order per item. `factsOf` gives, per change, the facts on its
 * execution's marker and who claimed each first (from the markers as the store wrote them).
 */
export function counterUpdates(
  changes: readonly HistoryChange[],
  factsOf: (change: HistoryChange) => ReadonlyMap<string, string>,
  options: BatchOptions = DEFAULT_BATCH_OPTIONS,
): CounterUpdate[] {
  const ordered = [...changes].sort(
    (a, b) => compareText(a.shard, b.shard) || compareText(a.sequence, b.sequence),
  );
  // Per item and stream shard, the update being filled; a full one is closed and a new one begun.
  const open = new Map<string, CounterUpdate>();
  const done: CounterUpdate[] = [];
  for (const change of ordered) {
    const byItem = itemAmountsOf(change, factsOf(change));
    for (const [itemKey, item] of byItem) {
      const key = JSON.stringify([itemKey, change.shard]);
      let update = open.get(key);
      if (update !== undefined && countersIn(update, item.amounts) > options.maxCounters) {
        done.push(update);
        update = undefined;
      }
      if (update === undefined) {
        update = {
          journeyId: item.journeyId,
          ...(item.runId === undefined ? {} : { runId: item.runId }),
          day: item.day,
          writeShard: writeShardOf(change.shard, options.writeShards),
          streamShard: change.shard,
          first: change.sequence,
          last: change.sequence,
          parts: [],
        };
        open.set(key, update);
      }
      update.parts.push({ sequence: change.sequence, amounts: item.amounts });
      update.last = change.sequence;
      if (item.day > update.day) update.day = item.day;
    }
  }
  return [...done, ...open.values()];
}

/** Counters the update would carry with these amounts added. */
function countersIn(update: CounterUpdate, adding: ReadonlyMap<string, number>): number {
  const names = new Set(adding.keys());
  for (const part of update.parts) for (const name of part.amounts.keys()) names.add(name);
  return names.size;
}

/** The parts' amounts summed, by counter name. */
export function summed(parts: readonly ChangeAmounts[]): Map<string, number> {
  const total = new Map<string, number>();
  for (const part of parts) {
    for (const [name, amount] of part.amounts) total.set(name, (total.get(name) ?? 0) + amount);
  }
  return total;
}

/** A stream shard always writes the same item of a day: its sequence marks stay on one item. */
export function writeShardOf(streamShard: string, writeShards: number): number {
  if (writeShards <= 1) return 0;
  return createHash('sha256').update(streamShard).digest().readUInt32BE(0) % writeShards;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
