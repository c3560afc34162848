/**
 * The figures' counters in the table: applying a batch of history changes (the figures function, the
 * local engine's stand-in for the stream) and reading the sums (the panel, `waymark report`).
 *
 * A batch costs one UpdateItem per execution marker it claims facts on and one per counter item
 * (journey and day) it touches, never a request on a message's path. Exactly once per batch: each
 * counter item keeps, per stream shard, the sequence number of the last change it counted (`q:<shard>`),
 * and an update applies only to changes past it. DynamoDB Streams hands a shard's batches to one
 * invocation at a time, in order, and retries a failed batch (all or part of it): the part an item
 * already counted is refused by its condition, and only the rest is added.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from '../concurrency.ts';
import { claimsOf, type HistoryChange, isFact } from '../figures/aggregate.ts';
import {
  type BatchOptions,
  type CounterUpdate,
  counterUpdates,
  DEFAULT_BATCH_OPTIONS,
  summed,
} from '../figures/batch.ts';
import { type CounterSums, parseCounterName, parseRunCounterName } from '../figures/counters.ts';
import { epochSeconds, isConditionFailure, queryAll, type StoreContext } from './context.ts';
import { HISTORY_RETENTION_DAYS } from './history.ts';
import {
  FIGURES_PARTITION,
  figuresDayKey,
  figuresMarkerKey,
  figuresPartition,
  figuresRunKey,
  figuresRunOfKey,
  SORT,
  TTL_ATTRIBUTE,
} from './table.ts';

/** Requests in flight at once while applying a batch. */
const IN_FLIGHT = 8;
/** Facts one marker update sets (each a short SET clause; an expression is at most 4 KB). */
const FACTS_PER_UPDATE = 100;
/** A sequence mark's attribute: one per stream shard that wrote the item. */
const MARK_PREFIX = 'q:';
/** Attempts at finishing a partly counted update before the batch fails (and is retried). */
const MAX_ROUNDS = 5;

export interface ApplyOutcome {
  changes: number;
  markerUpdates: number;
  counterUpdates: number;
  /** Updates whose changes an earlier try had counted already, wholly or in part. */
  alreadyCounted: number;
}

export async function applyHistoryChanges(
  store: StoreContext,
  changes: readonly HistoryChange[],
  now: Date,
  options: BatchOptions = DEFAULT_BATCH_OPTIONS,
): Promise<ApplyOutcome> {
  const { markers, requests } = await claimFacts(store, changes, now);
  const factsOf = (change: HistoryChange): ReadonlyMap<string, string> => {
    const claims = claimsOf(change);
    const state = claims === undefined ? undefined : markers.get(markerId(claims.customerId, claims.tag));
    return state ?? NO_FACTS;
  };
  const updates = counterUpdates(changes, factsOf, options);
  // One item's updates in order (each continues from the last one's mark); items side by side.
  const byItem = new Map<string, CounterUpdate[]>();
  for (const update of updates) {
    const key = JSON.stringify([
      update.journeyId ?? null,
      update.runId === undefined ? update.day : ['run', update.runId],
      update.writeShard,
      update.streamShard,
    ]);
    byItem.set(key, [...(byItem.get(key) ?? []), update]);
  }
  const repeated = await mapWithConcurrency([...byItem.values()], IN_FLIGHT, async (itemUpdates) => {
    let count = 0;
    for (const update of itemUpdates) if (await applyUpdate(store, update)) count += 1;
    return count;
  });
  return {
    changes: changes.length,
    markerUpdates: requests,
    counterUpdates: updates.length,
    alreadyCounted: repeated.reduce((sum, count) => sum + count, 0),
  };
}

const NO_FACTS: ReadonlyMap<string, string> = new Map();

// ---- markers ----------------------------------------------------------------------------------

function markerId(customerId: string, tag: string): string {
  return JSON.stringify([customerId, tag]);
}

/**
 * Sets each fact a change claims unless it is set (`if_not_exists`), to the sequence of the first change
 * that claims it, and reads every fact the marker holds. A retry sets nothing new and reads the same.
 */
async function claimFacts(
  store: StoreContext,
  changes: readonly HistoryChange[],
  now: Date,
): Promise<{ markers: Map<string, Map<string, string>>; requests: number }> {
  const wanted = new Map<string, { customerId: string; tag: string; facts: Map<string, string> }>();
  for (const change of changes) {
    const claims = claimsOf(change);
    if (claims === undefined) continue;
    const id = markerId(claims.customerId, claims.tag);
    const marker = wanted.get(id) ?? {
      customerId: claims.customerId,
      tag: claims.tag,
      facts: new Map<string, string>(),
    };
    for (const fact of claims.facts) {
      const known = marker.facts.get(fact);
      if (known === undefined || change.sequence < known) marker.facts.set(fact, change.sequence);
    }
    wanted.set(id, marker);
  }
  const expires = epochSeconds(new Date(now.getTime() + HISTORY_RETENTION_DAYS * 86_400_000));
  let requests = 0;
  const markers = new Map<string, Map<string, string>>();
  await mapWithConcurrency([...wanted], IN_FLIGHT, async ([id, marker]) => {
    const facts = [...marker.facts];
    let state = new Map<string, string>();
    for (let start = 0; start < facts.length; start += FACTS_PER_UPDATE) {
      const chunk = facts.slice(start, start + FACTS_PER_UPDATE);
      requests += 1;
      const result = await store.db.send(
        new UpdateCommand({
          TableName: store.table,
          Key: figuresMarkerKey(marker.customerId, marker.tag),
          UpdateExpression: `SET ${chunk.map((_, index) => `#f${index} = if_not_exists(#f${index}, :f${index})`).join(', ')}, #expires = :expires`,
          ExpressionAttributeNames: {
            ...Object.fromEntries(chunk.map(([fact], index) => [`#f${index}`, fact])),
            '#expires': TTL_ATTRIBUTE,
          },
          ExpressionAttributeValues: {
            ...Object.fromEntries(chunk.map(([, sequence], index) => [`:f${index}`, sequence])),
            ':expires': expires,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      state = factsOf(result.Attributes ?? {});
    }
    markers.set(id, state);
  });
  return { markers, requests };
}

function factsOf(item: Record<string, unknown>): Map<string, string> {
  const facts = new Map<string, string>();
  for (const [name, value] of Object.entries(item)) {
    if (isFact(name) && typeof value === 'string') facts.set(name, value);
  }
  return facts;
}

// ---- counter items ----------------------------------------------------------------------------

/** Applies one update; true when some of its changes had been counted before (a retried batch). */
async function applyUpdate(store: StoreContext, update: CounterUpdate): Promise<boolean> {
  const key =
    update.runId === undefined || update.journeyId === undefined
      ? figuresDayKey(update.journeyId, update.day, update.writeShard)
      : figuresRunKey(update.journeyId, update.runId, update.writeShard);
  const mark = `${MARK_PREFIX}${update.streamShard}`;
  const expires = epochSeconds(
    new Date(Date.parse(`${update.day}T00:00:00.000Z`) + (HISTORY_RETENTION_DAYS + 1) * 86_400_000),
  );
  const fresh = {
    expression: 'attribute_not_exists(#mark) OR #mark < :first',
    values: { ':first': update.first },
  };
  let parts = update.parts;
  let condition: { expression: string; values: Record<string, unknown> } = fresh;
  for (let round = 1; round <= MAX_ROUNDS; round += 1) {
    const amounts = [...summed(parts)].filter(([, amount]) => amount !== 0);
    try {
      await store.db.send(
        new UpdateCommand({
          TableName: store.table,
          Key: key,
          UpdateExpression:
            (amounts.length === 0
              ? ''
              : `ADD ${amounts.map((_, index) => `#c${index} :c${index}`).join(', ')} `) +
            'SET #mark = :last, #expires = :expires',
          ConditionExpression: condition.expression,
          ExpressionAttributeNames: {
            ...Object.fromEntries(amounts.map(([name], index) => [`#c${index}`, name])),
            '#mark': mark,
            '#expires': TTL_ATTRIBUTE,
          },
          ExpressionAttributeValues: {
            ...Object.fromEntries(amounts.map(([, amount], index) => [`:c${index}`, amount])),
            ...condition.values,
            ':last': update.last,
            ':expires': Number.isNaN(expires) ? 0 : expires,
          },
        }),
      );
      return round > 1;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    // Counted up to `counted` already: what is past it is still to add, under that very mark.
    const counted = await readMark(store, key, mark);
    // Gone since (a recount rewrote the item): counted as new, the way the first try would have.
    if (counted === undefined) {
      parts = update.parts;
      condition = fresh;
      continue;
    }
    parts = parts.filter((part) => part.sequence > counted);
    if (parts.length === 0) return true;
    condition = { expression: '#mark = :counted', values: { ':counted': counted } };
  }
  throw new Error(
    `The counters of ${key.pk} ${key.sk} kept changing under the figures; the batch is retried.`,
  );
}

async function readMark(
  store: StoreContext,
  key: { pk: string; sk: string },
  mark: string,
): Promise<string | undefined> {
  const result = await store.db.send(
    new GetCommand({
      TableName: store.table,
      Key: key,
      ProjectionExpression: '#mark',
      ExpressionAttributeNames: { '#mark': mark },
      ConsistentRead: true,
    }),
  );
  const value: unknown = result.Item?.[mark];
  return typeof value === 'string' ? value : undefined;
}

// ---- reading ----------------------------------------------------------------------------------

export interface FigureSums {
  /** What belongs to no journey: history entries, and which journeys the data names. */
  all: CounterSums;
  /** Every journey asked for or seen in the data. */
  journeys: Map<string, CounterSums>;
  /** Counter items read: the cost of the read, whatever the number of customers. */
  itemsRead: number;
}

export interface DayRange {
  /** YYYY-MM-DD, both included. */
  from: string;
  to: string;
}

/**
 * The counters summed over the days asked (default: every day kept): one Query of the `FIGURES`
 * partition, then one Query per journey (those asked for and those the data names).
 */
export async function readFigureSums(
  store: StoreContext,
  journeyIds: readonly string[],
  days?: DayRange,
): Promise<FigureSums> {
  const all = await readPartition(store, FIGURES_PARTITION, days);
  const seen = new Set(journeyIds);
  for (const name of all.sums.keys()) {
    const counter = parseCounterName(name);
    if (counter?.kind === 'journey-seen') seen.add(counter.journeyId);
  }
  const read = await mapWithConcurrency([...seen], IN_FLIGHT, async (journeyId) => ({
    journeyId,
    ...(await readPartition(store, figuresPartition(journeyId), days)),
  }));
  return {
    all: all.sums,
    journeys: new Map(read.map(({ journeyId, sums }) => [journeyId, sums])),
    itemsRead: all.items + read.reduce((sum, { items }) => sum + items, 0),
  };
}

async function readPartition(
  store: StoreContext,
  partition: string,
  days: DayRange | undefined,
): Promise<{ sums: Map<string, number>; items: number }> {
  const items = await queryAll(
    store,
    days === undefined
      ? {
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :day)',
          ExpressionAttributeValues: { ':pk': partition, ':day': SORT.figuresDayPrefix },
        }
      : {
          // '$' sorts after '#': every write shard of the last day is included.
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': partition,
            ':from': `${SORT.figuresDayPrefix}${days.from}`,
            ':to': `${SORT.figuresDayPrefix}${days.to}$`,
          },
        },
  );
  return { sums: sumItems(items), items: items.length };
}

/** Counter attributes summed over items; keys, marks and expiry are not counters. */
export function sumItems(items: readonly Record<string, unknown>[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const item of items) {
    for (const [name, value] of Object.entries(item)) {
      if (typeof value !== 'number' || parseCounterName(name) === undefined) continue;
      sums.set(name, (sums.get(name) ?? 0) + value);
    }
  }
  return sums;
}

/**
 * Every broadcast run's counters of one journey, summed over their write shards, by run id: one Query
 * of the journey's `R#` items (one per run kept and write shard), whatever the number of members.
 */
export async function readRunSums(store: StoreContext, journeyId: string): Promise<Map<string, CounterSums>> {
  const items = await queryAll(store, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
    ExpressionAttributeValues: { ':pk': figuresPartition(journeyId), ':run': SORT.figuresRunPrefix },
  });
  const runs = new Map<string, Map<string, number>>();
  for (const item of items) {
    const runId = typeof item.sk === 'string' ? figuresRunOfKey(item.sk) : undefined;
    if (runId === undefined) continue;
    const sums = runs.get(runId) ?? new Map<string, number>();
    runs.set(runId, sums);
    for (const [name, value] of Object.entries(item)) {
      if (typeof value !== 'number' || parseRunCounterName(name) === undefined) continue;
      sums.set(name, (sums.get(name) ?? 0) + value);
    }
  }
  return runs;
}
