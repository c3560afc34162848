/** The journey as a graph of step ids: successors, reachability and cycles. */
import type { Journey, Step, StepId } from './schema.ts';

export interface StepEdge {
  to: StepId;
  /** JSON path segments, relative to the step, of the field that names the target. */
  field: (string | number)[];
}

export function stepEdges(step: Step): StepEdge[] {
  switch (step.type) {
    case 'send':
      return [
        { to: step.next, field: ['next'] },
        ...(step.onNotSent === undefined ? [] : [{ to: step.onNotSent, field: ['onNotSent'] }]),
      ];
    case 'wait':
    case 'updateProfile':
    case 'emit':
      return [{ to: step.next, field: ['next'] }];
    case 'waitForEvent':
      return [
        { to: step.onEvent, field: ['onEvent'] },
        { to: step.onTimeout, field: ['onTimeout'] },
      ];
    case 'branch':
      return [
        ...step.cases.map((branchCase, index) => ({ to: branchCase.next, field: ['cases', index, 'next'] })),
        { to: step.default, field: ['default'] },
      ];
    case 'split':
      return step.paths.map((path, index) => ({ to: path.next, field: ['paths', index, 'next'] }));
    case 'end':
      return [];
    default:
      return assertNever(step);
  }
}

/** Each step's successors with the words a drawing puts on the edge (Mermaid, the panel's graph); "" where one successor needs none. */
export function labelledStepEdges(step: Step): [string, string][] {
  switch (step.type) {
    case 'send':
      return step.onNotSent === undefined
        ? [[step.next, '']]
        : [
            [step.next, 'sent'],
            [step.onNotSent, 'not sent'],
          ];
    case 'wait':
    case 'updateProfile':
    case 'emit':
      return [[step.next, '']];
    case 'waitForEvent':
      return [
        [step.onEvent, step.event.event],
        [step.onTimeout, `after ${step.timeout}`],
      ];
    case 'branch':
      return [
        ...step.cases.map((branchCase, index): [string, string] => [
          branchCase.next,
          branchCase.name ?? `case ${index + 1}`,
        ]),
        [step.default, 'otherwise'],
      ];
    case 'split':
      return step.paths.map((path): [string, string] => [
        path.next,
        `${path.name} ${path.weight}%${path.holdout ? ' holdout' : ''}`,
      ]);
    case 'end':
      return [];
    default:
      return assertNever(step);
  }
}

/** The step with this id; own properties only, so "constructor" or "toString" are not steps. */
export function stepById(journey: Journey, id: string): Step | undefined {
  return Object.hasOwn(journey.steps, id) ? journey.steps[id] : undefined;
}

export function assertNever(value: never): never {
  throw new Error(`Unhandled variant: ${JSON.stringify(value)}`);
}

/** Steps that pause the customer in time; a loop through one of them cannot spin. */
function pausesTime(step: Step): boolean {
  return step.type === 'wait' || step.type === 'waitForEvent';
}

export function reachableFrom(journey: Journey, start: StepId): Set<StepId> {
  const seen = new Set<StepId>();
  const queue = [start];
  while (queue.length > 0) {
    const id = queue.pop();
    if (id === undefined || seen.has(id)) continue;
    const step = stepById(journey, id);
    if (step === undefined) continue;
    seen.add(id);
    for (const edge of stepEdges(step)) queue.push(edge.to);
  }
  return seen;
}

/** Steps from which some `end` step can be reached. */
export function stepsThatCanEnd(journey: Journey): Set<StepId> {
  const canEnd = new Set<StepId>();
  let changed = true;
  while (changed) {
    changed = false;
    for (const [id, step] of Object.entries(journey.steps)) {
      if (canEnd.has(id)) continue;
      if (step.type === 'end' || stepEdges(step).some((edge) => canEnd.has(edge.to))) {
        canEnd.add(id);
        changed = true;
      }
    }
  }
  return canEnd;
}

/** Cycles made only of steps that take no time: each returned as the list of its step ids. */
export function loopsWithoutWait(journey: Journey): StepId[][] {
  const loops: StepId[][] = [];
  const state = new Map<StepId, 'visiting' | 'done'>();
  const stack: StepId[] = [];
  const visit = (id: StepId): void => {
    const step = stepById(journey, id);
    if (step === undefined || pausesTime(step)) return;
    state.set(id, 'visiting');
    stack.push(id);
    for (const edge of stepEdges(step)) {
      const mark = state.get(edge.to);
      if (mark === 'visiting') loops.push(stack.slice(stack.indexOf(edge.to)));
      else if (mark === undefined) visit(edge.to);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of Object.keys(journey.steps)) {
    if (!state.has(id)) visit(id);
  }
  return loops;
}
