/**
 * The finish function on AWS: the rule on the default bus that brings it the ends of the stage's
 * journey executions (and no other state machine's), its retries and dead-letter queue, and what it
 * may do: the table, and DescribeExecution on the stage's journey executions only.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionEndPattern } from '../../shared/runtime/finish.ts';
import { matchesPattern } from '../../shared/events/pattern.ts';
import { broadcastStateMachineName, stateMachineName } from '../../infra/cdk/names.ts';
import {
  getAtt,
  logicalId,
  type PolicyStatementJson,
  removeTemporaryFolders,
  roleOf,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthWaymark,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

/** `arn:${Partition}:states:${Region}:${AccountId}:<resource>:<name>`, as the template writes it. */
function stageArn(resource: string, name: string) {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':states:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:${resource}:${name}`,
      ],
    ],
  };
}

describe('the finish function and its rule', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark();
  }, SYNTH_TIMEOUT);

  it("routes the ends of the stage's journey executions on the default bus to finish, retried, with its own dead-letter queue", () => {
    const core = Template.fromStack(synth.stack);
    const prefix = `waymark-${synth.config.stage}-`;
    const rules = core.findResources('AWS::Events::Rule', {
      Properties: { Targets: [Match.objectLike({ Arn: getAtt(synth.stack.functions.finish, 'Arn') })] },
    });
    expect(Object.keys(rules)).toHaveLength(1);
    core.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      State: 'ENABLED',
      EventPattern: Match.exact({
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [{ prefix: stageArn('stateMachine', prefix) }],
        },
      }),
      Targets: [
        {
          Id: 'Target',
          Arn: getAtt(synth.stack.functions.finish, 'Arn'),
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RoutesExecutionEndsDeadLetterQueue'), 'Arn'] },
          },
        },
      ],
    });
    const [ruleId] = Object.keys(rules);
    core.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: getAtt(synth.stack.functions.finish, 'Arn'),
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
    // The prefix takes every journey machine of the stage, and neither the broadcast machine nor another stage's.
    const arnOf = (name: string) => `arn:aws:states:eu-west-1:111111111111:stateMachine:${name}`;
    const pattern = executionEndPattern(arnOf(prefix));
    const event = (name: string) => ({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: { status: 'ABORTED', stateMachineArn: arnOf(name) },
    });
    for (const { journey } of synth.stack.journeys) {
      const compiled = synth.project.journeys.find((candidate) => candidate.journeyId === journey.journeyId);
      if (compiled === undefined) throw new Error(`no compiled journey ${journey.journeyId}`);
      expect(matchesPattern(pattern, event(stateMachineName(synth.config.stage, compiled)))).toBe(true);
    }
    expect(matchesPattern(pattern, event(broadcastStateMachineName(synth.config.stage)))).toBe(false);
    expect(matchesPattern(pattern, event('waymark-prod-cart-abandonment'))).toBe(false);
  });

  it('lets finish put and update table items and describe the stage journey executions, nothing more', () => {
    const core = Template.fromStack(synth.stack);
    const policies = core.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: logicalId(roleOf(synth, 'finish')) }] },
    });
    const statements = Object.values(policies)
      .flatMap((policy): PolicyStatementJson[] => policy.Properties.PolicyDocument.Statement)
      .filter((statement) =>
        /"(dynamodb|states|events|sns|ses|sqs:Receive|lambda):/.test(JSON.stringify(statement.Action)),
      );
    expect(statements).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: getAtt(synth.stack.data.table, 'Arn'),
      }),
      expect.objectContaining({
        Action: 'states:DescribeExecution',
        Resource: stageArn('execution', `waymark-${synth.config.stage}-*`),
      }),
    ]);
    // Asynchronous: what Lambda gives up on after its retries goes to the function's failure queue.
    core.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(synth.stack.functions.finish) },
      MaximumRetryAttempts: 2,
    });
  });
});
