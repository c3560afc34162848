/**
 * A compiled journey, adapted for the ASL interpreter on a virtual clock.
 * The interpreter sleeps on real timers, so each Wait becomes a Task of the
 * same name that the engine parks on the virtual clock, and each task-token
 * wait keeps its timeout here instead of in the interpreter. Everything else
 * is the same ASL that runs on AWS.
 */
import { createHash } from 'node:crypto';
import type { StateMachine } from 'aws-local-stepfunctions';
import type { State, StateMachineDefinition, TaskState } from '../../shared/asl/types.ts';
import {
  LAMBDA_INVOKE_WAIT_FOR_TOKEN,
  type PlaceholderName,
  PLACEHOLDERS,
} from '../../shared/contract/tasks.ts';
import { PART_PLACEHOLDERS, type PartPlaceholderName } from '../../shared/contract/parts.ts';
import { definitionText } from '../../shared/journey/compile.ts';
import { isRecord } from '../../shared/json.ts';
import { readJsonPath } from '../../shared/asl/path.ts';
import type { JsonValue } from '../../shared/json.ts';
import type { ClockMode } from './clock.ts';
import { LOCAL_ACCOUNT, LOCAL_BUS, LOCAL_REGION, LOCAL_SCHEDULER_ROLE_ARN } from './constants.ts';
import { EngineError } from './errors.ts';

export type InterpreterDefinition = ConstructorParameters<typeof StateMachine>[0];

export const CLOCK_WAIT_RESOURCE = 'arn:aws:states:::waymark:clock.wait';
/** Carries a token task's own input to the engine, which checkpoints it to resume after a restart. */
export const STATE_INPUT_FIELD = 'Waymark.StateInput';
// The interpreter's own timer must never fire first: the engine times the state on the virtual clock.
const UNBOUNDED_TIMEOUT_SECONDS = 2_147_483;

export const LOCAL_FUNCTIONS = {
  steps: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:waymark-steps`,
  deliver: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:waymark-deliver`,
} as const;

const BINDINGS: Record<PlaceholderName | PartPlaceholderName, string> = {
  [PLACEHOLDERS.stepsFunction]: LOCAL_FUNCTIONS.steps,
  [PLACEHOLDERS.deliverFunction]: LOCAL_FUNCTIONS.deliver,
  [PLACEHOLDERS.eventBus]: LOCAL_BUS,
  // High-volume parks hand Scheduler a role; the local stand-in checks its form and needs no more.
  [PART_PLACEHOLDERS.schedulerRole]: LOCAL_SCHEDULER_ROLE_ARN,
};

export type ClockWait = { kind: 'seconds'; seconds: number } | { kind: 'timestampPath'; path: string };

export interface LocalDefinition {
  definition: InterpreterDefinition;
  clockWaits: ReadonlyMap<string, ClockWait>;
  /** Token tasks and their TimeoutSeconds, kept by the engine. */
  tokenTimeouts: ReadonlyMap<string, number>;
  /**
   * The other Tasks and their TimeoutSeconds, which the engine applies to each attempt so that the
   * retries' waits, on the virtual clock, are not counted in them (retry-clock.ts). Empty in a
   * definition saved before the engine paced retries: the interpreter times and retries those itself.
   */
  attemptTimeouts: ReadonlyMap<string, number>;
}

/** Identifies one version of a journey's adapted definition. */
export function definitionHash(local: LocalDefinition): string {
  return createHash('sha256').update(JSON.stringify(local.definition)).digest('hex').slice(0, 16);
}

export function localDefinition(compiled: StateMachineDefinition): LocalDefinition {
  const clockWaits = new Map<string, ClockWait>();
  const tokenTimeouts = new Map<string, number>();
  const attemptTimeouts = new Map<string, number>();
  const states: Record<string, State> = {};
  for (const [name, state] of Object.entries(compiled.States)) {
    states[name] = adapt(name, state, clockWaits, { tokens: tokenTimeouts, attempts: attemptTimeouts });
  }
  let text = definitionText({ ...compiled, States: states });
  for (const [name, value] of Object.entries(BINDINGS)) text = text.replaceAll(`\${${name}}`, value);
  const parsed: unknown = JSON.parse(text);
  if (!isInterpreterDefinition(parsed)) throw new Error('The adapted definition is not a state machine');
  return { definition: parsed, clockWaits, tokenTimeouts, attemptTimeouts };
}

/** The same machine entered at `state`: how an execution resumes after a restart. */
export function resumedAt(local: LocalDefinition, state: string): InterpreterDefinition {
  return { ...local.definition, StartAt: state };
}

function adapt(
  name: string,
  state: State,
  clockWaits: Map<string, ClockWait>,
  timeouts: { tokens: Map<string, number>; attempts: Map<string, number> },
): State {
  if (state.Type === 'Wait') {
    clockWaits.set(
      name,
      state.TimestampPath === undefined
        ? { kind: 'seconds', seconds: state.Seconds ?? 0 }
        : { kind: 'timestampPath', path: state.TimestampPath },
    );
    const task: TaskState = {
      Type: 'Task',
      Resource: CLOCK_WAIT_RESOURCE,
      Parameters: { 'input.$': '$' },
      // The wait's output is its input, as a Wait state's is.
      ResultPath: null,
      TimeoutSeconds: UNBOUNDED_TIMEOUT_SECONDS,
      ...(state.Comment === undefined ? {} : { Comment: state.Comment }),
      ...(state.Next === undefined ? {} : { Next: state.Next }),
      ...(state.End === undefined ? {} : { End: state.End }),
    };
    return task;
  }
  if (state.Type === 'Task' && state.Resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN) {
    timeouts.tokens.set(name, state.TimeoutSeconds);
    return {
      ...state,
      Parameters: { ...state.Parameters, [`${STATE_INPUT_FIELD}.$`]: '$' },
      TimeoutSeconds: UNBOUNDED_TIMEOUT_SECONDS,
    };
  }
  if (state.Type === 'Task') {
    timeouts.attempts.set(name, state.TimeoutSeconds);
    return { ...state, TimeoutSeconds: UNBOUNDED_TIMEOUT_SECONDS };
  }
  if (state.Type === 'Map') {
    // A Map's workers wait on the clock too (the broadcast machine paces them); state names are unique.
    const inner: Record<string, State> = {};
    for (const [innerName, innerState] of Object.entries(state.ItemProcessor.States)) {
      inner[innerName] = adapt(innerName, innerState, clockWaits, timeouts);
    }
    return { ...state, ItemProcessor: { ...state.ItemProcessor, States: inner } };
  }
  return state;
}

export function isInterpreterDefinition(value: unknown): value is InterpreterDefinition {
  return isRecord(value) && typeof value.StartAt === 'string' && isRecord(value.States);
}

/** Whether the engine times a Task and waits its retries on the clock (retry-clock.ts). */
export function pacedByEngine(local: LocalDefinition, state: string): boolean {
  return local.attemptTimeouts.has(state) || local.tokenTimeouts.has(state);
}

/**
 * The interpreter's own waits before retries: none where the engine waits them on its clock. A Task of
 * a definition saved before that keeps the old pace: not at all on a jumping clock, scaled otherwise.
 */
export function retryIntervals(local: LocalDefinition, mode: ClockMode): Record<string, number> {
  const intervals: Record<string, number> = {};
  for (const [name, state] of Object.entries(local.definition.States)) {
    if (state.Type !== 'Task') continue;
    const seconds = state.Retry?.[0]?.IntervalSeconds ?? 1;
    intervals[name] =
      mode.kind === 'manual' || pacedByEngine(local, name) ? 0 : (seconds * 1000) / mode.scale;
  }
  return intervals;
}

/** When a Wait the engine runs on its clock is due: now plus its seconds, or the time its path names. */
export function clockWaitDue(local: LocalDefinition, state: string, stateInput: JsonValue, now: Date): Date {
  const wait = local.clockWaits.get(state);
  if (wait === undefined) return now;
  switch (wait.kind) {
    case 'seconds':
      return new Date(now.getTime() + wait.seconds * 1000);
    case 'timestampPath': {
      const value = readJsonPath(stateInput, wait.path);
      const due = typeof value === 'string' ? Date.parse(value) : Number.NaN;
      // Step Functions fails a Wait whose timestamp path is missing or not a timestamp.
      if (Number.isNaN(due)) throw new EngineError('States.Runtime', `${wait.path} is not a timestamp`);
      return new Date(due);
    }
    default: {
      const unreachable: never = wait;
      throw new Error(`Unknown wait ${JSON.stringify(unreachable)}`);
    }
  }
}
