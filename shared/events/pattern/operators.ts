/** The comparison operators of a pattern, compiled: prefix and suffix, wildcard, anything-but, numeric, cidr. */
import { isRecord } from '../../json.ts';
import { describe, type Report, requireText, unknownOperatorMessage, type Where } from './compile-support.ts';
import { parseCidr, parseWildcard } from './text.ts';
import {
  ANYTHING_BUT_OPERATORS,
  isAnythingButOperator,
  isNumericComparison,
  type Matcher,
  type NumericBound,
  type NumericComparison,
  NUMERIC_LIMIT,
  isOperatorName,
  type ValueTest,
} from './types.ts';

export function compileAffix(
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

export function compileWildcard(text: string, where: Where, report: Report): string[] | undefined {
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

export function compileAnythingBut(value: unknown, where: Where, report: Report): Matcher | undefined {
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

export function compileAnythingButList(
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

export function compileAnythingButObject(
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

export function textOrTextList(
  name: string,
  value: unknown,
  where: Where,
  report: Report,
): string[] | undefined {
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

export interface Comparison {
  comparison: NumericComparison;
  operand: number;
}

export function compileNumeric(value: unknown, where: Where, report: Report): Matcher | undefined {
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
export function readComparison(
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
export function combineComparisons(
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

export function isEmptyRange(lower: NumericBound, upper: NumericBound): boolean {
  if (lower.value > upper.value) return true;
  return lower.value === upper.value && !(lower.inclusive && upper.inclusive);
}

export function compileCidr(value: unknown, where: Where, report: Report): Matcher | undefined {
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
