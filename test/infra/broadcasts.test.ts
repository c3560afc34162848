/**
 * constructs/broadcasts.ts and the audience wiring of the runtime functions: the broadcast machine,
 * one Scheduler schedule per broadcast journey (expression, zone, input, retries, dead-letter queue),
 * IAM scoped to each resource, and record allowed on the bus for segment entries.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { State } from '../../shared/asl/types.ts';
import { BROADCAST_MAX_CONCURRENCY, broadcastDefinition } from '../../shared/audience/broadcast-machine.ts';
import { definitionText } from '../../shared/journey/compile.ts';
import { ENVIRONMENT } from '../../shared/runtime/environment.ts';
import type { Broadcasts } from '../../infra/cdk/constructs/broadcasts.ts';
import {
  asArray,
  copySampleJourneys,
  deployedJourney,
  getAtt,
  logicalId,
  type PolicyStatementJson,
  readJourney,
  removeTemporaryFolders,
  roleOf,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthWaymark,
  writeJourney,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';

function broadcastsOf(synth: Synthesized): Broadcasts {
  const { broadcasts } = synth.stack;
  if (broadcasts === undefined) throw new Error('the stack has no broadcasts');
  return broadcasts;
}

/** Every Allow statement of the core stack's policies on `role`, resources flattened. */
function statementsOf(synth: Synthesized, role: IConstruct): { actions: string[]; resources: string[] }[] {
  const core = Template.fromStack(synth.stack);
  const policies = core.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: logicalId(role) }] },
  });
  const statements: PolicyStatementJson[] = Object.values(policies).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement,
  );
  return statements
    .filter((statement) => statement.Effect === 'Allow')
    .map((statement) => ({
      actions: asArray(statement.Action).sort(),
      resources: asArray(statement.Resource).map(flattenCfnReference).sort(),
    }));
}

/** The logical ids of the core stack's roles whose policies allow `action`. */
function rolesAllowed(synth: Synthesized, action: string): string[] {
  return Object.values(Template.fromStack(synth.stack).findResources('AWS::IAM::Policy'))
    .filter((policy) =>
      policy.Properties.PolicyDocument.Statement.some((statement: PolicyStatementJson) =>
        asArray(statement.Action).includes(action),
      ),
    )
    .flatMap((policy) => policy.Properties.Roles.map((role: { Ref: string }) => role.Ref))
    .sort();
}

/** The broadcast definition's Task timeouts, Map processors included. */
function taskTimeouts(states: Record<string, State>): number[] {
  return Object.values(states).flatMap((state) =>
    state.Type === 'Task'
      ? [state.TimeoutSeconds]
      : state.Type === 'Map'
        ? taskTimeouts(state.ItemProcessor.States)
        : [],
  );
}

const ARN = 'arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>';

describe('the sample broadcast (weekly-newsletter) and segment entry journey (gold-welcome)', () => {
  let synth: Synthesized;
  let core: Template;
  beforeAll(() => {
    synth = synthWaymark();
    core = Template.fromStack(synth.stack);
  }, SYNTH_TIMEOUT);

  it('runs the broadcast ASL on one Standard machine, the audience function substituted, logged without data, traced', () => {
    const broadcasts = broadcastsOf(synth);
    // The journeys' machines are in their nested stacks: this is the only one in the core stack.
    const machines = Object.values(core.findResources('AWS::StepFunctions::StateMachine'));
    expect(machines).toHaveLength(1);
    const properties = machines[0]?.Properties;
    expect(properties.StateMachineName).toBe('waymark-dev_broadcasts');
    expect(properties.StateMachineType).toBe('STANDARD');
    expect(properties.DefinitionString).toBe(definitionText(broadcastDefinition()));
    expect(properties.LoggingConfiguration).toMatchObject({ IncludeExecutionData: false, Level: 'ALL' });
    expect(properties.LoggingConfiguration.Destinations).toEqual([
      { CloudWatchLogsLogGroup: { LogGroupArn: getAtt(broadcasts.logGroup, 'Arn') } },
    ]);
    expect(properties.TracingConfiguration).toEqual({ Enabled: true });
    // Every placeholder of the definition, and only those, is substituted.
    const placeholders = [...properties.DefinitionString.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]);
    expect([...new Set(placeholders)]).toEqual(Object.keys(properties.DefinitionSubstitutions));
    expect(properties.DefinitionSubstitutions).toEqual({
      AudienceFunctionArn: getAtt(synth.stack.functions.audience, 'Arn'),
    });
    expect(core.toJSON().Resources[logicalId(broadcasts.logGroup)].Properties).toEqual({
      LogGroupName: '/aws/vendedlogs/states/waymark-dev_broadcasts',
      RetentionInDays: 90,
      Tags: [{ Key: 'waymark:stage', Value: 'dev' }],
    });
    expect(logicalId(broadcasts.stateMachine)).toBe('BroadcastsStateMachine554F3B0D');
  });

  it('lets the machine invoke the audience function and run its own Distributed Maps, nothing else', () => {
    const broadcasts = broadcastsOf(synth);
    const statements = statementsOf(synth, broadcasts.stateMachine.role);
    const scoped = statements.filter((statement) => !statement.resources.includes('*'));
    expect(scoped).toEqual([
      {
        actions: ['lambda:InvokeFunction'],
        resources: [`<${logicalId(synth.stack.functions.audience)}.Arn>`],
      },
      { actions: ['states:StartExecution'], resources: [`${ARN}:stateMachine:waymark-dev_broadcasts`] },
      {
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [`${ARN}:execution:waymark-dev_broadcasts:*`],
      },
      {
        actions: ['states:RedriveExecution'],
        resources: [
          `${ARN}:execution:waymark-dev_broadcasts/Collect:*`,
          `${ARN}:execution:waymark-dev_broadcasts/EnterWave:*`,
        ],
      },
    ]);
    // "*" only for what has no resource ARN: log delivery and X-Ray.
    for (const statement of statements.filter((candidate) => candidate.resources.includes('*'))) {
      for (const action of statement.actions) expect(action).toMatch(/^(logs|xray):/);
    }
  });

  it('schedules the weekly newsletter on Mondays at 10:00 in UTC+14, in its group, with retries and a dead-letter queue', () => {
    const broadcasts = broadcastsOf(synth);
    // gold-welcome starts on segment entry: it has no schedule.
    core.resourceCountIs('AWS::Scheduler::Schedule', 1);
    core.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'waymark-dev-broadcasts' });
    core.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'weekly-newsletter',
      GroupName: 'waymark-dev-broadcasts',
      ScheduleExpression: 'cron(0 10 ? * MON *)',
      ScheduleExpressionTimezone: 'Etc/GMT-14',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Arn: { Ref: logicalId(broadcasts.stateMachine) },
        RoleArn: getAtt(broadcasts.schedulerRole, 'Arn'),
        RetryPolicy: { MaximumEventAgeInSeconds: 6 * 3600, MaximumRetryAttempts: 185 },
        DeadLetterConfig: { Arn: getAtt(broadcasts.deadLetterQueue.queue, 'Arn') },
      }),
    });
  });

  it("starts the run with the journey, Scheduler's scheduled time and the journey's own state machine", () => {
    // Prepare
    const [schedule] = Object.values(core.findResources('AWS::Scheduler::Schedule'));
    if (schedule === undefined) throw new Error('no schedule');
    const [before, arn, after, ...rest] = schedule.Properties.Target.Input['Fn::Join'][1];
    const { stack: journeyStack } = deployedJourney(synth, 'weekly-newsletter');
    // Assess: the ARN is the nested stack's output of the journey's own machine.
    expect(rest).toEqual([]);
    expect(JSON.parse(`${before}ARN${after}`)).toEqual({
      journeyId: 'weekly-newsletter',
      scheduledTime: SCHEDULED_TIME,
      stateMachineArn: 'ARN',
    });
    const [resource, output] = arn['Fn::GetAtt'];
    if (journeyStack.nestedStackResource === undefined) throw new Error('no nested stack resource');
    expect(resource).toBe(logicalId(journeyStack.nestedStackResource));
    const outputs = Template.fromStack(journeyStack).toJSON().Outputs;
    expect(outputs[output.replace(/^Outputs\./, '')].Value).toEqual({
      Ref: logicalId(journeyStack.journey.stateMachine),
    });
  });

  it('lets Scheduler, for this account and schedule group only, start the broadcast machine and write to its queue', () => {
    const broadcasts = broadcastsOf(synth);
    core.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: {
                'aws:SourceAccount': { Ref: 'AWS::AccountId' },
                'aws:SourceArn': getAtt(broadcasts.scheduleGroup, 'Arn'),
              },
            },
          },
        ],
      },
    });
    expect(statementsOf(synth, broadcasts.schedulerRole)).toEqual([
      { actions: ['states:StartExecution'], resources: [`<${logicalId(broadcasts.stateMachine)}>`] },
      {
        actions: ['sqs:SendMessage'],
        resources: [`<${logicalId(broadcasts.deadLetterQueue.queue)}.Arn>`],
      },
    ]);
  });

  it('keeps runs Scheduler could not start in an encrypted, TLS-only queue that raises an alarm, and alarms on failed runs', () => {
    const broadcasts = broadcastsOf(synth);
    const queue = broadcasts.deadLetterQueue.queue;
    expect(core.toJSON().Resources[logicalId(queue)].Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
    });
    core.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(queue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    const alarmTopic = { Ref: logicalId(synth.stack.alarms.topic) };
    core.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(queue, 'QueueName') }],
      AlarmActions: [alarmTopic],
    });
    core.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(broadcasts.stateMachine) } }],
      AlarmActions: [alarmTopic],
    });
  });

  it('gives the audience function its scan segments, a timeout inside the tasks that call it, and the table', () => {
    const audience = synth.stack.functions.audience;
    const properties = core.toJSON().Resources[logicalId(audience)].Properties;
    expect(properties.Environment.Variables).toMatchObject({
      [ENVIRONMENT.table]: { Ref: logicalId(synth.stack.data.table) },
      [ENVIRONMENT.broadcastScanSegments]: String(BROADCAST_MAX_CONCURRENCY),
    });
    expect(properties.Timeout).toBeLessThan(Math.min(...taskTimeouts(broadcastDefinition().States)));
    // Called by Step Functions, which retries: no on-failure queue.
    expect(synth.stack.runtime.functions.audience.failureQueue).toBeUndefined();
  });

  it('lets only the audience function, the broadcast machine and Scheduler start executions, each on its own machines', () => {
    const broadcasts = broadcastsOf(synth);
    expect(rolesAllowed(synth, 'states:StartExecution')).toEqual(
      [roleOf(synth, 'audience'), broadcasts.stateMachine.role, broadcasts.schedulerRole]
        .map((role) => logicalId(role))
        .sort(),
    );
    // The audience function: the stage's journeys (`waymark-dev-*`), which the broadcast machine is not.
    const starts = statementsOf(synth, roleOf(synth, 'audience')).filter((statement) =>
      statement.actions.includes('states:StartExecution'),
    );
    expect(starts).toEqual([
      { actions: ['states:StartExecution'], resources: [`${ARN}:stateMachine:waymark-dev-*`] },
    ]);
    expect('waymark-dev_broadcasts'.startsWith('waymark-dev-')).toBe(false);
  });

  it('lets record, and no other function, put segment entries on the bus', () => {
    const record = synth.stack.functions.record;
    const bus = synth.stack.bus.eventBus;
    expect(core.toJSON().Resources[logicalId(record)].Properties.Environment.Variables).toMatchObject({
      [ENVIRONMENT.eventBus]: { Ref: logicalId(bus) },
    });
    expect(statementsOf(synth, roleOf(synth, 'record'))).toContainEqual({
      actions: ['events:PutEvents'],
      resources: [`<${logicalId(bus)}.Arn>`],
    });
    expect(rolesAllowed(synth, 'events:PutEvents')).toEqual([logicalId(roleOf(synth, 'record'))]);
  });

  it('starts gold-welcome from its own trigger rule on the entry event, not from a schedule', () => {
    const { stack } = deployedJourney(synth, 'gold-welcome');
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        source: ['waymark.audience'],
        'detail-type': ['waymark.segment.entered'],
        detail: Match.objectLike({ segment: ['gold'] }),
      }),
      State: 'ENABLED',
    });
    expect([...broadcastsOf(synth).schedules.keys()]).toEqual(['weekly-newsletter']);
  });
});

describe('broadcast variants', () => {
  let synth: Synthesized;
  beforeAll(() => {
    const dir = copySampleJourneys();
    const newsletter = readJourney(dir, 'weekly-newsletter');
    writeJourney(dir, { ...newsletter, status: 'paused' });
    writeJourney(dir, {
      ...newsletter,
      id: 'black-friday',
      trigger: { segment: 'gold', at: '2027-11-26T10:00', timeZone: 'Europe/Paris' },
    });
    writeJourney(dir, {
      ...newsletter,
      id: 'winback',
      trigger: { segment: 'lapsed', cron: '30 9 1 * *' },
    });
    writeJourney(dir, {
      ...newsletter,
      id: 'cyber-monday',
      trigger: { segment: 'gold', at: '2027-11-29T10:00', timeZone: 'customer' },
    });
    writeJourney(dir, {
      ...newsletter,
      id: 'draft-broadcast',
      status: 'draft',
      trigger: { segment: 'gold', cron: '0 9 * * 1-5' },
    });
    synth = synthWaymark({ journeysDir: dir });
  }, SYNTH_TIMEOUT);

  it.each([
    ['black-friday', 'at(2027-11-26T10:00:00)', 'Europe/Paris', 'ENABLED'],
    ['cyber-monday', 'at(2027-11-29T10:00:00)', 'Etc/GMT-14', 'ENABLED'],
    // No zone in the trigger: the settings' (journeys/settings.json).
    ['winback', 'cron(30 9 1 * ? *)', 'America/Sao_Paulo', 'ENABLED'],
    ['weekly-newsletter', 'cron(0 10 ? * MON *)', 'Etc/GMT-14', 'DISABLED'],
  ])('schedules %s as %s in %s, %s', (journeyId, expression, zone, state) => {
    Template.fromStack(synth.stack).hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: journeyId,
      ScheduleExpression: expression,
      ScheduleExpressionTimezone: zone,
      State: state,
    });
  });

  it('schedules no draft', () => {
    expect([...broadcastsOf(synth).schedules.keys()].sort()).toEqual([
      'black-friday',
      'cyber-monday',
      'weekly-newsletter',
      'winback',
    ]);
    Template.fromStack(synth.stack).resourceCountIs('AWS::Scheduler::Schedule', 4);
  });
});

describe('a cron Scheduler cannot take', () => {
  it(
    'stops synth naming the file, the field and the reason',
    () => {
      const dir = copySampleJourneys();
      writeJourney(dir, {
        ...readJourney(dir, 'weekly-newsletter'),
        trigger: { segment: 'newsletter', cron: '0 10 1 * MON', timeZone: 'customer' },
      });
      expect(() => synthWaymark({ journeysDir: dir })).toThrow(
        /weekly-newsletter\.json.*trigger.*cron.*EventBridge Scheduler cannot take both/s,
      );
    },
    SYNTH_TIMEOUT,
  );
});

describe('a stage without broadcasts or segment entries', () => {
  let synth: Synthesized;
  beforeAll(() => {
    const dir = copySampleJourneys();
    rmSync(join(dir, 'weekly-newsletter.json'));
    writeJourney(dir, { ...readJourney(dir, 'gold-welcome'), status: 'draft' });
    synth = synthWaymark({ journeysDir: dir });
  }, SYNTH_TIMEOUT);

  it('has no broadcast machine, schedule group, schedule or Scheduler role', () => {
    const core = Template.fromStack(synth.stack);
    expect(synth.stack.broadcasts).toBeUndefined();
    core.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    core.resourceCountIs('AWS::Scheduler::ScheduleGroup', 0);
    core.resourceCountIs('AWS::Scheduler::Schedule', 0);
    expect(JSON.stringify(core.toJSON())).not.toContain('scheduler.amazonaws.com');
  });

  it('keeps record off the bus', () => {
    const core = Template.fromStack(synth.stack);
    const record = synth.stack.functions.record;
    expect(core.toJSON().Resources[logicalId(record)].Properties.Environment.Variables).not.toHaveProperty(
      ENVIRONMENT.eventBus,
    );
    expect(rolesAllowed(synth, 'events:PutEvents')).toEqual([]);
  });

  it('passes cdk-nag', () => {
    const report = JSON.parse(readFileSync(join(synth.assembly.directory, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([
      expect.objectContaining({ pluginName: 'AwsSolutions', conclusion: 'success', violations: [] }),
    ]);
  });
});
