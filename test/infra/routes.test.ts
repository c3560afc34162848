/**
 * The EventBridge rules (constructs/event-route.ts): the core's routes to record and preferences, and
 * the retry policy and dead-letter queue every rule target gets, core and journeys alike.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesPattern } from '../../shared/events/pattern.ts';
import { receiptPattern, recordPattern, sesFeedbackPattern } from '../../shared/events/routes.ts';
import { ERASURE_REQUESTED } from '../../shared/events/system-events.ts';
import {
  allTemplates,
  getAtt,
  logicalId,
  PROJECT_ROOT,
  removeTemporaryFolders,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthWaymark,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

describe('routes', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark();
  }, SYNTH_TIMEOUT);

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
    expect(matchesPattern(recordPattern(synth.project.events), profileEvent)).toBe(true);
    expect(matchesPattern(recordPattern(synth.project.events), erasure)).toBe(false);
    expect(matchesPattern(sesFeedbackPattern('waymark'), bounce('waymark'))).toBe(true);
    expect(matchesPattern(sesFeedbackPattern('waymark'), bounce('someone-else'))).toBe(false);
    // Configuration sets are unique per account and region: the stage's own, not settings.json's.
    core.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      EventPattern: Match.exact(sesFeedbackPattern(`waymark-${synth.config.stage}`)),
      Targets: [Match.objectLike({ Arn: getAtt(synth.stack.functions.preferences, 'Arn') })],
    });
    core.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(synth.stack.bus.eventBus) },
      EventPattern: Match.exact(recordPattern(synth.project.events)),
      Targets: [Match.objectLike({ Arn: getAtt(synth.stack.functions.record, 'Arn') })],
    });
    // SMS and WhatsApp statuses, which End User Messaging puts on the default bus, to preferences.
    const status = (source: string, detailType: string) => ({
      source,
      'detail-type': detailType,
      detail: {},
    });
    expect(
      matchesPattern(receiptPattern(), status('aws.sms-voice', 'Text Message Delivery Status Updated')),
    ).toBe(true);
    expect(matchesPattern(receiptPattern(), status('aws.social-messaging', 'WhatsApp Message Read'))).toBe(
      true,
    );
    expect(
      matchesPattern(receiptPattern(), status('aws.social-messaging', 'WhatsApp Message Received')),
    ).toBe(false);
    expect(matchesPattern(receiptPattern(), status('shop.web', 'WhatsApp Message Read'))).toBe(false);
    core.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      EventPattern: Match.exact(receiptPattern()),
      Targets: [Match.objectLike({ Arn: getAtt(synth.stack.functions.preferences, 'Arn') })],
    });
    core.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: { Ref: logicalId(synth.stack.ses.configurationSet) },
      EventDestination: {
        Enabled: true,
        // Opens and clicks as well: the sample settings.json tracks both (test/infra/channels.test.ts).
        MatchingEventTypes: ['delivery', 'bounce', 'complaint', 'open', 'click'],
        EventBridgeDestination: {
          EventBusArn: { 'Fn::Join': ['', Match.arrayWith([':event-bus/default'])] },
        },
      },
    });
  });
});
