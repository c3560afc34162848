/**
 * constructs/event-bus.ts: the Waymark bus, its archive and the policy producers attach to put
 * events on it, or the existing bus a stage brings.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLACEHOLDERS } from '../../shared/contract/tasks.ts';
import { recordPattern } from '../../shared/events/routes.ts';
import {
  copySampleJourneys,
  deployedJourney,
  devStage,
  EXISTING,
  getAtt,
  readJourney,
  removeTemporaryFolders,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthWaymark,
  writeJourney,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

describe('the event bus', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark();
  }, SYNTH_TIMEOUT);

  it("gives producers a managed policy that can only put events on the Waymark bus, never as Waymark's audience", () => {
    Template.fromStack(synth.stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'waymark-dev-producer',
      PolicyDocument: {
        Statement: [
          { Action: 'events:PutEvents', Effect: 'Allow', Resource: getAtt(synth.stack.bus.eventBus, 'Arn') },
          {
            Action: 'events:PutEvents',
            Effect: 'Deny',
            Resource: getAtt(synth.stack.bus.eventBus, 'Arn'),
            Condition: { StringEquals: { 'events:source': ['waymark.audience'] } },
          },
        ],
      },
    });
    Template.fromStack(synth.stack).hasResourceProperties('AWS::Events::Archive', {
      SourceArn: getAtt(synth.stack.bus.eventBus, 'Arn'),
      RetentionDays: 30,
    });
  });
});

describe('an existing event bus', () => {
  let synth: Synthesized;
  beforeAll(() => {
    // A journey that puts an event on the bus (an emit step): none of the samples does any more.
    const journeysDir = copySampleJourneys();
    const journey = readJourney(journeysDir, 'cart-abandonment');
    journey.steps.retarget = {
      type: 'emit',
      description: 'Ask the ads system to show the same offer to this customer.',
      event: 'retargeting.audience.requested',
      detail: { audience: 'cart-abandoners', offerCode: { from: 'values.offerCode' } },
      next: 'done',
    };
    writeJourney(journeysDir, journey);
    synth = synthWaymark({
      journeysDir,
      context: devStage({ existingEventBusArn: EXISTING.eventBusArn }),
    });
  }, SYNTH_TIMEOUT);

  it('creates no bus and no archive, and gives producers the same policy on the existing bus', () => {
    const core = Template.fromStack(synth.stack);
    core.resourceCountIs('AWS::Events::EventBus', 0);
    core.resourceCountIs('AWS::Events::Archive', 0);
    expect(synth.stack.bus.archive).toBeUndefined();
    core.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'waymark-dev-producer',
      PolicyDocument: {
        Statement: [
          { Action: 'events:PutEvents', Effect: 'Allow', Resource: EXISTING.eventBusArn },
          {
            Action: 'events:PutEvents',
            Effect: 'Deny',
            Resource: EXISTING.eventBusArn,
            Condition: { StringEquals: { 'events:source': ['waymark.audience'] } },
          },
        ],
      },
    });
    core.hasOutput('EventBusName', { Value: 'shop-events' });
    core.hasOutput('EventBusArn', { Value: EXISTING.eventBusArn });
  });

  it("puts the core's and the journeys' rules on it, and lets only its rules invoke goals and resume", () => {
    const core = Template.fromStack(synth.stack);
    core.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'shop-events',
      EventPattern: Match.exact(recordPattern(synth.project.events)),
    });
    const busRules = Object.values(core.findResources('AWS::Events::Rule')).filter(
      (rule) => rule.Properties.EventBusName !== 'default',
    );
    expect(busRules.map((rule) => rule.Properties.EventBusName)).toEqual(['shop-events', 'shop-events']);
    for (const fn of [synth.stack.functions.goals, synth.stack.functions.resume]) {
      const [permission] = Object.values(
        core.findResources('AWS::Lambda::Permission', {
          Properties: { FunctionName: getAtt(fn, 'Arn'), Principal: 'events.amazonaws.com' },
        }),
      );
      expect(JSON.stringify(permission?.Properties.SourceArn)).toContain(':rule/shop-events/*');
    }
    expect(synth.stack.journeys.length).toBeGreaterThan(0);
    for (const { journey } of synth.stack.journeys) {
      const rules = Template.fromStack(deployedJourney(synth, journey.journeyId).stack).findResources(
        'AWS::Events::Rule',
      );
      for (const rule of Object.values(rules)) expect(rule.Properties.EventBusName).toBe('shop-events');
    }
  });

  it("names it in the journeys' definitions and grants their state machines PutEvents on it only", () => {
    const putting = synth.stack.journeys.filter(({ journey }) =>
      deployedJourney(synth, journey.journeyId).compiled.resources.some(
        (use) => use.placeholder === PLACEHOLDERS.eventBus,
      ),
    );
    expect(putting.length).toBeGreaterThan(0);
    for (const { journey } of putting) {
      const template = Template.fromStack(deployedJourney(synth, journey.journeyId).stack);
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        DefinitionSubstitutions: Match.objectLike({ [PLACEHOLDERS.eventBus]: 'shop-events' }),
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: 'events:PutEvents', Resource: EXISTING.eventBusArn }),
          ]),
        },
      });
    }
  });
});
