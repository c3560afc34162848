/**
 * `waymark figures --recount`: the counters rebuilt from the history, for a table that held history
 * before the counters existed, or after they drifted (the local engine killed between a write and its
 * count). The slow path on purpose: one paged Scan of the history items, customer by customer.
 *
 * Idempotent: it writes absolute values (every counter item deleted, then written as counted) and each
 * execution's marker as the stream would have left it, so running it twice gives the same table.
 * Changes the stream counts while it runs may be counted twice or not at all: run it when the table
 * is quiet, or run it again.
 */
import { BatchWriteCommand, type BatchWriteCommandInput, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseHistoryEntry } from '../customer/history.ts';
import { isRecord } from '../json.ts';
import { type CustomerHistory, HistoryCounter, BEFORE_ANY_CHANGE } from '../figures/recount.ts';
import { parseCounterName } from '../figures/counters.ts';
import { epochSeconds, queryAll, type StoreContext } from './context.ts';
import { HISTORY_RETENTION_DAYS } from './history.ts';
import {
  customerKey,
  FIGURES_PARTITION,
  figuresDayKey,
  figuresMarkerKey,
  figuresPartition,
  figuresRunKey,
  SORT,
  TTL_ATTRIBUTE,
} from './table.ts';

export interface RecountOutcome {
  customers: number;
  historyEntries: number;
  /** Counter items written (journeys x days, and broadcast runs) and deleted before. */
  counterItems: number;
  deletedItems: number;
  markers: number;
  /** Customers whose items the Scan did not give together (counted in parts: their once-only figures may be high). */
  split: number;
}

const BATCH_SIZE = 25;
const MAX_BATCH_ATTEMPTS = 8;

export async function recountFigures(
  store: StoreContext,
  journeyIds: readonly string[],
  now: Date,
): Promise<RecountOutcome> {
  const counter = new HistoryCounter();
  const seen = new Set<string>();
  let split = 0;
  let markers = 0;
  let customers = 0;
  const expires = epochSeconds(new Date(now.getTime() + HISTORY_RETENTION_DAYS * 86_400_000));
  const writeMarkers = async (customer: CustomerHistory): Promise<void> => {
    customers += 1;
    if (seen.has(customer.customerId)) split += 1;
    seen.add(customer.customerId);
    const counted = counter.addCustomer(customer);
    counter.forgetMarkers();
    const items = [...counted.values()].map((marker) => ({
      ...figuresMarkerKey(marker.customerId, marker.tag),
      ...Object.fromEntries([...marker.claimed.keys()].map((fact) => [fact, BEFORE_ANY_CHANGE])),
      [TTL_ATTRIBUTE]: expires,
    }));
    markers += items.length;
    await putItems(store, items);
  };
  await scanCustomerHistories(store, writeMarkers);

  // Every counter item there is (what the data names, what was counted, what was asked for) goes first.
  const partitions = new Set([
    FIGURES_PARTITION,
    ...journeyIds.map((journeyId) => figuresPartition(journeyId)),
  ]);
  const old = await queryAll(store, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :day)',
    ExpressionAttributeValues: { ':pk': FIGURES_PARTITION, ':day': SORT.figuresDayPrefix },
  });
  for (const item of old) {
    for (const name of Object.keys(item)) {
      const counter = parseCounterName(name);
      if (counter?.kind === 'journey-seen') partitions.add(figuresPartition(counter.journeyId));
    }
  }
  const expiry = (day: string): number =>
    epochSeconds(new Date(Date.parse(`${day}T00:00:00.000Z`) + (HISTORY_RETENTION_DAYS + 1) * 86_400_000)) ||
    0;
  const items = [
    ...[...counter.counted.items.values()].map((item) => ({
      ...figuresDayKey(item.journeyId, item.day, 0),
      ...Object.fromEntries(item.amounts),
      [TTL_ATTRIBUTE]: expiry(item.day),
    })),
    // Each broadcast run's counters, beside its journey's days.
    ...[...counter.counted.runs.values()].map((run) => ({
      ...figuresRunKey(run.journeyId, run.runId, 0),
      ...Object.fromEntries(run.amounts),
      [TTL_ATTRIBUTE]: expiry(run.day),
    })),
  ];
  for (const item of items) partitions.add(item.pk);
  const doomed: { pk: string; sk: string }[] = [];
  for (const partition of partitions) {
    for (const prefix of [SORT.figuresDayPrefix, SORT.figuresRunPrefix]) {
      const keys = await queryAll(store, {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': partition, ':prefix': prefix },
        ProjectionExpression: 'pk, sk',
      });
      for (const key of keys) {
        if (typeof key.pk === 'string' && typeof key.sk === 'string') doomed.push({ pk: key.pk, sk: key.sk });
      }
    }
  }
  await writeRequests(
    store,
    doomed.map((Key) => ({ DeleteRequest: { Key } })),
  );
  await putItems(store, items);
  return {
    customers,
    historyEntries: counter.counted.entries,
    counterItems: items.length,
    deletedItems: doomed.length,
    markers,
    split,
  };
}

/**
 * Each customer's history, oldest first, read in one paged Scan of the history items. A Scan gives a
 * partition's items together and in sort-key order, so a customer is done when the next one begins.
 */
async function scanCustomerHistories(
  store: StoreContext,
  each: (customer: CustomerHistory) => Promise<void>,
): Promise<void> {
  let current: { customerId: string; history: CustomerHistory['history'][number][] } | undefined;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.db.send(
      new ScanCommand({
        TableName: store.table,
        FilterExpression: 'begins_with(sk, :history)',
        ExpressionAttributeValues: { ':history': SORT.historyPrefix },
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    for (const item of page.Items ?? []) {
      const { pk } = item;
      if (typeof pk !== 'string' || !pk.startsWith(CUSTOMER_PREFIX)) continue;
      const customerId = pk.slice(CUSTOMER_PREFIX.length);
      if (current?.customerId !== customerId) {
        if (current !== undefined) await each(current);
        current = { customerId, history: [] };
      }
      const entry = parseHistoryEntry(item.entry);
      if (entry !== undefined) current.history.push({ entry });
    }
    startKey = isRecord(page.LastEvaluatedKey) ? page.LastEvaluatedKey : undefined;
  } while (startKey !== undefined);
  if (current !== undefined) await each(current);
}

const CUSTOMER_PREFIX = customerKey('');

type WriteRequests = NonNullable<BatchWriteCommandInput['RequestItems']>[string];

function putItems(store: StoreContext, items: readonly Record<string, unknown>[]): Promise<void> {
  return writeRequests(
    store,
    items.map((Item) => ({ PutRequest: { Item } })),
  );
}

async function writeRequests(store: StoreContext, all: WriteRequests): Promise<void> {
  for (let start = 0; start < all.length; start += BATCH_SIZE) {
    let requests = all.slice(start, start + BATCH_SIZE);
    for (let attempt = 1; requests.length > 0; attempt += 1) {
      if (attempt > MAX_BATCH_ATTEMPTS)
        throw new Error('DynamoDB left writes unprocessed; run the recount again.');
      const result = await store.db.send(
        new BatchWriteCommand({ RequestItems: { [store.table]: requests } }),
      );
      requests = result.UnprocessedItems?.[store.table] ?? [];
      // Unprocessed items mean the table is throttling: back off before asking again.
      if (requests.length > 0) await sleep(50 * 2 ** attempt);
    }
  }
}
