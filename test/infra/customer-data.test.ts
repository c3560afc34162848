/** Customer data: the stage's KMS key and the one table, encrypted with it. */
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition, TTL_ATTRIBUTE } from '../../shared/store/table.ts';
import {
  allTemplates,
  getAtt,
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
});
