/**
 * What `waymark validate` says about segments and audience triggers: each
 * mistake named with file, line and why, as for journeys.
 */
import { describe, expect, it } from 'vitest';
import {
  validateEventFileText,
  validateJourneyText,
  validateSegmentText,
} from '../shared/journey/validate.ts';
import type { Segment } from '../shared/audience/segment.ts';
import { sampleEvents } from './support/events.ts';
import { project, settings } from './support/project.ts';
import { oneSendJourney } from './support/audience.ts';

const NOW = new Date('2026-11-18T15:00:00Z');

function segmentProblems(segment: unknown, file = 'segments/bad.json') {
  return validateSegmentText(JSON.stringify(segment, null, 2), file, sampleEvents()).problems;
}

/** A one-send broadcast journey with this trigger (and any other fields), as `waymark validate` sees it. */
function journeyProblems(
  trigger: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  segments: ReadonlyMap<string, Segment> = project.segments,
) {
  const journey = { ...oneSendJourney('broadcast', trigger), ...extra };
  return validateJourneyText(JSON.stringify(journey, null, 2), 'broadcast.json', {
    settings,
    events: sampleEvents(),
    templates: project.templates,
    segments,
    now: NOW,
  }).problems;
}

describe('segment files', () => {
  it('the sample segments are valid', () => {
    expect(project.problems.filter((problem) => problem.file.includes('/segments/'))).toEqual([]);
    expect([...project.segments.keys()].sort()).toEqual(['gold', 'lapsed', 'newsletter']);
  });

  it('names an unknown profile field with a suggestion, at its line', () => {
    const problems = segmentProblems({
      id: 'bad',
      name: 'Bad',
      when: { field: 'profile.emial', exists: true },
    });
    expect(problems).toEqual([
      expect.objectContaining({
        severity: 'error',
        path: '$.when.field',
        line: 5,
        message: 'profile has no field "emial".',
        hint: 'did you mean "email"?',
      }),
    ]);
  });

  it('refuses event and journey fields, and unknown history events', () => {
    const problems = segmentProblems({
      id: 'bad',
      name: 'Bad',
      when: {
        all: [{ field: 'event.total', exists: true }, { history: { event: 'order.placd', within: '90d' } }],
      },
    });
    expect(problems.map((problem) => [problem.path, problem.message])).toEqual([
      ['$.when.all[0].field', expect.stringContaining('cannot be used in a segment')],
      ['$.when.all[1].history.event', '"order.placd" is not an event in the catalog.'],
    ]);
    expect(problems[1]?.hint).toBe('did you mean "order.placed"?');
  });

  it('suggests the key meant by a misspelt one', () => {
    const problems = segmentProblems({
      id: 'bad',
      name: 'Bad',
      whne: { field: 'profile.email', exists: true },
    });
    expect(problems).toEqual([
      expect.objectContaining({ message: 'Unknown property "whne".', hint: 'did you mean "when"?' }),
    ]);
  });

  it('warns that a condition every customer meets sends to everyone, unless the segment says so', () => {
    const always = { not: { field: 'profile.customerId', exists: false } };
    expect(segmentProblems({ id: 'bad', name: 'All', when: always })).toEqual([
      expect.objectContaining({ severity: 'warning', message: expect.stringContaining('sends to everyone') }),
    ]);
    expect(segmentProblems({ id: 'bad', name: 'All', when: always, everyone: true })).toEqual([]);
    // A real audience is not flagged: opted-in subscribers, or lapsed buyers.
    expect(segmentProblems(project.segments.get('newsletter'), 'segments/newsletter.json')).toEqual([]);
    expect(segmentProblems(project.segments.get('lapsed'), 'segments/lapsed.json')).toEqual([]);
    expect(segmentProblems({ id: 'bad', name: 'No condition' })).toEqual([
      expect.objectContaining({ severity: 'error', message: expect.stringContaining('needs "when"') }),
    ]);
  });

  it('an event file cannot redefine a built-in audience event', () => {
    const file = JSON.stringify({
      $schema: '../event.schema.json',
      title: 'waymark.segment.entered',
      type: 'object',
      properties: { customerId: { type: 'string' } },
      required: ['customerId'],
      examples: [{ customerId: 'c-1' }],
    });
    expect(validateEventFileText(file, 'events/waymark.segment.entered.json').problems).toEqual([
      expect.objectContaining({ path: '$.title', message: expect.stringContaining('is built in') }),
    ]);
  });
});

describe('audience triggers', () => {
  it('refuses a day the month does not have', () => {
    expect(journeyProblems({ segment: 'newsletter', at: '2027-02-30T10:00' })).toEqual([
      expect.objectContaining({
        path: '$.trigger.at',
        line: 8,
        message: expect.stringContaining('no such day'),
      }),
    ]);
  });

  it('warns of a cron more often than hourly, and of a recurring broadcast that admits each member once ever', () => {
    expect(journeyProblems({ segment: 'newsletter', cron: '*/5 * * * *' })).toEqual([
      expect.objectContaining({
        severity: 'warning',
        path: '$.trigger.cron',
        message: expect.stringContaining('more often than once an hour'),
      }),
    ]);
    const never = journeyProblems(
      { segment: 'newsletter', cron: '0 10 * * MON' },
      { entry: { reentry: 'never' } },
    );
    expect(never).toEqual([expect.objectContaining({ severity: 'warning', path: '$.entry.reentry' })]);
  });

  it('accepts a one-off broadcast ahead, a recurring one and an entry trigger', () => {
    expect(journeyProblems({ segment: 'newsletter', at: '2026-12-10T10:00', timeZone: 'customer' })).toEqual(
      [],
    );
    expect(
      journeyProblems({ segment: 'newsletter', cron: '0 10 * * MON', timeZone: 'Europe/Lisbon' }),
    ).toEqual([]);
    expect(journeyProblems({ segment: 'gold', on: 'enter' })).toEqual([]);
  });

  it('names a missing segment, with the nearest one', () => {
    expect(journeyProblems({ segment: 'newsleter', at: '2026-12-10T10:00' })).toEqual([
      expect.objectContaining({ path: '$.trigger.segment', hint: 'did you mean "newsletter"?' }),
    ]);
  });

  it('refuses a time that has passed everywhere, and only warns the day after', () => {
    expect(journeyProblems({ segment: 'newsletter', at: '2026-11-01T10:00', timeZone: 'customer' })).toEqual([
      expect.objectContaining({
        severity: 'error',
        path: '$.trigger.at',
        message: expect.stringContaining('has passed'),
      }),
    ]);
    expect(journeyProblems({ segment: 'newsletter', at: '2026-11-18T10:00', timeZone: 'UTC' })).toEqual([
      expect.objectContaining({ severity: 'warning', path: '$.trigger.at' }),
    ]);
  });

  it('refuses an invalid cron, one Scheduler cannot take, an unknown zone, and two kinds at once', () => {
    expect(journeyProblems({ segment: 'newsletter', cron: '0 25 * * *' })).toEqual([
      expect.objectContaining({
        path: '$.trigger.cron',
        message: expect.stringContaining('not a valid cron'),
      }),
    ]);
    expect(journeyProblems({ segment: 'newsletter', cron: '0 10 * *' })).toEqual([
      expect.objectContaining({ path: '$.trigger.cron', message: expect.stringContaining('has 4') }),
    ]);
    expect(journeyProblems({ segment: 'newsletter', cron: '0 10 1 * MON' })).toEqual([
      expect.objectContaining({ path: '$.trigger.cron', message: expect.stringContaining('Scheduler') }),
    ]);
    expect(journeyProblems({ segment: 'newsletter', at: '2026-12-10T10:00', timeZone: 'Mars/Base' })).toEqual(
      [
        expect.objectContaining({
          path: '$.trigger.timeZone',
          line: 9,
          message: expect.stringContaining('Mars/Base'),
        }),
      ],
    );
    expect(journeyProblems({ segment: 'newsletter', at: '2026-12-10T10:00', cron: '0 10 * * MON' })).toEqual([
      expect.objectContaining({ path: '$.trigger', message: expect.stringContaining('exactly one of') }),
    ]);
  });
});
