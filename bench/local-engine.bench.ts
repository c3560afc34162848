/**
 * The local engine end to end: PutEvents through the edge with the SDK, to the
 * message in the outbox (record, trigger rule, entry, deliver, SES). Events per
 * second and memory: `npm run bench`.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, bench, describe } from 'vitest';
import { exampleDetail } from '../shared/events/catalog.ts';
import { loadDeployedEventCatalog } from '../shared/project/events.ts';
import { startLocalHost } from '../infra/local/host.ts';

const CHAT_ENDED = exampleDetail(loadDeployedEventCatalog('journeys'), 'chat.session.ended');

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const BATCH = 100;
const host = await startLocalHost({
  journeysDir: 'journeys',
  port: 0,
  clock: { mode: { kind: 'manual' }, start: new Date('2026-11-18T12:00:00Z') },
  log: () => undefined,
});
const eventbridge = new EventBridgeClient({
  region: 'us-east-1',
  endpoint: host.endpoint,
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
});

async function put(entries: { DetailType: string; Detail: Record<string, unknown> }[]): Promise<void> {
  for (let start = 0; start < entries.length; start += 10) {
    await eventbridge.send(
      new PutEventsCommand({
        Entries: entries.slice(start, start + 10).map((entry) => ({
          EventBusName: 'waymark',
          Source: 'bench',
          DetailType: entry.DetailType,
          Detail: JSON.stringify(entry.Detail),
        })),
      }),
    );
  }
}

const rssBefore = process.memoryUsage().rss;
const RUNS = { iterations: 5, warmupIterations: 1 };

let round = 0;
/** Customers whose profiles are stored and not yet used, one batch per iteration to come. */
const seeded: string[][] = [];

/** Stores the profiles for `batches` iterations: setup work, outside the timed function. */
async function seedProfiles(batches: number): Promise<void> {
  for (let batch = 0; batch < batches; batch += 1) {
    round += 1;
    const customers = Array.from({ length: BATCH }, (_, index) => `bench-${round}-${index}`);
    await put(
      customers.map((customerId) => ({
        DetailType: 'customer.profile.updated',
        Detail: { customerId, email: `${customerId}@example.com` },
      })),
    );
    seeded.push(customers);
  }
  await host.engine.idle();
}

async function chatsToEmails(): Promise<void> {
  const customers = seeded.shift();
  if (customers === undefined)
    throw new Error('no seeded profiles left: the setup seeds one batch per iteration');
  const before = host.outbox.list().length;
  const started = performance.now();
  await put(
    customers.map((customerId) => ({
      DetailType: 'chat.session.ended',
      Detail: {
        ...CHAT_ENDED,
        customerId,
        resolved: false,
      },
    })),
  );
  await host.engine.idle();
  const seconds = (performance.now() - started) / 1000;
  const sent = host.outbox.list().length - before;
  if (sent !== BATCH) throw new Error(`expected ${BATCH} summaries, got ${sent}`);
  console.log(
    `local engine: ${BATCH} events → ${sent} emails in ${seconds.toFixed(2)} s = ${(BATCH / seconds).toFixed(0)} events/s end to end; ` +
      `rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB (started at ${(rssBefore / 1e6).toFixed(0)} MB), ` +
      `${host.engine.listExecutions().length} executions held`,
  );
}

afterAll(async () => {
  await host.close();
});

describe('local engine (PutEvents → outbox)', () => {
  bench(`${BATCH} chat.session.ended events to ${BATCH} summary emails`, chatsToEmails, {
    // Exactly these many runs (no minimum time), so the setup knows how many batches to seed.
    ...RUNS,
    time: 0,
    warmupTime: 0,
    // Before the warmup and before the timed runs: ops/s times BATCH is then the events/s printed.
    setup: (_task, mode) => seedProfiles(mode === 'warmup' ? RUNS.warmupIterations : RUNS.iterations),
  });
});
