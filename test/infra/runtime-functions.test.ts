/**
 * The runtime functions (constructs/waymark-function.ts and the stack's wiring of them): how each
 * runs, what it may call, what it is told through its environment, who may invoke it.
 */
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT } from '../../shared/runtime/environment.ts';
import { FUNCTION_NAMES, type FunctionName } from '../../infra/cdk/constructs/waymark-function.ts';
import {
  asArray,
  deployedJourney,
  getAtt,
  logicalId,
  type PolicyStatementJson,
  PROJECT_ROOT,
  removeTemporaryFolders,
  roleOf,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthWaymark,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

describe('the runtime functions', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark();
  }, SYNTH_TIMEOUT);

  it('runs every function on Node.js 22 ARM64 with tracing, JSON logs in its own group, and Powertools settings', () => {
    const core = Template.fromStack(synth.stack);
    // The runtime functions, and the figures function (test/infra/figures.test.ts), made the same way.
    const figures = synth.stack.figures?.function;
    for (const fn of [
      ...FUNCTION_NAMES.map((name) => synth.stack.functions[name]),
      ...(figures === undefined ? [] : [figures.function]),
    ]) {
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
            [ENVIRONMENT.table]: { Ref: logicalId(synth.stack.data.table) },
          }),
        },
      });
    }
    core.resourceCountIs('AWS::Lambda::Function', FUNCTION_NAMES.length + 1);
  });

  it('makes each function, its role, log group, failure queue and errors alarm children of its WaymarkFunction', () => {
    for (const name of FUNCTION_NAMES) {
      const owner = synth.stack.runtime.functions[name];
      const children = [owner.function, owner.role, owner.logGroup, owner.errorsAlarm, owner.failureQueue];
      for (const child of children.filter((construct) => construct !== undefined)) {
        expect(child.node.scope, `${name}: ${child.node.path}`).toBe(owner);
      }
      expect(owner.node.defaultChild).toBe(owner.function);
    }
  });

  it('keeps what asynchronous invocations fail on in a queue, for the functions EventBridge invokes', () => {
    const core = Template.fromStack(synth.stack);
    const asynchronous: FunctionName[] = ['record', 'resume', 'goals', 'preferences', 'finish'];
    for (const name of FUNCTION_NAMES) {
      const failures = synth.stack.runtime.functions[name].failureQueue;
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
              Resource: getAtt(synth.stack.data.table, 'Arn'),
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
      `arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:configuration-set/<${logicalId(synth.stack.ses.configurationSet)}>`,
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
          [ENVIRONMENT.configurationSet]: { Ref: logicalId(synth.stack.ses.configurationSet) },
          [ENVIRONMENT.smsOriginationNumber]: '+15555550100',
          [ENVIRONMENT.unsubscribeBaseUrl]: getAtt(synth.stack.runtime.unsubscribeUrl, 'FunctionUrl'),
        }),
      },
    });
    core.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
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
      expect(sourceArn).toContain(`":rule/",{"Ref":"${logicalId(synth.stack.bus.eventBus)}"},"/*"`);
    }
  });
});
