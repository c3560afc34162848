/**
 * Where one single-message event's DynamoDB requests go, end to end on the local engine: a
 * profile, then `chat.session.ended` (unresolved) for the chat-followup sample cut to its first
 * step (the summary email, then the end), so the event runs record, entry, deliver and the
 * execution's finish. Every request the functions make is listed by command and by the item it
 * touches (the sort key's kind), in the order made: `npm run bench`. Issue 17 aims at 5. The SES
 * delivery event that follows the email is another event: its requests are listed apart.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { bench, describe } from 'vitest';
import { countRequests } from './support/requests.ts';
import { exampleDetail } from '../shared/events/catalog.ts';
import { isRecord } from '../shared/json.ts';
import { loadDeployedEventCatalog } from '../shared/project/events.ts';
import { type LocalHost, startLocalHost } from '../infra/local/host.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const EVENTS = loadDeployedEventCatalog('journeys');
const MEASURED = 20;

/** What a request touches: the kind of its item's sort key (PROFILE, H#, J#, E#, R#, W#, ...). */
function itemKind(input: Record<string, unknown>): string {
  const key = isRecord(input.Key) ? input.Key : isRecord(input.Item) ? input.Item : undefined;
  const sortKey = key?.sk;
  if (typeof sortKey === 'string') return sortKey.replace(/^([A-Z]+#?).*$/, '$1');
  const values = input.ExpressionAttributeValues;
  const low = isRecord(values) ? values[':low'] : undefined;
  if (typeof low === 'string') return `${low.replace(/^([A-Z]+#?).*$/, '$1')} range`;
  // A Query by partition and prefix (or the whole partition): the prefix says what it reads.
  const begins = isRecord(values) ? values[':prefix'] : undefined;
  if (typeof begins === 'string') return `${begins.replace(/^([A-Z]+#).*$/, '$1')}* query`;
  const prefix = isRecord(values)
    ? Object.values(values).find(
        (value): value is string => typeof value === 'string' && /^[A-Z]+#/.test(value),
      )
    : undefined;
  return prefix === undefined ? 'other' : `${prefix.replace(/^([A-Z]+#).*$/, '$1')}* query`;
}

/** The runtime function that made a request: the first of shared/runtime's frames on the (async) stack. */
function caller(stack: string): string {
  const frames = [...stack.matchAll(/at (?:async )?(\S+) \(.*?shared\/runtime\/([\w-]+)\.ts/g)];
  const named = frames.map((frame) => `${frame[2] ?? ''}.${frame[1] ?? ''}`);
  return named.at(-1) ?? 'elsewhere';
}

function recordRequests(host: LocalHost): string[] {
  const log: string[] = [];
  host.runtime.store.db.middlewareStack.add(
    (next, context) => (args) => {
      const input: Record<string, unknown> = isRecord(args.input) ? args.input : {};
      const command = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      const conditional = typeof input.ConditionExpression === 'string' ? ' (conditional)' : '';
      log.push(`${command} ${itemKind(input)}${conditional}  [${caller(new Error().stack ?? '')}]`);
      return next(args);
    },
    { step: 'initialize', name: 'benchRequestLog' },
  );
  return log;
}

/** The samples, with chat-followup ending after its summary: one event, one message, one end. */
function singleMessageProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-requests-'));
  cpSync('journeys', dir, { recursive: true });
  const file = join(dir, 'chat-followup.json');
  const journey: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isRecord(journey) || !isRecord(journey.steps) || !isRecord(journey.steps.summary)) {
    throw new Error('chat-followup.json has no summary step');
  }
  const { summary, done } = journey.steps;
  writeFileSync(file, JSON.stringify({ ...journey, steps: { summary: { ...summary, next: 'done' }, done } }));
  return dir;
}

/** The engine on a manual clock, quiet. */
function startBenchHost(journeysDir: string): Promise<LocalHost> {
  return startLocalHost({
    journeysDir,
    port: 0,
    clock: { mode: { kind: 'manual' }, start: new Date('2026-11-18T15:00:00Z') },
    log: () => undefined,
  });
}

/** The SES delivery event's own requests (preferences, engagement): a second event, not this one's. */
const DELIVERY_REPORT = /\[(preferences|engagement)\./;

async function profile(): Promise<string> {
  const journeysDir = singleMessageProject();
  const host = await startBenchHost(journeysDir);
  const eventbridge = new EventBridgeClient({
    region: 'us-east-1',
    endpoint: host.endpoint,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const put = async (detailType: string, detail: Record<string, unknown>): Promise<void> => {
    await eventbridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'waymark',
            Source: 'bench',
            DetailType: detailType,
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
    await host.engine.idle();
  };
  const log = recordRequests(host);
  try {
    const tally = new Map<string, number>();
    let firstRun: string[] = [];
    for (let index = 0; index < MEASURED; index += 1) {
      const customerId = `bench-chat-${index}`;
      await put('customer.profile.updated', {
        customerId,
        email: `${customerId}@example.com`,
        consent: { email: 'opted-in' },
      });
      const start = log.length;
      const example = exampleDetail(EVENTS, 'chat.session.ended') ?? {};
      await put('chat.session.ended', { ...example, customerId, resolved: false });
      const made = log.slice(start);
      if (index === 0) firstRun = made;
      for (const request of made) tally.set(request, (tally.get(request) ?? 0) + 1);
    }
    const sent = host.outbox.list({ journeyId: 'chat-followup' }).length;
    const total = [...tally.values()].reduce((sum, count) => sum + count, 0);
    const own = [...tally]
      .filter(([request]) => !DELIVERY_REPORT.test(request))
      .reduce((sum, [, count]) => sum + count, 0);
    const rows = [...tally]
      .sort(([, a], [, b]) => b - a)
      .map(([request, count]) => `    ${(count / MEASURED).toFixed(2)}  ${request}`);
    return [
      `one chat.session.ended (unresolved) -> summary email -> end, ${MEASURED} customers, ${sent} emails sent:`,
      `  ${(own / MEASURED).toFixed(2)} DynamoDB requests per event (record, entry, deliver, finish);`,
      `  ${(total / MEASURED).toFixed(2)} with the SES delivery event that follows. By command and item:`,
      ...rows,
      '  the first event, in the order made:',
      ...firstRun.map((request, index) => `    ${index + 1}. ${request}`),
    ].join('\n');
  } finally {
    await host.close();
    rmSync(journeysDir, { recursive: true, force: true });
  }
}

/** Events in the throughput run, put 10 a call by a few producers at once, as a burst would come. */
const THROUGHPUT_EVENTS = 400;
const PRODUCERS = 4;
const RAW_WRITES = 2_000;
const RAW_IN_FLIGHT = 16;

/** Conditional puts a second through the functions' own client, 16 in flight: the storage's pace. */
async function rawConditionalWrites(host: LocalHost): Promise<number> {
  let next = 0;
  const started = performance.now();
  const writer = async (): Promise<void> => {
    for (let index = next++; index < RAW_WRITES; index = next++) {
      await host.runtime.store.db.send(
        new PutCommand({
          TableName: host.runtime.store.table,
          Item: { pk: `BENCH#${index}`, sk: 'RAW', payload: 'x'.repeat(200) },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: RAW_IN_FLIGHT }, writer));
  return RAW_WRITES / ((performance.now() - started) / 1000);
}

/** Puts the entries through a producer process of its own (bench/support/producer.mjs), once it is loaded. */
async function produceElsewhere(
  endpoint: string,
  entries: readonly { DetailType: string; Detail: string }[],
): Promise<void> {
  const child = spawn(process.execPath, [join('bench', 'support', 'producer.mjs')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const said = (word: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const listen = (chunk: Buffer): void => {
        if (!chunk.toString().includes(word)) return;
        child.stdout.off('data', listen);
        resolve();
      };
      child.stdout.on('data', listen);
      child.once('exit', (code) =>
        reject(new Error(`the producer exited (${String(code)}) before "${word}"`)),
      );
    });
  await said('ready');
  const done = said('done');
  child.stdin.write(`${JSON.stringify({ endpoint, producers: PRODUCERS, entries })}\n`);
  await done;
  child.stdin.end();
}

/**
 * The same single-message events end to end, many customers at once: events a second beside the raw
 * conditional-write rate measured in the same run. events/s x requests/event over the raw rate says
 * how much of the storage's pace the engine turns into journeys (issue 17 asks at least 70%).
 */
async function throughput(): Promise<string> {
  const journeysDir = singleMessageProject();
  const host = await startBenchHost(journeysDir);
  const putAll = async (entries: { DetailType: string; Detail: string }[]): Promise<void> => {
    await produceElsewhere(host.endpoint, entries);
    await host.engine.idle();
  };
  try {
    const customers = Array.from({ length: THROUGHPUT_EVENTS }, (_, index) => `bench-flow-${index}`);
    await putAll(
      customers.map((customerId) => ({
        DetailType: 'customer.profile.updated',
        Detail: JSON.stringify({
          customerId,
          email: `${customerId}@example.com`,
          consent: { email: 'opted-in' },
        }),
      })),
    );
    const requests = countRequests(host);
    const example = exampleDetail(EVENTS, 'chat.session.ended') ?? {};
    const started = performance.now();
    await putAll(
      customers.map((customerId) => ({
        DetailType: 'chat.session.ended',
        Detail: JSON.stringify({ ...example, customerId, resolved: false }),
      })),
    );
    const seconds = (performance.now() - started) / 1000;
    const eventsPerSecond = THROUGHPUT_EVENTS / seconds;
    const requestsPerEvent = requests() / THROUGHPUT_EVENTS;
    const raw = await rawConditionalWrites(host);
    const sent = host.outbox.list({ journeyId: 'chat-followup' }).length;
    return [
      `${THROUGHPUT_EVENTS} chat.session.ended -> summary -> end, ${PRODUCERS} producers in a process of their own, ${sent} emails sent:`,
      `  ${eventsPerSecond.toFixed(1)} events/s end to end (${seconds.toFixed(1)} s), ${requestsPerEvent.toFixed(2)} DynamoDB requests/event (the SES delivery event's included)`,
      `  dynalite raw conditional PutItem, ${RAW_IN_FLIGHT} in flight, same run: ${raw.toFixed(0)}/s`,
      `  events/s x requests/event = ${(eventsPerSecond * requestsPerEvent).toFixed(0)}/s, ${((100 * eventsPerSecond * requestsPerEvent) / raw).toFixed(0)}% of the raw rate`,
    ].join('\n');
  } finally {
    await host.close();
    rmSync(journeysDir, { recursive: true, force: true });
  }
}

describe('DynamoDB requests of one single-message event', () => {
  bench(
    'throughput',
    async () => {
      console.log(await throughput());
    },
    { iterations: 1, warmupIterations: 0 },
  );
  bench(
    'profile',
    async () => {
      console.log(await profile());
    },
    { iterations: 1, warmupIterations: 0 },
  );
});
