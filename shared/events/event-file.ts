/**
 * An event file, `journeys/events/<detail-type>.json`: the JSON Schema of one
 * event type's detail, with its title (the detail-type), examples, and what
 * Waymark needs beyond JSON Schema under `x-waymark` (where the customer id
 * is, the expected source). Checked like a journey, with file:line:column;
 * the deployed functions only parse it (synth checked it).
 */
import { basename } from 'node:path';
import * as z from 'zod';
import { isRecord, ownValue } from '../json.ts';
import type { PathSegment } from '../journey/problem.ts';
import type { Report } from '../journey/checks/scope.ts';
import { PROFILE_UPDATED } from './built-in.ts';
import { BUILT_IN_EVENTS } from './runtime-events.ts';
import { DEFAULT_CUSTOMER_ID_PATH, type EventDefinition } from './catalog.ts';
import {
  draftOf,
  type EventSchemaDraft,
  jsonSchemaReader,
  KNOWN_SCHEMA_URIS,
  schemaField,
} from './json-schema.ts';
import { checkSchema } from './schema-check.ts';
import { UNSAFE_KEYS } from './storable.ts';
import { ERASURE_REQUESTED } from './system-events.ts';
import { referenceProblems } from './schema-references.ts';

/** A dot path of plain names: it becomes a JSONPath in the state machine and a key in rules. */
const CUSTOMER_ID_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export const eventFileSchema = z
  .object({
    $schema: z
      .string({ error: 'Name the JSON Schema draft in "$schema".' })
      .describe(
        'The JSON Schema draft: "../event.schema.json" (2020-12, with these checks), or a draft-04, draft-07 or 2020-12 URI.',
      ),
    // EventBridge's limit for a detail-type.
    title: z
      .string()
      .min(1)
      .max(128)
      .describe("The event's detail-type, as EventBridge carries it; also the file's name."),
    description: z.string().optional().describe('What happened, in words a marketer reads in the panel.'),
    'x-waymark': z
      .strictObject({
        source: z
          .string()
          .min(1)
          .max(256)
          .optional()
          .describe('The source producers send it from; journeys then match only that source.'),
        customerId: z
          .string()
          .regex(CUSTOMER_ID_PATH, 'Expected a dot path of field names, such as "customerId" or "account.id"')
          .optional()
          .describe('Where the detail keeps the customer id, as a dot path; default "customerId".'),
        engagement: z
          .boolean()
          .optional()
          .describe(
            'false for events a system sends about the customer: they do not count toward the hours the customer acts in.',
          ),
      })
      .optional(),
    type: z.literal('object', { error: 'An event detail is a JSON object: "type" must be "object".' }),
    examples: z
      .array(z.record(z.string(), z.unknown()), { error: 'Expected a list of example details.' })
      .min(1, 'Give at least one example detail: templates are checked with it and the panel offers it.')
      .describe('Example details: templates are checked with each, and the panel offers the first.'),
  })
  .loose();
export type EventFile = z.infer<typeof eventFileSchema>;

/** Checks what the file shape alone cannot: the draft, the name, the schema, the customer id, the examples. */
export function checkEventFile(file: string, value: EventFile, report: Report): void {
  const draft = draftOf(value.$schema);
  if (draft === undefined) {
    report(['$schema'], `"${value.$schema}" is not a JSON Schema draft Waymark reads.`, {
      expected: `one of ${KNOWN_SCHEMA_URIS.join(', ')}`,
    });
  }
  if (value.title === PROFILE_UPDATED) {
    report(
      ['title'],
      `"${PROFILE_UPDATED}" is built in: the runtime merges it into profiles field by field.`,
      {
        hint: 'remove this file; docs/events.md describes the built-in profile update',
      },
    );
  } else if (BUILT_IN_EVENTS.some((event) => event.detailType === value.title)) {
    report(
      ['title'],
      `"${value.title}" is built in: the audience runtime makes it, and its shape is fixed.`,
      {
        hint: 'remove this file; docs/audiences.md describes the built-in audience events',
      },
    );
  }
  // Checked here rather than in the file's shape, which journeys/event.schema.json is generated from.
  if (/\p{Cc}/u.test(value.title)) {
    // A line break or a NUL in a detail-type is a mistake no producer means, and no file can be named so.
    report(['title'], 'A detail-type has no control characters (line breaks, tabs, NUL).');
  }
  if (value.title === ERASURE_REQUESTED) {
    report(
      ['title'],
      `"${ERASURE_REQUESTED}" is a request to Waymark, not a customer event: it erases the customer, and no journey may start, wait or end on it.`,
      { hint: 'remove this file; docs/data-model.md describes erasure' },
    );
  }
  const expectedName = `${value.title}.json`;
  if (basename(file) !== expectedName) {
    report(
      ['title'],
      `The file is named ${basename(file)}, but its title (the detail-type) is "${value.title}".`,
      {
        severity: 'warning',
        hint: `rename the file to ${expectedName} so it is easy to find, or change the title`,
      },
    );
  }
  const issues = checkSchema(value, []);
  for (const issue of issues) {
    report(issue.path, issue.message, { hint: issue.hint, severity: issue.severity });
  }
  checkCustomerIdPath(value, report);
  if (draft === undefined || issues.some((issue) => issue.severity === 'error')) return;
  // Only a schema the validator can follow everywhere is tried on the examples.
  const references = referenceProblems(value);
  for (const problem of references) report(problem.path, problem.message, { hint: problem.hint });
  if (references.length > 0) return;
  const read = jsonSchemaReader(value, draft);
  const path = customerIdPathOf(value);
  value.examples.forEach((example, index) => {
    const result = read(example);
    if (!result.ok) {
      for (const problem of result.problems) {
        const field = problem.path.join('.');
        report(
          ['examples', index, ...problem.path],
          `The example does not match its own schema${field === '' ? '' : ` at "${field}"`}: ${problem.message}`,
        );
      }
      return;
    }
    if (typeof valueAt(example, path) !== 'string') {
      report(['examples', index], `The example has no customer id at "${path.join('.')}".`);
    }
  });
}

function checkCustomerIdPath(value: EventFile, report: Report): void {
  const path = customerIdPathOf(value);
  const at: PathSegment[] =
    value['x-waymark']?.customerId === undefined ? ['properties'] : ['x-waymark', 'customerId'];
  const unsafe = path.find((segment) => UNSAFE_KEYS.has(segment));
  if (unsafe !== undefined) {
    report(
      at,
      `"${unsafe}" cannot be part of the customer id path: a detail with such a field cannot be kept in the history.`,
      { hint: 'name the field holding the customer id otherwise' },
    );
    return;
  }
  const field = schemaField(value, path);
  if (field === undefined) {
    report(at, `The schema has no field "${path.join('.')}" for the customer id.`, {
      hint: 'set "x-waymark": { "customerId": "<dot path>" } to where this event keeps the customer id, and declare that field',
    });
    return;
  }
  const list = listOnPath(value, path);
  if (list !== undefined) {
    report(
      at,
      `"${list}" is a list: the customer id path must name one value, and through a list it names one per element.`,
      { hint: 'point "x-waymark.customerId" at a field outside the list' },
    );
    return;
  }
  if (field.nodes.some((node) => node.type !== undefined && node.type !== 'string')) {
    report(at, `The customer id at "${path.join('.')}" must be a string in the schema.`);
  }
  if (!field.required) {
    report(at, `"${path.join('.')}" is not required: such an event without it starts and stops no journey.`, {
      severity: 'warning',
      hint: 'add it to "required" at each level if every event carries it',
    });
  }
}

/** The first part of a path that may be a list, where the schema looks through arrays; undefined when none. */
function listOnPath(value: EventFile, path: readonly string[]): string | undefined {
  for (let length = 1; length < path.length; length += 1) {
    const prefix = path.slice(0, length);
    const field = schemaField(value, prefix, false);
    const isList = (node: Readonly<Record<string, unknown>>): boolean =>
      node.type === 'array' || (Array.isArray(node.type) && node.type.includes('array'));
    if (field === undefined || field.nodes.some(isList)) return prefix.join('.');
  }
  return undefined;
}

function customerIdPathOf(value: EventFile): readonly string[] {
  const declared = value['x-waymark']?.customerId;
  return declared === undefined ? DEFAULT_CUSTOMER_ID_PATH : declared.split('.');
}

function valueAt(detail: unknown, path: readonly string[]): unknown {
  let value = detail;
  for (const segment of path) value = isRecord(value) ? ownValue(value, segment) : undefined;
  return value;
}

/** The definition an event file gives; its schema is the file itself (JSON Schema ignores the extra keys). */
export function eventDefinitionOf(file: string, value: EventFile): EventDefinition {
  const draft: EventSchemaDraft = draftOf(value.$schema) ?? '2020-12';
  const extra = value['x-waymark'];
  return {
    detailType: value.title,
    description: value.description ?? '',
    source: extra?.source,
    customerIdPath: customerIdPathOf(value),
    engagement: extra?.engagement ?? true,
    schema: value,
    examples: value.examples,
    origin: { kind: 'file', file },
    read: jsonSchemaReader(value, draft),
  };
}
