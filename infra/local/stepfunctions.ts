/**
 * The Step Functions API of the local engine (awsJson1_0, `AWSStepFunctions.<Operation>`), over
 * the engine's executions. Answers as the service does, so the SDK's SFNClient works unchanged.
 */
import * as z from 'zod';
import { isRecord, type JsonValue, toJsonValue } from '../../shared/json.ts';
import { EngineError, type LocalEngine } from './engine.ts';
import { publicMessage } from './errors.ts';
import type { ExecutionRecord } from './executions.ts';
import { jsonNestingDepth, MAX_NESTING_DEPTH } from './json-guard.ts';

export type ApiReply = { status: number; body: unknown };

/** StartExecution's name: 1 to 80 characters (API reference, StartExecution name). */
const MAX_EXECUTION_NAME_LENGTH = 80;

/**
 * What AWS refuses in an execution name (API reference, StartExecution name): whitespace, brackets, wildcards
 * and the listed special characters; control characters (U+0000-001F, U+007F-009F) are checked by code.
 */
const REFUSED_NAME_CHARACTER = /^[\s<>{}[\]?*"#%\\^|~`$&,;:/]$/u;

const schemas = {
  StartExecution: z.object({
    stateMachineArn: z.string(),
    name: z.string().optional(),
    input: z.string().optional(),
  }),
  DescribeExecution: z.object({ executionArn: z.string() }),
  ListExecutions: z.object({ stateMachineArn: z.string().optional(), statusFilter: z.string().optional() }),
  StopExecution: z.object({
    executionArn: z.string(),
    error: z.string().optional(),
    cause: z.string().optional(),
  }),
  SendTaskSuccess: z.object({ taskToken: z.string(), output: z.string() }),
  SendTaskFailure: z.object({
    taskToken: z.string(),
    error: z.string().optional(),
    cause: z.string().optional(),
  }),
  GetExecutionHistory: z.object({ executionArn: z.string(), reverseOrder: z.boolean().optional() }),
  ListStateMachines: z.object({}),
};
type Operation = keyof typeof schemas;

function isOperation(value: string): value is Operation {
  return Object.hasOwn(schemas, value);
}

export function handleStepFunctions(operation: string, requestBody: string, engine: LocalEngine): ApiReply {
  if (!isOperation(operation)) return fault('UnknownOperationException', `Unknown operation ${operation}`);
  let body: unknown;
  try {
    body = requestBody.trim() === '' ? {} : JSON.parse(requestBody);
  } catch {
    return fault('SerializationException', 'The request body is not valid JSON');
  }
  try {
    return { status: 200, body: answer(operation, body, engine) };
  } catch (error) {
    if (error instanceof EngineError) return fault(error.name, error.message);
    if (error instanceof z.ZodError) return fault('ValidationException', z.prettifyError(error));
    // Not the client's doing (a file the engine could not write, say): a retryable 500, without the path.
    return fault('InternalFailure', `The local Step Functions failed: ${publicMessage(error)}`, 500);
  }
}

/**
 * Why AWS would refuse this execution name, or undefined. Checked before anything is started or written, so
 * a refused name leaves no execution behind, and every name that passes is one AWS would take.
 */
export function executionNameProblem(name: string): string | undefined {
  const characters = [...name];
  // A name can be 10,000 characters long: the message quotes its start, escaped, and says how long it is.
  const quoted =
    characters.length > 20
      ? `'${JSON.stringify(characters.slice(0, 20).join('')).slice(1, -1)}…' (${characters.length} characters)`
      : `'${JSON.stringify(name).slice(1, -1)}'`;
  if (characters.length === 0 || characters.length > MAX_EXECUTION_NAME_LENGTH) {
    return `Invalid Name: ${quoted}: an execution name has 1 to ${MAX_EXECUTION_NAME_LENGTH} characters.`;
  }
  const refused = characters.find(isRefusedInName);
  if (refused === undefined) return undefined;
  const printable = /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(refused);
  const shown = printable
    ? `"${refused}"`
    : `U+${(refused.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  return `Invalid Name: ${quoted}: an execution name may not contain ${shown} (no whitespace, brackets, wildcards, control characters or any of "#%\\^|~\`$&,;:/).`;
}

function isRefusedInName(character: string): boolean {
  const code = character.codePointAt(0) ?? 0;
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f) || REFUSED_NAME_CHARACTER.test(character);
}

function answer(operation: Operation, body: unknown, engine: LocalEngine): unknown {
  switch (operation) {
    case 'ListStateMachines':
      return {
        stateMachines: engine.stateMachines().map((machine) => ({
          stateMachineArn: machine.arn,
          name: machine.name,
          type: machine.type,
          creationDate: 0,
        })),
      };
    case 'StartExecution': {
      const request = schemas.StartExecution.parse(body);
      const nameProblem = request.name === undefined ? undefined : executionNameProblem(request.name);
      if (nameProblem !== undefined) throw new EngineError('InvalidName', nameProblem);
      const input = parseInput(request.input ?? '{}');
      const record =
        request.name === undefined
          ? engine.startExecution(request.stateMachineArn, input)
          : engine.startExecution(request.stateMachineArn, input, request.name);
      return { executionArn: record.executionArn, startDate: epoch(record.startDate) };
    }
    case 'DescribeExecution':
      return describe(engine.describeExecution(schemas.DescribeExecution.parse(body).executionArn));
    case 'ListExecutions': {
      const request = schemas.ListExecutions.parse(body);
      return {
        executions: engine.listExecutions(request.stateMachineArn, request.statusFilter).map((record) => {
          const { input: _input, output: _output, ...summary } = describe(record);
          return summary;
        }),
      };
    }
    case 'StopExecution': {
      const request = schemas.StopExecution.parse(body);
      engine.stopExecution(request.executionArn, request.error, request.cause);
      return {
        stopDate: epoch(engine.describeExecution(request.executionArn).stopDate ?? new Date().toISOString()),
      };
    }
    case 'SendTaskSuccess': {
      const request = schemas.SendTaskSuccess.parse(body);
      engine.sendTaskSuccess(request.taskToken, parseOutput(request.output));
      return {};
    }
    case 'SendTaskFailure': {
      const request = schemas.SendTaskFailure.parse(body);
      engine.sendTaskFailure(request.taskToken, request.error ?? 'States.TaskFailed', request.cause ?? '');
      return {};
    }
    case 'GetExecutionHistory': {
      const request = schemas.GetExecutionHistory.parse(body);
      const events = history(engine.describeExecution(request.executionArn));
      return { events: request.reverseOrder === true ? events.reverse() : events };
    }
    default: {
      const unreachable: never = operation;
      throw new Error(`Unknown operation ${String(unreachable)}`);
    }
  }
}

function describe(record: ExecutionRecord) {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epoch(record.startDate),
    ...(record.stopDate === undefined ? {} : { stopDate: epoch(record.stopDate) }),
    input: JSON.stringify(record.input),
    ...(record.output === undefined ? {} : { output: JSON.stringify(record.output) }),
    ...(record.error === undefined ? {} : { error: record.error }),
    ...(record.cause === undefined ? {} : { cause: record.cause }),
  };
}

/** The execution's steps as history events: the types Step Functions uses, ids in order. */
function history(record: ExecutionRecord): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [
    {
      type: 'ExecutionStarted',
      timestamp: epoch(record.startDate),
      executionStartedEventDetails: { input: JSON.stringify(record.input) },
    },
  ];
  for (const step of record.steps) {
    const phase =
      step.event === 'entered' ? 'StateEntered' : step.event === 'exited' ? 'StateExited' : undefined;
    if (phase === undefined) continue;
    const key = step.event === 'entered' ? 'stateEnteredEventDetails' : 'stateExitedEventDetails';
    events.push({ type: `${step.type}${phase}`, timestamp: epoch(step.time), [key]: { name: step.state } });
  }
  if (record.status !== 'RUNNING' && record.stopDate !== undefined) {
    const type = { SUCCEEDED: 'ExecutionSucceeded', FAILED: 'ExecutionFailed', ABORTED: 'ExecutionAborted' }[
      record.status
    ];
    events.push({ type, timestamp: epoch(record.stopDate) });
  }
  return events.map((event, index) => ({ id: index + 1, previousEventId: index, ...event }));
}

function parseInput(text: string): JsonValue {
  // An input usually carries an event: it gets the same bound as an event's detail.
  if (jsonNestingDepth(text, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) {
    throw new EngineError(
      'InvalidExecutionInput',
      `The input nests deeper than ${MAX_NESTING_DEPTH} levels, the local engine's limit`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new EngineError('InvalidExecutionInput', 'The input is not valid JSON');
  }
  if (!isRecord(parsed)) throw new EngineError('InvalidExecutionInput', 'The input must be a JSON object');
  return toJsonValue(parsed);
}

/** A task's output may be any JSON value, unlike an execution's input. */
function parseOutput(text: string): JsonValue {
  try {
    return toJsonValue(JSON.parse(text));
  } catch {
    throw new EngineError('InvalidOutput', 'The output is not valid JSON');
  }
}

/** awsJson protocols carry timestamps as epoch seconds. */
function epoch(iso: string): number {
  return Date.parse(iso) / 1000;
}

function fault(type: string, message: string, status = 400): ApiReply {
  return { status, body: { __type: type, message } };
}
