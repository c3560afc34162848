/**
 * The validator on the channels beyond email, SMS and push, and on engagement
 * conditions, as a team writing journeys would get them wrong: each mistake is
 * an error (or a warning) at the JSON path to fix, never a journey that
 * deploys and then quietly does nothing.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Problem } from '../shared/journey/problem.ts';
import { settingsSchema, type Settings } from '../shared/journey/schema.ts';
import {
  validateJourneyText,
  validateSegmentText,
  validateSettingsText,
} from '../shared/journey/validate.ts';
import type { TemplateSource } from '../shared/render/templates.ts';
import { sampleEvents } from './support/events.ts';
import { project } from './support/project.ts';

const settingsJson: Record<string, unknown> = JSON.parse(readFileSync('journeys/settings.json', 'utf8'));

/** The sample settings with a function ("crm-note") beside the sample's webhook ("ads-audience"). */
function settingsWith(change: (json: Record<string, unknown>) => void = () => undefined): Settings {
  const copy = structuredClone(settingsJson);
  copy.functions = { 'crm-note': { functionName: 'waymark-crm-note' } };
  change(copy);
  return settingsSchema.parse(copy);
}

const TEMPLATES: ReadonlyMap<string, TemplateSource> = new Map([
  ...project.templates,
  [
    'crm-note',
    { name: 'crm-note', files: { 'function.json.liquid': '{"id": {{ profile.customerId | json }}}' } },
  ],
  [
    'unlisted-whatsapp',
    {
      name: 'unlisted-whatsapp',
      files: {
        'whatsapp.json': JSON.stringify({ template: 'cart_nudge_v2', language: 'pt_BR', parameters: [] }),
      },
    },
  ],
]);

/** A journey on cart.abandoned: `steps` after a first step "first" (a send by email unless given). */
function journey(steps: Record<string, unknown>, start = 'first'): Record<string, unknown> {
  return {
    id: 'channels',
    name: 'channels',
    version: 1,
    status: 'active',
    trigger: { event: 'cart.abandoned' },
    values: { offerCode: 'CART10', offerText: '10% off', cartUrl: { from: 'event.cartUrl' } },
    start,
    steps: { done: { type: 'end' }, ...steps },
  };
}

function problemsOf(json: unknown, settings: Settings = settingsWith()): Problem[] {
  return validateJourneyText(JSON.stringify(json, null, 2), 'channels.json', {
    settings,
    events: sampleEvents(),
    templates: TEMPLATES,
    segments: new Map(),
    now: new Date('2026-11-18T15:00:00Z'),
  }).problems;
}

function errorsOf(json: unknown, settings?: Settings): Problem[] {
  return problemsOf(json, settings).filter((problem) => problem.severity === 'error');
}

const webhookStep = {
  type: 'send',
  channel: 'webhook',
  endpoint: 'ads-audience',
  reaches: 'system',
  template: 'cart-retarget',
  category: 'marketing',
  next: 'done',
};

describe('send steps on webhook, function and WhatsApp', () => {
  it('accepts a webhook step and a function step that name what settings declare', () => {
    const { endpoint: _unused, ...notWebhook } = webhookStep;
    const functionStep = { ...notWebhook, channel: 'function', function: 'crm-note', template: 'crm-note' };
    expect(errorsOf(journey({ first: { ...webhookStep, next: 'second' }, second: functionStep }))).toEqual(
      [],
    );
  });

  it("a webhook timeout longer than the journey's step leaves it is an error on Express, fine on Standard", () => {
    const slow = settingsWith((json) => {
      const webhooks = json.webhooks;
      if (typeof webhooks !== 'object' || webhooks === null) throw new Error('sample webhooks');
      Object.assign(webhooks, {
        'ads-audience': { url: 'https://ads.example.com/a', secret: 'S', timeoutSeconds: 30 },
      });
    });
    const standard = journey({ first: webhookStep });
    expect(errorsOf(standard, slow)).toEqual([]);
    expect(errorsOf({ ...standard, workflow: 'express' }, slow)).toEqual([
      expect.objectContaining({
        path: '$.steps.first.endpoint',
        message: expect.stringContaining(
          "may take 30 s, more than an Express journey's step leaves it (6 s)",
        ),
      }),
    ]);
  });

  it('a webhook step without an endpoint names the endpoints it could use', () => {
    const { endpoint: _unused, ...withoutEndpoint } = webhookStep;
    expect(errorsOf(journey({ first: withoutEndpoint }))).toEqual([
      expect.objectContaining({
        path: '$.steps.first.endpoint',
        message: expect.stringContaining('names its endpoint'),
        expected: 'one of ads-audience',
      }),
    ]);
  });

  it('an unknown endpoint is an error with a did-you-mean', () => {
    expect(errorsOf(journey({ first: { ...webhookStep, endpoint: 'ads-audiense' } }))).toEqual([
      expect.objectContaining({
        path: '$.steps.first.endpoint',
        message: 'settings.json declares no webhooks["ads-audiense"].',
        hint: 'did you mean "ads-audience"?',
      }),
    ]);
  });

  it('"endpoint" on an email step is an error, and so is "reaches"', () => {
    const email = {
      type: 'send',
      channel: 'email',
      endpoint: 'ads-audience',
      reaches: 'customer',
      template: 'cart-reminder',
      category: 'marketing',
      next: 'done',
    };
    const errors = errorsOf(journey({ first: email }));
    expect(errors).toContainEqual(
      expect.objectContaining({
        path: '$.steps.first.endpoint',
        message: expect.stringContaining('which this step does not use'),
      }),
    );
    expect(errors).toContainEqual(
      expect.objectContaining({
        path: '$.steps.first.reaches',
        message: '"reaches" is for webhook and function steps only.',
      }),
    );
    expect(errors).toHaveLength(2);
  });

  it('a webhook cannot be part of a fallback list', () => {
    const errors = errorsOf(journey({ first: { ...webhookStep, channel: ['email', 'webhook'] } }));
    expect(errors).toContainEqual(
      expect.objectContaining({
        path: '$.steps.first.channel',
        message: 'webhook cannot be part of a fallback list.',
      }),
    );
  });

  it('a webhook step that does not say whom it reaches is an error naming both choices', () => {
    const { reaches: _unused, ...withoutReaches } = webhookStep;
    expect(errorsOf(journey({ first: withoutReaches }))).toEqual([
      expect.objectContaining({
        path: '$.steps.first.reaches',
        expected: expect.stringMatching(/"customer".*"system"/),
      }),
    ]);
  });

  it('an unknown function is an error with a did-you-mean', () => {
    const step = {
      type: 'send',
      channel: 'function',
      function: 'crm-notes',
      reaches: 'system',
      template: 'crm-note',
      category: 'transactional',
      next: 'done',
    };
    expect(errorsOf(journey({ first: step }))).toEqual([
      expect.objectContaining({
        path: '$.steps.first.function',
        message: 'settings.json declares no functions["crm-notes"].',
        hint: 'did you mean "crm-note"?',
      }),
    ]);
  });

  it('WhatsApp without settings.senders.whatsapp is an error on the channel', () => {
    const settings = settingsWith((json) => {
      json.senders = { email: { from: 'Waymark Demo Shop <hello@shop.example.com>' } };
    });
    const step = {
      type: 'send',
      channel: 'whatsapp',
      template: 'cart-nudge',
      category: 'marketing',
      next: 'done',
    };
    expect(errorsOf(journey({ first: step }), settings)).toEqual([
      expect.objectContaining({
        path: '$.steps.first.channel',
        message: expect.stringContaining('settings.senders.whatsapp is not set'),
      }),
    ]);
  });

  it('a whatsapp.json naming a template the account does not list is an error with what it lists', () => {
    const step = {
      type: 'send',
      channel: 'whatsapp',
      template: 'unlisted-whatsapp',
      category: 'transactional',
      next: 'done',
    };
    expect(errorsOf(journey({ first: step }))).toEqual([
      expect.objectContaining({
        path: '$.steps.first.template',
        message: expect.stringContaining(
          '"cart_nudge_v2", which settings.senders.whatsapp.templates does not list',
        ),
        expected: 'one of cart_nudge',
        hint: 'did you mean "cart_nudge"?',
      }),
    ]);
  });
});

describe('settings.webhooks', () => {
  function settingsProblems(webhook: Record<string, unknown>): Problem[] {
    const copy = structuredClone(settingsJson);
    copy.webhooks = { receiver: { secret: 'WAYMARK_RECEIVER_SECRET', ...webhook } };
    return validateSettingsText(JSON.stringify(copy, null, 2), 'settings.json').problems;
  }

  it('refuses an http URL to another machine, and only warns about http to loopback', () => {
    expect(settingsProblems({ url: 'http://hooks.example.net/cart' })).toEqual([
      expect.objectContaining({
        severity: 'error',
        path: '$.webhooks.receiver.url',
        message: expect.stringContaining('must be https'),
      }),
    ]);
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost:3000/hook',
      'http://[::1]:9000/hook',
    ]) {
      expect(settingsProblems({ url })).toEqual([
        expect.objectContaining({
          severity: 'warning',
          path: '$.webhooks.receiver.url',
          message: expect.stringContaining('works in the local engine only'),
        }),
      ]);
    }
    expect(settingsProblems({ url: 'https://hooks.example.net/cart' })).toEqual([]);
  });

  it('refuses a URL carrying credentials, even over https', () => {
    expect(settingsProblems({ url: 'https://user:hunter2@hooks.example.net/cart' })).toEqual([
      expect.objectContaining({
        severity: 'error',
        path: '$.webhooks.receiver.url',
        message: 'A webhook URL must not carry credentials.',
      }),
    ]);
  });

  it('refuses a header value no HTTP request can carry: a line break (header injection) or an emoji', () => {
    const problems = settingsProblems({
      url: 'https://hooks.example.net/cart',
      headers: { 'X-Team': 'growth\r\nX-Injected: 1', 'X-Mood': 'ready 🚀', 'X-City': 'São Paulo' },
    });
    expect(problems.map((problem) => [problem.severity, problem.path])).toEqual([
      ['error', '$.webhooks.receiver.headers["X-Team"]'],
      ['error', '$.webhooks.receiver.headers["X-Mood"]'],
    ]);
  });

  it('refuses the headers Waymark sets itself, whatever their case', () => {
    const problems = settingsProblems({
      url: 'https://hooks.example.net/cart',
      headers: {
        'waymark-signature': 'forged',
        'Idempotency-Key': 'fixed',
        Host: 'elsewhere',
        'X-Team': 'growth',
      },
    });
    expect(problems.map((problem) => [problem.severity, problem.path])).toEqual([
      ['error', '$.webhooks.receiver.headers["waymark-signature"]'],
      ['error', '$.webhooks.receiver.headers["Idempotency-Key"]'],
      ['error', '$.webhooks.receiver.headers.Host'],
    ]);
  });
});

describe('engagement conditions', () => {
  /** first (a send on `channel`) -> wait -> check (a branch on `condition`) -> done. */
  function branchJourney(condition: unknown, first: Record<string, unknown>): Record<string, unknown> {
    return journey({
      first: { ...first, next: 'wait' },
      wait: { type: 'wait', duration: '1d', next: 'check' },
      check: { type: 'branch', cases: [{ when: condition, next: 'done' }], default: 'done' },
    });
  }
  const email = { type: 'send', channel: 'email', template: 'cart-reminder', category: 'marketing' };
  const sms = { type: 'send', channel: 'sms', template: 'cart-nudge', category: 'marketing' };

  it('accepts a click on an email sent before the branch', () => {
    const condition = { engagement: { step: 'first', action: 'clicked', within: '2d' } };
    expect(errorsOf(branchJourney(condition, email))).toEqual([]);
  });

  it('naming a step the journey does not have is an error with a did-you-mean', () => {
    const condition = { engagement: { step: 'frist', action: 'opened', within: '2d' } };
    expect(errorsOf(branchJourney(condition, email))).toEqual([
      expect.objectContaining({
        path: '$.steps.check.cases[0].when.engagement.step',
        message: 'No step "frist" in this journey.',
        hint: 'did you mean "first"?',
      }),
    ]);
  });

  it('naming a step that sends nothing is an error', () => {
    const condition = { engagement: { step: 'wait', action: 'opened', within: '2d' } };
    expect(errorsOf(branchJourney(condition, email))).toEqual([
      expect.objectContaining({
        path: '$.steps.check.cases[0].when.engagement.step',
        message: expect.stringContaining('"wait" is a wait step'),
      }),
    ]);
  });

  it('an action the step\'s channel never reports (an SMS "opened") is an error on the action', () => {
    const condition = { any: [{ engagement: { step: 'first', action: 'opened', within: '2d' } }] };
    expect(errorsOf(branchJourney(condition, sms))).toEqual([
      expect.objectContaining({
        path: '$.steps.check.cases[0].when.any[0].engagement.action',
        message: '"first" sends by sms, which never report "opened".',
      }),
    ]);
  });

  it('a send step that only runs after the branch is an error: the condition could never hold', () => {
    const json = journey(
      {
        check: {
          type: 'branch',
          cases: [
            { when: { engagement: { step: 'later', action: 'clicked', within: '2d' } }, next: 'later' },
          ],
          default: 'done',
        },
        later: { ...email, next: 'done' },
      },
      'check',
    );
    expect(errorsOf(json)).toEqual([
      expect.objectContaining({
        path: '$.steps.check.cases[0].when.engagement.step',
        message: expect.stringContaining('"later" never runs before the branch "check"'),
      }),
    ]);
  });

  it('a segment cannot use an engagement condition', () => {
    const segment = {
      id: 'clickers',
      name: 'Clickers',
      when: {
        all: [
          { field: 'profile.consent.email', equals: 'opted-in' },
          { engagement: { step: 'remind', action: 'clicked', within: '7d' } },
        ],
      },
    };
    const { problems } = validateSegmentText(
      JSON.stringify(segment, null, 2),
      'segments/clickers.json',
      sampleEvents(),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        severity: 'error',
        path: '$.when.all[1].engagement',
        message: expect.stringContaining('A segment cannot use an engagement condition'),
      }),
    ]);
  });
});
