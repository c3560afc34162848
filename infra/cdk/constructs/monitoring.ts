/**
 * The CloudWatch dashboard and the alarms on what the functions report.
 *
 * The functions publish embedded-metric-format metrics in the `Waymark`
 * namespace (functions/common/observability.ts, one `service` dimension on
 * every metric). Graphs add them up with SEARCH expressions; the alarms use
 * Metrics Insights queries, which alarms accept and SEARCH does not.
 *
 * Every dimension combination is a custom metric CloudWatch bills monthly, so
 * dimensions take values from closed sets (channel, outcome, task, reason),
 * and the only open one, `journey`, is on four metrics: Entered,
 * MessagesSent, Exited, Converted. The bound is
 *   4 x journeys + at most 120 (`METRIC_BOUND` below; test/handlers.test.ts checks the dimensions)
 * whatever the number of steps or customers. Figures per step come from the
 * history (`waymark report`), not from metrics.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { skipStatusSchema } from '../../../shared/customer/history.ts';
import { channelSchema } from '../../../shared/customer/profile.ts';
import { alarmOnAny } from './alarms.ts';

const NAMESPACE = 'Waymark';

/** Dimension sets as the handlers emit them (the `service` default dimension included). */
const SCHEMA = {
  /** deliver: `Deliveries` (and `HistoryWritesDropped`) per channel and outcome. */
  deliveries: `{${NAMESPACE},channel,outcome,service}`,
  /** steps: `StepTasks` per task and outcome. */
  steps: `{${NAMESPACE},outcome,service,task}`,
  /** `Entered` (steps), `MessagesSent` (deliver), `Exited` and `Converted` (goals) per journey. */
  journeys: `{${NAMESPACE},journey,service}`,
  /** audience: `BroadcastTasks` and `BroadcastMembersStarted` per task. */
  broadcasts: `{${NAMESPACE},service,task}`,
} as const;

/**
 * The most billed metrics a stage publishes besides the four per journey: Deliveries 4 channels
 * (with "none") x 6 outcomes, HistoryWritesDropped 3, StepTasks 7 tasks x at most 7 outcomes,
 * GoalEvents 1, PreferenceEvents and Unsubscribes a few outcomes each, BroadcastTasks 5 tasks and
 * BroadcastMembersStarted 1 (the audience function).
 */
export const METRIC_BOUND = { perJourney: 4, fixed: 120 } as const;

/** CloudWatch's limit for one alarm status widget. */
const ALARMS_PER_WIDGET = 100;

const CHANNELS = channelSchema.options;
/** The outcomes of a delivery other than sent, as the history records them. */
const NOT_SENT = skipStatusSchema.options;

export interface MonitoredStateMachine {
  /** The legend: a journey's id, or what else the machine runs. */
  readonly label: string;
  readonly stateMachine: sfn.IStateMachine;
}

export interface MonitoredFunction {
  /** The legend: the folder under functions/. */
  readonly label: string;
  readonly function: lambda.IFunction;
}

export interface MonitoredQueue {
  /** What the queue holds, as the graph's legend. */
  readonly label: string;
  readonly queue: sqs.IQueue;
}

export interface MonitoringProps {
  readonly dashboardName: string;
  /** Each journey's, and the broadcast machine. */
  readonly stateMachines: readonly MonitoredStateMachine[];
  readonly functions: readonly MonitoredFunction[];
  readonly deadLetterQueues: readonly MonitoredQueue[];
  /** Every alarm of the stack, for the dashboard's status row. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  readonly alarmTopic: sns.ITopic;
  /**
   * Failed deliveries (SES or SNS refused the message) within `period` that raise the alarm.
   * @default 5
   */
  readonly failedDeliveriesThreshold?: number;
  /**
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
}

export class Monitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly failedDeliveriesAlarm: cloudwatch.Alarm;
  readonly unrecordedMessagesAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const seconds = period.toSeconds();
    const total = (search: string, label: string): cloudwatch.MathExpression =>
      new cloudwatch.MathExpression({
        expression: `SUM(SEARCH('${search}', 'Sum', ${seconds}))`,
        label,
        period,
        usingMetrics: {},
      });
    const perJourney = (search: string): cloudwatch.MathExpression =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('${search}', 'Sum', ${seconds})`,
        // A dynamic label: one line per journey, named by its dimension.
        label: "${PROP('Dim.journey')}",
        period,
        usingMetrics: {},
      });
    const deliveries = (filter: string): string => `${SCHEMA.deliveries} MetricName="Deliveries" ${filter}`;

    this.failedDeliveriesAlarm = alarmOnAny(this, 'FailedDeliveriesAlarm', {
      description:
        'SES or SNS refused messages (outcome "failed" in the Deliveries metric); the deliver function logs each reason.',
      metric: new cloudwatch.MathExpression({
        expression: `SELECT SUM(Deliveries) FROM SCHEMA(${NAMESPACE}, channel, outcome, service) WHERE outcome = 'failed'`,
        label: 'Failed deliveries',
        period,
        usingMetrics: {},
      }),
      threshold: props.failedDeliveriesThreshold ?? 5,
      topic: props.alarmTopic,
    });

    this.unrecordedMessagesAlarm = alarmOnAny(this, 'UnrecordedMessagesAlarm', {
      description:
        'Messages sent whose history entry could not be written (HistoryWritesDropped): compliance and attribution read the history.',
      metric: new cloudwatch.MathExpression({
        expression: `SELECT SUM(HistoryWritesDropped) FROM SCHEMA(${NAMESPACE}, channel, outcome, service)`,
        label: 'Sent, not recorded',
        period,
        usingMetrics: {},
      }),
      threshold: 1,
      topic: props.alarmTopic,
    });

    const graph = (title: string, metrics: cloudwatch.IMetric[]): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({ title, left: metrics, width: 8, height: 6, period });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(1),
      widgets: [
        chunks(
          [this.failedDeliveriesAlarm, this.unrecordedMessagesAlarm, ...props.alarms],
          ALARMS_PER_WIDGET,
        ).map(
          (alarms, index) =>
            new cloudwatch.AlarmStatusWidget({
              title: index === 0 ? 'Alarms' : `Alarms (${index + 1})`,
              alarms,
              width: 24,
              height: 2 + Math.ceil(alarms.length / 4),
            }),
        ),
        [
          graph('Customers entering journeys', [perJourney(`${SCHEMA.journeys} MetricName="Entered"`)]),
          graph(
            'Messages sent by channel',
            CHANNELS.map((channel) => total(deliveries(`outcome="sent" channel="${channel}"`), channel)),
          ),
          graph(
            'Messages not sent, by reason',
            NOT_SENT.map((outcome) => total(deliveries(`outcome="${outcome}"`), outcome)),
          ),
        ],
        [
          graph('Messages sent by journey', [perJourney(`${SCHEMA.journeys} MetricName="MessagesSent"`)]),
          graph('Conversions by journey', [perJourney(`${SCHEMA.journeys} MetricName="Converted"`)]),
          graph(
            'Dead-letter queue depth',
            props.deadLetterQueues.map(({ label, queue }) =>
              queue.metricApproximateNumberOfMessagesVisible({
                label,
                period,
                statistic: cloudwatch.Stats.MAXIMUM,
              }),
            ),
          ),
        ],
        [
          graph('Entries refused, by reason', [
            new cloudwatch.MathExpression({
              expression: `SEARCH('${SCHEMA.steps} MetricName="StepTasks" task="enter" NOT outcome="entered"', 'Sum', ${seconds})`,
              label: "${PROP('Dim.outcome')}",
              period,
              usingMetrics: {},
            }),
          ]),
          graph('Broadcast members started', [
            total(`${SCHEMA.broadcasts} MetricName="BroadcastMembersStarted"`, 'started'),
          ]),
        ],
        [
          graph(
            'Failed executions by journey',
            props.stateMachines.map(({ label, stateMachine }) =>
              stateMachine.metricFailed({ label, period, statistic: cloudwatch.Stats.SUM }),
            ),
          ),
          graph(
            'Function errors',
            props.functions.map(({ label, function: fn }) =>
              fn.metricErrors({ label, period, statistic: cloudwatch.Stats.SUM }),
            ),
          ),
          graph(
            'Function duration (p99)',
            props.functions.map(({ label, function: fn }) =>
              fn.metricDuration({ label, period, statistic: cloudwatch.Stats.p(99) }),
            ),
          ),
        ],
      ],
    });
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}
