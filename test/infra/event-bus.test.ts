/** The Waymark bus: its archive and the policy producers attach to put events on it. */
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  getAtt,
  removeTemporaryFolders,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthWaymark,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

describe('the event bus', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark();
  }, SYNTH_TIMEOUT);

  it('gives producers a managed policy that can only put events on the Waymark bus', () => {
    Template.fromStack(synth.stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'waymark-dev-producer',
      PolicyDocument: {
        Statement: [
          { Action: 'events:PutEvents', Effect: 'Allow', Resource: getAtt(synth.stack.bus.eventBus, 'Arn') },
        ],
      },
    });
    Template.fromStack(synth.stack).hasResourceProperties('AWS::Events::Archive', {
      SourceArn: getAtt(synth.stack.bus.eventBus, 'Arn'),
      RetentionDays: 30,
    });
  });
});
