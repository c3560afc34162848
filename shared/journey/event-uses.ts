/** Which event types a journey names, and where: for `waymark events list`, and any page that shows it. */
import { assertNever } from './graph.ts';
import type { Condition, Journey } from './schema.ts';
import { triggerMatcher } from './trigger.ts';

export const EVENT_USES = ['trigger', 'exitOn', 'waitForEvent', 'history', 'emit'] as const;
export type EventUse = (typeof EVENT_USES)[number];

/** Every event type a journey names, and where: its trigger, exits, waits, branch history conditions, emits. */
export function eventUses(journey: Journey): Map<string, Set<EventUse>> {
  const uses = new Map<string, Set<EventUse>>();
  const add = (type: string, use: EventUse): void => {
    uses.set(type, (uses.get(type) ?? new Set<EventUse>()).add(use));
  };
  add(triggerMatcher(journey.trigger).event, 'trigger');
  for (const exit of journey.exitOn) add(exit.event, 'exitOn');
  for (const step of Object.values(journey.steps)) {
    switch (step.type) {
      case 'waitForEvent':
        add(step.event.event, 'waitForEvent');
        break;
      case 'branch':
        for (const branchCase of step.cases) {
          for (const type of historyEvents(branchCase.when)) add(type, 'history');
        }
        break;
      case 'emit':
        add(step.event, 'emit');
        break;
      case 'send':
      case 'wait':
      case 'split':
      case 'updateProfile':
      case 'end':
        break;
      default:
        assertNever(step);
    }
  }
  return uses;
}

function historyEvents(condition: Condition): string[] {
  if ('history' in condition) return [condition.history.event];
  if ('all' in condition) return condition.all.flatMap(historyEvents);
  if ('any' in condition) return condition.any.flatMap(historyEvents);
  if ('not' in condition) return historyEvents(condition.not);
  return [];
}
