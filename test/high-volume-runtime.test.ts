/**
 * A high-volume run between its parts (shared/runtime/parts.ts) over the real table (dynalite): the
 * park written once and its schedule named once, however often the part runs; the first of schedule
 * and event taking the park, and a copy of the winner's part going on under the same part time;
 * exits cancelling what is scheduled; a copy of the trigger after the run refused.
 * Scheduler itself is recorded here (its local stand-in is tested in local-scheduler.test.ts, and
 * the whole way in parity-high-volume.test.ts and crash-parts.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { parseTask, stepsTaskSchema } from '../shared/contract/parse.ts';
import type { StepsTask } from '../shared/contract/tasks.ts';
import { deliver } from '../shared/runtime/deliver.ts';
import { runMayBeRunning, stopRun } from '../shared/runtime/parts.ts';
import { eraseCustomer } from '../shared/runtime/preferences.ts';
import { resumeWaits } from '../shared/runtime/resume.ts';
import type { OneTimeSchedule, ScheduleControl } from '../shared/runtime/runtime.ts';
import { runStepsTask } from '../shared/runtime/steps.ts';
import { writeLedger } from '../shared/store/customers.ts';
import { readMembership, release } from '../shared/store/journeys.ts';
import { parksOfRun } from '../shared/store/parks.ts';
import { waitsFor } from '../shared/store/waits.ts';
import {
  cartTrigger,
  deliverTask,
  envelope,
  fixtureEvent,
  seedCustomer,
} from './support/runtime-fixtures.ts';
import {
  createTestRuntime,
  historyEntries,
  localServicesForFile,
  type TestRuntime,
} from './support/runtime-services.ts';

const services = localServicesForFile();
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:waymark-test-cart-abandonment_express';
const ROLE = 'arn:aws:iam::123456789012:role/waymark-test-cart-abandonment-scheduler';

interface RecordedSchedules extends ScheduleControl {
  created: OneTimeSchedule[];
  deleted: string[];
  live: Map<string, OneTimeSchedule>;
}

function recordingSchedules(): RecordedSchedules {
  const schedules: RecordedSchedules = {
    created: [],
    deleted: [],
    live: new Map(),
    create(schedule) {
      if (schedules.live.has(schedule.name)) return Promise.resolve('exists');
      schedules.live.set(schedule.name, schedule);
      schedules.created.push(schedule);
      return Promise.resolve('created');
    },
    delete(name) {
      schedules.deleted.push(name);
      return Promise.resolve(schedules.live.delete(name));
    },
  };
  return schedules;
}

async function highVolumeRuntime(): Promise<TestRuntime & { schedules: RecordedSchedules }> {
  const runtime = await createTestRuntime(services);
  return { ...runtime, schedules: recordingSchedules() };
}

type Task<K extends StepsTask['task']> = Extract<StepsTask, { task: K }>;

function enter(customerId: string, eventId: string): Task<'enter'> {
  return {
    task: 'enter',
    journeyId: 'cart-abandonment',
    journeyVersion: 1,
    executionId: `cart-abandonment/${eventId}`,
    customerId,
    enteredAt: '2026-11-18T15:00:00.000Z',
    trigger: { ...cartTrigger(customerId), id: eventId },
    entry: { reentry: 'always', maxConcurrent: 1 },
    values: {},
    parts: true,
  };
}

function parkTask(
  customerId: string,
  run: { id: string; at: string },
  overrides: Partial<Task<'park'>> = {},
): Task<'park'> {
  return {
    task: 'park',
    journeyId: 'cart-abandonment',
    journeyVersion: 1,
    executionId: run.id,
    customerId,
    enteredAt: run.at,
    stepId: 'wait-an-hour',
    next: 'remind',
    wake: { seconds: 3600 },
    state: { customerId, steps: { remind: { outcome: { status: 'sent' } } }, run: { ...run, next: null } },
    machine: MACHINE,
    role: ROLE,
    now: run.at,
    ...overrides,
  };
}

/**
 * The resume task the part started with `input` (a schedule's, or the resume function's) runs first,
 * parsed as the steps function parses it.
 */
function resumeTask(input: unknown): Task<'resume'> {
  const resume = typeof input === 'object' && input !== null && 'resume' in input ? input.resume : undefined;
  const customerId =
    typeof resume === 'object' && resume !== null && 'customerId' in resume ? resume.customerId : undefined;
  const task = parseTask(stepsTaskSchema, {
    task: 'resume',
    journeyId: 'cart-abandonment',
    journeyVersion: 1,
    executionId: 'arn:aws:states:us-east-1:123456789012:express:part',
    customerId,
    resume,
  });
  if (task.task !== 'resume') throw new Error('not a resume task');
  return task;
}

function scheduledInput(schedule: OneTimeSchedule | undefined): unknown {
  if (schedule === undefined) throw new Error('nothing was scheduled');
  return schedule.target.input;
}

/** Enters a run and returns it as the first part's state carries it. */
async function enteredRun(runtime: TestRuntime, customerId: string, eventId: string) {
  await seedCustomer(runtime, customerId);
  const entered = await runStepsTask(enter(customerId, eventId), runtime);
  if (!('run' in entered) || entered.run === undefined) throw new Error('no run');
  return { id: entered.run.id, at: entered.run.at };
}

describe('a high-volume run enters', () => {
  it('under the journey and event, timed by the admission; a copy of the first part gets the same run', async () => {
    const runtime = await highVolumeRuntime();
    await seedCustomer(runtime, 'hv-enter');
    const first = await runStepsTask(enter('hv-enter', 'evt-1'), runtime);
    expect(first).toMatchObject({
      admitted: true,
      run: { id: 'cart-abandonment/evt-1', at: '2026-11-18T15:00:00.000Z', next: null },
    });
    runtime.clock.now = new Date('2026-11-18T15:00:07Z');
    // Express runs a part at least once: the copy is the same run, at the same part time.
    expect(await runStepsTask(enter('hv-enter', 'evt-1'), runtime)).toMatchObject({
      admitted: true,
      run: { id: 'cart-abandonment/evt-1', at: '2026-11-18T15:00:00.000Z' },
    });
  });

  it('refuses a copy of its trigger once the run has ended, as a copy, not a new run', async () => {
    const runtime = await highVolumeRuntime();
    const run = await enteredRun(runtime, 'hv-copy', 'evt-2');
    // The run sent (the ledger names it) and ended. A Standard execution found so is one run again
    // after a local crash; a run of this event is the event itself coming again.
    const time = runtime.now().toISOString();
    await writeLedger(runtime.store, 'hv-copy', 0, [
      {
        key: `${run.id}#remind`,
        channel: 'email',
        journeyId: 'cart-abandonment',
        category: 'marketing',
        time,
        keepUntil: time,
      },
    ]);
    await release(runtime.store, 'hv-copy', 'cart-abandonment', run.id);
    runtime.clock.now = new Date('2026-11-19T10:00:00Z');
    expect(await runStepsTask(enter('hv-copy', 'evt-2'), runtime)).toMatchObject({
      admitted: false,
      reason: 'duplicate-event',
    });
    expect((await readMembership(runtime.store, 'hv-copy', 'cart-abandonment')).active).toEqual([]);
  });
});

describe('a park', () => {
  it('keeps the state and leaves one schedule for the wake, however often the part runs', async () => {
    const runtime = await highVolumeRuntime();
    const run = await enteredRun(runtime, 'hv-park', 'evt-3');
    const task = parkTask('hv-park', run);
    expect(await runStepsTask(task, runtime)).toEqual({ parked: 'scheduled' });
    expect(await runStepsTask({ ...task, now: '2026-11-18T15:00:09.000Z' }, runtime)).toEqual({
      parked: 'scheduled',
    });
    expect(runtime.schedules.created).toHaveLength(1);
    const [schedule] = runtime.schedules.created;
    expect(schedule?.at.toISOString()).toBe('2026-11-18T16:00:00.000Z');
    expect(schedule?.name).toMatch(/^wm-[A-Za-z0-9_-]{40}$/);
    expect(schedule?.target).toMatchObject({ stateMachineArn: MACHINE, roleArn: ROLE });
    expect(resumeTask(scheduledInput(schedule)).resume).toMatchObject({
      customerId: 'hv-park',
      journeyId: 'cart-abandonment',
      by: { kind: 'schedule' },
    });
    const parks = await parksOfRun(runtime.store, 'hv-park', run.id);
    expect(parks.map((parked) => [parked.stateName, parked.status, parked.wakeAt])).toEqual([
      ['wait-an-hour', 'waiting', '2026-11-18T16:00:00.000Z'],
    ]);
  });

  it('starts the next part itself when its wake is due already', async () => {
    const runtime = await highVolumeRuntime();
    const run = await enteredRun(runtime, 'hv-due', 'evt-4');
    const task = parkTask('hv-due', run, { wake: { at: '2026-11-18T14:00:00.000Z' } });
    expect(await runStepsTask(task, runtime)).toEqual({ parked: 'started' });
    expect(runtime.schedules.created).toEqual([]);
    expect([...runtime.workflows.starts.values()]).toEqual([
      expect.objectContaining({
        stateMachineArn: MACHINE,
        input: expect.objectContaining({ resume: expect.anything() }),
      }),
    ]);
  });

  it('refuses a state bigger than a park keeps, naming its size', async () => {
    const runtime = await highVolumeRuntime();
    const run = await enteredRun(runtime, 'hv-big', 'evt-5');
    const task = parkTask('hv-big', run, { state: { blob: 'x'.repeat(400_000) } });
    await expect(runStepsTask(task, runtime)).rejects.toThrow(/400\d{3} bytes, more than a park keeps/);
  });
});

describe('the next part resumes', () => {
  it('with the state as it was and the run moved on; a copy of the part runs under the same part time', async () => {
    const runtime = await highVolumeRuntime();
    const run = await enteredRun(runtime, 'hv-resume', 'evt-6');
    await runStepsTask(parkTask('hv-resume', run), runtime);
    const input = scheduledInput(runtime.schedules.created[0]);
    runtime.clock.now = new Date('2026-11-18T16:00:30Z');
    const resumed = await runStepsTask(resumeTask(input), runtime);
    expect(resumed).toEqual({
      customerId: 'hv-resume',
      steps: { remind: { outcome: { status: 'sent' } } },
      run: { id: run.id, at: '2026-11-18T16:00:30.000Z', next: 'remind' },
    });
    runtime.clock.now = new Date('2026-11-18T16:01:10Z');
    expect(await runStepsTask(resumeTask(input), runtime)).toEqual(resumed);
  });

  it('not at all once the run has left its place (a goal, an exit)', async () => {
    const runtime = await highVolumeRuntime();
    const run = await enteredRun(runtime, 'hv-left', 'evt-7');
    await runStepsTask(parkTask('hv-left', run), runtime);
    await release(runtime.store, 'hv-left', 'cart-abandonment', run.id);
    const resumed = await runStepsTask(resumeTask(scheduledInput(runtime.schedules.created[0])), runtime);
    expect(resumed).toMatchObject({ run: { next: null } });
  });

  it('not at all after an exit: the parks are exited and their schedules deleted', async () => {
    const runtime = await highVolumeRuntime();
    const run = await enteredRun(runtime, 'hv-exit', 'evt-8');
    await runStepsTask(parkTask('hv-exit', run), runtime);
    expect(await stopRun(runtime, 'hv-exit', run.id, 'goal')).toBe(true);
    expect(runtime.schedules.deleted).toEqual([runtime.schedules.created[0]?.name]);
    expect((await parksOfRun(runtime.store, 'hv-exit', run.id)).map((parked) => parked.status)).toEqual([
      'exited',
    ]);
    // A schedule that fired before its deletion finds the park taken.
    const resumed = await runStepsTask(resumeTask(scheduledInput(runtime.schedules.created[0])), runtime);
    expect(resumed).toMatchObject({ run: { next: null } });
    expect(await stopRun(runtime, 'hv-exit', run.id, 'again')).toBe(false);
  });
});

describe('a waitForEvent between parts', () => {
  const awaits = { event: { event: 'order.placed' }, next: 'purchased' };

  async function parkedOnOrder(runtime: TestRuntime & { schedules: RecordedSchedules }, customerId: string) {
    const run = await enteredRun(runtime, customerId, `evt-${customerId}`);
    const task = parkTask(customerId, run, {
      stepId: 'await-order',
      next: 'nudge',
      wake: { seconds: 82_800 },
      awaits,
    });
    expect(await runStepsTask(task, runtime)).toEqual({ parked: 'scheduled' });
    return run;
  }

  function order(customerId: string, time: string) {
    return envelope('order.placed', { ...fixtureEvent('order.placed').detail, customerId }, time);
  }

  it('goes on the event path when the event comes first; the timeout then finds the park taken', async () => {
    const runtime = await highVolumeRuntime();
    const run = await parkedOnOrder(runtime, 'hv-order');
    expect(await waitsFor(runtime.store, 'hv-order', 'order.placed')).toHaveLength(1);
    runtime.clock.now = new Date('2026-11-18T18:00:00Z');
    const event = order('hv-order', '2026-11-18T18:00:00Z');
    expect(await resumeWaits(event, runtime)).toMatchObject({ status: 'handled', resumed: 1 });
    const [start] = [...runtime.workflows.starts.values()];
    const byEvent = resumeTask(start?.input);
    expect(byEvent.resume.by).toEqual({
      kind: 'event',
      event: { eventId: event.id, detailType: 'order.placed', time: '2026-11-18T18:00:00Z' },
    });
    const resumed = await runStepsTask(byEvent, runtime);
    expect(resumed).toMatchObject({
      steps: { 'await-order': { eventId: event.id, detailType: 'order.placed' } },
      run: { id: run.id, next: 'purchased' },
    });
    // The registration and the timeout's schedule are gone; the timeout, had it fired, goes nowhere.
    expect(await waitsFor(runtime.store, 'hv-order', 'order.placed')).toEqual([]);
    expect(runtime.schedules.deleted).toEqual([runtime.schedules.created[0]?.name]);
    const timeout = await runStepsTask(resumeTask(scheduledInput(runtime.schedules.created[0])), runtime);
    expect(timeout).toMatchObject({ run: { next: null } });
  });

  it('goes on the timeout path, with the timeout where Standard puts it, when the schedule comes first', async () => {
    const runtime = await highVolumeRuntime();
    await parkedOnOrder(runtime, 'hv-late');
    runtime.clock.now = new Date('2026-11-19T14:00:30Z');
    const resumed = await runStepsTask(resumeTask(scheduledInput(runtime.schedules.created[0])), runtime);
    expect(resumed).toMatchObject({
      steps: { 'await-order': { timeout: { Error: 'States.Timeout' } } },
      run: { next: 'nudge' },
    });
    // The order after the timeout resumes nothing (its registration went with the timeout).
    expect(await resumeWaits(order('hv-late', '2026-11-19T15:00:00Z'), runtime)).toMatchObject({
      resumed: 0,
    });
  });

  it('goes on at once when the event came before the wait was registered', async () => {
    const runtime = await highVolumeRuntime();
    const run = await enteredRun(runtime, 'hv-early', 'evt-early');
    await resumeWaits(order('hv-early', '2026-11-18T15:00:00Z'), runtime);
    const task = parkTask('hv-early', run, {
      stepId: 'await-order',
      next: 'nudge',
      wake: { seconds: 82_800 },
      awaits,
    });
    expect(await runStepsTask(task, runtime)).toEqual({ parked: 'started' });
    expect(runtime.schedules.created).toEqual([]);
  });
});

function finishTask(customerId: string, run: { id: string; at: string }): Task<'finish'> {
  return {
    task: 'finish',
    outcome: 'completed',
    stepId: 'done',
    journeyId: 'cart-abandonment',
    journeyVersion: 1,
    executionId: run.id,
    customerId,
    enteredAt: run.at,
  };
}

function updateTask(customerId: string, run: { id: string; at: string }): Task<'updateProfile'> {
  return {
    task: 'updateProfile',
    stepId: 'mark',
    set: { vip: true },
    addTags: [],
    removeTags: [],
    trigger: cartTrigger(customerId),
    values: {},
    journeyId: 'cart-abandonment',
    journeyVersion: 1,
    executionId: run.id,
    customerId,
    enteredAt: run.at,
  };
}

describe('a run that ends while one of its parts runs', () => {
  it('sends nothing more, records no end of its own and changes no profile after a goal freed its place', async () => {
    const runtime = await highVolumeRuntime();
    const run = await enteredRun(runtime, 'hv-goal', 'evt-goal');
    // The goal's exit frees the place while the part is between its claim and its send.
    expect(await stopRun(runtime, 'hv-goal', run.id, 'goal')).toBe(false);
    await release(runtime.store, 'hv-goal', 'cart-abandonment', run.id);
    const task = deliverTask('hv-goal', { executionId: run.id, enteredAt: run.at, finishes: true });
    expect(await deliver(task, runtime)).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/journey ended/),
    });
    expect(
      (await services.emails()).filter((email) => email.destination.to.includes('ana@example.com')),
    ).toEqual([]);
    const finish = finishTask('hv-goal', run);
    await runStepsTask(finish, runtime);
    const update = updateTask('hv-goal', run);
    expect(await runStepsTask(update, runtime)).toEqual({ updated: [] });
    const entries = await historyEntries(runtime, 'hv-goal');
    expect(entries.filter((entry) => entry.kind !== 'event')).toEqual([]);
    expect(await runStepsTask(parkTask('hv-goal', run), runtime)).toEqual({ parked: 'run-ended' });
    expect(runtime.schedules.created).toEqual([]);
  });

  it('writes nothing back after an erasure: the park is not made, nothing is scheduled', async () => {
    const runtime = await highVolumeRuntime();
    const run = await enteredRun(runtime, 'hv-erased', 'evt-erased');
    expect(await eraseCustomer(runtime, 'hv-erased')).toMatchObject({ status: 'erased' });
    expect(await runStepsTask(parkTask('hv-erased', run), runtime)).toEqual({ parked: 'run-ended' });
    const task = deliverTask('hv-erased', { executionId: run.id, enteredAt: run.at });
    expect(await deliver(task, runtime)).toMatchObject({ status: 'failed' });
    expect(await historyEntries(runtime, 'hv-erased')).toEqual([]);
    expect(await parksOfRun(runtime.store, 'hv-erased', run.id)).toEqual([]);
    expect(runtime.schedules.created).toEqual([]);
  });

  it('records its end once: a copy of its last part finds the place freed and records none', async () => {
    const runtime = await highVolumeRuntime();
    const run = await enteredRun(runtime, 'hv-end', 'evt-end');
    const finish = finishTask('hv-end', run);
    await runStepsTask(finish, runtime);
    runtime.clock.now = new Date('2026-11-18T15:00:30Z');
    await runStepsTask({ ...finish, enteredAt: '2026-11-18T15:00:30.000Z' }, runtime);
    const ends = (await historyEntries(runtime, 'hv-end')).filter((entry) => entry.kind === 'journey');
    expect(ends.map((entry) => (entry.kind === 'journey' ? entry.action : ''))).toEqual(['completed']);
  });
});

describe('copies and keys', () => {
  it("gives a copy of a run's first part the run's own admission time, whatever was admitted since", async () => {
    const runtime = await highVolumeRuntime();
    await seedCustomer(runtime, 'hv-two');
    const twoAtOnce = (eventId: string): Task<'enter'> => ({
      ...enter('hv-two', eventId),
      entry: { reentry: 'always', maxConcurrent: 2 },
    });
    const first = await runStepsTask(twoAtOnce('evt-a'), runtime);
    runtime.clock.now = new Date('2026-11-18T15:05:00Z');
    await runStepsTask(twoAtOnce('evt-b'), runtime);
    runtime.clock.now = new Date('2026-11-18T15:06:00Z');
    const copy = await runStepsTask(twoAtOnce('evt-a'), runtime);
    expect(first).toMatchObject({ run: { at: '2026-11-18T15:00:00.000Z' } });
    expect(copy).toMatchObject({
      admitted: true,
      run: { id: 'cart-abandonment/evt-a', at: '2026-11-18T15:00:00.000Z' },
    });
  });

  it("keeps the wait's beginning for the event whichever copy registers it", async () => {
    const runtime = await highVolumeRuntime();
    const run = await enteredRun(runtime, 'hv-since', 'evt-since');
    const task = parkTask('hv-since', run, {
      stepId: 'await-order',
      next: 'nudge',
      wake: { seconds: 82_800 },
      awaits: { event: { event: 'order.placed' }, next: 'purchased' },
    });
    await runStepsTask(task, runtime);
    await runStepsTask({ ...task, now: '2026-11-18T15:00:40.000Z' }, runtime);
    const [registration] = await waitsFor(runtime.store, 'hv-since', 'order.placed');
    expect(registration?.since).toBe('2026-11-18T15:00:00.000Z');
  });

  it('keeps two runs apart whose event ids one extends the other by "#"', async () => {
    const runtime = await highVolumeRuntime();
    const short = await enteredRun(runtime, 'hv-hash', 'abc');
    await runStepsTask(parkTask('hv-hash', short), runtime);
    const long = { id: 'cart-abandonment/abc#x', at: short.at };
    await runStepsTask(enter('hv-hash', 'abc#x'), runtime).catch(() => undefined);
    expect(await stopRun(runtime, 'hv-hash', long.id, 'exit')).toBe(false);
    expect((await parksOfRun(runtime.store, 'hv-hash', short.id)).map((parked) => parked.status)).toEqual([
      'waiting',
    ]);
  });

  it('lets the event claim the park in the resume function, so the timeout cannot take it if the part dies', async () => {
    const runtime = await highVolumeRuntime();
    const run = await enteredRun(runtime, 'hv-claim', 'evt-claim');
    await runStepsTask(
      parkTask('hv-claim', run, {
        stepId: 'await-order',
        next: 'nudge',
        wake: { seconds: 82_800 },
        awaits: { event: { event: 'order.placed' }, next: 'purchased' },
      }),
      runtime,
    );
    runtime.clock.now = new Date('2026-11-18T16:00:00Z');
    const order = envelope(
      'order.placed',
      { ...fixtureEvent('order.placed').detail, customerId: 'hv-claim' },
      '2026-11-18T16:00:00Z',
    );
    await resumeWaits(order, runtime);
    // The part the event started never ran; the timeout comes.
    expect((await parksOfRun(runtime.store, 'hv-claim', run.id)).map((parked) => parked.claimedBy)).toEqual([
      `event:${String(order.id)}`,
    ]);
    const timeout = await runStepsTask(resumeTask(scheduledInput(runtime.schedules.created[0])), runtime);
    expect(timeout).toMatchObject({ run: { next: null } });
  });

  it("deletes an exited run's registration, so a later event starts nothing", async () => {
    const runtime = await highVolumeRuntime();
    const run = await enteredRun(runtime, 'hv-reg', 'evt-reg');
    await runStepsTask(
      parkTask('hv-reg', run, {
        stepId: 'await-order',
        next: 'nudge',
        wake: { seconds: 82_800 },
        awaits: { event: { event: 'order.placed' }, next: 'purchased' },
      }),
      runtime,
    );
    await stopRun(runtime, 'hv-reg', run.id, 'exit');
    expect(await waitsFor(runtime.store, 'hv-reg', 'order.placed')).toEqual([]);
  });
});

describe('a run holding a place', () => {
  it('counts as running while parked, and not a day after a wake nobody resumed', async () => {
    const runtime = await highVolumeRuntime();
    const run = await enteredRun(runtime, 'hv-alive', 'evt-alive');
    await runStepsTask(parkTask('hv-alive', run), runtime);
    runtime.clock.now = new Date('2026-11-19T10:00:00Z');
    expect(await runMayBeRunning(runtime, 'hv-alive', run.id, undefined, runtime.now())).toBe(true);
    // Woken at 16:00 on the 18th, never resumed (its part died before claiming): after Scheduler's day.
    runtime.clock.now = new Date('2026-11-19T16:30:00Z');
    expect(await runMayBeRunning(runtime, 'hv-alive', run.id, undefined, runtime.now())).toBe(false);
  });
});
