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
