/** Pinpoint templates (get-*-template output and bare requests) to Waymark Liquid template folders. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { placeholderTemplate, translatePinpointTemplate } from '../shared/migrate/pinpoint/templates.ts';
import { validateJourneyText } from '../shared/journey/validate.ts';
import type { Channel } from '../shared/customer/profile.ts';
import { renderMessage, type TemplateContext, type TemplateSource } from '../shared/render/templates.ts';
import { sampleEvents } from './support/events.ts';
import { project, settings } from './support/project.ts';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./pinpoint/templates/${name}.json`, import.meta.url), 'utf8'));
}

function translated(input: unknown, name?: string) {
  const result = translatePinpointTemplate(input, name === undefined ? {} : { name });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result;
}

function context(attributes: Record<string, unknown>, extra: Record<string, unknown> = {}): TemplateContext {
  return {
    profile: { customerId: 'cust-1001', email: 'ana@example.com', attributes, ...extra },
    event: {},
    trigger: { id: 't-1', detailType: 'cart.abandoned', source: 'test', time: '2026-01-15T12:00:00Z' },
    values: {},
    journey: { id: 'j', name: 'J', stepId: 's' },
    unsubscribeUrl: 'https://example.com/unsubscribe?token=t',
  };
}

function render(name: string, files: Record<string, string>, channel: Channel, ctx: TemplateContext) {
  const result = renderMessage({ name, files }, channel, ctx);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.message;
}

describe('email templates', () => {
  it('maps variables and defaults, renders with and without the attribute, and adds the unsubscribe link', () => {
    // Prepare
    const result = translated(fixture('email-welcome'));
    // Act
    const withName = render(
      result.name,
      result.files,
      'email',
      context({ FirstName: ['Ana'] }, { timeZone: 'Europe/Lisbon' }),
    );
    const without = render(result.name, result.files, 'email', context({}));
    // Assess
    expect(result.name).toBe('welcome-email');
    expect(Object.keys(result.files).sort()).toEqual([
      'email.html.liquid',
      'email.subject.liquid',
      'email.text.liquid',
    ]);
    expect(withName).toMatchObject({ subject: 'Welcome, Ana!' });
    expect(without).toMatchObject({ subject: 'Welcome, there!' });
    if (withName.channel !== 'email' || without.channel !== 'email') throw new Error('not an email');
    expect(withName.text).toBe(
      'Hi Ana, your code is WELCOME10. Customer cust-1001, zone Europe/Lisbon.\n\nUnsubscribe: https://example.com/unsubscribe?token=t',
    );
    expect(without.text).toContain('Hi there, your code is WELCOME10. Customer cust-1001, zone .');
    expect(withName.html).toContain('We will write to ana@example.com.');
    expect(withName.html).toContain(
      '<a ses:no-track href="https://example.com/unsubscribe?token=t">Unsubscribe</a></p>\n</body></html>',
    );
    expect(result.report).toEqual([
      {
        variable: 'User.UserAttributes.FirstName',
        became: 'profile.attributes.FirstName | default: "there"',
      },
      { variable: 'offerCode', became: 'values.offerCode | default: "WELCOME10"' },
      { variable: 'Address', became: 'profile.email' },
      { variable: 'Location.City', became: expect.stringContaining('no Waymark counterpart') },
      { variable: 'User.UserId', became: 'profile.customerId' },
      { variable: 'Demographic.Timezone', became: 'profile.timeZone' },
    ]);
  });

  it('keeps a variable with no counterpart as a marked comment and names it in the differences', () => {
    const result = translated(fixture('email-welcome'));
    expect(result.files['email.html.liquid']).toContain(
      'Near you: {% comment %}Pinpoint variable {{Location.City}} has no Waymark counterpart{% endcomment %}</p>',
    );
    expect(result.differences).toContainEqual(
      expect.stringMatching(
        /^email\.html\.liquid: Pinpoint variable \{\{Location\.City\}\} has no Waymark counterpart/,
      ),
    );
    expect(result.differences).toContainEqual(expect.stringContaining('had no Waymark unsubscribe link'));
  });

  it('converts if, else, eq, each with @index and this, unless and upper; reports a helper it cannot convert', () => {
    const result = translated(fixture('email-helpers'));
    const gold = render(
      result.name,
      result.files,
      'email',
      context({ FirstName: 'Ana', Tier: 'gold', FavoriteColors: ['red', 'blue'], Newsletter: 'yes' }),
    );
    const bare = render(result.name, result.files, 'email', context({}));
    if (gold.channel !== 'email' || bare.channel !== 'email') throw new Error('not an email');
    expect(gold.subject).toBe('GOLD news');
    expect(gold.text?.split('\n').slice(0, 4)).toEqual([
      'Hello Ana,',
      'Gold perks inside.',
      '[0:red][1:blue]',
      '',
    ]);
    expect(bare.subject).toBe('news');
    expect(bare.text?.split('\n').slice(0, 4)).toEqual([
      'Hello,',
      'Earn more to reach gold.',
      'No colours.',
      'Join the newsletter.',
    ]);
    expect(result.files['email.text.liquid']).toContain(
      '{% comment %}Pinpoint helper not converted: {{formatDate CreationDate "yyyy"}}{% endcomment %}',
    );
    expect(result.differences).toContainEqual(
      expect.stringContaining('{{formatDate CreationDate "yyyy"}} has no Liquid equivalent'),
    );
    // The template's own link to the old unsubscribe page is named as one to remove.
    expect(result.differences).toContainEqual(
      expect.stringContaining("the template's own unsubscribe or opt-out link"),
    );
  });

  it('reads a bare EmailTemplateRequest, named by options.name', () => {
    const result = translatePinpointTemplate(fixture('email-request'), {});
    expect(result).toEqual({ ok: false, problems: [expect.objectContaining({ path: '$.TemplateName' })] });
    const named = translated(fixture('email-request'), 'SpringNews');
    expect(named.name).toBe('spring-news');
    expect(Object.keys(named.files).sort()).toEqual(['email.html.liquid', 'email.subject.liquid']);
    const message = render(named.name, named.files, 'email', context({}));
    expect(message).toMatchObject({ html: expect.stringContaining('<p>Hello there</p>') });
  });
});

describe('SMS and push templates', () => {
  it('translates an SMS template', () => {
    const result = translated(fixture('sms-reminder'));
    expect(result.name).toBe('appointment-reminder');
    expect(Object.keys(result.files)).toEqual(['sms.liquid']);
    expect(
      render(result.name, result.files, 'sms', context({ FirstName: 'Ana', VisitDate: 'Monday' })),
    ).toEqual({
      channel: 'sms',
      text: 'Hi Ana, your visit is on Monday at . Reply STOP to opt out.',
    });
    expect(render(result.name, result.files, 'sms', context({}))).toMatchObject({
      text: 'Hi , your visit is on soon at . Reply STOP to opt out.',
    });
  });

  it('reads the create-sms-template --cli-input-json form, with its TemplateName beside the request', () => {
    const result = translated(fixture('sms-request-cli'));
    expect(result.name).toBe('otp-code');
    expect(render(result.name, result.files, 'sms', context({ Code: '4321' }))).toMatchObject({
      text: 'Code 4321 for . Reply STOP to opt out.',
    });
    expect(result.differences).toEqual([expect.stringContaining('{{Id}} has no Waymark counterpart')]);
  });

  it('takes the Default push message, puts Action and Url in the data, and names the platform messages left out', () => {
    const result = translated(fixture('push-offer'));
    const message = render(result.name, result.files, 'push', context({}));
    expect(message).toEqual({
      channel: 'push',
      title: 'Still there?',
      body: 'Friend, your cart misses you',
      data: { action: 'URL', url: 'https://shop.example.com/cart?c=cust-1001' },
    });
    expect(result.differences).toContainEqual(
      expect.stringContaining('the Default message was imported and the GCM, APNS messages were not'),
    );
  });

  it('takes a platform message when there is no Default, and a bare PushNotificationTemplateRequest', () => {
    const apns = translated(fixture('push-platform-only'));
    expect(render(apns.name, apns.files, 'push', context({ OrderId: 'o-9' }))).toMatchObject({
      title: 'Shipped',
      body: 'Your order o-9 shipped',
    });
    expect(apns.differences).toEqual([
      expect.stringContaining('MediaUrl of the APNS message is not imported'),
    ]);
    const bare = translated(fixture('push-request'), 'inbox');
    expect(render(bare.name, bare.files, 'push', context({}))).toMatchObject({
      title: 'Inbox',
      body: 'Some new messages',
      data: {},
    });
  });
});

describe('broken input', () => {
  it('names unknown keys with their JSON path and what Pinpoint has', () => {
    const result = translatePinpointTemplate(fixture('broken-unknown-keys'), {});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((problem) => problem.path)).toEqual([
      '$.EmailTemplateResponse.HtmlBody',
      '$.EmailTemplateResponse.SendEmail',
    ]);
    expect(result.problems[0]?.expected).toContain('HtmlPart');
  });

  it('refuses what is not a JSON object, not a template, or too big, without throwing', () => {
    for (const input of [null, 'text', 42, [], { SendEmail: {} }, { EmailTemplateResponse: 'x' }]) {
      const result = translatePinpointTemplate(input, {});
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems[0]?.path).toMatch(/^\$/);
    }
    const huge = translatePinpointTemplate(
      { SMSTemplateResponse: { TemplateName: 'big', Body: 'x'.repeat(5_000_000) } },
      {},
    );
    expect(huge).toEqual({
      ok: false,
      problems: [expect.objectContaining({ path: '$.SMSTemplateResponse.Body' })],
    });
    const manyKeys = Object.fromEntries(Array.from({ length: 10_000 }, (_, index) => [`k${index}`, index]));
    const crowded = translatePinpointTemplate(
      { SMSTemplateResponse: { TemplateName: 'x', Body: 'b', ...manyKeys } },
      {},
    );
    expect(crowded.ok === false && crowded.problems.length).toBe(21);
  });

  it('names the field of Handlebars it cannot read, a bad DefaultSubstitutions and a bad push Action', () => {
    expect(translatePinpointTemplate(fixture('broken-handlebars'), {})).toEqual({
      ok: false,
      problems: [
        expect.objectContaining({
          path: '$.SMSTemplateResponse.Body',
          message: expect.stringContaining('never closed'),
        }),
      ],
    });
    const badDefaults = translatePinpointTemplate(
      { SMSTemplateResponse: { TemplateName: 'x', Body: 'b', DefaultSubstitutions: '{oops' } },
      {},
    );
    expect(badDefaults).toMatchObject({
      ok: false,
      problems: [{ path: '$.SMSTemplateResponse.DefaultSubstitutions' }],
    });
    const badAction = translatePinpointTemplate(
      { PushNotificationTemplateRequest: { Default: { Body: 'b', Action: 'LAUNCH' } }, TemplateName: 'p' },
      {},
    );
    expect(badAction).toMatchObject({
      ok: false,
      problems: [{ path: '$.PushNotificationTemplateRequest.Default.Action' }],
    });
  });
});

describe('output', () => {
  it('is byte-identical for the same input', () => {
    for (const name of ['email-welcome', 'email-helpers', 'sms-reminder', 'push-offer']) {
      expect(JSON.stringify(translatePinpointTemplate(fixture(name), {}))).toBe(
        JSON.stringify(translatePinpointTemplate(fixture(name), {})),
      );
    }
  });

  const cart = JSON.parse(readFileSync('journeys/cart-abandonment.json', 'utf8'));
  function problemsWith(template: TemplateSource, channel: Channel) {
    return validateJourneyText(
      JSON.stringify(
        {
          ...cart,
          steps: {
            ...cart.steps,
            remind: { ...cart.steps.remind, template: template.name, channel, category: 'marketing' },
          },
        },
        null,
        2,
      ),
      'j.json',
      {
        settings,
        events: sampleEvents(),
        templates: new Map([...project.templates, [template.name, template]]),
        segments: new Map(),
        now: new Date('2026-11-18T15:00:00Z'),
      },
    ).problems;
  }

  it('passes waymark validate as a marketing email', () => {
    const result = translated(fixture('email-welcome'));
    expect(
      problemsWith({ name: result.name, files: result.files }, 'email').filter(
        (problem) => problem.severity === 'error',
      ),
    ).toEqual([]);
  });

  it('gives placeholders that say so and that the validator flags as errors', () => {
    const files = placeholderTemplate('missing-offer', ['email', 'sms']);
    expect(Object.keys(files).sort()).toEqual(['email.subject.liquid', 'email.text.liquid', 'sms.liquid']);
    for (const text of Object.values(files))
      expect(text).toContain('PLACEHOLDER imported from Pinpoint: template missing-offer was not found');
    for (const channel of ['email', 'sms'] as const) {
      expect(problemsWith({ name: 'missing-offer', files }, channel)).toContainEqual(
        expect.objectContaining({
          severity: 'error',
          message: expect.stringContaining('PLACEHOLDER-imported-from-Pinpoint-template-not-found'),
        }),
      );
    }
  });
});
