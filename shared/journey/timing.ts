/**
 * How long a customer can spend in a journey, for the Express limit (five
 * minutes) and the Step Functions limit (one year): every wait at its
 * longest, every task timing out and retried as often as its policy allows.
 */
import { durationSeconds } from '../time/duration.ts';
import { nativeBranch } from './choice.ts';
import { stepById, stepEdges } from './graph.ts';
import {
  EXPRESS_MAX_SECONDS,
  EXPRESS_POLICIES,
  type Policies,
  retrySeconds,
  worstTaskSeconds,
} from './policies.ts';
import { type Journey, quietHoursOf, type Settings, type Step, sendChannels } from './schema.ts';

/** The next local window can be a week away (one open day a week, just missed). */
const LOCAL_WINDOW_MAX_SECONDS = 7 * 86_400;
/** "Tomorrow at the preferred hour" is at most two days away. */
const PREFERRED_HOUR_MAX_SECONDS = 2 * 86_400;

function stepSeconds(step: Step, policies: Policies): number {
  const lambdaTask = worstTaskSeconds(policies.taskTimeoutSeconds, [policies.lambdaService]);
  switch (step.type) {
    case 'send':
      // The deliver task, then on failure the task that records it.
      return (
        worstTaskSeconds(policies.taskTimeoutSeconds, [policies.throttled, policies.lambdaService]) +
        lambdaTask
      );
    case 'wait':
      if (step.duration !== undefined) return durationSeconds(step.duration);
      return (
        lambdaTask +
        (step.until?.kind === 'localWindow' ? LOCAL_WINDOW_MAX_SECONDS : PREFERRED_HOUR_MAX_SECONDS)
      );
    case 'waitForEvent':
      // Lambda service errors fail the registration at once; the wait itself is the step's timeout.
      return durationSeconds(step.timeout) + retrySeconds(policies.lambdaService);
    case 'branch':
      return nativeBranch(step) !== undefined ? 0 : lambdaTask;
    case 'split':
      return 0;
    case 'updateProfile':
    case 'end':
      return lambdaTask;
    case 'emit':
      return worstTaskSeconds(policies.taskTimeoutSeconds, [policies.events]);
    default: {
      const unreachable: never = step;
      throw new Error(`Unknown step ${JSON.stringify(unreachable)}`);
    }
  }
}

/** The longest time, in seconds, from entry to end; undefined when the journey loops. */
export function worstCaseSeconds(journey: Journey, policies: Policies): number | undefined {
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
    const total = stepSeconds(step, policies) + longestAfter;
    memo.set(id, total);
    return total;
  };
  const steps = visit(journey.start);
  // The enter task comes before the first step.
  return steps === undefined
    ? undefined
    : steps + worstTaskSeconds(policies.taskTimeoutSeconds, [policies.lambdaService]);
}

/**
 * The longest a high-volume part can run, in seconds, and the step it starts at: every task timing
 * out and retried as Express policies allow, from the start (enter) or a resumed wait (resume) to the
 * next wait, whose park task ends the part. Each must fit Express's five minutes.
 */
export function longestPartSeconds(journey: Journey): { seconds: number; from: string } {
  const policies = EXPRESS_POLICIES;
  const lambdaTask = worstTaskSeconds(policies.taskTimeoutSeconds, [policies.lambdaService]);
  const memo = new Map<string, number>();
  const visiting = new Set<string>();
  // From a step to the end of its part: a wait parks (one task) and the part ends there.
  const toPartEnd = (id: string): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const step = stepById(journey, id);
    if (step === undefined || visiting.has(id)) return 0;
    if (step.type === 'wait' || step.type === 'waitForEvent') {
      // The park task, after the schedule task of a wait until a local time.
      const parking = lambdaTask + (step.type === 'wait' && step.until !== undefined ? lambdaTask : 0);
      memo.set(id, parking);
      return parking;
    }
    visiting.add(id);
    const after = Math.max(0, ...stepEdges(step).map((edge) => toPartEnd(edge.to)));
    visiting.delete(id);
    // A send's quiet hours or send slot park too, ending its part: only its own tasks count here.
    const own = stepSeconds(step, policies);
    memo.set(id, own + after);
    return own + after;
  };
  let longest = { seconds: lambdaTask + toPartEnd(journey.start), from: journey.start };
  for (const [, step] of Object.entries(journey.steps).sort(([a], [b]) => a.localeCompare(b))) {
    // The parts that start when a wait is over: the resume task, then what follows the wait.
    const resumesAt =
      step.type === 'wait' ? [step.next] : step.type === 'waitForEvent' ? [step.onEvent, step.onTimeout] : [];
    for (const next of resumesAt) {
      const seconds = lambdaTask + toPartEnd(next);
      if (seconds > longest.seconds) longest = { seconds, from: next };
    }
  }
  return longest;
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
      const quiet = sendChannels(step).filter((channel) => quietHoursOf(settings, channel) !== null);
      if (quiet.length > 0) reasons.push(`step "${id}" may wait for quiet hours on ${quiet.join(', ')}`);
    }
    if (step.type === 'send') {
      // A send slot can be minutes or hours away under a busy rate: longer than an Express run lasts.
      const paced = sendChannels(step).filter(
        (channel) => journey.sendRate !== undefined || settings.sendRates[channel] !== undefined,
      );
      if (paced.length > 0)
        reasons.push(`step "${id}" may wait for a send slot on ${paced.join(', ')} (send rates)`);
    }
  }
  const longest = worstCaseSeconds(journey, EXPRESS_POLICIES);
  if (longest === undefined) {
    reasons.push('the journey loops, so its length has no bound');
  } else if (longest > EXPRESS_MAX_SECONDS) {
    reasons.push(
      `a customer may spend up to ${longest} s in it (waits, and every task timing out after ${EXPRESS_POLICIES.taskTimeoutSeconds} s and retried), more than Express's ${EXPRESS_MAX_SECONDS} s`,
    );
  }
  return { eligible: reasons.length === 0, reasons };
}

export type CompileTarget = 'standard' | 'express' | 'high-volume';

/**
 * What a journey is compiled as: Express only when it asks for it and can run as one; high-volume
 * whenever asked (its parts end at every wait, so none outlives Express's five minutes).
 */
export function compileTarget(journey: Journey, settings: Settings): CompileTarget {
  switch (journey.workflow) {
    case 'high-volume':
      return 'high-volume';
    case 'express':
      return expressEligibility(journey, settings).eligible ? 'express' : 'standard';
    case 'standard':
      return 'standard';
    default: {
      const unknown: never = journey.workflow;
      throw new Error(`Unknown workflow ${String(unknown)}`);
    }
  }
}

/** The state machine type a journey is deployed as: high-volume parts are Express executions. */
export function deployedWorkflow(journey: Journey, settings: Settings): 'STANDARD' | 'EXPRESS' {
  return compileTarget(journey, settings) === 'standard' ? 'STANDARD' : 'EXPRESS';
}
