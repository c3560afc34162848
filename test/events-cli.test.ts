/**
 * `waymark events import|infer|list` through the CLI's entry point, against a fresh copy of journeys/
 * per test: files written where the catalog reads them, formatted as prettier would, validated; the
 * list names the journeys that use each event type and how.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../infra/cli/main.ts';
import { cartJsonWithEmitStep } from './support/emit-step.ts';
import { captureIo } from './support/io.ts';

const OPENAPI_EXPORT = 'test/events/registry/checkout-started.openapi3.json';
const DRAFT4_EXPORT = 'test/events/registry/support-ticket-closed.draft4.json';
const NO_DETAIL_EXPORT = 'test/events/registry/order-shipped.no-detail.json';

const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

function tempFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-events-cli-'));
  folders.push(dir);
  return dir;
}

/** A copy of the sample project: settings, templates, event files, segments and the journeys. */
function projectCopy(): string {
  const dir = join(tempFolder(), 'journeys');
  cpSync('journeys/settings.json', join(dir, 'settings.json'));
  cpSync('journeys/templates', join(dir, 'templates'), { recursive: true });
  cpSync('journeys/events', join(dir, 'events'), { recursive: true });
  cpSync('journeys/segments', join(dir, 'segments'), { recursive: true });
  for (const name of readdirSync('journeys').filter((file) => file.endsWith('.json'))) {
    if (name !== 'settings.json' && !name.endsWith('.schema.json'))
      cpSync(`journeys/${name}`, join(dir, name));
  }
  return dir;
}

function waymark(...argv: string[]): { code: number; out: string; err: string } {
  const output = captureIo();
  const code = main(argv, output.io);
  if (typeof code !== 'number') throw new Error(`waymark ${argv.join(' ')} did not finish synchronously`);
  return { code, out: output.out, err: output.err };
}

/** What prettier makes of the text with the project's settings: `npm run lint` checks journeys/ with them. */
async function prettierFormatted(text: string): Promise<string> {
  const options = await resolveConfig('journeys/events/example.json');
  return format(text, { ...options, parser: 'json' });
}

/** A journey that looks back for an order in a branch: the history use of an event type. */
const REPEAT_BUYER = {
  id: 'repeat-buyer',
  name: 'Checkout started by someone who ordered lately',
  version: 1,
  status: 'draft',
  trigger: { event: 'checkout.started' },
  start: 'ordered-lately',
  steps: {
    'ordered-lately': {
      type: 'branch',
      cases: [{ when: { not: { history: { event: 'order.placed', within: '30d' } } }, next: 'done' }],
      default: 'done',
    },
    done: { type: 'end' },
  },
};

describe('waymark events import', () => {
  it('writes events/<detail-type>.json as prettier would, prints its notes, and the project validates', async () => {
    // Prepare
    const dir = projectCopy();
    const written = join(dir, 'events', 'checkout.started.json');

    // Act
    const result = waymark('events', 'import', OPENAPI_EXPORT, '--journeys', dir);

    // Assess
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toBe(
      [
        `wrote ${written}`,
        'note: The example in "examples" is made up from the schema: replace the example with a real detail (templates are checked with it and the panel offers it).',
        'note: Dropped OpenAPI keywords that JSON Schema does not have: discriminator.',
        '',
      ].join('\n'),
    );
    const text = readFileSync(written, 'utf8');
    expect(text).toBe(await prettierFormatted(text));
    const validation = waymark('validate', dir);
    expect(validation.out).toBe(
      '6 journey file(s), 8 event file(s) and 3 segment file(s) checked: 0 error(s), 0 warning(s)\n',
    );
  });

  it('writes a draft-04 export too, creating events/ when the folder has none', () => {
    // Prepare
    const dir = tempFolder();

    // Act
    const result = waymark('events', 'import', DRAFT4_EXPORT, '--journeys', dir);

    // Assess
    expect(result.code).toBe(0);
    expect(result.out).toContain('note: The customer id is taken to be "account.id"');
    expect(existsSync(join(dir, 'events', 'support.ticket.closed.json'))).toBe(true);
  });

  it('refuses to overwrite an event file unless --force', () => {
    // Prepare
    const dir = projectCopy();
    waymark('events', 'import', OPENAPI_EXPORT, '--journeys', dir);

    // Act
    const again = waymark('events', 'import', OPENAPI_EXPORT, '--journeys', dir);
    const forced = waymark('events', 'import', OPENAPI_EXPORT, '--journeys', dir, '--force');

    // Assess
    expect(again.code).toBe(1);
    expect(again.err).toBe(
      `waymark events import: ${join(dir, 'events', 'checkout.started.json')} is already there; run again with --force to overwrite it.\n`,
    );
    expect(forced.code).toBe(0);
  });

  it('refuses an export without a detail schema and writes nothing', () => {
    // Prepare
    const dir = projectCopy();

    // Act
    const result = waymark('events', 'import', NO_DETAIL_EXPORT, '--journeys', dir);

    // Assess
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      `waymark events import: ${NO_DETAIL_EXPORT}: "properties.detail" points to "#/components/schemas/OrderShipped", which is not in the export: there is no detail schema to import.\n`,
    );
    expect(existsSync(join(dir, 'events', 'order.shipped.json'))).toBe(false);
  });

  it('writes a file without a customer id, then shows the problem with file:line:column and exits 1', () => {
    // Prepare
    const dir = projectCopy();
    const exported = join(tempFolder(), 'export.json');
    const document = JSON.parse(readFileSync(NO_DETAIL_EXPORT, 'utf8'));
    document.components.schemas.OrderShipped = {
      type: 'object',
      properties: { orderId: { type: 'string' }, carrier: { type: 'string' } },
    };
    writeFileSync(exported, JSON.stringify(document));

    // Act
    const result = waymark('events', 'import', exported, '--journeys', dir);

    // Assess
    expect(result.code).toBe(1);
    expect(result.out).toContain('note: No customer id found at customerId, customer_id');
    expect(result.err).toContain(
      `${join(dir, 'events', 'order.shipped.json')}:9:3 error $.properties: The schema has no field "customerId" for the customer id.`,
    );
  });

  it('says what it cannot read, and which folder is missing', () => {
    expect(waymark('events', 'import', 'no-such-export.json').err).toMatch(
      /^waymark events import: cannot read no-such-export\.json: ENOENT/,
    );
    const missing = join(tempFolder(), 'nowhere');
    const result = waymark('events', 'import', OPENAPI_EXPORT, '--journeys', missing);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `waymark events import: ${missing}: no such folder; name the journeys folder with --journeys.\n`,
    );
  });
});

describe('waymark events infer', () => {
  it('prints the drafted file for review, the notes on stderr', async () => {
    // Act
    const result = waymark('events', 'infer', 'test/events/cart.abandoned.json');

    // Assess
    expect(result.code).toBe(0);
    expect(result.out).toBe(await prettierFormatted(result.out));
    const file: unknown = JSON.parse(result.out);
    expect(file).toMatchObject({ title: 'cart.abandoned', 'x-waymark': { source: 'shop.web' } });
    expect(result.err).toContain(
      'note: Inferred from 1 sample event: check the types, which fields are required (those every sample has) and which lists may be empty (none was in the samples when "minItems" is 1).\n',
    );
  });

  it('reads files of one event or of a list, and names the file of a sample it refuses', () => {
    // Prepare
    const list = join(tempFolder(), 'orders.json');
    const order = JSON.parse(readFileSync('test/events/order.placed.json', 'utf8'));
    writeFileSync(
      list,
      JSON.stringify([order, { ...order, detail: { ...order.detail, cartId: undefined } }]),
    );

    // Act
    const together = waymark('events', 'infer', 'test/events/order.placed.json', list);
    const mixed = waymark('events', 'infer', list, 'test/events/cart.abandoned.json');

    // Assess
    expect(together.code).toBe(0);
    const file: unknown = JSON.parse(together.out);
    expect(file).toMatchObject({ required: ['customerId', 'orderId', 'total', 'currency', 'items'] });
    expect(mixed.code).toBe(1);
    expect(mixed.err).toBe(
      `waymark events infer: The samples are of several detail-types: "order.placed" (samples 1, 2), "cart.abandoned" (sample 3). Infer one event type at a time. (${list} holds samples 1-2, test/events/cart.abandoned.json holds sample 3)\n`,
    );
  });

  it('writes with --write like import, and the project still validates', () => {
    // Prepare
    const dir = projectCopy();
    const written = join(dir, 'events', 'cart.abandoned.json');

    // Act
    const kept = waymark('events', 'infer', 'test/events/cart.abandoned.json', '--write', '--journeys', dir);
    const forced = waymark(
      'events',
      'infer',
      'test/events/cart.abandoned.json',
      '--write',
      '--force',
      '--journeys',
      dir,
    );

    // Assess
    expect(kept.code).toBe(1);
    expect(kept.err).toContain('is already there');
    expect(forced.code).toBe(0);
    expect(forced.out.split('\n')[0]).toBe(`wrote ${written}`);
    expect(readFileSync(written, 'utf8')).toContain(
      '"description": "Inferred from 1 sample event from shop.web."',
    );
    expect(waymark('validate', dir).out).toContain('0 error(s)');
  });

  it('refuses a sample that is not an event, and writes nothing for the built-in profile update', () => {
    // Prepare
    const dir = projectCopy();
    const detailOnly = join(tempFolder(), 'detail.json');
    writeFileSync(detailOnly, JSON.stringify({ customerId: 'cust-1' }));

    // Act
    const notEvent = waymark('events', 'infer', detailOnly);
    const builtIn = waymark(
      'events',
      'infer',
      'test/events/customer.profile.updated.json',
      '--write',
      '--journeys',
      dir,
    );

    // Assess
    expect(notEvent.code).toBe(1);
    expect(notEvent.err).toMatch(/^waymark events infer: Sample 1 is not an EventBridge event/);
    expect(builtIn.code).toBe(1);
    expect(builtIn.err).toBe(
      'waymark events infer: "customer.profile.updated" is built in; it needs no event file (docs/events.md).\n',
    );
    expect(existsSync(join(dir, 'events', 'customer.profile.updated.json'))).toBe(false);
  });
});

describe('waymark events list', () => {
  it('lists every event type with its source, customer id, file and the journeys that use it', () => {
    // Prepare
    const dir = projectCopy();

    // Act
    const result = waymark('events', 'list', '--journeys', dir);

    // Assess
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const rows = result.out.split('\n').map((line) => line.split(/ {2,}/));
    expect(rows[0]).toEqual(['detail-type', 'source', 'customer id', 'defined in', 'journeys']);
    expect(rows).toContainEqual([
      'cart.abandoned',
      'any',
      'customerId',
      'cart.abandoned.json',
      'cart-abandonment (trigger)',
    ]);
    expect(rows).toContainEqual([
      'order.placed',
      'any',
      'customerId',
      'order.placed.json',
      'cart-abandonment (exitOn, waitForEvent), social-engagement (exitOn), weekly-newsletter (exitOn)',
    ]);
    // Its event file stays, but no sample journey emits it any more.
    expect(rows).toContainEqual([
      'retargeting.audience.requested',
      'waymark.journeys',
      'customerId',
      'retargeting.audience.requested.json',
      '-',
    ]);
    expect(rows).toContainEqual([
      'chat.session.started',
      'any',
      'customerId',
      'chat.session.started.json',
      'chat-followup (waitForEvent)',
    ]);
    expect(rows).toContainEqual(['customer.profile.updated', 'any', 'customerId', 'built in', '-']);
    expect(rows).toContainEqual([
      'waymark.audience.broadcast',
      'waymark.audience',
      'customerId',
      'built in',
      'weekly-newsletter (trigger)',
    ]);
    expect(rows).toContainEqual([
      'waymark.segment.entered',
      'waymark.audience',
      'customerId',
      'built in',
      'gold-welcome (trigger)',
    ]);
  });

  it('names a journey that emits an event type', () => {
    // Prepare
    const dir = projectCopy();
    writeFileSync(join(dir, 'cart-abandonment.json'), JSON.stringify(cartJsonWithEmitStep(), null, 2));

    // Act
    const result = waymark('events', 'list', '--journeys', dir);

    // Assess
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const rows = result.out.split('\n').map((line) => line.split(/ {2,}/));
    expect(rows).toContainEqual([
      'retargeting.audience.requested',
      'waymark.journeys',
      'customerId',
      'retargeting.audience.requested.json',
      'cart-abandonment (emit)',
    ]);
  });

  it('shows an imported event type and a history condition that looks for another', () => {
    // Prepare
    const dir = projectCopy();
    waymark('events', 'import', OPENAPI_EXPORT, '--journeys', dir);
    writeFileSync(join(dir, 'repeat-buyer.json'), JSON.stringify(REPEAT_BUYER, null, 2));

    // Act
    const result = waymark('events', 'list', '--journeys', dir);

    // Assess
    expect(result.err).toBe('');
    const rows = result.out.split('\n').map((line) => line.split(/ {2,}/));
    expect(rows).toContainEqual([
      'checkout.started',
      'shop.web',
      'customerId',
      'checkout.started.json',
      'repeat-buyer (trigger)',
    ]);
    expect(rows).toContainEqual([
      'order.placed',
      'any',
      'customerId',
      'order.placed.json',
      'cart-abandonment (exitOn, waitForEvent), repeat-buyer (history), social-engagement (exitOn), weekly-newsletter (exitOn)',
    ]);
  });

  it('lists what loads and exits 1 with the errors of what does not', () => {
    // Prepare
    const dir = projectCopy();
    writeFileSync(join(dir, 'events', 'broken.json'), '{ "title": "broken" ');

    // Act
    const result = waymark('events', 'list', '--journeys', dir);

    // Assess
    expect(result.code).toBe(1);
    expect(result.out).toContain('cart.abandoned');
    expect(result.err).toContain(join(dir, 'events', 'broken.json'));
  });
});

describe('the events command line', () => {
  it('answers a wrong command line with exit code 2 and the usage', () => {
    for (const argv of [
      ['events'],
      ['events', 'lst'],
      ['events', 'import'],
      ['events', 'import', 'a.json', 'b.json'],
      ['events', 'infer'],
      ['events', 'infer', 'a.json', '--force'],
      ['events', 'list', 'extra'],
      ['events', 'list', '--nope'],
    ]) {
      const result = waymark(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.err, argv.join(' ')).toContain('usage: waymark events import <export.json>');
    }
  });

  it('prints its usage on --help, and waymark help names it', () => {
    expect(waymark('events', '--help')).toMatchObject({ code: 0, err: '' });
    expect(waymark('events', 'import', '--help').out).toContain('usage: waymark events');
    expect(waymark('help').out).toContain('waymark events import|infer|list');
  });
});
