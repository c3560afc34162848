/**
 * The state machine every broadcast run executes, one for the whole stack:
 * plan the run, read the profiles in parallel scan segments (a Distributed
 * Map), then for each wave of members due at one instant wait for it and
 * start their executions, again one worker per scan segment. Its state stays
 * small whatever the audience: members live in the table, not in the state.
 */
import type { Retrier, State, StateMachineDefinition, TaskState } from '../asl/types.ts';
import { BROADCAST_PLACEHOLDERS } from '../contract/broadcast.ts';
import { LAMBDA_INVOKE } from '../contract/tasks.ts';
import type { AslJson } from '../asl/types.ts';

export const BROADCAST_STATE = {
  plan: 'Plan',
  skipped: 'Skipped?',
  nothingToDo: 'NothingToDo',
  collect: 'Collect',
  collectPage: 'CollectPage',
  morePages: 'MorePages?',
  collected: 'Collected',
  nextWave: 'NextWave',
  anyWave: 'AnyWave?',
  waitForWave: 'WaitForWave',
  enterWave: 'EnterWave',
  enterChunks: 'EnterChunks',
  moreChunks: 'MoreChunks?',
  paceEntries: 'PaceEntries',
  entered: 'Entered',
  finish: 'Finish',
} as const;

/** Parallel workers per Map: each reads or enters one scan segment. */
export const BROADCAST_MAX_CONCURRENCY = 16;

const AUDIENCE_FUNCTION = `\${${BROADCAST_PLACEHOLDERS.audienceFunction}}`;

// Lambda's own hiccups, and a throttled StartExecution surfacing as a function error: back off and retry.
const RETRY: Retrier[] = [
  {
    ErrorEquals: [
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
      'Lambda.ClientExecutionTimeoutException',
    ],
    IntervalSeconds: 2,
    MaxAttempts: 6,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
  {
    ErrorEquals: ['States.TaskFailed'],
    IntervalSeconds: 5,
    MaxAttempts: 8,
    BackoffRate: 2,
    MaxDelaySeconds: 300,
    JitterStrategy: 'FULL',
  },
];

function audienceTask(
  payload: { [key: string]: AslJson },
  resultPath: string | null,
  next: string,
): TaskState {
  return {
    Type: 'Task',
    Resource: LAMBDA_INVOKE,
    Parameters: { FunctionName: AUDIENCE_FUNCTION, Payload: payload },
    ResultSelector: { 'result.$': '$.Payload' },
    ResultPath: resultPath,
    // A task reads one page or starts a few chunks' executions: minutes at most.
    TimeoutSeconds: 900,
    Retry: RETRY,
    Next: next,
  };
}

/** A worker per scan segment that calls one task until it says there is no more. */
function segmentLoop(
  taskName: string,
  payload: { [key: string]: AslJson },
  more: string,
  done: string,
): { StartAt: string; States: Record<string, State> } {
  return {
    StartAt: taskName,
    States: {
      [taskName]: audienceTask(payload, '$.last', more),
      [more]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.last.result.more', BooleanEquals: true, Next: taskName }],
        Default: done,
      },
      [done]: { Type: 'Succeed' },
    },
  };
}

export function broadcastDefinition(): StateMachineDefinition {
  const runRef = { 'journeyId.$': '$.plan.result.journeyId', 'runId.$': '$.plan.result.runId' };
  return {
    Comment: 'Waymark broadcast: one run of a journey that starts from a segment at a time.',
    StartAt: BROADCAST_STATE.plan,
    States: {
      [BROADCAST_STATE.plan]: audienceTask(
        {
          task: 'plan',
          'journeyId.$': '$.journeyId',
          'scheduledTime.$': '$.scheduledTime',
          'stateMachineArn.$': '$.stateMachineArn',
        },
        '$.plan',
        BROADCAST_STATE.skipped,
      ),
      [BROADCAST_STATE.skipped]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.plan.result.skip', BooleanEquals: true, Next: BROADCAST_STATE.nothingToDo }],
        Default: BROADCAST_STATE.collect,
      },
      [BROADCAST_STATE.nothingToDo]: { Type: 'Succeed', Comment: 'Paused, removed, or already sent.' },
      [BROADCAST_STATE.collect]: {
        Type: 'Map',
        Label: 'Collect',
        ItemsPath: '$.plan.result.segments',
        ItemSelector: {
          task: 'collect',
          ...runRef,
          'segment.$': '$$.Map.Item.Value',
          'totalSegments.$': '$.plan.result.totalSegments',
        },
        MaxConcurrency: BROADCAST_MAX_CONCURRENCY,
        ToleratedFailurePercentage: 0,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          ...segmentLoop(
            BROADCAST_STATE.collectPage,
            itemPayload(['task', 'journeyId', 'runId', 'segment', 'totalSegments']),
            BROADCAST_STATE.morePages,
            BROADCAST_STATE.collected,
          ),
        },
        ResultPath: null,
        Next: BROADCAST_STATE.nextWave,
      },
      [BROADCAST_STATE.nextWave]: audienceTask(
        { task: 'nextWave', ...runRef },
        '$.wave',
        BROADCAST_STATE.anyWave,
      ),
      [BROADCAST_STATE.anyWave]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.wave.result.done', BooleanEquals: true, Next: BROADCAST_STATE.finish }],
        Default: BROADCAST_STATE.waitForWave,
      },
      [BROADCAST_STATE.waitForWave]: {
        Type: 'Wait',
        TimestampPath: '$.wave.result.dueAt',
        Next: BROADCAST_STATE.enterWave,
      },
      [BROADCAST_STATE.enterWave]: {
        Type: 'Map',
        Label: 'EnterWave',
        ItemsPath: '$.plan.result.segments',
        ItemSelector: {
          task: 'enter',
          ...runRef,
          'dueAt.$': '$.wave.result.dueAt',
          'segment.$': '$$.Map.Item.Value',
          'totalSegments.$': '$.plan.result.totalSegments',
          'stateMachineArn.$': '$.plan.result.stateMachineArn',
        },
        MaxConcurrency: BROADCAST_MAX_CONCURRENCY,
        ToleratedFailurePercentage: 0,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          ...pacedLoop(
            segmentLoop(
              BROADCAST_STATE.enterChunks,
              itemPayload([
                'task',
                'journeyId',
                'runId',
                'dueAt',
                'segment',
                'totalSegments',
                'stateMachineArn',
              ]),
              BROADCAST_STATE.moreChunks,
              BROADCAST_STATE.entered,
            ),
          ),
        },
        ResultPath: null,
        Next: BROADCAST_STATE.nextWave,
      },
      [BROADCAST_STATE.finish]: {
        ...audienceTask({ task: 'finish', ...runRef }, '$.finish', BROADCAST_STATE.finish),
        Next: undefined,
        End: true,
      },
    },
  };
}

/**
 * The enter worker's loop with a pause: a task that started its window's worth of members (paced to
 * the first send's rate) names when to go on, and the worker waits for it in a Wait state, free.
 */
function pacedLoop(loop: { StartAt: string; States: Record<string, State> }): {
  StartAt: string;
  States: Record<string, State>;
} {
  return {
    StartAt: loop.StartAt,
    States: {
      ...loop.States,
      [BROADCAST_STATE.moreChunks]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.last.result.resumeAt', IsPresent: true, Next: BROADCAST_STATE.paceEntries },
          { Variable: '$.last.result.more', BooleanEquals: true, Next: BROADCAST_STATE.enterChunks },
        ],
        Default: BROADCAST_STATE.entered,
      },
      [BROADCAST_STATE.paceEntries]: {
        Type: 'Wait',
        TimestampPath: '$.last.result.resumeAt',
        Next: BROADCAST_STATE.enterChunks,
      },
    },
  };
}

/** A Map item's fields, passed on to the task as they are. */
function itemPayload(fields: readonly string[]): { [key: string]: AslJson } {
  return Object.fromEntries(fields.map((field) => [`${field}.$`, `$.${field}`]));
}
