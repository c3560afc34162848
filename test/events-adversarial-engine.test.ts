/**
 * The local engine against hostile events of a team's own types, put the way producers put them (the
 * SDK's PutEvents, `waymark put-event`): a detail made to make a pattern backtrack, customer ids that
 * are no ids or are named like what every object has, a detail that fails its schema. Nothing may
 * hang, crash or be filed under the wrong customer.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../infra/cli/main.ts';
import { captureIo } from './support/io.ts';
import { engineForSuite, entrancesIn, tempFolderForSuite } from './support/local-engine.ts';

const TICKET = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'ticket.closed',
  'x-waymark': { customerId: 'account.id' },
  type: 'object',
  required: ['account', 'ticket'],
  properties: {
    account: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
    ticket: {
      type: 'object',
      required: ['id', 'subject'],
      properties: { id: { type: 'string' }, subject: { type: 'string' } },
    },
  },
  examples: [{ account: { id: 'acct-1' }, ticket: { id: 'T-1', subject: 'Cannot log in' } }],
};

/** A code whose pattern backtracks exponentially: the check refuses the file, so the type is unknown. */
const CODE_SENT = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'code.sent',
  type: 'object',
  required: ['customerId', 'code'],
  properties: { customerId: { type: 'string' }, code: { type: 'string', pattern: '^(a+)+$' } },
  examples: [{ customerId: 'cust-1', code: 'aaa' }],
};

const JOURNEY = {
  id: 'ticket',
  name: 'Closed ticket',
  version: 1,
  status: 'active',
  trigger: { event: 'ticket.closed' },
  entry: { reentry: 'always' },
  start: 'done',
  steps: { done: { type: 'end' } },
};

const folder = tempFolderForSuite('waymark-events-adversarial-engine-');
beforeAll(() => {
  const dir = folder();
  writeFileSync(join(dir, 'settings.json'), readFileSync('journeys/settings.json', 'utf8'));
  mkdirSync(join(dir, 'events'));
  writeFileSync(join(dir, 'events', 'ticket.closed.json'), JSON.stringify(TICKET, null, 2));
  writeFileSync(join(dir, 'events', 'code.sent.json'), JSON.stringify(CODE_SENT, null, 2));
  writeFileSync(join(dir, 'ticket.json'), JSON.stringify(JOURNEY, null, 2));
});
const engine = engineForSuite(() => ({ journeysDir: folder() }));

async function put(detail: unknown, detailType = 'ticket.closed'): Promise<void> {
  const result = await engine.eventbridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: 'waymark',
          Source: 'helpdesk',
          DetailType: detailType,
          Detail: JSON.stringify(detail),
        },
      ],
    }),
  );
  expect(result.FailedEntryCount).toBe(0);
  await engine.advance('1s');
}

function executionsOf(customerId: string): string[] {
  return engine.host.engine
    .listExecutions()
    .filter((execution) => execution.customerId === customerId)
    .map((execution) => execution.status);
}

describe('hostile events on the local engine', () => {
  it('takes a detail made for a pattern that backtracks for ever in its stride: that event file was refused', async () => {
    const started = Date.now();
    // Twenty-nine "a"s and a "!": two seconds for each check of ^(a+)+$, had the file been taken.
    await put({ customerId: 'cust-redos', code: `${'a'.repeat(29)}!` }, 'code.sent');
    expect(Date.now() - started).toBeLessThan(1000);
    const [entry] = await engine.timeline('cust-redos');
    expect(entry).toMatchObject({
      kind: 'event',
      detailType: 'code.sent',
      problems: [expect.stringContaining('Unknown event type "code.sent"')],
    });
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'files the customer "%s" like any other, at the path the event type names',
    async (customerId) => {
      await put({ account: { id: customerId }, ticket: { id: 'T-2', subject: 'x' } });
      const timeline = await engine.timeline(customerId);
      expect(timeline).toContainEqual(
        expect.objectContaining({
          kind: 'event',
          detail: expect.objectContaining({ account: { id: customerId } }),
        }),
      );
      expect(entrancesIn(timeline)).toEqual([expect.objectContaining({ journeyId: 'ticket' })]);
      expect(timeline).toContainEqual(
        expect.objectContaining({ kind: 'journey', journeyId: 'ticket', action: 'completed' }),
      );
      expect(executionsOf(customerId)).toEqual(['SUCCEEDED']);
    },
  );

  it('records no customer for an id that is a number, an object, empty or longer than 256 characters', async () => {
    const long = 'x'.repeat(300);
    for (const id of [5, { id: 'acct-1' }, '', long])
      await put({ account: { id }, ticket: { id: 'T-3', subject: 'x' } });
    expect(await engine.timeline(long)).toEqual([]);
    expect(await engine.timeline('acct-1')).toEqual([]);
  });

  it('keeps a detail that fails its schema with its problems, and the journey turns it away', async () => {
    await put({ account: { id: 'acct-bad' }, ticket: { id: 'T-4' } });
    const timeline = await engine.timeline('acct-bad');
    expect(timeline).toEqual([
      expect.objectContaining({
        kind: 'event',
        problems: ['detail.ticket.subject: Required, but missing.'],
      }),
      expect.objectContaining({
        kind: 'journey',
        action: 'not-entered',
        reason: 'invalid-event: detail.ticket.subject: Required, but missing.',
      }),
    ]);
  });

  it('puts the customer id of waymark put-event where the event type keeps it, replacing what is in the way', async () => {
    const output = captureIo();
    const code = await main(
      [
        'put-event',
        '--type',
        'ticket.closed',
        '--source',
        'helpdesk',
        '--detail',
        JSON.stringify({ account: 'not an object', ticket: { id: 'T-5', subject: 'x' } }),
        '--customer',
        'acct-put',
        '--journeys',
        folder(),
        '--endpoint',
        engine.endpoint,
      ],
      output.io,
    );
    expect({ code, err: output.err }).toEqual({ code: 0, err: '' });
    await engine.advance('1s');
    expect(await engine.timeline('acct-put')).toContainEqual(
      expect.objectContaining({
        kind: 'event',
        detail: { account: { id: 'acct-put' }, ticket: { id: 'T-5', subject: 'x' } },
      }),
    );
  });
});
