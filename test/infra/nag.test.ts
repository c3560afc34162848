/**
 * What holds across the whole app (infra/cdk/nag.ts): cdk-nag's AwsSolutions pass, and every
 * wildcard in IAM is one the API forces, acknowledged with its reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acknowledgements,
  asArray,
  copySampleJourneys,
  devStage,
  EXISTING,
  policyDocuments,
  readJourney,
  removeTemporaryFolders,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthWaymark,
  writeJourney,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

describe('cdk-nag and IAM wildcards', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark();
  }, SYNTH_TIMEOUT);

  it('puts a wildcard in IAM only where the API has no resource ARN, each with its reason acknowledged', () => {
    expectOnlyForcedWildcards(synth);
  });

  it('passes cdk-nag AwsSolutions, every acknowledgement with its reason', () => {
    expectNagClean(synth);
  });
});

describe('cdk-nag and IAM wildcards with an existing bus, key and table', () => {
  it(
    'hold as well',
    () => {
      const synth = synthWaymark({
        context: devStage({
          existingEventBusArn: EXISTING.eventBusArn,
          existingTableArn: EXISTING.tableArn,
          existingKeyArn: EXISTING.keyArn,
        }),
      });
      expectOnlyForcedWildcards(synth);
      expectNagClean(synth);
    },
    SYNTH_TIMEOUT,
  );
});

describe('cdk-nag and IAM wildcards with a high-volume journey', () => {
  it(
    'hold as well',
    () => {
      const dir = copySampleJourneys();
      writeJourney(dir, { ...readJourney(dir, 'cart-abandonment'), workflow: 'high-volume' });
      const synth = synthWaymark({ journeysDir: dir });
      expectOnlyForcedWildcards(synth);
      expectNagClean(synth);
    },
    SYNTH_TIMEOUT,
  );
});

/** A wildcard in IAM only where the API has no resource ARN, each with its reason acknowledged. */
function expectOnlyForcedWildcards(synth: Synthesized): void {
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
    // The figures function's stream read (the stream itself is named in the other actions).
    'dynamodb:ListStreams',
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
            // The journeys' state machines of this stage, the broadcast machine's own child executions
            // (its Distributed Maps', all, or one Map Run's for a redrive), or the schedules of the
            // high-volume journeys' group.
            expect(resource, node.node.path).toMatch(
              /(:states:.*:((execution|stateMachine):waymark-dev-|execution:waymark-dev_broadcasts(\/(Collect|EnterWave))?:)|:scheduler:.*:schedule\/waymark-dev-high-volume\/)\*$/,
            );
          }
          const reason = acknowledgements(node).get(`AwsSolutions-IAM5[Resource::${resource}]`);
          expect(reason, `${node.node.path}: ${resource}`).toMatch(/^.{60,}$/);
        }
      }
    }
  }
  expect(checked).toBeGreaterThan(0);
}

/** cdk-nag's AwsSolutions report without violations, every acknowledgement with its reason. */
function expectNagClean(synth: Synthesized): void {
  const report = JSON.parse(readFileSync(join(synth.assembly.directory, 'validation-report.json'), 'utf8'));
  expect(report.pluginReports).toEqual([
    expect.objectContaining({ pluginName: 'AwsSolutions', conclusion: 'success', violations: [] }),
  ]);
  const reasons = synth.app.node.findAll().flatMap((node) => [...acknowledgements(node).values()]);
  expect(reasons.length).toBeGreaterThan(0);
  for (const reason of reasons) expect(reason).toMatch(/^.{60,}$/);
}
