/**
 * Events as EventBridge really delivers them: out of order, more than once,
 * with producers' clocks ahead of ours, and from several writers at once.
 * What a customer would notice is whether an opt-out holds and whether a
 * message goes to someone who cannot or must not get it.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { sampleExample } from './support/events.ts';
import { deliver } from '../shared/runtime/deliver.ts';
import { recordEvent } from '../shared/runtime/record.ts';
import { readCustomer } from '../shared/store/customers.ts';
import { recordedEventKey } from '../shared/store/table.ts';
import { ANA, deliverTask, envelope, seedCustomer } from './support/runtime-fixtures.ts';
import {
  createTestRuntime,
  expectVariant,
  historyEntries,
  localServicesForFile,
} from './support/runtime-services.ts';

const services = localServicesForFile();

async function storedCustomer(runtime: Awaited<ReturnType<typeof createTestRuntime>>, customerId: string) {
  return expectVariant(await readCustomer(runtime.store, customerId), 'found', true).customer;
}

describe('profile updates out of order', () => {
  it('applies an opt-out that arrives after a newer attribute-only update, and the next marketing email is not sent', async () => {
    // Prepare: Ana opted in at 15:00; the clock is now 16:00.
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-late-optout', { ...ANA, email: 'late-optout@example.com' });
    runtime.clock.now = new Date('2026-11-18T16:00:00Z');
    // Act: the CRM opts her out at 15:10, then changes an attribute at 15:11; the bus delivers the second first.
    await recordEvent(
      envelope(
        'customer.profile.updated',
        { customerId: 'c-late-optout', attributes: { loyaltyTier: 'gold' } },
        '2026-11-18T15:11:00Z',
      ),
      runtime,
    );
    const optOut = await recordEvent(
      envelope(
        'customer.profile.updated',
        { customerId: 'c-late-optout', consent: { email: 'opted-out' } },
        '2026-11-18T15:10:00Z',
      ),
      runtime,
    );
    const outcome = await deliver(deliverTask('c-late-optout'), runtime);
    // Assess
    expect(optOut).toMatchObject({ status: 'recorded', changed: ['consent.email'] });
    const customer = await storedCustomer(runtime, 'c-late-optout');
    expect(customer.profile.consent.email).toBe('opted-out');
    expect(customer.profile.attributes.loyaltyTier).toBe('gold');
    expect(outcome).toMatchObject({ status: 'opted-out' });
    expect(await services.emailsTo('late-optout@example.com')).toHaveLength(0);
  });

  it('keeps each field from its newest update whatever the arrival order', async () => {
    const runtime = await createTestRuntime(services);
    const updates = [
      { time: '2026-11-18T10:00:00Z', detail: { email: 'first@example.com', attributes: { plan: 'free' } } },
      {
        time: '2026-11-18T11:00:00Z',
        detail: { attributes: { plan: 'pro', seats: 3 }, tags: { add: ['beta'] } },
      },
      { time: '2026-11-18T12:00:00Z', detail: { email: 'second@example.com', tags: { remove: ['beta'] } } },
      { time: '2026-11-18T13:00:00Z', detail: { attributes: { seats: null } } },
    ];
    // Newest first: the worst order for a profile that keeps only its last update's time.
    for (const update of [...updates].reverse()) {
      await recordEvent(
        envelope('customer.profile.updated', { customerId: 'c-reversed', ...update.detail }, update.time),
        runtime,
      );
    }
    const { profile } = await storedCustomer(runtime, 'c-reversed');
    expect(profile.email).toBe('second@example.com');
    expect(profile.attributes).toEqual({ plan: 'pro' });
    // Removed at 12:00: the older add, arriving later, does not bring the tag back.
    expect(profile.tags).toEqual([]);
    expect(profile.updatedAt).toBe('2026-11-18T13:00:00Z');
  });

  it('an opt-in of the same instant does not undo an opt-out', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-tie');
    runtime.clock.now = new Date('2026-11-18T16:00:00Z');
    const at = '2026-11-18T15:30:00Z';
    await recordEvent(
      envelope('customer.profile.updated', { customerId: 'c-tie', consent: { sms: 'opted-out' } }, at),
      runtime,
    );
    await recordEvent(
      envelope('customer.profile.updated', { customerId: 'c-tie', consent: { sms: 'opted-in' } }, at),
      runtime,
    );
    expect((await storedCustomer(runtime, 'c-tie')).profile.consent.sms).toBe('opted-out');
  });

  it('an update dated in the future does not lock the profile: its time is clamped to receipt, and the clamp is recorded', async () => {
    // Prepare: the clock is 15:00; a producer whose clock runs a month ahead opts the customer in.
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-skew', { ...ANA, consent: { email: 'opted-out' } });
    const skewed = await recordEvent(
      envelope(
        'customer.profile.updated',
        { customerId: 'c-skew', consent: { email: 'opted-in' } },
        '2026-12-18T15:00:00Z',
      ),
      runtime,
    );
    // Act: ten minutes later the CRM, with a right clock, records the customer's opt-out.
    runtime.clock.now = new Date('2026-11-18T15:10:00Z');
    await recordEvent(
      envelope(
        'customer.profile.updated',
        { customerId: 'c-skew', consent: { email: 'opted-out' } },
        '2026-11-18T15:10:00Z',
      ),
      runtime,
    );
    // Assess
    expect(skewed).toMatchObject({ status: 'recorded', clampedFrom: '2026-12-18T15:00:00Z' });
    expect((await storedCustomer(runtime, 'c-skew')).profile.consent.email).toBe('opted-out');
    const events = await historyEntries(runtime, 'c-skew', 'event');
    expect(events).toContainEqual(
      expect.objectContaining({ time: '2026-11-18T15:00:00.000Z', clampedFrom: '2026-12-18T15:00:00Z' }),
    );
    // A few minutes ahead is ordinary drift, kept as sent.
    const drift = await recordEvent(
      envelope('customer.profile.updated', { customerId: 'c-skew', locale: 'pt-BR' }, '2026-11-18T15:13:00Z'),
      runtime,
    );
    expect(drift).not.toHaveProperty('clampedFrom');
  });

  it('an event dated ahead, delivered again once its time has passed, is in the history once', async () => {
    const runtime = await createTestRuntime(services);
    runtime.clock.now = new Date('2026-11-18T15:00:00Z');
    const ahead = envelope(
      'cart.abandoned',
      { ...sampleExample('cart.abandoned'), customerId: 'c-ahead' },
      '2026-11-18T15:06:00Z',
    );
    expect(await recordEvent(ahead, runtime)).toMatchObject({
      status: 'recorded',
      clampedFrom: '2026-11-18T15:06:00Z',
    });
    // EventBridge delivers it again at 15:07: no longer ahead, it would take the one-put way.
    runtime.clock.now = new Date('2026-11-18T15:07:00Z');
    expect(await recordEvent(ahead, runtime)).toMatchObject({ status: 'duplicate' });
    expect(await historyEntries(runtime, 'c-ahead', 'event')).toEqual([
      expect.objectContaining({ time: '2026-11-18T15:00:00.000Z', clampedFrom: '2026-11-18T15:06:00Z' }),
    ]);
  });
});

describe('duplicates by event id', () => {
  it('a redelivered event changes nothing, however many events came in between', async () => {
    // Prepare: a cart event counts one engagement in the customer's local hour.
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-redelivered');
    const cart = envelope(
      'cart.abandoned',
      { ...sampleExample('cart.abandoned'), customerId: 'c-redelivered' },
      '2026-11-18T14:00:00Z',
    );
    await recordEvent(cart, runtime);
    for (let index = 0; index < 60; index += 1) {
      await recordEvent(
        envelope(
          'customer.profile.updated',
          { customerId: 'c-redelivered', attributes: { visits: index } },
          '2026-11-18T14:30:00Z',
        ),
        runtime,
      );
    }
    const engagementBefore = (await storedCustomer(runtime, 'c-redelivered')).engagementByHour;
    // Act: EventBridge delivers the cart event again, an hour later.
    runtime.clock.now = new Date('2026-11-18T16:00:00Z');
    const again = await recordEvent(cart, runtime);
    // Assess
    expect(again).toEqual({ status: 'duplicate', customerId: 'c-redelivered' });
    expect((await storedCustomer(runtime, 'c-redelivered')).engagementByHour).toEqual(engagementBefore);
    const carts = (await historyEntries(runtime, 'c-redelivered', 'event')).filter(
      (entry) => entry.detailType === 'cart.abandoned',
    );
    expect(carts).toHaveLength(1);
  });
});

describe('concurrent profile writers', () => {
  it('twenty updates at once each keep their field: no writer overwrites another', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-crowd');
    runtime.clock.now = new Date('2026-11-18T16:00:00Z');
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        recordEvent(
          envelope(
            'customer.profile.updated',
            { customerId: 'c-crowd', attributes: { [`field${index}`]: index } },
            '2026-11-18T15:30:00Z',
          ),
          runtime,
        ),
      ),
    );
    const { profile } = await storedCustomer(runtime, 'c-crowd');
    for (let index = 0; index < 20; index += 1) expect(profile.attributes[`field${index}`]).toBe(index);
  });
});

describe('the order of the checks', () => {
  it('a customer known only from a cart event is skipped for having no address, not as opted out', async () => {
    const runtime = await createTestRuntime(services);
    await recordEvent(
      envelope(
        'cart.abandoned',
        { ...sampleExample('cart.abandoned'), customerId: 'c-cart-only' },
        '2026-11-18T14:00:00Z',
      ),
      runtime,
    );
    // A plain event creates no profile: the customer is known by their history alone.
    expect((await readCustomer(runtime.store, 'c-cart-only')).found).toBe(false);
    const outcome = await deliver(deliverTask('c-cart-only'), runtime);
    expect(outcome).toMatchObject({ status: 'no-address', reason: 'No profile for this customer.' });
    expect(await historyEntries(runtime, 'c-cart-only', 'skipped')).toContainEqual(
      expect.objectContaining({ status: 'no-address' }),
    );
  });
});

describe('one update naming a field twice', () => {
  it('adds then removes a tag as written, whether the update comes once or twice', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-twice', { ...ANA, tags: { add: ['trial'] } });
    runtime.clock.now = new Date('2026-11-18T16:00:00Z');
    const update = envelope(
      'customer.profile.updated',
      { customerId: 'c-twice', tags: { add: ['trial', 'vip'], remove: ['trial'] } },
      '2026-11-18T15:30:00Z',
    );
    expect(await recordEvent(update, runtime)).toMatchObject({ status: 'recorded' });
    expect((await storedCustomer(runtime, 'c-twice')).profile.tags).toEqual(['vip']);
    expect(await recordEvent(update, runtime)).toMatchObject({ status: 'duplicate' });
    expect((await storedCustomer(runtime, 'c-twice')).profile.tags).toEqual(['vip']);
  });
});

describe('events whose detail cannot be stored', () => {
  /** A detail nested `levels` deep below `customerId`'s level. */
  function deepDetail(customerId: string, levels: number): Record<string, unknown> {
    let nested: Record<string, unknown> = { end: true };
    for (let level = 0; level < levels; level += 1) nested = { nested };
    return { ...sampleExample('cart.abandoned'), customerId, extra: nested };
  }

  it('keeps an event too deep for DynamoDB in the history with its problem, instead of failing on every retry', async () => {
    const runtime = await createTestRuntime(services);
    const outcome = await recordEvent(
      envelope('cart.abandoned', deepDetail('c-deep', 40), '2026-11-18T14:00:00Z'),
      runtime,
    );
    expect(outcome).toMatchObject({
      status: 'invalid',
      problems: [expect.stringContaining('nested more than')],
    });
    const [kept] = await historyEntries(runtime, 'c-deep', 'event');
    expect(kept).toMatchObject({ detailType: 'cart.abandoned', detail: { customerId: 'c-deep' } });
    expect(kept?.problems?.[0]).toContain('nested more than 30 levels');
  });

  it('keeps an event with a "constructor" key in the history with its problem', async () => {
    const runtime = await createTestRuntime(services);
    const detail = {
      ...sampleExample('cart.abandoned'),
      customerId: 'c-ctor',
      meta: { constructor: 'x' },
    };
    const outcome = await recordEvent(envelope('cart.abandoned', detail, '2026-11-18T14:00:00Z'), runtime);
    expect(outcome).toMatchObject({ status: 'invalid' });
    const [kept] = await historyEntries(runtime, 'c-ctor', 'event');
    expect(kept?.problems?.[0]).toContain('detail.meta.constructor');
  });
});

describe('a profile update with some invalid fields', () => {
  it('applies the opt-out it carries, leaves the invalid phone as it was and names it in the history', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-partial', { ...ANA, email: 'partial@example.com' });
    runtime.clock.now = new Date('2026-11-18T16:00:00Z');
    const outcome = await recordEvent(
      envelope(
        'customer.profile.updated',
        {
          customerId: 'c-partial',
          consent: { email: 'opted-out', sms: 'maybe' },
          phone: '(11) 98765-4321',
          tags: { add: ['', 'vip'] },
        },
        '2026-11-18T15:30:00Z',
      ),
      runtime,
    );
    expect(outcome).toMatchObject({ status: 'recorded', changed: ['consent.email', 'tags'] });
    const { profile } = await storedCustomer(runtime, 'c-partial');
    expect(profile.consent).toMatchObject({ email: 'opted-out', sms: 'opted-in' });
    expect(profile.phone).toBe(ANA.phone);
    expect(profile.tags).toEqual(['vip']);
    const [, kept] = await historyEntries(runtime, 'c-partial', 'event');
    expect(kept?.problems).toEqual(
      [
        expect.stringContaining('detail.phone'),
        expect.stringContaining('detail.consent.sms'),
        expect.stringContaining('detail.tags.add.0'),
      ].sort(),
    );
    expect(await deliver(deliverTask('c-partial'), runtime)).toMatchObject({ status: 'opted-out' });
  });
});

describe('an opt-in dated ahead of its receipt', () => {
  it('counts from its receipt, so an opt-out sent after it arrived wins, even within the tolerance', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-ahead', { ...ANA, consent: { email: 'opted-out' } });
    runtime.clock.now = new Date('2026-11-18T16:00:00.184Z');
    // Four minutes ahead: within the tolerance, so its time is kept for everything else.
    await recordEvent(
      envelope(
        'customer.profile.updated',
        { customerId: 'c-ahead', consent: { email: 'opted-in' } },
        '2026-11-18T16:04:00Z',
      ),
      runtime,
    );
    runtime.clock.now = new Date('2026-11-18T16:01:00Z');
    await recordEvent(
      envelope(
        'customer.profile.updated',
        { customerId: 'c-ahead', consent: { email: 'opted-out' } },
        '2026-11-18T16:00:00Z',
      ),
      runtime,
    );
    expect((await storedCustomer(runtime, 'c-ahead')).profile.consent.email).toBe('opted-out');
  });

  it('a clamped opt-in counts from the start of the second it arrived in, so an opt-out dated that second wins', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-second', { ...ANA, consent: { email: 'opted-out' } });
    runtime.clock.now = new Date('2026-11-18T16:00:00.184Z');
    await recordEvent(
      envelope(
        'customer.profile.updated',
        { customerId: 'c-second', consent: { email: 'opted-in' } },
        '2027-11-18T16:00:00Z',
      ),
      runtime,
    );
    runtime.clock.now = new Date('2026-11-18T16:00:00.900Z');
    await recordEvent(
      envelope(
        'customer.profile.updated',
        { customerId: 'c-second', consent: { email: 'opted-out' } },
        '2026-11-18T16:00:00Z',
      ),
      runtime,
    );
    expect((await storedCustomer(runtime, 'c-second')).profile.consent.email).toBe('opted-out');
  });
});

describe('the same event delivered again later', () => {
  it('a future-dated opt-in delivered again after an opt-out does not undo it: it counts from its first receipt', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-again', { ...ANA, consent: { email: 'opted-out' } });
    runtime.clock.now = new Date('2026-11-18T16:00:00Z');
    const optIn = envelope(
      'customer.profile.updated',
      { customerId: 'c-again', consent: { email: 'opted-in' } },
      '2027-11-18T16:00:00Z',
    );
    await recordEvent(optIn, runtime);
    runtime.clock.now = new Date('2026-11-18T16:01:00Z');
    await recordEvent(
      envelope(
        'customer.profile.updated',
        { customerId: 'c-again', consent: { email: 'opted-out' } },
        '2026-11-18T16:01:00Z',
      ),
      runtime,
    );
    // Delivered again a minute later, before it was marked recorded (a crash), or as a dead letter routed again.
    await runtime.store.db.send(
      new UpdateCommand({
        TableName: runtime.store.table,
        Key: recordedEventKey('c-again', String(optIn.id)),
        UpdateExpression: 'REMOVE recordedAt',
      }),
    );
    runtime.clock.now = new Date('2026-11-18T16:02:00Z');
    await recordEvent(optIn, runtime);
    const customer = await storedCustomer(runtime, 'c-again');
    expect(customer.profile.consent.email).toBe('opted-out');
    // One history entry for the opt-in, under its first receipt, however often it comes.
    const optIns = (await historyEntries(runtime, 'c-again', 'event')).filter(
      (entry) => entry.eventId === optIn.id,
    );
    expect(optIns).toEqual([expect.objectContaining({ time: '2026-11-18T16:00:00.000Z' })]);
  });
});

describe('a profile update with an attribute too deep to store', () => {
  it('applies the opt-out it carries and leaves the attribute out, naming it', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-crm-deep', { ...ANA, email: 'crm-deep@example.com' });
    runtime.clock.now = new Date('2026-11-18T16:00:00Z');
    let crmPayload: Record<string, unknown> = { end: true };
    for (let level = 0; level < 31; level += 1) crmPayload = { nested: crmPayload };
    const outcome = await recordEvent(
      envelope(
        'customer.profile.updated',
        {
          customerId: 'c-crm-deep',
          consent: { email: 'opted-out' },
          attributes: { crmPayload, plan: 'pro' },
        },
        '2026-11-18T15:30:00Z',
      ),
      runtime,
    );
    expect(outcome).toMatchObject({
      status: 'recorded',
      problems: expect.arrayContaining([expect.stringContaining('detail.attributes.crmPayload')]),
    });
    const { profile } = await storedCustomer(runtime, 'c-crm-deep');
    expect(profile.consent.email).toBe('opted-out');
    expect(profile.attributes).toMatchObject({ plan: 'pro' });
    expect(profile.attributes).not.toHaveProperty('crmPayload');
    expect(await deliver(deliverTask('c-crm-deep'), runtime)).toMatchObject({ status: 'opted-out' });
  });
});
