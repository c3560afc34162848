/**
 * The EventBridge Scheduler API of the local engine, in the restJson1 protocol the SDK's SchedulerClient
 * speaks: CreateSchedule (POST /schedules/{Name}), GetSchedule (GET /schedules/{Name}?groupName=) and
 * DeleteSchedule (DELETE /schedules/{Name}?groupName=). Errors come as Scheduler sends them: the type in
 * `x-amzn-errortype`, `{"Message": …}` in the body, with its status (ConflictException 409,
 * ResourceNotFoundException 404, ValidationException 400), so the SDK raises the same named exceptions.
 */
import type { IncomingMessage } from 'node:http';
import type { Reply } from './edge-reply.ts';
import { publicMessage } from './errors.ts';
import { jsonNestingDepth, MAX_NESTING_DEPTH } from './json-guard.ts';
import { readRequestBody, RequestBodyTooLarge } from './loopback.ts';
import {
  checkCreate,
  DEFAULT_SCHEDULE_GROUP,
  MAX_INPUT_BYTES,
  nameProblem,
  quoted,
  type Schedule,
} from './scheduler-request.ts';
import { type LocalScheduler, scheduleArn } from './scheduler-store.ts';

/**
 * A CreateSchedule is a 256 KB Input at most and a few fields; four times that leaves room for any real
 * request, and a larger one is answered with a ValidationException before it fills memory.
 */
const MAX_REQUEST_BYTES = 4 * MAX_INPUT_BYTES;

export async function handleScheduler(
  request: IncomingMessage,
  url: URL,
  scheduler: LocalScheduler,
): Promise<Reply> {
  let body: string;
  try {
    body = await readRequestBody(request, MAX_REQUEST_BYTES);
  } catch (error) {
    if (!(error instanceof RequestBodyTooLarge)) throw error;
    return fault(
      400,
      'ValidationException',
      `The request body is larger than ${MAX_REQUEST_BYTES} bytes; a schedule's Input may have ${MAX_INPUT_BYTES} bytes at most.`,
    );
  }
  const method = request.method ?? 'GET';
  // The path as sent, not as the URL parser resolved it: ".." is a valid schedule name, not a step up.
  const path = rawPath(request.url, url);
  const label = /^\/schedules\/([^/]+)$/.exec(path)?.[1];
  if (label === undefined || !['POST', 'GET', 'DELETE'].includes(method)) {
    return fault(
      404,
      'UnknownOperationException',
      `The local engine's EventBridge Scheduler serves CreateSchedule, GetSchedule and DeleteSchedule (POST, GET and DELETE /schedules/{Name}), not ${method} ${shorten(path)}.`,
    );
  }
  // A broken %-escape is checked as it came: it is no name either way.
  const name = decoded(label) ?? label;
  const badName = nameProblem(name, 'name');
  if (badName !== undefined) return fault(400, 'ValidationException', badName);
  try {
    if (method === 'POST') return create(scheduler, name, body);
    const group = url.searchParams.get('groupName') ?? DEFAULT_SCHEDULE_GROUP;
    const badGroup = nameProblem(group, 'groupName');
    if (badGroup !== undefined) return fault(400, 'ValidationException', badGroup);
    if (!scheduler.knowsGroup(group)) return noGroup(group);
    if (method === 'GET') {
      const schedule = scheduler.get(group, name);
      return schedule === undefined ? noSchedule(name) : { status: 200, body: describe(schedule) };
    }
    return scheduler.delete(group, name) ? { status: 200, body: {} } : noSchedule(name);
  } catch (error) {
    // A file the engine could not write, say: retryable, and without the path.
    return fault(500, 'InternalServerException', `The local Scheduler failed: ${publicMessage(error)}`);
  }
}

function create(scheduler: LocalScheduler, name: string, body: string): Reply {
  // Checked before parsing: a body nested thousands deep would exhaust the stack of whatever walks it.
  if (jsonNestingDepth(body, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) {
    return fault(
      400,
      'ValidationException',
      `The request body nests deeper than ${MAX_NESTING_DEPTH} levels.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body === '' ? '{}' : body);
  } catch {
    return fault(400, 'ValidationException', 'The request body is not valid JSON.');
  }
  const checked = checkCreate(name, parsed, {
    now: scheduler.now(),
    stateMachines: scheduler.stateMachines(),
  });
  if (!checked.ok) return fault(400, 'ValidationException', checked.message);
  const outcome = scheduler.create(checked.schedule);
  switch (outcome.kind) {
    case 'created':
      return { status: 200, body: { ScheduleArn: outcome.arn } };
    case 'exists':
      return fault(409, 'ConflictException', `Schedule ${name} already exists.`);
    case 'no-group':
      return noGroup(checked.schedule.group);
    default: {
      const unreachable: never = outcome;
      throw new Error(`Unknown outcome ${JSON.stringify(unreachable)}`);
    }
  }
}

/** GetSchedule's answer: what the schedule was made with, timestamps in epoch seconds. */
function describe(schedule: Schedule): Record<string, unknown> {
  const epoch = (iso: string): number => Date.parse(iso) / 1000;
  return {
    Arn: scheduleArn(schedule.group, schedule.name),
    GroupName: schedule.group,
    Name: schedule.name,
    ScheduleExpression: schedule.expression,
    ...(schedule.timezone === undefined ? {} : { ScheduleExpressionTimezone: schedule.timezone }),
    State: schedule.state,
    ActionAfterCompletion: schedule.afterCompletion,
    FlexibleTimeWindow: schedule.window,
    Target: schedule.target,
    ...(schedule.description === undefined ? {} : { Description: schedule.description }),
    ...(schedule.startDate === undefined ? {} : { StartDate: schedule.startDate }),
    ...(schedule.endDate === undefined ? {} : { EndDate: schedule.endDate }),
    ...(schedule.kmsKeyArn === undefined ? {} : { KmsKeyArn: schedule.kmsKeyArn }),
    CreationDate: epoch(schedule.createdAt),
    LastModificationDate: epoch(schedule.firedAt ?? schedule.createdAt),
  };
}

function noGroup(group: string): Reply {
  return fault(404, 'ResourceNotFoundException', `Schedule group ${group} does not exist.`);
}

function noSchedule(name: string): Reply {
  return fault(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
}

/** Scheduler's error shape: the type in the header, `Message` in the body. */
function fault(status: number, type: string, message: string): Reply {
  return { status, body: { Message: message }, headers: { 'x-amzn-errortype': type } };
}

/** The request's own path (an absolute-form target's path part); undefined targets fall back to the URL's. */
function rawPath(target: string | undefined, url: URL): string {
  if (target === undefined || !target.startsWith('/')) return url.pathname;
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
}

function decoded(label: string): string | undefined {
  try {
    return decodeURIComponent(label);
  } catch {
    return undefined;
  }
}

function shorten(path: string): string {
  return quoted(path).slice(1, -1);
}
