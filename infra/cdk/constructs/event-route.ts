/**
 * One EventBridge rule with one target, a retry policy and a dead-letter
 * queue: the only way events reach a function or a state machine here.
 *
 * The pattern is written to the template exactly as given: the CDK `Rule`
 * type cannot express every pattern the compiler produces (`$or`, content
 * filters on `source`), and the rule must match what the local router matches.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EventPattern } from '../../../shared/events/pattern.ts';

export type RouteTarget =
  /**
   * Invoked asynchronously with the event. `invokePermission: 'bus'`: the function already lets
   * every rule of the bus invoke it (one statement, however many journeys), so none is added here.
   */
  | {
      readonly kind: 'function';
      readonly function: lambda.IFunction;
      readonly invokePermission?: 'rule' | 'bus';
    }
  /** Started with the whole event as its input. */
  | { readonly kind: 'stateMachine'; readonly stateMachine: sfn.IStateMachine };

export interface EventRouteProps {
  /** The bus the rule listens on (the default bus for AWS service events such as SES's). */
  readonly eventBus: events.IEventBus;
  readonly pattern: EventPattern;
  readonly description: string;
  /**
   * A disabled rule stays deployed but matches nothing (paused journeys).
   * @default true
   */
  readonly enabled?: boolean;
  readonly target: RouteTarget;
  /** Receives the event once the retries below are spent. */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * Delivery attempts after the first.
   * @default 185, the EventBridge maximum
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge keeps retrying.
   * @default Duration.hours(24), the EventBridge maximum
   */
  readonly maxEventAge?: Duration;
}

export class EventRoute extends Construct {
  readonly rule: events.CfnRule;

  constructor(scope: Construct, id: string, props: EventRouteProps) {
    super(scope, id);
    const target = props.target;
    const role = target.kind === 'stateMachine' ? this.startExecutionRole(target.stateMachine) : undefined;
    this.rule = new events.CfnRule(this, 'Rule', {
      eventBusName: props.eventBus.eventBusName,
      description: props.description,
      eventPattern: props.pattern,
      state: props.enabled === false ? 'DISABLED' : 'ENABLED',
      targets: [
        {
          id: 'Target',
          arn: targetArn(target),
          ...(role === undefined ? {} : { roleArn: role.roleArn }),
          deadLetterConfig: { arn: props.deadLetterQueue.queueArn },
          retryPolicy: {
            maximumRetryAttempts: props.retryAttempts ?? 185,
            maximumEventAgeInSeconds: (props.maxEventAge ?? Duration.hours(24)).toSeconds(),
          },
        },
      ],
    });
    if (target.kind === 'function' && target.invokePermission !== 'bus') {
      target.function.addPermission('InvokePermission', {
        principal: new iam.ServicePrincipal('events.amazonaws.com'),
        sourceArn: this.rule.attrArn,
        scope: this,
      });
    }
    props.deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [props.deadLetterQueue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': this.rule.attrArn } },
      }),
    );
  }

  private startExecutionRole(stateMachine: sfn.IStateMachine): iam.Role {
    const role = new iam.Role(this, 'TargetRole', {
      description: 'Lets EventBridge start this one state machine',
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
    stateMachine.grantStartExecution(role);
    return role;
  }
}

function targetArn(target: RouteTarget): string {
  switch (target.kind) {
    case 'function':
      return target.function.functionArn;
    case 'stateMachine':
      return target.stateMachine.stateMachineArn;
  }
}
