/**
 * A made-up example detail a schema accepts, for event files imported from the
 * Schema Registry (exports carry none). The team replaces it with a real one.
 */
import { format as formats } from '@cfworker/json-schema';
import { isRecord, setOwn } from '../json.ts';
import { type JsonType, resolveLocalRef, TYPE_ORDER } from './json-schema.ts';
import { catastrophicPart } from './regex-safety.ts';

/** Strings for the formats validators check, each one the format accepts. */
const FORMAT_EXAMPLES: Readonly<Record<string, string>> = {
  'date-time': '2025-01-01T09:00:00Z',
  date: '2025-01-01',
  time: '09:00:00Z',
  duration: 'P1D',
  email: 'someone@example.com',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  'uri-reference': 'https://example.com/',
  'uri-template': 'https://example.com/{id}',
  hostname: 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  uuid: '123e4567-e89b-42d3-a456-426614174000',
  regex: '.*',
  'json-pointer': '/example',
  'relative-json-pointer': '0',
};

/** Tried in turn against a `pattern` when the field's own placeholder does not match it. */
const PLACEHOLDERS = ['example', 'EXAMPLE', 'Example', 'abc', 'ABC', 'a', 'A', '1', '123', 'a1', 'A1', 'USD'];

/** Deep enough for any real detail; a schema that contains itself stops here. */
const MAX_DEPTH = 12;

/**
 * One detail the schema accepts: every declared property (required or not, so the panel shows them
 * all), enums' first value, a known format's sample, a placeholder string that fits the pattern and
 * lengths, a number within the bounds, one element per array. `undefined` from a part means nothing
 * could be made there (a recursion cut off); the caller then leaves an optional field out.
 */
export function synthesizeExample(schema: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const example = exampleOf({ root: schema, refs: [], depth: 0 }, schema, 'detail');
  return isRecord(example) ? example : {};
}

/** Where the walk is: the schema's root (for `$ref`), the refs it is inside, how deep. */
interface Walk {
  readonly root: Readonly<Record<string, unknown>>;
  readonly refs: readonly string[];
  readonly depth: number;
}

function exampleOf(walk: Walk, node: unknown, name: string): unknown {
  if (node === true) return null;
  if (!isRecord(node) || walk.depth > MAX_DEPTH) return undefined;
  const ref = node.$ref;
  if (typeof ref === 'string') {
    if (walk.refs.includes(ref)) return undefined;
    return exampleOf({ ...walk, refs: [...walk.refs, ref] }, resolveLocalRef(walk.root, ref), name);
  }
  if (Object.hasOwn(node, 'const')) return structuredClone(node.const);
  if (Array.isArray(node.enum) && node.enum.length > 0) return structuredClone(node.enum[0]);
  const nested: Walk = { ...walk, depth: walk.depth + 1 };
  if (Array.isArray(node.allOf)) {
    const own = typeOf(node) === 'object' ? objectExample(nested, node) : undefined;
    const parts = [own, ...node.allOf.map((part) => exampleOf(nested, part, name))];
    const objects = parts.filter(isRecord);
    if (objects.length === 0) return parts.find((part) => part !== undefined);
    const merged: Record<string, unknown> = {};
    for (const part of objects) for (const [key, value] of Object.entries(part)) setOwn(merged, key, value);
    return merged;
  }
  const alternatives = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : [];
  for (const alternative of alternatives) {
    const value = exampleOf(nested, alternative, name);
    if (value !== undefined) return value;
  }
  const type = typeOf(node);
  switch (type) {
    case 'object':
      return objectExample(nested, node);
    case 'array':
      return arrayExample(nested, node, name);
    case 'string':
      return stringExample(node, name);
    case 'integer':
    case 'number':
      return numberExample(node, type === 'integer');
    case 'boolean':
      return true;
    case 'null':
      return null;
  }
}

/** The type to make a value of: the first declared one that is not null, or what the keywords imply. */
function typeOf(node: Readonly<Record<string, unknown>>): JsonType {
  const declared: unknown[] = Array.isArray(node.type) ? node.type : [node.type];
  const types = declared.flatMap((type) => {
    const known = TYPE_ORDER.find((candidate) => candidate === type);
    return known === undefined ? [] : [known];
  });
  const chosen = types.find((type) => type !== 'null') ?? types[0];
  if (chosen !== undefined) return chosen;
  if (['properties', 'required', 'additionalProperties'].some((key) => Object.hasOwn(node, key)))
    return 'object';
  if (Object.hasOwn(node, 'items')) return 'array';
  if (['pattern', 'format', 'minLength', 'maxLength'].some((key) => Object.hasOwn(node, key)))
    return 'string';
  if (['minimum', 'maximum', 'multipleOf'].some((key) => Object.hasOwn(node, key))) return 'number';
  // A schema of no type at all accepts anything; discovered schemas write one for a field seen as null.
  return 'null';
}

function objectExample(walk: Walk, node: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const example: Record<string, unknown> = {};
  const required = Array.isArray(node.required)
    ? node.required.filter((key): key is string => typeof key === 'string')
    : [];
  const properties = isRecord(node.properties) ? node.properties : {};
  for (const [key, child] of Object.entries(properties)) {
    const value = exampleOf(walk, child, key);
    if (value !== undefined) setOwn(example, key, value);
    else if (required.includes(key)) setOwn(example, key, null);
  }
  for (const key of required) if (!Object.hasOwn(example, key)) setOwn(example, key, `example-${key}`);
  return example;
}

function arrayExample(walk: Walk, node: Readonly<Record<string, unknown>>, name: string): unknown[] {
  const items = node.items;
  if (Array.isArray(items)) return items.map((item) => exampleOf(walk, item, name) ?? null);
  const one = items === undefined ? undefined : exampleOf(walk, items, name);
  if (one === undefined) return [];
  const count = typeof node.minItems === 'number' && node.minItems > 1 ? Math.min(node.minItems, 10) : 1;
  return Array.from({ length: count }, () => structuredClone(one));
}

function stringExample(node: Readonly<Record<string, unknown>>, name: string): string {
  const format = typeof node.format === 'string' ? node.format : undefined;
  const known =
    format !== undefined && Object.hasOwn(FORMAT_EXAMPLES, format) ? FORMAT_EXAMPLES[format] : undefined;
  const own = `example-${name}`;
  const fromPattern = typeof node.pattern === 'string' ? patternExample(node.pattern) : undefined;
  const candidates = [known, fromPattern, own, ...PLACEHOLDERS].filter(
    (candidate): candidate is string => candidate !== undefined,
  );
  for (const candidate of candidates) {
    for (const sized of [candidate, sizedString(candidate, node)]) if (stringFits(sized, node)) return sized;
  }
  return sizedString(own, node);
}

function sizedString(value: string, node: Readonly<Record<string, unknown>>): string {
  const longer = typeof node.minLength === 'number' ? value.padEnd(node.minLength, 'x') : value;
  return typeof node.maxLength === 'number' ? longer.slice(0, node.maxLength) : longer;
}

function stringFits(value: string, node: Readonly<Record<string, unknown>>): boolean {
  if (typeof node.minLength === 'number' && value.length < node.minLength) return false;
  if (typeof node.maxLength === 'number' && value.length > node.maxLength) return false;
  if (typeof node.format === 'string' && Object.hasOwn(formats, node.format)) {
    const check = formats[node.format];
    if (check !== undefined && !check(value)) return false;
  }
  if (typeof node.pattern !== 'string') return true;
  // Tried on a name from the export: a pattern that can backtrack for ever is left for the check to refuse.
  if (catastrophicPart(node.pattern) !== undefined) return false;
  try {
    return new RegExp(node.pattern, 'u').test(value);
  } catch {
    return false;
  }
}

/** 1 when the bounds allow it (a count, a price), else the first value next to a bound that fits. */
function numberExample(node: Readonly<Record<string, unknown>>, integer: boolean): number {
  const number = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
  const minimum = number(node.minimum);
  const maximum = number(node.maximum);
  // Draft-04 and OpenAPI 3.0 write exclusive bounds as booleans beside minimum/maximum; later drafts as numbers.
  const exclusiveMinimum = number(node.exclusiveMinimum);
  const exclusiveMaximum = number(node.exclusiveMaximum);
  const step = number(node.multipleOf);
  const unit = step !== undefined && step > 0 ? step : 1;
  const fits = (value: number): boolean =>
    (!integer || Number.isInteger(value)) &&
    (minimum === undefined || value > minimum || (value === minimum && node.exclusiveMinimum !== true)) &&
    (maximum === undefined || value < maximum || (value === maximum && node.exclusiveMaximum !== true)) &&
    (exclusiveMinimum === undefined || value > exclusiveMinimum) &&
    (exclusiveMaximum === undefined || value < exclusiveMaximum) &&
    (step === undefined || Number.isInteger(Number((value / step).toFixed(9))));
  const bounds = [minimum, maximum, exclusiveMinimum, exclusiveMaximum].filter(
    (bound): bound is number => bound !== undefined,
  );
  const nearBounds = bounds.flatMap((bound) => {
    const below = Math.floor(bound / unit) * unit;
    const above = Math.ceil(bound / unit) * unit;
    return [above, above + unit, below, below - unit];
  });
  const middle = minimum !== undefined && maximum !== undefined ? [(minimum + maximum) / 2] : [];
  return [1, 0, ...nearBounds, ...middle].find(fits) ?? 1;
}

/** What an escape stands for in an example: a digit for \d, a letter for \w, else the character itself. */
function escaped(char: string): string {
  const classes: Readonly<Record<string, string>> = { d: '0', w: 'a', s: ' ', D: 'a', W: '-', S: 'a' };
  return Object.hasOwn(classes, char) ? (classes[char] ?? char) : char;
}

/**
 * A string for the simple patterns event schemas use (`^chk-[0-9a-f]{6}$`, `^[A-Z]{3}$`): literals,
 * classes, escapes, groups (their first alternative) and quantifiers (their least, at least once).
 * Undefined for what it does not read (lookarounds, backreferences); callers test the result anyway.
 */
export function patternExample(pattern: string): string | undefined {
  const source = pattern.replace(/^\^/, '').replace(/(?<!\\)\$$/, '');
  let at = 0;
  const sequence = (): string | undefined => {
    let text = '';
    while (at < source.length && source[at] !== ')' && source[at] !== '|') {
      const piece = atom();
      if (piece === undefined) return undefined;
      text += piece.repeat(quantifier());
    }
    return text;
  };
  const group = (): string | undefined => {
    if (source.startsWith('?:', at)) at += 2;
    else if (source[at] === '?') return undefined;
    const first = sequence();
    let depth = 0;
    // The other alternatives are skipped: the first one is enough for an example.
    while (at < source.length && !(source[at] === ')' && depth === 0)) {
      if (source[at] === '\\') at += 1;
      else if (source[at] === '(') depth += 1;
      else if (source[at] === ')') depth -= 1;
      at += 1;
    }
    at += 1;
    return first;
  };
  const atom = (): string | undefined => {
    const char = source[at] ?? '';
    at += 1;
    if (char === '(') return group();
    if (char === '[') return characterClass();
    if (char === '.') return 'a';
    if (char === '\\') return escaped(source[at++] ?? '');
    if ('*+?{'.includes(char)) return undefined;
    return char;
  };
  const characterClass = (): string | undefined => {
    const end = source.indexOf(']', at + 1);
    if (end < 0) return undefined;
    const body = source.slice(at, end);
    at = end + 1;
    if (body.startsWith('^')) return ['a', 'A', '0', '-', '_'].find((char) => !body.includes(char));
    return body.startsWith('\\') ? escaped(body[1] ?? '') : body[0];
  };
  const quantifier = (): number => {
    const char = source[at];
    let least = 1;
    if (char === '*' || char === '+' || char === '?') at += 1;
    else if (char === '{') {
      const match = /^\{(\d+)(,\d*)?\}/.exec(source.slice(at));
      if (match === null) return 1;
      at += match[0].length;
      least = Math.max(Number(match[1]), 1);
    }
    if (source[at] === '?') at += 1;
    return least;
  };
  const text = sequence();
  // A top-level "|" ends the first alternative, which is enough.
  return at < source.length && source[at] !== '|' ? undefined : text;
}
