/**
 * What can be worked out for an event file from what there is. From sample events: the detail's
 * JSON Schema as the samples show it (types, which fields every sample has, array items merged,
 * lists no sample left empty), with the first detail as the example. From a schema (here or
 * imported from the Schema Registry): where the customer id probably is, and a made-up example it
 * accepts. Drafts for the team to review: samples show what was sent, not what may be, and a
 * made-up example is no real detail.
 */
import { isRecord, setOwn } from '../json.ts';
import { guessCustomerId } from './customer-id-guess.ts';
import { eventEnvelopeSchema } from './catalog.ts';
import { type JsonType, TYPE_ORDER } from './json-schema.ts';
import type { EventFileDraft } from './registry-import.ts';
import { nestingDepth } from './storable.ts';
import { MAX_NESTING } from '../journey/source.ts';

/** Each level of a detail is two in its schema (`properties`, the field); the file itself and `required` take two more. */
const MAX_SAMPLE_DEPTH = Math.floor((MAX_NESTING - 2) / 2);

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
    if (isRecord(sample) && nestingDepth(sample.detail, MAX_SAMPLE_DEPTH) > MAX_SAMPLE_DEPTH) {
      return {
        ok: false,
        problem: `Sample ${position}'s detail is nested deeper than ${MAX_SAMPLE_DEPTH} levels: its event file would nest deeper than the ${MAX_NESTING} levels a file may.`,
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
    for (const [key, property] of shape.properties) setOwn(properties, key, schemaOf(property.shape));
    schema.properties = properties;
    const required = [...shape.properties].filter(([, property]) => property.seen === shape.objects);
    if (required.length > 0) schema.required = required.map(([key]) => key);
  }
  if (shape.types.has('array') && !shape.emptyArray) schema.minItems = 1;
  if (shape.items !== undefined) schema.items = schemaOf(shape.items);
  return schema;
}
