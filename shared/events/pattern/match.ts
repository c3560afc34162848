/** Matching an event against a compiled pattern, as an event bus applies it. Never throws. */
import { isRecord, ownValue } from '../../json.ts';
import { foldCase, inNetwork, parseIpAddress, wildcardMatches } from './text.ts';
import {
  type CompiledPattern,
  isJsonPrimitive,
  type JsonPrimitive,
  type Matcher,
  type NumericBound,
  type Rule,
} from './types.ts';

// ---------------------------------------------------------------------------------------------------------------
// Matching

/** Event arrays are "crushed out" (any element may match), at any depth, as EventBridge does. */
export function flatten(value: unknown): unknown[] {
  if (!Array.isArray(value)) return [value];
  const items: unknown[] = [];
  // A stack instead of recursion: events can be deeper than the call stack.
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (!Array.isArray(item)) {
      items.push(item);
      continue;
    }
    // Pushed one by one: spreading a huge array into push() overflows the argument limit.
    for (const element of item) pending.push(element);
  }
  return items;
}

export function leafValues(value: unknown): JsonPrimitive[] {
  return flatten(value).filter(isJsonPrimitive);
}

export function numericInRange(
  lower: NumericBound | undefined,
  upper: NumericBound | undefined,
  value: number,
): boolean {
  if (lower !== undefined && (lower.inclusive ? value < lower.value : value <= lower.value)) return false;
  if (upper !== undefined && (upper.inclusive ? value > upper.value : value >= upper.value)) return false;
  return true;
}

export function matchesValue(matcher: Matcher, value: JsonPrimitive): boolean {
  switch (matcher.kind) {
    case 'exact':
      // Numbers compare by value (5 and 5.0 are the same JS number anyway); everything else by strict identity.
      return value === matcher.value;
    case 'prefix':
      return (
        typeof value === 'string' &&
        (matcher.ignoreCase
          ? foldCase(value).startsWith(foldCase(matcher.text))
          : value.startsWith(matcher.text))
      );
    case 'suffix':
      return (
        typeof value === 'string' &&
        (matcher.ignoreCase ? foldCase(value).endsWith(foldCase(matcher.text)) : value.endsWith(matcher.text))
      );
    case 'equals-ignore-case':
      return typeof value === 'string' && foldCase(value) === foldCase(matcher.text);
    case 'wildcard':
      return typeof value === 'string' && wildcardMatches(matcher.parts, value);
    case 'anything-but':
      return !matcher.excluded.some((test) => matchesValue(test, value));
    case 'numeric':
      return typeof value === 'number' && numericInRange(matcher.lower, matcher.upper, value);
    case 'exists':
      return matcher.exists;
    case 'cidr': {
      if (typeof value !== 'string') return false;
      const address = parseIpAddress(value);
      return address !== undefined && inNetwork(matcher.network, address);
    }
    default: {
      const exhaustive: never = matcher;
      return exhaustive;
    }
  }
}

export function matchesLeaf(matchers: readonly Matcher[], value: unknown): boolean {
  const values = leafValues(value);
  // A missing field (or one holding only objects) has no value to test: only {"exists": false} can match it.
  // This is also why anything-but does not match a missing field.
  if (values.length === 0) return matchers.some((matcher) => matcher.kind === 'exists' && !matcher.exists);
  return matchers.some((matcher) => values.some((candidate) => matchesValue(matcher, candidate)));
}

export function matchesNested(pattern: CompiledPattern, value: unknown): boolean {
  const objects = flatten(value).filter(isRecord);
  // With no object to descend into, every nested field is missing, which {"exists": false} still accepts.
  if (objects.length === 0) return matchesObject(pattern, {});
  // Each array element is tried on its own so fields from different elements are never combined.
  return objects.some((object) => matchesObject(pattern, object));
}

export function matchesRule(rule: Rule, event: Record<string, unknown>): boolean {
  switch (rule.kind) {
    case 'leaf':
      return matchesLeaf(rule.matchers, ownValue(event, rule.field));
    case 'nested':
      return matchesNested(rule.pattern, ownValue(event, rule.field));
    case 'or':
      return rule.alternatives.some((alternative) => matchesObject(alternative, event));
    default: {
      const exhaustive: never = rule;
      return exhaustive;
    }
  }
}

export function matchesObject(pattern: CompiledPattern, event: Record<string, unknown>): boolean {
  return pattern.rules.every((rule) => matchesRule(rule, event));
}

/** Matches an already compiled pattern; use with compilePattern when one pattern is tested against many events. */
export function matchesCompiled(pattern: CompiledPattern, event: unknown): boolean {
  try {
    return isRecord(event) && matchesObject(pattern, event);
  } catch {
    // Only non-JSON events (throwing getters, proxies) get here; the contract is a boolean, never an exception.
    return false;
  }
}
