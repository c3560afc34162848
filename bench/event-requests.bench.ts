/**
 * Where one single-message event's DynamoDB requests go, end to end on the local engine: a
 * profile, then `chat.session.ended` (unresolved) for the chat-followup sample cut to its first
 * step (the summary email, then the end), so the event runs record, entry, deliver and the
 * execution's finish. Every request the functions make is listed by command and by the item it
 * touches (the sort key's kind), in the order made: `npm run bench`. Issue 17 aims at 5. The SES
 * delivery event that follows the email is another event: its requests are listed apart.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { bench, describe } from 'vitest';
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

/** The SES delivery event's own requests (preferences, engagement): a second event, not this one's. */
const DELIVERY_REPORT = /\[(preferences|engagement)\./;

async function profile(): Promise<string> {
  const journeysDir = singleMessageProject();
  const host = await startLocalHost({
    journeysDir,
    port: 0,
    clock: { mode: { kind: 'manual' }, start: new Date('2026-11-18T15:00:00Z') },
    log: () => undefined,
  });
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

describe('DynamoDB requests of one single-message event', () => {
  bench(
    'profile',
    async () => {
      console.log(await profile());
    },
    { iterations: 1, warmupIterations: 0 },
  );
});
