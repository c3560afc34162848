/**
 * Pinpoint activities to Waymark steps. Each activity becomes one step named
 * after its id (a split that waits first becomes a wait and a branch); a
 * missing NextActivity leads to one shared end step; a ContactCenter activity
 * is skipped, its way in leading straight to its NextActivity.
 */
import type { Activity } from './pinpoint-schema.ts';
import type { JsonObject } from './start-condition.ts';
import { type ActivityContext, type TranslatedActivity, waitFields } from './waits.ts';
import { sendStep } from './sends.ts';
import { branchSteps } from './branches.ts';

export type { ActivityContext, TranslatedActivity } from './waits.ts';
export { templateFolder } from './sends.ts';

export const ACTIVITY_KINDS = [
  'Wait',
  'ConditionalSplit',
  'MultiCondition',
  'RandomSplit',
  'Holdout',
  'EMAIL',
  'SMS',
  'PUSH',
  'CUSTOM',
  'ContactCenter',
] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export function activityKind(activity: Activity): ActivityKind | undefined {
  const kinds = ACTIVITY_KINDS.filter((kind) => activity[kind] !== undefined);
  return kinds.length === 1 ? kinds[0] : undefined;
}

/** One link from an activity to the next: where it is written (below the activity) and what it names. */
export interface ActivityLink {
  at: string;
  target: string | undefined;
}

/** The activities each activity leads to, in a fixed order (target undefined: the path ends). */
export function activityLinks(activity: Activity): ActivityLink[] {
  const kind = activityKind(activity);
  switch (kind) {
    case 'Wait':
    case 'Holdout':
    case 'EMAIL':
    case 'SMS':
    case 'PUSH':
    case 'CUSTOM':
    case 'ContactCenter':
      return [{ at: `${kind}.NextActivity`, target: activity[kind]?.NextActivity }];
    case 'ConditionalSplit':
      return [
        { at: 'ConditionalSplit.TrueActivity', target: activity.ConditionalSplit?.TrueActivity },
        { at: 'ConditionalSplit.FalseActivity', target: activity.ConditionalSplit?.FalseActivity },
      ];
    case 'MultiCondition':
      return [
        ...(activity.MultiCondition?.Branches ?? []).map((branch, index) => ({
          at: `MultiCondition.Branches[${index}].NextActivity`,
          target: branch.NextActivity,
        })),
        { at: 'MultiCondition.DefaultActivity', target: activity.MultiCondition?.DefaultActivity },
      ];
    case 'RandomSplit':
      return (activity.RandomSplit?.Branches ?? []).map((branch, index) => ({
        at: `RandomSplit.Branches[${index}].NextActivity`,
        target: branch.NextActivity,
      }));
    case undefined:
      return [];
  }
}

/** Whether time passes at this activity: a loop through it is no busy loop. */
export function activityWaits(activity: Activity): boolean {
  return (
    activity.Wait !== undefined ||
    activity.ConditionalSplit?.EvaluationWaitTime !== undefined ||
    activity.MultiCondition?.EvaluationWaitTime !== undefined
  );
}

export function translateActivity(
  activityId: string,
  activity: Activity,
  path: string,
  context: ActivityContext,
): TranslatedActivity | undefined {
  const kind = activityKind(activity);
  const sid = context.stepIdOf(activityId);
  const differences: string[] = [];
  const description: JsonObject =
    activity.Description === undefined ? {} : { description: activity.Description.slice(0, 1000) };
  switch (kind) {
    case undefined:
      context.findings.problem(
        path,
        'An activity holds exactly one activity type',
        `one of ${ACTIVITY_KINDS.join(', ')} (besides Description)`,
      );
      return undefined;
    case 'Wait': {
      const fields = waitFields(activity.Wait?.WaitTime, `${path}.Wait.WaitTime`, context, differences);
      if (fields === undefined) return undefined;
      const step = {
        type: 'wait',
        ...description,
        ...fields,
        next: context.target(activity.Wait?.NextActivity),
      };
      return {
        steps: [[sid, step]],
        became: `step "${sid}" (wait ${typeof fields.duration === 'string' ? fields.duration : 'until a local window'})`,
        differences,
      };
    }
    case 'ConditionalSplit':
    case 'MultiCondition':
      return branchSteps(activity, kind, sid, path, description, context);
    case 'RandomSplit': {
      const branches = activity.RandomSplit?.Branches ?? [];
      const paths = branches.flatMap((branch, index) => {
        const weight = branch.Percentage ?? 0;
        if (weight === 0) differences.push(`branch ${index + 1} has 0%: left out`);
        return weight === 0
          ? []
          : [
              {
                name: `branch-${index + 1}`,
                weight,
                holdout: false,
                next: context.target(branch.NextActivity),
              },
            ];
      });
      const total = paths.reduce((sum, entry) => sum + entry.weight, 0);
      if (paths.length < 2 || total !== 100) {
        context.findings.problem(
          `${path}.RandomSplit.Branches`,
          `A random split needs 2 to 5 branches whose Percentage adds up to 100 (found ${paths.length} adding up to ${total})`,
          'Branches with Percentage adding up to 100',
        );
        return undefined;
      }
      differences.push(
        'Waymark puts a customer on the same path of the same step every time (a hash of customer, journey and step)',
      );
      return {
        steps: [[sid, { type: 'split', ...description, paths }]],
        became: `step "${sid}" (split ${paths.map((entry) => entry.weight).join('/')})`,
        differences,
      };
    }
    case 'Holdout': {
      const percentage = activity.Holdout?.Percentage ?? 0;
      if (percentage < 1 || percentage > 99) {
        context.findings.problem(
          `${path}.Holdout.Percentage`,
          `A holdout of ${percentage}% cannot become a split`,
          'a Percentage from 1 to 99',
        );
        return undefined;
      }
      const paths = [
        { name: 'holdout', weight: percentage, holdout: true, next: context.target(undefined) },
        {
          name: 'continue',
          weight: 100 - percentage,
          holdout: false,
          next: context.target(activity.Holdout?.NextActivity),
        },
      ];
      differences.push('the holdout path is a measured control group that ends the journey, as in Pinpoint');
      return {
        steps: [[sid, { type: 'split', ...description, paths }]],
        became: `step "${sid}" (split with a ${percentage}% holdout)`,
        differences,
      };
    }
    case 'EMAIL':
    case 'SMS':
    case 'PUSH':
    case 'CUSTOM':
      return sendStep(activityId, activity, kind, sid, path, context);
    case 'ContactCenter':
      return {
        steps: [],
        became: 'not imported',
        differences: [
          'Waymark has no contact-centre activity: call Amazon Connect (StartOutboundVoiceContact or an outbound campaign) from a webhook or function send here',
          `its way in now leads straight to ${context.target(activity.ContactCenter?.NextActivity)}`,
        ],
      };
  }
}
