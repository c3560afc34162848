/**
 * The figures of a stage: the table's DynamoDB Stream feeds the figures function (functions/figures),
 * which counts history entries into the counter items the panel and `waymark report` read
 * (docs/data-model.md, "Figures"). Off the functions' path: no function writing the history makes a
 * request for the figures.
 *
 * - The event source mapping passes history items only (`sk` begins with `H#`): every INSERT, and a
 *   MODIFY that makes an event `recorded` (record's put over the resume function's copy). Everything
 *   else the stream carries (profiles, ledgers, markers, the counters themselves) never invokes it.
 * - Batches of up to 1,000 records, gathered for up to 5 seconds, one at a time per shard (the counters'
 *   sequence marks rely on a shard's batches coming in order); a tumbling window only so each event
 *   names its shard. A failing batch is retried whole, then its records' place goes to a failure queue
 *   (`waymark figures --recount` recounts what they held).
 * - The function may update and read the table's items (UpdateItem, GetItem: counters and markers) and
 *   read the stream; nothing else.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { WRITE_SHARDS_ENVIRONMENT } from '../../../shared/figures/batch.ts';
import { ENVIRONMENT } from '../../../shared/runtime/environment.ts';
import { SORT } from '../../../shared/store/table.ts';
import { acknowledge, ANY_RESOURCE } from '../nag.ts';
import type { CustomerData } from './customer-data.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { WaymarkFunction } from './waymark-function.ts';

export interface FiguresProps {
  readonly data: CustomerData;
  /** The repository root: `functions/`, `package-lock.json`. */
  readonly projectRoot: string;
  /** The validated journeys folder (bundled as with every function, though the figures read none). */
  readonly journeysDir: string;
  readonly alarmTopic: sns.ITopic;
  /**
   * Counter items per journey and day, each stream shard writing one (shared/figures/batch.ts): raise it
   * when many shards update one journey's counters at once.
   * @default 1
   */
  readonly writeShards?: number;
  /** @default - esbuild bundles functions/figures/handler.ts */
  readonly code?: lambda.Code;
}

/** Records per batch and the longest a batch gathers: a page then lags the history by seconds. */
const BATCH_SIZE = 1000;
const BATCH_WINDOW = Duration.seconds(5);

export class Figures extends Construct {
  readonly function: WaymarkFunction;
  /** Where a batch's place goes once its retries are spent (the records themselves stay in the stream). */
  readonly failures: DeadLetterQueue;

  /**
   * The figures for a table with a stream; undefined for an existing table, which the stage names by its
   * ARN alone (docs/panel.md: its pages show what `waymark figures --recount` last counted).
   */
  static forTable(scope: Construct, id: string, props: FiguresProps): Figures | undefined {
    return props.data.table.tableStreamArn === undefined ? undefined : new Figures(scope, id, props);
  }

  private constructor(scope: Construct, id: string, props: FiguresProps) {
    super(scope, id);
    const { table, key } = props.data;
    this.function = new WaymarkFunction(this, 'Function', {
      name: 'figures',
      description: "History entries counted from the table's stream: the figures the panel and reports read",
      projectRoot: props.projectRoot,
      journeysDir: props.journeysDir,
      // Called by the event source mapping, which retries a failed batch itself.
      invocation: 'synchronous',
      timeout: Duration.seconds(60),
      memorySize: 512,
      alarmTopic: props.alarmTopic,
      environment: {
        [ENVIRONMENT.table]: table.tableName,
        [WRITE_SHARDS_ENVIRONMENT]: String(props.writeShards ?? 1),
      },
      ...(props.code === undefined ? {} : { code: props.code }),
    });
    const fn = this.function.function;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'Table',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [table.tableArn],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'TableKey',
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    this.failures = new DeadLetterQueue(this, 'Failures', {
      holds:
        'stream batches the figures function could not count after its retries (run waymark figures --recount)',
      alarmTopic: props.alarmTopic,
    });
    // Event filtering's own syntax (what lambda.FilterRule writes, typed here).
    const history = { Keys: { sk: { S: [{ prefix: SORT.historyPrefix }] } } };
    // The stream read (DescribeStream, GetRecords, GetShardIterator on this stream, ListStreams) is
    // granted by the event source.
    fn.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: BATCH_SIZE,
        maxBatchingWindow: BATCH_WINDOW,
        parallelizationFactor: 1,
        tumblingWindow: Duration.minutes(15),
        bisectBatchOnError: false,
        retryAttempts: 20,
        maxRecordAge: Duration.hours(24),
        onFailure: new SqsDlq(this.failures.queue),
        filters: [
          lambda.FilterCriteria.filter({ eventName: ['INSERT'], dynamodb: history }),
          lambda.FilterCriteria.filter({
            eventName: ['MODIFY'],
            dynamodb: { ...history, NewImage: { recorded: { BOOL: [true] } } },
          }),
        ],
      }),
    );
    acknowledge(
      this.function.role,
      ANY_RESOURCE,
      'dynamodb:ListStreams, added by CDK with the stream read, does not support resource-level permissions; the stream itself is named (DescribeStream, GetRecords, GetShardIterator on its ARN only).',
    );
  }
}
