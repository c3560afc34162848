/**
 * What a branch condition means. The `evaluate` task runs this on the
 * profile, the trigger event, the journey values and the customer history;
 * branches that only read the event and values compile to a native Choice
 * state instead (see choice.ts), which must agree with this function.
 */
import { matchesPattern } from '../events/pattern.ts';
import { isRecord, toJsonObject } from '../json.ts';
import { durationSeconds } from '../time/duration.ts';
import { type ReferenceScope, resolveReference } from './references.ts';
import type { EngagementAction } from './engagement-condition.ts';
import type { Condition, EngagementCondition, FieldCondition } from './schema.ts';

/** One entry of the customer's history, as the evaluate task reads it. */
export interface HistoryEvent {
  detailType: string;
  time: string;
  detail: Record<string, unknown>;
}

/** What the customer did with one of a journey's messages, as engagement conditions read it. */
export interface EngagementEvent {
  journeyId: string;
  stepId: string;
  /** `executionTag` of the execution that sent the message. */
  execution: string;
  action: EngagementAction;
  time: string;
}

export interface ConditionScope extends ReferenceScope {
  history: readonly HistoryEvent[];
  now: Date;
  /** For engagement conditions: this execution's tag and journey, and the customer's engagement. */
  engagement?: { journeyId: string; execution: string; events: readonly EngagementEvent[] };
}

/** The index of the first case that holds, or -1 for the default. */
export function firstMatchingCase(cases: readonly Condition[], scope: ConditionScope): number {
  return cases.findIndex((condition) => evaluateCondition(condition, scope));
}

export function evaluateCondition(condition: Condition, scope: ConditionScope): boolean {
  if ('all' in condition) return condition.all.every((inner) => evaluateCondition(inner, scope));
  if ('any' in condition) return condition.any.some((inner) => evaluateCondition(inner, scope));
  if ('not' in condition) return !evaluateCondition(condition.not, scope);
  if ('history' in condition) {
    const { event, within, filter, atLeast } = condition.history;
    const since = scope.now.getTime() - durationSeconds(within) * 1000;
    const pattern = filter === undefined ? undefined : { detail: toJsonObject(filter) };
    const count = scope.history.filter((entry) => {
      const time = Date.parse(entry.time);
      if (entry.detailType !== event || Number.isNaN(time) || time < since || time > scope.now.getTime())
        return false;
      return pattern === undefined || matchesPattern(pattern, { detail: entry.detail });
    }).length;
    return count >= atLeast;
  }
  if ('engagement' in condition) return engaged(condition, scope);
  return evaluateField(condition, scope);
}

/** True when the customer did `action` with this execution's message from `step`, within the window. */
function engaged(condition: EngagementCondition, scope: ConditionScope): boolean {
  const { step, action, within } = condition.engagement;
  const mine = scope.engagement;
  if (mine === undefined) return false;
  const now = scope.now.getTime();
  const since = now - durationSeconds(within) * 1000;
  return mine.events.some((event) => {
    const time = Date.parse(event.time);
    return (
      event.journeyId === mine.journeyId &&
      event.execution === mine.execution &&
      event.stepId === step &&
      event.action === action &&
      time >= since &&
      time <= now
    );
  });
}

function evaluateField(condition: FieldCondition, scope: ReferenceScope): boolean {
  const resolution = resolveReference(condition.field, scope);
  const present = resolution.found;
  const value = resolution.found ? resolution.value : undefined;
  if (condition.exists !== undefined) return present === condition.exists;
  if (condition.equals !== undefined) return present && sameJson(value, condition.equals);
  // An absent field is not equal to anything.
  if (condition.notEquals !== undefined) return !present || !sameJson(value, condition.notEquals);
  if (condition.in !== undefined) return present && condition.in.some((option) => sameJson(value, option));
  if (condition.greaterThan !== undefined) return typeof value === 'number' && value > condition.greaterThan;
  if (condition.greaterThanOrEqual !== undefined)
    return typeof value === 'number' && value >= condition.greaterThanOrEqual;
  if (condition.lessThan !== undefined) return typeof value === 'number' && value < condition.lessThan;
  if (condition.lessThanOrEqual !== undefined)
    return typeof value === 'number' && value <= condition.lessThanOrEqual;
  if (condition.startsWith !== undefined)
    return typeof value === 'string' && value.startsWith(condition.startsWith);
  if (condition.contains !== undefined) {
    const wanted = condition.contains;
    if (Array.isArray(value)) return value.some((item) => sameJson(item, wanted));
    return typeof value === 'string' && typeof wanted === 'string' && value.includes(wanted);
  }
  return false;
}

/** Deep equality of JSON values; numbers compare by value. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, index) => sameJson(item, b[index]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && sameJson(a[key], b[key]))
    );
  }
  return false;
}
