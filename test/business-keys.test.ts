/**
 * Business keys: a producer that retries PutEvents after a timeout sends the same fact again under a
 * new event id. A journey names the fields that make two events the same fact (`entry.dedupeBy`,
 * `exitOn[].dedupeBy`), and the same fact then starts the journey once and counts as one conversion.
 * Through the local engine with real SDK clients, as a producer and a marketer would see it.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../infra/cli/main.ts';
import type { StepsTask } from '../shared/contract/tasks.ts';
import type { Problem } from '../shared/journey/problem.ts';
import { validateJourneyText } from '../shared/journey/validate.ts';
import type { Report } from '../shared/report/types.ts';
import { runStepsTask } from '../shared/runtime/steps.ts';
import { entrancesOf } from '../shared/customer/entrances.ts';
import { parseHistoryEntry } from '../shared/customer/history.ts';
import { captureIo } from './support/io.ts';
import { engineForSuite, OPTED_IN } from './support/local-engine.ts';
import { project, sample, settings } from './support/project.ts';
import { cartTrigger } from './support/runtime-fixtures.ts';
import { createTestRuntime, historyEntries, localServicesForFile } from './support/runtime-services.ts';
import { sampleEvents } from './support/events.ts';

async function reportFigures(endpoint: string): Promise<Report> {
  const output = captureIo();
  const code = await main(['report', '--endpoint', endpoint, '--json'], output.io);
  expect(output.err).toBe('');
  expect(code).toBe(0);
  return JSON.parse(output.out);
}

function journeyEntries(timeline: Record<string, unknown>[], journeyId: string, action: string) {
  return timeline.filter(
    (entry) => entry.kind === 'journey' && entry.journeyId === journeyId && entry.action === action,
  );
}

/** The customer's entries into the journey: the events that started it, less those enter turned away. */
function entrances(timeline: Record<string, unknown>[], journeyId: string) {
  const entries = timeline.flatMap((entry) => parseHistoryEntry(entry) ?? []);
  return entrancesOf(entries).filter((entrance) => entrance.journeyId === journeyId);
}

describe('business keys: one support call is one fact, whatever its event id', () => {
  const engine = engineForSuite();
  const SUPPORT = 'support-call-followup';

  async function supportCustomer(customerId: string): Promise<void> {
    await engine.put('customer.profile.updated', customerId, {
      email: `${customerId}@example.com`,
      phone: '+5511900005555',
      timeZone: 'America/Sao_Paulo',
      consent: OPTED_IN,
    });
  }

  it('20 copies of one call (one callId, 20 event ids), at once and hours apart, give one survey and one case summary', async () => {
    const customer = 'keys-call';
    await supportCustomer(customer);
    const call = { callId: 'call-retried', resolved: false };
    const ids = new Set<string>();
    const copies = await Promise.all(
      Array.from({ length: 10 }, () => engine.put('support.call.completed', customer, call)),
    );
    for (const copy of copies) ids.add(copy.Entries?.[0]?.EventId ?? '');
    for (let copy = 0; copy < 10; copy += 1) {
      await engine.advance('1h');
      ids.add((await engine.put('support.call.completed', customer, call)).Entries?.[0]?.EventId ?? '');
    }
    expect(ids.size).toBe(20);
    await engine.advance('3h');

    const messages = await engine.outbox({ customerId: customer });
    expect(messages.map((message) => [message.channel, message.stepId])).toEqual([
      ['sms', 'survey'],
      ['email', 'case-summary'],
    ]);
    const timeline = await engine.timeline(customer);
    expect(entrances(timeline, SUPPORT)).toHaveLength(1);
    const turnedAway = journeyEntries(timeline, SUPPORT, 'not-entered');
    expect(turnedAway).toHaveLength(19);
    for (const entry of turnedAway) {
      expect(entry.reason).toBe('duplicate-event: the same callId as an earlier event');
    }
  });

  it('a call with another callId is another fact: copies of two calls give two case summaries, one per case', async () => {
    const customer = 'keys-two-calls';
    await supportCustomer(customer);
    for (let copy = 0; copy < 5; copy += 1) {
      await engine.put('support.call.completed', customer, { callId: 'call-a', caseId: 'case-a' });
    }
    for (let copy = 0; copy < 5; copy += 1) {
      await engine.put('support.call.completed', customer, { callId: 'call-b', caseId: 'case-b' });
    }
    // A day: the SMS survey before each summary may wait for the end of quiet hours.
    await engine.advance('1d');
    const summaries = await engine.outbox({ customerId: customer, channel: 'email' });
    expect(summaries.map((message) => message.subject?.match(/case-[ab]/)?.[0]).sort()).toEqual([
      'case-a',
      'case-b',
    ]);
    expect(entrances(await engine.timeline(customer), SUPPORT)).toHaveLength(2);
  });

  it('the same call is remembered for at least 35 days (still turned away after 34), then it may start the journey again', async () => {
    const customer = 'keys-memory';
    await supportCustomer(customer);
    const call = { callId: 'call-remembered', caseId: 'case-remembered' };
    await engine.put('support.call.completed', customer, call);
    await engine.advance('34d');
    await engine.put('support.call.completed', customer, call);
    await engine.advance('1d');
    expect(entrances(await engine.timeline(customer), SUPPORT)).toHaveLength(1);
    // Taken triggers are kept by week, this one and five before: six weeks on, this one is forgotten.
    await engine.advance('8d');
    await engine.put('support.call.completed', customer, call);
    await engine.advance('1d');
    expect(entrances(await engine.timeline(customer), SUPPORT)).toHaveLength(2);
    expect(await engine.outbox({ customerId: customer, channel: 'email' })).toHaveLength(2);
  });
});

describe('business keys: one order is one conversion, however often it is resent', () => {
  const engine = engineForSuite();
  const CART = 'cart-abandonment';

  it('the same order resent 5 times, with new ids and later times, is one conversion in the history and in waymark report; another order is a second', async () => {
    const customer = 'keys-order';
    await engine.put('customer.profile.updated', customer, {
      email: 'order@example.com',
      consent: OPTED_IN,
    });
    await engine.put('cart.abandoned', customer);
    await engine.advance('2h');
    expect((await engine.outbox({ customerId: customer })).map((message) => message.stepId)).toEqual([
      'remind',
    ]);
    for (let copy = 0; copy < 5; copy += 1) {
      await engine.put('order.placed', customer, { orderId: 'ord-resent' });
      await engine.advance('10m');
    }
    const conversions = () =>
      engine
        .timeline(customer)
        .then((timeline) =>
          timeline.filter((entry) => entry.kind === 'conversion' && entry.journeyId === CART),
        );
    expect(await conversions()).toHaveLength(1);
    const afterResends = (await reportFigures(engine.endpoint)).journeys.find(
      (journey) => journey.journeyId === CART,
    );
    expect(afterResends).toMatchObject({ conversions: 1, converted: 1 });

    // Still inside the attribution window of the reminder: a new order is a new conversion.
    await engine.put('order.placed', customer, { orderId: 'ord-next' });
    expect(await conversions()).toHaveLength(2);
    const afterNext = (await reportFigures(engine.endpoint)).journeys.find(
      (journey) => journey.journeyId === CART,
    );
    expect(afterNext?.conversions).toBe(2);
  });
});

describe('business keys: an event without its key fields', () => {
  const services = localServicesForFile();

  function enterTask(customerId: string, executionId: string, eventId: string, device?: string): StepsTask {
    const { device: _omitted, ...detail } = cartTrigger(customerId).detail;
    return {
      task: 'enter',
      journeyId: 'cart-abandonment',
      journeyVersion: 1,
      executionId,
      customerId,
      trigger: {
        ...cartTrigger(customerId),
        id: eventId,
        detail: device === undefined ? detail : { ...detail, device },
      },
      // device is optional in cart.abandoned: the validator warns about such a key.
      entry: { reentry: 'always', maxConcurrent: 10, dedupeBy: ['device'] },
      values: {},
    };
  }

  it('enters, told apart from copies by its event id only', async () => {
    const runtime = await createTestRuntime(services);
    const customer = 'c-keyless';
    expect(await runStepsTask(enterTask(customer, 'exec-1', 'event-1'), runtime)).toMatchObject({
      admitted: true,
    });
    // Another event id without the key: nothing says it is the same fact.
    expect(await runStepsTask(enterTask(customer, 'exec-2', 'event-2'), runtime)).toMatchObject({
      admitted: true,
    });
    // The same event id again is a copy all the same.
    expect(await runStepsTask(enterTask(customer, 'exec-3', 'event-1'), runtime)).toMatchObject({
      admitted: false,
      reason: 'duplicate-event',
    });
    const refused = (await historyEntries(runtime, customer, 'journey')).filter(
      (entry) => entry.kind === 'journey' && entry.action === 'not-entered',
    );
    expect(refused).toEqual([expect.objectContaining({ executionId: 'exec-3', eventId: 'event-1' })]);
    // With the field, copies under new ids are one fact.
    await runStepsTask(enterTask(customer, 'exec-4', 'event-4', 'mobile'), runtime);
    expect(await runStepsTask(enterTask(customer, 'exec-5', 'event-5', 'mobile'), runtime)).toMatchObject({
      admitted: false,
      reason: 'duplicate-event',
    });
  });
});

describe('business keys: the validator', () => {
  function problemsOf(journey: unknown): Problem[] {
    return validateJourneyText(JSON.stringify(journey, null, 2), 'keyed.json', {
      settings,
      events: sampleEvents(),
      segments: new Map(),
      now: new Date('2026-11-18T15:00:00Z'),
      templates: project.templates,
    }).problems;
  }
  const support = structuredClone(sample('support-call-followup'));
  const cart = structuredClone(sample('cart-abandonment'));
  const social = structuredClone(sample('social-engagement'));

  it('refuses a dedupeBy field the trigger event does not have, naming file, path, the fields and a hint', () => {
    const problems = problemsOf({ ...support, entry: { ...support.entry, dedupeBy: ['callId', 'nope'] } });
    expect(problems).toEqual([
      expect.objectContaining({
        severity: 'error',
        file: 'keyed.json',
        path: '$.entry.dedupeBy[1]',
        message: expect.stringContaining('"support.call.completed" events have no field "nope"'),
        expected: expect.stringContaining('callId'),
      }),
    ]);
    expect(problems[0]?.line).toBeGreaterThan(1);
    const [misspelt] = problemsOf({ ...support, entry: { ...support.entry, dedupeBy: ['calId'] } });
    expect(misspelt?.hint).toBe('did you mean "callId"?');
  });

  it("checks a goal's dedupeBy against its own event, and dotted fields at any depth", () => {
    const [goal] = problemsOf({
      ...cart,
      exitOn: [{ event: 'order.placed', goal: true, dedupeBy: ['ordrId'] }],
    });
    expect(goal).toMatchObject({
      severity: 'error',
      path: '$.exitOn[0].dedupeBy[0]',
      message: expect.stringContaining('"order.placed" events have no field "ordrId"'),
      hint: 'did you mean "orderId"?',
    });
    expect(problemsOf({ ...social, entry: { ...social.entry, dedupeBy: ['post.id', 'action'] } })).toEqual(
      [],
    );
    const [nested] = problemsOf({ ...social, entry: { ...social.entry, dedupeBy: ['post.idd'] } });
    expect(nested).toMatchObject({
      path: '$.entry.dedupeBy[0]',
      message: expect.stringContaining('no field "post.idd"'),
      hint: 'did you mean "id"?',
    });
  });

  it('warns about an optional key field and a key on an exit that is no goal', () => {
    const problems = problemsOf({
      ...cart,
      exitOn: [
        { event: 'order.placed', goal: true, dedupeBy: ['cartId'] },
        { event: 'chat.session.started', goal: false, dedupeBy: ['sessionId'] },
      ],
    });
    expect(problems.map((problem) => [problem.severity, problem.path])).toEqual([
      ['warning', '$.exitOn[0].dedupeBy[0]'],
      ['warning', '$.exitOn[1].dedupeBy'],
    ]);
    expect(problems[0]?.message).toContain('optional');
  });

  it('the samples declare their keys: the support call by callId, the order goals by orderId', () => {
    expect(sample('support-call-followup').entry.dedupeBy).toEqual(['callId']);
    for (const id of ['cart-abandonment', 'social-engagement', 'weekly-newsletter']) {
      expect(sample(id).exitOn.find((exit) => exit.event === 'order.placed')?.dedupeBy).toEqual(['orderId']);
    }
  });
});
