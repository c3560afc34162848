/**
 * Every journey step that is not a message: entry rules, branches on the
 * profile and history, local-time schedules, profile updates, event waits,
 * failures and the end. One switch over the task, as the compiler emits it.
 */
import type { StepsTask, StepsTaskResults, TriggerEnvelope } from '../contract/tasks.ts';
import type { HistoryEntryOf } from '../customer/history.ts';
import { emptyCustomer, type FieldChange, mergeFields } from '../customer/profile-update.ts';
import { describeDetailProblems, eventDefinition, parseEventDetail } from '../events/catalog.ts';
import { businessKey, duplicateFactReason, missingKeyReason } from '../journey/business-key.ts';
import { firstMatchingCase } from '../journey/conditions.ts';
import { assertNever } from '../journey/graph.ts';
import { resolveReference } from '../journey/references.ts';
import { type Condition, isReference, type ValueExpression } from '../journey/schema.ts';
import { nextLocalWindowOpening, preferredHourInstant } from '../journey/schedule.ts';
import { deployedWorkflow } from '../journey/timing.ts';
import { type CustomerRecord, damagedProfile, readCustomer, updateCustomer } from '../store/customers.ts';
import { appendJourneyEntry, readBranchHistory, readRecentEvents } from '../store/history.ts';
import { awaitedEventSince } from './awaited.ts';
import { park, resume, runMayBeRunning } from './parts.ts';
import { engagementHours } from '../customer/engagement-hours.ts';
import { PROFILE_UPDATED } from '../events/built-in.ts';
import { executionTag } from '../channels/tags.ts';
import { admit, readMembership, release, type TriggerIdentity } from '../store/journeys.ts';
import { isRunId } from '../contract/parts.ts';
import { registerWait, takeWait, type WaitRegistration } from '../store/waits.ts';
import { durationSeconds } from '../time/duration.ts';
import { lambdaErrorMessage, toJsonValue } from '../json.ts';
import type { Runtime } from './runtime.ts';
import { BROADCAST_MEMBER, SEGMENT_ENTERED } from '../events/audience-events.ts';
import { isCurrentEntry } from '../store/segment-members.ts';

type Task<K extends StepsTask['task']> = Extract<StepsTask, { task: K }>;
export type StepsResult = StepsTaskResults[StepsTask['task']];

export async function runStepsTask(task: StepsTask, runtime: Runtime): Promise<StepsResult> {
  switch (task.task) {
    case 'enter':
      return enter(task, runtime);
    case 'evaluate':
      return evaluate(task, runtime);
    case 'schedule':
      return schedule(task, runtime);
    case 'updateProfile':
      return updateProfile(task, runtime);
    case 'awaitEvent':
      return awaitEvent(task, runtime);
    case 'park':
      return park(task, runtime);
    case 'resume':
      return resume(task, runtime);
    case 'recordFailure':
      await journeyEntry(runtime, task, 'step-failed', {
        stepId: task.stepId,
        reason: describeError(task.error),
      });
      return { recorded: true };
    // Express journeys end here (no status-change events for them), and Standard definitions compiled
    // before executions ended on that event. For those the finish function records a completion (it
    // cannot tell their success from others'), and skips a failure, whose reason only this Task knows.
    case 'finish': {
      const { released } = await release(runtime.store, task.customerId, task.journeyId, task.executionId);
      // A high-volume run's place freed already (a goal or exit, or a copy of this part): its end is recorded.
      if (isRunId(task.executionId) && !released) return { finished: true };
      const journey = runtime.project.journeys.find((candidate) => candidate.id === task.journeyId);
      const express =
        isRunId(task.executionId) ||
        (journey !== undefined && deployedWorkflow(journey, runtime.project.settings) === 'EXPRESS');
      if (express || task.outcome === 'failed') {
        await journeyEntry(runtime, task, task.outcome, {
          stepId: task.stepId,
          ...(task.error === undefined ? {} : { reason: describeError(task.error) }),
        });
      }
      return { finished: true };
    }
    default:
      return assertNever(task);
  }
}

async function enter(task: Task<'enter'>, runtime: Runtime): Promise<StepsTaskResults['enter']> {
  const now = runtime.now();
  const refuse = async (
    reason: Extract<StepsTaskResults['enter'], { admitted: false }>['reason'],
    detail?: string,
    copy = false,
  ) => {
    // A copy of an event the journey took is no new trigger: its entry says so, and the entry the
    // event made stands (entrancesOf, the figures).
    await journeyEntry(runtime, task, 'not-entered', {
      reason: detail === undefined ? reason : `${reason}: ${detail}`,
      eventId: task.trigger.id,
      ...(copy ? { copy: true } : {}),
    });
    return {
      admitted: false,
      reason,
      values: {},
      customerId: task.customerId,
      trigger: task.trigger,
      // The state machine selects the run from every answer, a refusal's too.
      ...(task.parts === true ? { run: { id: task.executionId, at: now.toISOString(), next: null } } : {}),
    } as const;
  };
  const detail = parseEventDetail(runtime.project.events, task.trigger['detail-type'], task.trigger.detail);
  if (!detail.ok) {
    return refuse('invalid-event', describeDetailProblems(detail.problems).join('; '));
  }
  if (!(await isGenuineTrigger(runtime, task.customerId, task.trigger))) {
    return refuse('invalid-event', 'no such segment entry: the event was not made by Waymark');
  }
  // With a business key, copies of one fact under new event ids are one trigger; a copy under the
  // same id has the same key. An event lacking a key field is told apart by its id, as without a key.
  const key =
    task.entry.dedupeBy === undefined ? undefined : businessKey(task.trigger.detail, task.entry.dedupeBy);
  const identity: TriggerIdentity =
    key?.kind === 'key'
      ? { kind: 'fact', keyHash: key.hash, eventId: task.trigger.id }
      : { kind: 'event', eventId: task.trigger.id };
  const tryAdmit = () =>
    admit(
      runtime.store,
      task.customerId,
      task.journeyId,
      task.executionId,
      identity,
      task.entry,
      now,
      task.parts === true ? 'run-of-event' : 'execution',
    );
  let admission = await tryAdmit();
  if (
    !admission.admitted &&
    admission.reason === 'concurrency-limit' &&
    (await releaseEnded(runtime, task, admission.active, admission.lastEnteredAt))
  ) {
    admission = await tryAdmit();
  }
  if (!admission.admitted) {
    if (admission.reason !== 'duplicate-event') return refuse(admission.reason);
    const why = key?.kind === 'key' && !admission.copy ? duplicateFactReason(key) : undefined;
    return refuse(admission.reason, why, admission.copy);
  }
  // The profile is read only when a value comes from it: most journeys' values come from the event.
  const readsProfile = Object.values(task.values).some(
    (value) => isReference(value) && value.from.startsWith('profile.'),
  );
  const profile = readsProfile ? (await customerOrEmpty(runtime, task.customerId)).profile : {};
  const values = resolveValues(task.values, {
    event: task.trigger.detail,
    trigger: { id: task.trigger.id, time: task.trigger.time, source: task.trigger.source },
    profile,
    values: {},
  });
  // An event from the bus is in the history already, with the journeys it starts (record): only a
  // broadcast's member, which never goes through the bus, needs an entry of its own.
  if (task.trigger['detail-type'] === BROADCAST_MEMBER) {
    await journeyEntry(
      runtime,
      task,
      'entered',
      key?.kind === 'missing' ? { reason: missingKeyReason(key) } : {},
    );
  }
  return {
    admitted: true,
    values,
    customerId: task.customerId,
    trigger: task.trigger,
    // A high-volume run's first part: the run is this journey's and this event's, timed by the admission.
    ...(task.parts === true ? { run: { id: task.executionId, at: admission.at, next: null } } : {}),
  };
}

/**
 * A segment entry is Waymark's own event: only one naming the entry the record function wrote for this
 * customer starts anything, whoever else can put events on the bus.
 */
async function isGenuineTrigger(
  runtime: Runtime,
  customerId: string,
  trigger: TriggerEnvelope,
): Promise<boolean> {
  if (trigger['detail-type'] !== SEGMENT_ENTERED) return true;
  const { segment, entryId } = trigger.detail;
  return (
    typeof segment === 'string' &&
    typeof entryId === 'string' &&
    (await isCurrentEntry(runtime.store, customerId, segment, entryId))
  );
}

/**
 * Executions that ended without reaching a finish step (stopped by hand, timed out, failed in a
 * way the state machine could not record) would hold their place for ever: free those.
 */
async function releaseEnded(
  runtime: Runtime,
  task: Task<'enter'>,
  active: readonly string[],
  lastEnteredAt: string | undefined,
): Promise<boolean> {
  let released = false;
  for (const executionId of active) {
    if (
      executionId === task.executionId ||
      (await runMayBeRunning(runtime, task.customerId, executionId, lastEnteredAt, runtime.now()))
    )
      continue;
    await release(runtime.store, task.customerId, task.journeyId, executionId);
    released = true;
  }
  return released;
}

async function evaluate(task: Task<'evaluate'>, runtime: Runtime): Promise<StepsTaskResults['evaluate']> {
  const now = runtime.now();
  const customer = await customerOrEmpty(runtime, task.customerId);
  const lookBack = Math.max(0, ...task.cases.map(historyWindowSeconds));
  const history = await readBranchHistory(runtime.store, task.customerId, lookBack, now);
  const matched = firstMatchingCase(task.cases, {
    event: task.trigger.detail,
    trigger: { id: task.trigger.id, time: task.trigger.time, source: task.trigger.source },
    profile: customer.profile,
    values: task.values,
    history: history.events,
    engagement: {
      journeyId: task.journeyId,
      execution: executionTag(task.executionId),
      events: history.engagement,
    },
    now,
  });
  return { matched };
}

function historyWindowSeconds(condition: Condition): number {
  if ('all' in condition) return Math.max(0, ...condition.all.map(historyWindowSeconds));
  if ('any' in condition) return Math.max(0, ...condition.any.map(historyWindowSeconds));
  if ('not' in condition) return historyWindowSeconds(condition.not);
  if ('history' in condition) return durationSeconds(condition.history.within);
  if ('engagement' in condition) return durationSeconds(condition.engagement.within);
  return 0;
}

async function schedule(task: Task<'schedule'>, runtime: Runtime): Promise<StepsTaskResults['schedule']> {
  const customer = await customerOrEmpty(runtime, task.customerId);
  const { settings } = runtime.project;
  const timeZone = customer.profile.timeZone ?? settings.timeZone;
  const from = new Date(task.now);
  const until = task.until;
  const resumeAt =
    until.kind === 'localWindow'
      ? nextLocalWindowOpening(from, timeZone, until)
      : preferredHourInstant(
          from,
          timeZone,
          await engagementHoursOf(runtime, task.customerId, customer.engagementByHour, timeZone, from),
          until.fallback ?? settings.preferredHour.fallback,
          until.day,
        );
  return { resumeAt: resumeAt.toISOString() };
}

/** Days of history, and events at most, the preferred hour is counted from. */
const ENGAGEMENT_DAYS = 90;
const ENGAGEMENT_EVENTS = 500;

/** The hours the customer acts in: their recent events the catalog counts, and what the profile kept. */
async function engagementHoursOf(
  runtime: Runtime,
  customerId: string,
  kept: readonly number[],
  timeZone: string,
  now: Date,
): Promise<number[]> {
  const events = await readRecentEvents(runtime.store, customerId, ENGAGEMENT_DAYS, ENGAGEMENT_EVENTS, now);
  const { events: catalog } = runtime.project;
  return engagementHours(kept, events, timeZone, (detailType) =>
    detailType === PROFILE_UPDATED || detailType === BROADCAST_MEMBER || detailType === SEGMENT_ENTERED
      ? false
      : (eventDefinition(catalog, detailType)?.engagement ?? true),
  );
}

async function updateProfile(
  task: Task<'updateProfile'>,
  runtime: Runtime,
): Promise<StepsTaskResults['updateProfile']> {
  // A high-volume run that ended while its part runs changes nothing more (a stopped execution would not).
  if (isRunId(task.executionId)) {
    const place = await readMembership(runtime.store, task.customerId, task.journeyId);
    if (!place.active.includes(task.executionId)) return { updated: [] };
  }
  // Stamped like any profile update, so an older update still on its way cannot undo the step.
  const stamp = {
    at: task.enteredAt ?? runtime.now().toISOString(),
    by: `${task.executionId}#${task.stepId}`,
  };
  const updated = await updateCustomer(runtime.store, task.customerId, (read) => {
    if (read.found === 'damaged') throw new Error(damagedProfile(read.reason));
    const customer = read.found ? read.customer : emptyCustomer(task.customerId);
    const set = resolveValues(task.set, {
      event: task.trigger.detail,
      trigger: { id: task.trigger.id, time: task.trigger.time, source: task.trigger.source },
      profile: customer.profile,
      values: task.values,
    });
    const changes: FieldChange[] = [
      ...Object.entries(set).map(([name, value]): FieldChange => ({
        path: 'attribute',
        name,
        value: toJsonValue(value ?? null),
      })),
      ...task.addTags.map((tag): FieldChange => ({ path: 'tag', tag, present: true })),
      ...task.removeTags.map((tag): FieldChange => ({ path: 'tag', tag, present: false })),
    ];
    const change = mergeFields(customer, changes, stamp);
    return {
      write: { profile: change.profile, fieldStamps: change.fieldStamps },
      then: [
        ...Object.keys(set).map((name) => `attributes.${name}`),
        ...(task.addTags.length + task.removeTags.length > 0 ? ['tags'] : []),
      ],
    };
  });
  await journeyEntry(runtime, task, 'profile-updated', { stepId: task.stepId, reason: updated.join(', ') });
  return { updated };
}

/**
 * Files the task token under the customer and event. An event that arrived between the step's
 * start and the registration is in the history already: it resumes the step at once.
 */
async function awaitEvent(
  task: Task<'awaitEvent'>,
  runtime: Runtime,
): Promise<StepsTaskResults['awaitEvent']> {
  const since = new Date(task.now);
  const registration: WaitRegistration = {
    customerId: task.customerId,
    journeyId: task.journeyId,
    executionId: task.executionId,
    stepId: task.stepId,
    resumption: { kind: 'token', taskToken: task.taskToken },
    event: task.event,
    since: since.toISOString(),
    until: new Date(since.getTime() + task.timeoutSeconds * 1000).toISOString(),
  };
  await registerWait(runtime.store, registration);
  const awaited = await awaitedEventSince(runtime, task.customerId, task.event, registration.since);
  if (awaited !== undefined) {
    // As in resume: Step Functions takes the first success for a token; then the registration goes.
    await runtime.workflows.sendTaskSuccess(task.taskToken, awaited);
    await takeWait(runtime.store, registration);
    return awaited;
  }
  // The state machine waits for SendTaskSuccess; this return value is not used.
  return { eventId: '', detailType: task.event.event, time: registration.since };
}

async function customerOrEmpty(
  runtime: Runtime,
  customerId: string,
): Promise<Pick<CustomerRecord, 'profile' | 'engagementByHour'>> {
  const read = await readCustomer(runtime.store, customerId);
  return read.found === true ? read.customer : emptyCustomer(customerId);
}

/** Literals as written; references from the scope, or null when they find nothing. */
function resolveValues(
  expressions: Record<string, ValueExpression>,
  scope: { event: unknown; trigger: unknown; profile: unknown; values: unknown },
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, expression] of Object.entries(expressions)) {
    if (isReference(expression)) {
      const resolution = resolveReference(expression.from, scope);
      values[name] = resolution.found ? resolution.value : null;
    } else {
      values[name] = expression;
    }
  }
  return values;
}

function describeError(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'Error' in error) {
    const cause =
      'Cause' in error && typeof error.Cause === 'string'
        ? `: ${lambdaErrorMessage(error.Cause).slice(0, 500)}`
        : '';
    return `${String(error.Error)}${cause}`;
  }
  return JSON.stringify(error ?? null).slice(0, 500);
}

async function journeyEntry(
  runtime: Runtime,
  task: { customerId: string; journeyId: string; executionId: string; enteredAt?: string },
  action: HistoryEntryOf<'journey'>['action'],
  extra: { stepId?: string; reason?: string; eventId?: string; copy?: true },
): Promise<void> {
  // Under the state's entry time, a Lambda retry writes the same entry again rather than a second one.
  const time = task.enteredAt ?? runtime.now().toISOString();
  const entry: HistoryEntryOf<'journey'> = {
    kind: 'journey',
    time,
    journeyId: task.journeyId,
    executionId: task.executionId,
    action,
    ...extra,
  };
  await appendJourneyEntry(runtime.store, task.customerId, entry, extra.stepId ?? '');
}
