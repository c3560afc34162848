/**
 * The EventBridge rules a journey compiles to: its trigger, its exits and goals, and the events its
 * steps wait for. The same patterns route on AWS (one Rule each) and in the local engine.
 */
import { customerIdPath, type EventCatalog, eventDefinition } from '../events/catalog.ts';
import type { EventPattern } from '../events/pattern.ts';
import { isRecord, type JsonValue, toJsonObject } from '../json.ts';

type JsonObject = { [key: string]: JsonValue };
import type { EventMatcher, Journey } from './schema.ts';
import { describeTrigger, isBroadcastTrigger, triggerMatcher } from './trigger.ts';

export type RuleRole = 'trigger' | 'exit' | 'resume';

export interface CompiledRule {
  role: RuleRole;
  /** The pattern exactly as the CDK rule and the local router use it. */
  pattern: EventPattern;
  /** Trigger rules of paused journeys are deployed disabled. */
  enabled: boolean;
  description: string;
}

// A journey's matchers are asked about every event (exits, resumes): build each pattern once, so
// the matcher's own cache of compiled patterns holds too.
const matcherPatterns = new WeakMap<EventCatalog, WeakMap<EventMatcher, EventPattern>>();

/**
 * The pattern of a trigger, exit or awaited event. The source is the matcher's own, else the one
 * the event file expects; the customer id must exist where the event type keeps it.
 */
export function matcherPattern(matcher: EventMatcher, events: EventCatalog): EventPattern {
  const cache = matcherPatterns.get(events) ?? new WeakMap<EventMatcher, EventPattern>();
  matcherPatterns.set(events, cache);
  const known = cache.get(matcher);
  if (known !== undefined) return known;
  const pattern: EventPattern = { 'detail-type': [matcher.event] };
  const source = matcher.source ?? eventDefinition(events, matcher.event)?.source;
  if (source !== undefined) pattern.source = typeof source === 'string' ? [source] : source;
  pattern.detail = requireCustomerId(
    toJsonObject(matcher.filter ?? {}),
    customerIdPath(events, matcher.event),
  );
  cache.set(matcher, pattern);
  return pattern;
}

/** Every journey is per customer: an event without a customer id must not start or stop anything. */
function requireCustomerId(detail: JsonObject, path: readonly string[]): JsonObject {
  const [first, ...rest] = path;
  if (first === undefined || (Object.hasOwn(detail, first) && rest.length === 0)) return detail;
  if (rest.length === 0) return { ...detail, [first]: [{ exists: true }] };
  const inner = Object.hasOwn(detail, first) ? detail[first] : {};
  // A filter that treats the field as a value rather than an object already decides; leave it.
  if (!isRecord(inner)) return detail;
  return { ...detail, [first]: requireCustomerId(toJsonObject(inner), rest) };
}

function anyOf(patterns: EventPattern[]): EventPattern {
  const [first] = patterns;
  if (patterns.length === 1 && first !== undefined) return first;
  return { $or: patterns };
}

export function compileRules(journey: Journey, events: EventCatalog): CompiledRule[] {
  // A broadcast is started by its schedule; every other trigger by a rule on the bus.
  const rules: CompiledRule[] = isBroadcastTrigger(journey.trigger)
    ? []
    : [
        {
          role: 'trigger',
          pattern: matcherPattern(triggerMatcher(journey.trigger), events),
          enabled: journey.status === 'active',
          description: `Starts journey ${journey.id} on ${describeTrigger(journey.trigger)}`,
        },
      ];
  if (journey.exitOn.length > 0) {
    rules.push({
      role: 'exit',
      pattern: anyOf(journey.exitOn.map((exit) => matcherPattern(exit, events))),
      enabled: true,
      description: `Ends journey ${journey.id} on ${journey.exitOn.map((exit) => exit.event).join(', ')}`,
    });
  }
  const awaited = [
    ...new Set(
      Object.values(journey.steps).flatMap((step) =>
        step.type === 'waitForEvent' ? [step.event.event] : [],
      ),
    ),
  ].sort();
  if (awaited.length > 0) {
    // One rule for every awaited event: the resume function matches each waiting step's own filter.
    rules.push({
      role: 'resume',
      pattern: awaitedPattern(awaited, events),
      enabled: true,
      description: `Resumes journey ${journey.id} waiting for ${awaited.join(', ')}`,
    });
  }
  return rules;
}

/** Awaited events grouped by where they keep the customer id: one pattern, or one per place. */
function awaitedPattern(awaited: readonly string[], events: EventCatalog): EventPattern {
  const byPath = new Map<string, string[]>();
  for (const detailType of awaited) {
    const path = customerIdPath(events, detailType).join('.');
    byPath.set(path, [...(byPath.get(path) ?? []), detailType]);
  }
  return anyOf(
    [...byPath].map(([path, detailTypes]) => ({
      'detail-type': detailTypes,
      detail: requireCustomerId({}, path.split('.')),
    })),
  );
}
