/**
 * One journey as AWS resources, straight from the compiler's output: the
 * state machine from the compiled ASL, one EventBridge rule per compiled
 * rule, and IAM for exactly the resources the compiled Tasks use. A
 * high-volume journey adds its scheduler role: the role the schedules that
 * start its next parts run with. Nothing here decides anything about the
 * journey itself.
 */
import { Duration, NestedStack, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PART_PLACEHOLDERS } from '../../../shared/contract/parts.ts';
import { PLACEHOLDERS, type PlaceholderName } from '../../../shared/contract/tasks.ts';
import {
  type CompiledJourney,
  type CompiledRule,
  definitionText,
  type RuleRole,
} from '../../../shared/journey/compile.ts';
import { isHighVolume } from '../compile-project.ts';
import { stateMachineLogGroupName } from '../names.ts';
import { acknowledge, ANY_RESOURCE } from '../nag.ts';
import { alarmOnAny } from './alarms.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { EventRoute, type RouteTarget } from './event-route.ts';
import type { HighVolume } from './high-volume.ts';
import { schedulerRole } from './scheduler-role.ts';

/** The runtime functions a journey's tasks and rules call. */
export interface JourneyFunctions {
  /** `${StepsFunctionArn}`: every task that sends nothing. */
  readonly steps: lambda.IFunction;
  /** `${DeliverFunctionArn}`: send steps. */
  readonly deliver: lambda.IFunction;
  /** Target of the exit rule. */
  readonly goals: lambda.IFunction;
  /** Target of the resume rule. */
  readonly resume: lambda.IFunction;
}

export interface JourneyProps {
  /** `compileJourney`'s output for this journey. */
  readonly compiled: CompiledJourney;
  /** Must start with the prefix the runtime functions are granted (see names.ts). */
  readonly stateMachineName: string;
  /** The Waymark bus: the rules listen on it and `${EventBusName}` names it. */
  readonly eventBus: events.IEventBus;
  readonly functions: JourneyFunctions;
  readonly alarmTopic: sns.ITopic;
  /**
   * Required for a high-volume journey, refused for another: the stage's schedule group and
   * dead-letter queue its parts wake by, and the fixed name of its scheduler role (names.ts), which
   * the steps function passes to Scheduler.
   * @default - not high-volume
   */
  readonly highVolume?: {
    readonly schedules: HighVolume;
    readonly schedulerRoleName: string;
  };
  /**
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

export class Journey extends Construct {
  readonly journeyId: string;
  readonly stateMachine: sfn.StateMachine;
  /** Events no rule target of this journey could take after EventBridge's retries. */
  readonly deadLetterQueue: DeadLetterQueue;
  readonly routes: ReadonlyMap<RuleRole, EventRoute>;
  readonly failedExecutionsAlarm: cloudwatch.Alarm;
  /**
   * High-volume journeys: what Scheduler starts the next parts with, this machine and the schedules'
   * dead-letter queue and nothing else; undefined for another journey.
   */
  readonly schedulerRole: iam.Role | undefined;

  constructor(scope: Construct, id: string, props: JourneyProps) {
    super(scope, id);
    const { compiled } = props;
    this.journeyId = compiled.journeyId;
    const highVolume = isHighVolume(compiled);
    if (highVolume !== (props.highVolume !== undefined)) {
      throw new Error(
        highVolume
          ? `Journey ${compiled.journeyId} is high-volume: it needs the stage's schedules (highVolume).`
          : `Journey ${compiled.journeyId} is not high-volume: it takes no highVolume.`,
      );
    }
    this.schedulerRole =
      props.highVolume === undefined
        ? undefined
        : schedulerRole(this, 'SchedulerRole', {
            description: `Starts the next parts of Waymark journey ${compiled.journeyId}`,
            roleName: props.highVolume.schedulerRoleName,
            scheduleGroup: props.highVolume.schedules.scheduleGroup,
          });
    // What each placeholder of the compiled ASL stands for: its substitution and the ARN IAM grants on.
    const binding = (name: PlaceholderName): { substitution: string; resourceArn: string } => {
      switch (name) {
        case PLACEHOLDERS.stepsFunction:
          return {
            substitution: props.functions.steps.functionArn,
            resourceArn: props.functions.steps.functionArn,
          };
        case PLACEHOLDERS.deliverFunction:
          return {
            substitution: props.functions.deliver.functionArn,
            resourceArn: props.functions.deliver.functionArn,
          };
        case PLACEHOLDERS.eventBus:
          return { substitution: props.eventBus.eventBusName, resourceArn: props.eventBus.eventBusArn };
      }
    };

    const logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: stateMachineLogGroupName(props.stateMachineName),
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      // The name is fixed (see names.ts): a retained group would stop the journey from ever being
      // deployed again under the same id.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: stateMachineType(compiled.workflowType),
      definitionBody: sfn.DefinitionBody.fromString(definitionText(compiled.definition)),
      definitionSubstitutions: {
        ...Object.fromEntries(
          compiled.resources.map((use) => [use.placeholder, binding(use.placeholder).substitution]),
        ),
        // The park task hands it to the steps function, which creates the schedule with it.
        ...(this.schedulerRole === undefined
          ? {}
          : { [PART_PLACEHOLDERS.schedulerRole]: this.schedulerRole.roleArn }),
      },
      // Every state is logged, never its data: states carry the trigger event and customer values.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    for (const use of compiled.resources) {
      this.stateMachine.addToRolePolicy(
        new iam.PolicyStatement({
          sid: `${use.placeholder}Tasks`,
          actions: use.actions,
          resources: [binding(use.placeholder).resourceArn],
        }),
      );
    }
    if (props.highVolume !== undefined && this.schedulerRole !== undefined) {
      this.schedulerRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'StartNextParts',
          actions: ['states:StartExecution'],
          resources: [this.stateMachine.stateMachineArn],
        }),
      );
      this.schedulerRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ScheduleDeadLetters',
          actions: ['sqs:SendMessage'],
          resources: [props.highVolume.schedules.deadLetterQueue.queue.queueArn],
        }),
      );
    }
    acknowledge(
      this.stateMachine.role,
      ANY_RESOURCE,
      'Added by CDK for Step Functions logging and X-Ray: the CloudWatch Logs delivery actions (logs:CreateLogDelivery and the like) and xray:PutTraceSegments/PutTelemetryRecords/GetSampling* do not support resource-level permissions. The task statements name their exact function or bus.',
    );

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      holds: `events journey ${compiled.journeyId}'s rules could not deliver`,
      alarmTopic: props.alarmTopic,
    });
    const target = (rule: CompiledRule): RouteTarget => {
      switch (rule.role) {
        case 'trigger':
          return { kind: 'stateMachine', stateMachine: this.stateMachine };
        // The stack grants the whole bus once: a statement per journey rule would grow the function's
        // resource policy with every journey, towards its 20 KB limit.
        case 'exit':
          return { kind: 'function', function: props.functions.goals, invokePermission: 'bus' };
        case 'resume':
          return { kind: 'function', function: props.functions.resume, invokePermission: 'bus' };
      }
    };
    const routes = new Map<RuleRole, EventRoute>();
    for (const rule of compiled.rules) {
      routes.set(
        rule.role,
        new EventRoute(this, ruleConstructId(rule.role), {
          eventBus: props.eventBus,
          pattern: rule.pattern,
          description: rule.description,
          enabled: rule.enabled,
          target: target(rule),
          deadLetterQueue: this.deadLetterQueue.queue,
        }),
      );
    }
    this.routes = routes;

    this.failedExecutionsAlarm = alarmOnAny(this, 'FailedExecutionsAlarm', {
      description: `Executions of journey ${compiled.journeyId} failed (a step could not go on; see the execution history).`,
      metric: this.stateMachine.metricFailed({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.SUM,
      }),
      topic: props.alarmTopic,
    });
  }
}

function stateMachineType(type: CompiledJourney['workflowType']): sfn.StateMachineType {
  switch (type) {
    case 'STANDARD':
      return sfn.StateMachineType.STANDARD;
    case 'EXPRESS':
      return sfn.StateMachineType.EXPRESS;
  }
}

function ruleConstructId(role: RuleRole): string {
  switch (role) {
    case 'trigger':
      return 'TriggerRule';
    case 'exit':
      return 'ExitRule';
    case 'resume':
      return 'ResumeRule';
  }
}

/**
 * Each journey deploys as its own nested stack: a journey is about a dozen resources, so a
 * project of fifty would pass CloudFormation's 500-resource limit in one stack, and a journey
 * removed from journeys/ takes its whole stack with it on the next deploy.
 */
export class JourneyStack extends NestedStack {
  readonly journey: Journey;

  constructor(scope: Construct, id: string, props: JourneyProps) {
    super(scope, id, {
      description: `Waymark journey ${props.compiled.journeyId} v${props.compiled.version}`,
    });
    this.journey = new Journey(this, 'Journey', props);
  }
}
