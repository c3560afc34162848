/**
 * What the lean runtime (issue 17) keeps, on the local engine with the real handlers: an event's own
 * history entry is the entry into the journeys it starts, enter writes only its refusals, the last
 * send of a journey ends it in its own write, and any other end (a success, a failure, a stop by hand)
 * comes from the execution's status-change event through the finish function. Whatever way an
 * execution ends, the customer's place in the journey is freed, so the next trigger is admitted
 * under `maxConcurrent: 1`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, SendTaskFailureCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEntry, HistoryEntryOf } from '../shared/customer/history.ts';
import { readMembership } from '../shared/store/journeys.ts';
import { waitsFor } from '../shared/store/waits.ts';
import { audienceProject, cartJourney } from './support/audience.ts';
import { sampleExample } from './support/events.ts';
import {
  engineForSuite,
  entrancesIn,
  historyIn,
  OPTED_IN,
  START,
  type TestEngine,
  tempFolderForSuite,
} from './support/local-engine.ts';

const ONE_AT_A_TIME = { reentry: 'always', maxConcurrent: 1 };

/** A journey on cart.abandoned from one source alone, so each journey here has triggers of its own. */
function journey(
  id: string,
  start: string,
  steps: Record<string, Record<string, unknown>>,
): Record<string, unknown> {
  return {
    ...cartJourney(id, start, steps),
    trigger: { event: 'cart.abandoned', source: `lean.${id}` },
    entry: ONE_AT_A_TIME,
  };
}

const JOURNEYS = [
  // An hour's wait, then one email: the journey's last step.
  journey('hold', 'pause', {
    pause: { type: 'wait', duration: '1h', next: 'mail' },
    mail: { type: 'send', channel: 'email', template: 'cart-reminder', category: 'marketing', next: 'done' },
  }),
  // One SMS, which quiet hours hold back.
  journey('quiet', 'text', {
    text: { type: 'send', channel: 'sms', template: 'cart-nudge', category: 'marketing', next: 'done' },
  }),
  // A function call whose body is JSON only while the cart id needs no escaping.
  journey('note', 'note', {
    note: {
      type: 'send',
      channel: 'function',
      function: 'crm-note',
      reaches: 'system',
      template: 'crm-note',
      category: 'transactional',
      next: 'done',
    },
  }),
  // Waits for an order; a stop by hand or a failure ends it before.
  journey('await', 'order', {
    order: {
      type: 'waitForEvent',
      event: { event: 'order.placed' },
      timeout: '2d',
      onEvent: 'done',
      onTimeout: 'done',
    },
  }),
];

const folder = tempFolderForSuite('waymark-lean-runtime-');
beforeAll(() => {
  const dir = folder();
  audienceProject(dir, JOURNEYS);
  mkdirSync(join(dir, 'templates', 'crm-note'));
  writeFileSync(
    join(dir, 'templates', 'crm-note', 'function.json.liquid'),
    '{"cart": "{{ event.cartId }}", "offer": {{ values.offerCode | json }}}',
  );
  const file = join(dir, 'settings.json');
  const settings: Record<string, unknown> = JSON.parse(readFileSync(file, 'utf8'));
  settings.functions = { 'crm-note': { functionName: 'waymark-crm-note' } };
  writeFileSync(file, JSON.stringify(settings));
});

/** Puts a cart event for the journey (by its source) and lets the engine act; answers its event id. */
async function trigger(
  engine: TestEngine,
  journeyId: string,
  customerId: string,
  detail: Record<string, unknown> = {},
): Promise<string> {
  const result = await engine.eventbridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: 'waymark',
          Source: `lean.${journeyId}`,
          DetailType: 'cart.abandoned',
          Detail: JSON.stringify({ ...sampleExample('cart.abandoned'), ...detail, customerId }),
        },
      ],
    }),
  );
  expect(result.FailedEntryCount).toBe(0);
  const eventId = result.Entries?.[0]?.EventId;
  if (eventId === undefined) throw new Error('PutEvents named no event');
  await engine.advance('1s');
  return eventId;
}

async function profile(
  engine: TestEngine,
  customerId: string,
  fields: Record<string, unknown>,
): Promise<void> {
  await engine.put('customer.profile.updated', customerId, fields);
}

async function historyOf(engine: TestEngine, customerId: string): Promise<HistoryEntry[]> {
  return historyIn(await engine.timeline(customerId));
}

function journeyEntries(history: readonly HistoryEntry[]): HistoryEntryOf<'journey'>[] {
  return history.flatMap((entry) => (entry.kind === 'journey' ? [entry] : []));
}

function executionsOf(engine: TestEngine, journeyId: string, customerId: string) {
  return engine.host.engine
    .listExecutions()
    .filter((execution) => execution.journeyId === journeyId && execution.customerId === customerId)
    .sort((a, b) => a.startDate.localeCompare(b.startDate) || a.executionArn.localeCompare(b.executionArn));
}

async function activePlaces(engine: TestEngine, customerId: string, journeyId: string): Promise<string[]> {
  return (await readMembership(engine.host.runtime.store, customerId, journeyId)).active;
}

describe('entry and refusal', () => {
  const engine = engineForSuite(() => ({ journeysDir: folder(), start: START }));

  it('a trigger turned away by maxConcurrent 1 is recorded not-entered with its reason and event, and sends nothing', async () => {
    await profile(engine, 'c-refused', { email: 'refused@example.com', consent: OPTED_IN });
    const first = await trigger(engine, 'hold', 'c-refused', { cartId: 'cart-1' });
    const second = await trigger(engine, 'hold', 'c-refused', { cartId: 'cart-2' });
    await engine.advance('2h');

    const history = await historyOf(engine, 'c-refused');
    // Both events name the journey they start; enter turned the second away, naming it.
    const events = history.flatMap((entry) => (entry.kind === 'event' ? [entry] : []));
    expect(events.filter((entry) => entry.detailType === 'cart.abandoned')).toEqual([
      expect.objectContaining({ eventId: first, starts: ['hold'] }),
      expect.objectContaining({ eventId: second, starts: ['hold'] }),
    ]);
    expect(journeyEntries(history)).toEqual([
      expect.objectContaining({
        journeyId: 'hold',
        action: 'not-entered',
        reason: 'concurrency-limit',
        eventId: second,
      }),
    ]);
    expect(entrancesIn(await engine.timeline('c-refused'))).toEqual([
      expect.objectContaining({ journeyId: 'hold', eventId: first }),
    ]);
    // One message, the first execution's; the refused one ended at once without a step.
    const outbox = await engine.outbox({ customerId: 'c-refused' });
    expect(outbox.map((message) => [message.journeyId, message.stepId])).toEqual([['hold', 'mail']]);
    const [admitted, refused] = executionsOf(engine, 'hold', 'c-refused');
    expect([admitted?.status, refused?.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(
      history.filter((entry) => 'executionId' in entry && entry.executionId === refused?.executionArn),
    ).toEqual([expect.objectContaining({ kind: 'journey', action: 'not-entered' })]);
    expect(refused?.steps.map((step) => step.state)).not.toContain('mail');
  });
});

describe('a deferral for quiet hours', () => {
  const engine = engineForSuite(() => ({ journeysDir: folder(), start: START }));

  it('waits until the quiet hours end, then sends once', async () => {
    // 12:00 UTC is 21:00 in Tokyo: SMS is quiet there until 08:00 (23:00 UTC).
    await profile(engine, 'c-quiet', {
      phone: '+819012345678',
      timeZone: 'Asia/Tokyo',
      consent: OPTED_IN,
    });
    await engine.advance('1h');
    await trigger(engine, 'quiet', 'c-quiet');
    expect(await engine.outbox({ customerId: 'c-quiet' })).toEqual([]);
    await engine.advance('12h');

    const outbox = await engine.outbox({ customerId: 'c-quiet' });
    expect(outbox.map((message) => [message.channel, message.time])).toEqual([
      ['sms', '2026-11-18T23:00:00.000Z'],
    ]);
    const steps = (await historyOf(engine, 'c-quiet')).filter(
      (entry) => entry.kind === 'skipped' || entry.kind === 'message',
    );
    expect(steps).toEqual([
      expect.objectContaining({
        kind: 'skipped',
        status: 'deferred',
        channel: 'sms',
        resumeAt: '2026-11-18T23:00:00.000Z',
        reason: expect.stringContaining('quiet hours in Asia/Tokyo'),
      }),
      expect.objectContaining({
        kind: 'message',
        channel: 'sms',
        stepId: 'text',
        time: '2026-11-18T23:00:00.000Z',
        completes: true,
      }),
    ]);
    // A deferral is no end: the skip says nothing of completing, and the place was held till the send.
    expect(steps[0]).not.toHaveProperty('completes');
    expect(await activePlaces(engine, 'c-quiet', 'quiet')).toEqual([]);
    expect(executionsOf(engine, 'quiet', 'c-quiet').map((execution) => execution.status)).toEqual([
      'SUCCEEDED',
    ]);
  });
});

describe('a send that fails', () => {
  const engine = engineForSuite(() => ({ journeysDir: folder(), start: START }));

  it('a template that does not render for this customer is recorded failed, and nothing goes out', async () => {
    expect(engine.host.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
    // A quote in the cart id: the body is no longer JSON.
    await trigger(engine, 'note', 'c-unrendered', { cartId: 'cart "7"' });
    await engine.advance('1m');
    expect(await engine.outbox({ customerId: 'c-unrendered', channel: 'function' })).toEqual([]);
    const history = await historyOf(engine, 'c-unrendered');
    expect(history.filter((entry) => entry.kind === 'skipped')).toEqual([
      expect.objectContaining({
        journeyId: 'note',
        stepId: 'note',
        status: 'failed',
        channel: 'function',
        reason: expect.stringMatching(/function: the template could not be rendered.*not JSON/),
        // The last step: the journey ends with it all the same.
        completes: true,
      }),
    ]);
    expect(history.filter((entry) => entry.kind === 'message')).toEqual([]);
    expect(journeyEntries(history)).toEqual([]);
    expect(await activePlaces(engine, 'c-unrendered', 'note')).toEqual([]);

    // The same call with a cart id that renders goes out: the template was at fault, not the journey.
    await trigger(engine, 'note', 'c-unrendered', { cartId: 'cart-8' });
    const [sent, ...more] = await engine.outbox({ customerId: 'c-unrendered', channel: 'function' });
    expect(more).toEqual([]);
    expect(JSON.parse(sent?.body ?? '')).toMatchObject({ data: { cart: 'cart-8', offer: 'CART10' } });
  });
});

describe('ends without a step of their own', () => {
  const engine = engineForSuite(() => ({ journeysDir: folder(), start: START }));

  async function waitingExecution(customerId: string): Promise<string> {
    await trigger(engine, 'await', customerId, { cartId: 'cart-first' });
    const [executionArn, ...others] = await activePlaces(engine, customerId, 'await');
    expect(others).toEqual([]);
    if (executionArn === undefined) throw new Error('the first trigger took no place');
    const status = await engine.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(status.status).toBe('RUNNING');
    return executionArn;
  }

  /** The next trigger, under maxConcurrent 1: admitted only if the first execution's place was freed. */
  async function nextIsAdmitted(customerId: string): Promise<void> {
    const next = await trigger(engine, 'await', customerId, { cartId: 'cart-next' });
    const history = await historyOf(engine, customerId);
    expect(journeyEntries(history).filter((entry) => entry.action === 'not-entered')).toEqual([]);
    expect(entrancesIn(await engine.timeline(customerId))).toEqual([
      expect.objectContaining({ journeyId: 'await' }),
      expect.objectContaining({ journeyId: 'await', eventId: next }),
    ]);
    const [, second] = executionsOf(engine, 'await', customerId);
    expect(second?.status).toBe('RUNNING');
    expect(await activePlaces(engine, customerId, 'await')).toEqual([second?.executionArn]);
  }

  it('an execution that fails frees the place and records the failure', async () => {
    const executionArn = await waitingExecution('c-fails');
    // The awaited event's Task fails (as a step's Lambda error would): the Catch goes to the Fail state.
    const [registration] = await waitsFor(engine.host.runtime.store, 'c-fails', 'order.placed');
    expect(registration?.executionId).toBe(executionArn);
    await engine.sfn.send(
      new SendTaskFailureCommand({
        taskToken: registration?.resumption.kind === 'token' ? registration.resumption.taskToken : undefined,
        error: 'Lean.Broken',
        cause: 'the order system is down',
      }),
    );
    await engine.host.engine.idle();
    await engine.advance('1s');

    const described = await engine.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'FAILED', error: 'Lean.Broken' });
    expect(await activePlaces(engine, 'c-fails', 'await')).toEqual([]);
    expect(journeyEntries(await historyOf(engine, 'c-fails'))).toEqual([
      expect.objectContaining({
        journeyId: 'await',
        executionId: executionArn,
        action: 'failed',
        reason: 'Lean.Broken: the order system is down',
      }),
    ]);
    await nextIsAdmitted('c-fails');
  });

  it('an execution stopped by hand with StopExecution frees the place and records the stop', async () => {
    const executionArn = await waitingExecution('c-stopped');
    await engine.sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Ops.Stop', cause: 'stopped by the support team' }),
    );
    await engine.host.engine.idle();
    await engine.advance('1s');

    const described = await engine.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('ABORTED');
    expect(await activePlaces(engine, 'c-stopped', 'await')).toEqual([]);
    expect(journeyEntries(await historyOf(engine, 'c-stopped'))).toEqual([
      expect.objectContaining({
        journeyId: 'await',
        executionId: executionArn,
        action: 'stopped',
        reason: 'Ops.Stop: stopped by the support team',
      }),
    ]);
    await nextIsAdmitted('c-stopped');
  });

  it('an execution that succeeds without a last send records "completed" once and frees the place', async () => {
    const executionArn = await waitingExecution('c-ordered');
    await engine.put('order.placed', 'c-ordered');
    await engine.host.engine.idle();
    await engine.advance('1s');
    const described = await engine.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(await activePlaces(engine, 'c-ordered', 'await')).toEqual([]);
    expect(journeyEntries(await historyOf(engine, 'c-ordered'))).toEqual([
      expect.objectContaining({ executionId: executionArn, action: 'completed' }),
    ]);
  });
});

describe('a journey whose last step is a send', () => {
  const engine = engineForSuite(() => ({ journeysDir: folder(), start: START }));

  it('completes with the send: its message says so, the place is free, and there is no completed entry', async () => {
    await profile(engine, 'c-last', { email: 'last@example.com', consent: OPTED_IN });
    const first = await trigger(engine, 'hold', 'c-last', { cartId: 'cart-1' });
    expect(await activePlaces(engine, 'c-last', 'hold')).toHaveLength(1);
    await engine.advance('1h');
    await engine.host.engine.idle();

    const [execution] = executionsOf(engine, 'hold', 'c-last');
    expect(execution?.status).toBe('SUCCEEDED');
    const history = await historyOf(engine, 'c-last');
    expect(history.filter((entry) => entry.kind === 'message')).toEqual([
      expect.objectContaining({
        journeyId: 'hold',
        executionId: execution?.executionArn,
        stepId: 'mail',
        channel: 'email',
        completes: true,
      }),
    ]);
    expect(journeyEntries(history)).toEqual([]);
    expect(await activePlaces(engine, 'c-last', 'hold')).toEqual([]);
    expect(entrancesIn(await engine.timeline('c-last'))).toEqual([
      expect.objectContaining({ journeyId: 'hold', eventId: first }),
    ]);

    // Freed: the next trigger is admitted under maxConcurrent 1 and sends again.
    const second = await trigger(engine, 'hold', 'c-last', { cartId: 'cart-2' });
    await engine.advance('1h');
    expect(journeyEntries(await historyOf(engine, 'c-last'))).toEqual([]);
    expect(entrancesIn(await engine.timeline('c-last')).map((entrance) => entrance.eventId)).toEqual([
      first,
      second,
    ]);
    expect(await engine.outbox({ customerId: 'c-last' })).toHaveLength(2);
  });
});
