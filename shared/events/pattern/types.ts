/** The types, limits and guards every part of the pattern matcher shares. */
import type { JsonValue } from '../../json.ts';

export type { JsonValue };
/** An EventBridge event pattern (same object a CDK rule uses). */
export type EventPattern = { [key: string]: JsonValue };
export interface PatternProblem {
  /** JSON path inside the pattern, e.g. ['detail', 'price', 0, 'numeric'] */
  path: (string | number)[];
  /** What is wrong and what was expected, one sentence a marketer can act on. */
  message: string;
}

export type PathSegment = string | number;
export type JsonPrimitive = string | number | boolean | null;

/** A test on one event value; these are also the things `anything-but` can exclude. */
export type ValueTest =
  | { kind: 'exact'; value: JsonPrimitive }
  | { kind: 'prefix'; text: string; ignoreCase: boolean }
  | { kind: 'suffix'; text: string; ignoreCase: boolean }
  | { kind: 'equals-ignore-case'; text: string }
  /** The literal text between unescaped stars: `a*b` is ['a', 'b']. */
  | { kind: 'wildcard'; parts: readonly string[] };

export interface NumericBound {
  value: number;
  inclusive: boolean;
}

export interface IpNetwork {
  /** 4 bytes for IPv4, 16 for IPv6. */
  bytes: readonly number[];
  prefixLength: number;
}

export type Matcher =
  | ValueTest
  | { kind: 'anything-but'; excluded: readonly ValueTest[] }
  | { kind: 'numeric'; lower: NumericBound | undefined; upper: NumericBound | undefined }
  | { kind: 'exists'; exists: boolean }
  | { kind: 'cidr'; network: IpNetwork };

export type Rule =
  | { kind: 'leaf'; field: string; matchers: readonly Matcher[] }
  | { kind: 'nested'; field: string; pattern: CompiledPattern }
  | { kind: 'or'; alternatives: readonly CompiledPattern[] };

export interface CompiledPattern {
  rules: readonly Rule[];
}

export type CompileResult =
  { ok: true; pattern: CompiledPattern } | { ok: false; problems: PatternProblem[] };

export const OPERATORS = [
  'prefix',
  'suffix',
  'anything-but',
  'numeric',
  'exists',
  'equals-ignore-case',
  'wildcard',
  'cidr',
] as const;
export type OperatorName = (typeof OPERATORS)[number];

export const ANYTHING_BUT_OPERATORS = ['prefix', 'suffix', 'wildcard', 'equals-ignore-case'] as const;
export type AnythingButOperator = (typeof ANYTHING_BUT_OPERATORS)[number];

export const NUMERIC_COMPARISONS = ['=', '<', '<=', '>', '>='] as const;
export type NumericComparison = (typeof NUMERIC_COMPARISONS)[number];

/** PutRule's EventPattern parameter is capped at 4096 characters (the default quota is 2048, raisable to 4096). */
export const MAX_PATTERN_LENGTH = 4096;
/**
 * Not an EventBridge number: our own guard so validation of hostile input cannot exhaust the stack, set far above
 * anything a real rule needs.
 */
export const MAX_NESTING_DEPTH = 32;
/** The documented range of numeric matching. */
export const NUMERIC_LIMIT = 5e9;

export const OR_KEY = '$or';

// ---------------------------------------------------------------------------------------------------------------
// Small guards

export function isJsonPrimitive(value: unknown): value is JsonPrimitive {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

export function isOperatorName(value: string): value is OperatorName {
  return OPERATORS.some((name) => name === value);
}

export function isAnythingButOperator(value: string): value is AnythingButOperator {
  return ANYTHING_BUT_OPERATORS.some((name) => name === value);
}

export function isNumericComparison(value: unknown): value is NumericComparison {
  return NUMERIC_COMPARISONS.some((name) => name === value);
}
