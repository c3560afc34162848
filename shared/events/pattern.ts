/**
 * Amazon EventBridge event patterns: validation the way PutRule / TestEventPattern accept them, and matching the
 * way an event bus applies them. Semantics follow the EventBridge user guide ("Creating event patterns",
 * "Comparison operators for use in event patterns", "Arrays in event patterns", "Matching null values") and the
 * README of EventBridge's open-source matching engine (aws/event-ruler). Pure functions, no dependencies.
 *
 * Patterns are compiled once into a small typed tree (discriminated unions) so that matching never has to re-check
 * the shape of the JSON it was given. The parts, in pattern/: types.ts (the tree and the limits), compile.ts and
 * operators.ts (validation), match.ts (matching), text.ts (wildcards, case, IP addresses).
 */
import { compilePattern } from './pattern/compile.ts';
import { matchesCompiled } from './pattern/match.ts';
import type { CompileResult, EventPattern, PatternProblem } from './pattern/types.ts';

export { compilePattern } from './pattern/compile.ts';
export { matchesCompiled } from './pattern/match.ts';
export { parseCidr, parseIpAddress, parseWildcard, wildcardMatches } from './pattern/text.ts';
export * from './pattern/types.ts';

// ---------------------------------------------------------------------------------------------------------------
// Public entry points

/** Returns [] when the pattern is valid the way EventBridge's PutRule/TestEventPattern would accept it. Never throws on any input (unknown). */
export function validatePattern(pattern: unknown): PatternProblem[] {
  const result = compilePattern(pattern);
  return result.ok ? [] : result.problems;
}

// Patterns come from journeys and rules that live as long as the process: each is compiled once.
const compiled = new WeakMap<EventPattern, CompileResult>();

/** True when the event matches. Assumes a valid pattern (an invalid one matches nothing). Never throws. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  let result = compiled.get(pattern);
  if (result === undefined) {
    result = compilePattern(pattern);
    compiled.set(pattern, result);
  }
  return result.ok && matchesCompiled(result.pattern, event);
}
