/**
 * Waits in ASL: a wait until a local time (a Task that works out when, then the wait) and a wait for
 * an event (a task token on Standard; a park on high-volume, compile-parts.ts).
 */
import type { Catcher, State } from '../asl/types.ts';
import { stepResultPath } from '../asl/path.ts';
import { LAMBDA_INVOKE_WAIT_FOR_TOKEN, PLACEHOLDERS } from '../contract/tasks.ts';
import { toJsonValue } from '../json.ts';
import { durationSeconds } from '../time/duration.ts';
import { awaitEventPark, isHighVolume, waitState } from './compile-parts.ts';
import { policiesFor } from './policies.ts';
import { placeholder } from './resources.ts';
import type { Journey, StepOfType } from './schema.ts';
import { STATE } from './state-names.ts';
import { executionRef, flowTo, stepsTask } from './task-states.ts';

export function compileWaitUntil(
  journey: Journey,
  id: string,
  step: StepOfType<'wait'>,
): Record<string, State> {
  // The step id names the state other steps go to: here the Task that works out when to resume.
  const wait = `${id}.wait`;
  return {
    [id]: stepsTask(
      journey,
      {
        task: 'schedule',
        stepId: id,
        until: toJsonValue(step.until ?? null),
        'now.$': '$$.State.EnteredTime',
      },
      { resultPath: stepResultPath(id), next: wait, catchTo: STATE.failed, comment: step.description },
    ),
    [wait]: waitState(journey, wait, {
      waitFor: { timestampPath: stepResultPath(id, 'outcome', 'resumeAt') },
      next: flowTo(journey, step.next),
    }),
  };
}

export function compileWaitForEvent(
  journey: Journey,
  id: string,
  step: StepOfType<'waitForEvent'>,
): Record<string, State> {
  const timeoutSeconds = durationSeconds(step.timeout);
  if (isHighVolume(journey)) {
    return {
      [id]: awaitEventPark(journey, id, {
        event: step.event,
        timeoutSeconds,
        onEvent: step.onEvent,
        onTimeout: step.onTimeout,
        ...(step.description === undefined ? {} : { comment: step.description }),
      }),
    };
  }
  const timedOut: Catcher = {
    ErrorEquals: ['States.Timeout'],
    ResultPath: stepResultPath(id, 'timeout'),
    Next: step.onTimeout,
  };
  return {
    [id]: {
      Type: 'Task',
      ...(step.description === undefined ? {} : { Comment: step.description }),
      Resource: LAMBDA_INVOKE_WAIT_FOR_TOKEN,
      Parameters: {
        FunctionName: placeholder(PLACEHOLDERS.stepsFunction),
        Payload: {
          task: 'awaitEvent',
          stepId: id,
          'taskToken.$': '$$.Task.Token',
          event: toJsonValue(step.event),
          timeoutSeconds,
          'now.$': '$$.State.EnteredTime',
          ...executionRef(journey),
        },
      },
      // The resume function answers with a small AwaitedEvent, not the whole event: the state stays small.
      ResultPath: stepResultPath(id),
      TimeoutSeconds: timeoutSeconds,
      Retry: [policiesFor(journey).lambdaService],
      Catch: [timedOut, { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATE.failed }],
      ...flowTo(journey, step.onEvent),
    },
  };
}
