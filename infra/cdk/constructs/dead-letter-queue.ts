/**
 * Where an event or invocation goes when every retry has failed: an
 * encrypted SQS queue kept 14 days, with an alarm on its first message.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';
import { alarmOnAny } from './alarms.ts';

export interface DeadLetterQueueProps {
  /** What ends up here, in words, for the alarm description (e.g. "events journey cart-abandonment could not start"). */
  readonly holds: string;
  /** Notified when the first message arrives. */
  readonly alarmTopic: sns.ITopic;
  /**
   * How long a failed event is kept for inspection or redrive.
   * @default Duration.days(14), the SQS maximum
   */
  readonly retention?: Duration;
}

export class DeadLetterQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly depthAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      // SQS-managed keys: EventBridge cannot write to a queue under the AWS-managed SQS KMS key, and a
      // customer key would have to trust every rule. The messages are events, invocation records and
      // schedule invocations.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retention ?? Duration.days(14),
    });
    acknowledge(
      this.queue,
      'AwsSolutions-SQS3',
      'This queue is itself a dead-letter queue (of an EventBridge rule target, a Lambda on-failure destination or an EventBridge Scheduler schedule); a dead-letter queue of a dead-letter queue would only move the same messages again.',
    );
    this.depthAlarm = alarmOnAny(this, 'DepthAlarm', {
      description: `Dead-letter queue has messages: ${props.holds}. Inspect them and redrive once the cause is fixed.`,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      topic: props.alarmTopic,
    });
  }
}
