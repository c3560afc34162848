/**
 * Amazon EventBridge event patterns: validation the way PutRule / TestEventPattern accept them, and matching the
 * way an event bus applies them. Semantics follow the EventBridge user guide ("Creating event patterns",
 * "Comparison operators for use in event patterns", "Arrays in event patterns", "Matching null values") and the
 * README of EventBridge's open-source matching engine (aws/event-ruler). Pure functions, no dependencies.
 *
 * Patterns are compiled once into a small typed tree (discriminated unions) so that matching never has to re-check
 * the shape of the JSON it was given.
 */

import { closest } from '../text/suggest.ts';

import { isRecord, type JsonValue, ownValue } from '../json.ts';

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

const ANYTHING_BUT_OPERATORS = ['prefix', 'suffix', 'wildcard', 'equals-ignore-case'] as const;
type AnythingButOperator = (typeof ANYTHING_BUT_OPERATORS)[number];

const NUMERIC_COMPARISONS = ['=', '<', '<=', '>', '>='] as const;
type NumericComparison = (typeof NUMERIC_COMPARISONS)[number];

/** PutRule's EventPattern parameter is capped at 4096 characters (the default quota is 2048, raisable to 4096). */
export const MAX_PATTERN_LENGTH = 4096;
/**
 * Not an EventBridge number: our own guard so validation of hostile input cannot exhaust the stack, set far above
 * anything a real rule needs.
 */
export const MAX_NESTING_DEPTH = 32;
/** The documented range of numeric matching. */
export const NUMERIC_LIMIT = 5e9;

const OR_KEY = '$or';

// ---------------------------------------------------------------------------------------------------------------
// Small guards

function isJsonPrimitive(value: unknown): value is JsonPrimitive {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

function isOperatorName(value: string): value is OperatorName {
  return OPERATORS.some((name) => name === value);
}

function isAnythingButOperator(value: string): value is AnythingButOperator {
  return ANYTHING_BUT_OPERATORS.some((name) => name === value);
}

function isNumericComparison(value: unknown): value is NumericComparison {
  return NUMERIC_COMPARISONS.some((name) => name === value);
}

// ---------------------------------------------------------------------------------------------------------------
// "Did you mean" hints

function unknownOperatorMessage(name: string, field: string, candidates: readonly string[]): string {
  const hint = closest(name, candidates);
  const where = field === '' ? '' : ` in "${field}"`;
  return hint === undefined
    ? `"${name}" is not an EventBridge operator${where}; use one of ${candidates.join(', ')}.`
    : `"${name}" is not an EventBridge operator${where}; did you mean "${hint}"?`;
}

// ---------------------------------------------------------------------------------------------------------------
// Text helpers used by both validation and matching

type WildcardParse =
  { ok: true; parts: string[] } | { ok: false; reason: 'consecutive-stars' | 'bad-escape' };

/**
 * Splits a wildcard on unescaped stars. EventBridge rejects `**` and any backslash that does not escape `*` or `\`,
 * so those are reported rather than guessed at.
 */
export function parseWildcard(text: string): WildcardParse {
  const parts: string[] = [];
  let current = '';
  let previousWasStar = false;
  let index = 0;
  while (index < text.length) {
    const char = text[index] ?? '';
    if (char === '\\') {
      const escaped = text[index + 1];
      if (escaped !== '*' && escaped !== '\\') return { ok: false, reason: 'bad-escape' };
      current += escaped;
      previousWasStar = false;
      index += 2;
      continue;
    }
    if (char === '*') {
      if (previousWasStar) return { ok: false, reason: 'consecutive-stars' };
      parts.push(current);
      current = '';
      previousWasStar = true;
    } else {
      current += char;
      previousWasStar = false;
    }
    index += 1;
  }
  parts.push(current);
  return { ok: true, parts };
}

/**
 * Glob matching with stars only. Taking the leftmost occurrence of each middle part is always safe, which keeps
 * this linear-ish instead of the exponential backtracking a naive regex could fall into.
 */
export function wildcardMatches(parts: readonly string[], value: string): boolean {
  const first = parts[0] ?? '';
  if (parts.length === 1) return value === first;
  const last = parts[parts.length - 1] ?? '';
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  const end = value.length - last.length;
  let position = first.length;
  for (const part of parts.slice(1, -1)) {
    const found = value.indexOf(part, position);
    if (found < 0 || found + part.length > end) return false;
    position = found + part.length;
  }
  return true;
}

function foldCase(text: string): string {
  return text.toLowerCase();
}

function parseIpv4(text: string): number[] | undefined {
  const pieces = text.split('.');
  if (pieces.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const piece of pieces) {
    if (!/^\d{1,3}$/.test(piece)) return undefined;
    const byte = Number(piece);
    if (byte > 255) return undefined;
    bytes.push(byte);
  }
  return bytes;
}

function parseIpv6Groups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  for (const piece of text.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
    groups.push(Number.parseInt(piece, 16));
  }
  return groups;
}

function parseIpv6(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseIpv6Groups(halves[0] ?? '');
  if (head === undefined) return undefined;
  let groups: number[];
  if (halves.length === 1) {
    if (head.length !== 8) return undefined;
    groups = head;
  } else {
    const tail = parseIpv6Groups(halves[1] ?? '');
    if (tail === undefined || head.length + tail.length > 7) return undefined;
    groups = [...head, ...Array.from({ length: 8 - head.length - tail.length }, () => 0), ...tail];
  }
  return groups.flatMap((group) => [group >> 8, group & 0xff]);
}

/** IPv4 dotted quads or IPv6 hex groups; zone ids and dotted IPv6 tails are not accepted. */
export function parseIpAddress(text: string): number[] | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

export function parseCidr(text: string): IpNetwork | undefined {
  const pieces = text.split('/');
  if (pieces.length !== 2) return undefined;
  const [address = '', length = ''] = pieces;
  if (!/^\d{1,3}$/.test(length)) return undefined;
  const bytes = parseIpAddress(address);
  if (bytes === undefined) return undefined;
  const prefixLength = Number(length);
  if (prefixLength > bytes.length * 8) return undefined;
  return { bytes, prefixLength };
}

function inNetwork(network: IpNetwork, address: readonly number[]): boolean {
  if (address.length !== network.bytes.length) return false;
  for (let bit = 0; bit < network.prefixLength; bit += 8) {
    const byteIndex = bit / 8;
    const bitsHere = Math.min(8, network.prefixLength - bit);
    const mask = (0xff << (8 - bitsHere)) & 0xff;
    if (((address[byteIndex] ?? 0) & mask) !== ((network.bytes[byteIndex] ?? 0) & mask)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Compilation (validation)

interface Where {
  path: PathSegment[];
  /** Dotted field name for messages, e.g. "detail.state". */
  field: string;
}

type Report = (path: PathSegment[], message: string) => void;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the text ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isRecord(value)) return 'an object';
  return 'a value that is not JSON';
}

function childField(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * Validates and compiles a pattern. Never throws: anything unexpected in the input becomes a problem.
 */
export function compilePattern(pattern: unknown): CompileResult {
  const problems: PatternProblem[] = [];
  const report: Report = (path, message) => {
    problems.push({ path, message });
  };
  try {
    if (!isRecord(pattern)) {
      report([], 'The event pattern must be a JSON object, for example {"source": ["my.app"]}.');
      return { ok: false, problems };
    }
    if (Object.keys(pattern).length === 0) {
      report(
        [],
        'The event pattern is empty; add at least one field to match, for example "source": ["my.app"].',
      );
      return { ok: false, problems };
    }
    const compiled = compileObject(pattern, { path: [], field: '' }, 1, report);
    const length = serializedLength(pattern);
    if (length !== undefined && length > MAX_PATTERN_LENGTH) {
      report(
        [],
        `The event pattern is ${length} characters long but EventBridge accepts at most ${MAX_PATTERN_LENGTH}; remove some fields or values.`,
      );
    }
    return compiled !== undefined && problems.length === 0
      ? { ok: true, pattern: compiled }
      : { ok: false, problems };
  } catch {
    // Only reachable with non-JSON input such as throwing getters; callers were promised no exceptions.
    return {
      ok: false,
      problems: [{ path: [], message: 'The event pattern could not be read; provide plain JSON.' }],
    };
  }
}

/** JSON.stringify throws on very deep input and returns undefined for non-JSON; both just mean "unknown" here. */
function safeJson(value: unknown): string | undefined {
  try {
    const text: string | undefined = JSON.stringify(value);
    return text;
  } catch {
    return undefined;
  }
}

function serializedLength(value: unknown): number | undefined {
  return safeJson(value)?.length;
}

function compileObject(
  object: Record<string, unknown>,
  where: Where,
  depth: number,
  report: Report,
): CompiledPattern | undefined {
  if (depth > MAX_NESTING_DEPTH) {
    report(
      where.path,
      `"${where.field}" is nested more than ${MAX_NESTING_DEPTH} levels deep; flatten the pattern so it is easier to read and accepted.`,
    );
    return undefined;
  }
  const rules: Rule[] = [];
  let valid = true;
  for (const key of Object.keys(object)) {
    const rule = compileRule(key, object[key], where, depth, report);
    if (rule === undefined) valid = false;
    else rules.push(rule);
  }
  return valid ? { rules } : undefined;
}

function compileRule(
  key: string,
  value: unknown,
  parent: Where,
  depth: number,
  report: Report,
): Rule | undefined {
  const where: Where = {
    path: [...parent.path, key],
    field: key === OR_KEY ? parent.field : childField(parent.field, key),
  };
  if (key === OR_KEY) return compileOr(value, where, depth, report);
  if (Array.isArray(value)) {
    const matchers = compileLeaf(value, where, report);
    return matchers === undefined ? undefined : { kind: 'leaf', field: key, matchers };
  }
  if (isRecord(value) && isOperatorName(key)) {
    // Compiled once, its problems held back: {"state": {"prefix": "x"}} is almost always a forgotten
    // list, and that explanation replaces the nested errors. (Compiling twice, to test and then to
    // report, doubled the work at every level of nested operator-named keys.)
    const held: Parameters<Report>[] = [];
    const pattern =
      Object.keys(value).length === 0
        ? undefined
        : compileObject(value, where, depth + 1, (...problem) => held.push(problem));
    if (pattern === undefined || held.length > 0) {
      reportUnwrappedOperator(key, value, parent, where, report);
      return undefined;
    }
    return { kind: 'nested', field: key, pattern };
  }
  if (isRecord(value)) {
    if (Object.keys(value).length === 0) {
      report(
        where.path,
        `"${where.field}" is an empty object; add a field to match inside it, or remove it.`,
      );
      return undefined;
    }
    const pattern = compileObject(value, where, depth + 1, report);
    return pattern === undefined ? undefined : { kind: 'nested', field: key, pattern };
  }
  if (isOperatorName(key)) {
    reportUnwrappedOperator(key, value, parent, where, report);
    return undefined;
  }
  const example = isJsonPrimitive(value) ? JSON.stringify(value) : '"value"';
  report(
    where.path,
    `"${where.field}" must be a list of allowed values in square brackets, for example "${key}": [${example}].`,
  );
  return undefined;
}

function reportUnwrappedOperator(
  key: string,
  value: unknown,
  parent: Where,
  where: Where,
  report: Report,
): void {
  const owner = parent.field === '' ? 'field' : parent.field;
  report(
    where.path,
    `"${key}" is a matching operator, so it must sit inside a list: write "${owner}": [{"${key}": ${safeJson(value) ?? '...'}}].`,
  );
}

function compileOr(value: unknown, where: Where, depth: number, report: Report): Rule | undefined {
  const scope = where.field === '' ? '' : ` in "${where.field}"`;
  if (!Array.isArray(value)) {
    report(
      where.path,
      `"$or"${scope} must be a list of at least two alternative patterns, for example "$or": [{"a": ["x"]}, {"b": ["y"]}].`,
    );
    return undefined;
  }
  if (value.length < 2) {
    report(
      where.path,
      `"$or"${scope} needs at least two alternatives but has ${value.length}; add another alternative or remove "$or".`,
    );
    return undefined;
  }
  const alternatives: CompiledPattern[] = [];
  let valid = true;
  value.forEach((alternative: unknown, index) => {
    const path = [...where.path, index];
    if (!isRecord(alternative)) {
      report(
        path,
        `Each "$or" alternative${scope} must be an object of fields, like {"state": ["running"]}.`,
      );
      valid = false;
      return;
    }
    if (Object.keys(alternative).length === 0) {
      report(path, `This "$or" alternative${scope} is empty; add at least one field to match.`);
      valid = false;
      return;
    }
    const compiled = compileObject(alternative, { path, field: where.field }, depth + 1, report);
    if (compiled === undefined) valid = false;
    else alternatives.push(compiled);
  });
  return valid ? { kind: 'or', alternatives } : undefined;
}

function compileLeaf(values: readonly unknown[], where: Where, report: Report): Matcher[] | undefined {
  if (values.length === 0) {
    report(where.path, `"${where.field}" has an empty list, which can never match; add at least one value.`);
    return undefined;
  }
  const matchers: Matcher[] = [];
  let valid = true;
  values.forEach((value: unknown, index) => {
    const path = [...where.path, index];
    let matcher: Matcher | undefined;
    if (isJsonPrimitive(value)) {
      matcher = { kind: 'exact', value };
    } else if (isRecord(value)) {
      matcher = compileMatcher(value, { path, field: where.field }, report);
    } else if (Array.isArray(value)) {
      report(path, `"${where.field}" has a list inside its list; put all allowed values in one flat list.`);
    } else {
      report(
        path,
        `"${where.field}" contains ${describe(value)}; use text, a number, true, false, null or an operator object.`,
      );
    }
    if (matcher === undefined) valid = false;
    else matchers.push(matcher);
  });
  return valid ? matchers : undefined;
}

function compileMatcher(object: Record<string, unknown>, where: Where, report: Report): Matcher | undefined {
  const keys = Object.keys(object);
  const [name] = keys;
  if (name === undefined) {
    report(
      where.path,
      `An empty {} in "${where.field}" matches nothing; use an operator such as {"prefix": "..."} or remove it.`,
    );
    return undefined;
  }
  if (keys.length > 1) {
    const listed = keys.map((key) => `"${key}"`).join(' and ');
    report(
      where.path,
      `Only one operator is allowed per {...} in "${where.field}" but found ${listed}; put each in its own {...} (entries of a list are alternatives).`,
    );
    return undefined;
  }
  const value = object[name];
  const inner: Where = { path: [...where.path, name], field: where.field };
  if (name === OR_KEY) {
    report(
      inner.path,
      `"$or" cannot be used inside the value list of "${where.field}"; put it in the object next to the fields it combines.`,
    );
    return undefined;
  }
  if (!isOperatorName(name)) {
    report(inner.path, unknownOperatorMessage(name, where.field, OPERATORS));
    return undefined;
  }
  return compileOperator(name, value, inner, report);
}

function compileOperator(
  name: OperatorName,
  value: unknown,
  where: Where,
  report: Report,
): Matcher | undefined {
  switch (name) {
    case 'prefix':
    case 'suffix':
      return compileAffix(name, value, where, report);
    case 'equals-ignore-case': {
      const text = requireText(name, value, where, report);
      return text === undefined ? undefined : { kind: 'equals-ignore-case', text };
    }
    case 'wildcard': {
      const text = requireText(name, value, where, report);
      if (text === undefined) return undefined;
      const parts = compileWildcard(text, where, report);
      return parts === undefined ? undefined : { kind: 'wildcard', parts };
    }
    case 'anything-but':
      return compileAnythingBut(value, where, report);
    case 'numeric':
      return compileNumeric(value, where, report);
    case 'exists':
      if (typeof value !== 'boolean') {
        report(where.path, `"exists" in "${where.field}" must be true or false (without quotes).`);
        return undefined;
      }
      return { kind: 'exists', exists: value };
    case 'cidr':
      return compileCidr(value, where, report);
    default: {
      const exhaustive: never = name;
      return exhaustive;
    }
  }
}

function requireText(name: string, value: unknown, where: Where, report: Report): string | undefined {
  if (typeof value === 'string') return value;
  report(
    where.path,
    `"${name}" in "${where.field}" needs a text value in quotes, for example {"${name}": "abc"}, not ${describe(value)}.`,
  );
  return undefined;
}

function compileAffix(
  name: 'prefix' | 'suffix',
  value: unknown,
  where: Where,
  report: Report,
): Matcher | undefined {
  if (typeof value === 'string') return { kind: name, text: value, ignoreCase: false };
  if (!isRecord(value)) {
    report(
      where.path,
      `"${name}" in "${where.field}" needs a text value, for example {"${name}": "abc"} or {"${name}": {"equals-ignore-case": "abc"}}.`,
    );
    return undefined;
  }
  const keys = Object.keys(value);
  const [key] = keys;
  if (keys.length !== 1 || key === undefined) {
    report(
      where.path,
      `"${name}" in "${where.field}" accepts exactly one option, {"equals-ignore-case": "abc"}, when given an object.`,
    );
    return undefined;
  }
  if (key !== 'equals-ignore-case') {
    report([...where.path, key], unknownOperatorMessage(key, where.field, ['equals-ignore-case']));
    return undefined;
  }
  const text = requireText(key, value[key], { path: [...where.path, key], field: where.field }, report);
  return text === undefined ? undefined : { kind: name, text, ignoreCase: true };
}

function compileWildcard(text: string, where: Where, report: Report): string[] | undefined {
  const parsed = parseWildcard(text);
  if (parsed.ok) return parsed.parts;
  switch (parsed.reason) {
    case 'consecutive-stars':
      report(
        where.path,
        `The wildcard ${JSON.stringify(text)} in "${where.field}" has two * in a row, which EventBridge rejects; use a single *.`,
      );
      return undefined;
    case 'bad-escape':
      report(
        where.path,
        `The wildcard ${JSON.stringify(text)} in "${where.field}" has a backslash that does not escape * or another backslash; remove it or double it.`,
      );
      return undefined;
    default: {
      const exhaustive: never = parsed.reason;
      return exhaustive;
    }
  }
}

function compileAnythingBut(value: unknown, where: Where, report: Report): Matcher | undefined {
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) {
    return { kind: 'anything-but', excluded: [{ kind: 'exact', value }] };
  }
  if (Array.isArray(value)) return compileAnythingButList(value, where, report);
  if (isRecord(value)) return compileAnythingButObject(value, where, report);
  report(
    where.path,
    `"anything-but" in "${where.field}" needs text, a number, a list of texts or of numbers, or an object such as {"prefix": "init"}, not ${describe(value)}.`,
  );
  return undefined;
}

function compileAnythingButList(
  values: readonly unknown[],
  where: Where,
  report: Report,
): Matcher | undefined {
  if (values.length === 0) {
    report(where.path, `"anything-but" in "${where.field}" has an empty list; add the values to exclude.`);
    return undefined;
  }
  // The documented rule: a list holds only strings or only numbers, decided by its first entry.
  const expected = typeof values[0] === 'number' ? 'number' : 'string';
  const excluded: ValueTest[] = [];
  values.forEach((entry: unknown, index) => {
    if (
      (expected === 'number' && typeof entry === 'number' && Number.isFinite(entry)) ||
      (expected === 'string' && typeof entry === 'string')
    ) {
      excluded.push({ kind: 'exact', value: entry });
      return;
    }
    report(
      [...where.path, index],
      `"anything-but" lists in "${where.field}" must hold only texts or only numbers, but this entry is ${describe(entry)}.`,
    );
  });
  return excluded.length === values.length ? { kind: 'anything-but', excluded } : undefined;
}

function compileAnythingButObject(
  object: Record<string, unknown>,
  where: Where,
  report: Report,
): Matcher | undefined {
  const keys = Object.keys(object);
  const [name] = keys;
  const supported = ANYTHING_BUT_OPERATORS.join(', ');
  if (name === undefined || keys.length > 1) {
    report(
      where.path,
      `"anything-but" in "${where.field}" takes an object with exactly one of ${supported}, for example {"anything-but": {"prefix": "init"}}.`,
    );
    return undefined;
  }
  const inner: Where = { path: [...where.path, name], field: where.field };
  const value = object[name];
  if (!isAnythingButOperator(name)) {
    const message = isOperatorName(name)
      ? `"${name}" cannot be used inside "anything-but" in "${where.field}"; use one of ${supported}.`
      : unknownOperatorMessage(name, where.field, ANYTHING_BUT_OPERATORS);
    report(inner.path, message);
    return undefined;
  }
  switch (name) {
    case 'prefix':
    case 'suffix': {
      if (typeof value !== 'string') {
        report(
          inner.path,
          `"anything-but" accepts a single "${name}" text in "${where.field}", for example {"anything-but": {"${name}": "abc"}}, not ${describe(value)}.`,
        );
        return undefined;
      }
      return { kind: 'anything-but', excluded: [{ kind: name, text: value, ignoreCase: false }] };
    }
    case 'equals-ignore-case': {
      const texts = textOrTextList(name, value, inner, report);
      return texts === undefined
        ? undefined
        : { kind: 'anything-but', excluded: texts.map((text) => ({ kind: 'equals-ignore-case', text })) };
    }
    case 'wildcard': {
      const texts = textOrTextList(name, value, inner, report);
      if (texts === undefined) return undefined;
      const excluded: ValueTest[] = [];
      texts.forEach((text, index) => {
        const path = Array.isArray(value) ? [...inner.path, index] : inner.path;
        const parts = compileWildcard(text, { path, field: where.field }, report);
        if (parts !== undefined) excluded.push({ kind: 'wildcard', parts });
      });
      return excluded.length === texts.length ? { kind: 'anything-but', excluded } : undefined;
    }
    default: {
      const exhaustive: never = name;
      return exhaustive;
    }
  }
}

function textOrTextList(name: string, value: unknown, where: Where, report: Report): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((entry) => typeof entry === 'string')) {
    return value.filter((entry): entry is string => typeof entry === 'string');
  }
  report(
    where.path,
    `"${name}" inside "anything-but" in "${where.field}" needs a text or a non-empty list of texts, not ${describe(value)}.`,
  );
  return undefined;
}

interface Comparison {
  comparison: NumericComparison;
  operand: number;
}

function compileNumeric(value: unknown, where: Where, report: Report): Matcher | undefined {
  const example = 'such as [">", 0, "<=", 5] or ["=", 100]';
  if (!Array.isArray(value) || value.length === 0) {
    report(where.path, `"numeric" in "${where.field}" needs a list of comparisons ${example}.`);
    return undefined;
  }
  if (value.length > 4) {
    report(
      where.path,
      `"numeric" in "${where.field}" takes at most one lower and one upper bound, ${example}, but has ${value.length} entries.`,
    );
    return undefined;
  }
  const comparisons: Comparison[] = [];
  for (let index = 0; index < value.length; index += 2) {
    const comparison = readComparison(value, index, where, report);
    if (comparison !== undefined) comparisons.push(comparison);
  }
  if (comparisons.length * 2 < value.length) return undefined;
  return combineComparisons(comparisons, where, report);
}

/** Reads one ["op", number] pair starting at `index`. */
function readComparison(
  list: readonly unknown[],
  index: number,
  where: Where,
  report: Report,
): Comparison | undefined {
  const comparison: unknown = list[index];
  const operand: unknown = list[index + 1];
  if (!isNumericComparison(comparison)) {
    report(
      [...where.path, index],
      `${describe(comparison)} is not a numeric comparison in "${where.field}"; use one of "=", "<", "<=", ">", ">=".`,
    );
    return undefined;
  }
  if (typeof operand !== 'number' || !Number.isFinite(operand)) {
    const found = index + 1 < list.length ? `, not ${describe(operand)} (remove any quotes)` : '';
    report(
      [...where.path, index + 1],
      `The comparison "${comparison}" in "${where.field}" must be followed by a number${found}.`,
    );
    return undefined;
  }
  if (Math.abs(operand) > NUMERIC_LIMIT) {
    report(
      [...where.path, index + 1],
      `${operand} in "${where.field}" is outside the range EventBridge can compare, -5,000,000,000 to 5,000,000,000.`,
    );
    return undefined;
  }
  return { comparison, operand };
}

/** Turns one or two comparisons into a range: "=" stands alone, otherwise at most one bound per side. */
function combineComparisons(
  comparisons: readonly Comparison[],
  where: Where,
  report: Report,
): Matcher | undefined {
  const [first, second] = comparisons;
  if (first === undefined) return undefined;
  if (first.comparison === '=' || second?.comparison === '=') {
    if (second !== undefined) {
      report(
        where.path,
        `"=" cannot be combined with other comparisons in "${where.field}"; use ["=", n] on its own or a range like [">=", a, "<=", b].`,
      );
      return undefined;
    }
    const exact: NumericBound = { value: first.operand, inclusive: true };
    return { kind: 'numeric', lower: exact, upper: exact };
  }
  const lowers = comparisons.filter((entry) => entry.comparison.startsWith('>'));
  const uppers = comparisons.filter((entry) => entry.comparison.startsWith('<'));
  for (const [side, entries] of [
    ['lower', lowers],
    ['upper', uppers],
  ] as const) {
    if (entries.length > 1) {
      const names = entries.map((entry) => `"${entry.comparison}"`).join(' and ');
      report(
        where.path,
        `"numeric" in "${where.field}" has two ${side} bounds (${names}); keep one lower and at most one upper bound.`,
      );
      return undefined;
    }
  }
  const toBound = (entry: Comparison | undefined): NumericBound | undefined =>
    entry === undefined ? undefined : { value: entry.operand, inclusive: entry.comparison.endsWith('=') };
  const lower = toBound(lowers[0]);
  const upper = toBound(uppers[0]);
  if (lower !== undefined && upper !== undefined && isEmptyRange(lower, upper)) {
    report(
      where.path,
      `The range in "${where.field}" can never match because its lower bound ${lower.value} is not below its upper bound ${upper.value}.`,
    );
    return undefined;
  }
  return { kind: 'numeric', lower, upper };
}

function isEmptyRange(lower: NumericBound, upper: NumericBound): boolean {
  if (lower.value > upper.value) return true;
  return lower.value === upper.value && !(lower.inclusive && upper.inclusive);
}

function compileCidr(value: unknown, where: Where, report: Report): Matcher | undefined {
  const example =
    'an address and prefix length such as "10.0.0.0/24" (IPv4, 0-32) or "2001:db8::/32" (IPv6, 0-128)';
  if (typeof value !== 'string') {
    report(where.path, `"cidr" in "${where.field}" needs ${example}, not ${describe(value)}.`);
    return undefined;
  }
  const network = parseCidr(value);
  if (network === undefined) {
    report(
      where.path,
      `${JSON.stringify(value)} in "${where.field}" is not a valid IP range; use ${example}.`,
    );
    return undefined;
  }
  return { kind: 'cidr', network };
}

// ---------------------------------------------------------------------------------------------------------------
// Matching

/** Event arrays are "crushed out" (any element may match), at any depth, as EventBridge does. */
function flatten(value: unknown): unknown[] {
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

function leafValues(value: unknown): JsonPrimitive[] {
  return flatten(value).filter(isJsonPrimitive);
}

function numericInRange(
  lower: NumericBound | undefined,
  upper: NumericBound | undefined,
  value: number,
): boolean {
  if (lower !== undefined && (lower.inclusive ? value < lower.value : value <= lower.value)) return false;
  if (upper !== undefined && (upper.inclusive ? value > upper.value : value >= upper.value)) return false;
  return true;
}

function matchesValue(matcher: Matcher, value: JsonPrimitive): boolean {
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

function matchesLeaf(matchers: readonly Matcher[], value: unknown): boolean {
  const values = leafValues(value);
  // A missing field (or one holding only objects) has no value to test: only {"exists": false} can match it.
  // This is also why anything-but does not match a missing field.
  if (values.length === 0) return matchers.some((matcher) => matcher.kind === 'exists' && !matcher.exists);
  return matchers.some((matcher) => values.some((candidate) => matchesValue(matcher, candidate)));
}

function matchesNested(pattern: CompiledPattern, value: unknown): boolean {
  const objects = flatten(value).filter(isRecord);
  // With no object to descend into, every nested field is missing, which {"exists": false} still accepts.
  if (objects.length === 0) return matchesObject(pattern, {});
  // Each array element is tried on its own so fields from different elements are never combined.
  return objects.some((object) => matchesObject(pattern, object));
}

function matchesRule(rule: Rule, event: Record<string, unknown>): boolean {
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

function matchesObject(pattern: CompiledPattern, event: Record<string, unknown>): boolean {
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
