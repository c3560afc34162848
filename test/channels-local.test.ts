/**
 * The channels beyond email, SMS and push on the local engine, through its
 * endpoint with real SDK clients and a real loopback HTTP receiver: a webhook
 * is signed, carries one idempotency key, is retried after a 5xx and never
 * after a 400; WhatsApp takes over from push in a fallback list; a tracked
 * link records a click that sends the journey down its "clicked" branch,
 * and a forged one records nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SendWhatsAppMessageCommand, SocialMessagingClient } from '@aws-sdk/client-socialmessaging';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../shared/channels/webhook-signature.ts';
import { audienceProject, cartJourney } from './support/audience.ts';
import { startTestEngine, type TestEngine, withTempFolder } from './support/local-engine.ts';
import { type Answer, startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

const SECRET_VARIABLE = 'WAYMARK_TEST_HOOK_SECRET';
const SECRET = 'test-hook-secret-0f3c';
const CONSENTED = {
  email: 'opted-in',
  sms: 'opted-in',
  push: 'opted-in',
  whatsapp: 'opted-in',
  webhook: 'opted-in',
};

/** A journey on cart.abandoned that calls the receiver once. */
function hookJourney(reaches: 'system' | 'customer'): Record<string, unknown> {
  return cartJourney('hook', 'call', {
    call: {
      type: 'send',
      channel: 'webhook',
      endpoint: 'receiver',
      reaches,
      template: 'cart-retarget',
      category: 'marketing',
      next: 'done',
    },
  });
}

function writeSettings(dir: string, change: (settings: Record<string, unknown>) => void): void {
  const file = join(dir, 'settings.json');
  const settings: Record<string, unknown> = JSON.parse(readFileSync(file, 'utf8'));
  change(settings);
  writeFileSync(file, JSON.stringify(settings));
}

async function withHookEngine(
  answers: readonly Answer[],
  use: (engine: TestEngine, receiver: WebhookReceiver) => Promise<void>,
  reaches: 'system' | 'customer' = 'system',
): Promise<void> {
  const receiver = await startWebhookReceiver(answers);
  try {
    await withTempFolder('waymark-webhook-', async (dir) => {
      audienceProject(dir, [hookJourney(reaches)]);
      writeSettings(dir, (settings) => {
        settings.webhooks = {
          receiver: { url: `${receiver.url}/hooks/cart`, secret: SECRET_VARIABLE, timeoutSeconds: 2 },
        };
      });
      const engine = await startTestEngine({ journeysDir: dir });
      try {
        expect(engine.host.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
        await use(engine, receiver);
      } finally {
        await engine.close();
      }
    });
  } finally {
    await receiver.close();
  }
}

describe('the webhook channel', () => {
  beforeEach(() => {
    process.env[SECRET_VARIABLE] = SECRET;
  });
  afterEach(() => {
    delete process.env[SECRET_VARIABLE];
  });

  it('arrives once, signed, after the receiver failed the first attempt with a 503', async () => {
    await withHookEngine([{ status: 503, body: 'busy' }, { status: 202 }], async (engine, receiver) => {
      await engine.put('cart.abandoned', 'c-hook', { cartId: 'cart-77' });
      await engine.advance('10m');
      expect(receiver.received).toHaveLength(2);
      const [failed, accepted] = receiver.received;
      // One delivery, one key: the receiver can tell the retry from a new message.
      expect(accepted?.headers['idempotency-key']).toBe(failed?.headers['idempotency-key']);
      expect(accepted?.headers['idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
      expect(accepted?.path).toBe('/hooks/cart');
      expect(accepted?.headers['content-type']).toBe('application/json');
      const signature = String(accepted?.headers['waymark-signature']);
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifyWebhookSignature(SECRET, accepted?.body ?? '', signature, new Date())).toBe(true);
      expect(verifyWebhookSignature('another-secret', accepted?.body ?? '', signature, new Date())).toBe(
        false,
      );
      expect(JSON.parse(accepted?.body ?? '')).toMatchObject({
        audience: 'cart-abandoners',
        customerId: 'c-hook',
        cartId: 'cart-77',
        offerCode: 'CART10',
      });
      const timeline = await engine.timeline('c-hook');
      const messages = timeline.filter((entry) => entry.kind === 'message');
      expect(messages).toEqual([
        expect.objectContaining({
          channel: 'webhook',
          stepId: 'call',
          response: 'HTTP 202',
          reaches: 'system',
          // The journey's last step: its entry says the journey completed, and no entry of its own does.
          completes: true,
        }),
      ]);
      expect(timeline).toContainEqual(
        expect.objectContaining({
          kind: 'engagement',
          action: 'delivered',
          channel: 'webhook',
          stepId: 'call',
        }),
      );
      expect(timeline.filter((entry) => entry.kind === 'journey')).toEqual([]);
      await engine.advance('1d');
      expect(receiver.received).toHaveLength(2);
    });
  });

  it('does not retry a 400: the step is recorded failed with what the receiver said', async () => {
    await withHookEngine([{ status: 400, body: 'unknown audience' }], async (engine, receiver) => {
      await engine.put('cart.abandoned', 'c-bad', {});
      await engine.advance('6h');
      expect(receiver.received).toHaveLength(1);
      const skipped = (await engine.timeline('c-bad')).filter((entry) => entry.kind === 'skipped');
      expect(skipped).toEqual([
        expect.objectContaining({
          status: 'failed',
          channel: 'webhook',
          reason: expect.stringMatching(/answered HTTP 400: unknown audience \(not retried\)/),
        }),
      ]);
      expect((await engine.outbox({ channel: 'webhook' })).length).toBe(0);
    });
  });

  it('does not follow a redirect, and records it as the reason', async () => {
    await withHookEngine(
      [{ status: 302, headers: { location: 'http://127.0.0.1:9/elsewhere' } }],
      async (engine, receiver) => {
        await engine.put('cart.abandoned', 'c-moved', {});
        await engine.advance('1h');
        expect(receiver.received).toHaveLength(1);
        const skipped = (await engine.timeline('c-moved')).filter((entry) => entry.kind === 'skipped');
        expect(skipped).toEqual([
          expect.objectContaining({
            status: 'failed',
            reason: expect.stringMatching(/HTTP 302, a redirect/),
          }),
        ]);
      },
    );
  });

  it('reaching the customer, it needs their consent to webhook messages', async () => {
    await withHookEngine(
      [{ status: 200 }],
      async (engine, receiver) => {
        await engine.put('customer.profile.updated', 'c-no-consent', { consent: { email: 'opted-in' } });
        await engine.put('cart.abandoned', 'c-no-consent', {});
        await engine.put('customer.profile.updated', 'c-consent', { consent: { webhook: 'opted-in' } });
        await engine.put('cart.abandoned', 'c-consent', {});
        await engine.advance('1h');
        expect(receiver.received.map((request) => JSON.parse(request.body).customerId)).toEqual([
          'c-consent',
        ]);
        const skipped = (await engine.timeline('c-no-consent')).filter((entry) => entry.kind === 'skipped');
        expect(skipped).toEqual([
          expect.objectContaining({
            status: 'opted-out',
            reason: expect.stringMatching(/webhook: no marketing consent/),
          }),
        ]);
      },
      'customer',
    );
  });
});

describe('WhatsApp', () => {
  function fallbackJourney(): Record<string, unknown> {
    return cartJourney('nudge', 'nudge', {
      nudge: {
        type: 'send',
        channel: ['push', 'whatsapp'],
        template: 'cart-nudge',
        category: 'marketing',
        next: 'done',
      },
    });
  }

  it('takes over from push when the customer has no device, under its own consent; push goes first when it can', async () => {
    await withTempFolder('waymark-whatsapp-', async (dir) => {
      audienceProject(dir, [fallbackJourney()]);
      // Quiet hours would defer WhatsApp at some hours; this test is about the fallback.
      writeSettings(dir, (settings) => {
        settings.quietHours = { email: null, sms: null, push: null, whatsapp: null };
      });
      const engine = await startTestEngine({ journeysDir: dir });
      try {
        await engine.put('customer.profile.updated', 'c-phone', {
          phone: '+5511987650001',
          consent: CONSENTED,
          attributes: { firstName: 'Ana' },
        });
        await engine.put('customer.profile.updated', 'c-no-whatsapp', {
          phone: '+5511987650002',
          consent: { ...CONSENTED, whatsapp: 'opted-out' },
        });
        const endpointArn = await engine.registerDevice('device-token-whatsapp-test');
        await engine.put('customer.profile.updated', 'c-device', {
          phone: '+5511987650003',
          push: { platform: 'fcm', endpointArn },
          consent: CONSENTED,
        });
        for (const customer of ['c-phone', 'c-no-whatsapp', 'c-device'])
          await engine.put('cart.abandoned', customer, {});
        await engine.advance('1m');
        const whatsapp = await engine.outbox({ channel: 'whatsapp' });
        expect(whatsapp).toEqual([
          expect.objectContaining({
            customerId: 'c-phone',
            recipient: '+5511987650001',
            subject: 'template cart_nudge (pt_BR)',
            body: expect.stringContaining('Ana'),
          }),
        ]);
        expect((await engine.outbox({ channel: 'push' })).map((message) => message.customerId)).toEqual([
          'c-device',
        ]);
        // The stand-in's delivery status came back on the bus and found the message by its id.
        expect((await engine.timeline('c-phone')).filter((entry) => entry.kind === 'engagement')).toEqual([
          expect.objectContaining({
            channel: 'whatsapp',
            action: 'delivered',
            stepId: 'nudge',
            messageId: whatsapp[0]?.messageId,
          }),
        ]);
        const skipped = (await engine.timeline('c-no-whatsapp')).filter((entry) => entry.kind === 'skipped');
        expect(skipped).toEqual([
          expect.objectContaining({
            status: 'opted-out',
            reason: expect.stringMatching(/push: no push endpoint.*; whatsapp: the customer opted out/),
          }),
        ]);
      } finally {
        await engine.close();
      }
    });
  });

  it('the stand-in refuses a template the account does not have, as the service does', async () => {
    const engine = await startTestEngine();
    try {
      const client = new SocialMessagingClient({
        region: 'us-east-1',
        endpoint: engine.endpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const message = (template: string): Uint8Array =>
        new TextEncoder().encode(
          JSON.stringify({
            messaging_product: 'whatsapp',
            to: '+5511987650009',
            type: 'template',
            template: { name: template, language: { code: 'pt_BR' } },
          }),
        );
      const phoneNumberId = 'phone-number-id-0123456789abcdef0123456789abcdef';
      await expect(
        client.send(
          new SendWhatsAppMessageCommand({
            originationPhoneNumberId: phoneNumberId,
            metaApiVersion: 'v20.0',
            message: message('no_such_template'),
          }),
        ),
      ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/132001/) });
      await expect(
        client.send(
          new SendWhatsAppMessageCommand({
            originationPhoneNumberId: 'phone-number-id-ffffffffffffffffffffffffffffffff',
            metaApiVersion: 'v20.0',
            message: message('cart_nudge'),
          }),
        ),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      const sent = await client.send(
        new SendWhatsAppMessageCommand({
          originationPhoneNumberId: phoneNumberId,
          metaApiVersion: 'v20.0',
          message: message('cart_nudge'),
        }),
      );
      expect(sent.messageId).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await engine.close();
    }
  });
});

describe('email engagement: delivery, opens and tracked clicks', () => {
  function clickJourney(): Record<string, unknown> {
    return cartJourney('remind-then', 'remind', {
      remind: {
        type: 'send',
        channel: 'email',
        template: 'cart-reminder',
        category: 'marketing',
        next: 'wait',
      },
      wait: { type: 'wait', duration: '1d', next: 'clicked-branch' },
      'clicked-branch': {
        type: 'branch',
        cases: [
          {
            name: 'clicked',
            when: { engagement: { step: 'remind', action: 'clicked', within: '2d' } },
            next: 'thanks',
          },
        ],
        default: 'done',
      },
      thanks: {
        type: 'send',
        channel: 'sms',
        template: 'cart-nudge',
        category: 'transactional',
        next: 'done',
      },
    });
  }

  it('records the click of a tracked link and takes the "clicked" branch; a forged link records nothing', async () => {
    await withTempFolder('waymark-tracking-', async (dir) => {
      audienceProject(dir, [clickJourney()]);
      const engine = await startTestEngine({ journeysDir: dir });
      try {
        expect(engine.host.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
        for (const customer of ['c-clicker', 'c-ignorer']) {
          await engine.put('customer.profile.updated', customer, {
            email: `${customer}@example.com`,
            phone: '+5511987650100',
            consent: CONSENTED,
          });
          await engine.put('cart.abandoned', customer, {
            cartUrl: 'https://shop.example.com/cart/1?token=secret',
          });
        }
        const [email] = await engine.outbox({ channel: 'email', customerId: 'c-clicker' });
        const html = email?.html ?? '';
        const links = [...html.matchAll(/href="([^"]+)"/g)].map((match) => match[1] ?? '');
        const tracked = links.filter((link) => link.includes('/track/click/'));
        expect(tracked.length).toBeGreaterThan(0);
        // The unsubscribe link is not tracked: it goes straight to the page.
        expect(links.some((link) => link.includes('/unsubscribe'))).toBe(true);
        expect(html).toMatch(/<img src="[^"]+\/track\/open\/[^"]+" width="1" height="1"/);

        // The same link with its signature's last characters changed.
        const first = tracked[0] ?? '';
        const forged = `${first.slice(0, -2)}${first.endsWith('AA') ? 'BB' : 'AA'}`;
        const refused = await fetch(forged, { redirect: 'manual' });
        expect(refused.status).toBe(404);
        expect(await refused.text()).toMatch(/not valid/);

        // The last link of the mail is "Back to your cart".
        const click = await fetch(tracked.at(-1) ?? '', { redirect: 'manual' });
        expect(click.status).toBe(302);
        expect(click.headers.get('location')).toBe('https://shop.example.com/cart/1?token=secret');
        const pixel = html.match(/<img src="([^"]+)"/)?.[1] ?? '';
        const open = await fetch(pixel);
        expect(open.status).toBe(200);
        expect(open.headers.get('content-type')).toBe('image/gif');

        await engine.advance('25h');
        const timeline = await engine.timeline('c-clicker');
        const engagement = timeline.filter(
          (entry) => entry.kind === 'engagement' && entry.channel === 'email',
        );
        expect(engagement.map((entry) => entry.action).sort()).toEqual(['clicked', 'delivered', 'opened']);
        // What the history keeps of the link: where it leads, not its query (a token, an address).
        expect(engagement).toContainEqual(
          expect.objectContaining({
            action: 'clicked',
            detail: 'https://shop.example.com/cart/1',
            stepId: 'remind',
          }),
        );
        expect((await engine.outbox({ channel: 'sms' })).map((message) => message.customerId)).toEqual([
          'c-clicker',
        ]);
        // The SMS's delivery status, matched by its message id.
        expect(
          (await engine.timeline('c-clicker')).filter(
            (entry) => entry.kind === 'engagement' && entry.channel === 'sms',
          ),
        ).toEqual([expect.objectContaining({ action: 'delivered', stepId: 'thanks' })]);
        const ignorer = (await engine.timeline('c-ignorer')).filter((entry) => entry.kind === 'engagement');
        expect(ignorer.map((entry) => entry.action)).toEqual(['delivered']);
      } finally {
        await engine.close();
      }
    });
  });
});
