/**
 * The EventBridge rules a journey compiles to: its trigger, its exits and goals, and the events its
 * steps wait for. The same patterns route on AWS (one Rule each) and in the local engine.
 */
import type { EventPattern } from '../events/pattern.ts';
import { toJsonObject } from '../json.ts';
import type { EventMatcher, Journey } from './schema.ts';

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
const matcherPatterns = new WeakMap<EventMatcher, EventPattern>();

export function matcherPattern(matcher: EventMatcher): EventPattern {
  const known = matcherPatterns.get(matcher);
  if (known !== undefined) return known;
  const pattern: EventPattern = { 'detail-type': [matcher.event] };
  if (matcher.source !== undefined)
    pattern.source = typeof matcher.source === 'string' ? [matcher.source] : matcher.source;
  const detail = toJsonObject(matcher.filter ?? {});
  // Every journey is per customer: an event without a customer id must not start or stop anything.
  if (!Object.hasOwn(detail, 'customerId')) detail.customerId = [{ exists: true }];
  pattern.detail = detail;
  matcherPatterns.set(matcher, pattern);
  return pattern;
}

function anyOf(patterns: EventPattern[]): EventPattern {
  const [first] = patterns;
  if (patterns.length === 1 && first !== undefined) return first;
  return { $or: patterns };
}

export function compileRules(journey: Journey): CompiledRule[] {
  const rules: CompiledRule[] = [
    {
      role: 'trigger',
      pattern: matcherPattern(journey.trigger),
      enabled: journey.status === 'active',
      description: `Starts journey ${journey.id} on ${journey.trigger.event}`,
    },
  ];
  if (journey.exitOn.length > 0) {
    rules.push({
      role: 'exit',
      pattern: anyOf(journey.exitOn.map(matcherPattern)),
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
      pattern: { 'detail-type': awaited, detail: { customerId: [{ exists: true }] } },
      enabled: true,
      description: `Resumes journey ${journey.id} waiting for ${awaited.join(', ')}`,
    });
  }
  return rules;
}
