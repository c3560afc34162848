/**
 * The figures function as Lambda runs it (middy, Powertools) on DynamoDB Stream batches. dynalite has no
 * streams: each record is built from the item the real functions stored, with the old image where the
 * write replaced one, in DynamoDB Streams' own shape (NEW_AND_OLD_IMAGES).
 */
import { DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useRuntime } from '../../functions/common/runtime.ts';
import { handler } from '../../functions/figures/handler.ts';
import { countedReport } from '../../shared/figures/report.ts';
import { recordEvent } from '../../shared/runtime/record.ts';
import { resumeWaits } from '../../shared/runtime/resume.ts';
import { readFigureSums } from '../../shared/store/figures.ts';
import { readHistory } from '../../shared/store/history.ts';
import { customerKey } from '../../shared/store/table.ts';
import type { Runtime } from '../../shared/runtime/runtime.ts';
import { lambdaContext } from '../support/lambda.ts';
import { envelope, fixtureEvent } from '../support/runtime-fixtures.ts';
import { createTestRuntime, localServicesForFile } from '../support/runtime-services.ts';

const services = localServicesForFile();
afterEach(() => {
  useRuntime(undefined);
  vi.restoreAllMocks();
});

type Image = Record<string, AttributeValue>;
let sequence = 1000;

/** A stream record of a write, as DynamoDB Streams shows it. */
function streamRecord(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', image: Image | undefined, old?: Image) {
  sequence += 1;
  return {
    eventID: `event-${sequence}`,
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: { pk: image?.pk ?? old?.pk, sk: image?.sk ?? old?.sk },
      SequenceNumber: String(sequence),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
      ...(image === undefined ? {} : { NewImage: image }),
      ...(old === undefined ? {} : { OldImage: old }),
    },
  };
}

async function storedItem(runtime: Runtime, key: { pk: string; sk: string }): Promise<Image | undefined> {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    endpoint: services.dynamoEndpoint,
  });
  const read = await client.send(
    new GetItemCommand({ TableName: runtime.store.table, Key: { pk: { S: key.pk }, sk: { S: key.sk } } }),
  );
  client.destroy();
  return read.Item;
}

async function triggered(runtime: Runtime, journeyId: string): Promise<number | undefined> {
  const sums = await readFigureSums(runtime.store, [journeyId]);
  const report = countedReport({
    all: sums.all,
    journeys: sums.journeys,
    definitions: [],
    executions: [],
    now: new Date(),
  });
  return report.journeys.find((journey) => journey.journeyId === journeyId)?.triggered;
}

/** Where the event's history entry is stored (record and resume write it under the same key). */
async function eventItemKey(runtime: Runtime, customerId: string): Promise<{ pk: string; sk: string }> {
  const now = runtime.now().toISOString();
  const [stored] = await readHistory(runtime.store, customerId, now, now);
  if (stored === undefined) throw new Error(`no history entry for ${customerId}`);
  return { pk: customerKey(customerId), sk: stored.sortKey };
}

/** An abandoned cart for this customer, which starts cart-abandonment. */
function cart(runtime: Runtime, customerId: string): Record<string, unknown> {
  const sample = fixtureEvent('cart.abandoned');
  return envelope('cart.abandoned', { ...sample.detail, customerId }, runtime.now().toISOString());
}

describe('the figures function', () => {
  it("counts an event's starts once when record replaces the copy the resume function wrote first", async () => {
    const runtime = await createTestRuntime(services);
    useRuntime(runtime);
    const event = cart(runtime, 'c-resumed-first');
    await resumeWaits(event, runtime);
    const key = await eventItemKey(runtime, 'c-resumed-first');
    const resumed = await storedItem(runtime, key);
    expect(resumed?.recorded).toBeUndefined();
    await recordEvent(event, runtime);
    const recorded = await storedItem(runtime, key);
    expect(recorded?.recorded).toEqual({ BOOL: true });

    const insert = streamRecord('INSERT', resumed);
    const modify = streamRecord('MODIFY', recorded, resumed);
    await handler({ Records: [insert], shardId: 'shard-1' }, lambdaContext);
    // Resume's copy is the event, not its record: it starts nothing yet.
    expect(await triggered(runtime, 'cart-abandonment')).toBe(0);
    await handler({ Records: [modify], shardId: 'shard-1' }, lambdaContext);
    expect(await triggered(runtime, 'cart-abandonment')).toBe(1);
    // Lambda retries a batch whole: counted once all the same.
    await handler({ Records: [insert, modify], shardId: 'shard-1' }, lambdaContext);
    expect(await triggered(runtime, 'cart-abandonment')).toBe(1);
  });

  it('counts an event recorded first once, and nothing for what is not a new history item', async () => {
    const runtime = await createTestRuntime(services);
    useRuntime(runtime);
    const event = cart(runtime, 'c-recorded-first');
    await recordEvent(event, runtime);
    // The resume function comes second: its put finds the item taken and writes nothing, so no record.
    await resumeWaits(event, runtime);
    const key = await eventItemKey(runtime, 'c-recorded-first');
    const recorded = await storedItem(runtime, key);
    const profile = { pk: { S: 'C#c-recorded-first' }, sk: { S: 'PROFILE' } };
    const answer = await handler(
      {
        Records: [
          streamRecord('INSERT', recorded),
          // The same item written again with nothing new recorded, then deleted (an erasure, TTL).
          streamRecord('MODIFY', recorded, recorded),
          streamRecord('REMOVE', undefined, recorded),
          streamRecord('INSERT', profile),
          // A key record claims with no entry in it: nothing to count, nothing to warn about.
          streamRecord('INSERT', {
            pk: { S: 'C#c-recorded-first' },
            sk: { S: 'H#2026-11-18T15:00:00.000Z#event#x' },
            recorded: { BOOL: true },
          }),
        ],
        shardId: 'shard-2',
      },
      lambdaContext,
    );
    expect(answer).toEqual({ state: {} });
    expect(await triggered(runtime, 'cart-abandonment')).toBe(1);
  });

  it('refuses a batch that names no shard (a mapping without its window) rather than count it twice later', async () => {
    const runtime = await createTestRuntime(services);
    useRuntime(runtime);
    await expect(handler({ Records: [streamRecord('INSERT', undefined)] }, lambdaContext)).rejects.toThrow(
      /shardId/,
    );
  });

  it("answers the window's last call, which has no records, with an empty state", async () => {
    const runtime = await createTestRuntime(services);
    useRuntime(runtime);
    expect(
      await handler(
        { Records: [], shardId: 'shard-3', isFinalInvokeForWindow: true, state: {} },
        lambdaContext,
      ),
    ).toEqual({ state: {} });
  });
});
