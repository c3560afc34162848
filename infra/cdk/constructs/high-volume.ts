/**
 * What the stage's high-volume journeys share (issue 18): such a journey runs
 * as parts, each an Express execution of its state machine, and a wait ends a
 * part with a one-time EventBridge Scheduler schedule that starts the next
 * one. Here: the Scheduler group those schedules live in, the dead-letter
 * queue of the starts Scheduler could not make, and the grants of the
 * functions that create, delete and act for the schedules. Each journey's
 * scheduler role is its own (constructs/journey.ts); this construct only knows
 * its fixed name. Built only when a deployed journey is high-volume.
 */
import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ENVIRONMENT } from '../../../shared/runtime/environment.ts';
import { acknowledge, wildcardResource } from '../nag.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import type { WaymarkFunction } from './waymark-function.ts';

/** A deployed high-volume journey, by the fixed names of its state machine and scheduler role. */
export interface HighVolumeJourney {
  readonly journeyId: string;
  readonly stateMachineName: string;
  readonly schedulerRoleName: string;
}

export interface HighVolumeProps {
  readonly scheduleGroupName: string;
  /** At least one. */
  readonly journeys: readonly HighVolumeJourney[];
  readonly alarmTopic: sns.ITopic;
}

export class HighVolume extends Construct {
  readonly scheduleGroup: scheduler.ScheduleGroup;
  /** Next parts Scheduler could not start after its retries (a day of them, shared/runtime/schedules.ts). */
  readonly deadLetterQueue: DeadLetterQueue;
  readonly journeys: readonly HighVolumeJourney[];
  private readonly scheduleGroupName: string;
  /** `schedule/<group>/*`: every schedule of the group, and only those. */
  private readonly schedulesArn: string;
  private readonly stateMachineArns: string[];
  private readonly schedulerRoleArns: string[];

  constructor(scope: Construct, id: string, props: HighVolumeProps) {
    super(scope, id);
    if (props.journeys.length === 0) throw new Error('HighVolume needs at least one high-volume journey');
    const stack = Stack.of(this);
    this.journeys = props.journeys;
    this.scheduleGroupName = props.scheduleGroupName;

    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'ScheduleGroup', {
      scheduleGroupName: props.scheduleGroupName,
      // The schedules are the parked runs of this stack's journeys: they go with it.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      holds: `next parts of high-volume journeys that EventBridge Scheduler could not start (group ${props.scheduleGroupName}), so those runs are stuck at a wait`,
      alarmTopic: props.alarmTopic,
    });

    // By name, not by reference: the machines and roles are in the journeys' nested stacks, which
    // reference the functions granted here.
    this.schedulesArn = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${props.scheduleGroupName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.stateMachineArns = props.journeys.map((journey) =>
      stack.formatArn({
        service: 'states',
        resource: 'stateMachine',
        resourceName: journey.stateMachineName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
    this.schedulerRoleArns = props.journeys.map((journey) =>
      stack.formatArn({
        service: 'iam',
        region: '',
        resource: 'role',
        resourceName: journey.schedulerRoleName,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    );
  }

  /** A deployed journey's names, undefined when it is not high-volume. */
  journey(journeyId: string): HighVolumeJourney | undefined {
    return this.journeys.find((journey) => journey.journeyId === journeyId);
  }

  /**
   * The steps function: its park task creates a run's wake-up schedule (passing the journey's
   * scheduler role to Scheduler), or starts the next part itself when the wake is already due; its
   * resume task deletes a waitForEvent's timeout schedule once the event has won.
   */
  bindPark(fn: WaymarkFunction): void {
    this.addGroupEnvironment(fn);
    fn.function.addEnvironment(ENVIRONMENT.scheduleDeadLetterArn, this.deadLetterQueue.queue.queueArn);
    this.grantSchedules(fn, ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule']);
    fn.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PassSchedulerRoles',
        actions: ['iam:PassRole'],
        resources: this.schedulerRoleArns,
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    this.grantStartParts(fn);
  }

  /**
   * The resume function: an awaited event starts the run's next part. That part's resume task (in the
   * steps function) deletes the timeout schedule, so this one needs no Scheduler action.
   */
  bindResume(fn: WaymarkFunction): void {
    this.addGroupEnvironment(fn);
    this.grantStartParts(fn);
  }

  /** Goals (an exit or goal event) and erasure end a parked run: its schedule goes. */
  bindCancel(fn: WaymarkFunction): void {
    this.addGroupEnvironment(fn);
    this.grantSchedules(fn, ['scheduler:DeleteSchedule']);
  }

  private addGroupEnvironment(fn: WaymarkFunction): void {
    fn.function.addEnvironment(ENVIRONMENT.scheduleGroup, this.scheduleGroup.scheduleGroupName);
  }

  private grantSchedules(fn: WaymarkFunction, actions: string[]): void {
    fn.function.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'PartSchedules', actions, resources: [this.schedulesArn] }),
    );
    acknowledge(
      fn.role,
      wildcardResource(this, this.schedulesArn),
      `${actions.join(', ')} on the schedules of group ${this.scheduleGroupName} only: each is a parked run's one-time wake-up, named by the function when the run parks, so only the group is known here.`,
    );
  }

  private grantStartParts(fn: WaymarkFunction): void {
    fn.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'StartParts',
        actions: ['states:StartExecution'],
        resources: this.stateMachineArns,
      }),
    );
  }
}
