/**
 * Is it JSON Schema? The keywords an event schema uses must have the types
 * the drafts give them, every `$ref` must point inside the file, and every
 * `pattern` must be a regular expression: otherwise the validator would
 * silently accept every detail, or fail on the first one. Keywords it does
 * not know are left alone (JSON Schema allows extensions), except ones a
 * letter or two from a real keyword, which are likely typos.
 */
import { isRecord } from '../json.ts';
import type { PathSegment } from '../journey/problem.ts';
import { closest } from '../text/suggest.ts';
import { resolveLocalRef } from './json-schema.ts';

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
      checkPattern(value, error);
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
        for (const [name, child] of Object.entries(value))
          checkNode(root, child, [...at, key, name], issues, depth + 1);
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

function checkPattern(value: unknown, error: (key: string, message: string) => void): void {
  if (typeof value !== 'string') {
    error('pattern', '"pattern" is a regular expression, written as a string.');
    return;
  }
  try {
    new RegExp(value, 'u');
  } catch {
    error('pattern', `${JSON.stringify(value)} is not a regular expression.`);
  }
}
