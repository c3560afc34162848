/**
 * What PutEvents acknowledges survives a crash: the engine runs as `waymark local` in a child process, is
 * killed with SIGKILL right after it answered, and a new one on the same data folder routes every
 * acknowledged event exactly once (one history entry, one journey execution), and nothing it had already
 * routed again.
 */
import { appendFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { localEnvelope } from '../infra/local/envelope.ts';
import { openIntakeJournal } from '../infra/local/intake-journal.ts';
import type { EventEnvelope } from '../shared/events/catalog.ts';
import { sampleExample } from './support/events.ts';
import { type EngineProcess, startEngineProcess } from './support/engine-process.ts';
import { withTempFolder } from './support/local-engine.ts';

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
/** The journey chat.session.ended (unresolved) starts: one execution per event. */
const CHAT_JOURNEY = 'chat-followup';

interface Entry {
  customerId: string;
  detailType: 'customer.profile.updated' | 'chat.session.ended';
}

interface Acknowledged extends Entry {
  eventId: string;
}

const running: EngineProcess[] = [];
const killRunning = async (): Promise<void> => {
  await Promise.all(running.splice(0).map((engine) => engine.kill()));
};
afterEach(killRunning);

/** A data folder for engine processes: every engine started on it is stopped before the folder goes. */
function withDataFolder(use: (dataDir: string) => Promise<void>): Promise<void> {
  return withTempFolder('waymark-crash-', async (dataDir) => {
    try {
      await use(dataDir);
    } finally {
      // A live engine still writes to its folder; removing the folder under it fails now and then.
      await killRunning();
    }
  });
}

async function start(dataDir: string): Promise<EngineProcess> {
  const engine = await startEngineProcess(dataDir);
  running.push(engine);
  return engine;
}

function eventBridge(engine: EngineProcess): EventBridgeClient {
  // One attempt: after the kill a retry could only fail again, and slowly.
  return new EventBridgeClient({
    region: 'us-east-1',
    endpoint: engine.endpoint,
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
}

function chats(prefix: string, count: number): Entry[] {
  return Array.from({ length: count }, (_, index) => ({
    customerId: `${prefix}-${index}`,
    detailType: 'chat.session.ended',
  }));
}

/** One PutEvents call; the entries it acknowledged, with their event ids. */
async function put(client: EventBridgeClient, entries: readonly Entry[]): Promise<Acknowledged[]> {
  const answer = await client.send(
    new PutEventsCommand({
      Entries: entries.map((entry) => ({
        EventBusName: 'waymark',
        Source: 'crash-test',
        DetailType: entry.detailType,
        Detail: JSON.stringify(
          entry.detailType === 'chat.session.ended'
            ? { ...sampleExample('chat.session.ended'), customerId: entry.customerId, resolved: false }
            : { customerId: entry.customerId, email: `${entry.customerId}@example.com` },
        ),
      })),
    }),
  );
  return entries.flatMap((entry, index) => {
    const eventId = answer.Entries?.[index]?.EventId;
    return eventId === undefined ? [] : [{ ...entry, eventId }];
  });
}

/** Puts the entries ten to a call, `producers` calls at a time, until all are put or `stop` says so. */
async function putInCalls(
  client: EventBridgeClient,
  entries: readonly Entry[],
  producers: number,
  onAnswer: (acknowledged: readonly Acknowledged[]) => void = () => undefined,
): Promise<void> {
  const calls: Entry[][] = [];
  for (let first = 0; first < entries.length; first += 10) calls.push(entries.slice(first, first + 10));
  let next = 0;
  const producer = async (): Promise<void> => {
    for (let call = calls[next++]; call !== undefined; call = calls[next++]) {
      let acknowledged: Acknowledged[];
      try {
        acknowledged = await put(client, call);
      } catch {
        // The engine was killed while this call was on its way: nothing in it was acknowledged.
        return;
      }
      onAnswer(acknowledged);
    }
  };
  await Promise.all(Array.from({ length: producers }, producer));
}

/** Answers once everything the engine has to do now is done: every accepted event routed. */
async function settle(engine: EngineProcess): Promise<void> {
  const response = await fetch(`${engine.endpoint}/_local/clock`, { method: 'POST', body: '{}' });
  expect(response.status).toBe(200);
}

const timelineSchema = z.object({ entries: z.array(z.record(z.string(), z.unknown())) });

/** How many times each of the customer's events is in their history. */
async function historyCounts(engine: EngineProcess, customerId: string): Promise<Map<string, number>> {
  const response = await fetch(
    `${engine.endpoint}/_local/customers/${encodeURIComponent(customerId)}/timeline`,
  );
  const counts = new Map<string, number>();
  for (const entry of timelineSchema.parse(await response.json()).entries) {
    if (entry.kind !== 'event' || typeof entry.eventId !== 'string') continue;
    counts.set(entry.eventId, (counts.get(entry.eventId) ?? 0) + 1);
  }
  return counts;
}

/** How many executions of the chat journey each trigger event started. */
async function executionsPerEvent(engine: EngineProcess): Promise<Map<string, number>> {
  const sfn = new SFNClient({ region: 'us-east-1', endpoint: engine.endpoint, credentials: CREDENTIALS });
  const machines = await sfn.send(new ListStateMachinesCommand({}));
  const machine = machines.stateMachines?.find((candidate) => candidate.name === CHAT_JOURNEY);
  const counts = new Map<string, number>();
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: machine?.stateMachineArn,
        maxResults: 1000,
        ...(nextToken === undefined ? {} : { nextToken }),
      }),
    );
    for (const execution of page.executions ?? []) {
      const described = await sfn.send(
        new DescribeExecutionCommand({ executionArn: execution.executionArn }),
      );
      const input = z.object({ id: z.string() }).parse(JSON.parse(described.input ?? '{}'));
      counts.set(input.id, (counts.get(input.id) ?? 0) + 1);
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return counts;
}

/** The customers whose events the engine began to route, one per line it printed. */
function routedCustomers(output: string): string[] {
  return [...output.matchAll(/\] event \S+ \(([^)]+)\) →/g)].flatMap((match) =>
    match[1] === undefined ? [] : [match[1]],
  );
}

async function expectRoutedOnce(engine: EngineProcess, acknowledged: readonly Acknowledged[]): Promise<void> {
  const executions = await executionsPerEvent(engine);
  const customers = [...new Set(acknowledged.map((event) => event.customerId))];
  const histories = new Map(
    await Promise.all(
      customers.map(async (customerId) => [customerId, await historyCounts(engine, customerId)] as const),
    ),
  );
  const missing = acknowledged.filter(
    (event) => histories.get(event.customerId)?.get(event.eventId) === undefined,
  );
  expect(
    missing.map((event) => event.customerId),
    'acknowledged events missing from the history',
  ).toEqual([]);
  for (const event of acknowledged) {
    expect(histories.get(event.customerId)?.get(event.eventId)).toBe(1);
    if (event.detailType === 'chat.session.ended') expect(executions.get(event.eventId)).toBe(1);
  }
  // No event started its journey twice, acknowledged or not.
  expect([...executions.values()].filter((count) => count !== 1)).toEqual([]);
}

describe('intake across a crash (kill -9 of waymark local)', () => {
  it('routes every event acknowledged just before the kill after the restart, and nothing routed before it again', async () => {
    await withDataFolder(async (dataDir) => {
      const first = await start(dataDir);
      const client = eventBridge(first);
      const before = await put(client, chats('routed', 10));
      await settle(first);
      const acknowledged: Acknowledged[] = [];
      await putInCalls(client, chats('answered', 30), 3, (answered) => acknowledged.push(...answered));
      await first.kill();
      expect(acknowledged).toHaveLength(30);

      const second = await start(dataDir);
      await settle(second);
      await expectRoutedOnce(second, [...before, ...acknowledged]);
      expect(routedCustomers(second.output()).filter((customer) => customer.startsWith('routed-'))).toEqual(
        [],
      );
    });
  });

  it('routes, once, the events acknowledged while routing was under way when the engine was killed', async () => {
    await withDataFolder(async (dataDir) => {
      const first = await start(dataDir);
      const client = eventBridge(first);
      const burst: Entry[] = Array.from({ length: 150 }, (_, index): Entry[] => [
        { customerId: `burst-${index}`, detailType: 'customer.profile.updated' },
        { customerId: `burst-${index}`, detailType: 'chat.session.ended' },
      ]).flat();
      const acknowledged: Acknowledged[] = [];
      let kill: Promise<void> | undefined;
      await putInCalls(client, burst, 5, (answered) => {
        acknowledged.push(...answered);
        // Mid-burst: calls are still on their way and routing has a backlog.
        if (acknowledged.length >= 100) kill ??= first.kill();
      });
      await kill;
      const routedBeforeKill = routedCustomers(first.output()).length;
      // The point of this test: some acknowledged events had not been routed yet when the engine died.
      expect(routedBeforeKill).toBeLessThan(acknowledged.length);

      const second = await start(dataDir);
      await settle(second);
      await expectRoutedOnce(second, acknowledged);
    });
  });
});

describe('the intake journal on disk', () => {
  const event = (customerId: string): EventEnvelope =>
    localEnvelope({
      source: 'crash-test',
      detailType: 'customer.profile.updated',
      detail: { customerId },
      time: '2026-11-18T12:00:00Z',
    });
  const files = (dir: string): string[] => readdirSync(dir).sort();
  const bytes = (dir: string): number =>
    files(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);

  it('skips a last line a crash cut short (it was never acknowledged) and keeps every whole one', async () => {
    await withTempFolder('waymark-journal-', async (dir) => {
      const [routed, waiting, later] = [event('routed'), event('waiting'), event('later')];
      const first = await openIntakeJournal(dir);
      await first.append([routed, waiting]);
      first.markRouted(routed.id);
      await first.close();
      const accepted = files(dir).find((file) => file.endsWith('.accepted.jsonl')) ?? '';
      appendFileSync(join(dir, accepted), JSON.stringify(event('torn')).slice(0, 40));

      const second = await openIntakeJournal(dir);
      expect(second.unrouted.map((unrouted) => unrouted.detail.customerId)).toEqual(['waiting']);
      await second.append([later]);
      await second.close();
      const third = await openIntakeJournal(dir);
      expect(third.unrouted.map((unrouted) => unrouted.detail.customerId)).toEqual(['waiting', 'later']);
      await third.close();
    });
  });

  it('keeps about the backlog on disk, not every event it ever took', async () => {
    await withTempFolder('waymark-journal-', async (dir) => {
      const journal = await openIntakeJournal(dir);
      const size = Buffer.byteLength(`${JSON.stringify(event('sized'))}\n`);
      for (let call = 0; call < 100; call += 1) {
        const events = Array.from({ length: 100 }, (_, index) => event(`c${call}-${index}`));
        await journal.append(events);
        for (const routed of events) journal.markRouted(routed.id);
      }
      // 10,000 events taken and routed: what stays is at most the segment still being written.
      expect(bytes(dir)).toBeLessThan(2_500 * size);
      await journal.close();
      const reopened = await openIntakeJournal(dir);
      expect(reopened.unrouted).toEqual([]);
      expect(bytes(dir)).toBe(0);
      await reopened.close();
    });
  });
});

describe('the clock across a crash (kill -9 of waymark local)', () => {
  it('keeps a clock move it answered, though the engine is killed right after the answer', async () => {
    await withTempFolder('waymark-clock-', async (dataDir) => {
      const first = await start(dataDir);
      const moved = await fetch(`${first.endpoint}/_local/clock`, {
        method: 'POST',
        body: JSON.stringify({ by: '5h' }),
      });
      expect(moved.status).toBe(200);
      const answered = z.object({ now: z.string() }).parse(await moved.json()).now;
      await first.kill();

      const second = await start(dataDir);
      const health = await fetch(`${second.endpoint}/_local/health`);
      const now = z.object({ now: z.string() }).parse(await health.json()).now;
      expect(Date.parse(now)).toBeGreaterThanOrEqual(Date.parse(answered));
    });
  });
});
