/**
 * What a compiled state machine calls: each function (by its placeholder) and the bus, with the
 * actions and the states that use them, for least-privilege IAM and the local engine's bindings.
 */
import type { State, StateMachineDefinition } from '../asl/types.ts';
import type { PartPlaceholderName } from '../contract/parts.ts';
import { EVENTS_PUT_EVENTS, LAMBDA_INVOKE, PLACEHOLDERS, type PlaceholderName } from '../contract/tasks.ts';

export interface ResourceUse {
  placeholder: PlaceholderName;
  /** What the state machine does with it, for least-privilege IAM. */
  actions: string[];
  /** State names that use it, for the local engine's bindings. */
  states: string[];
}

/** A placeholder as the definition writes it, substituted at deploy (`${DeliverFunctionArn}`). */
export function placeholder(name: PlaceholderName | PartPlaceholderName): string {
  return `\${${name}}`;
}

/** The function a Lambda task invokes, by its placeholder; undefined for service integrations. */
function invokedFunction(state: State): PlaceholderName | undefined {
  if (state.Type !== 'Task' || !state.Resource.startsWith(LAMBDA_INVOKE)) return undefined;
  const name = state.Parameters.FunctionName;
  return [PLACEHOLDERS.stepsFunction, PLACEHOLDERS.deliverFunction].find(
    (candidate) => name === placeholder(candidate),
  );
}

export function isDeliveryState(state: State): boolean {
  return invokedFunction(state) === PLACEHOLDERS.deliverFunction;
}

export function resourcesOf(definition: StateMachineDefinition): ResourceUse[] {
  const uses = new Map<PlaceholderName, { actions: Set<string>; states: string[] }>();
  const use = (name: PlaceholderName, action: string, state: string): void => {
    const entry = uses.get(name) ?? { actions: new Set<string>(), states: [] };
    entry.actions.add(action);
    if (!entry.states.includes(state)) entry.states.push(state);
    uses.set(name, entry);
  };
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    if (state.Resource === EVENTS_PUT_EVENTS) use(PLACEHOLDERS.eventBus, 'events:PutEvents', name);
    const invoked = invokedFunction(state);
    if (invoked !== undefined) use(invoked, 'lambda:InvokeFunction', name);
  }
  return [...uses.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, entry]) => ({
      placeholder: name,
      actions: [...entry.actions].sort(),
      states: entry.states.sort(),
    }));
}
