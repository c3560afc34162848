/**
 * Broadcasts on AWS: the stage's one broadcast state machine (the ASL of
 * shared/audience/broadcast-machine.ts, its tasks run by the audience
 * function), and one EventBridge Scheduler schedule per broadcast journey
 * that starts it for that journey. When and in which zone each schedule
 * fires comes worked out from the trigger (compile-project.ts); nothing
 * here decides anything about a broadcast.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { State } from '../../../shared/asl/types.ts';
import { broadcastDefinition } from '../../../shared/audience/broadcast-machine.ts';
import { BROADCAST_PLACEHOLDERS } from '../../../shared/contract/broadcast.ts';
import { definitionText } from '../../../shared/journey/compile.ts';
import type { BroadcastSchedule } from '../compile-project.ts';
import { stateMachineLogGroupName } from '../names.ts';
import { acknowledge, ANY_RESOURCE, wildcardResource } from '../nag.ts';
import { alarmOnAny } from './alarms.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { schedulerRole } from './scheduler-role.ts';

/** One deployed broadcast journey. */
export interface BroadcastJourney {
  readonly schedule: BroadcastSchedule;
  /** The journey's own state machine: the run starts each member's execution on it. */
  readonly stateMachine: sfn.IStateMachine;
}

export interface BroadcastsProps {
  /** Fixed, so the machine's role can name its own executions (see names.ts). */
  readonly stateMachineName: string;
  readonly scheduleGroupName: string;
  /** `${AudienceFunctionArn}`: every task of a run. */
  readonly audienceFunction: lambda.IFunction;
  readonly journeys: readonly BroadcastJourney[];
  readonly alarmTopic: sns.ITopic;
  /**
   * How long Scheduler keeps trying to start a run before the attempt goes to the dead-letter queue.
   * A run that starts late enters the members already due at once, and the others at their time.
   * @default Duration.hours(6)
   */
  readonly maxEventAge?: Duration;
  /**
   * Scheduler's retries within `maxEventAge` (it backs off between them).
   * @default 185, Scheduler's most
   */
  readonly retryAttempts?: number;
  /**
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

export class Broadcasts extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** Every state of every run, without its data. */
  readonly logGroup: logs.LogGroup;
  readonly scheduleGroup: scheduler.ScheduleGroup;
  /** The role Scheduler starts runs with: the broadcast machine and the dead-letter queue, nothing else. */
  readonly schedulerRole: iam.Role;
  /** Each broadcast journey's schedule, by journey id. */
  readonly schedules: ReadonlyMap<string, scheduler.Schedule>;
  /** Runs Scheduler could not start after its retries. */
  readonly deadLetterQueue: DeadLetterQueue;
  readonly failedExecutionsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: BroadcastsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const name = props.stateMachineName;
    const definition = broadcastDefinition();

    this.logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: stateMachineLogGroupName(name),
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      // The name is fixed (see names.ts): a retained group would stop the machine from being created again.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(definitionText(definition)),
      definitionSubstitutions: {
        [BROADCAST_PLACEHOLDERS.audienceFunction]: props.audienceFunction.functionArn,
      },
      // Every state is logged, never its data: runs carry journey and customer ids.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: `${BROADCAST_PLACEHOLDERS.audienceFunction}Tasks`,
        actions: ['lambda:InvokeFunction'],
        resources: [props.audienceFunction.functionArn],
      }),
    );
    acknowledge(
      this.stateMachine.role,
      ANY_RESOURCE,
      'Added by CDK for Step Functions logging and X-Ray: the CloudWatch Logs delivery actions (logs:CreateLogDelivery and the like) and xray:PutTraceSegments/PutTelemetryRecords/GetSampling* do not support resource-level permissions. The task statement names the audience function.',
    );

    // A Distributed Map runs each item as a child execution of this machine: it starts them, follows
    // and stops them, and redrives a failed Map Run. Named by the fixed name: an ARN taken from the
    // machine itself would make its role depend on the machine that depends on the role.
    const arn = (resource: 'stateMachine' | 'execution', resourceName: string): string =>
      stack.formatArn({
        service: 'states',
        resource,
        resourceName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    const executions = arn('execution', `${name}:*`);
    const mapRuns = mapLabels(definition.States).map((label) => arn('execution', `${name}/${label}:*`));
    const mapStatements: [string, string[], string[]][] = [
      ['DistributedMapStart', ['states:StartExecution'], [arn('stateMachine', name)]],
      ['DistributedMapExecutions', ['states:DescribeExecution', 'states:StopExecution'], [executions]],
      ['DistributedMapRedrive', ['states:RedriveExecution'], mapRuns],
    ];
    for (const [sid, actions, resources] of mapStatements) {
      this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ sid, actions, resources }));
    }
    for (const resource of [executions, ...mapRuns]) {
      acknowledge(
        this.stateMachine.role,
        wildcardResource(this, resource),
        `The Distributed Map's child executions of ${name} itself (and, for a redrive, those of one Map Run): their ids are made by Step Functions when the Map runs, so only the machine's name and the Map's label are known here.`,
      );
    }

    this.failedExecutionsAlarm = alarmOnAny(this, 'FailedExecutionsAlarm', {
      description: `A broadcast run failed (${name}): members may not all have entered. See the execution's history; the run can be redriven, and nobody enters twice.`,
      metric: this.stateMachine.metricFailed({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.SUM,
      }),
      topic: props.alarmTopic,
    });

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      holds: 'broadcast runs EventBridge Scheduler could not start',
      alarmTopic: props.alarmTopic,
    });
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'ScheduleGroup', {
      scheduleGroupName: props.scheduleGroupName,
      // The schedules are this stack's: they go with it.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.schedulerRole = schedulerRole(this, 'SchedulerRole', {
      description: `Starts the Waymark broadcast runs of ${props.scheduleGroupName}`,
      scheduleGroup: this.scheduleGroup,
    });

    const schedules = new Map<string, scheduler.Schedule>();
    for (const { schedule, stateMachine } of props.journeys) {
      schedules.set(
        schedule.journeyId,
        new scheduler.Schedule(this, `Schedule-${schedule.journeyId}`, {
          scheduleName: schedule.journeyId,
          scheduleGroup: this.scheduleGroup,
          description: `Starts a broadcast run of journey ${schedule.journeyId}`,
          schedule: scheduler.ScheduleExpression.expression(
            schedule.expression,
            TimeZone.of(schedule.timeZone),
          ),
          enabled: schedule.state === 'ENABLED',
          // Grants the role StartExecution on the broadcast machine and SendMessage on the queue.
          target: new targets.StepFunctionsStartExecution(this.stateMachine, {
            role: this.schedulerRole,
            input: scheduler.ScheduleTargetInput.fromObject({
              journeyId: schedule.journeyId,
              // When the schedule was due (not when it fired): names the run, the same on every retry.
              scheduledTime: scheduler.ContextAttribute.scheduledTime,
              stateMachineArn: stateMachine.stateMachineArn,
            }),
            deadLetterQueue: this.deadLetterQueue.queue,
            maxEventAge: props.maxEventAge ?? Duration.hours(6),
            retryAttempts: props.retryAttempts ?? 185,
          }),
        }),
      );
    }
    this.schedules = schedules;
  }
}

/**
 * The labels of the Distributed Maps in a definition: their Map Runs' executions are named by them. A
 * Map without one gets a label from Step Functions, unknown here.
 */
function mapLabels(states: Record<string, State>): string[] {
  return Object.values(states).flatMap((state) => {
    if (state.Type !== 'Map') return [];
    const inner = mapLabels(state.ItemProcessor.States);
    return state.ItemProcessor.ProcessorConfig.Mode === 'DISTRIBUTED'
      ? [state.Label ?? '*', ...inner]
      : inner;
  });
}
