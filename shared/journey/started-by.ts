/**
 * Which journeys an event starts: the ones whose trigger rule matches it, as
 * EventBridge matches it. The record function writes them on the event's own
 * history entry, which is thereby the customers' entry into those journeys.
 */
import type { EventCatalog } from '../events/catalog.ts';
import { matchesPattern } from '../events/pattern.ts';
import type { EventPattern } from '../events/pattern/types.ts';
import { compileRules } from './rules.ts';
import type { Journey } from './schema.ts';

interface TriggerRule {
  journeyId: string;
  pattern: EventPattern;
}

// Built once per deployed project: each pattern object is then compiled once by the matcher.
const rulesOf = new WeakMap<readonly Journey[], TriggerRule[]>();

function triggerRules(journeys: readonly Journey[], events: EventCatalog): TriggerRule[] {
  const cached = rulesOf.get(journeys);
  if (cached !== undefined) return cached;
  const rules = journeys.flatMap((journey) =>
    compileRules(journey, events)
      .filter((rule) => rule.role === 'trigger' && rule.enabled)
      .map((rule) => ({ journeyId: journey.id, pattern: rule.pattern })),
  );
  rulesOf.set(journeys, rules);
  return rules;
}

/** The ids of the journeys the event starts, sorted. */
export function journeysStartedBy(
  journeys: readonly Journey[],
  events: EventCatalog,
  event: unknown,
): string[] {
  return triggerRules(journeys, events)
    .filter((rule) => matchesPattern(rule.pattern, event))
    .map((rule) => rule.journeyId)
    .sort();
}
