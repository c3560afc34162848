/**
 * The CDK app: what `npm run synth` produces for the sample journeys, checked
 * against the compiler's own output, and what stops synth.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesPattern } from '../shared/events/pattern.ts';
import { type CompiledJourney, definitionText } from '../shared/journey/compile.ts';
import { formatProblem } from '../shared/journey/problem.ts';
import { loadProject } from '../shared/project/load.ts';
import { signUnsubscribeToken } from '../shared/preferences/unsubscribe-token.ts';
import { ENVIRONMENT } from '../shared/runtime/environment.ts';
import { ERASURE_REQUESTED } from '../shared/events/system-events.ts';
import { tableDefinition, TTL_ATTRIBUTE } from '../shared/store/table.ts';
import { JourneyProblemsError } from '../infra/cdk/compile-project.ts';
import { ConfigurationError, readDeploymentConfig } from '../infra/cdk/config.ts';
import type { JourneyStack } from '../infra/cdk/constructs/journey.ts';
import { FUNCTION_NAMES, type FunctionName } from '../infra/cdk/constructs/waymark-function.ts';
import { recordPattern, sesFeedbackPattern } from '../shared/events/routes.ts';
import {
  cdkContext,
  copySampleJourneys,
  generatedJourneys,
  PROJECT_ROOT,
  readJourney,
  removeTemporaryFolders,
  SAMPLE_JOURNEYS,
  type Synthesized,
  synthWaymark,
  writeJourney,
} from './support/infra.ts';

const SYNTH_TIMEOUT = 60_000;

afterAll(removeTemporaryFolders);

/** The logical id of a construct's CloudFormation resource. */
function logicalId(construct: IConstruct): string {
  const resource = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnElement))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(resource).getLogicalId(resource);
}

const getAtt = (construct: IConstruct, attribute: string) => ({
  'Fn::GetAtt': [logicalId(construct), attribute],
});

/** A nested stack sees the parent's values through parameters: follow a `Ref` back to the parent's value. */
function inParent(synth: Synthesized, journeyStack: JourneyStack, value: unknown): unknown {
  const ref: unknown = typeof value === 'object' && value !== null && 'Ref' in value ? value.Ref : undefined;
  if (typeof ref !== 'string' || journeyStack.nestedStackResource === undefined) return value;
  const parent = Template.fromStack(synth.stack).toJSON();
  const parameters = parent.Resources[logicalId(journeyStack.nestedStackResource)].Properties.Parameters;
  return Object.hasOwn(parameters, ref) ? parameters[ref] : value;
}

function roleOf(synth: Synthesized, name: FunctionName): IConstruct {
  const role = synth.stack.functions[name].role;
  if (role === undefined) throw new Error(`the ${name} function has no role`);
  return role;
}

function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

function deployedJourney(
  synth: Synthesized,
  journeyId: string,
): { compiled: CompiledJourney; stack: JourneyStack } {
  const stack = synth.stack.journeys.find(({ journey }) => journey.journeyId === journeyId);
  const compiled = synth.project.journeys.find((journey) => journey.journeyId === journeyId);
  if (stack === undefined || compiled === undefined) throw new Error(`journey ${journeyId} is not deployed`);
  return { compiled, stack };
}

/** Every template the app synthesizes: the core stack and one nested stack per journey. */
function allTemplates(synth: Synthesized): Template[] {
  return [synth.stack, ...synth.stack.journeys].map((stack) => Template.fromStack(stack));
}

/** Acknowledgements recorded on a construct and its ancestors, by finding (cdk-nag's own lookup). */
function acknowledgements(construct: IConstruct): Map<string, string> {
  const found = new Map<string, string>();
  for (let node: IConstruct | undefined = construct; node !== undefined; node = node.node.scope) {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data)) {
        found.set(id.replace(/^(AwsSolutions|Annotation)::/i, ''), String(reason));
      }
    }
  }
  return found;
}

interface PolicyStatementJson {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

function policyDocuments(node: IConstruct): { Statement: PolicyStatementJson[] }[] {
  const resolve = (value: unknown) => Stack.of(node).resolve(value);
  if (node instanceof iam.CfnPolicy || node instanceof iam.CfnManagedPolicy)
    return [resolve(node.policyDocument)];
  if (node instanceof iam.CfnRole) {
    return asArray(resolve(node.policies) ?? []).map((policy: { policyDocument: unknown }) =>
      resolve(policy.policyDocument),
    );
  }
  return [];
}

describe('the sample journeys', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark();
  }, SYNTH_TIMEOUT);

  it("deploy as one nested stack each, with one state machine and the compiler's rules", () => {
    // Prepare
    const deployed = synth.project.journeys.filter((journey) => journey.deploy);
    // Assess
    expect(synth.stack.journeys.map(({ journey }) => journey.journeyId)).toEqual(
      deployed.map((journey) => journey.journeyId),
    );
    for (const compiled of deployed) {
      const template = Template.fromStack(deployedJourney(synth, compiled.journeyId).stack);
      template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
      template.resourceCountIs('AWS::Events::Rule', compiled.rules.length);
      expect(compiled.rules.filter((rule) => rule.role === 'trigger')).toHaveLength(1);
    }
  });

  it('gives each rule exactly the pattern, state and description the compiler produced', () => {
    for (const { journey } of synth.stack.journeys) {
      const { compiled, stack } = deployedJourney(synth, journey.journeyId);
      const template = Template.fromStack(stack);
      for (const rule of compiled.rules) {
        template.hasResourceProperties('AWS::Events::Rule', {
          Description: rule.description,
          EventPattern: Match.exact(rule.pattern),
          State: rule.enabled ? 'ENABLED' : 'DISABLED',
        });
      }
    }
  });

  it('runs the compiled ASL, every placeholder substituted, logged without execution data, traced', () => {
    for (const { journey } of synth.stack.journeys) {
      const { compiled, stack } = deployedJourney(synth, journey.journeyId);
      const machine = Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine');
      const [properties] = Object.values(machine).map((resource) => resource.Properties);
      expect(properties.DefinitionString).toBe(definitionText(compiled.definition));
      expect(properties.StateMachineType).toBe(compiled.workflowType);
      expect(properties.StateMachineName).toBe(`waymark-dev-${compiled.journeyId}`);
      expect(properties.LoggingConfiguration).toMatchObject({ IncludeExecutionData: false, Level: 'ALL' });
      expect(properties.TracingConfiguration).toEqual({ Enabled: true });
      const substitutions = Object.fromEntries(
        Object.entries(properties.DefinitionSubstitutions).map(([name, value]) => [
          name,
          inParent(synth, stack, value),
        ]),
      );
      const bus = synth.stack.eventBus;
      const expected: Record<string, unknown> = {
        StepsFunctionArn: getAtt(synth.stack.functions.steps, 'Arn'),
        DeliverFunctionArn: getAtt(synth.stack.functions.deliver, 'Arn'),
        EventBusName: { Ref: logicalId(bus) },
      };
      expect(substitutions).toEqual(
        Object.fromEntries(compiled.resources.map((use) => [use.placeholder, expected[use.placeholder]])),
      );
    }
  });

  it("grants each state machine its tasks' actions on the exact function or bus, and nothing else", () => {
    for (const { journey } of synth.stack.journeys) {
      const { compiled, stack } = deployedJourney(synth, journey.journeyId);
      const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: logicalId(journey.stateMachine.role) }] },
      });
      const statements: (PolicyStatementJson & { Sid?: string })[] = Object.values(policies).flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement,
      );
      const resourceOf: Record<string, unknown> = {
        StepsFunctionArn: getAtt(synth.stack.functions.steps, 'Arn'),
        DeliverFunctionArn: getAtt(synth.stack.functions.deliver, 'Arn'),
        EventBusName: getAtt(synth.stack.eventBus, 'Arn'),
      };
      const byResource = (a: { resource: unknown }, b: { resource: unknown }) =>
        JSON.stringify(a.resource).localeCompare(JSON.stringify(b.resource));
      const granted = statements
        .filter((statement) => statement.Resource !== '*')
        .map((statement) => ({
          actions: asArray(statement.Action),
          resource: inParent(synth, stack, statement.Resource),
        }));
      const needed = compiled.resources.map((use) => ({
        actions: use.actions,
        resource: resourceOf[use.placeholder],
      }));
      expect(granted.sort(byResource)).toEqual(needed.sort(byResource));
    }
  });

  it('starts the state machine with the whole event, and sends exits to goals and awaited events to resume', () => {
    for (const { journey } of synth.stack.journeys) {
      const { compiled, stack } = deployedJourney(synth, journey.journeyId);
      const template = Template.fromStack(stack);
      const targetOf = (description: string) => {
        const [rule] = Object.values(
          template.findResources('AWS::Events::Rule', { Properties: { Description: description } }),
        );
        return rule?.Properties.Targets[0];
      };
      for (const rule of compiled.rules) {
        const target = targetOf(rule.description);
        expect(target).not.toHaveProperty('Input');
        expect(target).not.toHaveProperty('InputPath');
        expect(target).not.toHaveProperty('InputTransformer');
        const expected = {
          trigger: { Ref: logicalId(journey.stateMachine) },
          exit: getAtt(synth.stack.functions.goals, 'Arn'),
          resume: getAtt(synth.stack.functions.resume, 'Arn'),
        }[rule.role];
        expect(inParent(synth, stack, target.Arn)).toEqual(expected);
      }
      const role = journey.routes.get('trigger')?.node.tryFindChild('TargetRole');
      if (role === undefined) throw new Error(`journey ${journey.journeyId} has no trigger role`);
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            {
              Action: 'states:StartExecution',
              Effect: 'Allow',
              Resource: { Ref: logicalId(journey.stateMachine) },
            },
          ],
        },
        Roles: [{ Ref: logicalId(role) }],
      });
    }
  });

  it('lets goals and resume be invoked by the rules of its bus with one statement each, however many journeys', () => {
    for (const { journey } of synth.stack.journeys) {
      const { stack } = deployedJourney(synth, journey.journeyId);
      // A statement per rule would grow the function policy with every journey, towards its 20 KB limit.
      expect(Template.fromStack(stack).findResources('AWS::Lambda::Permission')).toEqual({});
    }
    const core = Template.fromStack(synth.stack);
    for (const fn of [synth.stack.functions.goals, synth.stack.functions.resume]) {
      const permissions = Object.values(
        core.findResources('AWS::Lambda::Permission', {
          Properties: { FunctionName: getAtt(fn, 'Arn'), Principal: 'events.amazonaws.com' },
        }),
      );
      expect(permissions).toHaveLength(1);
      const sourceArn = JSON.stringify(permissions[0]?.Properties.SourceArn);
      expect(sourceArn).toContain(`":rule/",{"Ref":"${logicalId(synth.stack.eventBus)}"},"/*"`);
    }
  });

  it('gives every rule target a retry policy and a dead-letter queue that accepts only that rule', () => {
    for (const template of allTemplates(synth)) {
      const rules = template.findResources('AWS::Events::Rule');
      for (const [ruleId, rule] of Object.entries(rules)) {
        for (const target of rule.Properties.Targets) {
          expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 });
          const [queueId] = target.DeadLetterConfig.Arn['Fn::GetAtt'];
          expect(template.toJSON().Resources[queueId].Type).toBe('AWS::SQS::Queue');
          template.hasResourceProperties('AWS::SQS::QueuePolicy', {
            Queues: [{ Ref: queueId }],
            PolicyDocument: {
              Statement: Match.arrayWith([
                {
                  Action: 'sqs:SendMessage',
                  Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
                  Effect: 'Allow',
                  Principal: { Service: 'events.amazonaws.com' },
                  Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
                },
              ]),
            },
          });
        }
      }
    }
  });

  it('keeps customer data in one table encrypted with the stage key, with point-in-time recovery and TTL', () => {
    const definition = tableDefinition('');
    for (const template of allTemplates(synth)) {
      for (const table of Object.values(template.findResources('AWS::DynamoDB::Table'))) {
        expect(table.Properties).toMatchObject({
          SSESpecification: {
            SSEEnabled: true,
            SSEType: 'KMS',
            KMSMasterKeyId: getAtt(synth.stack.key, 'Arn'),
          },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        });
      }
    }
    const core = Template.fromStack(synth.stack);
    core.resourceCountIs('AWS::DynamoDB::Table', 1);
    core.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: definition.KeySchema,
      AttributeDefinitions: definition.AttributeDefinitions,
      BillingMode: definition.BillingMode,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    });
    core.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('runs every function on Node.js 22 ARM64 with tracing, JSON logs in its own group, and Powertools settings', () => {
    const core = Template.fromStack(synth.stack);
    for (const name of FUNCTION_NAMES) {
      const fn = synth.stack.functions[name];
      core.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalId(fn.logGroup) } },
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_METRICS_NAMESPACE: 'Waymark',
            POWERTOOLS_SERVICE_NAME: 'waymark',
            NODE_OPTIONS: '--enable-source-maps',
            [ENVIRONMENT.table]: { Ref: logicalId(synth.stack.table) },
          }),
        },
      });
    }
    core.resourceCountIs('AWS::Lambda::Function', FUNCTION_NAMES.length);
  });

  it('keeps what asynchronous invocations fail on in a queue, for the functions EventBridge invokes', () => {
    const core = Template.fromStack(synth.stack);
    const asynchronous: FunctionName[] = ['record', 'resume', 'goals', 'preferences'];
    for (const name of FUNCTION_NAMES) {
      const failures = synth.stack.functions[name].failureQueue;
      expect(failures === undefined).toBe(!asynchronous.includes(name));
      if (failures === undefined) continue;
      core.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(synth.stack.functions[name]) },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: getAtt(failures.queue, 'Arn') } },
      });
    }
  });

  it('lets each function call the table only the ways its code does', async () => {
    // Prepare: the DynamoDB commands in each handler's bundle
    const actionOf: Record<string, string> = {
      Get: 'dynamodb:GetItem',
      Put: 'dynamodb:PutItem',
      Update: 'dynamodb:UpdateItem',
      Delete: 'dynamodb:DeleteItem',
      Query: 'dynamodb:Query',
      Scan: 'dynamodb:Scan',
      BatchWrite: 'dynamodb:BatchWriteItem',
      BatchGet: 'dynamodb:BatchGetItem',
      TransactWrite: 'dynamodb:TransactWriteItems',
      TransactGet: 'dynamodb:TransactGetItems',
    };
    const used = await Promise.all(
      FUNCTION_NAMES.map(async (name) => {
        const result = await build({
          entryPoints: [join(PROJECT_ROOT, 'functions', name, 'handler.ts')],
          bundle: true,
          platform: 'node',
          format: 'esm',
          external: ['@aws-sdk/*'],
          write: false,
          logLevel: 'silent',
        });
        const code = result.outputFiles.map((file) => file.text).join('\n');
        const commands = [...code.matchAll(/new (\w+?)(?:Item)?Command\d*\(/g)].map(
          (match) => match[1] ?? '',
        );
        return [...new Set(commands.flatMap((command) => actionOf[command] ?? []))].sort();
      }),
    );
    // Assess
    const core = Template.fromStack(synth.stack);
    FUNCTION_NAMES.forEach((name, index) => {
      core.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: logicalId(roleOf(synth, name)) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: 'Table',
              Effect: 'Allow',
              Action: used[index],
              Resource: getAtt(synth.stack.table, 'Arn'),
            },
          ]),
        },
      });
    });
  });

  it('lets only deliver and unsubscribe read the unsubscribe secret, and only deliver send', () => {
    const core = Template.fromStack(synth.stack);
    const rolesWith = (action: string): string[] =>
      Object.values(core.findResources('AWS::IAM::Policy'))
        .filter((policy) =>
          policy.Properties.PolicyDocument.Statement.some((statement: PolicyStatementJson) =>
            asArray(statement.Action).includes(action),
          ),
        )
        .flatMap((policy) => policy.Properties.Roles.map((role: { Ref: string }) => role.Ref))
        .sort();
    const roleIds = (names: FunctionName[]) => names.map((name) => logicalId(roleOf(synth, name))).sort();
    expect(rolesWith('secretsmanager:GetSecretValue')).toEqual(roleIds(['deliver', 'unsubscribe']));
    expect(rolesWith('ses:SendEmail')).toEqual(roleIds(['deliver']));
    expect(rolesWith('sns:Publish')).toEqual(roleIds(['deliver']));
    const sendEmail = Object.values(core.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .filter((statement: PolicyStatementJson) => asArray(statement.Action).includes('ses:SendEmail'));
    expect(
      sendEmail.flatMap((statement) => asArray(statement.Resource).map(flattenCfnReference)).sort(),
    ).toEqual([
      `arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:configuration-set/<${logicalId(synth.stack.configurationSet)}>`,
      'arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/shop.example.com',
    ]);
  });

  it("gives deliver the stage's settings under the names shared/runtime/environment.ts gives them", () => {
    const core = Template.fromStack(synth.stack);
    core.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Send steps'),
      Environment: {
        Variables: Match.objectLike({
          [ENVIRONMENT.senderFrom]: 'Waymark Demo Shop <hello@shop.example.com>',
          [ENVIRONMENT.configurationSet]: { Ref: logicalId(synth.stack.configurationSet) },
          [ENVIRONMENT.smsOriginationNumber]: '+15555550100',
          [ENVIRONMENT.unsubscribeBaseUrl]: getAtt(synth.stack.unsubscribeUrl, 'FunctionUrl'),
        }),
      },
    });
    core.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
  });

  it('routes customer events to record, erasures and SES feedback of its own configuration set to preferences', () => {
    const core = Template.fromStack(synth.stack);
    const profileEvent = JSON.parse(
      readFileSync(join(PROJECT_ROOT, 'test/events/customer.profile.updated.json'), 'utf8'),
    );
    const erasure = { ...profileEvent, 'detail-type': ERASURE_REQUESTED, detail: { customerId: 'c-1' } };
    const bounce = (configurationSet: string) => ({
      source: 'aws.ses',
      'detail-type': 'Email Bounced',
      detail: { eventType: 'Bounce', mail: { tags: { 'ses:configuration-set': [configurationSet] } } },
    });
    expect(matchesPattern(recordPattern(), profileEvent)).toBe(true);
    expect(matchesPattern(recordPattern(), erasure)).toBe(false);
    expect(matchesPattern(sesFeedbackPattern('waymark'), bounce('waymark'))).toBe(true);
    expect(matchesPattern(sesFeedbackPattern('waymark'), bounce('someone-else'))).toBe(false);
    // Configuration sets are unique per account and region: the stage's own, not settings.json's.
    core.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      EventPattern: Match.exact(sesFeedbackPattern(`waymark-${synth.config.stage}`)),
      Targets: [Match.objectLike({ Arn: getAtt(synth.stack.functions.preferences, 'Arn') })],
    });
    core.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(synth.stack.eventBus) },
      EventPattern: Match.exact(recordPattern()),
      Targets: [Match.objectLike({ Arn: getAtt(synth.stack.functions.record, 'Arn') })],
    });
    core.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: { Ref: logicalId(synth.stack.configurationSet) },
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: ['bounce', 'complaint'],
        EventBridgeDestination: {
          EventBusArn: { 'Fn::Join': ['', Match.arrayWith([':event-bus/default'])] },
        },
      },
    });
  });

  it('gives producers a managed policy that can only put events on the Waymark bus', () => {
    Template.fromStack(synth.stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'waymark-dev-producer',
      PolicyDocument: {
        Statement: [
          { Action: 'events:PutEvents', Effect: 'Allow', Resource: getAtt(synth.stack.eventBus, 'Arn') },
        ],
      },
    });
    Template.fromStack(synth.stack).hasResourceProperties('AWS::Events::Archive', {
      SourceArn: getAtt(synth.stack.eventBus, 'Arn'),
      RetentionDays: 30,
    });
  });

  it('puts a wildcard in IAM only where the API has no resource ARN, each with its reason acknowledged', () => {
    // Actions that support no resource-level permissions, by who needs them.
    const anyResourceActions = new Set([
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      'logs:CreateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:DescribeLogGroups',
      'logs:DescribeResourcePolicies',
      'logs:GetLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:UpdateLogDelivery',
      'sns:Publish',
      'sns:CheckIfPhoneNumberIsOptedOut',
    ]);
    let checked = 0;
    for (const node of synth.app.node.findAll()) {
      for (const document of policyDocuments(node)) {
        for (const statement of document.Statement.filter((candidate) => candidate.Effect === 'Allow')) {
          const actions = asArray(statement.Action);
          const resources = asArray(statement.Resource).map(flattenCfnReference);
          expect(
            actions.filter((action) => action.includes('*')),
            node.node.path,
          ).toEqual([]);
          for (const resource of resources.filter((candidate) => candidate.includes('*'))) {
            checked += 1;
            if (resource === '*') {
              expect(
                actions.filter((action) => !anyResourceActions.has(action)),
                node.node.path,
              ).toEqual([]);
            } else {
              expect(resource, node.node.path).toMatch(/:states:.*:(execution|stateMachine):waymark-dev-\*$/);
            }
            const reason = acknowledgements(node).get(`AwsSolutions-IAM5[Resource::${resource}]`);
            expect(reason, `${node.node.path}: ${resource}`).toMatch(/^.{60,}$/);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('charts on the dashboard only metrics the functions publish, with the dimensions they publish', () => {
    const dashboards = Template.fromStack(synth.stack).findResources('AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboards);
    const charted = [...body.matchAll(/MetricName=\\+"(\w+)\\+"/g)].map((match) => match[1]);
    expect(charted.length).toBeGreaterThan(0);
    const handlers = FUNCTION_NAMES.map((name) =>
      readFileSync(join('functions', name, 'handler.ts'), 'utf8'),
    ).join('\n');
    const published = new Set([...handlers.matchAll(/addMetric\(\s*'(\w+)'/g)].map((match) => match[1]));
    for (const metric of charted) expect(published).toContain(metric);
  });

  it('passes cdk-nag AwsSolutions, every acknowledgement with its reason', () => {
    const report = JSON.parse(readFileSync(join(synth.assembly.directory, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([
      expect.objectContaining({ pluginName: 'AwsSolutions', conclusion: 'success', violations: [] }),
    ]);
    const reasons = synth.app.node.findAll().flatMap((node) => [...acknowledgements(node).values()]);
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(reason).toMatch(/^.{60,}$/);
  });
});

describe('journey variants', () => {
  let synth: Synthesized;
  beforeAll(() => {
    const dir = copySampleJourneys();
    writeJourney(dir, { ...readJourney(dir, 'social-engagement'), status: 'paused' });
    writeJourney(dir, { ...readJourney(dir, 'chat-followup'), status: 'draft' });
    writeJourney(dir, {
      id: 'support-tag',
      name: 'Tag customers after a support call',
      version: 1,
      status: 'active',
      workflow: 'express',
      trigger: { event: 'support.call.completed' },
      start: 'tag',
      steps: {
        tag: { type: 'updateProfile', addTags: ['called-support'], next: 'done' },
        done: { type: 'end' },
      },
    });
    synth = synthWaymark({ journeysDir: dir });
  }, SYNTH_TIMEOUT);

  it('deploys a paused journey with its trigger rule disabled and its exit rule still on', () => {
    const { stack } = deployedJourney(synth, 'social-engagement');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      Description: Match.stringLikeRegexp('^Starts journey'),
      State: 'DISABLED',
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      Description: Match.stringLikeRegexp('^Ends journey'),
      State: 'ENABLED',
    });
  });

  it('does not deploy a draft', () => {
    expect(synth.stack.journeys.map(({ journey }) => journey.journeyId)).not.toContain('chat-followup');
    expect(synth.project.journeys.map((journey) => journey.journeyId)).toContain('chat-followup');
  });

  it('deploys an eligible journey that asks for it as an Express state machine under its own name', () => {
    const { stack } = deployedJourney(synth, 'support-tag');
    Template.fromStack(stack).hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      StateMachineName: 'waymark-dev-support-tag_express',
      LoggingConfiguration: Match.objectLike({ IncludeExecutionData: false, Level: 'ALL' }),
    });
  });
});

describe('fifty journeys', () => {
  it(
    "synthesize as fifty nested stacks, each far below CloudFormation's 500 resources",
    () => {
      // Act
      const synth = synthWaymark({ journeysDir: generatedJourneys(50) });
      // Assess
      expect(synth.stack.journeys).toHaveLength(50);
      for (const template of allTemplates(synth)) {
        expect(Object.keys(template.toJSON().Resources).length).toBeLessThan(200);
      }
    },
    SYNTH_TIMEOUT,
  );
});

describe('what stops synth', () => {
  it(
    "a broken journey: the validator's messages, from the app and from the command line",
    () => {
      // Prepare
      const dir = copySampleJourneys();
      const cart = readJourney(dir, 'cart-abandonment');
      writeJourney(dir, {
        ...cart,
        id: 'cart-abandonment',
        steps: { ...cart.steps, remind: { ...cart.steps.remind, next: 'await-ordr' } },
      });
      const expected = loadProject(dir)
        .problems.filter((problem) => problem.severity === 'error')
        .map(formatProblem);
      expect(expected.length).toBeGreaterThan(0);
      // Act
      const inProcess = (() => {
        try {
          synthWaymark({ journeysDir: dir });
          return undefined;
        } catch (error) {
          return error;
        }
      })();
      const cli = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'infra/cdk/app.ts')], {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        env: {
          ...process.env,
          CDK_OUTDIR: join(dir, 'cdk.out'),
          CDK_CONTEXT_JSON: JSON.stringify({ ...cdkContext(), 'waymark:journeysDir': dir }),
        },
      });
      // Assess
      expect(inProcess).toBeInstanceOf(JourneyProblemsError);
      for (const message of expected) {
        expect(String(inProcess)).toContain(message);
        expect(cli.stderr).toContain(message);
      }
      expect(cli.stderr).toContain('did you mean');
      expect(cli.status).toBe(1);
      expect(cli.stderr).not.toMatch(/^\s+at /m);
    },
    SYNTH_TIMEOUT,
  );

  describe('stage configuration', () => {
    const settings = loadProject(SAMPLE_JOURNEYS).settings;
    const settingsFile = join(SAMPLE_JOURNEYS, 'settings.json');
    const read = (stage: unknown, stages: unknown) => () => {
      if (settings === undefined) throw new Error('sample settings.json does not load');
      const context: Record<string, unknown> = { 'waymark:stage': stage, 'waymark:stages': stages };
      return readDeploymentConfig((key) => context[key], settings, settingsFile);
    };
    const dev = (overrides: Record<string, unknown>) => ({
      dev: { sesIdentity: 'shop.example.com', ...overrides },
    });

    it('merges the stage over settings.json', () => {
      const config = read(
        'dev',
        dev({ configurationSet: 'waymark-dev', unsubscribeBaseUrl: 'function-url' }),
      )();
      expect(config).toMatchObject({
        stage: 'dev',
        sender: 'Waymark Demo Shop <hello@shop.example.com>',
        senderAddress: 'hello@shop.example.com',
        configurationSet: 'waymark-dev',
        smsOriginationNumber: '+15555550100',
        unsubscribe: { kind: 'function-url' },
        env: undefined,
      });
      expect(read('dev', dev({}))().unsubscribe).toEqual({
        kind: 'url',
        url: 'https://shop.example.com/unsubscribe',
      });
    });

    it.each([
      [undefined, dev({}), /"waymark:stage": required/],
      ['Prod', dev({}), /"waymark:stage": a stage name is 1 to 12 lowercase letters/],
      ['prod', dev({}), /"waymark:stages"\.prod: no such stage\. Defined: dev/],
      ['dev', { dev: {} }, /"waymark:stages"\.dev\.sesIdentity: required: the SES identity/],
      [
        'dev',
        dev({ sesIdentity: 'other.example.com' }),
        /hello@shop\.example\.com is not covered by the SES identity "other\.example\.com"/,
      ],
      [
        'dev',
        dev({ senderAddress: 'not an address' }),
        /"waymark:stages"\.dev\.senderAddress: expected "hello@shop\.example\.com"/,
      ],
      [
        'dev',
        dev({ smsOriginationNumber: '555-0100' }),
        /\.dev\.smsOriginationNumber: expected an E\.164 phone number/,
      ],
      [
        'dev',
        dev({ unsubscribeBaseUrl: 'http://shop.example.com/u' }),
        /\.dev\.unsubscribeBaseUrl: expected an https:\/\/ URL/,
      ],
      ['dev', dev({ account: '123456789012' }), /set both account and region, or neither/],
      ['dev', dev({ sesIdentty: 'x' }), /"waymark:stages"\.dev: Unrecognized key: "sesIdentty"/],
    ])('stage %s with %j: %s', (stage, stages, message) => {
      expect(read(stage, stages)).toThrow(ConfigurationError);
      expect(read(stage, stages)).toThrow(message);
    });
  });
});

/**
 * Calls a bundled handler once in a fresh Node process, as the Lambda runtime would: the bundle's
 * folder as LAMBDA_TASK_ROOT, the given environment, and the project's AWS SDK standing in for the
 * runtime's (the bundles leave it out).
 */
function invokeBundle(
  synth: Synthesized,
  dir: string,
  environment: Record<string, string>,
  event: unknown,
): { stdout: string; stderr: string; result: string } {
  const sdk = join(synth.assembly.directory, 'node_modules');
  if (!existsSync(sdk)) symlinkSync(join(PROJECT_ROOT, 'node_modules'), sdk, 'dir');
  const script = `
    const { handler } = await import(${JSON.stringify(join(dir, 'index.mjs'))});
    const result = await handler(${JSON.stringify(event)}, { functionName: 'test', awsRequestId: 'test', getRemainingTimeInMillis: () => 5000 });
    process.stdout.write('RESULT' + JSON.stringify(result));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      LAMBDA_TASK_ROOT: dir,
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...environment,
    },
  });
  const marker = run.stdout.lastIndexOf('RESULT');
  return { stdout: run.stdout, stderr: run.stderr, result: marker < 0 ? '' : run.stdout.slice(marker + 6) };
}

describe('real bundles', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark({ code: 'esbuild' });
  }, SYNTH_TIMEOUT);

  const assetDir = (name: FunctionName): string => {
    const template = Template.fromStack(synth.stack).toJSON();
    const key: string = template.Resources[logicalId(synth.stack.functions[name])].Properties.Code.S3Key;
    return join(synth.assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
  };

  it('ship a minified ES module with its source map and the journeys folder, without the JSON Schemas', () => {
    for (const name of FUNCTION_NAMES) {
      const dir = assetDir(name);
      expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map', 'journeys']);
      expect(existsSync(join(dir, 'journeys', 'settings.json'))).toBe(true);
      expect(existsSync(join(dir, 'journeys', 'templates', 'cart-reminder', 'email.subject.liquid'))).toBe(
        true,
      );
      expect(readdirSync(join(dir, 'journeys')).filter((file) => file.endsWith('.schema.json'))).toEqual([]);
      // Minified: few lines for its size (unminified, esbuild writes a line per statement, about
      // 40 characters each; template literals, such as zod's generated checks, keep theirs).
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.split('\n').length).toBeLessThan(code.length / 200);
      expect(code).toContain('//# sourceMappingURL=index.mjs.map');
      // 300 KB was the goal before tracing; Powertools Tracer's X-Ray SDK (aws-xray-sdk-core, semver,
      // cls-hooked) adds about 120 KB to each function, the price of seeing every AWS call in a trace.
      expect(statSync(join(dir, 'index.mjs')).size).toBeLessThan(400 * 1024);
    }
  });

  it(
    'start with exactly the environment the template gives them (no secret for those that must not read it)',
    () => {
      const core = Template.fromStack(synth.stack).toJSON();
      // Events these functions refuse before any AWS call: enough to prove the runtime starts.
      for (const name of ['record', 'resume', 'goals', 'preferences'] as const) {
        const variables: Record<string, unknown> =
          core.Resources[logicalId(synth.stack.functions[name])].Properties.Environment.Variables;
        const environment = Object.fromEntries(
          Object.entries(variables).map(([key, value]) => [
            key,
            typeof value === 'string' ? value : 'from-the-template',
          ]),
        );
        expect(environment).not.toHaveProperty(ENVIRONMENT.unsubscribeSecretArn);
        const run = invokeBundle(synth, assetDir(name), environment, { 'detail-type': 'nothing' });
        expect(run.stderr, name).not.toMatch(/not set|Error/);
        expect(run.result, name).toMatch(/"status":"(rejected|ignored)"|"kind":"ignored"/);
      }
    },
    SYNTH_TIMEOUT,
  );

  it(
    'load on Node and answer from the bundled journeys (the unsubscribe page)',
    () => {
      const secret = 'test-secret';
      const environment = {
        POWERTOOLS_DEV: 'false',
        [ENVIRONMENT.table]: 'unused',
        [ENVIRONMENT.unsubscribeSecret]: secret,
      };
      // GET only shows a page: neither token makes the function call DynamoDB.
      const page = (token: string): { status: unknown; body: unknown } => {
        const run = invokeBundle(synth, assetDir('unsubscribe'), environment, {
          requestContext: { http: { method: 'GET' } },
          queryStringParameters: { token },
          headers: {},
        });
        expect(run.stderr).not.toMatch(/Error/);
        const response = JSON.parse(run.result);
        return { status: response.statusCode, body: response.body };
      };
      const invalid = page('not-a-token');
      expect(invalid.status).toBe(400);
      expect(invalid.body).toContain('This link does not work');
      // The sender's name comes from the bundled journeys/settings.json: no environment variable sets it.
      const valid = page(signUnsubscribeToken({ customerId: 'c-1', channel: 'email' }, secret, new Date()));
      expect(valid.status).toBe(200);
      expect(valid.body).toContain('Waymark Demo Shop');
    },
    SYNTH_TIMEOUT,
  );
});
