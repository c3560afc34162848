/** ScheduleControl over EventBridge Scheduler (on AWS, or the local engine's stand-in). */
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import type { ScheduleControl } from './runtime.ts';

/** Scheduler's `at()` takes whole seconds, in the schedule's time zone (UTC here). */
export function atExpression(at: Date): string {
  // Rounded up: a part must never start before its wake.
  const seconds = new Date(Math.ceil(at.getTime() / 1000) * 1000);
  return `at(${seconds.toISOString().slice(0, 19)})`;
}

/**
 * EventBridge retries a failed start for up to a day (185 times) before the schedule's dead-letter
 * queue gets it: a throttled StartExecution is late, never lost.
 */
const RETRY_POLICY = { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 };

export function createSchedulerControl(
  scheduler: SchedulerClient,
  options: { group: string; deadLetterArn?: string },
): ScheduleControl {
  return {
    async create(schedule) {
      try {
        await scheduler.send(
          new CreateScheduleCommand({
            Name: schedule.name,
            GroupName: options.group,
            ScheduleExpression: atExpression(schedule.at),
            ScheduleExpressionTimezone: 'UTC',
            FlexibleTimeWindow: { Mode: 'OFF' },
            // A one-time schedule is gone once it has started its part: 10 million fit in a region.
            ActionAfterCompletion: 'DELETE',
            Target: {
              Arn: schedule.target.stateMachineArn,
              RoleArn: schedule.target.roleArn,
              Input: JSON.stringify(schedule.target.input),
              RetryPolicy: RETRY_POLICY,
              ...(options.deadLetterArn === undefined
                ? {}
                : { DeadLetterConfig: { Arn: options.deadLetterArn } }),
            },
          }),
        );
        return 'created';
      } catch (error) {
        if (error instanceof ConflictException) return 'exists';
        throw error;
      }
    },
    async delete(name) {
      try {
        await scheduler.send(new DeleteScheduleCommand({ Name: name, GroupName: options.group }));
        return true;
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return false;
        throw error;
      }
    },
  };
}
