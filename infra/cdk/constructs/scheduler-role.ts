/**
 * A role EventBridge Scheduler runs a schedule's target with: assumable by
 * Scheduler only, and only for this account's schedules of one group (the
 * confused-deputy conditions). Whoever creates it grants it the target's
 * actions and the schedules' dead-letter queue, nothing else.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';

export interface SchedulerRoleProps {
  readonly description: string;
  /** The group whose schedules alone may use the role. */
  readonly scheduleGroup: scheduler.IScheduleGroup;
  /**
   * @default - a name CloudFormation generates
   */
  readonly roleName?: string;
}

/** A role at `scope`/`id` (the id decides the logical id) that only `scheduleGroup`'s schedules assume. */
export function schedulerRole(scope: Construct, id: string, props: SchedulerRoleProps): iam.Role {
  return new iam.Role(scope, id, {
    description: props.description,
    ...(props.roleName === undefined ? {} : { roleName: props.roleName }),
    // Scheduler's documentation asks for the group's ARN here, never a schedule's or a name prefix.
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: {
        StringEquals: {
          'aws:SourceAccount': Stack.of(scope).account,
          'aws:SourceArn': props.scheduleGroup.scheduleGroupArn,
        },
      },
    }),
  });
}
