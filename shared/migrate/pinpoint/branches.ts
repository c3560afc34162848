/** Pinpoint's ConditionalSplit and MultiCondition as a Waymark branch, after a wait when they wait. */
import type { Activity } from './pinpoint-schema.ts';
import { type ConditionContext, translateCondition } from './conditions.ts';
import type { JsonObject } from './start-condition.ts';
import { type ActivityContext, type TranslatedActivity, waitFields } from './waits.ts';

export function branchSteps(
  activity: Activity,
  kind: 'ConditionalSplit' | 'MultiCondition',
  sid: string,
  path: string,
  description: JsonObject,
  context: ActivityContext,
): TranslatedActivity | undefined {
  const differences: string[] = [];
  const evaluation =
    kind === 'ConditionalSplit'
      ? activity.ConditionalSplit?.EvaluationWaitTime
      : activity.MultiCondition?.EvaluationWaitTime;
  const waitPath = `${path}.${kind}.EvaluationWaitTime`;
  const wait = evaluation === undefined ? undefined : waitFields(evaluation, waitPath, context, differences);
  if (evaluation !== undefined && wait === undefined) return undefined;
  const within = typeof wait?.duration === 'string' ? wait.duration : '30d';
  if (typeof wait?.duration !== 'string')
    differences.push('history conditions look back 30 days (no EvaluationWaitTime duration)');
  const conditionContext: ConditionContext = {
    stepIdOf: context.stepIdOf,
    within,
    findings: context.findings,
    differences,
  };
  const cases: JsonObject[] = [];
  let fallback: string;
  if (kind === 'ConditionalSplit') {
    const split = activity.ConditionalSplit;
    const conditions = split?.Condition?.Conditions ?? [];
    const translated = conditions.map((condition, index) =>
      translateCondition(
        condition,
        `${path}.ConditionalSplit.Condition.Conditions[${index}]`,
        conditionContext,
      ),
    );
    if (conditions.length === 0) {
      context.findings.problem(
        `${path}.ConditionalSplit.Condition`,
        'A conditional split without conditions',
        'Condition: { Operator: "ALL" | "ANY", Conditions: [SimpleCondition] }',
      );
      return undefined;
    }
    const parts = translated.filter((condition): condition is JsonObject => condition !== undefined);
    if (parts.length !== translated.length) return undefined;
    const operator = split?.Condition?.Operator === 'ANY' ? 'any' : 'all';
    const when = parts.length === 1 ? parts[0] : { [operator]: parts };
    cases.push({ name: 'true', when: when ?? {}, next: context.target(split?.TrueActivity) });
    fallback = context.target(split?.FalseActivity);
  } else {
    const split = activity.MultiCondition;
    const branches = split?.Branches ?? [];
    for (const [index, branch] of branches.entries()) {
      const branchPath = `${path}.MultiCondition.Branches[${index}].Condition`;
      if (branch.Condition === undefined) {
        context.findings.problem(branchPath, 'A branch without a condition', 'Condition: a SimpleCondition');
        return undefined;
      }
      const when = translateCondition(branch.Condition, branchPath, conditionContext);
      if (when === undefined) return undefined;
      cases.push({ name: `branch-${index + 1}`, when, next: context.target(branch.NextActivity) });
    }
    if (cases.length === 0) {
      context.findings.problem(
        `${path}.MultiCondition.Branches`,
        'A multivariate split without branches',
        '1 to 4 Branches',
      );
      return undefined;
    }
    fallback = context.target(split?.DefaultActivity);
  }
  const branchId = wait === undefined ? sid : `${sid}-check`;
  const branch: JsonObject = { type: 'branch', ...description, cases, default: fallback };
  if (wait === undefined) return { steps: [[sid, branch]], became: `step "${sid}" (branch)`, differences };
  differences.push('EvaluationWaitTime became a wait step before the branch');
  return {
    steps: [
      [sid, { type: 'wait', ...wait, next: branchId }],
      [branchId, branch],
    ],
    became: `steps "${sid}" (wait ${typeof wait.duration === 'string' ? wait.duration : 'until a local window'}) and "${branchId}" (branch)`,
    differences,
  };
}
