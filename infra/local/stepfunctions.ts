/**
 * The Step Functions API of the local engine (awsJson1_0, `AWSStepFunctions.<Operation>`), over
 * the engine's executions. Answers as the service does, so the SDK's SFNClient works unchanged.
 */
import * as z from 'zod';
import { isRecord, type JsonValue, toJsonValue } from '../../shared/json.ts';
import { EngineError, type LocalEngine } from './engine.ts';
import { errorMessage } from './errors.ts';
import type { ExecutionRecord } from './executions.ts';

export type ApiReply = { status: number; body: unknown };

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
    return fault('InvalidArgument', errorMessage(error));
  }
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

function fault(type: string, message: string): ApiReply {
  return { status: 400, body: { __type: type, message } };
}
