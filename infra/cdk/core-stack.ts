/**
 * Everything one Waymark stage runs on: the encrypted table, the event bus
 * and its archive, the runtime functions, the SES configuration set, the
 * unsubscribe endpoint, the producers' policy, alarms and the dashboard, and
 * one nested stack per deployed journey.
 */
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { EventPattern } from '../../shared/events/pattern.ts';
import { EXPRESS_POLICIES, STANDARD_POLICIES } from '../../shared/journey/policies.ts';
import { KEY, TTL_ATTRIBUTE } from '../../shared/store/table.ts';
import type { CompiledProject } from './compile-project.ts';
import type { DeploymentConfig } from './config.ts';
import { DeadLetterQueue } from './constructs/dead-letter-queue.ts';
import { EventRoute } from './constructs/event-route.ts';
import { JourneyStack } from './constructs/journey.ts';
import { Monitoring } from './constructs/monitoring.ts';
import {
  FUNCTION_NAMES,
  type FunctionName,
  type Invocation,
  WaymarkFunction,
} from './constructs/waymark-function.ts';
import { erasurePattern, recordPattern, sesFeedbackPattern } from '../../shared/events/routes.ts';
import { ENVIRONMENT } from '../../shared/runtime/environment.ts';
import { resourcePrefix, stateMachineName } from './names.ts';
import { acknowledge, ANY_RESOURCE, wildcardResource } from './nag.ts';

/**
 * A function's timeout must be shorter than the Task that calls it, or a message could go out after
 * the task gave up (shared/journey/policies.ts). Express tasks are the shortest, so they set it only
 * when an Express journey is deployed.
 */
function taskFunctionTimeout(project: CompiledProject): Duration {
  const express = project.journeys.some((journey) => journey.deploy && journey.workflowType === 'EXPRESS');
  const taskSeconds = express ? EXPRESS_POLICIES.taskTimeoutSeconds : STANDARD_POLICIES.taskTimeoutSeconds;
  return Duration.seconds(taskSeconds - 2);
}

interface FunctionSpec {
  readonly description: string;
  readonly invocation: Invocation;
  /** 'task': as long as the Task that calls it allows (see taskFunctionTimeout). */
  readonly timeout: Duration | 'task';
  /** The DynamoDB calls its code makes (checked against the bundle by test/infra.test.ts). */
  readonly tableActions: readonly string[];
}

const FUNCTIONS: Record<FunctionName, FunctionSpec> = {
  steps: {
    description:
      'Journey steps that send nothing: entry, branches, schedules, profile updates, waits, the end',
    invocation: 'synchronous',
    timeout: 'task',
    tableActions: [
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ],
  },
  deliver: {
    description: 'Send steps: consent, quiet hours, caps, then SES or SNS',
    invocation: 'synchronous',
    timeout: 'task',
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  },
  record: {
    description: 'Every customer event: profile and history',
    invocation: 'asynchronous',
    timeout: Duration.seconds(30),
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  },
  resume: {
    description: 'Awaited events: resume the waiting journey steps',
    invocation: 'asynchronous',
    timeout: Duration.seconds(30),
    tableActions: ['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Query'],
  },
  goals: {
    description: 'Exit and goal events: stop journeys, record conversions',
    invocation: 'asynchronous',
    timeout: Duration.seconds(30),
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  },
  preferences: {
    description: 'SES bounces and complaints, customer erasure',
    invocation: 'asynchronous',
    // An erasure deletes a customer's whole partition, 25 items per batch.
    timeout: Duration.seconds(60),
    tableActions: [
      'dynamodb:BatchWriteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ],
  },
  unsubscribe: {
    description: 'One-click unsubscribe links (public function URL)',
    invocation: 'synchronous',
    timeout: Duration.seconds(10),
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  },
};

export interface CoreStackProps extends StackProps {
  readonly config: DeploymentConfig;
  readonly project: CompiledProject;
  /** The repository root: `functions/`, `package-lock.json`. */
  readonly projectRoot: string;
  /**
   * Code that is already built, for tests that only inspect templates.
   * @default - every function is bundled by esbuild
   */
  readonly functionCode?: (name: FunctionName) => lambda.Code;
  /**
   * How long the bus archive keeps events for replay. Archived events hold customer data that an
   * erasure cannot reach, so keep this short.
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;
}

export class CoreStack extends Stack {
  readonly key: kms.Key;
  readonly table: dynamodb.Table;
  readonly eventBus: events.EventBus;
  readonly functions: Readonly<Record<FunctionName, WaymarkFunction>>;
  readonly unsubscribeUrl: lambda.FunctionUrl;
  readonly configurationSet: ses.ConfigurationSet;
  readonly producerPolicy: iam.ManagedPolicy;
  readonly alarmTopic: sns.Topic;
  readonly journeys: readonly JourneyStack[];
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: CoreStackProps) {
    super(scope, id, props);
    const { config, project } = props;
    const prefix = resourcePrefix(config.stage);
    Tags.of(this).add('waymark:stage', config.stage);

    this.key = new kms.Key(this, 'Key', {
      alias: `alias/${prefix}`,
      description: `Waymark ${config.stage}: customer data (table, unsubscribe secret, alarm topic)`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.table = new dynamodb.Table(this, 'Table', {
      // The same keys and billing as the local engine's table (tableDefinition, shared/store/table.ts);
      // test/infra.test.ts checks that they agree.
      partitionKey: { name: KEY.partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: KEY.sort, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const unsubscribeSecret = new secretsmanager.Secret(this, 'UnsubscribeSecret', {
      description: 'Signs one-click unsubscribe links (HMAC key)',
      encryptionKey: this.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      unsubscribeSecret,
      'AwsSolutions-SMG4',
      'The secret signs unsubscribe links already sent in emails, which must keep working for their whole lifetime (RFC 8058, Gmail/Yahoo bulk-sender rules); rotating it would silently break every outstanding link.',
    );

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `Waymark ${config.stage} alarms`,
      masterKey: this.key,
      enforceSSL: true,
    });
    // CloudWatch alarms publish to the encrypted topic with the key: this account's alarms only.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    if (config.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    }

    this.eventBus = new events.EventBus(this, 'EventBus', { eventBusName: prefix });
    // The L1 archive: the L2 writes `KmsKeyIdentifier: ""` when no key is given, which some regions
    // reject (aws/aws-cdk#37847); omitted, EventBridge uses its own key.
    new events.CfnArchive(this, 'Archive', {
      sourceArn: this.eventBus.eventBusArn,
      description: 'Every event on the Waymark bus, for replay after an incident',
      eventPattern: { account: [this.account] },
      retentionDays: (props.archiveRetention ?? Duration.days(30)).toDays(),
    });

    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: config.configurationSet,
      reputationMetrics: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    const defaultBus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.configurationSet.addEventDestination('Feedback', {
      // SES can only publish to the default bus.
      destination: ses.EventDestination.eventBus(defaultBus),
      events: [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
    });

    const runtimeFunction = (name: FunctionName): WaymarkFunction => {
      const spec = FUNCTIONS[name];
      const fn = new WaymarkFunction(this, functionId(name), {
        name,
        description: spec.description,
        projectRoot: props.projectRoot,
        journeysDir: project.dir,
        invocation: spec.invocation,
        timeout: spec.timeout === 'task' ? taskFunctionTimeout(project) : spec.timeout,
        alarmTopic: this.alarmTopic,
        environment: { [ENVIRONMENT.table]: this.table.tableName },
        ...(props.functionCode === undefined ? {} : { code: props.functionCode(name) }),
      });
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'Table',
          actions: [...spec.tableActions],
          resources: [this.table.tableArn],
        }),
      );
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'TableKey',
          actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [this.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${this.region}.amazonaws.com` } },
        }),
      );
      acknowledge(
        roleOf(fn),
        ANY_RESOURCE,
        'Added by CDK for active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
      );
      return fn;
    };
    this.functions = {
      steps: runtimeFunction('steps'),
      deliver: runtimeFunction('deliver'),
      record: runtimeFunction('record'),
      resume: runtimeFunction('resume'),
      goals: runtimeFunction('goals'),
      preferences: runtimeFunction('preferences'),
      unsubscribe: runtimeFunction('unsubscribe'),
    };
    const { steps, deliver, resume, goals, preferences, unsubscribe } = this.functions;

    // The journeys' exit and resume rules invoke these: one statement for every rule on the bus.
    for (const fn of [goals, resume]) {
      fn.addPermission('InvokeFromJourneyRules', {
        principal: new iam.ServicePrincipal('events.amazonaws.com'),
        sourceArn: Stack.of(this).formatArn({
          service: 'events',
          resource: 'rule',
          resourceName: `${this.eventBus.eventBusName}/*`,
        }),
      });
    }

    this.unsubscribeUrl = unsubscribe.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    for (const fn of [deliver, unsubscribe]) {
      unsubscribeSecret.grantRead(fn);
      fn.addEnvironment(ENVIRONMENT.unsubscribeSecretArn, unsubscribeSecret.secretArn);
      fn.addEnvironment(ENVIRONMENT.senderFrom, config.sender);
    }
    deliver.addEnvironment(ENVIRONMENT.configurationSet, this.configurationSet.configurationSetName);
    deliver.addEnvironment(
      ENVIRONMENT.unsubscribeBaseUrl,
      config.unsubscribe.kind === 'url' ? config.unsubscribe.url : this.unsubscribeUrl.url,
    );
    if (config.smsOriginationNumber !== undefined) {
      deliver.addEnvironment(ENVIRONMENT.smsOriginationNumber, config.smsOriginationNumber);
    }
    deliver.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'SendEmail',
        actions: ['ses:SendEmail'],
        resources: [
          this.formatArn({ service: 'ses', resource: 'identity', resourceName: config.sesIdentity }),
          this.formatArn({
            service: 'ses',
            resource: 'configuration-set',
            resourceName: this.configurationSet.configurationSetName,
          }),
        ],
      }),
    );
    const smsAndPush = new iam.Policy(this, 'DeliverSmsAndPushPolicy', {
      roles: [roleOf(deliver)],
      statements: [
        new iam.PolicyStatement({
          actions: ['sns:Publish', 'sns:CheckIfPhoneNumberIsOptedOut'],
          resources: ['*'],
        }),
      ],
    });
    acknowledge(
      smsAndPush,
      ANY_RESOURCE,
      'SMS goes straight to a phone number and push to a device endpoint taken from the profile: sns:Publish to a phone number and sns:CheckIfPhoneNumberIsOptedOut have no resource ARN, so IAM only accepts "*". Only the deliver function holds this policy.',
    );

    // The journeys' state machines reference these functions, so the functions' grants name the
    // machines by prefix (no reference back, no cycle): every state machine of this stage and no other.
    const stageExecutions = this.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${prefix}-*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const stageStateMachines = this.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: `${prefix}-*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const stateMachineGrants: [WaymarkFunction, string[], string][] = [
      [steps, ['states:DescribeExecution'], stageExecutions],
      [steps, ['states:SendTaskSuccess'], stageStateMachines],
      [resume, ['states:SendTaskSuccess'], stageStateMachines],
      [goals, ['states:StopExecution'], stageExecutions],
      [preferences, ['states:StopExecution'], stageExecutions],
    ];
    for (const [fn, actions, resource] of stateMachineGrants) {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [resource] }));
      acknowledge(
        roleOf(fn),
        wildcardResource(this, resource),
        `${actions.join(', ')} on the journeys of stage ${config.stage} only: their state machines are all named ${prefix}-<journey id> and come and go with journeys/, and naming them one by one would make every function depend on every state machine that already depends on it. SendTaskSuccess is authorized against the state machine of the waiting task.`,
      );
    }

    const routeQueues: { label: string; queue: DeadLetterQueue }[] = [];
    const route = (
      routeId: string,
      options: {
        bus: events.IEventBus;
        pattern: EventPattern;
        description: string;
        target: WaymarkFunction;
        holds: string;
      },
    ): void => {
      const queue = new DeadLetterQueue(this, `${routeId}DeadLetterQueue`, {
        holds: options.holds,
        alarmTopic: this.alarmTopic,
      });
      routeQueues.push({ label: routeId, queue });
      new EventRoute(this, `${routeId}Route`, {
        eventBus: options.bus,
        pattern: options.pattern,
        description: options.description,
        target: { kind: 'function', function: options.target },
        deadLetterQueue: queue.queue,
      });
    };
    route('Record', {
      bus: this.eventBus,
      pattern: recordPattern(),
      description: 'Every customer event to the record function (profile and history)',
      target: this.functions.record,
      holds: 'customer events the record function could not be invoked for',
    });
    route('Erasure', {
      bus: this.eventBus,
      pattern: erasurePattern(),
      description: 'Customer erasure requests to the preferences function',
      target: preferences,
      holds: 'erasure requests the preferences function could not be invoked for',
    });
    route('SesFeedback', {
      bus: defaultBus,
      pattern: sesFeedbackPattern(config.configurationSet),
      description: `SES bounces and complaints of configuration set ${config.configurationSet} to the preferences function`,
      target: preferences,
      holds: 'SES bounces and complaints the preferences function could not be invoked for',
    });

    this.journeys = project.journeys
      .filter((compiled) => compiled.deploy)
      .map(
        (compiled) =>
          new JourneyStack(this, `Journey-${compiled.journeyId}`, {
            compiled,
            stateMachineName: stateMachineName(config.stage, compiled),
            eventBus: this.eventBus,
            functions: { steps, deliver, goals, resume },
            alarmTopic: this.alarmTopic,
          }),
      );

    this.producerPolicy = new iam.ManagedPolicy(this, 'ProducerPolicy', {
      managedPolicyName: `${prefix}-producer`,
      description: `Lets a system put customer events on the Waymark ${config.stage} bus`,
      statements: [
        new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.eventBus.eventBusArn] }),
      ],
    });

    const alarms: cloudwatch.IAlarm[] = [
      ...FUNCTION_NAMES.map((name) => this.functions[name].errorsAlarm),
      ...FUNCTION_NAMES.flatMap((name) => this.functions[name].failureQueue?.depthAlarm ?? []),
      ...routeQueues.map(({ queue }) => queue.depthAlarm),
      ...this.journeys.flatMap(({ journey }) => [
        journey.failedExecutionsAlarm,
        journey.deadLetterQueue.depthAlarm,
      ]),
    ];
    this.monitoring = new Monitoring(this, 'Monitoring', {
      dashboardName: prefix,
      journeys: this.journeys.map(({ journey }) => ({
        journeyId: journey.journeyId,
        stateMachine: journey.stateMachine,
      })),
      functions: FUNCTION_NAMES.map((name) => ({ label: name, function: this.functions[name] })),
      deadLetterQueues: [
        ...routeQueues.map(({ label, queue }) => ({ label: `${label} rule`, queue: queue.queue })),
        ...FUNCTION_NAMES.flatMap((name) => {
          const failures = this.functions[name].failureQueue;
          return failures === undefined ? [] : [{ label: `${name} failures`, queue: failures.queue }];
        }),
        ...this.journeys.map(({ journey }) => ({
          label: journey.journeyId,
          queue: journey.deadLetterQueue.queue,
        })),
      ],
      alarms,
      alarmTopic: this.alarmTopic,
    });

    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
    new CfnOutput(this, 'EventBusArn', { value: this.eventBus.eventBusArn });
    new CfnOutput(this, 'ProducerPolicyArn', { value: this.producerPolicy.managedPolicyArn });
    new CfnOutput(this, 'UnsubscribeUrl', { value: this.unsubscribeUrl.url });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'ConfigurationSetName', { value: this.configurationSet.configurationSetName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: prefix });
  }
}

function functionId(name: FunctionName): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}Function`;
}

/** Every WaymarkFunction is built with its own role. */
function roleOf(fn: WaymarkFunction): iam.IRole {
  if (fn.role === undefined) throw new Error(`The ${fn.handlerFolder} function has no role`);
  return fn.role;
}
