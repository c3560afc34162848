/**
 * Event files as the validator reads them: a team's own event is checked like a journey (file,
 * line, column, what to do), and journeys on it are checked against its schema exactly as against
 * the sample events: fields at any depth, through `$ref` and `oneOf`, and every example rendered.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Problem } from '../shared/journey/problem.ts';
import { loadProject } from '../shared/project/load.ts';

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const TICKET = {
  $schema: '../event.schema.json',
  title: 'ticket.closed',
  'x-waymark': { customerId: 'account.id' },
  type: 'object',
  required: ['account', 'ticket'],
  properties: {
    account: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
    ticket: { $ref: '#/$defs/ticket' },
    rating: {
      oneOf: [
        { type: 'object', properties: { stars: { type: 'integer' } }, required: ['stars'] },
        { type: 'object', properties: { skipped: { type: 'boolean' } }, required: ['skipped'] },
      ],
    },
  },
  $defs: {
    ticket: {
      type: 'object',
      required: ['id'],
      properties: { id: { type: 'string' }, subject: { type: 'string' } },
    },
  },
  examples: [{ account: { id: 'acct-1' }, ticket: { id: 'T-1', subject: 'Login' }, rating: { stars: 5 } }],
};

function journeyOn(trigger: Record<string, unknown>, template = 'ticket'): Record<string, unknown> {
  return {
    id: 'ticket-journey',
    name: 'Ticket journey',
    version: 1,
    status: 'active',
    trigger,
    start: 'tell',
    steps: {
      tell: { type: 'send', channel: 'email', template, category: 'transactional', next: 'done' },
      done: { type: 'end' },
    },
  };
}

/** A project folder with the sample settings, these event files (name to text) and journeys. */
function project(
  events: Record<string, string>,
  journeys: Record<string, unknown> = {},
  body = 'About {{ event.ticket.subject | default: "your ticket" }}',
): Problem[] {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-event-files-'));
  folders.push(dir);
  cpSync('journeys/settings.json', join(dir, 'settings.json'));
  mkdirSync(join(dir, 'events'));
  for (const [name, text] of Object.entries(events)) writeFileSync(join(dir, 'events', name), text);
  mkdirSync(join(dir, 'templates', 'ticket'), { recursive: true });
  writeFileSync(join(dir, 'templates', 'ticket', 'email.subject.liquid'), 'Ticket {{ event.ticket.id }}');
  writeFileSync(join(dir, 'templates', 'ticket', 'email.text.liquid'), body);
  for (const [name, journey] of Object.entries(journeys)) {
    writeFileSync(join(dir, name), JSON.stringify(journey, null, 2));
  }
  return loadProject(dir).problems;
}

const text = (value: unknown): string => JSON.stringify(value, null, 2);
const errors = (problems: readonly Problem[]): Problem[] =>
  problems.filter((problem) => problem.severity === 'error');

describe('a journey on a team event', () => {
  it('validates against the event file, its $ref and its oneOf branches included', () => {
    const problems = project(
      { 'ticket.closed.json': text(TICKET) },
      {
        'ticket-journey.json': journeyOn({
          event: 'ticket.closed',
          filter: { ticket: { subject: [{ prefix: 'Log' }] }, rating: { skipped: [false] } },
        }),
      },
    );
    expect(problems).toEqual([]);
  });

  it('refuses a filter on a field the schema does not have, with the fields it has', () => {
    const problems = project(
      { 'ticket.closed.json': text(TICKET) },
      { 'ticket-journey.json': journeyOn({ event: 'ticket.closed', filter: { ticket: { subjct: ['x'] } } }) },
    );
    expect(errors(problems)).toEqual([
      expect.objectContaining({
        path: '$.trigger.filter.ticket.subjct',
        message: expect.stringContaining('"ticket.closed" events have no field "ticket.subjct"'),
        hint: 'did you mean "subject"?',
      }),
    ]);
  });

  it('refuses a filter that lets events without the customer id (account.id) through', () => {
    const problems = project(
      { 'ticket.closed.json': text(TICKET) },
      {
        'ticket-journey.json': journeyOn({
          event: 'ticket.closed',
          filter: { account: { id: [{ exists: false }] } },
        }),
      },
    );
    expect(errors(problems)).toContainEqual(
      expect.objectContaining({
        path: '$.trigger.filter.account.id',
        message: expect.stringContaining('without its customer id (account.id)'),
      }),
    );
  });

  it('renders the templates with every example, naming the one that fails', () => {
    // Every rating has one of two shapes: the first example has stars, the second was skipped.
    const rated = {
      ...TICKET,
      required: [...TICKET.required, 'rating'],
      examples: [
        ...TICKET.examples,
        { account: { id: 'a' }, ticket: { id: 'T-2' }, rating: { skipped: true } },
      ],
    };
    const journeys = { 'ticket-journey.json': journeyOn({ event: 'ticket.closed' }) };
    expect(
      project({ 'ticket.closed.json': text(rated) }, journeys, 'Rated {{ event.rating.stars }}'),
    ).toEqual([
      expect.objectContaining({
        severity: 'error',
        path: '$.steps.tell.template',
        message: expect.stringContaining('does not render with example 2 of "ticket.closed"'),
      }),
    ]);
    expect(
      project(
        { 'ticket.closed.json': text(rated) },
        journeys,
        'Rated {{ event.rating.stars | default: "-" }}',
      ),
    ).toEqual([]);
  });

  it('points a journey on an unknown event at the event file to write', () => {
    const problems = project({}, { 'ticket-journey.json': journeyOn({ event: 'ticket.closed' }) });
    expect(errors(problems)).toContainEqual(
      expect.objectContaining({
        path: '$.trigger.event',
        message: '"ticket.closed" is not an event in the catalog.',
        hint: expect.stringContaining('events/ticket.closed.json'),
      }),
    );
  });
});

describe('a broken event file', () => {
  /** The problems of one event file, located. */
  function fileProblems(name: string, value: unknown): Problem[] {
    return errors(project({ [name]: typeof value === 'string' ? value : text(value) }));
  }

  it('names the line and column of a JSON syntax error', () => {
    const [problem] = fileProblems(
      'ticket.closed.json',
      '{\n  "title": "ticket.closed",\n  "type" "object"\n}',
    );
    expect(problem).toMatchObject({ file: expect.stringContaining('ticket.closed.json'), line: 3 });
  });

  it('refuses a type that is not a JSON Schema type, and suggests the one meant', () => {
    const broken = structuredClone(TICKET);
    broken.properties.account.properties.id = { type: 'strng' };
    expect(fileProblems('ticket.closed.json', broken)).toContainEqual(
      expect.objectContaining({
        path: '$.properties.account.properties.id.type',
        message: '"strng" is not a JSON Schema type.',
        hint: 'did you mean "string"?',
        line: expect.any(Number),
        column: expect.any(Number),
      }),
    );
  });

  it('refuses a $ref that points nowhere in the file', () => {
    const broken = { ...TICKET, properties: { ...TICKET.properties, ticket: { $ref: '#/$defs/tickt' } } };
    expect(fileProblems('ticket.closed.json', broken)).toContainEqual(
      expect.objectContaining({
        path: '$.properties.ticket.$ref',
        message: '"#/$defs/tickt" points nowhere in this file.',
      }),
    );
  });

  it('refuses a draft it cannot tell, a detail that is not an object and a missing example', () => {
    const problems = fileProblems('ticket.closed.json', {
      ...TICKET,
      $schema: 'https://json-schema.org/draft/2019-09/schema',
      type: 'array',
      examples: [],
    });
    expect(problems.map((problem) => problem.path)).toEqual(expect.arrayContaining(['$.type', '$.examples']));
    const draft = fileProblems('ticket.closed.json', {
      ...TICKET,
      $schema: 'https://json-schema.org/draft/2019-09/schema',
    });
    expect(draft).toContainEqual(
      expect.objectContaining({ path: '$.$schema', expected: expect.stringContaining('draft-04') }),
    );
  });

  it('refuses a customer id path the schema does not have', () => {
    expect(
      fileProblems('ticket.closed.json', { ...TICKET, 'x-waymark': { customerId: 'account.uid' } }),
    ).toContainEqual(
      expect.objectContaining({
        path: '$["x-waymark"].customerId',
        message: 'The schema has no field "account.uid" for the customer id.',
      }),
    );
  });

  it('refuses an example that fails its own schema, at the field', () => {
    const broken = { ...TICKET, examples: [{ account: { id: 'acct-1' }, ticket: { id: 7 } }] };
    expect(fileProblems('ticket.closed.json', broken)).toContainEqual(
      expect.objectContaining({
        path: '$.examples[0].ticket.id',
        message: expect.stringContaining('The example does not match its own schema at "ticket.id"'),
      }),
    );
  });

  it('refuses two files for one detail-type, and a file that redefines the built-in profile update', () => {
    const problems = project({ 'ticket.closed.json': text(TICKET), 'ticket-copy.json': text(TICKET) });
    expect(errors(problems)).toEqual([
      expect.objectContaining({
        file: expect.stringContaining('ticket.closed.json'),
        message: expect.stringContaining('"ticket.closed" is also defined by'),
      }),
    ]);
    const profile = { ...TICKET, title: 'customer.profile.updated' };
    expect(fileProblems('customer.profile.updated.json', profile)).toContainEqual(
      expect.objectContaining({ path: '$.title', message: expect.stringContaining('is built in') }),
    );
  });
});
