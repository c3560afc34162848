/**
 * High-volume runs between parts (contract/parts.ts): `park` keeps the
 * state and leaves a schedule, `resume` claims the park and hands the state
 * back, an awaited event starts the part that goes on, an exit cancels what
 * is scheduled. Every step is safe to run twice: the park is written once,
 * the schedule and the part's execution are named after the park, and only
 * the first claimant (or a copy of it) goes on.
 */
import { createHash } from 'node:crypto';
import { isRunId, type ResumeCause, type ResumedState, type ResumeInput } from '../contract/parts.ts';
import type {
  AwaitedEvent,
  DeliverTask,
  DeliveryOutcome,
  StepsTask,
  StepsTaskResults,
} from '../contract/tasks.ts';
import { type CustomerRead, runPlace } from '../store/customers.ts';
import { confirmedDelivery, deliveryKey } from './delivery-history.ts';
import type { SendRecord } from '../delivery/caps.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRecord } from '../json.ts';
import { claimPark, deletePark, exitParks, type Park, parksOfRun, writePark } from '../store/parks.ts';
import { readMembership } from '../store/journeys.ts';
import { parkKey, partTimeOfPark } from '../store/table.ts';
import { registerWait, takeWait, type WaitRegistration } from '../store/waits.ts';
import { awaitedEventSince } from './awaited.ts';
import type { Runtime, ScheduleControl, WorkflowControl } from './runtime.ts';
import type { StoreContext } from '../store/context.ts';

type Task<K extends StepsTask['task']> = Extract<StepsTask, { task: K }>;

/** Within DynamoDB's 400 KB item, with room for the park's other fields. */
const MAX_STATE_BYTES = 350_000;

/**
 * A run whose part ends without a park (its first, or one after a claim) is taken as running this
 * long after it last moved: an Express part lasts five minutes at most.
 */
const PART_LIFETIME_MS = 10 * 60_000;

/** How long after its wake a park may still be resumed: Scheduler's retries (24 hours), and a part. */
const WAKE_RETRY_MS = 86_400_000 + PART_LIFETIME_MS;

/** A name Scheduler and Step Functions take (`[0-9A-Za-z_-]`, at most 64), the same for every copy. */
function nameOf(...parts: string[]): string {
  return `wm-${createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 40)}`;
}

function requireSchedules(runtime: Runtime): ScheduleControl {
  if (runtime.schedules === undefined) {
    throw new Error(
      'This function was not given the schedule group; only steps, goals and preferences (erasure) are.',
    );
  }
  return runtime.schedules;
}

export async function park(task: Task<'park'>, runtime: Runtime): Promise<StepsTaskResults['park']> {
  const schedules = requireSchedules(runtime);
  const state = JSON.stringify(task.state);
  if (Buffer.byteLength(state) > MAX_STATE_BYTES) {
    throw new Error(
      `The journey's state is ${Buffer.byteLength(state)} bytes, more than a park keeps (${MAX_STATE_BYTES}).`,
    );
  }
  const wakeAt =
    'seconds' in task.wake
      ? new Date(Date.parse(task.now) + task.wake.seconds * 1000)
      : new Date(task.wake.at);
  if (Number.isNaN(wakeAt.getTime())) throw new Error(`The wait "${task.stepId}" has no time to wake at.`);
  const partAt = task.enteredAt ?? task.now;
  const { sk } = parkKey(task.customerId, task.executionId, task.stepId, partAt);
  const record = {
    sk,
    customerId: task.customerId,
    journeyId: task.journeyId,
    runId: task.executionId,
    stateName: task.stepId,
    next: task.next,
    ...(task.awaits === undefined ? {} : { awaits: task.awaits }),
    state,
    partAt,
    since: task.now,
    wakeAt: wakeAt.toISOString(),
    schedule: nameOf(task.customerId, sk),
  };
  const written = await writePark(runtime.store, record);
  // This very wait parked before (the part runs again): go on only if nothing has taken it yet.
  const parked = written.written ? record : written.existing;
  if (parked === undefined || (!written.written && written.existing?.status !== 'waiting')) {
    return { parked: 'parked-before' };
  }
  // A run that ended while this part ran (a goal, an exit, an erasure) parks nowhere: its place is
  // read after the write (so an erasure in between is seen too), and the park taken back out.
  if (written.written && !(await holdsPlace(runtime, task))) {
    await deletePark(runtime.store, task.customerId, sk);
    return { parked: 'run-ended' };
  }
  const machine = task.machine;
  if (parked.awaits !== undefined) {
    await registerWait(runtime.store, registrationOf(parked, machine));
    // An event that came since the wait began (whichever copy of the part asks) is in the history.
    const early = await awaitedEventSince(runtime, task.customerId, parked.awaits.event, parked.since);
    if (early !== undefined) {
      await claimAndStart(runtime, machine, parked.sk, parked, early);
      return { parked: 'started' };
    }
  }
  const wake = new Date(parked.wakeAt);
  if (wake.getTime() <= runtime.now().getTime()) {
    await startNextPart(runtime.workflows, machine, parked, { kind: 'schedule' });
    return { parked: 'started' };
  }
  await schedules.create({
    name: parked.schedule,
    at: wake,
    target: {
      stateMachineArn: machine,
      roleArn: task.role,
      input: resumeInput(parked, { kind: 'schedule' }),
    },
  });
  return { parked: 'scheduled' };
}

async function holdsPlace(runtime: Runtime, task: Task<'park'>): Promise<boolean> {
  const place = await readMembership(runtime.store, task.customerId, task.journeyId);
  return place.active.includes(task.executionId);
}

function resumeInput(parked: Pick<Park, 'customerId' | 'journeyId' | 'sk'>, by: ResumeCause): ResumeInput {
  return { resume: { customerId: parked.customerId, journeyId: parked.journeyId, park: parked.sk, by } };
}

function causeName(by: ResumeCause): string {
  return by.kind === 'schedule' ? 'schedule' : `event:${by.event.eventId}`;
}

async function startNextPart(
  workflows: WorkflowControl,
  machine: string,
  parked: Pick<Park, 'customerId' | 'journeyId' | 'sk'>,
  by: ResumeCause,
): Promise<void> {
  await workflows.startExecution(
    machine,
    nameOf(parked.customerId, parked.sk, causeName(by)),
    resumeInput(parked, by),
  );
}

function registrationOf(
  parked: Pick<
    Park,
    'customerId' | 'journeyId' | 'runId' | 'stateName' | 'sk' | 'awaits' | 'since' | 'wakeAt'
  >,
  machine: string,
): WaitRegistration {
  if (parked.awaits === undefined) throw new Error(`The park ${parked.sk} awaits no event`);
  return {
    customerId: parked.customerId,
    journeyId: parked.journeyId,
    executionId: parked.runId,
    stepId: parked.stateName,
    resumption: { kind: 'park', park: parked.sk, machine },
    event: parked.awaits.event,
    since: parked.since,
    until: parked.wakeAt,
  };
}

/**
 * The first state of a resumed part: claims the park for what woke it and answers with the state as
 * it was, the run moved on to where it goes next; `next: null` when another took the park first (the
 * event before the timeout, or the other way round), the run exited, or the customer was erased.
 */
export async function resume(task: Task<'resume'>, runtime: Runtime): Promise<ResumedState> {
  const { resume: wanted } = task;
  const now = runtime.now();
  const claim = await claimPark(
    runtime.store,
    wanted.customerId,
    wanted.park,
    causeName(wanted.by),
    now,
    partTimeOfPark(wanted.park),
  );
  if (!claim.claimed) return { run: { id: claim.park?.runId ?? '', at: now.toISOString(), next: null } };
  const parked = claim.park;
  // A run that ended while parked (a goal or exit event: the goals function freed its place) goes no
  // further. Exits mark the parks too, but a part running at that moment may have parked again since.
  const place = await readMembership(runtime.store, wanted.customerId, wanted.journeyId);
  if (!place.active.includes(parked.runId)) {
    // The goal was the awaited event itself: its exit found this park taken, so its schedule is ours to drop.
    if (parked.awaits !== undefined) await tidyAfterWait(runtime, parked, wanted.by);
    return { run: { id: parked.runId, at: now.toISOString(), next: null } };
  }
  const saved: unknown = JSON.parse(parked.state);
  const state: Record<string, unknown> = isRecord(saved) ? saved : {};
  let next = parked.next;
  if (parked.awaits !== undefined) {
    const steps = isRecord(state.steps) ? state.steps : {};
    // What Standard's callback or its timeout Catch would have put there.
    if (wanted.by.kind === 'event') {
      steps[parked.stateName] = wanted.by.event;
      next = parked.awaits.next;
    } else {
      steps[parked.stateName] = {
        timeout: { Error: 'States.Timeout', Cause: `No ${parked.awaits.event.event} event came in time.` },
      };
    }
    state.steps = steps;
    await tidyAfterWait(runtime, parked, wanted.by);
  }
  return { ...state, run: { id: parked.runId, at: parked.claimedAt ?? now.toISOString(), next } };
}

/** The registration goes; so does the timeout's schedule when the event won (it would find nothing). */
async function tidyAfterWait(runtime: Runtime, parked: Park, by: ResumeCause): Promise<void> {
  await takeWait(runtime.store, registrationOf(parked, ''));
  if (by.kind === 'event') await deleteQuietly(runtime.schedules, parked.schedule);
}

/** A schedule that could not be deleted fires, and its part finds the park taken: nothing is lost. */
async function deleteQuietly(schedules: ScheduleControl | undefined, name: string): Promise<void> {
  try {
    await schedules?.delete(name);
  } catch {
    // Tidying only.
  }
}

/**
 * An awaited event for a parked run: claims the park for the event (so the first of it and the
 * timeout wins here, durably, before anything is started) and starts the part that goes on from it,
 * which claims again as a copy of the winner. False when the timeout, or another event, took it first.
 * A start that fails throws: the event is retried and claims again.
 */
export async function resumeParkedWait(
  runtime: Runtime,
  registration: WaitRegistration,
  event: AwaitedEvent,
): Promise<boolean> {
  if (registration.resumption.kind !== 'park') return false;
  const { park: sk, machine } = registration.resumption;
  return claimAndStart(runtime, machine, sk, registration, event);
}

/** The first of an awaited event and the timeout takes the park here, durably, before a part starts. */
async function claimAndStart(
  runtime: Runtime,
  machine: string,
  sk: string,
  of: { customerId: string },
  event: AwaitedEvent,
): Promise<boolean> {
  const by: ResumeCause = { kind: 'event', event };
  const claim = await claimPark(
    runtime.store,
    of.customerId,
    sk,
    causeName(by),
    runtime.now(),
    partTimeOfPark(sk),
  );
  if (!claim.claimed) return false;
  await startNextPart(runtime.workflows, machine, claim.park, by);
  return true;
}

/**
 * A delivery of a high-volume run no longer in its place, unless this very delivery is in the ledger
 * (a copy of the part that sent it, and then freed the place with its last send, answers as the first).
 */
export function deliveryRunEnded(task: DeliverTask, read: CustomerRead): boolean {
  if (!isRunId(task.executionId) || runPlace(read, task.journeyId, task.executionId) === 'active')
    return false;
  return !(
    read.found === true && read.customer.ledger.sends.some((record) => record.key === deliveryKey(task))
  );
}

/** How long a copy of a part waits for the other copy's send to be recorded, and how often it looks. */
const COPY_SEND_WAIT_MS = 5_000;
const COPY_SEND_POLL_MS = 200;

/**
 * A high-volume delivery reserved but not yet recorded is most often another copy of the same part,
 * sending at this very moment (Express and Scheduler run a part at least once, two at a time now and
 * then): its record is waited for a few seconds before the reservation counts as an attempt that died
 * (unconfirmed marketing, transactional sent again). Standard executions have no copies: undefined.
 */
export async function sentByCopyOfPart(
  runtime: Runtime,
  task: DeliverTask,
  record: Pick<SendRecord, 'time' | 'channel'>,
): Promise<Extract<DeliveryOutcome, { status: 'sent' }> | undefined> {
  if (!isRunId(task.executionId)) return undefined;
  for (let waited = 0; waited < COPY_SEND_WAIT_MS; waited += COPY_SEND_POLL_MS) {
    await sleep(COPY_SEND_POLL_MS);
    const confirmed = await confirmedDelivery(runtime, task, record);
    if (confirmed !== undefined) return confirmed;
  }
  return undefined;
}

/**
 * Stops a journey's execution, or a high-volume run: its waiting parks are marked exited and their
 * schedules deleted. True when something was still running or waiting.
 */
export async function stopRun(
  context: { store: StoreContext; workflows: WorkflowControl; schedules?: ScheduleControl },
  customerId: string,
  executionId: string,
  cause: string,
): Promise<boolean> {
  if (!isRunId(executionId)) return context.workflows.stopExecution(executionId, cause);
  const exited = await exitParks(context.store, customerId, executionId);
  for (const parked of exited) {
    await deleteQuietly(context.schedules, parked.schedule);
    // Its registration too: a matching event later would start a part only to find the park taken.
    if (parked.awaits !== undefined) await takeWait(context.store, registrationOf(parked, ''));
  }
  return exited.length > 0;
}

/**
 * Whether a run holding a place may still be going: parked somewhere, or moved within a part's
 * lifetime (its last claim, or the journey's last admission when it never parked).
 */
export async function runMayBeRunning(
  context: { store: StoreContext; workflows: WorkflowControl },
  customerId: string,
  executionId: string,
  lastEnteredAt: string | undefined,
  now: Date,
): Promise<boolean> {
  if (!isRunId(executionId)) return context.workflows.isRunning(executionId);
  const parks = await parksOfRun(context.store, customerId, executionId);
  // Scheduler tries a start for a day: a park still waiting a day after its wake will not be resumed.
  if (
    parks.some(
      (parked) => parked.status === 'waiting' && Date.parse(parked.wakeAt) > now.getTime() - WAKE_RETRY_MS,
    )
  )
    return true;
  const moves = [lastEnteredAt, ...parks.map((parked) => parked.claimedAt)].flatMap((time) =>
    time === undefined ? [] : [Date.parse(time)],
  );
  return moves.some((time) => now.getTime() - time < PART_LIFETIME_MS);
}
