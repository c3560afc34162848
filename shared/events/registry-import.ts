/**
 * An event file from what the EventBridge Schema Registry gives: `aws schemas export-schema --type
 * OpenApi3|JSONSchemaDraft4` or `aws schemas describe-schema` (the CLI's `{ "Content": "<schema>" }`),
 * or the schema document itself. The AWSEvent envelope names the detail-type and the source and points
 * at the detail's schema; that schema becomes the file, the named schemas it refers to its
 * `definitions`. An export has no examples, so one is made up from the schema for the team to replace.
 */
import { encodePointer } from '@cfworker/json-schema';
import { isRecord, ownValue, setOwn } from '../json.ts';
import { errorMessage } from '../text/error-message.ts';
import { guessCustomerId } from './customer-id-guess.ts';
import { synthesizeExample } from './example-synthesis.ts';
import { draftOf, jsonSchemaReader } from './json-schema.ts';
import { checkSchema } from './schema-check.ts';
import { referenceProblems } from './schema-references.ts';
import { nestingDepth } from './storable.ts';
import { MAX_NESTING } from '../journey/source.ts';

export type EventFileDraft =
  { ok: true; file: Record<string, unknown>; notes: string[] } | { ok: false; problem: string };

type Outcome<T> = { ok: true; value: T } | { ok: false; problem: string };

const DRAFT_04 = 'http://json-schema.org/draft-04/schema#';
const DETAIL_TYPE_KEY = 'x-amazon-events-detail-type';
const SOURCE_KEY = 'x-amazon-events-source';

interface Envelope {
  readonly openapi: boolean;
  readonly awsEvent: Record<string, unknown>;
  /** The export's named schemas, and how its `$ref`s point into them. */
  readonly components: Record<string, unknown>;
  readonly prefix: string;
}

export function eventFileFromRegistryExport(content: unknown): EventFileDraft {
  const read = readExport(content);
  if (!read.ok) return read;
  const found = findEnvelope(read.value.document);
  if (!found.ok) return found;
  const envelope = found.value;
  const detailType = ownValue(envelope.awsEvent, DETAIL_TYPE_KEY);
  if (typeof detailType !== 'string' || detailType === '') {
    return fail(
      `The AWSEvent schema has no "${DETAIL_TYPE_KEY}": it names the event type, which the event file is named after.`,
    );
  }
  const sourceValue = ownValue(envelope.awsEvent, SOURCE_KEY);
  const source = typeof sourceValue === 'string' && sourceValue !== '' ? sourceValue : undefined;
  const detail = findDetail(envelope);
  if (!detail.ok) return detail;

  const conversion: Conversion = {
    envelope,
    detailName: detail.value.name,
    wanted: [],
    unresolved: [],
    dropped: new Set(),
  };
  const body = convertSchema(detail.value.node, conversion);
  const definitions: Record<string, unknown> = {};
  // Converting a named schema may want more of them: the loop also visits the names it appends.
  for (const name of conversion.wanted) {
    setOwn(definitions, name, convertSchema(ownValue(envelope.components, name), conversion));
  }
  if (conversion.unresolved.length > 0) {
    const refs = conversion.unresolved.map((ref) => JSON.stringify(ref)).join(', ');
    return fail(
      `The detail schema refers to ${refs}, not in the export: only references to its own "${envelope.prefix}<Name>" schemas are followed.`,
    );
  }
  if (!isRecord(body)) return fail('The detail schema is not a JSON object.');
  const {
    $schema: _schema,
    title: _title,
    description: ownDescription,
    type: _type,
    definitions: _definitions,
    examples: _examples,
    ...rest
  } = body;
  const description =
    typeof ownDescription === 'string' && ownDescription !== ''
      ? ownDescription
      : (read.value.description ??
        `Imported from the EventBridge Schema Registry${source === undefined ? '' : ` (${source})`}.`);
  const file: Record<string, unknown> = {
    $schema: DRAFT_04,
    title: detailType,
    description,
    type: 'object',
    ...rest,
    ...(Object.keys(definitions).length > 0 ? { definitions } : {}),
  };
  const guess = guessCustomerId(file);
  const extra = {
    ...(source === undefined ? {} : { source }),
    ...(guess.path === undefined ? {} : { customerId: guess.path }),
  };
  const example = synthesizeExample(file);
  const ordered: Record<string, unknown> = {
    $schema: file.$schema,
    title: file.title,
    description: file.description,
    ...(Object.keys(extra).length > 0 ? { 'x-waymark': extra } : {}),
    ...file,
    examples: [example],
  };
  const notes = [
    ...guess.notes,
    'The example in "examples" is made up from the schema: replace the example with a real detail (templates are checked with it and the panel offers it).',
    ...exampleNotes(ordered, example),
  ];
  if (conversion.dropped.size > 0) {
    notes.push(
      `Dropped OpenAPI keywords that JSON Schema does not have: ${[...conversion.dropped].sort().join(', ')}.`,
    );
  }
  return { ok: true, file: ordered, notes };
}

function fail(problem: string): { ok: false; problem: string } {
  return { ok: false, problem };
}

// ---- the export ----------------------------------------------------------------------------------------------

interface Export {
  document: Record<string, unknown>;
  /** describe-schema's own `Description`, used when the detail schema has none. */
  description: string | undefined;
}

function readExport(content: unknown): Outcome<Export> {
  const parsed = typeof content === 'string' ? parseJson(content, 'The export') : ok(content);
  if (!parsed.ok) return parsed;
  const outer = parsed.value;
  // The conversion walks the document: one nested past what an event file may be would only exhaust the stack.
  if (nestingDepth(outer, MAX_NESTING) > MAX_NESTING)
    return fail(`The export is nested deeper than ${MAX_NESTING} levels, more than an event file may be.`);
  if (!isRecord(outer)) {
    return fail(
      'The export is not a JSON object: expected what aws schemas export-schema or describe-schema prints, or the schema in its "Content".',
    );
  }
  const wrapped = ownValue(outer, 'Content');
  if (wrapped === undefined) return ok({ document: outer, description: undefined });
  if (typeof wrapped !== 'string')
    return fail('"Content" is not a string: the CLI gives the schema there as JSON text.');
  const inner = parseJson(wrapped, 'The schema in "Content"');
  if (!inner.ok) return inner;
  if (nestingDepth(inner.value, MAX_NESTING) > MAX_NESTING)
    return fail(
      `The schema in "Content" is nested deeper than ${MAX_NESTING} levels, more than an event file may be.`,
    );
  if (!isRecord(inner.value)) return fail('The schema in "Content" is not a JSON object.');
  const description = ownValue(outer, 'Description');
  return ok({
    document: inner.value,
    description: typeof description === 'string' && description !== '' ? description : undefined,
  });
}

function ok<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

function parseJson(text: string, what: string): Outcome<unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return ok(value);
  } catch (error) {
    return fail(`${what} is not JSON: ${errorMessage(error)}`);
  }
}

function findEnvelope(document: Record<string, unknown>): Outcome<Envelope> {
  const openapi = ownValue(document, 'openapi');
  if (openapi !== undefined) {
    if (typeof openapi !== 'string' || !openapi.startsWith('3.')) {
      return fail(
        `"openapi": ${JSON.stringify(openapi)} is not OpenAPI 3: the Schema Registry exports OpenAPI 3.0.`,
      );
    }
    const components = ownValue(document, 'components');
    const schemas = isRecord(components) ? ownValue(components, 'schemas') : undefined;
    const awsEvent = isRecord(schemas) ? ownValue(schemas, 'AWSEvent') : undefined;
    if (!isRecord(schemas) || !isRecord(awsEvent)) {
      return fail(
        'The OpenAPI 3 document has no "components.schemas.AWSEvent", where the Schema Registry keeps the event envelope.',
      );
    }
    return ok({ openapi: true, awsEvent, components: schemas, prefix: '#/components/schemas/' });
  }
  const isAwsEvent =
    ownValue(document, 'title') === 'AWSEvent' || ownValue(document, DETAIL_TYPE_KEY) !== undefined;
  if (draftOf(ownValue(document, '$schema')) === '4' && isAwsEvent) {
    const definitions = ownValue(document, 'definitions');
    return ok({
      openapi: false,
      awsEvent: document,
      components: isRecord(definitions) ? definitions : {},
      prefix: '#/definitions/',
    });
  }
  return fail(
    'This is neither an OpenAPI 3 export ("openapi": "3.0.0" with components.schemas.AWSEvent) nor a JSON Schema draft-04 AWSEvent ("$schema": draft-04, "title": "AWSEvent"): export it with aws schemas export-schema --type OpenApi3 or --type JSONSchemaDraft4.',
  );
}

function findDetail(
  envelope: Envelope,
): Outcome<{ node: Record<string, unknown>; name: string | undefined }> {
  const properties = ownValue(envelope.awsEvent, 'properties');
  const detail = isRecord(properties) ? ownValue(properties, 'detail') : undefined;
  if (!isRecord(detail)) {
    return fail('The AWSEvent schema has no "properties.detail": there is no detail schema to import.');
  }
  const ref = ownValue(detail, '$ref');
  let node = detail;
  let name: string | undefined;
  if (ref !== undefined) {
    const target = typeof ref === 'string' ? lookUp(envelope, ref) : undefined;
    if (target === undefined || !isRecord(target.node)) {
      return fail(
        `"properties.detail" points to ${JSON.stringify(ref)}, which is not in the export: there is no detail schema to import.`,
      );
    }
    node = target.node;
    name = target.rest === '' ? target.name : undefined;
  }
  const type = ownValue(node, 'type');
  if (type !== 'object' && !(type === undefined && isRecord(ownValue(node, 'properties')))) {
    const what = name === undefined ? 'The detail schema' : `The detail schema "${name}"`;
    const given = type === undefined ? 'no "type"' : `"type": ${JSON.stringify(type)}`;
    return fail(`${what} is not an object schema (${given}): Waymark reads details that are JSON objects.`);
  }
  return ok({ node, name });
}

interface Target {
  name: string;
  /** The pointer below the named schema, as written: "" or "properties/items". */
  rest: string;
  node: unknown;
}

function lookUp(envelope: Envelope, ref: string): Target | undefined {
  const { components, prefix } = envelope;
  if (!ref.startsWith(prefix)) return undefined;
  const remainder = ref.slice(prefix.length);
  // AWS writes some names with an unescaped "/" (partner schemas): try the whole remainder as one name first.
  const whole = unescapeSegment(remainder);
  if (whole !== undefined && Object.hasOwn(components, whole)) {
    return { name: whole, rest: '', node: components[whole] };
  }
  const slash = remainder.indexOf('/');
  if (slash < 0) return undefined;
  const name = unescapeSegment(remainder.slice(0, slash));
  if (name === undefined || !Object.hasOwn(components, name)) return undefined;
  const rest = remainder.slice(slash + 1);
  let node: unknown = components[name];
  for (const raw of rest.split('/')) {
    const segment = unescapeSegment(raw);
    node = segment !== undefined && isRecord(node) ? ownValue(node, segment) : undefined;
  }
  return node === undefined ? undefined : { name, rest, node };
}

function unescapeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment).replaceAll('~1', '/').replaceAll('~0', '~');
  } catch {
    return undefined;
  }
}

// ---- the detail schema, as a JSON Schema of its own -------------------------------------------------------------

/** Keywords whose value is a schema (or, for `items`, a list of them) or a list of schemas: the walk follows them. */
const SCHEMA_KEYWORDS = new Set([
  'items',
  'additionalItems',
  'additionalProperties',
  'not',
  'contains',
  'propertyNames',
  'allOf',
  'anyOf',
  'oneOf',
]);
/** Keywords whose value maps names to schemas; the names are data, never keywords. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs']);

/**
 * OpenAPI 3.0 schema objects follow draft-04's rules (boolean exclusiveMinimum and exclusiveMaximum,
 * one type), with a few keywords JSON Schema does not have. `nullable: true` becomes a "null" in
 * `type`, which is what it means; `discriminator` is dropped because its mapping names schemas by
 * their components path, gone here; `xml` and `externalDocs` describe nothing about a detail.
 * `example`, `readOnly`, `writeOnly`, `deprecated` and `format` ("int64", "double") stay: validators
 * ignore annotations and formats they do not know.
 */
const OPENAPI_ONLY = new Set(['nullable', 'discriminator', 'xml', 'externalDocs']);

interface Conversion {
  readonly envelope: Envelope;
  readonly detailName: string | undefined;
  /** Named schemas the detail refers to, in the order found: copied under `definitions`. */
  readonly wanted: string[];
  readonly unresolved: string[];
  readonly dropped: Set<string>;
}

function convertSchema(value: unknown, conversion: Conversion): unknown {
  if (Array.isArray(value)) return value.map((item) => convertSchema(item, conversion));
  if (!isRecord(value)) return structuredClone(value);
  const openapi = conversion.envelope.openapi;
  const result: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (openapi && OPENAPI_ONLY.has(key)) {
      if (key !== 'nullable') conversion.dropped.add(key);
    } else if (key === '$ref' && typeof entry === 'string') {
      setOwn(result, key, rewriteRef(entry, conversion));
    } else if (SCHEMA_KEYWORDS.has(key)) {
      setOwn(result, key, convertSchema(entry, conversion));
    } else if (SCHEMA_MAPS.has(key) && isRecord(entry)) {
      const children: Record<string, unknown> = {};
      for (const [name, child] of Object.entries(entry))
        setOwn(children, name, convertSchema(child, conversion));
      setOwn(result, key, children);
    } else {
      setOwn(result, key, structuredClone(entry));
    }
  }
  if (openapi && value.nullable === true) allowNull(result);
  return result;
}

function allowNull(schema: Record<string, unknown>): void {
  const type: unknown = schema.type;
  const types: unknown[] = Array.isArray(type) ? type : [type];
  // No type at all already allows null.
  if (type !== undefined && !types.includes('null')) schema.type = [...types, 'null'];
}

function rewriteRef(ref: string, conversion: Conversion): string {
  const target = lookUp(conversion.envelope, ref);
  if (target === undefined) {
    if (!conversion.unresolved.includes(ref)) conversion.unresolved.push(ref);
    return ref;
  }
  // The detail is the file's root now: a schema that contains itself (a tree of replies) points at "#".
  if (target.name === conversion.detailName) return target.rest === '' ? '#' : `#/${target.rest}`;
  if (!conversion.wanted.includes(target.name)) conversion.wanted.push(target.name);
  return `#/definitions/${encodePointer(target.name)}${target.rest === '' ? '' : `/${target.rest}`}`;
}

/** The made-up example is checked like any other; what it still gets wrong is for the team to fill in. */
function exampleNotes(file: Record<string, unknown>, example: Record<string, unknown>): string[] {
  // A schema the check refuses (a pattern that backtracks for ever, a loop) is not run: the written file's check says why.
  if (checkSchema(file, []).some((issue) => issue.severity === 'error') || referenceProblems(file).length > 0)
    return [];
  try {
    const result = jsonSchemaReader(file, '4')(example);
    if (result.ok) return [];
    return result.problems.map(
      (problem) =>
        `The made-up example does not pass the schema at "${problem.path.join('.')}" (${problem.message}): write that part by hand.`,
    );
  } catch (error) {
    return [`The schema could not check the made-up example: ${errorMessage(error)}`];
  }
}
