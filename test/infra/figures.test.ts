/**
 * The figures on AWS: the table's stream, the event source mapping that brings history items (and only
 * them) to the figures function in batches, its failure queue, and what the function may do: read the
 * stream, and get and update the table's items, nothing more.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  devStage,
  logicalId,
  type PolicyStatementJson,
  removeTemporaryFolders,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthWaymark,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

function statementsOf(template: Template, roleId: string): PolicyStatementJson[] {
  return Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
  ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

describe('the figures function and its stream', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark();
  }, SYNTH_TIMEOUT);

  it('turns on the stream with both images, and maps history items to the function in batches, in order, by shard', () => {
    const core = Template.fromStack(synth.stack);
    core.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    const figures = synth.stack.figures;
    expect(figures).toBeDefined();
    if (figures === undefined) return;
    core.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    core.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(figures.function.function) },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(synth.stack.data.table), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 5,
      ParallelizationFactor: 1,
      TumblingWindowInSeconds: 900,
      BisectBatchOnFunctionError: false,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(figures.failures.queue), 'Arn'] } },
      },
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ['INSERT'],
              dynamodb: { Keys: { sk: { S: [{ prefix: 'H#' }] } } },
            }),
          },
          {
            Pattern: JSON.stringify({
              eventName: ['MODIFY'],
              dynamodb: { Keys: { sk: { S: [{ prefix: 'H#' }] } }, NewImage: { recorded: { BOOL: [true] } } },
            }),
          },
        ],
      },
    });
  });

  it('lets the function read the stream and get and update items of the table, and nothing else of it', () => {
    const core = Template.fromStack(synth.stack);
    const figures = synth.stack.figures;
    if (figures === undefined) throw new Error('no figures');
    const statements = statementsOf(core, logicalId(figures.function.role));
    const tableArn = { 'Fn::GetAtt': [logicalId(synth.stack.data.table), 'Arn'] };
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Sid: 'Table',
          Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          Resource: tableArn,
        }),
        expect.objectContaining({
          Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          Resource: { 'Fn::GetAtt': [logicalId(synth.stack.data.table), 'StreamArn'] },
        }),
      ]),
    );
    const dynamoActions = statements
      .flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]))
      .filter((action): action is string => typeof action === 'string' && action.startsWith('dynamodb:'))
      .sort();
    expect(dynamoActions).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetItem',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
      'dynamodb:UpdateItem',
    ]);
    // Told its table, and how many items a day's counters are spread over.
    core.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp("table's stream"),
      Environment: { Variables: Match.objectLike({ WAYMARK_FIGURES_WRITE_SHARDS: '1' }) },
    });
  });

  it(
    'is left out for an existing table, named without its stream',
    () => {
      const existing = synthWaymark({
        context: devStage({
          existingTableArn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/shop-customers',
          existingKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555',
        }),
      });
      expect(existing.stack.figures).toBeUndefined();
      Template.fromStack(existing.stack).resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    },
    SYNTH_TIMEOUT,
  );
});
