/**
 * What the metrics page costs at 200 and at 20,000 customers (issue 17: a page must cost the same
 * whatever the number of customers). Two local engines, each filled directly (history items written
 * in batches, their counters counted by the same code the figures function runs and written as
 * items), then the page itself is asked for over HTTP. `npm run bench`, or
 * `npx vitest bench --run bench/figures.bench.ts`.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, bench, describe } from 'vitest';
import type { HistoryEntry } from '../shared/customer/history.ts';
import { mapWithConcurrency } from '../shared/concurrency.ts';
import { countHistory, type CustomerHistory } from '../shared/figures/recount.ts';
import { readFigureSums } from '../shared/store/figures.ts';
import { historyKey, figuresDayKey } from '../shared/store/table.ts';
import { scanAll } from '../shared/store/context.ts';
import { type LocalHost, startLocalHost } from '../infra/local/host.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const SMALL = 200;
const LARGE = 20_000;
/** Entries spread over this many days: the counter items a page reads are journeys x days, at any size. */
const DAYS = 30;
const START = Date.parse('2026-10-01T09:00:00.000Z');
const TIMED_READS = 30;

/** One customer's history: a cart that starts the journey and its reminder; for some, what came back and a buy. */
function historyOf(index: number): CustomerHistory {
  const customerId = `bench-${index}`;
  const executionId = `exec-${index}`;
  const at = (minutes: number) =>
    new Date(START + (index % DAYS) * 86_400_000 + minutes * 60_000).toISOString();
  const message: HistoryEntry = {
    kind: 'message',
    time: at(60),
    journeyId: 'cart-abandonment',
    executionId,
    stepId: 'remind',
    channel: 'email',
    category: 'marketing',
    messageId: `m-${index}`,
    headline: 'Your cart',
    preview: 'You left something behind',
  };
  const history: HistoryEntry[] = [
    {
      kind: 'event',
      time: at(0),
      eventId: `cart-${index}`,
      detailType: 'cart.abandoned',
      source: 'shop',
      detail: { customerId, cartId: `c-${index}` },
      starts: ['cart-abandonment'],
    },
    message,
  ];
  if (index % 4 === 0) {
    history.push({
      kind: 'engagement',
      time: at(61),
      journeyId: 'cart-abandonment',
      stepId: 'remind',
      execution: executionId,
      channel: 'email',
      action: index % 8 === 0 ? 'opened' : 'delivered',
      messageId: `m-${index}`,
    });
  }
  if (index % 10 === 0) {
    const touch = {
      journeyId: 'cart-abandonment',
      executionId,
      stepId: 'remind',
      channel: 'email' as const,
      time: at(60),
    };
    history.push({
      kind: 'conversion',
      time: at(120),
      journeyId: 'cart-abandonment',
      executionId,
      eventId: `order-${index}`,
      detailType: 'order.placed',
      lastTouch: touch,
      linear: [{ ...touch, weight: 1 }],
    });
  }
  return { customerId, history: history.map((entry) => ({ entry })) };
}

/** Writes the items in batches of 25, several at once; answers how many. */
async function writeItems(host: LocalHost, items: readonly Record<string, unknown>[]): Promise<number> {
  const { store } = host.runtime;
  const batches: Record<string, unknown>[][] = [];
  for (let start = 0; start < items.length; start += 25) batches.push(items.slice(start, start + 25));
  await mapWithConcurrency(batches, 16, async (batch) => {
    let requests = batch.map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const result = await store.db.send(
        new BatchWriteCommand({ RequestItems: { [store.table]: requests } }),
      );
      requests =
        result.UnprocessedItems?.[store.table]?.flatMap((request) =>
          request.PutRequest?.Item === undefined ? [] : [{ PutRequest: { Item: request.PutRequest.Item } }],
        ) ?? [];
    }
  });
  return items.length;
}

/** A local engine holding `customers` customers' history and the counters the figures would keep of it. */
async function filledEngine(customers: number): Promise<{ host: LocalHost; items: number; fillMs: number }> {
  let items = 0;
  const started = Date.now();
  const host = await startLocalHost({
    journeysDir: 'journeys',
    port: 0,
    clock: { mode: { kind: 'manual' }, start: new Date(START + DAYS * 86_400_000) },
    log: () => undefined,
  });
  const histories = Array.from({ length: customers }, (_, index) => historyOf(index));
  // BatchWriteItem, which the stream's stand-in does not count: the counters are written below, once.
  items += await writeItems(
    host,
    histories.flatMap(({ customerId, history }) =>
      history.map(({ entry }, index) => ({
        ...historyKey(customerId, entry.time, `bench#${index}`),
        kind: entry.kind,
        entry,
      })),
    ),
  );
  const counted = countHistory(histories);
  items += await writeItems(
    host,
    [...counted.items.values()].map((item) => ({
      ...figuresDayKey(item.journeyId, item.day, 0),
      ...Object.fromEntries(item.amounts),
    })),
  );
  return { host, items, fillMs: Date.now() - started };
}

async function metricsPage(host: LocalHost): Promise<void> {
  const response = await fetch(`${host.endpoint}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics: ${response.status}`);
  await response.text();
}

async function medianMs(host: LocalHost): Promise<number> {
  for (let warm = 0; warm < 3; warm += 1) await metricsPage(host);
  const times: number[] = [];
  for (let read = 0; read < TIMED_READS; read += 1) {
    const started = performance.now();
    await metricsPage(host);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

const small = await filledEngine(SMALL);
const large = await filledEngine(LARGE);
const [smallMs, largeMs] = [await medianMs(small.host), await medianMs(large.host)];
const itemsRead = async (host: LocalHost) =>
  (await readFigureSums(host.runtime.store, ['cart-abandonment'])).itemsRead;
const scanStarted = performance.now();
const scanned = (await scanAll(large.host.runtime.store, {})).length;
const scanMs = performance.now() - scanStarted;
console.log(
  [
    `metrics page (counters, one Query per journey), median of ${TIMED_READS}:`,
    `  ${SMALL} customers: ${smallMs.toFixed(1)} ms, ${await itemsRead(small.host)} counter items read (table: ${small.items} items, filled in ${small.fillMs} ms)`,
    `  ${LARGE} customers: ${largeMs.toFixed(1)} ms, ${await itemsRead(large.host)} counter items read (table: ${large.items} items, filled in ${large.fillMs} ms)`,
    `  ratio ${(largeMs / smallMs).toFixed(2)}x for ${LARGE / SMALL}x the customers`,
    `  for comparison, a Scan of the ${LARGE}-customer table (what the page read before): ${scanMs.toFixed(0)} ms, ${scanned} items`,
  ].join('\n'),
);

afterAll(async () => {
  await Promise.all([small.host.close(), large.host.close()]);
});

describe('the metrics page from the counters', () => {
  bench(`${SMALL} customers`, () => metricsPage(small.host));
  bench(`${LARGE} customers`, () => metricsPage(large.host));
});
