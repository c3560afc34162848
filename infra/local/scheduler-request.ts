/**
 * What the local EventBridge Scheduler accepts in a CreateSchedule, checked as the service checks it
 * (the API reference's constraints, and its "N validation errors detected: Value … at '<field>' failed to
 * satisfy constraint: …" wording, so a message names the field to fix), and the schedule it becomes.
 */
import * as z from 'zod';
import { isRecord } from '../../shared/json.ts';
import { zonedTimeToInstant } from '../../shared/time/zone.ts';
import { jsonNestingDepth, MAX_NESTING_DEPTH } from './json-guard.ts';

/** The group every account has, used when a request names none. */
export const DEFAULT_SCHEDULE_GROUP = 'default';

/** A schedule's or a group's name (API reference: 1 to 64 of these). */
export const NAME_PATTERN = /^[0-9a-zA-Z\-_.]{1,64}$/;
const NAME_PATTERN_TEXT = '[0-9a-zA-Z-_.]+';

/** Step Functions' input limit, which a schedule's Input must keep to for its start to succeed. */
export const MAX_INPUT_BYTES = 262_144;

const ROLE_ARN = /^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const QUEUE_ARN = /^arn:aws(-[a-z]+)?:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9\-_]+$/;

const retryPolicySchema = z.object({
  MaximumEventAgeInSeconds: z.number().int().optional(),
  MaximumRetryAttempts: z.number().int().optional(),
});

/** A target as CreateSchedule takes it and GetSchedule gives it back; a Step Functions target's fields only. */
export const targetSchema = z.object({
  Arn: z.string(),
  RoleArn: z.string(),
  Input: z.string().optional(),
  RetryPolicy: retryPolicySchema.optional(),
  DeadLetterConfig: z.object({ Arn: z.string().optional() }).optional(),
});
export type ScheduleTarget = z.infer<typeof targetSchema>;

const windowSchema = z.object({
  Mode: z.enum(['OFF', 'FLEXIBLE']),
  MaximumWindowInMinutes: z.number().int().optional(),
});

/** A schedule as the stand-in keeps it (in memory and, with a data folder, one file each). */
export const scheduleSchema = z.object({
  group: z.string(),
  name: z.string(),
  expression: z.string(),
  timezone: z.string().optional(),
  /** The instant its at() names, in its time zone. */
  dueAt: z.string(),
  state: z.enum(['ENABLED', 'DISABLED']),
  afterCompletion: z.enum(['NONE', 'DELETE']),
  window: windowSchema,
  target: targetSchema,
  description: z.string().optional(),
  /** Epoch seconds, as the API carries them; kept and given back, ignored for a one-time schedule as on AWS. */
  startDate: z.number().optional(),
  endDate: z.number().optional(),
  kmsKeyArn: z.string().optional(),
  createdAt: z.string(),
  /** Fired and kept (ActionAfterCompletion NONE): it never fires again. */
  firedAt: z.string().optional(),
});
export type Schedule = z.infer<typeof scheduleSchema>;

const createRequestSchema = z.object({
  ScheduleExpression: z.string(),
  Target: targetSchema,
  FlexibleTimeWindow: windowSchema,
  GroupName: z.string().optional(),
  StartDate: z.number().optional(),
  EndDate: z.number().optional(),
  Description: z.string().optional(),
  ScheduleExpressionTimezone: z.string().optional(),
  State: z.enum(['ENABLED', 'DISABLED']).optional(),
  KmsKeyArn: z.string().optional(),
  ClientToken: z.string().optional(),
  ActionAfterCompletion: z.enum(['NONE', 'DELETE']).optional(),
});

export type CreateCheck = { ok: true; schedule: Schedule } | { ok: false; message: string };

/** What the engine knows when a schedule is made: the time, and the state machines a target may start. */
export interface CreateContext {
  now: Date;
  stateMachines: readonly string[];
}

/**
 * The schedule a CreateSchedule body makes, or every reason AWS would refuse it (ValidationException).
 * `name` comes from the path, already checked.
 */
export function checkCreate(name: string, body: unknown, context: CreateContext): CreateCheck {
  const parsed = createRequestSchema.safeParse(body);
  if (!parsed.success) {
    return {
      ok: false,
      message: validationMessage(
        parsed.error.issues.map((issue) => {
          const field = issue.path.map((key) => camel(String(key))).join('.');
          return `Value at '${field}' failed to satisfy constraint: ${issue.message}`;
        }),
      ),
    };
  }
  const request = parsed.data;
  const problems: string[] = [];
  const constrain = (ok: boolean, value: unknown, field: string, constraint: string): void => {
    if (!ok)
      problems.push(`Value ${quoted(value)} at '${field}' failed to satisfy constraint: ${constraint}`);
  };
  const group = request.GroupName ?? DEFAULT_SCHEDULE_GROUP;
  constrain(
    NAME_PATTERN.test(group),
    group,
    'groupName',
    `Member must satisfy regular expression pattern: ${NAME_PATTERN_TEXT} (1 to 64 characters)`,
  );
  const { Target: target, FlexibleTimeWindow: window } = request;
  constrain(
    ROLE_ARN.test(target.RoleArn),
    target.RoleArn,
    'target.roleArn',
    `Member must satisfy regular expression pattern: ${ROLE_ARN.source}`,
  );
  const deadLetter = target.DeadLetterConfig?.Arn;
  if (deadLetter !== undefined) {
    constrain(
      QUEUE_ARN.test(deadLetter),
      deadLetter,
      'target.deadLetterConfig.arn',
      `Member must satisfy regular expression pattern: ${QUEUE_ARN.source}`,
    );
  }
  const age = target.RetryPolicy?.MaximumEventAgeInSeconds;
  if (age !== undefined) {
    constrain(
      age >= 60 && age <= 86_400,
      age,
      'target.retryPolicy.maximumEventAgeInSeconds',
      range(60, 86_400),
    );
  }
  const attempts = target.RetryPolicy?.MaximumRetryAttempts;
  if (attempts !== undefined) {
    constrain(
      attempts >= 0 && attempts <= 185,
      attempts,
      'target.retryPolicy.maximumRetryAttempts',
      range(0, 185),
    );
  }
  // Scheduler itself takes any ARN here and fails at the start; the stand-in can only start its own
  // machines, so it says so when the schedule is made rather than a day of retries later.
  constrain(
    context.stateMachines.includes(target.Arn),
    target.Arn,
    'target.arn',
    `Member must be the ARN of a state machine of the local engine (${listed(context.stateMachines)})`,
  );
  if (target.Input !== undefined) {
    const inputProblem = inputConstraint(target.Input);
    if (inputProblem !== undefined)
      problems.push(`Value at 'target.input' failed to satisfy constraint: ${inputProblem}`);
  }
  const mode = window.Mode;
  const minutes = window.MaximumWindowInMinutes;
  if (mode === 'FLEXIBLE' || minutes !== undefined) {
    constrain(
      minutes !== undefined && minutes >= 1 && minutes <= 1440,
      minutes ?? null,
      'flexibleTimeWindow.maximumWindowInMinutes',
      `${range(1, 1440)}, and is required with mode FLEXIBLE`,
    );
  }
  const description = request.Description;
  if (description !== undefined) {
    constrain(
      description.length <= 512,
      `${description.slice(0, 40)}…`,
      'description',
      'Member must have length less than or equal to 512',
    );
  }
  const expression = request.ScheduleExpression;
  // Checked here so that the message below never quotes a megabyte back.
  constrain(
    expression.length >= 1 && expression.length <= 256,
    expression,
    'scheduleExpression',
    'Member must have length between 1 and 256',
  );
  const timezone = request.ScheduleExpressionTimezone;
  if (timezone !== undefined) {
    constrain(
      isTimeZone(timezone),
      timezone,
      'scheduleExpressionTimezone',
      'Member must be an IANA time zone name, such as UTC or Europe/Paris',
    );
  }
  if (problems.length > 0) return { ok: false, message: validationMessage(problems) };

  const when = parseExpression(expression);
  switch (when.kind) {
    case 'invalid':
      return { ok: false, message: `Invalid Schedule Expression ${expression}.` };
    case 'recurring':
      // Refused rather than kept and never run: a schedule that silently never fires is worse than an error.
      // The functions make one-time schedules only; broadcasts' recurring runs are the engine's own (broadcasts.ts).
      return {
        ok: false,
        message: `The local engine's EventBridge Scheduler runs one-time schedules only, at(yyyy-mm-ddThh:mm:ss); ${when.form}() schedules are refused here (AWS takes them).`,
      };
    case 'at':
      break;
    default: {
      const unreachable: never = when;
      throw new Error(`Unknown expression ${JSON.stringify(unreachable)}`);
    }
  }
  // A flexible window fires at its start: a moment AWS may pick too. A time already past fires at once;
  // AWS may refuse an at() in the past, but the functions never make one.
  const dueAt = zonedTimeToInstant(when.local, timezone ?? 'UTC');
  const now = context.now.toISOString();
  return {
    ok: true,
    schedule: {
      group,
      name,
      expression,
      ...(timezone === undefined ? {} : { timezone }),
      dueAt: dueAt.toISOString(),
      state: request.State ?? 'ENABLED',
      afterCompletion: request.ActionAfterCompletion ?? 'NONE',
      window: { Mode: mode, ...(minutes === undefined ? {} : { MaximumWindowInMinutes: minutes }) },
      target,
      ...(description === undefined ? {} : { description }),
      ...(request.StartDate === undefined ? {} : { startDate: request.StartDate }),
      ...(request.EndDate === undefined ? {} : { endDate: request.EndDate }),
      ...(request.KmsKeyArn === undefined ? {} : { kmsKeyArn: request.KmsKeyArn }),
      createdAt: now,
    },
  };
}

type Expression =
  | {
      kind: 'at';
      local: { year: number; month: number; day: number; hour: number; minute: number; second: number };
    }
  | { kind: 'recurring'; form: 'rate' | 'cron' }
  | { kind: 'invalid' };

const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const RATE = /^rate\([1-9]\d* (minute|minutes|hour|hours|day|days)\)$/;
/** Six fields (minutes, hours, day of month, month, day of week, year), as Scheduler's cron has. */
const CRON = /^cron\(\S+( \S+){5}\)$/;

function parseExpression(expression: string): Expression {
  if (RATE.test(expression)) return { kind: 'recurring', form: 'rate' };
  if (CRON.test(expression)) return { kind: 'recurring', form: 'cron' };
  const match = AT.exec(expression);
  if (match === null) return { kind: 'invalid' };
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  if (
    year === undefined ||
    month === undefined ||
    day === undefined ||
    hour === undefined ||
    minute === undefined ||
    second === undefined
  ) {
    return { kind: 'invalid' };
  }
  // A date that does not exist (2026-02-30) rolls over in Date.UTC: compare to catch it.
  const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const real =
    probe.getUTCFullYear() === year &&
    probe.getUTCMonth() === month - 1 &&
    probe.getUTCDate() === day &&
    probe.getUTCHours() === hour &&
    probe.getUTCMinutes() === minute &&
    probe.getUTCSeconds() === second;
  return real ? { kind: 'at', local: { year, month, day, hour, minute, second } } : { kind: 'invalid' };
}

/** Why an Input could not start a state machine, or undefined: JSON text of an object, within 256 KB. */
function inputConstraint(input: string): string | undefined {
  const bytes = Buffer.byteLength(input, 'utf8');
  if (bytes === 0 || bytes > MAX_INPUT_BYTES) {
    return `Member must have length between 1 and ${MAX_INPUT_BYTES} bytes (it has ${bytes})`;
  }
  // Checked before parsing: a text nested thousands deep would exhaust the stack of whatever walks it.
  if (jsonNestingDepth(input, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) {
    return `Member must nest at most ${MAX_NESTING_DEPTH} levels deep (the local engine's limit for an execution's input)`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(input);
  } catch {
    return 'Member must be JSON text (a Step Functions target starts its execution with it)';
  }
  return isRecord(parsed) ? undefined : 'Member must be a JSON object (an execution input)';
}

function isTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 50) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function range(min: number, max: number): string {
  return `Member must have value between ${min} and ${max}`;
}

function validationMessage(problems: readonly string[]): string {
  const count = problems.length;
  return `${count} validation error${count === 1 ? '' : 's'} detected: ${problems.join('; ')}`;
}

/** A value as AWS quotes it in a message, cut short: a name can be 10,000 characters long. */
export function quoted(value: unknown): string {
  if (value === null) return 'null';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const short = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return `'${JSON.stringify(short).slice(1, -1)}'`;
}

function listed(arns: readonly string[]): string {
  if (arns.length === 0) return 'it runs none';
  const shown = arns.slice(0, 5).join(', ');
  return arns.length > 5 ? `${shown} and ${arns.length - 5} more` : shown;
}

/** The field as AWS names it in messages: the member's name with a lower-case first letter. */
function camel(member: string): string {
  return member.length === 0 ? member : `${member[0]?.toLowerCase() ?? ''}${member.slice(1)}`;
}

/** Why a schedule or group name is refused, in AWS's words, or undefined. */
export function nameProblem(name: string, field: 'name' | 'groupName'): string | undefined {
  if (NAME_PATTERN.test(name)) return undefined;
  return validationMessage([
    `Value ${quoted(name)} at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN_TEXT} (1 to 64 characters)`,
  ]);
}
