/**
 * How long a customer can spend in a journey, for the Express limit (five
 * minutes) and the Step Functions limit (one year).
 */
import { durationSeconds } from '../time/duration.ts';
import { nativeChoice } from './choice.ts';
import { stepById, stepEdges } from './graph.ts';
import {
  EXPRESS_MAX_SECONDS,
  EXPRESS_TASK_TIMEOUT_SECONDS,
  retrySeconds,
  THROTTLED_RETRY,
} from './policies.ts';
import { type Journey, type Settings, type Step, sendChannels } from './schema.ts';

/** How many function or service calls a step makes on its normal path. */
function taskCalls(step: Step): number {
  switch (step.type) {
    case 'send':
    case 'updateProfile':
    case 'emit':
    case 'end':
    case 'waitForEvent':
      return 1;
    case 'wait':
      return step.until === undefined ? 0 : 1;
    case 'branch':
      return step.cases.every((branchCase) => nativeChoice(branchCase.when) !== undefined) ? 0 : 1;
    case 'split':
      return 0;
    default: {
      const unreachable: never = step;
      throw new Error(`Unknown step ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * The longest time, in seconds, from entry to end: fixed waits, throttling retries of each send,
 * and `taskSeconds` for every task call (enter included). Undefined when the journey loops; waits
 * until a local time count as zero, so callers that need a bound must refuse them separately.
 */
export function worstCaseSeconds(journey: Journey, taskSeconds: number): number | undefined {
  const memo = new Map<string, number | undefined>();
  const visiting = new Set<string>();
  const visit = (id: string): number | undefined => {
    if (memo.has(id)) return memo.get(id);
    if (visiting.has(id)) return undefined;
    const step = stepById(journey, id);
    if (step === undefined) return 0;
    visiting.add(id);
    let longestAfter = 0;
    for (const edge of stepEdges(step)) {
      const after = visit(edge.to);
      if (after === undefined) {
        visiting.delete(id);
        memo.set(id, undefined);
        return undefined;
      }
      longestAfter = Math.max(longestAfter, after);
    }
    visiting.delete(id);
    const waited = step.type === 'wait' && step.duration !== undefined ? durationSeconds(step.duration) : 0;
    const waitedForEvent = step.type === 'waitForEvent' ? durationSeconds(step.timeout) : 0;
    const retried = step.type === 'send' ? retrySeconds(THROTTLED_RETRY) : 0;
    const total = waited + waitedForEvent + retried + taskCalls(step) * taskSeconds + longestAfter;
    memo.set(id, total);
    return total;
  };
  const steps = visit(journey.start);
  return steps === undefined ? undefined : steps + taskSeconds;
}

export function expressEligibility(
  journey: Journey,
  settings: Settings,
): { eligible: boolean; reasons: string[] } {
  const reasons: string[] = [];
  // Sorted like the ASL, so the reasons read in the same order whatever order the steps were written in.
  for (const [id, step] of Object.entries(journey.steps).sort(([a], [b]) => a.localeCompare(b))) {
    if (step.type === 'waitForEvent')
      reasons.push(`step "${id}" waits for an event (Express has no callbacks)`);
    if (step.type === 'wait' && step.until !== undefined)
      reasons.push(`step "${id}" waits until a local time`);
    if (step.type === 'send' && step.category === 'marketing') {
      const quiet = sendChannels(step).filter((channel) => settings.quietHours[channel] !== null);
      if (quiet.length > 0) reasons.push(`step "${id}" may wait for quiet hours on ${quiet.join(', ')}`);
    }
  }
  const longest = worstCaseSeconds(journey, EXPRESS_TASK_TIMEOUT_SECONDS);
  if (longest === undefined) {
    reasons.push('the journey loops, so its length has no bound');
  } else if (longest > EXPRESS_MAX_SECONDS) {
    reasons.push(
      `a customer may spend up to ${longest} s in it (waits, throttling retries and ${EXPRESS_TASK_TIMEOUT_SECONDS} s per task), more than Express's ${EXPRESS_MAX_SECONDS} s`,
    );
  }
  return { eligible: reasons.length === 0, reasons };
}
