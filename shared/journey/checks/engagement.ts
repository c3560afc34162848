/**
 * An engagement condition must name a send step of the same journey whose
 * channels report that action, and that runs before the branch: otherwise it
 * could never hold, and the branch would quietly always take another way.
 */
import { didYouMean } from '../../text/suggest.ts';
import { CHANNELS_REPORTING } from '../engagement-condition.ts';
import { reachableFrom } from '../graph.ts';
import type { PathSegment } from '../problem.ts';
import { type EngagementCondition, sendChannels } from '../schema.ts';
import type { JourneyScope } from './scope.ts';

export function checkEngagementCondition(
  condition: EngagementCondition,
  at: PathSegment[],
  scope: JourneyScope,
): void {
  const { step: stepId, action } = condition.engagement;
  const { journey, report } = scope;
  const where = [...at, 'engagement', 'step'];
  const step = journey.steps[stepId];
  if (step === undefined) {
    report(where, `No step "${stepId}" in this journey.`, {
      hint: didYouMean(stepId, Object.keys(journey.steps)),
    });
    return;
  }
  if (step.type !== 'send') {
    report(where, `"${stepId}" is a ${step.type} step: engagement is about a message a send step sent.`);
    return;
  }
  const reporting = CHANNELS_REPORTING[action];
  const channels = sendChannels(step);
  if (!channels.some((channel) => reporting.includes(channel))) {
    report(
      [...at, 'engagement', 'action'],
      `"${stepId}" sends by ${channels.join(', ')}, which never report "${action}".`,
      {
        expected: `a step on ${reporting.join(', ')}`,
      },
    );
  }
  const branchId = at[0] === 'steps' && typeof at[1] === 'string' ? at[1] : undefined;
  if (branchId !== undefined && !reachableFrom(journey, stepId).has(branchId)) {
    report(where, `"${stepId}" never runs before the branch "${branchId}", so this condition never holds.`, {
      hint: 'name a send step on the way to this branch',
    });
  }
}
