/**
 * The Task states every compiled step is made of: a call to the steps
 * function with the execution's reference, under the journey's timeouts and
 * retries (policies.ts).
 */
import type { AslJson, TaskState } from '../asl/types.ts';
import { LAMBDA_INVOKE, PLACEHOLDERS } from '../contract/tasks.ts';
import { policiesFor } from './policies.ts';
import { placeholder } from './resources.ts';
import type { Journey } from './schema.ts';
import { STATE_PATHS } from './state.ts';

export function executionRef(journey: Journey): { [key: string]: AslJson } {
  return {
    journeyId: journey.id,
    journeyVersion: journey.version,
    'executionId.$': '$$.Execution.Id',
    'customerId.$': STATE_PATHS.customerId,
    // The same on every retry of one visit to the state: what the functions write is keyed by it.
    'enteredAt.$': '$$.State.EnteredTime',
  };
}

export function stepsTask(
  journey: Journey,
  payload: { [key: string]: AslJson },
  options: {
    resultPath: string | null;
    next: string;
    catchTo: string;
    catchResultPath?: string | null;
    comment?: string | undefined;
  },
): TaskState {
  return {
    Type: 'Task',
    ...(options.comment === undefined ? {} : { Comment: options.comment }),
    Resource: LAMBDA_INVOKE,
    Parameters: {
      FunctionName: placeholder(PLACEHOLDERS.stepsFunction),
      Payload: { ...payload, ...executionRef(journey) },
    },
    ResultSelector: { 'outcome.$': '$.Payload' },
    ResultPath: options.resultPath,
    TimeoutSeconds: policiesFor(journey).taskTimeoutSeconds,
    Retry: [policiesFor(journey).lambdaService],
    Catch: [
      {
        ErrorEquals: ['States.ALL'],
        ResultPath: options.catchResultPath === undefined ? '$.error' : options.catchResultPath,
        Next: options.catchTo,
      },
    ],
    Next: options.next,
  };
}
