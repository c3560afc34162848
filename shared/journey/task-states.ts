/**
 * The Task states every compiled step is made of: a call to the steps
 * function with the execution's reference, under the journey's timeouts and
 * retries (policies.ts).
 */
import { type AslJson, type State, stateTargets, type TaskState } from '../asl/types.ts';
import { RUN_PATHS } from '../contract/parts.ts';
import { LAMBDA_INVOKE, PLACEHOLDERS } from '../contract/tasks.ts';
import { policiesFor } from './policies.ts';
import { placeholder } from './resources.ts';
import type { Journey } from './schema.ts';
import { STATE_PATHS } from './state.ts';

export function executionRef(journey: Journey): { [key: string]: AslJson } {
  // A high-volume run spans many executions, each at least once: it is keyed by the run and the part.
  const partOfRun = journey.workflow === 'high-volume';
  return {
    journeyId: journey.id,
    journeyVersion: journey.version,
    'executionId.$': partOfRun ? RUN_PATHS.id : '$$.Execution.Id',
    'customerId.$': STATE_PATHS.customerId,
    // The same on every retry of one visit to the state: what the functions write is keyed by it.
    'enteredAt.$': partOfRun ? RUN_PATHS.at : '$$.State.EnteredTime',
  };
}

/** What tells two visits of a step apart: the state's entry, or on high-volume the part's time. */
export function visitPath(journey: Journey): string {
  return journey.workflow === 'high-volume' ? RUN_PATHS.at : '$$.State.EnteredTime';
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
      // The payload's own fields win: enter reads the customer from the event, before the state has it.
      Payload: { ...executionRef(journey), ...payload },
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
    ...flowTo(journey, options.next),
  };
}

/**
 * Where a state goes: to the next state, or, when that is an end step, nowhere: the state ends the
 * execution itself rather than spend a transition on a Succeed. The status-change event that follows
 * tells the finish function either way.
 */
export function flowTo(journey: Journey, target: string): { Next: string } | { End: true } {
  return endsOnStatusChange(journey) && journey.steps[target]?.type === 'end'
    ? { End: true }
    : { Next: target };
}

/**
 * Whether the execution's end is told by Step Functions' status-change event (Standard): Express
 * workflows (and high-volume parts) send none, so theirs end on a finish Task.
 */
export function endsOnStatusChange(journey: Journey): boolean {
  return journey.workflow === 'standard';
}

/**
 * Step Functions refuses a definition with a state nothing leads to: an end step every way into
 * which now ends by itself leaves its Succeed behind.
 */
export function withoutUnreachable(states: Record<string, State>, start: string): Record<string, State> {
  const reached = new Set<string>([start]);
  const queue = [start];
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    const state = states[name];
    if (state === undefined) continue;
    for (const target of stateTargets(state, { includeCatch: true })) {
      if (reached.has(target)) continue;
      reached.add(target);
      queue.push(target);
    }
  }
  return Object.fromEntries(Object.entries(states).filter(([name]) => reached.has(name)));
}
