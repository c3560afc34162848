/**
 * What can be worked out for an event file from what there is. From sample events: the detail's
 * JSON Schema as the samples show it (types, which fields every sample has, array items merged,
 * lists no sample left empty), with the first detail as the example. From a schema (here or
 * imported from the Schema Registry): where the customer id probably is, and a made-up example it
 * accepts. Drafts for the team to review: samples show what was sent, not what may be, and a
 * made-up example is no real detail.
 */
import { format as formats } from '@cfworker/json-schema';
import { isRecord } from '../json.ts';
import { eventEnvelopeSchema } from './catalog.ts';
import { expandNode, resolveLocalRef } from './json-schema.ts';
import type { EventFileDraft } from './registry-import.ts';

export function inferEventFile(samples: readonly unknown[]): EventFileDraft {
  if (samples.length === 0) return { ok: false, problem: 'No sample events: give at least one.' };
  const details: Record<string, unknown>[] = [];
  const types = new Map<string, number[]>();
  const sources = new Set<string>();
  for (const [index, sample] of samples.entries()) {
    const position = index + 1;
    if (isRecord(sample) && Object.hasOwn(sample, 'detail') && !isRecord(sample.detail)) {
      return {
        ok: false,
        problem: `Sample ${position}'s detail is not a JSON object: an event file describes object details.`,
      };
    }
    const parsed = eventEnvelopeSchema.safeParse(sample);
    if (!parsed.success) {
      const issues = parsed.error.issues.map(
        (issue) => `${issue.path.length === 0 ? 'the event' : issue.path.join('.')}: ${issue.message}`,
      );
      return {
        ok: false,
        problem: `Sample ${position} is not an EventBridge event as a rule delivers it (${issues.join('; ')}).`,
      };
    }
    const event = parsed.data;
    details.push(event.detail);
    types.set(event['detail-type'], [...(types.get(event['detail-type']) ?? []), position]);
    sources.add(event.source);
  }
  const [detailType, ...others] = types.keys();
  if (detailType === undefined || others.length > 0) {
    const groups = [...types].map(
      ([type, positions]) => `"${type}" (sample${positions.length === 1 ? '' : 's'} ${positions.join(', ')})`,
    );
    return {
      ok: false,
      problem: `The samples are of several detail-types: ${groups.join(', ')}. Infer one event type at a time.`,
    };
  }

  const shape = emptyShape();
  for (const detail of details) observe(shape, detail);
  const body = schemaOf(shape);
  const [source, ...otherSources] = sources;
  const oneSource = source !== undefined && otherSources.length === 0 ? source : undefined;
  const guess = guessCustomerId(body);
  const extra = {
    ...(oneSource === undefined ? {} : { source: oneSource }),
    ...(guess.path === undefined ? {} : { customerId: guess.path }),
  };
  const count = `${details.length} sample event${details.length === 1 ? '' : 's'}`;
  const file: Record<string, unknown> = {
    $schema: '../event.schema.json',
    title: detailType,
    description: `Inferred from ${count}${oneSource === undefined ? '' : ` from ${oneSource}`}.`,
    ...(Object.keys(extra).length > 0 ? { 'x-waymark': extra } : {}),
    ...body,
    examples: details.slice(0, 1).map((detail) => structuredClone(detail)),
  };
  const notes = [
    `Inferred from ${count}: check the types, which fields are required (those every sample has) and which lists may be empty (none was in the samples when "minItems" is 1).`,
    ...(details.length === 1
      ? [
          'With one sample every field is required, none may be null and no list empty: give more samples to loosen that.',
        ]
      : []),
    ...(oneSource === undefined
      ? [
          `The samples come from several sources (${[...sources].join(', ')}): no source set, journeys match any.`,
        ]
      : []),
    ...guess.notes,
    'Write a "description" a marketer understands: the panel shows it.',
  ];
  return { ok: true, file, notes };
}

// ---- the shape the samples show -----------------------------------------------------------------------------------

type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

/** The order types are listed in a type list: null last, as in ["string", "null"]. */
const TYPE_ORDER: readonly JsonType[] = ['string', 'integer', 'number', 'boolean', 'object', 'array', 'null'];

interface Shape {
  types: Set<JsonType>;
  /** How many objects were seen here: a property seen as often is in every one of them. */
  objects: number;
  properties: Map<string, { shape: Shape; seen: number }>;
  /** Every element of every array seen here. */
  items: Shape | undefined;
  /** Whether an empty array was seen here: if none was, the list is taken to be never empty. */
  emptyArray: boolean;
}

function emptyShape(): Shape {
  return { types: new Set(), objects: 0, properties: new Map(), items: undefined, emptyArray: false };
}

function observe(shape: Shape, value: unknown): void {
  if (Array.isArray(value)) {
    shape.types.add('array');
    if (value.length === 0) shape.emptyArray = true;
    for (const element of value) {
      shape.items ??= emptyShape();
      observe(shape.items, element);
    }
  } else if (isRecord(value)) {
    shape.types.add('object');
    shape.objects += 1;
    for (const [key, child] of Object.entries(value)) {
      const property = shape.properties.get(key) ?? { shape: emptyShape(), seen: 0 };
      property.seen += 1;
      observe(property.shape, child);
      shape.properties.set(key, property);
    }
  } else {
    shape.types.add(scalarType(value));
  }
}

function scalarType(value: unknown): JsonType {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'boolean') return 'boolean';
  return 'null';
}

function schemaOf(shape: Shape): Record<string, unknown> {
  // A field seen as 2 and as 2.5 is a number: integers are numbers too.
  const types = TYPE_ORDER.filter(
    (type) => shape.types.has(type) && !(type === 'integer' && shape.types.has('number')),
  );
  const schema: Record<string, unknown> = {};
  if (types.length > 0) schema.type = types.length === 1 ? types[0] : types;
  if (shape.types.has('object')) {
    const properties: Record<string, unknown> = {};
    for (const [key, property] of shape.properties) put(properties, key, schemaOf(property.shape));
    schema.properties = properties;
    const required = [...shape.properties].filter(([, property]) => property.seen === shape.objects);
    if (required.length > 0) schema.required = required.map(([key]) => key);
  }
  if (shape.types.has('array') && !shape.emptyArray) schema.minItems = 1;
  if (shape.items !== undefined) schema.items = schemaOf(shape.items);
  return schema;
}

/** An own property, even one named "__proto__", which plain assignment would take for the prototype. */
export function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

// ---- where the customer id is ----------------------------------------------------------------------------------

/**
 * Where details usually keep the customer id, most likely first: Waymark's default, the same name
 * in other spellings, a `customer` object, then user ids, then account ids (an account may be a
 * household or a company, so it comes last).
 */
export const CUSTOMER_ID_PLACES: readonly string[] = [
  'customerId',
  'customer_id',
  'customerID',
  'customer.id',
  'userId',
  'user_id',
  'userID',
  'user.id',
  'accountId',
  'account_id',
  'account.id',
];

export interface CustomerIdGuess {
  /** A dot path for `x-waymark.customerId`; undefined when none of the usual places is a string field. */
  path: string | undefined;
  notes: string[];
}

/** The first usual place the schema declares as a string, as the event file check reads a customer id path. */
export function guessCustomerId(schema: Readonly<Record<string, unknown>>): CustomerIdGuess {
  const notStrings: string[] = [];
  for (const place of CUSTOMER_ID_PLACES) {
    const types = fieldTypes(schema, place.split('.'));
    if (types === undefined) continue;
    if (types.every((type) => type === undefined || type === 'string')) {
      const notes =
        place === 'customerId'
          ? []
          : [
              `The customer id is taken to be "${place}": check it, and change "x-waymark.customerId" if the customer id is elsewhere.`,
            ];
      return { path: place, notes };
    }
    notStrings.push(`"${place}" is ${types.map((type) => JSON.stringify(type)).join(' or ')}`);
  }
  const also = notStrings.length > 0 ? ` (${notStrings.join('; ')}; a customer id is a string)` : '';
  return {
    path: undefined,
    notes: [
      `No customer id found at ${CUSTOMER_ID_PLACES.join(', ')}${also}: set "x-waymark": { "customerId": "<dot path>" } to the field that holds it.`,
    ],
  };
}

/** The `type`s a dot path has in the schema (through $ref and alternatives); undefined when it is not declared. */
function fieldTypes(
  schema: Readonly<Record<string, unknown>>,
  path: readonly string[],
): unknown[] | undefined {
  let nodes: readonly Readonly<Record<string, unknown>>[] = [schema];
  for (const segment of path) {
    const next: Record<string, unknown>[] = [];
    for (const node of nodes.flatMap((candidate) => expandNode(schema, candidate))) {
      const properties = node.properties;
      if (isRecord(properties) && Object.hasOwn(properties, segment))
        next.push(...expandNode(schema, properties[segment]));
    }
    if (next.length === 0) return undefined;
    nodes = next;
  }
  return nodes.map((node) => node.type);
}

// ---- a made-up example -----------------------------------------------------------------------------------------

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
    for (const part of objects) for (const [key, value] of Object.entries(part)) put(merged, key, value);
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
    if (value !== undefined) put(example, key, value);
    else if (required.includes(key)) put(example, key, null);
  }
  for (const key of required) if (!Object.hasOwn(example, key)) put(example, key, `example-${key}`);
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
