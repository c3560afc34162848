/**
 * Event files from the EventBridge Schema Registry: an OpenAPI 3 export as the CLI prints it (the
 * schema as JSON text in "Content") and a JSONSchemaDraft4 export as the bare document, under
 * test/events/registry/. Each becomes a draft-04 event file that the validator accepts as it is,
 * with a made-up example the schema itself accepts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRecord } from '../shared/json.ts';
import { patternExample, synthesizeExample } from '../shared/events/example-synthesis.ts';
import { jsonSchemaReader } from '../shared/events/json-schema.ts';
import { eventFileFromRegistryExport } from '../shared/events/registry-import.ts';
import { validateEventFileText } from '../shared/journey/validate.ts';

const REGISTRY = 'test/events/registry';
const OPENAPI_EXPORT = readFileSync(`${REGISTRY}/checkout-started.openapi3.json`, 'utf8');
const DRAFT4_EXPORT = readFileSync(`${REGISTRY}/support-ticket-closed.draft4.json`, 'utf8');
const NO_DETAIL_EXPORT = readFileSync(`${REGISTRY}/order-shipped.no-detail.json`, 'utf8');

const folder = mkdtempSync(join(tmpdir(), 'waymark-import-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function record(value: unknown): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`expected a JSON object, got ${JSON.stringify(value)}`);
  return value;
}

function firstExample(file: Record<string, unknown>): Record<string, unknown> {
  const examples = file.examples;
  if (!Array.isArray(examples)) throw new Error('the file has no examples');
  return record(examples[0]);
}

/** The import's file and notes; fails the test with the problem when the import refused. */
function imported(content: unknown): { file: Record<string, unknown>; notes: string[] } {
  const result = eventFileFromRegistryExport(content);
  if (!result.ok) throw new Error(result.problem);
  return result;
}

function refusal(content: unknown): string {
  const result = eventFileFromRegistryExport(content);
  if (result.ok) throw new Error('expected the import to refuse');
  return result.problem;
}

/** Writes the file as `<journeys>/events/<title>.json` and validates what was written. */
function validateWritten(file: Record<string, unknown>) {
  const dir = join(folder, 'events');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${String(file.title)}.json`);
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  return validateEventFileText(readFileSync(path, 'utf8'), path);
}

/** The OpenAPI document inside the CLI's wrapper, as a JSON object to change a part of. */
function openapiDocument(): Record<string, unknown> {
  const wrapper = record(JSON.parse(OPENAPI_EXPORT));
  const content = wrapper.Content;
  if (typeof content !== 'string') throw new Error('the fixture has no Content');
  return record(JSON.parse(content));
}

function componentsOf(document: Record<string, unknown>): Record<string, unknown> {
  return record(record(document.components).schemas);
}

/** An OpenAPI 3 export of one event whose detail schema is `detail`, beside the other `components`. */
function openapiExport(detail: unknown, components: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    openapi: '3.0.0',
    info: { version: '1.0.0', title: 'Detail' },
    paths: {},
    components: {
      schemas: {
        AWSEvent: {
          type: 'object',
          'x-amazon-events-detail-type': 'thing.happened',
          'x-amazon-events-source': 'things',
          properties: { detail: { $ref: '#/components/schemas/Detail' }, source: { type: 'string' } },
        },
        Detail: detail,
        ...components,
      },
    },
  };
}

describe('an OpenAPI 3 export, as aws schemas export-schema prints it', () => {
  it('becomes a draft-04 event file the validator accepts without a problem', () => {
    // Act
    const { file } = imported(OPENAPI_EXPORT);
    const validation = validateWritten(file);

    // Assess
    expect(validation.problems).toEqual([]);
    expect(validation.value?.title).toBe('checkout.started');
    expect(file.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(file.description).toBe('Imported from the EventBridge Schema Registry (shop.web).');
    expect(file['x-waymark']).toEqual({ source: 'shop.web', customerId: 'customerId' });
    expect(file.type).toBe('object');
    expect(file.required).toEqual(['customerId', 'checkoutId', 'items', 'total', 'startedAt']);
  });

  it('copies the components the detail refers to, at any depth, under definitions', () => {
    // Act
    const { file } = imported(OPENAPI_EXPORT);

    // Assess
    const properties = record(file.properties);
    expect(Object.keys(record(file.definitions))).toEqual(['ItemsItem', 'Shipping', 'Address']);
    expect(record(properties.items).items).toEqual({ $ref: '#/definitions/ItemsItem' });
    expect(properties.shipping).toEqual({ $ref: '#/definitions/Shipping' });
    expect(record(record(record(file.definitions).Shipping).properties).address).toEqual({
      $ref: '#/definitions/Address',
    });
    expect(JSON.stringify(file)).not.toContain('#/components/');
    expect(record(properties.currency).enum).toEqual(['BRL', 'USD', 'EUR']);
  });

  it('turns nullable into a "null" type, drops discriminator and says so, keeps draft-04 exclusive bounds', () => {
    // Act
    const { file, notes } = imported(OPENAPI_EXPORT);

    // Assess
    const properties = record(file.properties);
    expect(properties.couponCode).toEqual({ type: ['string', 'null'] });
    expect(properties.total).toEqual({
      type: 'number',
      format: 'double',
      minimum: 0,
      exclusiveMinimum: true,
    });
    expect(record(record(file.definitions).Shipping)).not.toHaveProperty('discriminator');
    expect(notes).toContain('Dropped OpenAPI keywords that JSON Schema does not have: discriminator.');
    expect(jsonSchemaReader(file, '4')({ ...firstExample(file), couponCode: null }).ok).toBe(true);
  });

  it('makes up one example the schema accepts, with every declared field, and asks for a real one', () => {
    // Act
    const { file, notes } = imported(OPENAPI_EXPORT);

    // Assess
    const examples = file.examples;
    if (!Array.isArray(examples)) throw new Error('no examples');
    expect(examples).toHaveLength(1);
    const example = record(examples[0]);
    expect(jsonSchemaReader(file, '4')(example)).toEqual({ ok: true, detail: example });
    expect(Object.keys(example)).toEqual(Object.keys(record(file.properties)));
    expect(example.checkoutId).toMatch(/^chk-[0-9a-f]{6}$/);
    expect(example.currency).toBe('BRL');
    expect(example.startedAt).toBe('2025-01-01T09:00:00Z');
    expect(example.total).toBeGreaterThan(0);
    expect(record(record(example.shipping).address).country).toHaveLength(2);
    expect(notes.some((note) => note.includes('replace the example with a real detail'))).toBe(true);
    expect(notes.some((note) => note.includes('does not pass'))).toBe(false);
  });

  it('reads the same document whether wrapped by the CLI, given as text or as a parsed object', () => {
    // Act
    const wrapped = imported(OPENAPI_EXPORT).file;
    const bare = imported(openapiDocument()).file;
    const text = imported(JSON.stringify(openapiDocument())).file;

    // Assess
    expect(bare).toEqual(wrapped);
    expect(text).toEqual(wrapped);
  });
});

describe('a JSONSchemaDraft4 export', () => {
  it('becomes an event file the validator accepts, the customer id found at account.id', () => {
    // Act
    const { file, notes } = imported(DRAFT4_EXPORT);
    const validation = validateWritten(file);

    // Assess
    expect(validation.problems).toEqual([]);
    expect(file.title).toBe('support.ticket.closed');
    expect(file['x-waymark']).toEqual({ source: 'helpdesk.zendesk', customerId: 'account.id' });
    expect(notes[0]).toBe(
      'The customer id is taken to be "account.id": check it, and change "x-waymark.customerId" if the customer id is elsewhere.',
    );
    expect(Object.keys(record(file.definitions))).toEqual(['Account', 'Message']);
    expect(record(record(file.properties).satisfaction).exclusiveMaximum).toBe(true);
    const example = firstExample(file);
    expect(record(example.account).id).toBe('example-id');
    expect(example.satisfaction).toBe(1);
  });

  it("takes the description from describe-schema's wrapper when the schema has none", () => {
    // Prepare
    const described = {
      Content: DRAFT4_EXPORT,
      Description: 'A help desk ticket was closed.',
      Type: 'JSONSchemaDraft4',
    };

    // Act
    const { file } = imported(described);

    // Assess
    expect(file.description).toBe('A help desk ticket was closed.');
  });
});

describe('where the customer id is', () => {
  it('takes the first of the usual places, most customer-like first, and asks to check it', () => {
    // Prepare
    const detail = {
      type: 'object',
      properties: {
        user: { type: 'object', properties: { id: { type: 'string' } } },
        user_id: { type: 'string' },
      },
      required: ['user_id'],
    };

    // Act
    const { file, notes } = imported(openapiExport(detail));

    // Assess
    expect(record(file['x-waymark']).customerId).toBe('user_id');
    expect(notes[0]).toContain('"user_id": check it');
    expect(validateWritten(file).problems).toEqual([]);
  });

  it('leaves it unset when no usual place holds a string, and says to set it', () => {
    // Prepare
    const detail = { type: 'object', properties: { userId: { type: 'integer' }, note: { type: 'string' } } };

    // Act
    const { file, notes } = imported(openapiExport(detail));

    // Assess
    expect(record(file['x-waymark'])).not.toHaveProperty('customerId');
    expect(notes[0]).toContain('"userId" is "integer"');
    expect(notes[0]).toContain('set "x-waymark": { "customerId": "<dot path>" }');
    const messages = validateWritten(file).problems.map((problem) => problem.message);
    expect(messages).toContain('The schema has no field "customerId" for the customer id.');
  });
});

describe('references the Schema Registry writes', () => {
  it('points a detail that contains itself at the file root', () => {
    // Prepare
    const detail = {
      type: 'object',
      required: ['customerId'],
      properties: {
        customerId: { type: 'string' },
        replies: { type: 'array', items: { $ref: '#/components/schemas/Detail' } },
      },
    };

    // Act
    const { file } = imported(openapiExport(detail));

    // Assess
    expect(record(record(file.properties).replies).items).toEqual({ $ref: '#' });
    expect(file).not.toHaveProperty('definitions');
    expect(validateWritten(file).problems).toEqual([]);
  });

  it('keeps a partner schema name with "/" in it, escaped in the new reference', () => {
    // Prepare
    const detail = {
      type: 'object',
      properties: {
        customerId: { type: 'string' },
        ticket: { $ref: '#/components/schemas/aws.partner/acme/Ticket' },
      },
      required: ['customerId'],
    };
    const ticket = { type: 'object', properties: { id: { type: 'string' } } };

    // Act
    const { file } = imported(openapiExport(detail, { 'aws.partner/acme/Ticket': ticket }));

    // Assess
    expect(record(record(file.properties).ticket).$ref).toBe('#/definitions/aws.partner~1acme~1Ticket');
    expect(validateWritten(file).problems).toEqual([]);
  });
});

describe('what the import refuses, and why', () => {
  it('text that is not JSON', () => {
    expect(refusal('{"openapi": "3.0.0",')).toMatch(/^The export is not JSON: /);
    expect(refusal({ Content: 'not json' })).toMatch(/^The schema in "Content" is not JSON: /);
    expect(refusal('[]')).toMatch(/^The export is not a JSON object/);
  });

  it('a document that is neither OpenAPI 3 nor a draft-04 AWSEvent', () => {
    expect(refusal({ $schema: 'http://json-schema.org/draft-07/schema#', title: 'AWSEvent' })).toBe(
      'This is neither an OpenAPI 3 export ("openapi": "3.0.0" with components.schemas.AWSEvent) nor a JSON Schema draft-04 AWSEvent ("$schema": draft-04, "title": "AWSEvent"): export it with aws schemas export-schema --type OpenApi3 or --type JSONSchemaDraft4.',
    );
    expect(refusal({ openapi: '2.0' })).toBe(
      '"openapi": "2.0" is not OpenAPI 3: the Schema Registry exports OpenAPI 3.0.',
    );
    expect(refusal({ openapi: '3.0.0', components: { schemas: { Other: {} } } })).toBe(
      'The OpenAPI 3 document has no "components.schemas.AWSEvent", where the Schema Registry keeps the event envelope.',
    );
  });

  it('an envelope without a detail-type', () => {
    // Prepare
    const document = openapiDocument();
    Reflect.deleteProperty(record(componentsOf(document).AWSEvent), 'x-amazon-events-detail-type');

    // Act, Assess
    expect(refusal(document)).toBe(
      'The AWSEvent schema has no "x-amazon-events-detail-type": it names the event type, which the event file is named after.',
    );
  });

  it('a detail $ref that points nowhere (the broken fixture)', () => {
    expect(refusal(NO_DETAIL_EXPORT)).toBe(
      '"properties.detail" points to "#/components/schemas/OrderShipped", which is not in the export: there is no detail schema to import.',
    );
  });

  it('an envelope without properties.detail', () => {
    // Prepare
    const document = openapiDocument();
    Reflect.deleteProperty(record(record(componentsOf(document).AWSEvent).properties), 'detail');

    // Act, Assess
    expect(refusal(document)).toBe(
      'The AWSEvent schema has no "properties.detail": there is no detail schema to import.',
    );
  });

  it('a detail that is not an object schema', () => {
    expect(refusal(openapiExport({ type: 'string' }))).toBe(
      'The detail schema "Detail" is not an object schema ("type": "string"): Waymark reads details that are JSON objects.',
    );
  });

  it('a reference inside the detail to a schema the export does not have', () => {
    // Prepare
    const detail = { type: 'object', properties: { thing: { $ref: '#/components/schemas/Missing' } } };

    // Act, Assess
    expect(refusal(openapiExport(detail))).toBe(
      'The detail schema refers to "#/components/schemas/Missing", not in the export: only references to its own "#/components/schemas/<Name>" schemas are followed.',
    );
  });
});

describe('a made-up example', () => {
  it('reads simple patterns and stays inside bounds, lengths and formats', () => {
    // Prepare
    const schema = {
      type: 'object',
      properties: {
        code: { type: 'string', pattern: '^(ord|inv)-\\d{4,}$' },
        phone: { type: 'string', pattern: '^\\+[1-9]\\d{6,14}$' },
        short: { type: 'string', minLength: 12, maxLength: 12 },
        email: { type: 'string', format: 'email' },
        id: { type: 'string', format: 'uuid' },
        rating: { type: 'integer', minimum: 3, maximum: 5 },
        share: { type: 'number', minimum: 0, maximum: 1, exclusiveMaximum: 1 },
        step: { type: 'integer', minimum: 7, multipleOf: 5 },
        tags: { type: 'array', minItems: 2, items: { type: 'string' } },
        either: { oneOf: [{ type: 'null' }, { type: 'boolean' }] },
      },
    };

    // Act
    const example = synthesizeExample(schema);

    // Assess
    expect(jsonSchemaReader(schema, '2020-12')(example)).toEqual({ ok: true, detail: example });
    expect(example).toMatchObject({
      code: 'ord-0000',
      rating: 3,
      step: 10,
      tags: ['example-tags', 'example-tags'],
    });
    expect(patternExample('^a(?=b)')).toBeUndefined();
  });
});
