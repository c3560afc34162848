import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createAwsChannelGateway } from '../shared/channels/aws-gateway.ts';
import type { DeliveryOutcome } from '../shared/contract/tasks.ts';
import { TASK_ERRORS } from '../shared/contract/tasks.ts';
import { verifyUnsubscribeToken } from '../shared/preferences/unsubscribe-token.ts';
import { deliver } from '../shared/runtime/deliver.ts';
import { profileKey } from '../shared/store/table.ts';
import { ANA, deliverTask, seedCustomer } from './support/runtime-fixtures.ts';
import {
  createPushEndpoint,
  createTestRuntime,
  expectVariant,
  historyEntries,
  localServicesForFile,
  unsubscribeLink,
  unsubscribeToken,
} from './support/runtime-services.ts';

const services = localServicesForFile();

describe('deliver: email', () => {
  it('sends through SES with one-click unsubscribe headers and records the message in the history', async () => {
    // Prepare
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-email', { ...ANA, email: 'c-email@example.com' });
    // Act
    const outcome = await deliver(deliverTask('c-email'), runtime);
    // Assess
    expect(outcome).toMatchObject({ status: 'sent', channel: 'email' });
    const [email] = await services.emailsTo('c-email@example.com');
    expect(email?.subject).toBe('Your cart is still saved: 10% off your cart');
    expect(email?.body.text).toContain('Hi Ana, Trail Running Shoes is still in your cart');
    const headers = new Map(email?.headers?.map((header) => [header.name, header.value]));
    expect(headers.get('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const link = unsubscribeLink(email);
    expect(link.startsWith('https://shop.example.com/unsubscribe?token=')).toBe(true);
    const claims = verifyUnsubscribeToken(unsubscribeToken(email), runtime.unsubscribeSecret, runtime.now());
    expect(claims).toMatchObject({ ok: true, claims: { customerId: 'c-email', channel: 'email' } });
    // The body's link is the same signed link as the header's.
    expect(email?.body.text).toContain(link);
    expect(await historyEntries(runtime, 'c-email')).toContainEqual(
      expect.objectContaining({
        kind: 'message',
        channel: 'email',
        stepId: 'nudge',
        headline: email?.subject,
      }),
    );
  });
});

describe('deliver: caps and idempotency', () => {
  it('50 concurrent deliveries under a cap of 3 send exactly 3 and cap 47, naming the cap', async () => {
    // Prepare
    const runtime = await createTestRuntime(services, {
      settings: { caps: [{ id: 'marketing-daily', channels: 'any', limit: 3, window: 'calendarDay' }] },
    });
    await seedCustomer(runtime, 'c-cap', { ...ANA, email: 'c-cap@example.com' });
    // Act
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        deliver(deliverTask('c-cap', { stepId: `step-${index}` }), runtime),
      ),
    );
    // Assess
    const sent = outcomes.filter((outcome) => outcome.status === 'sent');
    const capped = outcomes.filter((outcome) => outcome.status === 'capped');
    expect(sent).toHaveLength(3);
    expect(capped).toHaveLength(47);
    expect(capped).toEqual(
      Array.from({ length: 47 }, () => expect.objectContaining({ capId: 'marketing-daily' })),
    );
    expect(await services.emailsTo('c-cap@example.com')).toHaveLength(3);
    const skipped = await historyEntries(runtime, 'c-cap', 'skipped');
    expect(skipped.filter((entry) => entry.status === 'capped')).toHaveLength(47);
  });

  it('the same (execution, step) delivered 10 times sends one message', async () => {
    // Prepare
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-once', { ...ANA, email: 'c-once@example.com' });
    const task = deliverTask('c-once');
    // Act
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => deliver(task, runtime)));
    // Assess
    expect(outcomes.every((outcome) => outcome.status === 'sent')).toBe(true);
    expect(await services.emailsTo('c-once@example.com')).toHaveLength(1);
  });

  it('a retry after the message went out answers sent with the same message id, even if consent changed since', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-retry', { ...ANA, email: 'c-retry@example.com' });
    const task = deliverTask('c-retry');
    const first = await deliver(task, runtime);
    await seedCustomer(runtime, 'c-retry', { consent: { email: 'opted-out' } });
    runtime.clock.now = new Date(runtime.clock.now.getTime() + 60_000);
    const retried = await deliver(task, runtime);
    expect(first.status).toBe('sent');
    // The journey must not take the "not sent" path for a message the customer already has.
    expect(retried).toEqual(first);
    expect(await services.emailsTo('c-retry@example.com')).toHaveLength(1);
  });

  it("a journey's weekly cap holds even when another journey's deliveries rewrite the ledger", async () => {
    const runtime = await createTestRuntime(services, {
      settings: { caps: [{ id: 'marketing-daily', channels: 'any', limit: 5, window: 'calendarDay' }] },
    });
    await seedCustomer(runtime, 'c-weekly', { ...ANA, email: 'c-weekly@example.com' });
    const weekly = [{ id: 'cart-weekly', channels: 'any' as const, limit: 1, window: { rolling: '7d' } }];
    const first = await deliver(deliverTask('c-weekly', { stepId: 'a', caps: weekly }), runtime);
    runtime.clock.now = new Date(runtime.clock.now.getTime() + 3 * 86_400_000);
    await deliver(deliverTask('c-weekly', { journeyId: 'social-engagement', stepId: 'other' }), runtime);
    runtime.clock.now = new Date(runtime.clock.now.getTime() + 86_400_000);
    const second = await deliver(deliverTask('c-weekly', { stepId: 'b', caps: weekly }), runtime);
    expect(first.status).toBe('sent');
    expect(second).toMatchObject({ status: 'capped', capId: 'cart-weekly' });
  });

  it('a step inside a loop sends again on its next visit', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-loop', { ...ANA, email: 'c-loop@example.com' });
    const task = deliverTask('c-loop', { visit: '2026-11-18T15:00:00Z' });
    await deliver(task, runtime);
    await deliver({ ...task, visit: '2026-11-19T15:00:00Z' }, runtime);
    expect(await services.emailsTo('c-loop@example.com')).toHaveLength(2);
  });

  it('a cap counts every channel when it says "any", and only its channels otherwise', async () => {
    const runtime = await createTestRuntime(services, {
      settings: {
        caps: [{ id: 'sms-weekly', channels: ['sms'], limit: 1, window: { rolling: '7d' } }],
        quietHours: { email: null, sms: null, push: null },
      },
    });
    await seedCustomer(runtime, 'c-smscap', {
      ...ANA,
      email: 'c-smscap@example.com',
      phone: '+5511900000001',
    });
    const first = await deliver(
      deliverTask('c-smscap', { stepId: 'a', channels: ['sms', 'email'] }),
      runtime,
    );
    const second = await deliver(
      deliverTask('c-smscap', { stepId: 'b', channels: ['sms', 'email'] }),
      runtime,
    );
    expect(first).toMatchObject({ status: 'sent', channel: 'sms' });
    // The SMS cap is reached, so the fallback list moves on to email.
    expect(second).toMatchObject({ status: 'sent', channel: 'email' });
    runtime.clock.now = new Date(runtime.clock.now.getTime() + 7 * 86_400_000 + 1000);
    const third = await deliver(deliverTask('c-smscap', { stepId: 'c', channels: ['sms'] }), runtime);
    expect(third).toMatchObject({ status: 'sent', channel: 'sms' });
  });

  it('a journey cap lowers a global cap for its own messages', async () => {
    const runtime = await createTestRuntime(services, {
      settings: { caps: [{ id: 'marketing-daily', channels: 'any', limit: 3, window: 'calendarDay' }] },
    });
    await seedCustomer(runtime, 'c-jcap', { ...ANA, email: 'c-jcap@example.com' });
    const journeyCaps = [
      { id: 'marketing-daily', channels: 'any' as const, limit: 1, window: 'calendarDay' as const },
    ];
    const first = await deliver(deliverTask('c-jcap', { stepId: 'a', caps: journeyCaps }), runtime);
    const second = await deliver(deliverTask('c-jcap', { stepId: 'b', caps: journeyCaps }), runtime);
    expect(first.status).toBe('sent');
    expect(second).toMatchObject({ status: 'capped', capId: 'marketing-daily' });
  });

  it('transactional messages are neither capped nor counted', async () => {
    const runtime = await createTestRuntime(services, {
      settings: { caps: [{ id: 'marketing-daily', channels: 'any', limit: 1, window: 'calendarDay' }] },
    });
    await seedCustomer(runtime, 'c-tx', { ...ANA, email: 'c-tx@example.com' });
    const receipts = await Promise.all(
      [1, 2, 3].map((n) =>
        deliver(deliverTask('c-tx', { stepId: `receipt-${n}`, category: 'transactional' }), runtime),
      ),
    );
    const marketing = await deliver(deliverTask('c-tx', { stepId: 'offer' }), runtime);
    expect(receipts.map((outcome) => outcome.status)).toEqual(['sent', 'sent', 'sent']);
    expect(marketing.status).toBe('sent');
  });

  it('a calendar-day cap resets at midnight in the customer time zone, not UTC', async () => {
    const runtime = await createTestRuntime(services, {
      settings: { caps: [{ id: 'marketing-daily', channels: 'any', limit: 1, window: 'calendarDay' }] },
    });
    await seedCustomer(runtime, 'c-midnight', {
      ...ANA,
      email: 'c-midnight@example.com',
      timeZone: 'Asia/Tokyo',
    });
    runtime.clock.now = new Date('2026-11-18T14:30:00Z'); // 23:30 in Tokyo
    const late = await deliver(deliverTask('c-midnight', { stepId: 'a' }), runtime);
    runtime.clock.now = new Date('2026-11-18T15:10:00Z'); // 00:10 the next day in Tokyo, same UTC day
    const next = await deliver(deliverTask('c-midnight', { stepId: 'b' }), runtime);
    expect([late.status, next.status]).toEqual(['sent', 'sent']);
  });
});

describe('deliver: consent, suppression and fallback', () => {
  it('follows the fallback order past channels without an address or consent', async () => {
    const runtime = await createTestRuntime(services, {
      settings: { quietHours: { email: null, sms: null, push: null } },
    });
    await seedCustomer(runtime, 'c-fallback', {
      email: 'c-fallback@example.com',
      phone: '+5511900000002',
      consent: { email: 'opted-in', sms: 'opted-out', push: 'opted-in' },
    });
    const outcome = await deliver(deliverTask('c-fallback', { channels: ['push', 'sms', 'email'] }), runtime);
    expect(outcome).toMatchObject({ status: 'sent', channel: 'email' });
    expect(
      services.sns
        .published()
        .filter((message) => message.kind === 'sms' && message.phoneNumber === '+5511900000002'),
    ).toHaveLength(0);
  });

  it('records opted-out with every channel reason when no channel may be used', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-optout', {
      email: 'c-optout@example.com',
      phone: '+5511900000003',
      consent: { email: 'opted-out', sms: 'unknown', push: 'opted-in' },
    });
    const outcome = await deliver(deliverTask('c-optout', { channels: ['email', 'sms', 'push'] }), runtime);
    const { reason } = expectVariant(outcome, 'status', 'opted-out');
    expect(reason).toContain('email: the customer opted out');
    expect(reason).toContain('sms: no marketing consent');
    expect(reason).toContain('push: no push endpoint');
    expect(await services.emailsTo('c-optout@example.com')).toHaveLength(0);
    expect(await historyEntries(runtime, 'c-optout', 'skipped')).toEqual([
      expect.objectContaining({ status: 'opted-out', reason }),
    ]);
  });

  it('sends a transactional message without marketing consent, but never to an opted-out channel', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-txconsent', {
      email: 'c-txconsent@example.com',
      consent: { email: 'unknown' },
    });
    const receipt = await deliver(deliverTask('c-txconsent', { category: 'transactional' }), runtime);
    await seedCustomer(runtime, 'c-txconsent', { consent: { email: 'opted-out' } });
    const after = await deliver(deliverTask('c-txconsent', { category: 'transactional' }), runtime);
    expect(receipt.status).toBe('sent');
    expect(after.status).toBe('opted-out');
  });

  it('honours the SNS opt-out list for SMS (a STOP reply) and falls back', async () => {
    const runtime = await createTestRuntime(services, {
      settings: { quietHours: { email: null, sms: null, push: null } },
    });
    await seedCustomer(runtime, 'c-stop', { ...ANA, email: 'c-stop@example.com', phone: '+5511900000004' });
    services.sns.optOut('+5511900000004');
    const outcome = await deliver(deliverTask('c-stop', { channels: ['sms', 'email'] }), runtime);
    expect(outcome).toMatchObject({ status: 'sent', channel: 'email' });
  });

  it('falls back when the push endpoint is disabled, and releases the push reservation', async () => {
    const runtime = await createTestRuntime(services, {
      settings: {
        quietHours: { email: null, sms: null, push: null },
        caps: [{ id: 'daily', channels: 'any', limit: 1, window: 'calendarDay' }],
      },
    });
    const endpointArn = await createPushEndpoint(services.clients.sns, 'disabled-device');
    await seedCustomer(runtime, 'c-disabled', {
      ...ANA,
      email: 'c-disabled@example.com',
      push: { platform: 'fcm', endpointArn },
    });
    services.sns.disableEndpoint(endpointArn);
    const outcome = await deliver(deliverTask('c-disabled', { channels: ['push', 'email'] }), runtime);
    // The cap of 1 still had room for the email: the failed push did not use it up.
    expect(outcome).toMatchObject({ status: 'sent', channel: 'email' });
  });

  it('sends push with the platform payload when the endpoint is enabled', async () => {
    const runtime = await createTestRuntime(services, {
      settings: { quietHours: { email: null, sms: null, push: null } },
    });
    const endpointArn = await createPushEndpoint(services.clients.sns, 'enabled-device');
    await seedCustomer(runtime, 'c-push', { ...ANA, push: { platform: 'fcm', endpointArn } });
    const outcome = await deliver(deliverTask('c-push', { channels: ['push', 'email'] }), runtime);
    expect(outcome).toMatchObject({ status: 'sent', channel: 'push' });
    const push = services.sns
      .published()
      .find((message) => message.kind === 'push' && message.targetArn === endpointArn);
    expect(JSON.stringify(push)).toContain('Still thinking it over?');
    expect(JSON.stringify(push)).toContain('Trail Running Shoes and 1 more are in your cart');
  });

  it('does not email an address suppressed after a bounce', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-bounced', { ...ANA, email: 'c-bounced@example.com' });
    const { addressHash } = await import('../shared/delivery/availability.ts');
    const { readCustomer, writeProfile } = await import('../shared/store/customers.ts');
    const read = await readCustomer(runtime.store, 'c-bounced');
    if (read.found !== true) throw new Error('seeded customer missing');
    await writeProfile(runtime.store, 'c-bounced', read.customer.profileVersion, {
      ...read.customer,
      suppressions: {
        email: {
          addressHash: addressHash('C-Bounced@example.com'),
          kind: 'bounce',
          time: '2026-11-01T00:00:00Z',
        },
      },
    });
    const outcome = await deliver(deliverTask('c-bounced'), runtime);
    expect(outcome.status).toBe('no-address');
    expect(await services.emailsTo('c-bounced@example.com')).toHaveLength(0);
  });
});

describe('deliver: quiet hours', () => {
  it('defers a marketing SMS at 22:30 in New York until 08:00 local, across the spring-forward night', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-ny', { ...ANA, phone: '+12125550100', timeZone: 'America/New_York' });
    runtime.clock.now = new Date('2026-03-08T03:30:00Z'); // 22:30 EST on 7 March
    const outcome = await deliver(deliverTask('c-ny', { channels: ['sms'] }), runtime);
    // 08:00 EDT on 8 March is 12:00Z: the clocks moved forward an hour that night.
    expect(outcome).toMatchObject({
      status: 'deferred',
      channel: 'sms',
      resumeAt: '2026-03-08T12:00:00.000Z',
    });
    expect(
      services.sns
        .published()
        .some((message) => message.kind === 'sms' && message.phoneNumber === '+12125550100'),
    ).toBe(false);
    runtime.clock.now = new Date('2026-03-08T12:00:00Z');
    expect(await deliver(deliverTask('c-ny', { channels: ['sms'] }), runtime)).toMatchObject({
      status: 'sent',
    });
  });

  it('the same instant is quiet in one zone and not in another', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-lisbon', { ...ANA, phone: '+351910000001', timeZone: 'Europe/Lisbon' });
    await seedCustomer(runtime, 'c-kolkata', { ...ANA, phone: '+919800000001', timeZone: 'Asia/Kolkata' });
    runtime.clock.now = new Date('2026-11-18T07:00:00Z'); // 07:00 in Lisbon (quiet), 12:30 in Kolkata
    const lisbon = await deliver(deliverTask('c-lisbon', { channels: ['sms'] }), runtime);
    const kolkata = await deliver(deliverTask('c-kolkata', { channels: ['sms'] }), runtime);
    expect(lisbon).toMatchObject({ status: 'deferred', resumeAt: '2026-11-18T08:00:00.000Z' });
    expect(kolkata).toMatchObject({ status: 'sent', channel: 'sms' });
    runtime.clock.now = new Date('2026-11-18T22:00:00Z'); // 22:00 in Lisbon, 03:30 the next day in Kolkata
    const lisbonNight = await deliver(deliverTask('c-lisbon', { channels: ['sms'] }), runtime);
    const kolkataNight = await deliver(deliverTask('c-kolkata', { channels: ['sms'] }), runtime);
    // Both quiet now, each until 08:00 on its own clock.
    expect(lisbonNight).toMatchObject({ status: 'deferred', resumeAt: '2026-11-19T08:00:00.000Z' });
    expect(kolkataNight).toMatchObject({ status: 'deferred', resumeAt: '2026-11-19T02:30:00.000Z' });
  });

  it('does not hold transactional messages for quiet hours', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-night', { ...ANA, phone: '+5511900000005' });
    runtime.clock.now = new Date('2026-11-19T02:00:00Z'); // 23:00 in São Paulo
    const outcome = await deliver(
      deliverTask('c-night', { channels: ['sms'], category: 'transactional' }),
      runtime,
    );
    expect(outcome).toMatchObject({ status: 'sent', channel: 'sms' });
  });
});

describe('deliver: bad input and failures', () => {
  it('records no-address for a customer with no profile', async () => {
    const runtime = await createTestRuntime(services);
    const outcome = await deliver(deliverTask('c-nobody'), runtime);
    expect(outcome).toMatchObject({ status: 'no-address', reason: 'No profile for this customer.' });
    expect(await historyEntries(runtime, 'c-nobody', 'skipped')).toHaveLength(1);
  });

  it('a Lambda retry of a step that sent nothing records its reason once', async () => {
    const runtime = await createTestRuntime(services);
    const task = deliverTask('c-retried-skip', { enteredAt: '2026-11-18T15:00:00.000Z' });
    await deliver(task, runtime);
    runtime.clock.now = new Date(runtime.clock.now.getTime() + 2000);
    await deliver(task, runtime);
    expect(await historyEntries(runtime, 'c-retried-skip', 'skipped')).toHaveLength(1);
  });

  it('records failed, naming the problem, for a damaged stored profile', async () => {
    const runtime = await createTestRuntime(services);
    await runtime.store.db.send(
      new PutCommand({
        TableName: runtime.store.table,
        Item: { ...profileKey('c-damaged'), profile: { customerId: 'c-damaged', email: 'not an address' } },
      }),
    );
    const outcome = await deliver(deliverTask('c-damaged'), runtime);
    const { reason } = expectVariant(outcome, 'status', 'failed');
    expect(reason).toContain('damaged');
    expect(reason).toContain('email');
  });

  it('records failed for a template that is not deployed', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-notemplate');
    const outcome = await deliver(deliverTask('c-notemplate', { template: 'missing' }), runtime);
    expect(outcome).toMatchObject({ status: 'failed', reason: 'No template "missing" is deployed.' });
  });

  it('a send that throws gives its cap slot back', async () => {
    // A failure inside the sending code itself, which no local service produces.
    const real = createAwsChannelGateway(services.clients);
    let broken = true;
    const runtime = await createTestRuntime(services, {
      settings: { caps: [{ id: 'daily', channels: 'any', limit: 1, window: 'calendarDay' }] },
      channels: {
        ...real,
        sendEmail: (message) =>
          broken ? Promise.reject(new Error('socket hang up')) : real.sendEmail(message),
      },
    });
    await seedCustomer(runtime, 'c-thrown', { ...ANA, email: 'c-thrown@example.com' });
    await expect(deliver(deliverTask('c-thrown', { stepId: 'a' }), runtime)).rejects.toThrow(
      'socket hang up',
    );
    broken = false;
    expect(await deliver(deliverTask('c-thrown', { stepId: 'b' }), runtime)).toMatchObject({
      status: 'sent',
    });
  });

  it('throws the retryable throttling error and leaves the cap slot free for the retry', async () => {
    // SES throttling cannot be produced by the local SES: this one failure is simulated.
    const real = createAwsChannelGateway(services.clients);
    let throttle = true;
    const runtime = await createTestRuntime(services, {
      settings: { caps: [{ id: 'daily', channels: 'any', limit: 1, window: 'calendarDay' }] },
      channels: {
        ...real,
        sendEmail: (message) =>
          throttle
            ? Promise.resolve({ ok: false, kind: 'throttled', reason: 'Maximum sending rate exceeded' })
            : real.sendEmail(message),
      },
    });
    await seedCustomer(runtime, 'c-throttled', { ...ANA, email: 'c-throttled@example.com' });
    const task = deliverTask('c-throttled');
    await expect(deliver(task, runtime)).rejects.toMatchObject({ name: TASK_ERRORS.throttled });
    throttle = false;
    const retried: DeliveryOutcome = await deliver(task, runtime);
    expect(retried).toMatchObject({ status: 'sent', channel: 'email' });
    expect(await services.emailsTo('c-throttled@example.com')).toHaveLength(1);
  });
});
