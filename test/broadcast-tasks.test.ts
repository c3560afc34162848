/**
 * The audience function's tasks against the real local DynamoDB: what one
 * broadcast run does step by step, that every step can run twice without
 * anyone entering twice, and that entries are paced to the first send's rate.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { admit } from '../shared/store/journeys.ts';
import { describe, expect, it } from 'vitest';
import { profileKey } from '../shared/store/table.ts';
import type { BroadcastTask } from '../shared/contract/broadcast.ts';
import { type BroadcastOptions, runBroadcastTask } from '../shared/runtime/broadcast.ts';
import { readBroadcastRun } from '../shared/store/broadcasts.ts';
import { readCustomer } from '../shared/store/customers.ts';
import { eraseCustomer } from '../shared/runtime/preferences.ts';
import { memberExecutionName } from '../shared/audience/members.ts';
import { seedCustomer } from './support/runtime-fixtures.ts';
import { createTestRuntime, localServicesForFile, type TestRuntime } from './support/runtime-services.ts';

const services = localServicesForFile();

const OPTIONS: BroadcastOptions = { totalSegments: 3, account: '123456789012', region: 'us-east-1' };
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:waymark-test-black-friday';

/** A runtime whose project has one one-off broadcast to the sample "newsletter" segment, in customers' zones. */
async function broadcastRuntime(sendRates: Record<string, number> = {}): Promise<TestRuntime> {
  const runtime = await createTestRuntime(services, { settings: { sendRates } });
  const weekly = runtime.project.journeys.find((journey) => journey.id === 'weekly-newsletter');
  if (weekly === undefined) throw new Error('the sample weekly-newsletter is missing');
  runtime.project = {
    ...runtime.project,
    journeys: [
      {
        ...weekly,
        id: 'black-friday',
        trigger: { segment: 'newsletter', at: '2026-11-20T10:00', timeZone: 'customer' },
      },
    ],
  };
  return runtime;
}

async function subscriber(runtime: TestRuntime, customerId: string, timeZone?: string): Promise<void> {
  await seedCustomer(runtime, customerId, {
    email: `${customerId}@example.com`,
    consent: { email: 'opted-in' },
    tags: { add: ['newsletter'] },
    ...(timeZone === undefined ? {} : { timeZone }),
  });
}

const run = <K extends BroadcastTask['task']>(
  runtime: TestRuntime,
  task: Extract<BroadcastTask, { task: K }>,
) => runBroadcastTask(task, runtime, OPTIONS);

const REF = { journeyId: 'black-friday', runId: '2026-11-20T10:00' };

/** Plans the run as Scheduler would start it, when UTC+14 reaches 10:00 on 20 November. */
const planRun = (runtime: TestRuntime) =>
  run(runtime, {
    task: 'plan',
    journeyId: 'black-friday',
    scheduledTime: '2026-11-19T20:00:00.000Z',
    stateMachineArn: MACHINE,
  });

/** Every scan segment read to its end, as the Collect map's workers do. */
async function collectAll(runtime: TestRuntime, totalSegments = OPTIONS.totalSegments): Promise<void> {
  for (let segment = 0; segment < totalSegments; segment += 1) {
    let more = true;
    while (more) ({ more } = await run(runtime, { task: 'collect', ...REF, segment, totalSegments }));
  }
}

/** One call of an enter worker for the wave due at `dueAt`. */
const enterOnce = (runtime: TestRuntime, dueAt: string, segment: number, totalSegments: number) =>
  run(runtime, { task: 'enter', ...REF, dueAt, segment, totalSegments, stateMachineArn: MACHINE });

describe('a broadcast run, task by task', () => {
  it('collects the members by the instant each is due and starts them wave by wave, each once', async () => {
    const runtime = await broadcastRuntime();
    await subscriber(runtime, 'tokyo', 'Asia/Tokyo');
    await subscriber(runtime, 'lisbon', 'Europe/Lisbon');
    await subscriber(runtime, 'lisbon-2', 'Europe/Lisbon');
    await seedCustomer(runtime, 'not-subscribed', { email: 'n@example.com', consent: { email: 'opted-in' } });
    // A stored profile that no longer parses: not judged, but counted, so it does not vanish unnoticed.
    await runtime.store.db.send(
      new PutCommand({
        TableName: runtime.store.table,
        Item: {
          ...profileKey('damaged'),
          profile: { customerId: 'damaged', timeZone: 'Mars/Base' },
          profileVersion: 1,
        },
      }),
    );
    const plan = await planRun(runtime);
    expect(plan).toMatchObject({ skip: false, runId: '2026-11-20T10:00', segments: [0, 1, 2] });
    await collectAll(runtime);
    // Again, as a retried worker would: the same chunks, nobody counted twice.
    await collectAll(runtime);
    const first = await run(runtime, { task: 'nextWave', ...REF });
    expect(first).toEqual({ done: false, dueAt: '2026-11-20T01:00:00.000Z', targeted: 3, started: 0 });
    for (const segment of [0, 1, 2]) await enterOnce(runtime, '2026-11-20T01:00:00.000Z', segment, 3);
    const second = await run(runtime, { task: 'nextWave', ...REF });
    expect(second).toEqual({ done: false, dueAt: '2026-11-20T10:00:00.000Z', targeted: 3, started: 1 });
    for (const segment of [0, 1, 2]) await enterOnce(runtime, '2026-11-20T10:00:00.000Z', segment, 3);
    expect(await run(runtime, { task: 'nextWave', ...REF })).toEqual({ done: true, targeted: 3, started: 3 });
    expect(await run(runtime, { task: 'finish', ...REF })).toEqual({ targeted: 3, started: 3 });
    const starts = [...runtime.workflows.starts.values()];
    expect(starts.map((start) => start.stateMachineArn)).toEqual([MACHINE, MACHINE, MACHINE]);
    expect(starts.map((start) => start.input)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: 'broadcast:black-friday:2026-11-20T10:00',
          'detail-type': 'waymark.audience.broadcast',
          detail: expect.objectContaining({ customerId: 'tokyo', scheduledFor: '2026-11-20T01:00:00.000Z' }),
        }),
      ]),
    );
    expect(await readBroadcastRun(runtime.store, 'black-friday', '2026-11-20T10:00')).toMatchObject({
      status: 'done',
      targeted: 3,
      started: 3,
      unreadable: 1,
    });
    // A finished run is not run again by a late or repeated schedule.
    expect(await planRun(runtime)).toMatchObject({ skip: true, reason: 'the run already finished' });
  });

  it("paces entries to the first send's rate: a window's worth per worker, then a time to go on", async () => {
    // 1 email a second over 60 workers: one member per worker and minute.
    const runtime = await broadcastRuntime({ email: 1 });
    for (const id of ['a', 'b', 'c']) await subscriber(runtime, id, 'Europe/Lisbon');
    await planRun(runtime);
    // One scan segment holds everyone, so one worker enters them all.
    await collectAll(runtime, 1);
    const enter = () => enterOnce(runtime, '2026-11-20T10:00:00.000Z', 0, 60);
    const first = await enter();
    expect(first).toEqual({
      more: true,
      started: 1,
      resumeAt: new Date(runtime.now().getTime() + 60_000).toISOString(),
    });
    expect(runtime.workflows.starts.size).toBe(1);
    await enter();
    const third = await enter();
    expect(runtime.workflows.starts.size).toBe(3);
    expect(third.started).toBe(1);
    expect(await enter()).toEqual({ more: false, started: 0 });
  });

  it('starts no member erased since the run collected them, and nobody once the journey is paused', async () => {
    const runtime = await broadcastRuntime();
    for (const id of ['kept', 'erased', 'later']) await subscriber(runtime, id, 'Europe/Lisbon');
    await planRun(runtime);
    await collectAll(runtime, 1);
    await eraseCustomer(runtime, 'erased');
    // An event of another journey since: the customer item is back, holding a place and no profile.
    await admit(
      runtime.store,
      'erased',
      'another-journey',
      'exec-other',
      { kind: 'event', eventId: 'event-other' },
      { reentry: 'always', maxConcurrent: 1 },
      runtime.now(),
    );
    const enter = () => enterOnce(runtime, '2026-11-20T10:00:00.000Z', 0, 1);
    // Paused before the wave: nobody goes in, and the next wave ends the run.
    const journey = runtime.project.journeys[0];
    if (journey === undefined) throw new Error('no journey');
    runtime.project = { ...runtime.project, journeys: [{ ...journey, status: 'paused' }] };
    expect(await enter()).toEqual({ more: false, started: 0 });
    expect(await run(runtime, { task: 'nextWave', ...REF })).toMatchObject({ done: true });
    runtime.project = { ...runtime.project, journeys: [journey] };
    await enter();
    const started = [...runtime.workflows.starts.values()].map((start) => start.name);
    expect(started.sort()).toEqual(
      [memberExecutionName(REF.runId, 'kept'), memberExecutionName(REF.runId, 'later')].sort(),
    );
    // Nothing of the erased customer's profile came back.
    expect(await readCustomer(runtime.store, 'erased')).toMatchObject({ found: false });
  });
});
