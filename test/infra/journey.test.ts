/**
 * constructs/journey.ts: each deployed journey as a nested stack, checked against the compiler's own
 * output (state machine, rules, IAM), its variants (paused, draft, Express) and fifty of them.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definitionText } from '../../shared/journey/compile.ts';
import {
  allTemplates,
  asArray,
  copySampleJourneys,
  deployedJourney,
  generatedJourneys,
  getAtt,
  inParent,
  logicalId,
  type PolicyStatementJson,
  readJourney,
  removeTemporaryFolders,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthWaymark,
  writeJourney,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

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
    // One sample starts from a schedule (constructs/broadcasts.ts, test/infra/broadcasts.test.ts).
    const broadcasts = synth.project.broadcasts.map((broadcast) => broadcast.journeyId);
    expect(broadcasts).toEqual(['weekly-newsletter']);
    for (const compiled of deployed) {
      const template = Template.fromStack(deployedJourney(synth, compiled.journeyId).stack);
      template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
      template.resourceCountIs('AWS::Events::Rule', compiled.rules.length);
      const triggerRules = broadcasts.includes(compiled.journeyId) ? 0 : 1;
      expect(compiled.rules.filter((rule) => rule.role === 'trigger')).toHaveLength(triggerRules);
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
      const bus = synth.stack.bus.eventBus;
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
        EventBusName: getAtt(synth.stack.bus.eventBus, 'Arn'),
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
      // A broadcast's members are started by the broadcast run, not by a rule.
      if (synth.project.broadcasts.some((broadcast) => broadcast.journeyId === journey.journeyId)) {
        expect(journey.routes.has('trigger')).toBe(false);
        continue;
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
