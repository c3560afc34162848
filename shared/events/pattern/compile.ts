/** Validation and compilation of a pattern into the typed tree the matcher walks. Never throws. */
import { isRecord } from '../../json.ts';
import {
  childField,
  describe,
  type Report,
  requireText,
  unknownOperatorMessage,
  type Where,
} from './compile-support.ts';
import {
  compileAffix,
  compileAnythingBut,
  compileCidr,
  compileNumeric,
  compileWildcard,
} from './operators.ts';
import {
  type CompiledPattern,
  type CompileResult,
  isJsonPrimitive,
  isOperatorName,
  type Matcher,
  MAX_NESTING_DEPTH,
  MAX_PATTERN_LENGTH,
  type OperatorName,
  OPERATORS,
  OR_KEY,
  type PatternProblem,
  type Rule,
} from './types.ts';

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
export function safeJson(value: unknown): string | undefined {
  try {
    const text: string | undefined = JSON.stringify(value);
    return text;
  } catch {
    return undefined;
  }
}

export function serializedLength(value: unknown): number | undefined {
  return safeJson(value)?.length;
}

export function compileObject(
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

export function compileRule(
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

export function reportUnwrappedOperator(
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

export function compileOr(value: unknown, where: Where, depth: number, report: Report): Rule | undefined {
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

export function compileLeaf(values: readonly unknown[], where: Where, report: Report): Matcher[] | undefined {
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

export function compileMatcher(
  object: Record<string, unknown>,
  where: Where,
  report: Report,
): Matcher | undefined {
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

export function compileOperator(
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
