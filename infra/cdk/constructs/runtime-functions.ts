/**
 * The nine runtime functions of a stage (constructs/waymark-function.ts)
 * and what each may do: the table actions its code makes, the table's key
 * through DynamoDB only, the unsubscribe secret for the two that sign or
 * check links, sending for deliver (email, SMS, push, and the WhatsApp
 * number, custom functions and webhook secrets the deployed journeys use:
 * channel-grants.ts), the bus for record when a journey starts on segment
 * entry, the journeys' state machines of this stage for the functions
 * that start, resume, stop or describe them, and the high-volume journeys'
 * schedules for those that park, wake or cancel their runs (high-volume.ts).
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as ses from 'aws-cdk-lib/aws-ses';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { State } from '../../../shared/asl/types.ts';
import {
  BROADCAST_MAX_CONCURRENCY,
  broadcastDefinition,
} from '../../../shared/audience/broadcast-machine.ts';
import { EXPRESS_POLICIES, STANDARD_POLICIES } from '../../../shared/journey/policies.ts';
import { ENVIRONMENT } from '../../../shared/runtime/environment.ts';
import type { CompiledProject } from '../compile-project.ts';
import type { DeploymentConfig } from '../config.ts';
import { resourcePrefix } from '../names.ts';
import { acknowledge, ANY_RESOURCE, wildcardResource } from '../nag.ts';
import { grantChannelTargets } from './channel-grants.ts';
import type { CustomerData } from './customer-data.ts';
import type { HighVolume } from './high-volume.ts';
import { type FunctionName, type Invocation, WaymarkFunction } from './waymark-function.ts';

interface FunctionSpec {
  readonly description: string;
  readonly invocation: Invocation;
  /**
   * 'task': as long as the journey Task that calls it allows (see taskFunctionTimeout);
   * 'broadcastTask': as long as the broadcast machine's Tasks allow (see broadcastFunctionTimeout).
   */
  readonly timeout: Duration | 'task' | 'broadcastTask';
  /** The DynamoDB calls its code makes (checked against the bundle by test/infra/runtime-functions.test.ts). */
  readonly tableActions: readonly string[];
  /** A metric counting the errors it throws on purpose, which its errors alarm leaves out. */
  readonly expectedErrors?: string;
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
    description: 'Send steps: consent, quiet hours, caps, then SES, SNS, WhatsApp, a webhook or a function',
    invocation: 'synchronous',
    timeout: 'task',
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    // A deferral (quiet hours, a send slot later) is the Waymark.Deferred error the state machine waits on.
    expectedErrors: 'DeferralsThrown',
  },
  record: {
    description: 'Every customer event: profile and history, segment entries',
    invocation: 'asynchronous',
    timeout: Duration.seconds(30),
    // Query and DeleteItem: the history and segment markers that segment entry reads and clears.
    tableActions: [
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ],
  },
  resume: {
    description: 'Awaited events: resume the waiting journey steps',
    invocation: 'asynchronous',
    timeout: Duration.seconds(30),
    // UpdateItem and GetItem: an awaited event claims a high-volume run's park before starting its part.
    tableActions: [
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ],
  },
  goals: {
    description: 'Exit and goal events: stop journeys, record conversions',
    invocation: 'asynchronous',
    timeout: Duration.seconds(30),
    // DeleteItem: an exit takes a high-volume run's waitForEvent registration with its parks.
    tableActions: [
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ],
  },
  preferences: {
    description: 'SES events (suppression, engagement), SMS and WhatsApp statuses, customer erasure',
    invocation: 'asynchronous',
    // An erasure deletes a customer's whole partition, 25 items per batch.
    timeout: Duration.seconds(60),
    // DeleteItem: an erasure takes a high-volume run's waitForEvent registration with its parks.
    tableActions: [
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
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
  audience: {
    description: "Broadcast runs: read a segment's members, start each one's journey at their time",
    invocation: 'synchronous',
    timeout: 'broadcastTask',
    // Scan: the profiles, read in parallel segments. BatchGetItem: which members still have a profile.
    tableActions: [
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
    ],
  },
  finish: {
    description:
      "A journey execution's end (Step Functions status change): free the customer's place, record the outcome",
    invocation: 'asynchronous',
    timeout: Duration.seconds(30),
    // UpdateItem: the place in the journey; PutItem: the history entry.
    tableActions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
  },
};

/**
 * A function's timeout must be shorter than the Task that calls it, or a message could go out after
 * the task gave up (shared/journey/policies.ts). Express tasks are the shortest, so they set it only
 * when an Express journey is deployed.
 */
export function taskFunctionTimeout(project: CompiledProject): Duration {
  const express = project.journeys.some((journey) => journey.deploy && journey.workflowType === 'EXPRESS');
  const taskSeconds = express ? EXPRESS_POLICIES.taskTimeoutSeconds : STANDARD_POLICIES.taskTimeoutSeconds;
  return Duration.seconds(taskSeconds - 2);
}

/**
 * Shorter than the broadcast machine's shortest Task, so a function that runs out fails the Task,
 * which retries it, instead of the Task giving up on a function still running.
 */
export function broadcastFunctionTimeout(): Duration {
  const timeouts = (states: Record<string, State>): number[] =>
    Object.values(states).flatMap((state) => {
      switch (state.Type) {
        case 'Task':
          return [state.TimeoutSeconds];
        case 'Map':
          return timeouts(state.ItemProcessor.States);
        default:
          return [];
      }
    });
  return Duration.seconds(Math.min(...timeouts(broadcastDefinition().States)) - 60);
}

export interface RuntimeFunctionsProps {
  /** The stage: its name, sender, SES identity, SMS number and unsubscribe endpoint. */
  readonly config: DeploymentConfig;
  readonly project: CompiledProject;
  /** The repository root: `functions/`, `package-lock.json`. */
  readonly projectRoot: string;
  /**
   * Code that is already built, for tests that only inspect templates.
   * @default - every function is bundled by esbuild
   */
  readonly functionCode?: ((name: FunctionName) => lambda.Code) | undefined;
  /** The table, its key and the unsubscribe secret. */
  readonly data: CustomerData;
  /**
   * The Waymark bus, whose rules (the journeys' exit and resume rules) invoke goals and resume, and
   * where record puts segment entries.
   */
  readonly eventBus: events.IEventBus;
  /** The configuration set deliver names in every email. */
  readonly configurationSet: ses.IConfigurationSet;
  readonly alarmTopic: sns.ITopic;
  /**
   * The high-volume journeys' schedule group, when one is deployed.
   * @default - none: no function is given the group or any Scheduler action
   */
  readonly highVolume?: HighVolume | undefined;
}

export class RuntimeFunctions extends Construct {
  readonly functions: Readonly<Record<FunctionName, WaymarkFunction>>;
  /** The unsubscribe function's public URL. */
  readonly unsubscribeUrl: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: RuntimeFunctionsProps) {
    super(scope, id);
    const { config, project, data } = props;
    const stack = Stack.of(this);
    const prefix = resourcePrefix(config.stage);

    const runtimeFunction = (name: FunctionName): WaymarkFunction => {
      const spec = FUNCTIONS[name];
      const fn = new WaymarkFunction(this, functionId(name), {
        name,
        description: spec.description,
        projectRoot: props.projectRoot,
        journeysDir: project.dir,
        invocation: spec.invocation,
        timeout:
          spec.timeout === 'task'
            ? taskFunctionTimeout(project)
            : spec.timeout === 'broadcastTask'
              ? broadcastFunctionTimeout()
              : spec.timeout,
        alarmTopic: props.alarmTopic,
        ...(spec.expectedErrors === undefined ? {} : { expectedErrors: spec.expectedErrors }),
        environment: { [ENVIRONMENT.table]: data.table.tableName },
        ...(props.functionCode === undefined ? {} : { code: props.functionCode(name) }),
      });
      fn.function.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'Table',
          actions: [...spec.tableActions],
          resources: [data.table.tableArn],
        }),
      );
      fn.function.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'TableKey',
          actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [data.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${stack.region}.amazonaws.com` } },
        }),
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
      audience: runtimeFunction('audience'),
      finish: runtimeFunction('finish'),
    };
    const { steps, deliver, record, resume, goals, preferences, unsubscribe, audience, finish } =
      this.functions;

    // The journeys' exit and resume rules invoke these: one statement for every rule on the bus.
    for (const fn of [goals, resume]) {
      fn.function.addPermission('InvokeFromJourneyRules', {
        principal: new iam.ServicePrincipal('events.amazonaws.com'),
        sourceArn: stack.formatArn({
          service: 'events',
          resource: 'rule',
          resourceName: `${props.eventBus.eventBusName}/*`,
        }),
      });
    }

    this.unsubscribeUrl = unsubscribe.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    for (const fn of [deliver, unsubscribe]) {
      data.grantReadUnsubscribeSecret(fn.function);
      fn.function.addEnvironment(ENVIRONMENT.unsubscribeSecretArn, data.unsubscribeSecret.secretArn);
      fn.function.addEnvironment(ENVIRONMENT.senderFrom, config.sender);
    }
    deliver.function.addEnvironment(
      ENVIRONMENT.configurationSet,
      props.configurationSet.configurationSetName,
    );
    deliver.function.addEnvironment(
      ENVIRONMENT.unsubscribeBaseUrl,
      config.unsubscribe.kind === 'url' ? config.unsubscribe.url : this.unsubscribeUrl.url,
    );
    if (config.smsOriginationNumber !== undefined) {
      deliver.function.addEnvironment(ENVIRONMENT.smsOriginationNumber, config.smsOriginationNumber);
    }
    if (Object.keys(config.sendRates).length > 0) {
      deliver.function.addEnvironment(ENVIRONMENT.sendRates, JSON.stringify(config.sendRates));
    }
    if (Object.keys(config.webhookUrls).length > 0) {
      deliver.function.addEnvironment(ENVIRONMENT.webhookUrls, JSON.stringify(config.webhookUrls));
    }
    deliver.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'SendEmail',
        actions: ['ses:SendEmail'],
        resources: [
          stack.formatArn({ service: 'ses', resource: 'identity', resourceName: config.sesIdentity }),
          stack.formatArn({
            service: 'ses',
            resource: 'configuration-set',
            resourceName: props.configurationSet.configurationSetName,
          }),
        ],
      }),
    );
    const smsAndPush = new iam.Policy(this, 'DeliverSmsAndPushPolicy', {
      roles: [deliver.role],
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
    // WhatsApp, custom functions and webhook secrets: only those the deployed journeys use, each exactly.
    grantChannelTargets(deliver.function, project.channelTargets, project.settings);

    // A journey that starts on segment entry: record puts `waymark.segment.entered` on the bus, where
    // that journey's trigger rule takes it. Without one, record has no business on the bus.
    if (project.segmentEntries) {
      record.function.addEnvironment(ENVIRONMENT.eventBus, props.eventBus.eventBusName);
      record.function.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'SegmentEntries',
          actions: ['events:PutEvents'],
          resources: [props.eventBus.eventBusArn],
        }),
      );
    }

    // High-volume runs: steps parks them (a schedule, or the next part at once when it is due), resume
    // wakes them on an awaited event, goals (exits) and preferences (erasure) cancel their schedules.
    if (props.highVolume !== undefined) {
      props.highVolume.bindPark(steps);
      props.highVolume.bindResume(resume);
      props.highVolume.bindCancel(goals);
      props.highVolume.bindCancel(preferences);
    }

    // Each scan segment of a broadcast has a worker of its own in the broadcast machine's Maps.
    audience.function.addEnvironment(ENVIRONMENT.broadcastScanSegments, String(BROADCAST_MAX_CONCURRENCY));

    // The journeys' state machines reference these functions, so the functions' grants name the
    // machines by prefix (no reference back, no cycle): every state machine of this stage and no other.
    const stageExecutions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${prefix}-*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const stageStateMachines = stack.formatArn({
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
      // A broadcast run's members, on the journey's own machine (the broadcast machine is not `<prefix>-*`).
      [audience, ['states:StartExecution'], stageStateMachines],
      // An ended execution's input and output, when its status-change event was too large to carry them.
      [finish, ['states:DescribeExecution'], stageExecutions],
    ];
    for (const [fn, actions, resource] of stateMachineGrants) {
      fn.function.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [resource] }));
      acknowledge(
        fn.role,
        wildcardResource(this, resource),
        `${actions.join(', ')} on the journeys of stage ${config.stage} only: their state machines are all named ${prefix}-<journey id> and come and go with journeys/, and naming them one by one would make every function depend on every state machine that already depends on it. SendTaskSuccess is authorized against the state machine of the waiting task; StartExecution (the audience function) against the broadcast journey's.`,
      );
    }
  }
}

function functionId(name: FunctionName): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}Function`;
}
