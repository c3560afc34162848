/**
 * Everything one Waymark stage runs on, composed from its constructs: customer
 * data (key, table, unsubscribe secret), the alarm topic, the event bus, the
 * SES configuration set, the runtime functions, the core routes, one nested
 * stack per deployed journey, the broadcast machine and schedules (when a
 * journey starts from a segment at a time), the schedule group of the
 * high-volume journeys' parts (when one is deployed), and monitoring. The stage's
 * config says whether the bus, the key and the table are created or existing
 * ones.
 */
import { ArnFormat, CfnOutput, type Duration, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { type CompiledProject, isHighVolume } from './compile-project.ts';
import type { DeploymentConfig } from './config.ts';
import { AlarmTopic } from './constructs/alarm-topic.ts';
import { Broadcasts } from './constructs/broadcasts.ts';
import { CoreRoutes } from './constructs/core-routes.ts';
import { CustomerData } from './constructs/customer-data.ts';
import { Figures } from './constructs/figures.ts';
import { WaymarkEventBus } from './constructs/event-bus.ts';
import { HighVolume } from './constructs/high-volume.ts';
import { JourneyStack } from './constructs/journey.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { RuntimeFunctions } from './constructs/runtime-functions.ts';
import { SesConfigurationSet } from './constructs/ses-configuration-set.ts';
import { FUNCTION_NAMES, type FunctionName, type HandlerFolder } from './constructs/waymark-function.ts';
import { keepDeployedLogicalIds } from './deployed-logical-ids.ts';
import {
  broadcastScheduleGroupName,
  broadcastStateMachineName,
  highVolumeScheduleGroupName,
  resourcePrefix,
  schedulerRoleName,
  stateMachineName,
} from './names.ts';

export interface CoreStackProps extends StackProps {
  readonly config: DeploymentConfig;
  readonly project: CompiledProject;
  /** The repository root: `functions/`, `package-lock.json`. */
  readonly projectRoot: string;
  /**
   * Code that is already built, for tests that only inspect templates.
   * @default - every function is bundled by esbuild
   */
  readonly functionCode?: (name: HandlerFolder) => lambda.Code;
  /**
   * How long the bus archive keeps events for replay. Archived events hold customer data that an
   * erasure cannot reach, so keep this short.
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;
}

export class CoreStack extends Stack {
  readonly data: CustomerData;
  readonly alarms: AlarmTopic;
  readonly bus: WaymarkEventBus;
  readonly ses: SesConfigurationSet;
  readonly runtime: RuntimeFunctions;
  /** The Lambda functions, by the folder under functions/ each runs. */
  readonly functions: Readonly<Record<FunctionName, lambda.Function>>;
  readonly routes: CoreRoutes;
  readonly journeys: readonly JourneyStack[];
  /** Undefined when no deployed journey is a broadcast: a stage without any pays for none of it. */
  readonly broadcasts: Broadcasts | undefined;
  /** Undefined when no deployed journey is high-volume: a stage without any has no schedule group for them. */
  readonly highVolume: HighVolume | undefined;
  /** The counters behind the panel's figures; undefined for an existing table named without its stream. */
  readonly figures: Figures | undefined;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: CoreStackProps) {
    super(scope, id, props);
    const { config, project } = props;
    const prefix = resourcePrefix(config.stage);
    Tags.of(this).add('waymark:stage', config.stage);

    this.data = new CustomerData(this, 'CustomerData', {
      stage: config.stage,
      prefix,
      source: config.customerData,
    });
    this.alarms = new AlarmTopic(this, 'AlarmTopic', {
      stage: config.stage,
      prefix,
      key: this.data.ownedKey,
      email: config.alarmEmail,
    });
    const alarmTopic = this.alarms.topic;
    this.bus = new WaymarkEventBus(this, 'EventBus', {
      stage: config.stage,
      prefix,
      source: config.eventBus,
      ...(props.archiveRetention === undefined ? {} : { archiveRetention: props.archiveRetention }),
    });
    const { eventBus } = this.bus;
    this.ses = new SesConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: config.configurationSet,
      tracking: project.settings.tracking,
    });

    const highVolumeJourneys = project.journeys
      .filter((compiled) => compiled.deploy && isHighVolume(compiled))
      .map((compiled) => ({
        journeyId: compiled.journeyId,
        stateMachineName: stateMachineName(config.stage, compiled),
        schedulerRoleName: schedulerRoleName(config.stage, compiled.journeyId),
      }));
    this.highVolume =
      highVolumeJourneys.length === 0
        ? undefined
        : new HighVolume(this, 'HighVolume', {
            scheduleGroupName: highVolumeScheduleGroupName(config.stage),
            journeys: highVolumeJourneys,
            alarmTopic,
          });
    const highVolume = this.highVolume === undefined ? [] : [this.highVolume];

    this.runtime = new RuntimeFunctions(this, 'Functions', {
      config,
      project,
      projectRoot: props.projectRoot,
      functionCode: props.functionCode,
      data: this.data,
      eventBus,
      configurationSet: this.ses.configurationSet,
      alarmTopic,
      highVolume: this.highVolume,
    });
    const functions = this.runtime.functions;
    this.functions = {
      steps: functions.steps.function,
      deliver: functions.deliver.function,
      record: functions.record.function,
      resume: functions.resume.function,
      goals: functions.goals.function,
      preferences: functions.preferences.function,
      unsubscribe: functions.unsubscribe.function,
      audience: functions.audience.function,
      finish: functions.finish.function,
    };

    this.routes = new CoreRoutes(this, 'Routes', {
      eventBus,
      sesFeedback: {
        bus: this.ses.feedbackBus,
        configurationSetName: config.configurationSet,
        events: this.ses.publishedEvents,
      },
      executionEnds: {
        bus: this.ses.feedbackBus,
        // Every journey state machine of the stage (`<prefix>-<journey id>`), not the broadcast machine
        // (`<prefix>_broadcasts`); Express ones send no status changes.
        stateMachineArnPrefix: this.formatArn({
          service: 'states',
          resource: 'stateMachine',
          resourceName: `${prefix}-`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
      record: this.functions.record,
      preferences: this.functions.preferences,
      finish: this.functions.finish,
      events: project.events,
      alarmTopic,
    });

    this.journeys = project.journeys
      .filter((compiled) => compiled.deploy)
      .map((compiled) => {
        const parts = this.highVolume?.journey(compiled.journeyId);
        return new JourneyStack(this, `Journey-${compiled.journeyId}`, {
          compiled,
          stateMachineName: stateMachineName(config.stage, compiled),
          eventBus,
          functions: this.functions,
          alarmTopic,
          ...(this.highVolume === undefined || parts === undefined
            ? {}
            : { highVolume: { schedules: this.highVolume, schedulerRoleName: parts.schedulerRoleName } }),
        });
      });

    const broadcastJourneys = project.broadcasts.flatMap((schedule) => {
      const deployed = this.journeys.find(({ journey }) => journey.journeyId === schedule.journeyId);
      return deployed === undefined ? [] : [{ schedule, stateMachine: deployed.journey.stateMachine }];
    });
    this.broadcasts =
      broadcastJourneys.length === 0
        ? undefined
        : new Broadcasts(this, 'Broadcasts', {
            stateMachineName: broadcastStateMachineName(config.stage),
            scheduleGroupName: broadcastScheduleGroupName(config.stage),
            audienceFunction: this.functions.audience,
            journeys: broadcastJourneys,
            alarmTopic,
          });
    const broadcasts = this.broadcasts === undefined ? [] : [this.broadcasts];

    this.figures = Figures.forTable(this, 'Figures', {
      data: this.data,
      projectRoot: props.projectRoot,
      journeysDir: project.dir,
      alarmTopic,
      ...(props.functionCode === undefined ? {} : { code: props.functionCode('figures') }),
    });
    const figures = this.figures === undefined ? [] : [this.figures];

    this.monitoring = new Monitoring(this, 'Monitoring', {
      dashboardName: prefix,
      stateMachines: [
        ...this.journeys.map(({ journey }) => ({
          label: journey.journeyId,
          stateMachine: journey.stateMachine,
        })),
        ...broadcasts.map(({ stateMachine }) => ({ label: 'broadcast runs', stateMachine })),
      ],
      functions: [
        ...FUNCTION_NAMES.map((name) => ({ label: name, function: this.functions[name] })),
        ...figures.map((unit) => ({ label: 'figures', function: unit.function.function })),
      ],
      deadLetterQueues: [
        ...this.routes.deadLetterQueues.map(({ label, queue }) => ({
          label: `${label} rule`,
          queue: queue.queue,
        })),
        ...FUNCTION_NAMES.flatMap((name) => {
          const failures = functions[name].failureQueue;
          return failures === undefined ? [] : [{ label: `${name} failures`, queue: failures.queue }];
        }),
        ...this.journeys.map(({ journey }) => ({
          label: journey.journeyId,
          queue: journey.deadLetterQueue.queue,
        })),
        ...broadcasts.map(({ deadLetterQueue }) => ({
          label: 'broadcast schedules',
          queue: deadLetterQueue.queue,
        })),
        ...highVolume.map(({ deadLetterQueue }) => ({
          label: 'high-volume schedules',
          queue: deadLetterQueue.queue,
        })),
        ...figures.map(({ failures }) => ({ label: 'figures batches', queue: failures.queue })),
      ],
      alarms: [
        ...FUNCTION_NAMES.map((name) => functions[name].errorsAlarm),
        ...FUNCTION_NAMES.flatMap((name) => functions[name].failureQueue?.depthAlarm ?? []),
        ...this.routes.deadLetterQueues.map(({ queue }) => queue.depthAlarm),
        ...this.journeys.flatMap(({ journey }) => [
          journey.failedExecutionsAlarm,
          journey.deadLetterQueue.depthAlarm,
        ]),
        ...broadcasts.flatMap(({ failedExecutionsAlarm, deadLetterQueue }) => [
          failedExecutionsAlarm,
          deadLetterQueue.depthAlarm,
        ]),
        ...highVolume.map(({ deadLetterQueue }) => deadLetterQueue.depthAlarm),
        ...figures.flatMap(({ function: unit, failures }) => [unit.errorsAlarm, failures.depthAlarm]),
      ],
      alarmTopic,
    });

    // Once every construct exists: deployed stages know these resources by their old logical ids.
    keepDeployedLogicalIds(this);

    new CfnOutput(this, 'EventBusName', { value: eventBus.eventBusName });
    new CfnOutput(this, 'EventBusArn', { value: eventBus.eventBusArn });
    new CfnOutput(this, 'ProducerPolicyArn', { value: this.bus.producerPolicy.managedPolicyArn });
    new CfnOutput(this, 'UnsubscribeUrl', { value: this.runtime.unsubscribeUrl.url });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'ConfigurationSetName', { value: this.ses.configurationSet.configurationSetName });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarmTopic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: prefix });
    if (this.broadcasts !== undefined) {
      new CfnOutput(this, 'BroadcastStateMachineArn', {
        value: this.broadcasts.stateMachine.stateMachineArn,
      });
    }
  }
}
