/**
 * The cost model of a compiled journey: state transitions and task calls on
 * its longest normal path (error paths and quiet-hours retries left out),
 * and per message sent. Standard workflows bill per state transition.
 */
import { type State, type StateMachineDefinition, stateTargets } from '../asl/types.ts';

/** Step Functions Standard, us-east-1: $0.025 per 1,000 state transitions. */
export const USD_PER_TRANSITION = 0.000025;
/** Step Functions Express, us-east-1: $1 per million requests (duration is billed on top, by memory and time). */
export const USD_PER_EXPRESS_REQUEST = 0.000001;

export interface CostReport {
  longestPath: string[];
  stateTransitions: number;
  lambdaInvocations: number;
  serviceCalls: number;
  messages: number;
  transitionsPerMessage: number | null;
  /**
   * Step Functions cost of 1,000 customers taking the longest path, in USD: transitions for
   * Standard, requests for Express (its duration charge left out). Lambda is billed apart.
   */
  usdPerThousandCustomers: number;
}

export function estimateCost(
  definition: StateMachineDefinition,
  isDelivery: (state: State) => boolean,
  workflowType: 'STANDARD' | 'EXPRESS',
): CostReport {
  const path = longestPath(definition);
  let lambdaInvocations = 0;
  let serviceCalls = 0;
  let messages = 0;
  for (const name of path) {
    const state = definition.States[name];
    if (state?.Type !== 'Task') continue;
    if (state.Resource.startsWith('arn:aws:states:::lambda:')) lambdaInvocations++;
    else serviceCalls++;
    if (isDelivery(state)) messages++;
  }
  // Entering each state is one transition, the start included.
  const stateTransitions = path.length;
  return {
    longestPath: path,
    stateTransitions,
    lambdaInvocations,
    serviceCalls,
    messages,
    transitionsPerMessage: messages === 0 ? null : Math.round((stateTransitions / messages) * 100) / 100,
    usdPerThousandCustomers:
      Math.round(
        (workflowType === 'STANDARD' ? stateTransitions * USD_PER_TRANSITION : USD_PER_EXPRESS_REQUEST) *
          1000 *
          1e6,
      ) / 1e6,
  };
}

/** Longest path in states from StartAt, on the graph with back edges (retry loops) removed. */
export function longestPath(definition: StateMachineDefinition): string[] {
  const order: string[] = [];
  const mark = new Map<string, 'open' | 'closed'>();
  const forward = new Map<string, string[]>();
  const visit = (name: string): void => {
    mark.set(name, 'open');
    const state = definition.States[name];
    const targets = state === undefined ? [] : normalTargets(state);
    const kept: string[] = [];
    for (const target of targets) {
      const targetMark = mark.get(target);
      if (targetMark === 'open') continue; // a back edge: a loop such as quiet hours, counted once
      kept.push(target);
      if (targetMark === undefined) visit(target);
    }
    forward.set(name, kept);
    mark.set(name, 'closed');
    order.push(name);
  };
  visit(definition.StartAt);
  // `order` is a post-order: every state comes after all the states it leads to. Only paths that end
  // where an execution ends count: a state whose every way on was a back edge (a send's slot wait
  // leading back to its outcome) is a dead end of the pruned graph, not an end of the journey.
  const best = new Map<string, string[]>();
  for (const name of order) {
    const state = definition.States[name];
    if (state !== undefined && normalTargets(state).length === 0) {
      best.set(name, [name]);
      continue;
    }
    let longest: string[] | undefined;
    for (const target of forward.get(name) ?? []) {
      const candidate = best.get(target);
      if (candidate !== undefined && (longest === undefined || longer(definition, candidate, longest))) {
        longest = candidate;
      }
    }
    if (longest !== undefined) best.set(name, [name, ...longest]);
  }
  return best.get(definition.StartAt) ?? [];
}

/** More states, or as many with more Tasks: of two paths as long, the one that calls more costs more. */
function longer(
  definition: StateMachineDefinition,
  path: readonly string[],
  than: readonly string[],
): boolean {
  if (path.length !== than.length) return path.length > than.length;
  const tasks = (states: readonly string[]): number =>
    states.filter((name) => definition.States[name]?.Type === 'Task').length;
  return tasks(path) > tasks(than);
}

/** Where a state goes when nothing fails: a waitForEvent's timeout is a designed path, other catches are not. */
function normalTargets(state: State): string[] {
  const timeouts =
    state.Type === 'Task'
      ? (state.Catch ?? [])
          .filter((catcher) => catcher.ErrorEquals.includes('States.Timeout'))
          .map((catcher) => catcher.Next)
      : [];
  return [...stateTargets(state, { includeCatch: false }), ...timeouts];
}
