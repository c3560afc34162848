/**
 * constructs/alarm-topic.ts: every alarm notifies one encrypted topic, whose key lets CloudWatch
 * publish: the stage key when the stack owns it, a key of the topic's own when the stage key is an
 * existing one (the stack cannot add to that key's policy).
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allTemplates,
  devStage,
  EXISTING,
  getAtt,
  logicalId,
  removeTemporaryFolders,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthWaymark,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

/** The statement that lets this account's CloudWatch alarms publish to a topic encrypted with the key. */
const CLOUDWATCH_STATEMENT = {
  Effect: 'Allow',
  Principal: { Service: 'cloudwatch.amazonaws.com' },
  Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
  Resource: '*',
  Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
};

describe('the alarm topic', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark();
  }, SYNTH_TIMEOUT);

  it('is encrypted with the stage key, whose policy lets CloudWatch publish to it', () => {
    const core = Template.fromStack(synth.stack);
    expect(synth.stack.alarms.key).toBe(synth.stack.data.ownedKey);
    core.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: getAtt(synth.stack.data.key, 'Arn'),
    });
    core.resourceCountIs('AWS::KMS::Key', 1);
    core.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([CLOUDWATCH_STATEMENT]) },
    });
  });

  it('is what every alarm notifies, in the core stack and in every journey', () => {
    const topic = logicalId(synth.stack.alarms.topic);
    let alarms = 0;
    for (const template of allTemplates(synth)) {
      for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
        alarms += 1;
        const [action] = alarm.Properties.AlarmActions;
        // A journey's nested stack receives the topic as a parameter named after it.
        expect(JSON.stringify(action)).toMatch(
          new RegExp(`^\\{"Ref":"(${topic}|referenceto.*AlarmTopic.*Ref)"\\}$`),
        );
      }
    }
    expect(alarms).toBeGreaterThan(0);
  });
});

describe('the alarm topic of a stage with an existing key', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark({ context: devStage({ existingKeyArn: EXISTING.keyArn }) });
  }, SYNTH_TIMEOUT);

  it('has a rotated key of its own, whose policy lets CloudWatch publish, and not the existing key', () => {
    const core = Template.fromStack(synth.stack);
    expect(synth.stack.data.ownedKey).toBeUndefined();
    core.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: getAtt(synth.stack.alarms.key, 'Arn'),
    });
    core.resourceCountIs('AWS::KMS::Key', 1);
    core.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([CLOUDWATCH_STATEMENT]) },
    });
    core.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/waymark-dev-alarms' });
    expect(JSON.stringify(core.findResources('AWS::SNS::Topic'))).not.toContain(EXISTING.keyArn);
  });
});
