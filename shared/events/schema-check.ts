/**
 * Is it JSON Schema? The keywords an event schema uses must have the types
 * the drafts give them, every `$ref` must point inside the file, and every
 * `pattern` must be a regular expression that cannot backtrack for ever:
 * otherwise the validator would silently accept every detail, fail on the
 * first one, or hang on a crafted one. Keywords it does not know are left
 * alone (JSON Schema allows extensions), except ones a letter or two from a
 * real keyword, which are likely typos.
 */
import { format as formats } from '@cfworker/json-schema';
import { isRecord } from '../json.ts';
import type { PathSegment } from '../journey/problem.ts';
import { closest } from '../text/suggest.ts';
import { resolveLocalRef } from './json-schema.ts';
import { catastrophicPart } from './regex-safety.ts';

export type SchemaIssue = {
  path: PathSegment[];
  message: string;
  hint?: string;
  severity: 'error' | 'warning';
};

const TYPES = ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string'];

/** Keywords whose value is one subschema. */
const ONE_SCHEMA = [
  'additionalProperties',
  'additionalItems',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
];
/** Keywords whose value is a list of subschemas. */
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
/** Keywords whose value maps names to subschemas. */
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const NUMBERS = ['minimum', 'maximum', 'multipleOf'];
const COUNTS = [
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'minContains',
  'maxContains',
];
const ANNOTATIONS = [
  '$schema',
  '$id',
  '$anchor',
  '$comment',
  'title',
  'description',
  'default',
  'examples',
  'example',
  'format',
  'const',
  'enum',
  'readOnly',
  'writeOnly',
  'deprecated',
  'contentMediaType',
  'contentEncoding',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'uniqueItems',
  'required',
  'type',
  'items',
  'pattern',
  '$ref',
  'dependentRequired',
  'dependencies',
  'nullable',
  'discriminator',
];
const KEYWORDS = [...ONE_SCHEMA, ...SCHEMA_LISTS, ...SCHEMA_MAPS, ...NUMBERS, ...COUNTS, ...ANNOTATIONS];

export function checkSchema(root: Readonly<Record<string, unknown>>, at: PathSegment[]): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  checkNode(root, root, at, issues, 0);
  return issues;
}

const MAX_DEPTH = 40;

function checkNode(
  root: Readonly<Record<string, unknown>>,
  node: unknown,
  at: PathSegment[],
  issues: SchemaIssue[],
  depth: number,
): void {
  if (typeof node === 'boolean') return;
  if (!isRecord(node)) {
    issues.push({ path: at, message: 'Expected a schema (a JSON object) here.', severity: 'error' });
    return;
  }
  if (depth > MAX_DEPTH) return;
  const error = (key: string, message: string, hint?: string): void => {
    issues.push({ path: [...at, key], message, severity: 'error', ...(hint === undefined ? {} : { hint }) });
  };
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-')) continue;
    if (key === 'type') checkType(value, error);
    else if (key === 'required') {
      if (!Array.isArray(value) || value.some((name) => typeof name !== 'string'))
        error(key, '"required" lists property names: an array of strings.');
    } else if (key === 'enum') {
      if (!Array.isArray(value)) error(key, '"enum" lists the allowed values: an array.');
    } else if (key === 'pattern') {
      checkPattern(value, (message, hint) => error(key, message, hint));
    } else if (key === 'format') {
      checkFormat(value, error);
    } else if (key === '$ref') {
      if (typeof value !== 'string') error(key, '"$ref" is a string such as "#/$defs/item".');
      else if (resolveLocalRef(root, value) === undefined)
        error(
          key,
          `"${value}" points nowhere in this file.`,
          'Only references inside the file are followed: define the part under "$defs" (or "definitions") and point at it with "#/$defs/<name>".',
        );
    } else if (key === 'items') {
      if (Array.isArray(value))
        value.forEach((item, index) => checkNode(root, item, [...at, key, index], issues, depth + 1));
      else checkNode(root, value, [...at, key], issues, depth + 1);
    } else if (ONE_SCHEMA.includes(key)) {
      checkNode(root, value, [...at, key], issues, depth + 1);
    } else if (SCHEMA_LISTS.includes(key)) {
      if (!Array.isArray(value) || value.length === 0)
        error(key, `"${key}" is a non-empty array of schemas.`);
      else value.forEach((item, index) => checkNode(root, item, [...at, key, index], issues, depth + 1));
    } else if (SCHEMA_MAPS.includes(key)) {
      if (!isRecord(value)) error(key, `"${key}" maps names to schemas: a JSON object.`);
      else
        for (const [name, child] of Object.entries(value)) {
          // patternProperties' names are regular expressions, run on every name a detail has.
          if (key === 'patternProperties')
            checkPattern(name, (message, hint) =>
              issues.push({
                path: [...at, key, name],
                message,
                severity: 'error',
                ...(hint === undefined ? {} : { hint }),
              }),
            );
          checkNode(root, child, [...at, key, name], issues, depth + 1);
        }
    } else if (NUMBERS.includes(key)) {
      if (typeof value !== 'number') error(key, `"${key}" is a number.`);
    } else if (COUNTS.includes(key)) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
        error(key, `"${key}" is a whole number, 0 or more.`);
    } else if (!ANNOTATIONS.includes(key)) {
      const meant = closest(key, KEYWORDS);
      if (meant !== undefined && meant !== key) {
        issues.push({
          path: [...at, key],
          message: `"${key}" is not a JSON Schema keyword, so it checks nothing.`,
          hint: `did you mean "${meant}"?`,
          severity: 'warning',
        });
      }
    }
  }
}

function checkType(value: unknown, error: (key: string, message: string, hint?: string) => void): void {
  const types = Array.isArray(value) ? value : [value];
  for (const type of types) {
    if (typeof type === 'string' && TYPES.includes(type)) continue;
    const meant = typeof type === 'string' ? closest(type, TYPES) : undefined;
    error(
      'type',
      `${JSON.stringify(type)} is not a JSON Schema type.`,
      meant === undefined ? `one of ${TYPES.join(', ')}` : `did you mean "${meant}"?`,
    );
  }
}

function checkPattern(value: unknown, error: (message: string, hint?: string) => void): void {
  if (typeof value !== 'string') {
    error('"pattern" is a regular expression, written as a string.');
    return;
  }
  try {
    new RegExp(value, 'u');
  } catch {
    error(`${JSON.stringify(value)} is not a regular expression.`);
    return;
  }
  const part = catastrophicPart(value);
  if (part !== undefined) {
    error(
      `${JSON.stringify(value)} can take exponential time: its part ${JSON.stringify(part)} matches some text in more than one way, so a detail made for it (thirty characters are enough) would hold up every function that checks it.`,
      'repeat only what starts or ends with a character nothing else in the repetition matches, as in "^[a-z]+(-[a-z]+)*$"',
    );
  }
}

/**
 * The validator checks the formats it knows by name, looked up on a plain object: a name every
 * object has ("constructor") would run as a check, and "url", not a JSON Schema format, has a check
 * that backtracks for ever on a crafted string.
 */
function checkFormat(value: unknown, error: (key: string, message: string, hint?: string) => void): void {
  if (typeof value !== 'string') {
    error('format', '"format" names a format, as a string such as "date-time".');
    return;
  }
  if (value === 'url') {
    error(
      'format',
      '"url" is not a JSON Schema format, and the validator\'s check for it can take exponential time on a crafted string.',
      'use "uri"',
    );
  } else if (value in formats && !Object.hasOwn(formats, value)) {
    error('format', `${JSON.stringify(value)} is not a format.`, 'such as "date-time", "email" or "uri"');
  }
}
