/**
 * The high-volume back end: the same states as Standard, cut at every wait.
 * A wait (a wait step, a waitForEvent, a send's quiet hours or send slot)
 * becomes a `park` Task that ends the Express execution; the next part starts
 * on `Waymark.Part`, which resumes the run and goes on where it parked. See
 * contract/parts.ts for how the parts hand the run over.
 */
import type { AslJson, State, StateMachineDefinition, TaskState } from '../asl/types.ts';
import { LAMBDA_INVOKE, PLACEHOLDERS } from '../contract/tasks.ts';
import { PART_PLACEHOLDERS, RUN_PATHS } from '../contract/parts.ts';
import { toJsonValue } from '../json.ts';
import { policiesFor } from './policies.ts';
import { placeholder } from './resources.ts';
import type { EventMatcher, Journey } from './schema.ts';
import { executionRef } from './task-states.ts';
import { STATE } from './state-names.ts';

export const PART_STATE = {
  part: 'Waymark.Part',
  resume: 'Waymark.Resume',
  resumed: 'Waymark.Resumed',
  notResumed: 'Waymark.NotResumed',
} as const;

export function isHighVolume(journey: Journey): boolean {
  return journey.workflow === 'high-volume';
}

/** When a wait is over: after seconds, or at an instant the state holds (a JSONPath). */
export type WaitFor = { seconds: number } | { timestampPath: string };

/**
 * A wait: a Wait state on Standard and Express; on high-volume a park Task that ends the part and
 * leaves a schedule to start the next one at `next`.
 */
export function waitState(
  journey: Journey,
  name: string,
  options: { waitFor: WaitFor; next: { Next: string } | { End: true }; comment?: string | undefined },
): State {
  const comment = options.comment === undefined ? {} : { Comment: options.comment };
  if (!isHighVolume(journey)) {
    const wait =
      'seconds' in options.waitFor
        ? { Seconds: options.waitFor.seconds }
        : { TimestampPath: options.waitFor.timestampPath };
    return { Type: 'Wait', ...comment, ...wait, ...options.next };
  }
  // A wait before an end ends the run there: a part that starts on the end step records it.
  const next = 'Next' in options.next ? options.next.Next : undefined;
  if (next === undefined) throw new Error(`Compiler error: the wait "${name}" leads nowhere`);
  const wake: { [key: string]: AslJson } =
    'seconds' in options.waitFor
      ? { seconds: options.waitFor.seconds }
      : { 'at.$': options.waitFor.timestampPath };
  return parkTask(journey, name, { wake, next, comment: options.comment });
}

/** A waitForEvent on high-volume: parked until the event comes (resume function) or the timeout's schedule. */
export function awaitEventPark(
  journey: Journey,
  name: string,
  options: {
    event: EventMatcher;
    timeoutSeconds: number;
    onEvent: string;
    onTimeout: string;
    comment?: string;
  },
): TaskState {
  return parkTask(journey, name, {
    wake: { seconds: options.timeoutSeconds },
    next: options.onTimeout,
    awaits: { event: toJsonValue(options.event), next: options.onEvent },
    comment: options.comment,
  });
}

function parkTask(
  journey: Journey,
  name: string,
  options: {
    wake: { [key: string]: AslJson };
    next: string;
    awaits?: { [key: string]: AslJson };
    comment?: string | undefined;
  },
): TaskState {
  const policies = policiesFor(journey);
  return {
    Type: 'Task',
    ...(options.comment === undefined ? {} : { Comment: options.comment }),
    Resource: LAMBDA_INVOKE,
    Parameters: {
      FunctionName: placeholder(PLACEHOLDERS.stepsFunction),
      Payload: {
        ...executionRef(journey),
        task: 'park',
        stepId: name,
        next: options.next,
        wake: options.wake,
        ...(options.awaits === undefined ? {} : { awaits: options.awaits }),
        'state.$': '$',
        'machine.$': '$$.StateMachine.Id',
        role: placeholder(PART_PLACEHOLDERS.schedulerRole),
        'now.$': '$$.State.EnteredTime',
      },
    },
    ResultPath: null,
    TimeoutSeconds: policies.taskTimeoutSeconds,
    Retry: [policies.lambdaService],
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATE.failed }],
    End: true,
  };
}

/** Where a park's run goes on: the state after the wait, and a waitForEvent's event path. */
export function parkContinuations(state: State): string[] {
  if (state.Type !== 'Task' || state.Resource !== LAMBDA_INVOKE) return [];
  const payload = state.Parameters?.Payload;
  if (!isObject(payload) || payload.task !== 'park') return [];
  const next = typeof payload.next === 'string' ? [payload.next] : [];
  const awaits = payload.awaits;
  const onEvent = isObject(awaits) && typeof awaits.next === 'string' ? [awaits.next] : [];
  return [...next, ...onEvent];
}

function isObject(value: AslJson | undefined): value is { [key: string]: AslJson } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The states a high-volume machine starts on: an event enters (Waymark.Enter, as Standard); a
 * resume input claims its park and goes on where the run parked. `states` are the journey's own.
 */
export function partEntryStates(
  journey: Journey,
  states: Record<string, State>,
  enter: string,
): Record<string, State> {
  const targets = [...new Set(Object.values(states).flatMap(parkContinuations))].sort();
  return {
    [PART_STATE.part]: {
      Type: 'Choice',
      Comment: 'A new run on an event, or the next part of a parked one.',
      Choices: [{ Variable: '$.resume', IsPresent: true, Next: PART_STATE.resume }],
      Default: enter,
    },
    [PART_STATE.resume]: {
      Type: 'Task',
      Comment: 'Claims the park (first of its schedule or its event) and hands back the state.',
      Resource: LAMBDA_INVOKE,
      Parameters: {
        FunctionName: placeholder(PLACEHOLDERS.stepsFunction),
        Payload: {
          task: 'resume',
          journeyId: journey.id,
          journeyVersion: journey.version,
          'executionId.$': '$$.Execution.Id',
          'customerId.$': '$.resume.customerId',
          'resume.$': '$.resume',
        },
      },
      ResultPath: '$.resumed',
      // The parked state, with the run moved on: it replaces the input.
      OutputPath: '$.resumed.Payload',
      TimeoutSeconds: policiesFor(journey).taskTimeoutSeconds,
      // Nothing of the run is in the state yet, so no failure can be recorded here: the claim is tried
      // harder than a step's call, and one that still fails leaves the park waiting (docs/scale.md).
      Retry: [
        policiesFor(journey).lambdaService,
        {
          ErrorEquals: ['States.ALL'],
          IntervalSeconds: 2,
          MaxAttempts: 3,
          BackoffRate: 2,
          JitterStrategy: 'FULL',
        },
      ],
      Next: PART_STATE.resumed,
    },
    [PART_STATE.resumed]: {
      Type: 'Choice',
      Choices: targets.map((target) => ({ Variable: RUN_PATHS.next, StringEquals: target, Next: target })),
      Default: PART_STATE.notResumed,
    },
    [PART_STATE.notResumed]: {
      Type: 'Succeed',
      Comment: 'The park was taken by the other of event and timeout, or the run has ended.',
    },
  };
}

/** The payload fields of a high-volume enter: the run is the journey's and the event's, not the execution's. */
export function runEnterFields(journey: Journey): { [key: string]: AslJson } {
  return {
    'executionId.$': `States.Format('${journey.id}/{}', $.id)`,
    'enteredAt.$': '$$.State.EnteredTime',
    parts: true,
  };
}

export function definitionIsHighVolume(definition: StateMachineDefinition): boolean {
  return definition.StartAt === PART_STATE.part;
}
