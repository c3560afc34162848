/**
 * The one kind of alarm the stack raises: something went wrong at least
 * `threshold` times within one period of the metric. A period without data
 * means nothing happened, so it never alarms.
 */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

export interface AlarmOnAnyProps {
  /** What is counted; its period is the alarm's. */
  readonly metric: cloudwatch.IMetric;
  /** What went wrong and where to look, for whoever is notified. */
  readonly description: string;
  /** Notified when the alarm goes off. */
  readonly topic: sns.ITopic;
  /**
   * @default 1
   */
  readonly threshold?: number;
}

/** An alarm at `scope`/`id` (the id decides the logical id) that notifies `topic`. */
export function alarmOnAny(scope: Construct, id: string, props: AlarmOnAnyProps): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmDescription: props.description,
    metric: props.metric,
    threshold: props.threshold ?? 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.topic));
  return alarm;
}
