import { describe, expect, it } from 'vitest';
import type { StepsTask } from '../shared/contract/tasks.ts';
import { deliver } from '../shared/runtime/deliver.ts';
import { handleExitEvent } from '../shared/runtime/goals.ts';
import { recordEvent } from '../shared/runtime/record.ts';
import { resumeWaits } from '../shared/runtime/resume.ts';
import { runStepsTask } from '../shared/runtime/steps.ts';
import { readCustomer, writeLedger } from '../shared/store/customers.ts';
import { readHistory } from '../shared/store/history.ts';
import { readMembership, release } from '../shared/store/journeys.ts';
import { unsubscribe } from '../shared/runtime/preferences.ts';
import { signUnsubscribeToken } from '../shared/preferences/unsubscribe-token.ts';
import { writeAddressSuppression } from '../shared/store/suppressions.ts';
import { addressHash } from '../shared/delivery/availability.ts';
import { entrancesOf } from '../shared/customer/entrances.ts';
import {
  ANA,
  cartTrigger,
  deliverTask,
  envelope,
  fixtureEvent,
  seedCustomer,
} from './support/runtime-fixtures.ts';
import {
  createTestRuntime,
  expectVariant,
  historyEntries,
  localServicesForFile,
} from './support/runtime-services.ts';

const services = localServicesForFile();

const ref = (customerId: string, executionId = 'exec-1') => ({
  journeyId: 'cart-abandonment',
  journeyVersion: 1,
  executionId,
  customerId,
});

function enterTask(
  customerId: string,
  executionId: string,
  overrides: Partial<Extract<StepsTask, { task: 'enter' }>> = {},
): StepsTask {
  return {
    task: 'enter',
    ...ref(customerId, executionId),
    trigger: cartTrigger(customerId),
    entry: { reentry: 'always', maxConcurrent: 1 },
    values: {
      offerCode: 'CART10',
      cartUrl: { from: 'event.cartUrl' },
      tier: { from: 'profile.attributes.loyaltyTier' },
    },
    ...overrides,
  };
}

function orderPlaced(customerId: string, time: string, extra: Record<string, unknown> = {}) {
  const order = fixtureEvent('order.placed');
  return envelope('order.placed', { ...order.detail, customerId, ...extra }, time);
}

describe('enter: entry rules', () => {
  it('admits, resolving journey values from the event and the profile (null when absent)', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-enter');
    // The trigger comes off the bus: record files it, naming the journeys it starts.
    const trigger = cartTrigger('c-enter');
    expect(await recordEvent(trigger, runtime)).toMatchObject({ status: 'recorded' });
    const decision = await runStepsTask(enterTask('c-enter', 'exec-a', { trigger }), runtime);
    expect(decision).toEqual({
      admitted: true,
      values: { offerCode: 'CART10', cartUrl: 'https://shop.example.com/cart/cart-7f3a91', tier: null },
      customerId: 'c-enter',
      trigger,
    });
    // The event's entry is the entry into the journey: enter writes none of its own for a bus event.
    const history = await historyEntries(runtime, 'c-enter');
    expect(entrancesOf(history)).toEqual([
      { journeyId: 'cart-abandonment', time: trigger.time, eventId: trigger.id },
    ]);
    expect(history.filter((entry) => entry.kind === 'journey')).toEqual([]);
    expect((await readMembership(runtime.store, 'c-enter', 'cart-abandonment')).active).toEqual(['exec-a']);
  });

  it('turns away a duplicate trigger event, but a retried enter of the same execution is admitted again', async () => {
    const runtime = await createTestRuntime(services);
    const first = await runStepsTask(enterTask('c-dup', 'exec-a'), runtime);
    const retried = await runStepsTask(enterTask('c-dup', 'exec-a'), runtime);
    const duplicate = await runStepsTask(enterTask('c-dup', 'exec-b'), runtime);
    expect(first).toMatchObject({ admitted: true });
    expect(retried).toMatchObject({ admitted: true });
    expect(duplicate).toMatchObject({ admitted: false, reason: 'duplicate-event', values: {} });
  });

  it('an execution run again from its start after its place was freed (a crash locally) is admitted and holds the place again; a copy of its event is not', async () => {
    const runtime = await createTestRuntime(services);
    expect(await runStepsTask(enterTask('c-rerun', 'exec-a'), runtime)).toMatchObject({ admitted: true });
    // Its last send reserved (the ledger names the execution) and freed the place; then the engine was
    // killed before the end was recorded.
    const time = new Date().toISOString();
    await writeLedger(runtime.store, 'c-rerun', 0, [
      {
        key: 'exec-a#remind',
        channel: 'email',
        journeyId: 'cart-abandonment',
        category: 'marketing',
        time,
        keepUntil: time,
      },
    ]);
    await release(runtime.store, 'c-rerun', 'cart-abandonment', 'exec-a');
    expect(await runStepsTask(enterTask('c-rerun', 'exec-a'), runtime)).toMatchObject({ admitted: true });
    expect((await readMembership(runtime.store, 'c-rerun', 'cart-abandonment')).active).toEqual(['exec-a']);
    expect(await runStepsTask(enterTask('c-rerun', 'exec-b'), runtime)).toMatchObject({
      admitted: false,
      reason: 'duplicate-event',
    });
  });

  it('a redelivered copy of the trigger event is turned away as a copy: the entry the event made stands', async () => {
    const runtime = await createTestRuntime(services);
    const trigger = { ...cartTrigger('c-copy'), id: 'event-copied' };
    await recordEvent(trigger, runtime);
    expect(await runStepsTask(enterTask('c-copy', 'exec-a', { trigger }), runtime)).toMatchObject({
      admitted: true,
    });
    expect(await runStepsTask(enterTask('c-copy', 'exec-b', { trigger }), runtime)).toMatchObject({
      admitted: false,
      reason: 'duplicate-event',
    });
    const history = (
      await readHistory(runtime.store, 'c-copy', '2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z')
    ).map(({ entry }) => entry);
    expect(history).toContainEqual(
      expect.objectContaining({ action: 'not-entered', eventId: 'event-copied', copy: true }),
    );
    expect(entrancesOf(history)).toEqual([
      expect.objectContaining({ journeyId: 'cart-abandonment', eventId: 'event-copied' }),
    ]);
  });

  it('50 trigger events at once under maxConcurrent 1 admit exactly one', async () => {
    const runtime = await createTestRuntime(services);
    const decisions = await Promise.all(
      Array.from({ length: 50 }, (_, index) => {
        const trigger = { ...cartTrigger('c-burst'), id: `event-${index}` };
        return runStepsTask(enterTask('c-burst', `exec-${index}`, { trigger }), runtime);
      }),
    );
    const admitted = decisions.filter((decision) => 'admitted' in decision && decision.admitted);
    expect(admitted).toHaveLength(1);
    expect(
      decisions.filter((decision) => 'reason' in decision && decision.reason === 'concurrency-limit'),
    ).toHaveLength(49);
  });

  it("an execution that ended without its finish step does not hold the customer's place for ever", async () => {
    const runtime = await createTestRuntime(services);
    await runStepsTask(
      enterTask('c-stale', 'exec-stopped', { trigger: { ...cartTrigger('c-stale'), id: 'e1' } }),
      runtime,
    );
    // Stopped by an operator in the console: no finish step ran.
    runtime.workflows.gone.add('exec-stopped');
    const next = await runStepsTask(
      enterTask('c-stale', 'exec-next', { trigger: { ...cartTrigger('c-stale'), id: 'e2' } }),
      runtime,
    );
    expect(next).toMatchObject({ admitted: true });
    expect((await readMembership(runtime.store, 'c-stale', 'cart-abandonment')).active).toEqual([
      'exec-next',
    ]);
  });

  it('re-entry "after 7d" refuses a second entry within 7 days and allows it after, once the first finished', async () => {
    const runtime = await createTestRuntime(services);
    const entry = { reentry: { after: '7d' }, maxConcurrent: 1 };
    const trigger = (id: string) => ({ ...cartTrigger('c-reentry'), id });
    await runStepsTask(enterTask('c-reentry', 'exec-1', { entry, trigger: trigger('e1') }), runtime);
    await runStepsTask(
      { task: 'finish', outcome: 'completed', stepId: 'done', ...ref('c-reentry', 'exec-1') },
      runtime,
    );
    runtime.clock.now = new Date(runtime.clock.now.getTime() + 3 * 86_400_000);
    const soon = await runStepsTask(
      enterTask('c-reentry', 'exec-2', { entry, trigger: trigger('e2') }),
      runtime,
    );
    runtime.clock.now = new Date(runtime.clock.now.getTime() + 5 * 86_400_000);
    const later = await runStepsTask(
      enterTask('c-reentry', 'exec-3', { entry, trigger: trigger('e3') }),
      runtime,
    );
    expect(soon).toMatchObject({ admitted: false, reason: 'reentry-too-soon', values: {} });
    expect(later).toMatchObject({ admitted: true });
  });

  it('re-entry "never" admits a customer once in a lifetime', async () => {
    const runtime = await createTestRuntime(services);
    const entry = { reentry: 'never' as const, maxConcurrent: 1 };
    await runStepsTask(
      enterTask('c-never', 'exec-1', { entry, trigger: { ...cartTrigger('c-never'), id: 'e1' } }),
      runtime,
    );
    await runStepsTask(
      { task: 'finish', outcome: 'completed', stepId: 'done', ...ref('c-never', 'exec-1') },
      runtime,
    );
    const again = await runStepsTask(
      enterTask('c-never', 'exec-2', { entry, trigger: { ...cartTrigger('c-never'), id: 'e2' } }),
      runtime,
    );
    expect(again).toMatchObject({ admitted: false, reason: 'reentry-never', values: {} });
  });

  it('turns away an event whose detail does not match the catalog, recording why', async () => {
    const runtime = await createTestRuntime(services);
    const trigger = {
      ...cartTrigger('c-bad'),
      detail: { customerId: 'c-bad', cartId: 'x', items: [], total: -1 },
    };
    const decision = await runStepsTask(enterTask('c-bad', 'exec-1', { trigger }), runtime);
    expect(decision).toMatchObject({ admitted: false, reason: 'invalid-event', values: {} });
    const [entry, ...others] = await historyEntries(runtime, 'c-bad');
    expect(others).toEqual([]);
    expect(entry).toMatchObject({ kind: 'journey', action: 'not-entered', eventId: trigger.id });
    expect(expectVariant(entry, 'kind', 'journey').reason).toContain('detail.items');
  });
});

describe('branches, schedules and profile updates', () => {
  it('evaluate reads the customer history within the window', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-branch');
    await recordEvent(orderPlaced('c-branch', '2026-11-10T12:00:00Z'), runtime);
    const cases = [
      { history: { event: 'order.placed', within: '7d', atLeast: 1 } },
      { field: 'profile.attributes.firstName', equals: 'Ana' },
    ];
    const task = (): StepsTask => ({
      task: 'evaluate',
      stepId: 'b',
      cases,
      trigger: cartTrigger('c-branch'),
      values: {},
      ...ref('c-branch'),
    });
    runtime.clock.now = new Date('2026-11-15T12:00:00Z');
    const recent = await runStepsTask(task(), runtime);
    runtime.clock.now = new Date('2026-11-20T12:00:00Z');
    const old = await runStepsTask(task(), runtime);
    expect(recent).toEqual({ matched: 0 });
    expect(old).toEqual({ matched: 1 });
  });

  it("schedule picks the customer's busiest local hour from their engagement", async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-hour', { ...ANA, timeZone: 'America/Sao_Paulo' });
    // Three orders at 19:xx São Paulo time (22:xxZ), one at 09:xx.
    for (const time of [
      '2026-11-01T22:10:00Z',
      '2026-11-02T22:40:00Z',
      '2026-11-03T22:05:00Z',
      '2026-11-04T12:00:00Z',
    ]) {
      await recordEvent(orderPlaced('c-hour', time), runtime);
    }
    const result = await runStepsTask(
      {
        task: 'schedule',
        stepId: 'w',
        until: { kind: 'preferredHour', day: 'sameOrNext' },
        now: '2026-11-18T15:00:00Z',
        ...ref('c-hour'),
      },
      runtime,
    );
    expect(result).toEqual({ resumeAt: '2026-11-18T22:00:00.000Z' });
  });

  it('schedule opens a local window on the next allowed day', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-window', { ...ANA, timeZone: 'Europe/London' });
    const result = await runStepsTask(
      {
        task: 'schedule',
        stepId: 'w',
        until: {
          kind: 'localWindow',
          start: '09:00',
          end: '17:00',
          days: ['mon', 'tue', 'wed', 'thu', 'fri'],
        },
        now: '2026-11-21T10:00:00Z', // a Saturday
        ...ref('c-window'),
      },
      runtime,
    );
    expect(result).toEqual({ resumeAt: '2026-11-23T09:00:00.000Z' });
  });

  it('updateProfile sets attributes from references and edits tags', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-update', { ...ANA, tags: { add: ['trial'] } });
    await runStepsTask(
      {
        task: 'updateProfile',
        stepId: 'u',
        set: { lastCartId: { from: 'event.cartId' }, segment: 'abandoner' },
        addTags: ['cart-abandoner'],
        removeTags: ['trial'],
        trigger: cartTrigger('c-update'),
        values: {},
        ...ref('c-update'),
      },
      runtime,
    );
    const read = await readCustomer(runtime.store, 'c-update');
    expect(expectVariant(read, 'found', true).customer.profile).toMatchObject({
      attributes: { firstName: 'Ana', lastCartId: 'cart-7f3a91', segment: 'abandoner' },
      tags: ['cart-abandoner'],
    });
  });

  it('updateProfile is not undone by an older profile update that arrives after it', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-step-late', ANA);
    runtime.clock.now = new Date('2026-11-18T17:00:00Z');
    await runStepsTask(
      {
        task: 'updateProfile',
        stepId: 'u',
        set: { segment: 'abandoner' },
        addTags: [],
        removeTags: [],
        trigger: cartTrigger('c-step-late'),
        values: {},
        ...ref('c-step-late'),
        enteredAt: '2026-11-18T17:00:00.000Z',
      },
      runtime,
    );
    await recordEvent(
      envelope(
        'customer.profile.updated',
        { customerId: 'c-step-late', attributes: { segment: 'browser', plan: 'pro' } },
        '2026-11-18T16:00:00Z',
      ),
      runtime,
    );
    const read = await readCustomer(runtime.store, 'c-step-late');
    expect(expectVariant(read, 'found', true).customer.profile.attributes).toMatchObject({
      segment: 'abandoner',
      plan: 'pro',
    });
  });
});

describe('waiting for an event', () => {
  const awaitTask = (
    customerId: string,
    executionId: string,
    now: string,
    filter?: Record<string, unknown>,
  ): StepsTask => ({
    task: 'awaitEvent',
    stepId: 'await-order',
    taskToken: `token-${executionId}`,
    event: { event: 'order.placed', ...(filter === undefined ? {} : { filter }) },
    timeoutSeconds: 82_800,
    now,
    ...ref(customerId, executionId),
  });

  it('five copies of the awaited event resume the step exactly once', async () => {
    const runtime = await createTestRuntime(services);
    await runStepsTask(awaitTask('c-wait', 'exec-1', '2026-11-18T15:00:00Z'), runtime);
    const event = orderPlaced('c-wait', '2026-11-18T16:00:00Z');
    runtime.clock.now = new Date('2026-11-18T16:00:01Z');
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => resumeWaits(event, runtime)));
    expect(runtime.workflows.successes).toEqual([
      {
        taskToken: 'token-exec-1',
        output: { eventId: event.id, detailType: 'order.placed', time: '2026-11-18T16:00:00Z' },
      },
    ]);
    expect(outcomes.map((outcome) => expectVariant(outcome, 'status', 'handled').resumed).sort()).toEqual([
      0, 0, 0, 0, 1,
    ]);
  });

  it('an event after the timeout, one that fails the filter, or one for another customer resumes nothing', async () => {
    const runtime = await createTestRuntime(services);
    await runStepsTask(awaitTask('c-late', 'exec-1', '2026-11-18T15:00:00Z'), runtime);
    await runStepsTask(
      awaitTask('c-filter', 'exec-2', '2026-11-18T15:00:00Z', { total: [{ numeric: ['>=', 1000] }] }),
      runtime,
    );
    runtime.clock.now = new Date('2026-11-18T16:00:00Z');
    await resumeWaits(orderPlaced('c-filter', '2026-11-18T16:00:00Z'), runtime);
    await resumeWaits(orderPlaced('c-someone-else', '2026-11-18T16:00:00Z'), runtime);
    runtime.clock.now = new Date('2026-11-19T15:00:01Z');
    const late = await resumeWaits(orderPlaced('c-late', '2026-11-19T15:00:01Z'), runtime);
    expect(runtime.workflows.successes).toEqual([]);
    expect(late).toMatchObject({ status: 'handled', resumed: 0, late: 1 });
  });

  it('an event that arrived while the step was being registered still resumes it', async () => {
    const runtime = await createTestRuntime(services);
    // EventBridge times have whole seconds; the step's clock has milliseconds.
    await recordEvent(orderPlaced('c-race', '2026-11-18T15:00:01Z'), runtime);
    runtime.clock.now = new Date('2026-11-18T15:00:01.400Z');
    await runStepsTask(awaitTask('c-race', 'exec-1', '2026-11-18T15:00:00.250Z'), runtime);
    expect(runtime.workflows.successes).toHaveLength(1);
  });
});

describe('exits and conversions', () => {
  it('a goal event stops the open execution and attributes the conversion to the journey messages', async () => {
    const runtime = await createTestRuntime(services, {
      settings: { quietHours: { email: null, sms: null, push: null } },
    });
    await seedCustomer(runtime, 'c-goal', { ...ANA, phone: '+5511900000009' });
    await runStepsTask(enterTask('c-goal', 'exec-goal'), runtime);
    runtime.clock.now = new Date('2026-11-18T16:00:00Z');
    await deliver(deliverTask('c-goal', { executionId: 'exec-goal', stepId: 'remind' }), runtime);
    runtime.clock.now = new Date('2026-11-19T16:00:00Z');
    await deliver(
      deliverTask('c-goal', { executionId: 'exec-goal', stepId: 'nudge', channels: ['sms'] }),
      runtime,
    );
    const outcome = await handleExitEvent(orderPlaced('c-goal', '2026-11-19T18:00:00Z'), runtime);
    // social-engagement and weekly-newsletter also end on an order, but this customer was never in them.
    expect(expectVariant(outcome, 'status', 'handled').exits).toEqual([
      { journeyId: 'cart-abandonment', stopped: 1, converted: true },
      { journeyId: 'social-engagement', stopped: 0, converted: false },
      { journeyId: 'weekly-newsletter', stopped: 0, converted: false },
    ]);
    expect(runtime.workflows.stops.map((stop) => stop.executionId)).toEqual(['exec-goal']);
    expect((await readMembership(runtime.store, 'c-goal', 'cart-abandonment')).active).toEqual([]);
    const conversions = await historyEntries(runtime, 'c-goal', 'conversion');
    expect(conversions).toHaveLength(1);
    expect(conversions[0]).toMatchObject({
      journeyId: 'cart-abandonment',
      lastTouch: { stepId: 'nudge', channel: 'sms' },
      linear: [
        { stepId: 'remind', channel: 'email', weight: 0.5 },
        { stepId: 'nudge', channel: 'sms', weight: 0.5 },
      ],
    });
  });

  it('messages older than the attribution window do not share the conversion', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-window-goal');
    runtime.clock.now = new Date('2026-11-01T16:00:00Z');
    await deliver(deliverTask('c-window-goal', { stepId: 'remind' }), runtime);
    runtime.clock.now = new Date('2026-11-18T16:00:00Z');
    await deliver(deliverTask('c-window-goal', { stepId: 'nudge' }), runtime);
    await handleExitEvent(orderPlaced('c-window-goal', '2026-11-19T10:00:00Z'), runtime);
    const conversions = await historyEntries(runtime, 'c-window-goal', 'conversion');
    expect(conversions.map((conversion) => conversion.linear.map((touch) => touch.stepId))).toEqual([
      ['nudge'],
    ]);
  });

  it('an order from a customer the journey never reached is not its conversion', async () => {
    const runtime = await createTestRuntime(services);
    const outcome = await handleExitEvent(orderPlaced('c-stranger', '2026-11-19T10:00:00Z'), runtime);
    expect(expectVariant(outcome, 'status', 'handled').exits).toContainEqual({
      journeyId: 'cart-abandonment',
      stopped: 0,
      converted: false,
    });
  });
});

describe('record: profiles and history', () => {
  it('applies a profile update once however often it is delivered', async () => {
    const runtime = await createTestRuntime(services);
    const event = envelope(
      'customer.profile.updated',
      { customerId: 'c-rec', attributes: { visits: 1 }, tags: { add: ['vip'] } },
      '2026-11-18T10:00:00Z',
    );
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => recordEvent(event, runtime)));
    expect(outcomes.filter((outcome) => outcome.status === 'recorded')).toHaveLength(1);
    expect(await historyEntries(runtime, 'c-rec', 'event')).toHaveLength(1);
    const read = await readCustomer(runtime.store, 'c-rec');
    expect(expectVariant(read, 'found', true).customer.profile.tags).toEqual(['vip']);
  });

  it('does not let an older profile update overwrite a newer one, but keeps it in the history', async () => {
    const runtime = await createTestRuntime(services);
    await recordEvent(
      envelope(
        'customer.profile.updated',
        { customerId: 'c-order', email: 'new@example.com' },
        '2026-11-18T10:00:00Z',
      ),
      runtime,
    );
    const stale = await recordEvent(
      envelope(
        'customer.profile.updated',
        { customerId: 'c-order', email: 'old@example.com' },
        '2026-11-18T09:00:00Z',
      ),
      runtime,
    );
    expect(stale).toMatchObject({ status: 'recorded', changed: [], older: ['email'] });
    const read = await readCustomer(runtime.store, 'c-order');
    expect(expectVariant(read, 'found', true).customer.profile.email).toBe('new@example.com');
    expect(await historyEntries(runtime, 'c-order', 'event')).toHaveLength(2);
  });

  it('a delayed opt-in sent before an unsubscribe click does not undo the unsubscribe', async () => {
    const runtime = await createTestRuntime(services);
    runtime.clock.now = new Date('2026-11-18T12:00:00Z');
    await seedCustomer(runtime, 'c-undo');
    runtime.clock.now = new Date('2026-11-18T15:00:00Z');
    const token = signUnsubscribeToken(
      { customerId: 'c-undo', channel: 'email' },
      runtime.unsubscribeSecret,
      runtime.now(),
    );
    expect(await unsubscribe(runtime, token)).toMatchObject({ status: 'unsubscribed' });
    // The CRM's update was made at 14:00 but reaches the bus late.
    await recordEvent(
      envelope(
        'customer.profile.updated',
        { customerId: 'c-undo', consent: { email: 'opted-in' }, locale: 'pt-BR' },
        '2026-11-18T14:00:00Z',
      ),
      runtime,
    );
    const read = await readCustomer(runtime.store, 'c-undo');
    expect(expectVariant(read, 'found', true).customer.profile.consent.email).toBe('opted-out');
    // The rest of that late update is newer than anything else on the profile: it applies.
    expect(expectVariant(read, 'found', true).customer.profile.locale).toBe('pt-BR');
    // A later opt-in, made after the click, is the customer's newer choice.
    runtime.clock.now = new Date('2026-11-18T16:00:00Z');
    await recordEvent(
      envelope(
        'customer.profile.updated',
        { customerId: 'c-undo', consent: { email: 'opted-in' } },
        '2026-11-18T16:00:00Z',
      ),
      runtime,
    );
    const later = await readCustomer(runtime.store, 'c-undo');
    expect(expectVariant(later, 'found', true).customer.profile.consent.email).toBe('opted-in');
  });

  it('keeps a malformed event in the history with its problems, and leaves the profile alone', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-malformed');
    const outcome = await recordEvent(
      envelope(
        'customer.profile.updated',
        { customerId: 'c-malformed', email: 'not-an-email' },
        '2026-11-18T15:00:00Z',
      ),
      runtime,
    );
    expect(outcome.status).toBe('invalid');
    const kept = (await historyEntries(runtime, 'c-malformed', 'event')).filter(
      (entry) => entry.problems !== undefined,
    );
    expect(kept).toHaveLength(1);
    expect(kept[0]?.problems?.join()).toContain('detail.email');
    const read = await readCustomer(runtime.store, 'c-malformed');
    expect(expectVariant(read, 'found', true).customer.profile.email).toBe(ANA.email);
  });

  it('an email address that bounced before stays suppressed when a profile takes it up', async () => {
    const runtime = await createTestRuntime(services);
    // A permanent bounce for the address, reported while it belonged to nobody we still know.
    await writeAddressSuppression(runtime.store, {
      addressHash: addressHash('reused@example.com'),
      kind: 'bounce',
      time: '2026-10-01T00:00:00Z',
    });
    await seedCustomer(runtime, 'c-reused', { ...ANA, email: 'reused@example.com' });
    const outcome = await deliver(deliverTask('c-reused'), runtime);
    expect(expectVariant(outcome, 'status', 'no-address').reason).toContain('bounce');
  });

  it('rejects an event with no customer id, naming the field', async () => {
    const runtime = await createTestRuntime(services);
    const outcome = await recordEvent(
      envelope('order.placed', { orderId: 'o-1' }, '2026-11-18T15:00:00Z'),
      runtime,
    );
    expect(expectVariant(outcome, 'status', 'rejected').problems.join()).toContain('detail.customerId');
  });

  it('rejects something that is not an EventBridge event at all', async () => {
    const runtime = await createTestRuntime(services);
    const outcome = await recordEvent({ hello: 'world' }, runtime);
    expect(outcome.status).toBe('rejected');
  });
});
