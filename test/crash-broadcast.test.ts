/**
 * A broadcast survives kill -9: `waymark local` runs in a child process, is killed with SIGKILL while the
 * broadcast is sending, and a new one on the same data folder finishes it. Every member enters once and
 * nobody gets the message twice; nobody is missed without a word: a marketing send the kill cut off
 * between reserving and recording is at most once, so it is not sent again and says so in the timeline.
 */
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { type EngineProcess, startEngineProcess } from './support/engine-process.ts';
import { withTempFolder } from './support/local-engine.ts';
import { audienceProject, oneSendJourney } from './support/audience.ts';

const MEMBERS = 120;
/** Generous: the machine may be busy with other suites, and the engine runs in a process of its own. */
const WAIT_MS = 150_000;
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

const running: EngineProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((engine) => engine.kill()));
});

/** A broadcast at a whole minute a day ahead of the real time, so it is never in the past for the validator. */
function broadcastTime(): Date {
  const at = new Date(Date.now() + 86_400_000);
  at.setUTCSeconds(0, 0);
  return at;
}

function project(dir: string, at: Date): void {
  audienceProject(dir, [
    oneSendJourney('crash-broadcast', {
      segment: 'tagged',
      at: at.toISOString().slice(0, 16),
      timeZone: 'UTC',
    }),
  ]);
}

const outboxSchema = z.object({
  messages: z.array(z.object({ customerId: z.string(), journeyId: z.string() })),
});

async function sent(engine: EngineProcess): Promise<string[]> {
  const response = await fetch(`${engine.endpoint}/_local/outbox?journeyId=crash-broadcast`);
  return outboxSchema.parse(await response.json()).messages.map((message) => message.customerId);
}

const timelineSchema = z.object({ entries: z.array(z.record(z.string(), z.unknown())) });

/** In how many executions the member entered the broadcast journey, and whether a send was left unconfirmed by the kill. */
async function entries(
  engine: EngineProcess,
  customerId: string,
): Promise<{ entered: number; unconfirmed: boolean }> {
  const response = await fetch(`${engine.endpoint}/_local/customers/${customerId}/timeline`);
  const timeline = timelineSchema.parse(await response.json()).entries;
  return {
    // Executions, not entries: an execution the restart re-ran from its start notes its entry again.
    entered: new Set(
      timeline
        .filter((entry) => entry.kind === 'journey' && entry.action === 'entered')
        .map((entry) => entry.executionId),
    ).size,
    unconfirmed: timeline.some(
      (entry) =>
        entry.kind === 'skipped' && typeof entry.reason === 'string' && entry.reason.includes('unconfirmed'),
    ),
  };
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('a broadcast killed with SIGKILL midway', () => {
  it('is finished by the next engine: every member once, nobody twice', async () => {
    await withTempFolder('waymark-crash-broadcast-', async (folder) => {
      try {
        await killAndFinish(folder);
      } finally {
        // A live engine still writes to its folder; removing the folder under it fails now and then.
        await Promise.all(running.splice(0).map((engine) => engine.kill()));
      }
    });
  }, 400_000);
});

/** Starts an engine, kills it once some members have their message, and lets a second one finish. */
async function killAndFinish(folder: string): Promise<void> {
  const journeysDir = join(folder, 'journeys');
  const dataDir = join(folder, 'data');
  const at = broadcastTime();
  project(journeysDir, at);
  // A minute a second: the profiles go in during the ten minutes before the broadcast.
  const args = ['--time-scale', '60'];
  const first = await startEngineProcess(dataDir, journeysDir, [
    ...args,
    '--clock-start',
    new Date(at.getTime() - 600_000).toISOString(),
  ]);
  running.push(first);
  const client = new EventBridgeClient({
    region: 'us-east-1',
    endpoint: first.endpoint,
    credentials: CREDENTIALS,
  });
  for (let start = 0; start < MEMBERS; start += 10) {
    await client.send(
      new PutEventsCommand({
        Entries: Array.from({ length: 10 }, (_, index) => ({
          EventBusName: 'waymark',
          Source: 'crash-test',
          DetailType: 'customer.profile.updated',
          Detail: JSON.stringify({
            customerId: `m-${start + index}`,
            email: `m-${start + index}@example.com`,
            consent: { email: 'opted-in' },
            tags: { add: ['newsletter'] },
          }),
        })),
      }),
    );
  }
  // Killed once some members have their message and others do not yet.
  await until(async () => (await sent(first)).length > 0, WAIT_MS);
  await first.kill();
  running.splice(0);
  const second = await startEngineProcess(dataDir, journeysDir, args);
  running.push(second);
  const members = Array.from({ length: MEMBERS }, (_, index) => `m-${index}`);
  // Done when every member has their message, or (marketing is at most once) an entry saying an
  // attempt cut off by the kill may or may not have sent it.
  let unconfirmed: string[] = [];
  await until(async () => {
    const delivered = new Set(await sent(second));
    const rest = members.filter((member) => !delivered.has(member));
    const explained = await Promise.all(
      rest.map(async (member) => (await entries(second, member)).unconfirmed),
    );
    unconfirmed = rest.filter((_, index) => explained[index] === true);
    return unconfirmed.length === rest.length;
  }, WAIT_MS);
  // A moment more: a duplicate would show up now.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const customers = await sent(second);
  expect(new Set(customers).size).toBe(customers.length);
  expect(customers.length + unconfirmed.length).toBe(MEMBERS);
  // Each member entered the journey once, whatever ran twice across the kill.
  for (const member of members) expect((await entries(second, member)).entered, member).toBe(1);
}
