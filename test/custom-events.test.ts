/**
 * A team's own event, added without touching TypeScript: an event file (a draft-04 schema, as the
 * EventBridge Schema Registry exports them, with the customer id at `account.id`), a template and a
 * journey in a new project folder, validated by the CLI and run end to end by the local engine
 * with real SDK clients.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../shared/project/load.ts';
import { engineForSuite, OPTED_IN, tempFolderForSuite } from './support/local-engine.ts';
import { readFileSync } from 'node:fs';

const TICKET_CLOSED = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  title: 'ticket.closed',
  description: 'A help desk ticket was closed.',
  'x-waymark': { source: 'helpdesk', customerId: 'account.id' },
  type: 'object',
  required: ['account', 'ticket'],
  properties: {
    account: {
      type: 'object',
      required: ['id'],
      properties: { id: { type: 'string', minLength: 1 }, plan: { type: 'string', enum: ['free', 'pro'] } },
    },
    ticket: { $ref: '#/definitions/ticket' },
    csat: { oneOf: [{ type: 'integer', minimum: 1, maximum: 5 }, { type: 'null' }] },
  },
  definitions: {
    ticket: {
      type: 'object',
      required: ['id', 'subject'],
      properties: {
        id: { type: 'string' },
        subject: { type: 'string' },
        tags: { type: 'array', items: { type: 'string' } },
      },
    },
  },
  examples: [
    {
      account: { id: 'acct-1', plan: 'pro' },
      ticket: { id: 'T-1', subject: 'Cannot log in', tags: ['login'] },
      csat: null,
    },
  ],
};

const JOURNEY = {
  $schema: './journey.schema.json',
  id: 'ticket-followup',
  name: 'Closed ticket: tell a pro customer what we did',
  version: 1,
  status: 'active',
  trigger: { event: 'ticket.closed', filter: { account: { plan: ['pro'] } } },
  entry: { reentry: 'always' },
  exitOn: [{ event: 'account.deleted' }],
  start: 'closed',
  steps: {
    closed: {
      type: 'send',
      channel: 'email',
      template: 'ticket-closed',
      category: 'transactional',
      next: 'reopened-soon',
    },
    'reopened-soon': {
      type: 'waitForEvent',
      event: { event: 'ticket.reopened' },
      timeout: '2d',
      onEvent: 'sorry',
      onTimeout: 'done',
    },
    sorry: {
      type: 'send',
      channel: 'email',
      template: 'ticket-reopened',
      category: 'transactional',
      next: 'done',
    },
    done: { type: 'end' },
  },
};

/** Events about an account, whose id is the customer id (here at the top, under another name). */
function accountEvent(title: string, customerIdPath: string): Record<string, unknown> {
  const [outer = 'account', inner] = customerIdPath.split('.');
  const idSchema = { type: 'string', minLength: 1 };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title,
    'x-waymark': { customerId: customerIdPath },
    type: 'object',
    required: [outer],
    properties: {
      [outer]:
        inner === undefined
          ? idSchema
          : { type: 'object', required: [inner], properties: { [inner]: idSchema } },
    },
    examples: [{ [outer]: inner === undefined ? 'acct-1' : { [inner]: 'acct-1' } }],
  };
}

const folder = tempFolderForSuite('waymark-custom-events-');
beforeAll(() => {
  const dir = folder();
  writeFileSync(join(dir, 'settings.json'), readFileSync('journeys/settings.json', 'utf8'));
  mkdirSync(join(dir, 'events'));
  writeFileSync(join(dir, 'events', 'ticket.closed.json'), JSON.stringify(TICKET_CLOSED, null, 2));
  const reopened = accountEvent('ticket.reopened', 'account.id');
  writeFileSync(join(dir, 'events', 'ticket.reopened.json'), JSON.stringify(reopened, null, 2));
  const deleted = accountEvent('account.deleted', 'accountId');
  writeFileSync(join(dir, 'events', 'account.deleted.json'), JSON.stringify(deleted, null, 2));
  mkdirSync(join(dir, 'templates', 'ticket-closed'), { recursive: true });
  const template = (file: string, text: string): void =>
    writeFileSync(join(dir, 'templates', 'ticket-closed', file), text);
  template('email.subject.liquid', 'Ticket {{ event.ticket.id }} is closed');
  template('email.text.liquid', 'We closed "{{ event.ticket.subject }}" for account {{ event.account.id }}.');
  template('email.html.liquid', '<p>We closed “{{ event.ticket.subject }}”.</p>');
  mkdirSync(join(dir, 'templates', 'ticket-reopened'));
  writeFileSync(join(dir, 'templates', 'ticket-reopened', 'email.subject.liquid'), 'Sorry, it is open again');
  writeFileSync(join(dir, 'templates', 'ticket-reopened', 'email.text.liquid'), 'We are on it.');
  writeFileSync(join(dir, 'ticket-followup.json'), JSON.stringify(JOURNEY, null, 2));
});
const engine = engineForSuite(() => ({ journeysDir: folder() }));

async function putTicket(
  source: string,
  detail: Record<string, unknown>,
  detailType = 'ticket.closed',
): Promise<void> {
  const result = await engine.eventbridge.send(
    new PutEventsCommand({
      Entries: [
        { EventBusName: 'waymark', Source: source, DetailType: detailType, Detail: JSON.stringify(detail) },
      ],
    }),
  );
  expect(result.FailedEntryCount).toBe(0);
  await engine.advance('1s');
}

describe("a team's own event, from files only", () => {
  it('validates: the journey, the template and the event file', () => {
    const project = loadProject(folder());
    expect(project.problems).toEqual([]);
    expect(project.events.events.get('ticket.closed')?.customerIdPath).toEqual(['account', 'id']);
  });

  it('starts the journey for the customer at account.id and renders the event into the email', async () => {
    await engine.put('customer.profile.updated', 'acct-42', {
      email: 'owner@acme.example',
      consent: OPTED_IN,
    });
    await putTicket('helpdesk', {
      account: { id: 'acct-42', plan: 'pro' },
      ticket: { id: 'T-9', subject: 'Export fails', tags: [] },
      csat: 5,
    });
    const sent = await engine.outbox({ customerId: 'acct-42' });
    expect(sent).toEqual([
      expect.objectContaining({
        channel: 'email',
        subject: 'Ticket T-9 is closed',
        body: expect.stringContaining('We closed "Export fails" for account acct-42.'),
      }),
    ]);
    const timeline = await engine.timeline('acct-42');
    expect(timeline).toContainEqual(expect.objectContaining({ kind: 'event', detailType: 'ticket.closed' }));
  });

  it('starts nothing for the same event from another source, or on another plan', async () => {
    await engine.put('customer.profile.updated', 'acct-43', {
      email: 'free@acme.example',
      consent: OPTED_IN,
    });
    await putTicket('somewhere-else', {
      account: { id: 'acct-43', plan: 'pro' },
      ticket: { id: 'T-10', subject: 'x' },
    });
    await putTicket('helpdesk', {
      account: { id: 'acct-43', plan: 'free' },
      ticket: { id: 'T-11', subject: 'x' },
    });
    expect(await engine.outbox({ customerId: 'acct-43' })).toEqual([]);
  });

  it('starts and records nothing for an event without the customer id where the file says it is', async () => {
    const before = engine.host.engine.listExecutions().length;
    // At the top level, where most events keep it, but not where this one does.
    await putTicket('helpdesk', {
      customerId: 'acct-44',
      account: { plan: 'pro' },
      ticket: { id: 'T-12', subject: 'x' },
    });
    expect(engine.host.engine.listExecutions().length).toBe(before);
    expect(await engine.timeline('acct-44')).toEqual([]);
  });

  it('resumes a waiting customer and ends a journey on events keeping the id elsewhere still', async () => {
    await engine.put('customer.profile.updated', 'acct-60', { email: 'a60@acme.example', consent: OPTED_IN });
    await engine.put('customer.profile.updated', 'acct-61', { email: 'a61@acme.example', consent: OPTED_IN });
    for (const id of ['acct-60', 'acct-61']) {
      await putTicket('helpdesk', { account: { id, plan: 'pro' }, ticket: { id: `T-${id}`, subject: 'x' } });
    }
    // acct-61's account is deleted (its id at "accountId"): that journey ends before anything reopens.
    await putTicket('crm', { accountId: 'acct-61' }, 'account.deleted');
    for (const id of ['acct-60', 'acct-61'])
      await putTicket('helpdesk', { account: { id } }, 'ticket.reopened');
    const subjects = async (id: string): Promise<string[]> =>
      (await engine.outbox({ customerId: id })).map((message) => message.subject ?? '');
    expect(await subjects('acct-60')).toEqual(['Ticket T-acct-60 is closed', 'Sorry, it is open again']);
    expect(await subjects('acct-61')).toEqual(['Ticket T-acct-61 is closed']);
  });
});
