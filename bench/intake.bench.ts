/**
 * Intake under a burst: 2,000 events put through PutEvents by a few producers at once, on an engine with a
 * data folder (dynalite and the intake journal on disk). For routing one customer at a time (as before the
 * router) and several at once, prints how fast the events were acknowledged and routed (record, preferences,
 * goals, resume, journey starts), how long the unrouted backlog lasted after the last answer, and, for scale,
 * how many PutItem a second dynalite takes through the client the functions use, measured in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { bench, describe } from 'vitest';
import { countRequests } from './support/requests.ts';
import { exampleDetail } from '../shared/events/catalog.ts';
import { loadDeployedEventCatalog } from '../shared/project/events.ts';

const EVENTS = loadDeployedEventCatalog('journeys');
import { type LocalHost, startLocalHost } from '../infra/local/host.ts';
import { ROUTING_CONCURRENCY } from '../infra/local/router.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const BURST_EVENTS = 2_000;
/** Producers putting at the same time, each 10 entries a call. */
const PRODUCERS = 8;
const RAW_WRITES = 2_000;
const RAW_IN_FLIGHT = 32;

interface Entry {
  DetailType: string;
  Detail: string;
}

interface Mix {
  name: string;
  entries(run: string): Entry[];
}

function profileUpdate(customerId: string): Entry {
  return {
    DetailType: 'customer.profile.updated',
    Detail: JSON.stringify({
      customerId,
      email: `${customerId}@example.com`,
      consent: { email: 'opted-in', sms: 'opted-in', push: 'opted-in' },
    }),
  };
}

/** Per customer, in this order: the profile first, as a CRM would send it, then what starts and ends journeys. */
const JOURNEY_TYPES = ['cart.abandoned', 'social.engagement', 'chat.session.ended', 'order.placed'] as const;

const MIXES: readonly Mix[] = [
  {
    // The least an event costs: every customer event goes to the record function.
    name: 'profile updates (record only)',
    entries: (run) => Array.from({ length: BURST_EVENTS }, (_, index) => profileUpdate(`${run}-p${index}`)),
  },
  {
    name: 'journey mix (profile, cart, social, chat, order per customer)',
    entries: (run) => {
      const customers = Array.from(
        { length: BURST_EVENTS / (JOURNEY_TYPES.length + 1) },
        (_, index) => `${run}-j${index}`,
      );
      return [
        ...customers.map(profileUpdate),
        ...JOURNEY_TYPES.flatMap((detailType) =>
          customers.map((customerId) => ({
            DetailType: detailType,
            Detail: JSON.stringify({ ...exampleDetail(EVENTS, detailType), customerId, resolved: false }),
          })),
        ),
      ];
    },
  },
];

async function putAll(eventbridge: EventBridgeClient, entries: readonly Entry[]): Promise<void> {
  const calls: Entry[][] = [];
  for (let start = 0; start < entries.length; start += 10) calls.push(entries.slice(start, start + 10));
  let next = 0;
  const producer = async (): Promise<void> => {
    for (let call = calls[next++]; call !== undefined; call = calls[next++]) {
      const answer = await eventbridge.send(
        new PutEventsCommand({
          Entries: call.map((entry) => ({ EventBusName: 'waymark', Source: 'bench', ...entry })),
        }),
      );
      if ((answer.FailedEntryCount ?? 0) > 0) throw new Error(`refused: ${JSON.stringify(answer.Entries)}`);
    }
  };
  await Promise.all(Array.from({ length: PRODUCERS }, producer));
}

/** PutItem after PutItem through the client the functions use: dynalite's pace with no engine work around it. */
async function rawWrites(host: LocalHost, inFlight: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const writer = async (): Promise<void> => {
    for (let index = next++; index < RAW_WRITES; index = next++) {
      await host.runtime.store.db.send(
        new PutCommand({
          TableName: host.runtime.store.table,
          Item: { pk: `BENCH#${inFlight}#${index}`, sk: 'RAW', payload: 'x'.repeat(200) },
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: inFlight }, writer));
  return RAW_WRITES / ((performance.now() - started) / 1000);
}

async function burst(
  host: LocalHost,
  eventbridge: EventBridgeClient,
  requests: () => number,
  mix: Mix,
  run: string,
): Promise<string> {
  const entries = mix.entries(run);
  const requestsBefore = requests();
  const started = performance.now();
  await putAll(eventbridge, entries);
  const acknowledged = performance.now();
  // Every acknowledged event is in the router by the time PutEvents answers.
  while (host.engine.routingBacklog() > 0) await new Promise((resolve) => setTimeout(resolve, 2));
  const routed = performance.now();
  const routingRequests = requests() - requestsBefore;
  await host.engine.idle();
  const settled = performance.now();
  const seconds = (from: number, to: number): string => ((to - from) / 1000).toFixed(2);
  const rate = (from: number, to: number): string => (entries.length / ((to - from) / 1000)).toFixed(0);
  return [
    `  ${mix.name}: ${entries.length} events`,
    `    acknowledged in ${seconds(started, acknowledged)} s (${rate(started, acknowledged)} events/s)`,
    `    routed in ${seconds(started, routed)} s: ${rate(started, routed)} events/s routed`,
    `    unrouted backlog lasted ${seconds(acknowledged, routed)} s after the last answer`,
    `    DynamoDB: ${(routingRequests / entries.length).toFixed(1)} requests per event (journeys' steps included), ${(routingRequests / ((routed - started) / 1000)).toFixed(0)} requests/s`,
    `    journeys parked ${seconds(routed, settled)} s later`,
  ].join('\n');
}

async function burstsWith(concurrency: number, label: string): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'waymark-intake-bench-'));
  const host = await startLocalHost({
    journeysDir: 'journeys',
    dataDir,
    port: 0,
    clock: { mode: { kind: 'manual' }, start: new Date('2026-11-18T12:00:00Z') },
    log: () => undefined,
    routingConcurrency: concurrency,
  });
  const eventbridge = new EventBridgeClient({
    region: 'us-east-1',
    endpoint: host.endpoint,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const requests = countRequests(host);
  try {
    const lines = [
      `routing ${label}:`,
      `  dynalite raw writes (PutItem through the functions' client): ${(await rawWrites(host, 1)).toFixed(0)}/s one at a time, ${(await rawWrites(host, RAW_IN_FLIGHT)).toFixed(0)}/s ${RAW_IN_FLIGHT} in flight`,
    ];
    for (const [index, mix] of MIXES.entries()) {
      lines.push(await burst(host, eventbridge, requests, mix, `c${concurrency}-m${index}`));
    }
    console.log(lines.join('\n'));
  } finally {
    eventbridge.destroy();
    await host.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const ONCE = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

describe(`intake: bursts of ${BURST_EVENTS} events (PutEvents → routed)`, () => {
  // Async functions: tinybench calls any other function once more to find out whether it returns a promise.
  bench(
    'one customer at a time (the routing before the router)',
    async () => {
      await burstsWith(1, 'one event at a time');
    },
    ONCE,
  );
  bench(
    `${ROUTING_CONCURRENCY} customers at a time`,
    async () => {
      await burstsWith(ROUTING_CONCURRENCY, `${ROUTING_CONCURRENCY} customers at a time`);
    },
    ONCE,
  );
});
