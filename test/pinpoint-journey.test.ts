/**
 * The Pinpoint journey translator (shared/migrate/pinpoint/journey.ts): journeys built from
 * Pinpoint's API reference in test/pinpoint/journeys/, translated and run through Waymark's validator.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { translatePinpointJourney } from '../shared/migrate/pinpoint/journey.ts';
import type { Problem } from '../shared/journey/problem.ts';
import type { Settings } from '../shared/journey/schema.ts';
import { validateJourneyText } from '../shared/journey/validate.ts';
import type { TemplateSource } from '../shared/render/templates.ts';
import { project, settings } from './support/project.ts';
import { sampleEvents } from './support/events.ts';

// Prepare: the sample project's templates and settings, with the imported journeys' templates and targets.
const UNSUBSCRIBE = '{{ unsubscribeUrl }}';
const importedTemplates: [string, Record<string, string>][] = [
  [
    'welcome-email',
    { 'email.subject.liquid': 'Welcome', 'email.text.liquid': `Hi there. Unsubscribe: ${UNSUBSCRIBE}` },
  ],
  ['welcome-sms', { 'sms.liquid': 'Welcome! Reply STOP to opt out.' }],
  ['welcome-push', { 'push.title.liquid': 'Welcome', 'push.body.liquid': 'Good to see you' }],
  ['crm-sync', { 'function.json.liquid': '{ "list": "welcome" }' }],
  ['ads-hook', { 'webhook.json.liquid': '{ "audience": "welcome" }' }],
];
const templates = new Map<string, TemplateSource>([
  ...project.templates,
  ...importedTemplates.map(([name, files]): [string, TemplateSource] => [name, { name, files }]),
]);
const KNOWN = new Set([...templates.keys()]);
const settingsWithTargets: Settings = {
  ...settings,
  functions: { ...settings.functions, 'crm-sync': { functionName: 'crm-sync', timeoutSeconds: 5 } },
  webhooks: {
    ...settings.webhooks,
    'ads-example-com': {
      url: 'https://ads.example.com/audiences',
      secret: 'ADS_SECRET',
      headers: {},
      timeoutSeconds: 5,
    },
  },
};

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(`test/pinpoint/journeys/${name}.json`, 'utf8'));
}

function translate(input: unknown, knownTemplates: ReadonlySet<string> = KNOWN) {
  return translatePinpointJourney(input, { sourceName: 'journey.json', knownTemplates });
}

function translated(name: string) {
  const result = translate(fixture(name));
  if (!result.ok) throw new Error(`${name}: ${JSON.stringify(result.problems, null, 2)}`);
  return result;
}

function problemsOf(input: unknown) {
  const result = translate(input);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.journey)}`);
  return result.problems;
}

function errors(journey: unknown): Problem[] {
  return validateJourneyText(JSON.stringify(journey, null, 2), 'j.json', {
    settings: settingsWithTargets,
    events: sampleEvents(),
    templates,
    segments: new Map(),
    now: new Date('2026-11-18T15:00:00Z'),
  }).problems.filter((problem) => problem.severity === 'error');
}

function differencesOf(report: { source: string; differences: string[] }[], source: string): string {
  return report.find((line) => line.source === source)?.differences.join('\n') ?? '';
}

describe('the get-journey wrapper and the bare request', () => {
  it('translates get-journey output into a journey that passes validation', () => {
    // Act
    const { journey, report } = translated('get-journey-email');
    // Assess
    expect(Object.keys(journey)).toEqual([
      '$schema',
      'id',
      'name',
      'description',
      'version',
      'status',
      'trigger',
      'entry',
      'start',
      'steps',
    ]);
    expect(journey).toMatchObject({
      $schema: './journey.schema.json',
      id: 'cart-reminder',
      status: 'active',
      trigger: { event: 'cart.abandoned' },
      start: 'waitOneHour',
      steps: {
        waitOneHour: { type: 'wait', duration: '1h', next: 'sendReminder' },
        sendReminder: {
          type: 'send',
          description: 'The reminder email',
          channel: 'email',
          template: 'welcome-email',
          category: 'marketing',
          next: 'end',
        },
        end: { type: 'end' },
      },
    });
    expect(report.map((line) => line.source)).toEqual([
      'Journey',
      'StartCondition',
      'waitOneHour',
      'sendReminder',
      '(missing NextActivity)',
    ]);
    expect(errors(journey)).toEqual([]);
  });

  it('translates a bare WriteJourneyRequest with every activity type', () => {
    const { journey, report } = translated('bare-request-all-activities');
    expect(journey.status).toBe('draft');
    expect(journey.trigger).toEqual({ event: 'order.placed' });
    expect(journey.start).toBe('holdout');
    expect(journey.steps).toEqual({
      holdout: {
        type: 'split',
        paths: [
          { name: 'holdout', weight: 10, holdout: true, next: 'end' },
          { name: 'continue', weight: 90, holdout: false, next: 'random' },
        ],
      },
      random: {
        type: 'split',
        paths: [
          { name: 'branch-1', weight: 50, holdout: false, next: 'email1' },
          { name: 'branch-2', weight: 50, holdout: false, next: 'sms1' },
        ],
      },
      email1: {
        type: 'send',
        channel: 'email',
        template: 'welcome-email',
        category: 'marketing',
        next: 'wait1',
      },
      sms1: {
        type: 'send',
        channel: 'sms',
        template: 'welcome-sms',
        category: 'transactional',
        next: 'wait1',
      },
      wait1: { type: 'wait', duration: '1d', next: 'opened' },
      opened: { type: 'wait', duration: '2h', next: 'opened-check' },
      'opened-check': {
        type: 'branch',
        cases: [
          {
            name: 'true',
            when: {
              any: [
                { engagement: { step: 'email1', action: 'opened', within: '365d' } },
                { engagement: { step: 'email1', action: 'clicked', within: '365d' } },
              ],
            },
            next: 'multi',
          },
        ],
        default: 'push1',
      },
      multi: { type: 'wait', duration: '1w', next: 'multi-check' },
      'multi-check': {
        type: 'branch',
        cases: [
          {
            name: 'branch-1',
            when: { history: { event: 'cart.abandoned', within: '1w', filter: { device: ['mobile'] } } },
            next: 'custom1',
          },
          {
            name: 'branch-2',
            when: { field: 'profile.attributes.loyaltyTier', equals: 'gold' },
            next: 'hook1',
          },
          {
            name: 'branch-3',
            when: { field: 'profile.tags', contains: 'pinpoint-8f1e2d3c4b5a69788796a5b4c3d2e1f0' },
            next: 'push1',
          },
        ],
        default: 'push1',
      },
      push1: { type: 'send', channel: 'push', template: 'welcome-push', category: 'marketing', next: 'end' },
      custom1: {
        type: 'send',
        channel: 'function',
        function: 'crm-sync',
        reaches: 'system',
        template: 'crm-sync',
        category: 'marketing',
        next: 'end',
      },
      hook1: {
        type: 'send',
        channel: 'webhook',
        endpoint: 'ads-example-com',
        reaches: 'system',
        template: 'ads-hook',
        category: 'marketing',
        next: 'end',
      },
      end: { type: 'end' },
    });
    // ContactCenter is not imported; its way in leads to its NextActivity.
    expect(report.find((line) => line.source === 'agent')).toMatchObject({
      sourceKind: 'activity ContactCenter',
      became: 'not imported',
    });
    expect(differencesOf(report, 'agent')).toContain('Amazon Connect');
    expect(differencesOf(report, 'email1')).toContain('template "welcome_email" renamed "welcome-email"');
    expect(differencesOf(report, 'push1')).toContain('TimeToLive');
    expect(differencesOf(report, 'custom1')).toContain('EndpointTypes EMAIL, SMS');
    expect(errors(journey)).toEqual([]);
  });

  it('gives byte-identical output for the same input, and reports templates not known as placeholders', () => {
    const first = JSON.stringify(translate(fixture('bare-request-all-activities')));
    expect(JSON.stringify(translate(fixture('bare-request-all-activities')))).toBe(first);
    const result = translate(fixture('get-journey-email'), new Set());
    expect(result.ok && differencesOf(result.report, 'sendReminder')).toContain(
      'template missing: placeholder',
    );
    expect(differencesOf(translated('get-journey-email').report, 'sendReminder')).not.toContain(
      'template missing',
    );
  });
});

describe('waits', () => {
  it('maps WaitUntil to the nearest local window and says so', () => {
    const { journey, report } = translated('wait-until');
    expect(journey.steps).toMatchObject({
      untilSale: {
        type: 'wait',
        until: { kind: 'localWindow', start: '09:00', end: '10:00', days: ['fri'] },
        next: 'announce',
      },
    });
    expect(differencesOf(report, 'untilSale')).toContain('no wait until an absolute instant');
    expect(errors(journey)).toEqual([]);
  });
});

describe('StartCondition', () => {
  it('turns every attribute operator and a metric into an EventBridge content filter', () => {
    const { journey, report } = translated('event-filter');
    const day = Date.parse('2026-11-27T00:00:00Z') / 1000;
    expect(journey.trigger).toEqual({
      event: 'cart.abandoned',
      filter: {
        cartId: [{ numeric: ['>=', day, '<', day + 86_400] }],
        cartUrl: [{ wildcard: '*promo*' }],
        currency: [{ 'anything-but': ['JPY'] }],
        device: ['mobile', 'tablet'],
        total: [{ numeric: ['>=', 100] }],
      },
    });
    expect(differencesOf(report, 'StartCondition')).toContain('epoch seconds');
    expect(errors(journey)).toEqual([]);
    const dated = translated('event-filter-dates');
    expect(dated.journey.trigger).toEqual({
      event: 'cart.abandoned',
      filter: {
        cartId: [{ numeric: ['<', Date.parse('2026-12-01T00:00:00Z') / 1000] }],
        cartUrl: [{ numeric: ['>', Date.parse('2026-11-01T00:00:00Z') / 1000] }],
        currency: [
          {
            numeric: [
              '>=',
              Date.parse('2026-11-01T00:00:00Z') / 1000,
              '<=',
              Date.parse('2026-11-30T00:00:00Z') / 1000,
            ],
          },
        ],
        total: [{ numeric: ['<', 5] }],
      },
    });
    expect(differencesOf(dated.report, 'StartCondition')).toContain('FilterType SYSTEM');
  });

  it('turns a segment start with RefreshFrequency into an audience trigger on a placeholder segment', () => {
    const { journey, report } = translated('segment-start');
    expect(journey.trigger).toEqual({ segment: 'pinpoint-0f9e8d7c6b5a49382716a5b4c3d2e1f0', on: 'enter' });
    expect(differencesOf(report, 'StartCondition')).toContain('RefreshFrequency PT1H (every 1h)');
    // The only error is the placeholder segment the user must write.
    expect(errors(journey).map((problem) => problem.path)).toEqual(['$.trigger.segment']);
  });

  it('turns a scheduled segment start into a one-off broadcast and reports the Schedule', () => {
    const { journey, report } = translated('segment-schedule');
    expect(journey.trigger).toEqual({ segment: 'pinpoint-launch', at: '2026-12-10T13:00', timeZone: 'UTC' });
    expect(differencesOf(report, 'Schedule')).toContain('EndTime 2026-12-31T00:00:00Z');
    expect(errors(journey).map((problem) => problem.path)).toEqual(['$.trigger.segment']);
  });
});

describe('journey-wide blocks', () => {
  it('maps every Limits field to caps, re-entry and a send rate', () => {
    const { journey, report } = translated('limits');
    expect(journey.entry).toEqual({ reentry: { after: '1w' }, maxConcurrent: 1 });
    expect(journey.caps).toEqual([
      { id: 'pinpoint-daily', channels: 'any', limit: 2, window: { rolling: '24h' } },
      { id: 'pinpoint-timeframe', channels: 'any', limit: 5, window: { rolling: '7d' } },
      { id: 'pinpoint-total', channels: 'any', limit: 20, window: { rolling: '365d' } },
    ]);
    expect(journey.sendRate).toBe(50);
    expect(differencesOf(report, 'Limits')).toContain('EndpointReentryCap 3');
    expect(errors(journey)).toEqual([]);
    const once = translate({ ...Object(fixture('limits')), Limits: { EndpointReentryCap: 1 } });
    expect(once.ok && once.journey.entry).toEqual({ reentry: 'never', maxConcurrent: 1 });
  });

  it('reports QuietTime with WaitForQuietTime, OpenHours, ClosedDays, Schedule and the rest', () => {
    const { journey, report } = translated('sending-blocks');
    expect(report.map((line) => line.source)).toEqual([
      'Journey',
      'StartCondition',
      'QuietTime',
      'OpenHours',
      'ClosedDays',
      'Schedule',
      'SendingSchedule',
      'TimezoneEstimationMethods',
      'remind',
      '(missing NextActivity)',
    ]);
    expect(differencesOf(report, 'QuietTime')).toContain(
      '"quietHours": {"email":{"start":"22:00","end":"07:00"}',
    );
    expect(differencesOf(report, 'QuietTime')).toContain('Waymark does the same');
    expect(differencesOf(report, 'OpenHours')).toContain(
      '"until": {"kind":"localWindow","start":"09:00","end":"18:00","days":["mon","tue"]}',
    );
    expect(differencesOf(report, 'ClosedDays')).toContain('Christmas');
    expect(differencesOf(report, 'Schedule')).toContain('LocalTime true');
    expect(errors(journey)).toEqual([]);
  });

  it('says Pinpoint drops a message in quiet time without WaitForQuietTime, and Waymark defers it', () => {
    const { journey, report } = translated('quiet-time-drop');
    expect(differencesOf(report, 'QuietTime')).toContain('Pinpoint drops a message that falls in quiet time');
    expect(errors(journey)).toEqual([]);
  });
});

describe('broken and fake inputs', () => {
  it('rejects SendEmail, WaitDuration and an Exit activity, naming what Pinpoint has instead', () => {
    const problems = problemsOf(fixture('fake-send-email'));
    expect(problems).toEqual([
      expect.objectContaining({
        path: '$.Activities.a1',
        message: expect.stringContaining('Pinpoint has no key "SendEmail"'),
        expected: expect.stringContaining('EMAIL'),
      }),
      expect.objectContaining({
        path: '$.Activities.a2.Wait',
        message: expect.stringContaining('"WaitFor": "PT1H"'),
        expected: 'WaitActivity with keys NextActivity, WaitTime',
      }),
      expect.objectContaining({
        path: '$.Activities.a3',
        message: expect.stringContaining('Pinpoint has no key "Exit"'),
      }),
    ]);
  });

  it('names the path of a dangling NextActivity, a missing StartActivity and a loop with no wait', () => {
    expect(problemsOf(fixture('dangling'))).toEqual([
      expect.objectContaining({
        path: '$.Activities.first.EMAIL.NextActivity',
        message: expect.stringContaining('"nowhere"'),
      }),
    ]);
    const { StartActivity: _, ...noStart } = Object(fixture('dangling'));
    expect(problemsOf(noStart)[0]).toMatchObject({ path: '$.StartActivity' });
    expect(
      problemsOf({ ...Object(fixture('get-journey-email')).JourneyResponse, StartActivity: 'gone' })[0],
    ).toMatchObject({
      path: '$.StartActivity',
      message: expect.stringContaining('"gone"'),
    });
    expect(problemsOf(fixture('loop'))).toEqual([
      expect.objectContaining({
        path: '$.Activities.ask',
        message: 'A loop with no wait: ask -> check -> ask',
      }),
    ]);
  });

  it('names the wrapped path inside get-journey output', () => {
    const wrapped = Object(fixture('get-journey-email'));
    wrapped.JourneyResponse.Activities.waitOneHour.Wait.WaitTime = { WaitFor: 'one hour' };
    expect(problemsOf(wrapped)).toEqual([
      expect.objectContaining({
        path: '$.JourneyResponse.Activities.waitOneHour.Wait.WaitTime.WaitFor',
        expected: expect.stringContaining('ISO-8601'),
      }),
    ]);
  });

  it('refuses what is no object, and a 5 MB string, without throwing', () => {
    for (const input of [null, 42, [], 'x'.repeat(5 * 1024 * 1024), undefined]) {
      const problems = problemsOf(input);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ path: '$', expected: expect.stringContaining('get-journey') });
    }
    expect(problemsOf({ Name: 'x', Activities: { 'not-alnum': { Wait: {} } } })[0]?.path).toBe(
      '$.Activities["not-alnum"]',
    );
  });
});
