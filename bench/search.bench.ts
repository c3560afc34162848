/**
 * Customer search by email at 200 and at 20,000 customers (issue 17: no full-table read behind a page).
 * Search goes through the address index (shared/store/customer-search.ts: a Query by id, a Query of
 * byEmailHash, a BatchGetItem of what it names), so its time should not grow with the table; the Scan
 * of every profile it replaced is timed once at each size beside it. Prints both sizes' times and their
 * ratio. The tables are filled with BatchWriteItem, each profile item built with the attributes
 * writeProfile gives it (addressIndexAttributes), on dynalite in this process. `npm run bench`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, bench, describe } from 'vitest';
import { ensureTable, startLocalDynamo } from '../infra/local/dynamodb.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../infra/local/constants.ts';
import { customerProfileSchema } from '../shared/customer/profile.ts';
import { addressIndexAttributes } from '../shared/store/address-index.ts';
import { scanAll, type StoreContext } from '../shared/store/context.ts';
import { searchCustomers } from '../shared/store/customer-search.ts';
import { profileKey, SORT } from '../shared/store/table.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const SIZES = [200, 20_000] as const;
/** Searches timed at each size for the printed figures (vitest's own table comes on top). */
const TIMED_SEARCHES = 300;
const BATCH = 25;
const BATCHES_IN_FLIGHT = 4;

const dynamo = await startLocalDynamo();
const client = new DynamoDBClient({
  region: LOCAL_REGION,
  credentials: LOCAL_CREDENTIALS,
  endpoint: dynamo.endpoint,
});
const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

function emailOf(index: number): string {
  return `Customer.${index}@Example.com`;
}

/** A profile item as writeProfile leaves it, address hashes included. */
function profileItem(index: number): Record<string, unknown> {
  const customerId = `bench-${String(index).padStart(6, '0')}`;
  const profile = customerProfileSchema.parse({
    customerId,
    email: emailOf(index),
    phone: `+5511${String(900_000_000 + index)}`,
    consent: { email: 'opted-in', sms: 'opted-in' },
    attributes: { firstName: `Name ${index}`, plan: index % 3 === 0 ? 'gold' : 'basic' },
    tags: ['bench'],
    updatedAt: '2026-11-18T12:00:00.000Z',
  });
  return { ...profileKey(customerId), profile, profileVersion: 1, ...addressIndexAttributes(profile).set };
}

async function fill(store: StoreContext, count: number): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let first = 0; first < count; first += BATCH) {
    batches.push(
      Array.from({ length: Math.min(BATCH, count - first) }, (_, offset) => profileItem(first + offset)),
    );
  }
  const write = async (items: Record<string, unknown>[]): Promise<void> => {
    let requests = items.map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const result = await store.db.send(
        new BatchWriteCommand({ RequestItems: { [store.table]: requests } }),
      );
      requests = (result.UnprocessedItems?.[store.table] ?? []).flatMap((request) =>
        request.PutRequest?.Item === undefined ? [] : [{ PutRequest: { Item: request.PutRequest.Item } }],
      );
    }
  };
  const workers = Array.from({ length: BATCHES_IN_FLIGHT }, async () => {
    for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) await write(batch);
  });
  await Promise.all(workers);
}

/** One search as the panel makes it, for a customer at random, in whatever case; it must find them. */
async function searchOnce(store: StoreContext, size: number): Promise<void> {
  const index = Math.floor(Math.random() * size);
  const found = await searchCustomers(store, emailOf(index).toLowerCase(), 50);
  if (found.kind !== 'matches' || found.matches.length !== 1)
    throw new Error(`search for customer ${index} of ${size} answered ${found.kind}`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

interface Measured {
  size: number;
  fillSeconds: number;
  searchMs: number;
  scanMs: number;
}

const stores = new Map<number, StoreContext>();
const measured: Measured[] = [];
for (const size of SIZES) {
  const store = { db, table: `search-${size}` };
  await ensureTable(client, store.table);
  const started = performance.now();
  await fill(store, size);
  const fillSeconds = (performance.now() - started) / 1000;
  for (let warm = 0; warm < 20; warm += 1) await searchOnce(store, size);
  const times: number[] = [];
  for (let run = 0; run < TIMED_SEARCHES; run += 1) {
    const before = performance.now();
    await searchOnce(store, size);
    times.push(performance.now() - before);
  }
  // What search read before: every profile item, filtered after the read.
  const scanStarted = performance.now();
  await scanAll(store, {
    FilterExpression: 'sk = :profile',
    ExpressionAttributeValues: { ':profile': SORT.profile },
  });
  const scanMs = performance.now() - scanStarted;
  stores.set(size, store);
  measured.push({ size, fillSeconds, searchMs: median(times), scanMs });
}

const [small, large] = measured;
if (small !== undefined && large !== undefined) {
  const lines = measured.map(
    (m) =>
      `  ${String(m.size).padStart(6)} customers: search by email ${m.searchMs.toFixed(2)} ms (median of ` +
      `${TIMED_SEARCHES}); the Scan of every profile it replaced ${m.scanMs.toFixed(0)} ms; filled in ` +
      `${m.fillSeconds.toFixed(1)} s`,
  );
  console.log(
    [
      'search bench (dynalite in this process):',
      ...lines,
      `  ratio ${large.size} / ${small.size}: search ${(large.searchMs / small.searchMs).toFixed(2)}x, ` +
        `Scan ${(large.scanMs / small.scanMs).toFixed(1)}x (the table is ${large.size / small.size}x larger)`,
    ].join('\n'),
  );
}

afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

describe('customer search by email through the index', () => {
  for (const size of SIZES) {
    bench(`${size} customers`, async () => {
      const store = stores.get(size);
      if (store !== undefined) await searchOnce(store, size);
    });
  }
});
