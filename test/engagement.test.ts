/**
 * What customers did with their messages, as Waymark learns it: SES's
 * delivery, open, click, bounce and complaint events in the exact shape
 * EventBridge delivers them, the engagement condition that branches read,
 * and the local engine's signed tracking links, attacked with the wrong
 * token, a made-up message and the wrong method.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { executionTag, customerTagValue } from '../shared/channels/tags.ts';
import type { Condition } from '../shared/journey/schema.ts';
import { type EngagementEvent, evaluateCondition } from '../shared/journey/conditions.ts';
import { eraseCustomer, handlePreferenceEvent } from '../shared/runtime/preferences.ts';
import { runStepsTask } from '../shared/runtime/steps.ts';
import { EmailTracking } from '../infra/local/email-tracking.ts';
import { audienceProject, cartJourney } from './support/audience.ts';
import { startTestEngine, withTempFolder } from './support/local-engine.ts';
import { ANA, cartTrigger, seedCustomer } from './support/runtime-fixtures.ts';
import {
  createTestRuntime,
  historyEntries,
  localServicesForFile,
  type TestRuntime,
} from './support/runtime-services.ts';

const services = localServicesForFile();

const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:waymark-cart-abandonment:4f1c-exec';
const MESSAGE_ID = '010001929f5e3c1a-5d7b7e2c-0f52-4a55-9f1d-1b7c3e1e1a11-000000';

type SesKind =
  'Email Delivered' | 'Email Opened' | 'Email Clicked' | 'Email Bounced' | 'Email Complaint Received';

/** SES's event for one mail as EventBridge delivers it; `tags` as SES reports them, each an array. */
function sesEvent(
  kind: SesKind,
  tags: Record<string, string[]>,
  options: { id?: string; time?: string; link?: string } = {},
): Record<string, unknown> {
  const time = options.time ?? '2026-11-18T15:10:00Z';
  const mail = {
    timestamp: '2026-11-18T15:00:00.000Z',
    source: 'Waymark Demo Shop <hello@shop.example.com>',
    sourceArn: 'arn:aws:ses:us-east-1:123456789012:identity/shop.example.com',
    sendingAccountId: '123456789012',
    messageId: MESSAGE_ID,
    destination: ['ana@example.com'],
    headersTruncated: false,
    headers: [{ name: 'Subject', value: 'Your cart is still saved' }],
    commonHeaders: {
      from: ['Waymark Demo Shop <hello@shop.example.com>'],
      to: ['ana@example.com'],
      messageId: MESSAGE_ID,
      subject: 'Your cart is still saved',
    },
    tags: {
      'ses:configuration-set': ['waymark'],
      'ses:source-ip': ['192.0.2.10'],
      'ses:from-domain': ['shop.example.com'],
      'ses:caller-identity': ['waymark-deliver'],
      'ses:outgoing-ip': ['198.51.100.20'],
      ...tags,
    },
  };
  const details: Record<SesKind, Record<string, unknown>> = {
    'Email Delivered': {
      eventType: 'Delivery',
      delivery: {
        timestamp: time,
        processingTimeMillis: 812,
        recipients: ['ana@example.com'],
        smtpResponse: '250 2.6.0 Message received',
        reportingMTA: 'a8-30.smtp-out.amazonses.com',
      },
    },
    'Email Opened': {
      eventType: 'Open',
      open: { timestamp: time, userAgent: 'Mozilla/5.0 (iPhone)', ipAddress: '203.0.113.7' },
    },
    'Email Clicked': {
      eventType: 'Click',
      click: {
        timestamp: time,
        link:
          options.link ?? 'https://shop.example.com/cart/1?token=secret-cart-token&email=ana%40example.com',
        linkTags: { campaign: ['cart'] },
        userAgent: 'Mozilla/5.0 (iPhone)',
        ipAddress: '203.0.113.7',
      },
    },
    'Email Bounced': {
      eventType: 'Bounce',
      bounce: {
        feedbackId: '010001929f5e-bounce-000000',
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [
          {
            emailAddress: 'ana@example.com',
            action: 'failed',
            status: '5.1.1',
            diagnosticCode: 'smtp; 550 5.1.1 user unknown',
          },
        ],
        timestamp: time,
        reportingMTA: 'dsn; a8-30.smtp-out.amazonses.com',
      },
    },
    'Email Complaint Received': {
      eventType: 'Complaint',
      complaint: {
        feedbackId: '010001929f5e-complaint-000000',
        complaintSubType: null,
        complainedRecipients: [{ emailAddress: 'ana@example.com' }],
        timestamp: time,
        userAgent: 'Yahoo!-Mail-Feedback/2.0',
        complaintFeedbackType: 'abuse',
        arrivalDate: time,
      },
    },
  };
  return {
    version: '0',
    id: options.id ?? randomUUID(),
    'detail-type': kind,
    source: 'aws.ses',
    account: '123456789012',
    time,
    region: 'us-east-1',
    resources: ['arn:aws:ses:us-east-1:123456789012:configuration-set/waymark'],
    detail: { ...details[kind], mail },
  };
}

/** The tags dispatch puts on a journey's email. */
function waymarkTags(customerId: string, step = 'remind'): Record<string, string[]> {
  return {
    journey: ['cart-abandonment'],
    step: [step],
    channel: ['email'],
    execution: [executionTag(EXECUTION)],
    customer: [customerTagValue(customerId) ?? ''],
  };
}

async function runtimeWith(customerId: string): Promise<TestRuntime> {
  const runtime = await createTestRuntime(services);
  await seedCustomer(runtime, customerId, { ...ANA, email: 'ana@example.com' });
  return runtime;
}

describe('SES engagement events, as the preferences function gets them', () => {
  it('records each of delivery, open, click, bounce and complaint once, a redelivered event not again', async () => {
    // Prepare
    const runtime = await runtimeWith('c-engaged');
    const kinds: SesKind[] = [
      'Email Delivered',
      'Email Opened',
      'Email Clicked',
      'Email Bounced',
      'Email Complaint Received',
    ];
    const events = kinds.map((kind, index) =>
      sesEvent(kind, waymarkTags('c-engaged'), { time: `2026-11-18T15:1${index}:00Z` }),
    );
    // Act: EventBridge delivers at least once: every event comes twice.
    for (const event of [...events, ...events]) await handlePreferenceEvent(runtime, event);
    // Assess
    const engagement = await historyEntries(runtime, 'c-engaged', 'engagement');
    expect(engagement.map((entry) => entry.action)).toEqual([
      'delivered',
      'opened',
      'clicked',
      'bounced',
      'complained',
    ]);
    expect(engagement).toEqual(
      kinds.map(() =>
        expect.objectContaining({
          journeyId: 'cart-abandonment',
          stepId: 'remind',
          channel: 'email',
          execution: executionTag(EXECUTION),
          messageId: MESSAGE_ID,
        }),
      ),
    );
    expect(engagement[3]).toMatchObject({ detail: 'Permanent' });
  });

  it('a second open of the same mail (a new event, even in the same second) is a second entry', async () => {
    const runtime = await runtimeWith('c-twice');
    // Opened on the phone and on the laptop at once: two events, one time.
    await handlePreferenceEvent(runtime, sesEvent('Email Opened', waymarkTags('c-twice')));
    await handlePreferenceEvent(runtime, sesEvent('Email Opened', waymarkTags('c-twice')));
    expect(await historyEntries(runtime, 'c-twice', 'engagement')).toHaveLength(2);
  });

  it("keeps where a clicked link leads, never its query (a customer's token or address)", async () => {
    const runtime = await runtimeWith('c-click');
    const outcome = await handlePreferenceEvent(runtime, sesEvent('Email Clicked', waymarkTags('c-click')));
    expect(outcome).toMatchObject({
      kind: 'ses-engagement',
      outcome: { status: 'recorded', action: 'clicked' },
    });
    const [click] = await historyEntries(runtime, 'c-click', 'engagement');
    expect(click?.detail).toBe('https://shop.example.com/cart/1');
    expect(JSON.stringify(await historyEntries(runtime, 'c-click'))).not.toMatch(/secret-cart-token|ana%40/);
  });

  it('ignores mail Waymark did not send (no journey tags): nothing is written for anyone', async () => {
    const runtime = await runtimeWith('c-other-sender');
    const outcome = await handlePreferenceEvent(runtime, sesEvent('Email Opened', {}));
    expect(outcome).toMatchObject({ outcome: { status: 'ignored' } });
    // Only the customer tag, as another sender in the account might set it.
    const tagged = await handlePreferenceEvent(
      runtime,
      sesEvent('Email Clicked', { customer: [customerTagValue('c-other-sender') ?? ''] }),
    );
    expect(tagged).toMatchObject({ outcome: { status: 'ignored' } });
    expect(await historyEntries(runtime, 'c-other-sender', 'engagement')).toEqual([]);
  });

  it('ignores a forged or garbled customer tag: no history for a mangled customer id', async () => {
    const runtime = await runtimeWith('c-real');
    const real = customerTagValue('c-real') ?? '';
    const garbled = [
      `${real}=`, // padding: not how tags are written
      real.slice(0, -1), // cut short: decodes, but not to what it encodes back to
      `${real}A`, // a stray character: decodes to this very customer, but is no tag Waymark wrote
      'Yy1yZWFs!', // a character SES tags cannot hold
    ];
    for (const value of garbled) {
      const outcome = await handlePreferenceEvent(
        runtime,
        sesEvent('Email Clicked', { ...waymarkTags('c-real'), customer: [value] }),
      );
      expect(outcome, value).toMatchObject({ outcome: { status: 'ignored' } });
    }
    // Two customer tags: which one is it about? Neither.
    const two = await handlePreferenceEvent(
      runtime,
      sesEvent('Email Opened', {
        ...waymarkTags('c-real'),
        customer: [real, customerTagValue('c-other') ?? ''],
      }),
    );
    expect(two).toMatchObject({ outcome: { status: 'ignored' } });
    expect(await historyEntries(runtime, 'c-real', 'engagement')).toEqual([]);
    expect(await historyEntries(runtime, 'c-other', 'engagement')).toEqual([]);
  });

  it('writes nothing about a customer erased since the mail went out, or one never known', async () => {
    const runtime = await runtimeWith('c-erased');
    await handlePreferenceEvent(runtime, sesEvent('Email Delivered', waymarkTags('c-erased')));
    expect(await historyEntries(runtime, 'c-erased')).not.toEqual([]);
    await eraseCustomer(runtime, 'c-erased');
    // Opens and clicks come in for days after a mail is sent.
    const outcome = await handlePreferenceEvent(
      runtime,
      sesEvent('Email Opened', waymarkTags('c-erased'), { time: '2026-11-20T09:00:00Z' }),
    );
    expect(outcome).toMatchObject({ outcome: { status: 'ignored' } });
    expect(await historyEntries(runtime, 'c-erased')).toEqual([]);
    // A well-formed tag for an id no customer has (a control character in it, too).
    const nobody = 'c-real\u0000admin';
    const forged = await handlePreferenceEvent(runtime, sesEvent('Email Clicked', waymarkTags(nobody)));
    expect(forged).toMatchObject({ outcome: { status: 'ignored' } });
    expect(await historyEntries(runtime, nobody)).toEqual([]);
  });
});

describe('the engagement condition', () => {
  const mine = executionTag(EXECUTION);
  const theirs = executionTag(`${EXECUTION}-earlier`);
  const now = new Date('2026-11-20T12:00:00Z');
  const clicked: Condition = { engagement: { step: 'remind', action: 'clicked', within: '2d' } };

  function holds(condition: Condition, events: readonly EngagementEvent[]): boolean {
    return evaluateCondition(condition, {
      event: {},
      profile: {},
      values: {},
      trigger: {},
      history: [],
      now,
      engagement: { journeyId: 'cart-abandonment', execution: mine, events },
    });
  }

  function click(overrides: Partial<EngagementEvent> = {}): EngagementEvent {
    return {
      journeyId: 'cart-abandonment',
      stepId: 'remind',
      execution: mine,
      action: 'clicked',
      time: '2026-11-20T08:00:00Z',
      ...overrides,
    };
  }

  it("holds for a click on this execution's message from that step", () => {
    expect(holds(clicked, [click()])).toBe(true);
  });

  it("another execution's click on the same step does not count, nor another journey's, step's or action's", () => {
    expect(holds(clicked, [click({ execution: theirs })])).toBe(false);
    expect(holds(clicked, [click({ journeyId: 'weekly-newsletter' })])).toBe(false);
    expect(holds(clicked, [click({ stepId: 'nudge' })])).toBe(false);
    expect(holds(clicked, [click({ action: 'opened' })])).toBe(false);
    expect(holds({ not: clicked }, [click({ execution: theirs })])).toBe(true);
  });

  it('respects the window: a click older than "within" does not count, one at its very start does', () => {
    expect(holds(clicked, [click({ time: '2026-11-18T11:59:59Z' })])).toBe(false);
    expect(holds(clicked, [click({ time: '2026-11-18T12:00:00Z' })])).toBe(true);
    // Nothing from the future either (a clock ahead of ours).
    expect(holds(clicked, [click({ time: '2026-11-20T12:00:01Z' })])).toBe(false);
  });

  it('through the evaluate task: a click SES reported for an earlier execution of the journey takes no branch', async () => {
    const runtime = await runtimeWith('c-branch');
    runtime.clock.now = new Date('2026-11-19T15:00:00Z');
    const earlier = `${EXECUTION}-earlier`;
    await handlePreferenceEvent(
      runtime,
      sesEvent('Email Clicked', { ...waymarkTags('c-branch'), execution: [executionTag(earlier)] }),
    );
    const evaluate = (executionId: string): Promise<unknown> =>
      runStepsTask(
        {
          task: 'evaluate',
          stepId: 'clicked-branch',
          cases: [clicked],
          trigger: cartTrigger('c-branch'),
          values: {},
          journeyId: 'cart-abandonment',
          journeyVersion: 1,
          executionId,
          customerId: 'c-branch',
        },
        runtime,
      );
    expect(await evaluate(EXECUTION)).toEqual({ matched: -1 });
    expect(await evaluate(earlier)).toEqual({ matched: 0 });
    // Three days on, the click is outside the window for its own execution too.
    runtime.clock.now = new Date('2026-11-21T15:10:01Z');
    expect(await evaluate(earlier)).toEqual({ matched: -1 });
  });
});

describe('local tracking links', () => {
  const CONSENTED = { email: 'opted-in', sms: 'opted-in', push: 'opted-in' };

  it('refuse an open token on the click path, a message not in the outbox, and a POST; record only what is real', async () => {
    await withTempFolder('waymark-engagement-', async (dir) => {
      audienceProject(dir, [
        cartJourney('remind', 'remind', {
          remind: {
            type: 'send',
            channel: 'email',
            template: 'cart-reminder',
            category: 'marketing',
            next: 'done',
          },
        }),
      ]);
      const engine = await startTestEngine({ journeysDir: dir });
      try {
        await engine.put('customer.profile.updated', 'c-track', {
          email: 'c-track@example.com',
          consent: CONSENTED,
        });
        await engine.put('cart.abandoned', 'c-track', { cartUrl: 'https://shop.example.com/cart/7' });
        const [email] = await engine.outbox({ channel: 'email', customerId: 'c-track' });
        const html = email?.html ?? '';
        const pixel = /<img src="([^"]+\/track\/open\/[^"]+)"/.exec(html)?.[1] ?? '';
        const link = /href="([^"]+\/track\/click\/[^"]+)"/.exec(html)?.[1] ?? '';
        expect(pixel).not.toBe('');
        expect(link).not.toBe('');
        const actions = async (): Promise<unknown[]> => {
          await engine.advance('1m');
          const timeline = await engine.timeline('c-track');
          return timeline.filter((entry) => entry.kind === 'engagement').map((entry) => entry.action);
        };

        // The open pixel's token, on the click path: it would redirect nowhere and record a click.
        const swapped = await fetch(pixel.replace('/track/open/', '/track/click/'), { redirect: 'manual' });
        expect(swapped.status).toBe(404);
        // A token signed with the public default unsubscribe secret (no longer the tracking key):
        // anyone could make one, for a message never sent and a link of their own.
        const forger = new EmailTracking({
          secret: process.env.WAYMARK_UNSUBSCRIBE_SECRET ?? 'waymark-local-unsubscribe-secret',
          baseUrl: () => engine.endpoint,
          tracking: () => ({ opens: true, clicks: true }),
          configurationSet: 'waymark',
          now: () => new Date(),
          publish: () => Promise.resolve(),
        });
        const made = forger.deliveredHtml('<a href="https://evil.example.net/">x</a>', 'no-such-message', '');
        const madeUp = /href="([^"]+)"/.exec(made)?.[1] ?? '';
        expect(madeUp).toContain('/track/click/');
        const unknown = await fetch(madeUp, { redirect: 'manual' });
        expect(unknown.status).toBe(404);
        expect(unknown.headers.get('location')).toBeNull();
        // A POST to a real link: tracking links are opened, not submitted to.
        const posted = await fetch(link, { method: 'POST', redirect: 'manual' });
        expect(posted.status).toBeGreaterThanOrEqual(400);
        expect(posted.headers.get('location')).toBeNull();
        // A HEAD is a link checker or a mail scanner looking: answered, not recorded.
        const looked = await fetch(link, { method: 'HEAD', redirect: 'manual' });
        expect(looked.status).toBe(302);
        expect((await fetch(pixel, { method: 'HEAD' })).status).toBe(200);
        expect(await actions()).toEqual(['delivered']);
        // The unsubscribe link (marked ses:no-track in the sample) goes straight to its page.
        expect(html).toMatch(/<a ses:no-track href="[^"]+\/unsubscribe\?token=/);
        const noTrack = forger.deliveredHtml(
          '<a href="https://shop.example.com/a" class="x" ses:no-track>a</a><a href="https://shop.example.com/b">b</a>',
          'm-1',
          '',
        );
        expect(noTrack).toContain('<a href="https://shop.example.com/a" class="x" ses:no-track>');
        expect(noTrack).not.toContain('href="https://shop.example.com/b"');

        // The real ones still work: the refusals above were not a broken engine.
        expect((await fetch(pixel)).status).toBe(200);
        const clickedThrough = await fetch(link, { redirect: 'manual' });
        expect(clickedThrough.status).toBe(302);
        expect((await actions()).sort()).toEqual(['clicked', 'delivered', 'opened']);
      } finally {
        await engine.close();
      }
    });
  });
});
