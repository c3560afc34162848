/**
 * An event file's JSON Schema at work: which draft it is written in, its
 * nodes as the validator's field lookups walk them (through `$ref` inside the
 * file, arrays and `anyOf`/`oneOf`/`allOf`), and a reader that checks a
 * detail with @cfworker/json-schema, which knows drafts 4, 7 and 2020-12 and
 * runs without generating code (Lambda-friendly, small).
 */
import { type OutputUnit, type Schema, type SchemaDraft, Validator } from '@cfworker/json-schema';
import { isRecord, ownValue } from '../json.ts';
import type { DetailProblem, DetailRead } from './catalog.ts';

export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

/** The order types are listed in a type list: null last, as in ["string", "null"]. */
export const TYPE_ORDER: readonly JsonType[] = [
  'string',
  'integer',
  'number',
  'boolean',
  'object',
  'array',
  'null',
];

export type EventSchemaDraft = Extract<SchemaDraft, '4' | '7' | '2020-12'>;

/** What `$schema` may say, and the draft each means; the project's own meta-schema extends 2020-12. */
const DRAFTS: readonly { pattern: RegExp; draft: EventSchemaDraft }[] = [
  { pattern: /^https?:\/\/json-schema\.org\/draft-04\/schema#?$/, draft: '4' },
  { pattern: /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/, draft: '7' },
  { pattern: /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/, draft: '2020-12' },
  { pattern: /(^|\/)event\.schema\.json$/, draft: '2020-12' },
];

export const KNOWN_SCHEMA_URIS = [
  'https://json-schema.org/draft/2020-12/schema',
  'http://json-schema.org/draft-07/schema#',
  'http://json-schema.org/draft-04/schema#',
  '../event.schema.json (2020-12, with editor checks)',
];

export function draftOf(schemaUri: unknown): EventSchemaDraft | undefined {
  if (typeof schemaUri !== 'string') return undefined;
  return DRAFTS.find(({ pattern }) => pattern.test(schemaUri))?.draft;
}

/** The node a local `$ref` (`#/$defs/item`, `#/definitions/item`) points at; undefined when it points nowhere. */
export function resolveLocalRef(root: Readonly<Record<string, unknown>>, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const segment = decodedSegment(raw);
    if (segment === undefined) return undefined;
    node = isRecord(node) ? ownValue(node, segment) : Array.isArray(node) ? node[Number(segment)] : undefined;
  }
  return node;
}

/** A JSON pointer segment as written in a URI fragment; undefined for a malformed escape ("%", "%zz"). */
function decodedSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
  } catch {
    return undefined;
  }
}

/** Keywords that say which fields an object has, or what a value is: a node without any of them only constrains. */
const SHAPE_KEYWORDS = [
  'type',
  'properties',
  'additionalProperties',
  'patternProperties',
  '$ref',
  'anyOf',
  'oneOf',
  'allOf',
  'then',
  'else',
  'dependentSchemas',
  'items',
  'prefixItems',
  'enum',
  'const',
];

function hasShape(node: Readonly<Record<string, unknown>>): boolean {
  return SHAPE_KEYWORDS.some((key) => Object.hasOwn(node, key));
}

/** An object whose fields are named by the data (attributes): a schema for the names it does not list. */
function isMap(node: Readonly<Record<string, unknown>>): boolean {
  return isRecord(node.additionalProperties) || isRecord(node.patternProperties);
}

/**
 * A schema node as the object shapes a value there may take: through `$ref` (and, in 2020-12, what
 * stands beside it), arrays, alternatives and the parts that apply when a condition holds (`then`,
 * `else`, `dependentSchemas`): a field declared in any of them may be there. A part that only
 * constrains (`{"required": ["a"]}`) adds no shape. `seen` stops a recursive schema (a tree of
 * comments) from looping; `arrays: false` stops at a list instead of looking at its items.
 */
export function expandNode(
  root: Readonly<Record<string, unknown>>,
  node: unknown,
  seen: ReadonlySet<unknown> = new Set(),
  arrays = true,
): Record<string, unknown>[] {
  if (!isRecord(node) || seen.has(node)) return [];
  const within = new Set([...seen, node]);
  const ref = node.$ref;
  if (typeof ref === 'string') {
    const target = expandNode(root, resolveLocalRef(root, ref), within, arrays);
    // Drafts 4 and 7 ignore what stands beside a "$ref"; 2020-12 applies it as well.
    if (draftOf(root.$schema) !== '2020-12') return target;
    const { $ref: _ref, ...beside } = node;
    return hasShape(beside) ? [...target, ...expandNode(root, beside, within, arrays)] : target;
  }
  const dependent = isRecord(node.dependentSchemas) ? Object.values(node.dependentSchemas) : [];
  const alternatives = [
    ...[node.anyOf, node.oneOf, node.allOf].flatMap((list): unknown[] => (Array.isArray(list) ? list : [])),
    node.then,
    node.else,
    ...dependent,
  ].filter((part) => isRecord(part) && hasShape(part));
  if (alternatives.length > 0) {
    const own = isRecord(node.properties) || isMap(node) ? [node] : [];
    return [...own, ...alternatives.flatMap((alternative) => expandNode(root, alternative, within, arrays))];
  }
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (arrays && types.includes('array')) {
    const items: unknown[] = Array.isArray(node.items) ? node.items : [node.items];
    const prefix: unknown[] = Array.isArray(node.prefixItems) ? node.prefixItems : [];
    return [...items, ...prefix].flatMap((item) => expandNode(root, item, within, arrays));
  }
  return [node];
}

/**
 * The schema nodes a dot path of field names reaches (through `$ref`, arrays unless `arrays` is
 * false, and alternatives), and whether every object on the way requires the next field;
 * undefined when the schema lacks the path.
 */
export function schemaField(
  root: Readonly<Record<string, unknown>>,
  path: readonly string[],
  arrays = true,
): { nodes: Record<string, unknown>[]; required: boolean } | undefined {
  const expand = (node: unknown): Record<string, unknown>[] => expandNode(root, node, new Set(), arrays);
  let nodes: unknown[] = [{ ...root }];
  let required = true;
  for (const segment of path) {
    const next: unknown[] = [];
    for (const node of nodes.flatMap(expand)) {
      const properties = node.properties;
      if (isRecord(properties) && Object.hasOwn(properties, segment)) next.push(properties[segment]);
    }
    if (next.length === 0) return undefined;
    if (!nodes.every((node) => requires(root, node, segment))) required = false;
    nodes = next;
  }
  return { nodes: nodes.flatMap(expand), required };
}

/**
 * Whether every value a node accepts has the field: its own `required`, that of what it refers to,
 * of any `allOf` part, or of every `anyOf`/`oneOf` alternative. Conditions (`then`) require nothing
 * for sure.
 */
function requires(
  root: Readonly<Record<string, unknown>>,
  node: unknown,
  segment: string,
  seen: ReadonlySet<unknown> = new Set(),
): boolean {
  if (!isRecord(node) || seen.has(node)) return false;
  const within = new Set([...seen, node]);
  const holds = (part: unknown): boolean => requires(root, part, segment, within);
  if (Array.isArray(node.required) && node.required.includes(segment)) return true;
  if (typeof node.$ref === 'string' && holds(resolveLocalRef(root, node.$ref))) return true;
  if (Array.isArray(node.allOf) && node.allOf.some(holds)) return true;
  const alternatives = [node.anyOf, node.oneOf].filter(
    (list): list is unknown[] => Array.isArray(list) && list.length > 0,
  );
  if (alternatives.some((list) => list.every(holds))) return true;
  // Through a list, as EventBridge looks through arrays: every element has it.
  return isRecord(node.items) && holds(node.items);
}

/**
 * An object node that takes field names the schema does not list: no `properties` at all, or a map
 * beside them (`additionalProperties` or `patternProperties` schemas). `additionalProperties: false`
 * alone allows no field.
 */
export function isOpenNode(node: Readonly<Record<string, unknown>>): boolean {
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (!types.includes('object') && node.type !== undefined) return false;
  // A fixed value ({"const": null}, an enum of strings) is no object at all.
  const values = Object.hasOwn(node, 'const')
    ? [node.const]
    : Array.isArray(node.enum)
      ? node.enum
      : undefined;
  if (values !== undefined && !values.some(isRecord)) return false;
  if (isMap(node)) return true;
  return !isRecord(node.properties) && node.additionalProperties !== false;
}

/** Any object is a schema to the validator, which checks its keywords itself. */
function isValidatorSchema(value: unknown): value is Schema {
  return isRecord(value);
}

/**
 * A reader for one event's details. The schema is copied: the validator annotates the object it is
 * given. Throws when the schema cannot be used at all (a `$ref` that points nowhere), which the
 * event file check reports before any reader is made.
 */
export function jsonSchemaReader(
  schema: Readonly<Record<string, unknown>>,
  draft: EventSchemaDraft,
): (detail: unknown) => DetailRead {
  const copy: unknown = structuredClone(schema);
  if (!isValidatorSchema(copy)) throw new Error('An event schema must be a JSON object.');
  Reflect.deleteProperty(copy, '$schema');
  const validator = new Validator(copy, draft, false);
  return (detail) => {
    if (!isRecord(detail)) {
      return { ok: false, problems: [{ path: [], message: 'Expected a JSON object as the detail.' }] };
    }
    const result = validator.validate(detail);
    return result.valid ? { ok: true, detail } : { ok: false, problems: leafProblems(result.errors) };
  };
}

/** Keywords that only say "something below failed": the failure below says what. */
const WRAPPERS = new Set([
  'properties',
  'items',
  'prefixItems',
  'additionalItems',
  '$ref',
  '$dynamicRef',
  '$recursiveRef',
  'allOf',
  'if',
  'then',
  'else',
  'dependentSchemas',
  'dependencies',
  'patternProperties',
  'unevaluatedProperties',
  'unevaluatedItems',
  'contains',
]);

function leafProblems(errors: readonly OutputUnit[]): DetailProblem[] {
  // Inside anyOf/oneOf every branch fails its own way; the alternative's own error says it well enough.
  const outsideBranches = errors.filter((error) => !/\/(anyOf|oneOf)\/\d+\//.test(error.keywordLocation));
  const leaves = outsideBranches.filter((error) => !WRAPPERS.has(error.keyword));
  const chosen = leaves.length > 0 ? leaves : outsideBranches;
  const seen = new Set<string>();
  const problems: DetailProblem[] = [];
  for (const error of chosen) {
    const problem = toProblem(error);
    const key = JSON.stringify(problem);
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

function toProblem(error: OutputUnit): DetailProblem {
  const path = error.instanceLocation
    .replace(/^#\/?/, '')
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      const key = decodeURIComponent(segment).replaceAll('~1', '/').replaceAll('~0', '~');
      return /^\d+$/.test(key) ? Number(key) : key;
    });
  const required = /^Instance does not have required property "(.+)"\.$/.exec(error.error);
  if (error.keyword === 'required' && required?.[1] !== undefined) {
    return { path: [...path, required[1]], message: 'Required, but missing.' };
  }
  return { path, message: error.error.replace(/^Instance /, 'Value ') };
}
