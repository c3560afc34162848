/**
 * Event files, `waymark events` and the customer id as an attacker or a careless team would try them:
 * patterns that backtrack for ever, references that loop or point where the validator cannot follow,
 * formats whose own check explodes, customer id paths through lists or into `constructor`, titles that
 * cannot be file names, and JSON Schema maps and conditions the field lookups must not refuse.
 * Each case is a real file on disk, read the way the CLI, the CDK app and the local engine read it.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../infra/cli/main.ts';
import {
  createEventCatalog,
  type EventCatalog,
  parseEventDetail,
  withCustomerId,
} from '../shared/events/catalog.ts';
import { eventDefinitionOf, eventFileSchema } from '../shared/events/event-file.ts';
import { catastrophicPart } from '../shared/events/regex-safety.ts';
import { eventFileFromRegistryExport } from '../shared/events/registry-import.ts';
import { recordPattern } from '../shared/events/routes.ts';
import { formatProblem, type Problem } from '../shared/journey/problem.ts';
import { loadProject } from '../shared/project/load.ts';
import { captureIo } from './support/io.ts';

const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

function tempFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-events-adversarial-'));
  folders.push(dir);
  return dir;
}

/** An event file for `x.happened` with the customer id at the top, changed by `extra`. */
function eventFile(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'x.happened',
    type: 'object',
    required: ['customerId'],
    properties: { customerId: { type: 'string' } },
    examples: [{ customerId: 'cust-1' }],
    ...extra,
  };
}

/** `properties` with the customer id and these fields. */
function withFields(fields: Record<string, unknown>): Record<string, unknown> {
  return { customerId: { type: 'string' }, ...fields };
}

/** A journey started by `x.happened` events that pass this filter. */
function journeyOn(filter: Record<string, unknown>): Record<string, unknown> {
  return {
    id: 'on-x',
    name: 'On x',
    version: 1,
    status: 'active',
    trigger: { event: 'x.happened', filter },
    entry: { reentry: 'always' },
    start: 'done',
    steps: { done: { type: 'end' } },
  };
}

/** A project folder with the sample settings, these event files (name to value) and journeys. */
function projectFolder(
  events: Record<string, unknown>,
  journeys: Record<string, Record<string, unknown>> = {},
): string {
  const dir = join(tempFolder(), 'journeys');
  mkdirSync(join(dir, 'events'), { recursive: true });
  writeFileSync(join(dir, 'settings.json'), readFileSync('journeys/settings.json', 'utf8'));
  for (const [name, value] of Object.entries(events)) {
    const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
    writeFileSync(join(dir, 'events', name), text);
  }
  for (const [name, journey] of Object.entries(journeys))
    writeFileSync(join(dir, name), JSON.stringify(journey, null, 2));
  return dir;
}

/** The errors of a project, one formatted line each (file, line, column, path, message, hint). */
function errorsOf(
  events: Record<string, unknown>,
  journeys: Record<string, Record<string, unknown>> = {},
): string[] {
  const dir = projectFolder(events, journeys);
  return loadProject(dir)
    .problems.filter((problem: Problem) => problem.severity === 'error')
    .map((problem) => formatProblem(problem).replace(dir, ''));
}

function waymark(...argv: string[]): { code: number; out: string; err: string } {
  const output = captureIo();
  const code = main(argv, output.io);
  if (typeof code !== 'number') throw new Error(`waymark ${argv.join(' ')} did not finish synchronously`);
  return { code, out: output.out, err: output.err };
}

/** An OpenAPI 3 export of the Schema Registry for one detail-type, the detail's schema as given. */
function registryExport(
  detailType: string,
  detail: Record<string, unknown>,
  components: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    openapi: '3.0.0',
    info: { title: detailType, version: '1.0.0' },
    paths: {},
    components: {
      schemas: {
        AWSEvent: {
          type: 'object',
          'x-amazon-events-detail-type': detailType,
          'x-amazon-events-source': 'attacker',
          properties: { detail: detail },
        },
        ...components,
      },
    },
  });
}

describe('a pattern that backtracks for ever', () => {
  it('is refused, with the part that repeats a repetition', () => {
    const errors = errorsOf({
      'x.happened.json': eventFile({
        properties: withFields({ code: { type: 'string', pattern: '^(a+)+$' } }),
      }),
    });
    expect(errors).toEqual([
      expect.stringMatching(
        /x\.happened\.json:\d+:\d+ error \$\.properties\.code\.pattern: "\^\(a\+\)\+\$" can take exponential time.*"\(a\+\)\+"/s,
      ),
    ]);
  });

  it('is refused as a patternProperties name too, and so is one that is no regular expression', () => {
    const errors = errorsOf({
      'x.happened.json': eventFile({
        properties: withFields({
          tags: { type: 'object', patternProperties: { '^(\\w+\\s?)*$': { type: 'string' } } },
          labels: { type: 'object', patternProperties: { '(': { type: 'string' } } },
        }),
      }),
    });
    expect(errors).toEqual([
      expect.stringContaining(
        '$.properties.tags.patternProperties["^(\\\\w+\\\\s?)*$"]: "^(\\\\w+\\\\s?)*$" can',
      ),
      expect.stringContaining('$.properties.labels.patternProperties["("]: "(" is not a regular expression.'),
    ]);
  });

  it('would otherwise hold up a check for seconds on thirty characters (the reason for the refusal)', () => {
    const schema = eventFile({ properties: withFields({ code: { type: 'string', pattern: '^(a+)+$' } }) });
    const definition = eventDefinitionOf('x.happened.json', eventFileSchema.parse(schema));
    const catalog: EventCatalog = createEventCatalog([definition]);
    const started = Date.now();
    parseEventDetail(catalog, 'x.happened', { customerId: 'c', code: `${'a'.repeat(25)}!` });
    // 25 characters already take tens of milliseconds; every one more doubles it.
    expect(Date.now() - started).toBeGreaterThan(10);
    expect(catastrophicPart('^(a+)+$')).toBe('(a+)+');
  });

  it.each([
    '(a*)*',
    '^(\\w+\\s?)+$',
    '(a|a)+',
    '^(a|b|ab)*$',
    '(-a*a*)*',
    '(.*a){20}',
    '^\\w+([.-]?\\w+)*@\\w+([.-]?\\w+)*(\\.\\w{2,3})+$',
    '^(https?://)?[\\w.-]+(/[\\w./-]*)*$',
    '^([a-z]+|[a-z0-9]+)+$',
    '(-(a|a))*',
    '(ж[а-я]*)+',
    '(\\u0430[\\u0430-\\u044f]*)+',
    '(?=(a+)+b)',
  ])('%s is taken for exponential', (pattern) => {
    expect(catastrophicPart(pattern)).toBeDefined();
  });

  it.each([
    '^[a-z]+(-[a-z]+)*$',
    '^([a-z0-9-]+\\.)+[a-z]{2,}$',
    '^(foo|bar)+$',
    '^([A-Z]{3})+$',
    '^\\d{4}-\\d{2}-\\d{2}$',
    '^\\p{L}+( \\p{L}+)*$',
    '^([01]?\\d|2[0-4]\\d|25[0-5])(\\.([01]?\\d|2[0-4]\\d|25[0-5])){3}$',
    '^(\\d{1,3}\\.){3}\\d{1,3}$',
    '^chk-[0-9a-f]{6}$',
    '^([A-Z][a-z]+ ?)+$',
    '^[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*$',
    '^(a|ab)+$',
    '^(?<year>\\d{4})-(?<month>\\d{2})$',
    '(\\\\.|[^"\\\\])*',
  ])('%s is let through', (pattern) => {
    expect(catastrophicPart(pattern)).toBeUndefined();
  });

  it('does not hang an import whose schema has one, and the written file is refused', () => {
    const dir = projectFolder({});
    const exportFile = join(tempFolder(), 'export.json');
    // The made-up value is "example-<name>": twenty-eight word characters and a "!" take a second a try.
    const name = `${'a'.repeat(20)}!`;
    const detail = {
      type: 'object',
      required: ['customerId', name],
      properties: {
        customerId: { type: 'string' },
        [name]: { type: 'string', pattern: '^(?!z)([\\w-]+)+$' },
      },
    };
    writeFileSync(exportFile, registryExport('code.sent', detail));
    const started = Date.now();
    const result = waymark('events', 'import', exportFile, '--journeys', dir);
    expect(Date.now() - started).toBeLessThan(500);
    expect(result.code).toBe(1);
    expect(result.err).toContain('can take exponential time');
  });
});

describe('formats and references the validator cannot follow safely', () => {
  it('refuses format "url", whose own check backtracks for ever, pointing at "uri"', () => {
    const errors = errorsOf({
      'x.happened.json': eventFile({ properties: withFields({ link: { type: 'string', format: 'url' } }) }),
    });
    expect(errors).toEqual([
      expect.stringMatching(/\$\.properties\.link\.format: .*exponential.*\n {2}hint: .*"uri"/s),
    ]);
  });

  it('refuses a format named after what every object has, and a format that is not a string', () => {
    const errors = errorsOf({
      'x.happened.json': eventFile({
        properties: withFields({
          a: { type: 'string', format: 'hasOwnProperty' },
          b: { type: 'string', format: ['url'] },
        }),
      }),
    });
    expect(errors).toEqual([
      expect.stringContaining('$.properties.a.format: "hasOwnProperty" is not a format'),
      expect.stringContaining('$.properties.b.format: "format" names a format, as a string'),
    ]);
  });

  it('refuses references that loop without going into a field, with where', () => {
    const mutual = errorsOf({
      'x.happened.json': eventFile({
        properties: withFields({ a: { $ref: '#/$defs/a' } }),
        $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a' } },
      }),
    });
    expect(mutual).toEqual([
      expect.stringMatching(
        /error \$\.\$defs\.(a|b)\.\$ref: The schema refers back to itself without going into a field/,
      ),
    ]);
    const root = errorsOf({ 'x.happened.json': eventFile({ allOf: [{ $ref: '#' }] }) });
    expect(root).toEqual([expect.stringContaining('$.allOf[0].$ref: The schema refers back to itself')]);
  });

  it('refuses a loop on an optional field the examples leave out, which every detail with it would hit', () => {
    const file = eventFile({
      properties: withFields({ a: { $ref: '#/$defs/a' } }),
      $defs: { a: { allOf: [{ $ref: '#/$defs/a' }] } },
    });
    expect(errorsOf({ 'x.happened.json': file })).toEqual([
      expect.stringContaining('The schema refers back to itself'),
    ]);
  });

  it('still reads a schema that contains itself below a field (a tree of replies)', () => {
    const file = eventFile({
      properties: withFields({ thread: { $ref: '#/$defs/reply' } }),
      $defs: {
        reply: {
          type: 'object',
          properties: { replies: { type: 'array', items: { $ref: '#/$defs/reply' } } },
        },
      },
      examples: [{ customerId: 'c', thread: { replies: [{ replies: [] }] } }],
    });
    expect(errorsOf({ 'x.happened.json': file })).toEqual([]);
  });

  it('refuses references the validator cannot resolve, with where, rather than failing on a detail', () => {
    const errors = errorsOf({
      'x.happened.json': eventFile({
        properties: withFields({
          broken: { $ref: '#/%' },
          intoExamples: { $ref: '#/examples/0' },
          nested: { $id: 'https://other.example/s', properties: { z: { $ref: '#/$defs/z' } } },
        }),
        $defs: { z: { type: 'string' } },
      }),
    });
    expect(errors).toEqual([
      expect.stringContaining('$.properties.broken.$ref: "#/%" points nowhere in this file.'),
    ]);
    const later = errorsOf({
      'x.happened.json': eventFile({
        properties: withFields({
          intoExamples: { $ref: '#/examples/0' },
          nested: { $id: 'https://other.example/s', properties: { z: { $ref: '#/$defs/z' } } },
        }),
        $defs: { z: { type: 'string' } },
      }),
    });
    expect(later).toEqual([
      expect.stringMatching(/\$\.properties\.intoExamples\.\$ref: "#\/examples\/0" points at no schema/),
      expect.stringMatching(
        /\$\.properties\.nested\.properties\.z\.\$ref: "#\/\$defs\/z" points at no schema/,
      ),
    ]);
  });
});

describe('the customer id path and the title', () => {
  const accounts = {
    type: 'array',
    items: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
  };

  it('refuses a customer id path through a list, saying so', () => {
    const errors = errorsOf({
      'x.happened.json': eventFile({
        'x-waymark': { customerId: 'accounts.id' },
        required: ['accounts'],
        properties: { accounts },
        examples: [{ accounts: [{ id: 'a-1' }] }],
      }),
    });
    expect(errors).toEqual([
      expect.stringContaining('$.examples[0]: The example has no customer id at "accounts.id".'),
      expect.stringContaining('$["x-waymark"].customerId: "accounts" is a list'),
    ]);
  });

  it('refuses "constructor" in a customer id path: the history could not store such a detail', () => {
    const errors = errorsOf({
      'x.happened.json': eventFile({
        'x-waymark': { customerId: 'constructor' },
        required: ['constructor'],
        properties: { constructor: { type: 'string' } },
        examples: [{ constructor: 'c-1' }],
      }),
    });
    expect(errors).toEqual([
      expect.stringContaining(
        '$["x-waymark"].customerId: "constructor" cannot be part of the customer id path',
      ),
    ]);
  });

  it('refuses a title with control characters, which no producer can mean and no file can be named', () => {
    const errors = errorsOf({ 'x.happened.json': eventFile({ title: 'x.happened\n' }) });
    expect(errors).toEqual([expect.stringContaining('$.title: ')]);
  });

  it('refuses an event file for the erasure request, and never routes erasures to record', () => {
    const file = eventFile({
      title: 'customer.erasure.requested',
      'x-waymark': { customerId: 'account.id' },
      required: ['account'],
      properties: { account: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } },
      examples: [{ account: { id: 'a-1' } }],
    });
    expect(errorsOf({ 'customer.erasure.requested.json': file })).toEqual([
      expect.stringContaining('$.title: "customer.erasure.requested" is a request to Waymark'),
    ]);
    // The deployed functions only parse: a file that slipped through still must not reach record.
    const definition = eventDefinitionOf('erasure.json', eventFileSchema.parse(file));
    expect(recordPattern(createEventCatalog([definition]))).toEqual(recordPattern(createEventCatalog([])));
  });

  it('sets the customer id as an own field, even at a path no checked file could name', () => {
    const definition = eventDefinitionOf(
      'x.json',
      eventFileSchema.parse(eventFile({ 'x-waymark': { customerId: 'account.id' } })),
    );
    const catalog = createEventCatalog([{ ...definition, customerIdPath: ['__proto__', 'id'] }]);
    const detail = withCustomerId(catalog, 'x.happened', {}, 'cust-9');
    expect(JSON.parse(JSON.stringify(detail))).toEqual({ ['__proto__']: { id: 'cust-9' } });
    expect(Object.getPrototypeOf(detail)).toBe(Object.prototype);
  });
});

describe('journeys on maps, conditions and references beside properties', () => {
  const schema = eventFile({
    properties: withFields({
      attributes: { type: 'object', additionalProperties: { type: 'string' } },
      mixed: {
        type: 'object',
        properties: { fixed: { type: 'string' } },
        additionalProperties: { type: 'string' },
      },
      patterned: {
        type: 'object',
        properties: { fixed: { type: 'string' } },
        patternProperties: { '^x-': { type: 'string' } },
      },
      closed: { type: 'object', additionalProperties: false },
      payment: {
        type: 'object',
        properties: { method: { type: 'string' } },
        if: { properties: { method: { const: 'card' } } },
        then: { properties: { last4: { type: 'string' } } },
      },
      account: { $ref: '#/$defs/base', properties: { plan: { type: 'string' } } },
    }),
    $defs: { base: { type: 'object', properties: { id: { type: 'string' } } } },
  });

  it.each([
    ['an additionalProperties map', { attributes: { color: ['red'] } }],
    ['a map beside named properties', { mixed: { other: ['o'] } }],
    ['a patternProperties map', { patterned: { 'x-y': ['z'] } }],
    ['a field declared in "then"', { payment: { last4: ['1234'] } }],
    ['a field beside a 2020-12 "$ref"', { account: { plan: ['pro'] } }],
    ['a field of the "$ref" itself', { account: { id: ['a-1'] } }],
  ])('lets a filter on %s through', (_what, filter) => {
    expect(errorsOf({ 'x.happened.json': schema }, { 'on-x.json': journeyOn(filter) })).toEqual([]);
  });

  it('refuses a filter on an object that allows no field at all', () => {
    const errors = errorsOf(
      { 'x.happened.json': schema },
      { 'on-x.json': journeyOn({ closed: { anything: ['z'] } }) },
    );
    expect(errors).toEqual([expect.stringContaining('have no field "closed.anything"')]);
  });

  it('does not take the customer id for optional because of a condition at the top', () => {
    const dir = projectFolder({
      'x.happened.json': eventFile({
        properties: withFields({ kind: { type: 'string' } }),
        if: { properties: { kind: { const: 'b' } } },
        then: { properties: { extra: { type: 'string' } } },
      }),
    });
    expect(loadProject(dir).problems.map(formatProblem)).toEqual([]);
  });
});

describe('waymark events, careless or hostile', () => {
  const detail = { type: 'object', required: ['customerId'], properties: { customerId: { type: 'string' } } };

  it('refuses a detail-type longer than EventBridge allows before writing anything', () => {
    const dir = projectFolder({});
    const exportFile = join(tempFolder(), 'export.json');
    writeFileSync(exportFile, registryExport('x'.repeat(300), detail));
    const result = waymark('events', 'import', exportFile, '--journeys', dir);
    expect(result).toMatchObject({ code: 1, err: expect.stringContaining('at most 128 characters') });
    expect(readdirSync(join(dir, 'events'))).toEqual([]);
  });

  it('refuses a detail-type with a line break', () => {
    const dir = projectFolder({});
    const exportFile = join(tempFolder(), 'export.json');
    writeFileSync(exportFile, registryExport('x.happened\nrm -rf', detail));
    const result = waymark('events', 'import', exportFile, '--journeys', dir);
    expect(result).toMatchObject({ code: 1, err: expect.stringContaining('cannot be a file name') });
    expect(readdirSync(join(dir, 'events'))).toEqual([]);
  });

  it('does not write through a link that points out of the events folder', () => {
    const dir = projectFolder({});
    const outside = join(tempFolder(), 'outside.txt');
    symlinkSync(outside, join(dir, 'events', 'x.happened.json'));
    const exportFile = join(tempFolder(), 'export.json');
    writeFileSync(exportFile, registryExport('x.happened', detail));
    const result = waymark('events', 'import', exportFile, '--journeys', dir);
    expect(result).toMatchObject({ code: 1, err: expect.stringContaining('is already there') });
    expect(existsSync(outside)).toBe(false);
  });

  it('reports a file it cannot write, with exit code 1 rather than a crash', () => {
    const dir = projectFolder({});
    mkdirSync(join(dir, 'events', 'x.happened.json'));
    const exportFile = join(tempFolder(), 'export.json');
    writeFileSync(exportFile, registryExport('x.happened', detail));
    const result = waymark('events', 'import', exportFile, '--journeys', dir, '--force');
    expect(result).toMatchObject({ code: 1, err: expect.stringContaining('cannot write') });
  });

  it('refuses samples nested deeper than an event file may be, instead of running out of stack', () => {
    let deep: unknown = 'leaf';
    for (let level = 0; level < 30_000; level += 1) deep = { a: deep };
    const sample = {
      version: '0',
      id: 'e-1',
      'detail-type': 'deep.happened',
      source: 'test',
      account: '123456789012',
      time: '2025-01-01T00:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { customerId: 'c', deep },
    };
    const file = join(tempFolder(), 'deep.json');
    // JSON.stringify would run out of stack itself: the text is written by hand.
    const deepText = `${'{"a":'.repeat(30_000)}"leaf"${'}'.repeat(30_000)}`;
    const { detail: _detail, ...envelope } = sample;
    writeFileSync(
      file,
      `${JSON.stringify(envelope).slice(0, -1)},"detail":{"customerId":"c","deep":${deepText}}}`,
    );
    const result = waymark('events', 'infer', file);
    expect(result).toMatchObject({ code: 1, err: expect.stringContaining('nested deeper than') });
  });

  it('refuses an export nested deeper than an event file may be, instead of running out of stack', () => {
    const deep = `${'{"allOf":['.repeat(30_000)}{}${']}'.repeat(30_000)}`;
    const text = registryExport('deep.happened', { type: 'object', properties: {} }).replace(
      '"properties":{}',
      `"properties":{"x":${deep}}`,
    );
    expect(eventFileFromRegistryExport(text)).toEqual({
      ok: false,
      problem: expect.stringContaining('nested deeper than 64 levels'),
    });
  });

  it('imports an export whose components refer to each other in a loop, and reports the loop', () => {
    const dir = projectFolder({});
    const exportFile = join(tempFolder(), 'export.json');
    const loopDetail = {
      type: 'object',
      required: ['customerId'],
      properties: { customerId: { type: 'string' }, x: { $ref: '#/components/schemas/P' } },
    };
    const components = { P: { $ref: '#/components/schemas/Q' }, Q: { $ref: '#/components/schemas/P' } };
    writeFileSync(exportFile, registryExport('loop.happened', loopDetail, components));
    const result = waymark('events', 'import', exportFile, '--journeys', dir);
    expect(result.code).toBe(1);
    expect(result.err).toContain('The schema refers back to itself');
  });

  it('imports an export whose detail is the AWSEvent itself without looping', () => {
    const result = eventFileFromRegistryExport(
      registryExport('self.happened', { $ref: '#/components/schemas/AWSEvent' }),
    );
    expect(result.ok).toBe(true);
  });
});
