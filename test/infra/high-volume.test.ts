/**
 * High-volume journeys on AWS (issue 18; constructs/high-volume.ts, the journey construct's scheduler
 * role, the runtime functions' grants): each such journey an Express machine and a scheduler role
 * allowed that machine and the schedules' dead-letter queue only; once per stage a Scheduler group
 * and that queue with its alarm; the functions that park, wake and cancel runs allowed exactly that;
 * and none of it for a stage without a high-volume journey.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT } from '../../shared/runtime/environment.ts';
import type { HighVolume } from '../../infra/cdk/constructs/high-volume.ts';
import type { Journey, JourneyStack } from '../../infra/cdk/constructs/journey.ts';
import { FUNCTION_NAMES, type FunctionName } from '../../infra/cdk/constructs/waymark-function.ts';
import {
  acknowledgements,
  allTemplates,
  asArray,
  copySampleJourneys,
  deployedJourney,
  getAtt,
  inParent,
  logicalId,
  readJourney,
  removeTemporaryFolders,
  roleOf,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthWaymark,
  writeJourney,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

const GROUP = 'waymark-dev-high-volume';
/** A journey id of the most characters allowed: its role name must be cut to IAM's 64. */
const LONG_ID = `long-${'x'.repeat(43)}`;
const HIGH_VOLUME: readonly string[] = ['cart-abandonment', 'chat-followup', LONG_ID];

const PSEUDO = '<AWS::Partition>';
const REGION_ACCOUNT = '<AWS::Region>:<AWS::AccountId>';
const SCHEDULES = `arn:${PSEUDO}:scheduler:${REGION_ACCOUNT}:schedule/${GROUP}/*`;
const machineArn = (journeyId: string) =>
  `arn:${PSEUDO}:states:${REGION_ACCOUNT}:stateMachine:waymark-dev-${journeyId}_express`;
const roleArn = (roleName: string) => `arn:${PSEUDO}:iam::<AWS::AccountId>:role/${roleName}`;

interface Statement {
  actions: string[];
  resources: string[];
  condition?: unknown;
}

/** Every Allow statement of `stack`'s policies on `role`, resources as the parent stack sees them, flattened. */
function statementsOf(synth: Synthesized, role: IConstruct, journeyStack?: JourneyStack): Statement[] {
  const template = Template.fromStack(journeyStack ?? synth.stack);
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: logicalId(role) }] },
  });
  return Object.values(policies)
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
    .filter((statement) => statement.Effect === 'Allow')
    .map((statement) => ({
      actions: asArray<string>(statement.Action).sort(),
      resources: asArray(statement.Resource)
        .map((resource) =>
          flattenCfnReference(
            journeyStack === undefined ? resource : inParent(synth, journeyStack, resource),
          ),
        )
        .sort(),
      ...(statement.Condition === undefined ? {} : { condition: statement.Condition }),
    }));
}

/** The statements of a function's role about Scheduler, passing roles or starting executions. */
function partStatements(synth: Synthesized, name: FunctionName): Statement[] {
  return statementsOf(synth, roleOf(synth, name)).filter((statement) =>
    statement.actions.some(
      (action) =>
        action.startsWith('scheduler:') || action === 'iam:PassRole' || action === 'states:StartExecution',
    ),
  );
}

function environmentOf(synth: Synthesized, name: FunctionName): Record<string, unknown> {
  const core = Template.fromStack(synth.stack).toJSON();
  return core.Resources[logicalId(synth.stack.functions[name])].Properties.Environment.Variables;
}

function highVolumeOf(synth: Synthesized): HighVolume {
  const { highVolume } = synth.stack;
  if (highVolume === undefined) throw new Error('the stack has no high-volume schedules');
  return highVolume;
}

function schedulerRoleOf(journey: Journey) {
  const role = journey.schedulerRole;
  if (role === undefined) throw new Error(`journey ${journey.journeyId} has no scheduler role`);
  return role;
}

/** The fixed name the journey's scheduler role is created under. */
function roleNameOf(synth: Synthesized, journeyId: string): string {
  const { stack } = deployedJourney(synth, journeyId);
  const role = schedulerRoleOf(stack.journey);
  const name: unknown = Template.fromStack(stack).toJSON().Resources[logicalId(role)].Properties.RoleName;
  if (typeof name !== 'string') throw new Error(`the scheduler role of ${journeyId} has no fixed name`);
  return name;
}

describe('a stage with high-volume journeys', () => {
  let synth: Synthesized;
  let core: Template;
  beforeAll(() => {
    const dir = copySampleJourneys();
    const chat = readJourney(dir, 'chat-followup');
    writeJourney(dir, { ...readJourney(dir, 'cart-abandonment'), workflow: 'high-volume' });
    writeJourney(dir, { ...chat, workflow: 'high-volume' });
    writeJourney(dir, { ...chat, id: LONG_ID, workflow: 'high-volume' });
    synth = synthWaymark({ journeysDir: dir });
    core = Template.fromStack(synth.stack);
  }, SYNTH_TIMEOUT);

  it('compiles exactly those journeys as high-volume, the others as before', () => {
    const targets = Object.fromEntries(
      synth.project.journeys.map((journey) => [journey.journeyId, journey.target]),
    );
    expect(
      Object.keys(targets)
        .filter((journeyId) => targets[journeyId] === 'high-volume')
        .sort(),
    ).toEqual([...HIGH_VOLUME].sort());
    expect(
      highVolumeOf(synth)
        .journeys.map((journey) => journey.journeyId)
        .sort(),
    ).toEqual([...HIGH_VOLUME].sort());
    for (const { journey } of synth.stack.journeys) {
      expect(journey.schedulerRole === undefined, journey.journeyId).toBe(
        !HIGH_VOLUME.includes(journey.journeyId),
      );
    }
  });

  it.each(HIGH_VOLUME)(
    'runs %s on an Express machine, logged without execution data, traced, the scheduler role substituted',
    (journeyId) => {
      const { stack } = deployedJourney(synth, journeyId);
      const template = Template.fromStack(stack);
      const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
      expect(machines).toHaveLength(1);
      const properties = machines[0]?.Properties;
      expect(properties.StateMachineType).toBe('EXPRESS');
      expect(properties.StateMachineName).toBe(`waymark-dev-${journeyId}_express`);
      expect(properties.LoggingConfiguration).toEqual({
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: getAtt(stack.journey.node.findChild('ExecutionLogs'), 'Arn'),
            },
          },
        ],
        IncludeExecutionData: false,
        Level: 'ALL',
      });
      expect(properties.TracingConfiguration).toEqual({ Enabled: true });
      // Every placeholder of the definition, and only those, is substituted; the role with its own ARN.
      const placeholders = new Set(
        [...properties.DefinitionString.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]),
      );
      expect([...placeholders].sort()).toEqual(Object.keys(properties.DefinitionSubstitutions).sort());
      expect(properties.DefinitionSubstitutions.SchedulerRoleArn).toEqual(
        getAtt(schedulerRoleOf(stack.journey), 'Arn'),
      );
    },
  );

  it('starts the Express machine from the trigger rule, and sends exits to goals and awaited events to resume', () => {
    for (const journeyId of HIGH_VOLUME) {
      const { compiled, stack } = deployedJourney(synth, journeyId);
      const template = Template.fromStack(stack);
      expect(compiled.rules.map((rule) => rule.role).sort()).toEqual(
        journeyId === 'cart-abandonment' ? ['exit', 'resume', 'trigger'] : ['resume', 'trigger'],
      );
      for (const rule of compiled.rules) {
        const [resource] = Object.values(
          template.findResources('AWS::Events::Rule', { Properties: { Description: rule.description } }),
        );
        const expected = {
          trigger: { Ref: logicalId(stack.journey.stateMachine) },
          exit: getAtt(synth.stack.functions.goals, 'Arn'),
          resume: getAtt(synth.stack.functions.resume, 'Arn'),
        }[rule.role];
        expect(inParent(synth, stack, resource?.Properties.Targets[0].Arn)).toEqual(expected);
      }
    }
  });

  it('creates one schedule group, named for the stage, that goes with the stack', () => {
    const highVolume = highVolumeOf(synth);
    const groups = core.findResources('AWS::Scheduler::ScheduleGroup', { Properties: { Name: GROUP } });
    expect(Object.keys(groups)).toEqual([logicalId(highVolume.scheduleGroup)]);
    expect(Object.values(groups)[0]).toMatchObject({ DeletionPolicy: 'Delete' });
    // The sample broadcast keeps its own group; nested stacks hold none.
    core.resourceCountIs('AWS::Scheduler::ScheduleGroup', 2);
    for (const { stack } of synth.stack.journeys.map(({ journey }) =>
      deployedJourney(synth, journey.journeyId),
    )) {
      Template.fromStack(stack).resourceCountIs('AWS::Scheduler::ScheduleGroup', 0);
    }
  });

  it.each(HIGH_VOLUME)(
    "lets Scheduler alone, for this account and the stage's group only, assume %s's scheduler role",
    (journeyId) => {
      const { stack } = deployedJourney(synth, journeyId);
      const role = schedulerRoleOf(stack.journey);
      const properties = Template.fromStack(stack).toJSON().Resources[logicalId(role)].Properties;
      const [statement, ...others] = properties.AssumeRolePolicyDocument.Statement;
      expect(others).toEqual([]);
      const { Condition: condition, ...rest } = statement;
      expect(rest).toEqual({
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
      });
      expect(Object.keys(condition)).toEqual(['StringEquals']);
      expect(condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
      expect(inParent(synth, stack, condition.StringEquals['aws:SourceArn'])).toEqual(
        getAtt(highVolumeOf(synth).scheduleGroup, 'Arn'),
      );
      expect(Object.keys(condition.StringEquals).sort()).toEqual(['aws:SourceAccount', 'aws:SourceArn']);
    },
  );

  it.each(HIGH_VOLUME)(
    "allows %s's scheduler role to start that machine and write to the schedules' queue, nothing else",
    (journeyId) => {
      const { stack } = deployedJourney(synth, journeyId);
      const role = schedulerRoleOf(stack.journey);
      const queue = highVolumeOf(synth).deadLetterQueue.queue;
      expect(statementsOf(synth, role, stack)).toEqual([
        { actions: ['states:StartExecution'], resources: [`<${logicalId(stack.journey.stateMachine)}>`] },
        { actions: ['sqs:SendMessage'], resources: [`<${logicalId(queue)}.Arn>`] },
      ]);
      const properties = Template.fromStack(stack).toJSON().Resources[logicalId(role)].Properties;
      expect(properties).not.toHaveProperty('Policies');
      expect(properties).not.toHaveProperty('ManagedPolicyArns');
      // One policy names the role (the role lives in the journey's stack: no other stack can name it).
      const attached = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).filter(
        (policy) => JSON.stringify(policy.Properties.Roles).includes(logicalId(role)),
      );
      expect(attached).toHaveLength(1);
    },
  );

  it('names each scheduler role by a fixed name of at most 64 characters, the one the steps function may pass', () => {
    expect(roleNameOf(synth, 'cart-abandonment')).toBe('waymark-dev-cart-abandonment-scheduler');
    expect(roleNameOf(synth, 'chat-followup')).toBe('waymark-dev-chat-followup-scheduler');
    const long = roleNameOf(synth, LONG_ID);
    expect(long).toMatch(/^waymark-dev-long-x+-[0-9a-f]{8}$/);
    expect(long).toHaveLength(64);
  });

  it("lets steps create and delete the group's schedules, pass the scheduler roles to Scheduler only, and start the high-volume machines", () => {
    const queue = highVolumeOf(synth).deadLetterQueue.queue;
    expect(partStatements(synth, 'steps')).toEqual([
      { actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'], resources: [SCHEDULES] },
      {
        actions: ['iam:PassRole'],
        resources: HIGH_VOLUME.map((journeyId) => roleArn(roleNameOf(synth, journeyId))).sort(),
        condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
      { actions: ['states:StartExecution'], resources: HIGH_VOLUME.map(machineArn).sort() },
    ]);
    expect(environmentOf(synth, 'steps')).toMatchObject({
      [ENVIRONMENT.scheduleGroup]: GROUP,
      [ENVIRONMENT.scheduleDeadLetterArn]: getAtt(queue, 'Arn'),
    });
  });

  it('lets resume start the high-volume machines, and nothing of Scheduler', () => {
    expect(partStatements(synth, 'resume')).toEqual([
      { actions: ['states:StartExecution'], resources: HIGH_VOLUME.map(machineArn).sort() },
    ]);
  });

  it.each(['goals', 'preferences'] as const)('lets %s only delete schedules of the group', (name) => {
    expect(partStatements(synth, name)).toEqual([
      { actions: ['scheduler:DeleteSchedule'], resources: [SCHEDULES] },
    ]);
  });

  it('tells steps, resume, goals and preferences the group (steps also the queue), and no other function', () => {
    const group = GROUP;
    for (const name of FUNCTION_NAMES) {
      const environment = environmentOf(synth, name);
      if (['steps', 'resume', 'goals', 'preferences'].includes(name)) {
        expect(environment[ENVIRONMENT.scheduleGroup], name).toEqual(group);
      } else {
        expect(environment, name).not.toHaveProperty(ENVIRONMENT.scheduleGroup);
      }
      if (name !== 'steps') expect(environment, name).not.toHaveProperty(ENVIRONMENT.scheduleDeadLetterArn);
    }
    // The machines' ARNs are built from names: they are the names the machines really have.
    for (const journeyId of HIGH_VOLUME) {
      const { stack } = deployedJourney(synth, journeyId);
      expect(machineArn(journeyId)).toContain(
        `:stateMachine:${Template.fromStack(stack).toJSON().Resources[logicalId(stack.journey.stateMachine)].Properties.StateMachineName}`,
      );
    }
  });

  it('gives no other role of the stage a Scheduler action or iam:PassRole', () => {
    const allowed = new Set(
      (['steps', 'resume', 'goals', 'preferences'] as const).map((name) => logicalId(roleOf(synth, name))),
    );
    for (const template of allTemplates(synth)) {
      for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
        const actions: string[] = policy.Properties.PolicyDocument.Statement.flatMap(
          (statement: { Action: string | string[] }) => asArray(statement.Action),
        );
        if (!actions.some((action) => action.startsWith('scheduler:') || action === 'iam:PassRole')) continue;
        const roles: string[] = policy.Properties.Roles.map((role: { Ref: string }) => role.Ref);
        expect(
          roles.every((role) => allowed.has(role)),
          id,
        ).toBe(true);
      }
    }
  });

  it('keeps the starts Scheduler could not make in an encrypted, TLS-only queue whose first message raises an alarm', () => {
    const queue = highVolumeOf(synth).deadLetterQueue.queue;
    expect(core.toJSON().Resources[logicalId(queue)].Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
    });
    core.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(queue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    const alarm =
      core.toJSON().Resources[logicalId(highVolumeOf(synth).deadLetterQueue.depthAlarm)].Properties;
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(queue, 'QueueName') }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: logicalId(synth.stack.alarms.topic) }],
    });
    expect(alarm.AlarmDescription).toContain(GROUP);
  });

  it("acknowledges the one wildcard, the group's schedules, with its reason, and passes cdk-nag", () => {
    for (const name of ['steps', 'goals', 'preferences'] as const) {
      const reason = acknowledgements(roleOf(synth, name)).get(`AwsSolutions-IAM5[Resource::${SCHEDULES}]`);
      expect(reason, name).toMatch(new RegExp(`group ${GROUP} only`));
    }
    const report = JSON.parse(readFileSync(join(synth.assembly.directory, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([
      expect.objectContaining({ pluginName: 'AwsSolutions', conclusion: 'success', violations: [] }),
    ]);
  });
});

describe('a stage without high-volume journeys', () => {
  let synth: Synthesized;
  beforeAll(() => {
    // Nor a broadcast, whose schedule group is Scheduler's too (test/infra/broadcasts.test.ts).
    const dir = copySampleJourneys();
    rmSync(join(dir, 'weekly-newsletter.json'));
    synth = synthWaymark({ journeysDir: dir });
  }, SYNTH_TIMEOUT);

  it('has no schedule group, schedule, scheduler role, queue of schedules or role substitution', () => {
    expect(synth.stack.highVolume).toBeUndefined();
    for (const { journey } of synth.stack.journeys) expect(journey.schedulerRole).toBeUndefined();
    for (const template of allTemplates(synth)) {
      expect(Object.keys(template.toJSON().Resources).filter((id) => id.includes('HighVolume'))).toEqual([]);
      for (const type of ['AWS::Scheduler::ScheduleGroup', 'AWS::Scheduler::Schedule']) {
        template.resourceCountIs(type, 0);
      }
      const text = JSON.stringify(template.toJSON());
      expect(text).not.toContain('scheduler.amazonaws.com');
      expect(text).not.toContain('scheduler:');
      expect(text).not.toContain('iam:PassRole');
      expect(text).not.toContain('SchedulerRoleArn');
    }
  });

  it('tells no function a schedule group or queue', () => {
    for (const name of FUNCTION_NAMES) {
      const environment = environmentOf(synth, name);
      expect(environment, name).not.toHaveProperty(ENVIRONMENT.scheduleGroup);
      expect(environment, name).not.toHaveProperty(ENVIRONMENT.scheduleDeadLetterArn);
    }
  });
});
