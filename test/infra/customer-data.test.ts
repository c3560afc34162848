/**
 * constructs/customer-data.ts: the stage's KMS key and the one table, encrypted with it, or the
 * existing key and table a stage brings.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT } from '../../shared/runtime/environment.ts';
import { ADDRESS_INDEXES, SENT_INDEX, tableDefinition, TTL_ATTRIBUTE } from '../../shared/store/table.ts';
import { ADDRESS_INDEXES_CONTEXT } from '../../infra/cdk/constructs/customer-data.ts';
import { FUNCTION_NAMES } from '../../infra/cdk/constructs/waymark-function.ts';
import {
  allTemplates,
  asArray,
  devStage,
  EXISTING,
  getAtt,
  logicalId,
  type PolicyStatementJson,
  roleOf,
  removeTemporaryFolders,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthWaymark,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

describe('customer data', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark();
  }, SYNTH_TIMEOUT);

  it('keeps customer data in one table encrypted with the stage key, with point-in-time recovery and TTL', () => {
    const definition = tableDefinition('');
    for (const template of allTemplates(synth)) {
      for (const table of Object.values(template.findResources('AWS::DynamoDB::Table'))) {
        expect(table.Properties).toMatchObject({
          SSESpecification: {
            SSEEnabled: true,
            SSEType: 'KMS',
            KMSMasterKeyId: getAtt(synth.stack.data.key, 'Arn'),
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

  it('has the indexes the local table has: the address indexes keyed on hashes, keys only; the sent messages by day', () => {
    const core = Template.fromStack(synth.stack);
    core.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: tableDefinition('').GlobalSecondaryIndexes,
    });
    const [table] = Object.values(core.findResources('AWS::DynamoDB::Table'));
    expect(
      table?.Properties.GlobalSecondaryIndexes.map((index: { IndexName: string }) => index.IndexName),
    ).toEqual([ADDRESS_INDEXES.email.indexName, ADDRESS_INDEXES.phone.indexName, SENT_INDEX.indexName]);
    // No function searches: their grants stay on the table itself, none on its indexes.
    for (const statement of statements(core)) {
      expect(JSON.stringify(statement.Resource ?? '')).not.toContain('/index/');
    }
  });
});

describe('a stage whose table was deployed before the address indexes', () => {
  it(
    'adds the email index alone with -c waymark:addressIndexes=email, as CloudFormation adds one per update',
    () => {
      const synth = synthWaymark({ context: { [ADDRESS_INDEXES_CONTEXT]: 'email' } });
      const core = Template.fromStack(synth.stack);
      core.hasResourceProperties('AWS::DynamoDB::Table', {
        GlobalSecondaryIndexes: [
          {
            IndexName: ADDRESS_INDEXES.email.indexName,
            KeySchema: [{ AttributeName: ADDRESS_INDEXES.email.attribute, KeyType: 'HASH' }],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
      });
      expect(() => synthWaymark({ context: { [ADDRESS_INDEXES_CONTEXT]: 'phone' } })).toThrow(
        /waymark:addressIndexes.*expected "email"/,
      );
      // The second deploy: both address indexes, not yet the index of sent messages; the third, all.
      const second = Template.fromStack(
        synthWaymark({ context: { [ADDRESS_INDEXES_CONTEXT]: 'address' } }).stack,
      );
      const [table] = Object.values(second.findResources('AWS::DynamoDB::Table'));
      expect(
        table?.Properties.GlobalSecondaryIndexes.map((index: { IndexName: string }) => index.IndexName),
      ).toEqual([ADDRESS_INDEXES.email.indexName, ADDRESS_INDEXES.phone.indexName]);
    },
    SYNTH_TIMEOUT * 3,
  );
});

/** Every statement of the core stack's IAM policies (AWS::IAM::Policy). */
function statements(template: Template): (PolicyStatementJson & { Sid?: string; Condition?: unknown })[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement,
  );
}

describe('customer data in an existing table, under its existing key', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark({
      context: devStage({ existingTableArn: EXISTING.tableArn, existingKeyArn: EXISTING.keyArn }),
    });
  }, SYNTH_TIMEOUT);

  it('creates neither the table nor the stage key, and gives every function the existing table', () => {
    const core = Template.fromStack(synth.stack);
    core.resourceCountIs('AWS::DynamoDB::Table', 0);
    // The one key left is the alarm topic's own (test/infra/alarm-topic.test.ts).
    expect(Object.keys(core.findResources('AWS::KMS::Key'))).toEqual([logicalId(synth.stack.alarms.key)]);
    core.resourcePropertiesCountIs('AWS::KMS::Alias', { AliasName: 'alias/waymark-dev' }, 0);
    for (const name of FUNCTION_NAMES) {
      expect(
        core.toJSON().Resources[logicalId(synth.stack.functions[name])].Properties.Environment.Variables[
          ENVIRONMENT.table
        ],
      ).toBe('shop-customers');
    }
    core.hasOutput('TableName', { Value: 'shop-customers' });
  });

  it('grants the table and its key by their ARNs only, the key through DynamoDB only', () => {
    const core = Template.fromStack(synth.stack);
    for (const name of FUNCTION_NAMES) {
      core.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: logicalId(roleOf(synth, name)) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Sid: 'Table', Effect: 'Allow', Resource: EXISTING.tableArn }),
            Match.objectLike({
              Sid: 'TableKey',
              Effect: 'Allow',
              Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
              Resource: EXISTING.keyArn,
              Condition: {
                StringEquals: {
                  'kms:ViaService': {
                    'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
                  },
                },
              },
            }),
          ]),
        },
      });
    }
    for (const statement of statements(core)) {
      const actions = asArray(statement.Action);
      if (actions.some((action) => action.startsWith('dynamodb:'))) {
        expect(statement.Resource).toBe(EXISTING.tableArn);
      }
      if (actions.some((action) => action.startsWith('kms:')))
        expect(statement.Resource).toBe(EXISTING.keyArn);
    }
  });

  it('encrypts the unsubscribe secret with the existing key, readable by deliver and unsubscribe only', () => {
    const core = Template.fromStack(synth.stack);
    core.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: EXISTING.keyArn });
    // CDK would grant the key in its policy, which is the key owner's: the grant is in the roles' policies.
    const secretKeyRoles = Object.values(core.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        policy.Properties.PolicyDocument.Statement.some(
          (statement: PolicyStatementJson & { Sid?: string }) =>
            statement.Sid === 'UnsubscribeSecretKey' &&
            statement.Action === 'kms:Decrypt' &&
            statement.Resource === EXISTING.keyArn,
        ),
      )
      .flatMap((policy) => policy.Properties.Roles.map((role: { Ref: string }) => role.Ref))
      .sort();
    expect(secretKeyRoles).toEqual(
      (['deliver', 'unsubscribe'] as const).map((name) => logicalId(roleOf(synth, name))).sort(),
    );
    core.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'UnsubscribeSecretKey',
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: EXISTING.keyArn,
            Condition: {
              StringEquals: {
                'kms:ViaService': {
                  'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
                },
              },
            },
          },
        ]),
      },
    });
  });
});

describe('customer data in a new table under an existing key', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark({ context: devStage({ existingKeyArn: EXISTING.keyArn }) });
  }, SYNTH_TIMEOUT);

  it('creates the table as usual, encrypted with the existing key, and no stage key', () => {
    const core = Template.fromStack(synth.stack);
    const definition = tableDefinition('');
    core.resourceCountIs('AWS::DynamoDB::Table', 1);
    core.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: definition.KeySchema,
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: EXISTING.keyArn },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    });
    expect(Object.keys(core.findResources('AWS::KMS::Key'))).toEqual([logicalId(synth.stack.alarms.key)]);
    core.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: EXISTING.keyArn });
    core.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(roleOf(synth, 'record')) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'Table', Resource: getAtt(synth.stack.data.table, 'Arn') }),
          Match.objectLike({ Sid: 'TableKey', Resource: EXISTING.keyArn }),
        ]),
      },
    });
  });
});
