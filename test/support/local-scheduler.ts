/**
 * The local engine's EventBridge Scheduler as a test reaches it: the SDK's SchedulerClient on the edge,
 * a one-time schedule as the functions make one (shared/runtime/schedules.ts), and the executions a fired
 * schedule started, read back through the SFN API.
 */
import { type CreateScheduleCommandInput, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DescribeExecutionCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';

/** The state machine of a sample journey: what a local schedule may start. */
export function journeyArn(journeyId: string): string {
  return `arn:aws:states:us-east-1:000000000000:stateMachine:${journeyId}`;
}

export const ROLE_ARN = 'arn:aws:iam::000000000000:role/waymark-local-scheduler';

export function schedulerClient(endpoint: string): SchedulerClient {
  return new SchedulerClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    // A refusal must reach the test as it is, not after the SDK's retries.
    maxAttempts: 1,
  });
}

/** `at(...)` for an instant, in UTC: what createSchedulerControl writes. */
export function atUtc(at: Date): string {
  return `at(${at.toISOString().slice(0, 19)})`;
}

/** A CreateSchedule as the functions send it, for `at`, starting `journeyId` with `input`. */
export function oneTimeSchedule(
  name: string,
  at: Date,
  input: unknown,
  overrides: Partial<CreateScheduleCommandInput> = {},
  journeyId = 'cart-abandonment',
): CreateScheduleCommandInput {
  return {
    Name: name,
    GroupName: 'waymark-local',
    ScheduleExpression: atUtc(at),
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    Target: {
      Arn: journeyArn(journeyId),
      RoleArn: ROLE_ARN,
      Input: JSON.stringify(input),
      RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
    },
    ...overrides,
  };
}

/** The executions of `stateMachineArn` whose input is `input`, each with its start date. */
export async function executionsStartedWith(
  sfn: SFNClient,
  stateMachineArn: string,
  input: unknown,
): Promise<{ executionArn: string; startDate: Date | undefined }[]> {
  const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
  const found: { executionArn: string; startDate: Date | undefined }[] = [];
  for (const execution of listed.executions ?? []) {
    if (execution.executionArn === undefined) continue;
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
    if (
      described.input !== undefined &&
      JSON.stringify(JSON.parse(described.input)) === JSON.stringify(input)
    ) {
      found.push({ executionArn: execution.executionArn, startDate: described.startDate });
    }
  }
  return found;
}

/** Lets everything already due happen (POST /_local/clock with {}), and answers the engine's time. */
export async function settle(endpoint: string): Promise<Date> {
  const response = await fetch(`${endpoint}/_local/clock`, { method: 'POST', body: '{}' });
  if (!response.ok) throw new Error(`/_local/clock: ${response.status} ${await response.text()}`);
  const answer: unknown = await response.json();
  const now = typeof answer === 'object' && answer !== null && 'now' in answer ? answer.now : undefined;
  if (typeof now !== 'string') throw new Error(`/_local/clock answered no time: ${JSON.stringify(answer)}`);
  return new Date(now);
}

/** CreateSchedule requests AWS refuses, each with what its ValidationException's message says. */
export function refusedCreates(at: Date): [string, CreateScheduleCommandInput, string][] {
  const CART = journeyArn('cart-abandonment');
  return [
    ['a name with a character AWS refuses', oneTimeSchedule('no!', at, {}), "at 'name'"],
    ['a name past 64 characters', oneTimeSchedule('n'.repeat(65), at, {}), "at 'name'"],
    [
      'an expression that is none',
      oneTimeSchedule('x', at, {}, { ScheduleExpression: 'tomorrow at noon' }),
      'Invalid Schedule Expression tomorrow at noon.',
    ],
    [
      'a date that does not exist',
      oneTimeSchedule('x', at, {}, { ScheduleExpression: 'at(2026-02-30T10:00:00)' }),
      'Invalid Schedule Expression',
    ],
    [
      'a recurring schedule, which the stand-in does not run',
      oneTimeSchedule('x', at, {}, { ScheduleExpression: 'rate(5 minutes)' }),
      'one-time schedules only',
    ],
    [
      'an unknown time zone',
      oneTimeSchedule('x', at, {}, { ScheduleExpressionTimezone: 'Mars/Olympus_Mons' }),
      "at 'scheduleExpressionTimezone'",
    ],
    [
      'a target that is no local state machine',
      oneTimeSchedule('x', at, {}, {}, 'no-such-journey'),
      "at 'target.arn'",
    ],
    [
      'an Input that is not JSON',
      oneTimeSchedule(
        'x',
        at,
        {},
        {
          Target: { Arn: CART, RoleArn: ROLE_ARN, Input: '{"resume":' },
        },
      ),
      "at 'target.input'",
    ],
    ['an Input past 256 KB', oneTimeSchedule('x', at, { big: 'x'.repeat(262_144) }), "at 'target.input'"],
    [
      'an Input nested thousands deep',
      oneTimeSchedule(
        'x',
        at,
        {},
        {
          Target: { Arn: CART, RoleArn: ROLE_ARN, Input: `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}` },
        },
      ),
      "at 'target.input'",
    ],
    [
      'a role that is no role ARN',
      oneTimeSchedule('x', at, {}, { Target: { Arn: CART, RoleArn: 'admin' } }),
      "at 'target.roleArn'",
    ],
  ];
}

/** Bodies no SDK sends: each must get a 400, and the engine must go on serving. */
export const HOSTILE_BODIES: [string, string][] = [
  ['a body past the size limit', 'x'.repeat(2 * 1024 * 1024)],
  ['a body that is not JSON', '{"ScheduleExpression": '],
  ['a body nested 100,000 deep', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
  ['a body cut off 100,000 deep', '{"Target":'.repeat(100_000)],
  ['a JSON array', '[1, 2, 3]'],
  [
    'a target of the wrong type',
    JSON.stringify({ ScheduleExpression: 'at(2026-11-19T00:00:00)', Target: 'x' }),
  ],
];
