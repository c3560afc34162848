/**
 * Event files drafted from sample events (the envelopes in test/events/): types as the samples show
 * them, required only what every sample has, array items merged (a list never empty in the samples
 * stays non-empty), the first detail as the example;
 * each draft, written as <title>.json, is accepted by the validator.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inferEventFile } from '../shared/events/infer.ts';
import { BUILT_IN_EVENTS } from '../shared/events/runtime-events.ts';
import { isRecord } from '../shared/json.ts';
import { validateEventFileText } from '../shared/journey/validate.ts';

const folder = mkdtempSync(join(tmpdir(), 'waymark-infer-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function record(value: unknown): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`expected a JSON object, got ${JSON.stringify(value)}`);
  return value;
}

function sampleEvent(name: string): Record<string, unknown> {
  return record(JSON.parse(readFileSync(`test/events/${name}.json`, 'utf8')));
}

/** A copy of the event with its detail changed: a field set to undefined is removed. */
function withDetail(
  event: Record<string, unknown>,
  change: (detail: Record<string, unknown>) => void,
): Record<string, unknown> {
  const copy = structuredClone(event);
  change(record(copy.detail));
  return copy;
}

function inferred(samples: readonly unknown[]): { file: Record<string, unknown>; notes: string[] } {
  const result = inferEventFile(samples);
  if (!result.ok) throw new Error(result.problem);
  return result;
}

function refusal(samples: readonly unknown[]): string {
  const result = inferEventFile(samples);
  if (result.ok) throw new Error('expected infer to refuse');
  return result.problem;
}

function validateWritten(file: Record<string, unknown>) {
  const dir = join(folder, 'events');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${String(file.title)}.json`);
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  return validateEventFileText(readFileSync(path, 'utf8'), path);
}

/** The schema of a field, by its dot path through properties (and "[]" for array items). */
function field(file: Record<string, unknown>, path: string): Record<string, unknown> {
  let node = file;
  for (const segment of path.split('.')) {
    node = segment === '[]' ? record(node.items) : record(record(node.properties)[segment]);
  }
  return node;
}

describe('one sample: cart.abandoned', () => {
  it('drafts a file the validator accepts, every field required, the detail as the example', () => {
    // Prepare
    const event = sampleEvent('cart.abandoned');

    // Act
    const { file, notes } = inferred([event]);
    const validation = validateWritten(file);

    // Assess
    expect(validation.problems).toEqual([]);
    expect(file.$schema).toBe('../event.schema.json');
    expect(file.title).toBe('cart.abandoned');
    expect(file['x-waymark']).toEqual({ source: 'shop.web', customerId: 'customerId' });
    expect(file.examples).toEqual([event.detail]);
    expect(file.required).toEqual(Object.keys(record(event.detail)));
    expect(field(file, 'total')).toEqual({ type: 'number' });
    expect(field(file, 'items.[].quantity')).toEqual({ type: 'integer' });
    expect(field(file, 'items').minItems).toBe(1);
    expect(field(file, 'items.[]').required).toEqual([
      'sku',
      'name',
      'quantity',
      'unitPrice',
      'imageUrl',
      'url',
    ]);
    expect(notes).toContain(
      'With one sample every field is required, none may be null and no list empty: give more samples to loosen that.',
    );
  });
});

describe('several samples of one type', () => {
  const first = sampleEvent('cart.abandoned');
  const second = withDetail(first, (detail) => {
    Reflect.deleteProperty(detail, 'device');
    detail.total = 560;
    detail.coupon = null;
    detail.items = [{ sku: 'CAP-1', name: 'Cap', quantity: 1, unitPrice: 50 }];
  });
  const third = withDetail(first, (detail) => {
    detail.coupon = 'SPRING';
    detail.items = [];
  });

  it('requires only what every sample has, at every depth, and lets a list be empty once one was', () => {
    // Act
    const { file } = inferred([first, second, third]);

    // Assess
    expect(field(file, 'items')).not.toHaveProperty('minItems');
    expect(file.required).toEqual(['customerId', 'cartId', 'items', 'total', 'currency', 'cartUrl']);
    expect(field(file, 'items.[]').required).toEqual(['sku', 'name', 'quantity', 'unitPrice']);
    expect(Object.keys(record(field(file, 'items.[]').properties))).toEqual([
      'sku',
      'name',
      'quantity',
      'unitPrice',
      'imageUrl',
      'url',
    ]);
  });

  it('gives a number seen as an integer and as a fraction the type number, and a null a type list', () => {
    // Act
    const { file } = inferred([second, first, third]);

    // Assess
    expect(field(file, 'total')).toEqual({ type: 'number' });
    expect(field(file, 'items.[].unitPrice')).toEqual({ type: 'number' });
    expect(field(file, 'items.[].quantity')).toEqual({ type: 'integer' });
    expect(field(file, 'coupon')).toEqual({ type: ['string', 'null'] });
    expect(file.examples).toEqual([second.detail]);
  });

  it('drafts a file the validator accepts', () => {
    // Act
    const { file } = inferred([first, second, third]);

    // Assess
    expect(validateWritten(file).problems).toEqual([]);
  });

  it('sets no source when the samples come from several, and says so', () => {
    // Prepare
    const elsewhere = { ...first, source: 'shop.app' };

    // Act
    const { file, notes } = inferred([first, elsewhere]);

    // Assess
    expect(file['x-waymark']).toEqual({ customerId: 'customerId' });
    expect(notes).toContain(
      'The samples come from several sources (shop.web, shop.app): no source set, journeys match any.',
    );
  });
});

describe('each sample event in test/events', () => {
  // The profile update and the audience events are built in: they have no event file to draft.
  const builtIn = new Set(BUILT_IN_EVENTS.map((definition) => definition.detailType));
  const names = readdirSync('test/events')
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .filter((name) => !builtIn.has(name));

  it.each(names)('%s drafts a file the validator accepts', (name) => {
    // Act
    const { file } = inferred([sampleEvent(name)]);

    // Assess
    expect(file.title).toBe(name);
    expect(validateWritten(file).problems).toEqual([]);
  });
});

describe('where the customer id is', () => {
  it('guesses a usual place when there is no customerId, and asks to check it', () => {
    // Prepare
    const event = withDetail(sampleEvent('order.placed'), (detail) => {
      Reflect.deleteProperty(detail, 'customerId');
      detail.user = { id: 'u-1', email: 'someone@example.com' };
    });

    // Act
    const { file, notes } = inferred([event]);

    // Assess
    expect(record(file['x-waymark']).customerId).toBe('user.id');
    expect(notes.some((note) => note.startsWith('The customer id is taken to be "user.id"'))).toBe(true);
    expect(validateWritten(file).problems).toEqual([]);
  });
});

describe('what infer refuses, and why', () => {
  const event = sampleEvent('cart.abandoned');

  it('no samples', () => {
    expect(refusal([])).toBe('No sample events: give at least one.');
  });

  it('a sample that is not an envelope, named by its position', () => {
    expect(refusal([event, event.detail])).toMatch(
      /^Sample 2 is not an EventBridge event as a rule delivers it \(version: .*; id: .*\)\.$/,
    );
    expect(refusal([{ ...event, account: 'me' }])).toBe(
      'Sample 1 is not an EventBridge event as a rule delivers it (account: Expected a 12-digit AWS account id).',
    );
  });

  it('samples of several detail-types', () => {
    expect(refusal([event, sampleEvent('order.placed'), event])).toBe(
      'The samples are of several detail-types: "cart.abandoned" (samples 1, 3), "order.placed" (sample 2). Infer one event type at a time.',
    );
  });

  it('a detail that is not an object', () => {
    expect(refusal([event, { ...event, detail: ['a'] }])).toBe(
      "Sample 2's detail is not a JSON object: an event file describes object details.",
    );
  });
});
