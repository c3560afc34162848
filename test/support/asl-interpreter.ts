/**
 * Runs compiled definitions in aws-local-stepfunctions, the real ASL
 * interpreter, with every Task bound to a fake service by state name.
 * The bindings reproduce what the service integrations hand back to the
 * state machine, so the definition's ResultSelector and paths are exercised
 * exactly as on AWS.
 */
import { isRecord } from '../../shared/json.ts';
import { randomUUID } from 'node:crypto';
import { type RunOptions, StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from '../../shared/asl/types.ts';
import {
  type DeliveryOutcome,
  LAMBDA_INVOKE,
  LAMBDA_INVOKE_WAIT_FOR_TOKEN,
  PLACEHOLDERS,
  type PlaceholderName,
  TASK_ERRORS,
} from '../../shared/contract/tasks.ts';
import { definitionText } from '../../shared/journey/compile.ts';

// The interpreter declares Node >= 22 and uses Promise.withResolvers from its first Task on.
import '../../infra/local/polyfill.ts';

type InterpreterDefinition = ConstructorParameters<typeof StateMachine>[0];
export type JsonValue = Parameters<StateMachine['run']>[0];
export type JsonObject = { [key: string]: JsonValue };
type RunHandle = ReturnType<StateMachine['run']>;
export type EventLog = RunHandle['eventLogs'] extends AsyncGenerator<infer Event> ? Event : never;
type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

export const FAKE_ACCOUNT = '123456789012';
export const FAKE_BINDINGS: Record<PlaceholderName, string> = {
  [PLACEHOLDERS.stepsFunction]: `arn:aws:lambda:us-east-1:${FAKE_ACCOUNT}:function:steps`,
  [PLACEHOLDERS.deliverFunction]: `arn:aws:lambda:us-east-1:${FAKE_ACCOUNT}:function:deliver`,
  [PLACEHOLDERS.eventBus]: 'waymark-test-bus',
};

export interface TaskCall {
  state: string;
  resource: string;
  /** The Task's effective input: its Parameters evaluated against the state. */
  input: JsonValue;
}

/**
 * Answers a Task the way the service would. For `lambda:invoke` return the
 * function's own result: the binding wraps it in `{ Payload }` as the
 * integration does. Throw an Error whose `name` is the error code to fail:
 * thrown by a function (any Lambda task), it reaches the state machine as
 * Lambda reports it, its name as the Error and Lambda's JSON as the Cause
 * (see `lambdaCause`). Throw a `StatesError` for an error that is not the
 * function's (a Lambda service error, a callback's SendTaskFailure), and
 * Step Functions' own `States.*` errors as they are: those keep their cause.
 */
export type FakeService = (call: TaskCall) => JsonValue | Promise<JsonValue>;

/** An error that reaches the state machine with exactly this Error and Cause, not wrapped as a function's. */
export class StatesError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/**
 * The Cause Step Functions gives a Lambda function's error (Lambda's own answer to the invocation):
 * `{"errorType":"<name>","errorMessage":"<message>","trace":[]}`. The trace is empty here.
 */
export function lambdaCause(error: { name: string; message: string }): string {
  return JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] });
}

/** An error a function throws, named as the ASL matches it. */
export function functionError(name: string, message = `${name} (raised by a fake)`): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

export type DeferredOutcome = Extract<DeliveryOutcome, { status: 'deferred' | 'rate-limited' }>;

/**
 * What the deliver function throws for a deferral when its task says `deferral: 'error'`
 * (functions/deliver/handler.ts): Waymark.Deferred, its message the outcome as JSON. Thrown by a
 * fake, it reaches the state machine with Lambda's cause around that message, as on AWS.
 */
export function deferredError(outcome: DeferredOutcome): Error {
  return functionError(TASK_ERRORS.deferred, JSON.stringify(outcome));
}

/** A fake's error as the Lambda integration hands it to the state machine. */
function asLambdaError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof StatesError || error.name.startsWith('States.')) {
    return error;
  }
  return new StatesError(error.name, lambdaCause(error));
}

export interface ExecutionReport {
  status: 'SUCCEEDED' | 'FAILED';
  output: JsonValue | undefined;
  error: unknown;
  /** Names of the states entered, in order (a retried state appears once per entry). */
  entered: string[];
  calls: TaskCall[];
  events: EventLog[];
}

export interface RunSettings {
  /**
   * Every Wait takes 0 ms except these, which the interpreter evaluates for real
   * (their path and timestamp checks included): give them timestamps in the past.
   */
  realWaits?: readonly string[];
  context?: Record<string, unknown>;
}

export function isJsonValue(value: unknown): value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonValue);
  if (isRecord(value)) return Object.values(value).every(isJsonValue);
  return false;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return isRecord(value) && isJsonValue(value);
}

/** `${Name}` placeholders filled the way CDK's definitionSubstitutions fill them. */
export function substitutePlaceholders(
  text: string,
  bindings: Record<PlaceholderName, string> = FAKE_BINDINGS,
): string {
  let result = text;
  for (const [name, value] of Object.entries(bindings)) result = result.replaceAll(`\${${name}}`, value);
  return result;
}

// The interpreter validates its input itself (with asl-validator) in the constructor,
// so a shape check is enough to hand the parsed text over.
function isInterpreterDefinition(value: unknown): value is InterpreterDefinition {
  return isRecord(value) && typeof value.StartAt === 'string' && isRecord(value.States);
}

export class LocalStateMachine {
  readonly definition: InterpreterDefinition;
  private readonly machine: StateMachine;

  /** Builds (and validates) the interpreter's machine once: construction is the slow part. */
  constructor(compiled: StateMachineDefinition) {
    const parsed: unknown = JSON.parse(substitutePlaceholders(definitionText(compiled)));
    if (!isInterpreterDefinition(parsed)) throw new Error('The compiled definition is not a state machine');
    if (JSON.stringify(parsed).includes('${')) {
      throw new Error('The definition still has an unbound placeholder');
    }
    this.definition = parsed;
    this.machine = new StateMachine(parsed);
  }

  async run(input: JsonValue, service: FakeService, settings: RunSettings = {}): Promise<ExecutionReport> {
    const calls: TaskCall[] = [];
    const handlers: LocalHandlers = {};
    const waitTimeOverrides: Record<string, number> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    for (const [name, state] of Object.entries(this.definition.States)) {
      if (state.Type === 'Wait' && !settings.realWaits?.includes(name)) waitTimeOverrides[name] = 0;
      if (state.Type === 'Task') {
        // Retry intervals are the real definition's; sleeping through them would only slow the tests.
        retryIntervalOverrides[name] = 0;
        const resource = state.Resource;
        handlers[name] = async (taskInput) => {
          const call: TaskCall = { state: name, resource, input: taskInput };
          calls.push(call);
          let result: JsonValue;
          try {
            result = await service(call);
          } catch (error) {
            const lambda = resource === LAMBDA_INVOKE || resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN;
            throw lambda ? asLambdaError(error) : error;
          }
          // lambda:invoke hands back the invocation response; the function's result is its Payload.
          return resource === LAMBDA_INVOKE
            ? { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 }
            : result;
        };
      }
    }
    const handle = this.machine.run(input, {
      overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides, retryIntervalOverrides },
      context: {
        Execution: {
          Id: `arn:aws:states:us-east-1:${FAKE_ACCOUNT}:execution:local:${randomUUID()}`,
          Name: randomUUID(),
        },
        // The interpreter fills neither: each read must give what Step Functions would at that moment.
        State: {
          get EnteredTime() {
            return new Date().toISOString();
          },
        },
        Task: {
          get Token() {
            return randomUUID();
          },
        },
        ...settings.context,
      },
    });
    let status: ExecutionReport['status'] = 'SUCCEEDED';
    let output: JsonValue | undefined;
    let error: unknown;
    try {
      output = await handle.result;
    } catch (caught) {
      status = 'FAILED';
      error = caught;
    }
    const events: EventLog[] = [];
    for await (const event of handle.eventLogs) events.push(event);
    const entered = events.flatMap((event) => (event.type === 'StateEntered' ? [event.state.name] : []));
    return { status, output, error, entered, calls, events };
  }
}

export { isRecord };
