/**
 * The counters in a real (local) DynamoDB table: a batch of history changes applied through the store
 * gives the same figures as counting in memory, and a batch applied again, in part or in full, or in
 * more updates than one, counts each change once.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { type HistoryChange, sequenceKey } from '../../shared/figures/aggregate.ts';
import { countedSums, countHistory } from '../../shared/figures/recount.ts';
import { countedReport } from '../../shared/figures/report.ts';
import type { Report } from '../../shared/report/types.ts';
import { applyHistoryChanges, readFigureSums } from '../../shared/store/figures.ts';
import type { StoreContext } from '../../shared/store/context.ts';
import { ensureTable } from '../../infra/local/dynamodb.ts';
import { at } from '../report/fixtures.ts';
import { localServicesForFile } from '../support/runtime-services.ts';
import { CUSTOMERS, JOURNEY, POSITIONS } from './fixtures.ts';

const services = localServicesForFile();

async function freshStore(): Promise<StoreContext> {
  const table = `figures-${randomUUID()}`;
  await ensureTable(
    new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      endpoint: services.dynamoEndpoint,
    }),
    table,
  );
  return { db: services.clients.dynamodb, table };
}

/** The fixtures' entries as one stream shard would carry them, customer by customer, oldest first. */
function changes(shard = 'shard-1'): HistoryChange[] {
  let position = 100;
  return CUSTOMERS.flatMap((customer) =>
    customer.history.map(({ entry }) => {
      position += 1;
      return { shard, sequence: sequenceKey(position), customerId: customer.customerId, entry };
    }),
  );
}

const NOW = new Date(at(5000));

function reportOf(sums: {
  all: ReadonlyMap<string, number>;
  journeys: ReadonlyMap<string, ReadonlyMap<string, number>>;
}): Report {
  return countedReport({
    all: sums.all,
    journeys: sums.journeys,
    definitions: [JOURNEY],
    executions: POSITIONS,
    now: NOW,
  });
}

async function stored(store: StoreContext): Promise<Report> {
  return reportOf(await readFigureSums(store, ['winback']));
}

const inMemory = (): Report => reportOf(countedSums(countHistory(CUSTOMERS)));

describe('the counters in the table', () => {
  it('come to the same figures as counting the same entries in memory', async () => {
    const store = await freshStore();
    const outcome = await applyHistoryChanges(store, changes(), NOW);
    expect(outcome).toMatchObject({ changes: changes().length, alreadyCounted: 0 });
    expect(await stored(store)).toEqual(inMemory());
  });

  it('count a batch applied twice once', async () => {
    const store = await freshStore();
    await applyHistoryChanges(store, changes(), NOW);
    const again = await applyHistoryChanges(store, changes(), NOW);
    expect(again.alreadyCounted).toBe(again.counterUpdates);
    expect(await stored(store)).toEqual(inMemory());
  });

  it('count a batch retried in part, then whole with more behind it, each change once', async () => {
    const store = await freshStore();
    const all = changes();
    // The first try counted the first half of the batch, then failed; the retry brings it all.
    await applyHistoryChanges(store, all.slice(0, 17), NOW);
    await applyHistoryChanges(store, all.slice(5), NOW);
    expect(await stored(store)).toEqual(inMemory());
  });

  it('count the same whatever the number of updates a busy item needs, and across write shards', async () => {
    const store = await freshStore();
    await applyHistoryChanges(store, changes(), NOW, { writeShards: 1, maxCounters: 3 });
    expect(await stored(store)).toEqual(inMemory());
    const sharded = await freshStore();
    // Two stream shards, each writing its own item of a day: a read sums both.
    const all = changes();
    await applyHistoryChanges(
      sharded,
      all.map((change, index) => ({ ...change, shard: index < 20 ? 'shard-a' : 'shard-b' })),
      NOW,
      { writeShards: 4, maxCounters: 150 },
    );
    expect(await stored(sharded)).toEqual(inMemory());
  });

  it('read the days asked for only', async () => {
    const store = await freshStore();
    await applyHistoryChanges(store, changes(), NOW);
    const day = at(0).slice(0, 10);
    const none = await readFigureSums(store, ['winback'], { from: '2020-01-01', to: '2020-01-31' });
    expect(none.journeys.get('winback')?.size).toBe(0);
    const first = await readFigureSums(store, ['winback'], { from: day, to: day });
    // Ana's second cart came the next day (2,000 minutes after the first entries): not in the first.
    expect(reportOf(first).journeys[0]?.triggered).toBe(8);
    const next = at(2000).slice(0, 10);
    const both = await readFigureSums(store, ['winback'], { from: day, to: next });
    expect(reportOf(both).journeys[0]?.triggered).toBe(9);
  });
});
