/**
 * buildReport (shared/report/report) over a few hand-built customers: each figure is one a wrong count would
 * get wrong (a quiet-hours retry counted twice, linear shares that do not add up).
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../shared/customer/history.ts';
import { journeySchema } from '../../shared/journey/schema.ts';
import { buildReport } from '../../shared/report/report.ts';
import type { ExecutionPosition } from '../../shared/report/types.ts';
import { at, customer, message, profileUpdate } from './fixtures.ts';
import { sampleEvents } from '../support/events.ts';

function journeyEntry(
  minutes: number,
  executionId: string,
  action: 'entered' | 'not-entered' | 'completed' | 'exited' | 'failed',
  stepId?: string,
): HistoryEntry {
  return {
    kind: 'journey',
    time: at(minutes),
    journeyId: 'winback',
    executionId,
    action,
    ...(stepId === undefined ? {} : { stepId }),
  };
}

describe('buildReport', () => {
  const journey = journeySchema.parse({
    id: 'winback',
    name: 'Win back',
    version: 1,
    status: 'active',
    trigger: { event: 'cart.abandoned' },
    exitOn: [{ event: 'order.placed' }],
    start: 'pause',
    steps: {
      pause: { type: 'wait', duration: '1h', next: 'first' },
      first: {
        type: 'send',
        channel: ['email', 'push'],
        template: 't',
        category: 'marketing',
        next: 'await',
      },
      await: {
        type: 'waitForEvent',
        event: { event: 'order.placed' },
        timeout: '1d',
        onEvent: 'done',
        onTimeout: 'second',
      },
      second: { type: 'send', channel: ['sms'], template: 't', category: 'marketing', next: 'done' },
      done: { type: 'end' },
    },
  });
  const quiet = journeySchema.parse({ ...journey, id: 'quiet', name: 'Nobody came', exitOn: [] });
  const optedIn = { consent: { email: 'opted-in', sms: 'opted-in', push: 'opted-in' } };
  const cart: HistoryEntry = {
    kind: 'event',
    time: at(0),
    eventId: 'cart-1',
    detailType: 'cart.abandoned',
    source: 'shop',
    detail: { customerId: 'ana', cartId: 'x' },
    // Record lists the journeys an event starts: the event is Ana's entry (enter writes none of its own).
    starts: ['winback'],
  };

  const customers = [
    // Ana: first and second message, then an order: last touch the SMS, linear half each.
    customer('ana', [
      profileUpdate(-10, optedIn),
      cart,
      message(60, 'first', 'email', { executionId: 'e1' }),
      message(1500, 'second', 'sms', { executionId: 'e1' }),
      journeyEntry(1600, 'e1', 'exited'),
      {
        kind: 'conversion',
        time: at(1600),
        journeyId: 'winback',
        executionId: 'e1',
        eventId: 'order-1',
        detailType: 'order.placed',
        lastTouch: {
          journeyId: 'winback',
          executionId: 'e1',
          stepId: 'second',
          channel: 'sms',
          time: at(1500),
        },
        linear: [
          {
            journeyId: 'winback',
            executionId: 'e1',
            stepId: 'first',
            channel: 'email',
            time: at(60),
            weight: 0.5,
          },
          {
            journeyId: 'winback',
            executionId: 'e1',
            stepId: 'second',
            channel: 'sms',
            time: at(1500),
            weight: 0.5,
          },
        ],
      },
    ]),
    // Bruno: the first message, then the SMS capped; the journey completes.
    customer('bruno', [
      profileUpdate(-10, optedIn),
      journeyEntry(0, 'e2', 'entered'),
      message(60, 'first', 'email', { executionId: 'e2' }),
      {
        kind: 'skipped',
        time: at(1500),
        journeyId: 'winback',
        executionId: 'e2',
        stepId: 'second',
        status: 'capped',
        reason: 'sms: daily cap',
        channel: 'sms',
        capId: 'daily',
      },
      journeyEntry(1500, 'e2', 'completed', 'done'),
    ]),
    // Carla: the first message waits for quiet hours and goes out by push at 10h; she is waiting now.
    customer(
      'carla',
      [
        profileUpdate(-10, optedIn),
        journeyEntry(0, 'e3', 'entered'),
        {
          kind: 'skipped',
          time: at(60),
          journeyId: 'winback',
          executionId: 'e3',
          stepId: 'first',
          status: 'deferred',
          reason: 'push: quiet hours',
          channel: 'push',
          resumeAt: at(600),
        },
        message(600, 'first', 'push', { executionId: 'e3' }),
        // Another cart starts the journey again, and enter turns it away: one journey at a time.
        { ...cart, time: at(700), eventId: 'cart-carla-2', detail: { customerId: 'carla', cartId: 'y' } },
        journeyEntry(700, 'e4', 'not-entered'),
      ],
      { active: { winback: ['e3'] } },
    ),
    // A journey no file defines any more.
    customer('dora', [message(5, 'hello', 'email', { journeyId: 'retired', executionId: 'e9' })]),
  ];
  const executions: ExecutionPosition[] = [
    {
      journeyId: 'winback',
      executionId: 'e1',
      customerId: 'ana',
      status: 'stopped',
      visited: ['pause', 'first', 'await', 'second', 'await'],
      startedAt: at(0),
    },
    {
      journeyId: 'winback',
      executionId: 'e2',
      customerId: 'bruno',
      status: 'succeeded',
      visited: ['pause', 'first', 'await', 'second', 'done'],
      startedAt: at(0),
    },
    {
      journeyId: 'winback',
      executionId: 'e3',
      customerId: 'carla',
      status: 'running',
      visited: ['pause', 'first', 'await'],
      current: 'await',
      startedAt: at(0),
    },
  ];
  const report = buildReport({
    customers,
    events: sampleEvents(),
    journeys: [journey, quiet],
    executions,
    now: new Date(at(2000)),
  });
  const winback = report.journeys.find((candidate) => candidate.journeyId === 'winback');

  it('counts each journey from the history, with the funnel in graph order', () => {
    expect(winback).toMatchObject({
      triggered: 4,
      entered: 3,
      notEntered: 1,
      active: 1,
      completed: 1,
      exited: 1,
      converted: 1,
      conversions: 1,
    });
    expect(winback?.conversionRate).toBeCloseTo(1 / 3);
    expect(winback?.funnel.map((stage) => [stage.label, stage.count])).toEqual([
      ['Triggered', 4],
      ['Entered', 3],
      ['Received a message', 3],
      ['Sent at step "first"', 3],
      ['Sent at step "second"', 1],
      ['Converted', 1],
    ]);
    expect(winback?.stepOrder).toEqual(['pause', 'first', 'await', 'done', 'second']);
  });

  it('counts each step: visits and waiting from executions, sends and skips from the history', () => {
    expect(winback?.steps.first).toEqual({
      entered: 3,
      waiting: 0,
      waitingForSlot: 0,
      sent: { email: 2, sms: 0, push: 1, whatsapp: 0, webhook: 0, function: 0 },
      capped: 0,
      deferred: 1,
      rateLimited: 0,
      notSent: 0,
      exited: 0,
      converted: 0,
    });
    expect(winback?.steps.second).toMatchObject({ entered: 2, capped: 1, converted: 1, sent: { sms: 1 } });
    // Ana's exit names no step: it is counted where her execution was when it stopped.
    expect(winback?.steps.await).toMatchObject({ entered: 4, waiting: 1, exited: 1 });
  });

  it('credits conversions by last touch and by linear shares that add up to one conversion', () => {
    const email = report.channels.find((row) => row.channel === 'email');
    const sms = report.channels.find((row) => row.channel === 'sms');
    expect(email).toMatchObject({ sent: 3, lastTouch: 0, linear: 0.5 });
    expect(sms).toMatchObject({ sent: 1, lastTouch: 1, linear: 0.5, lastTouchRate: 1, linearRate: 0.5 });
    expect(report.channels.reduce((total, row) => total + row.linear, 0)).toBe(1);
    expect(report.attribution.filter((row) => row.journeyId === 'winback')).toEqual([
      { journeyId: 'winback', stepId: 'first', channel: 'email', sent: 2, lastTouch: 0, linear: 0.5 },
      { journeyId: 'winback', stepId: 'first', channel: 'push', sent: 1, lastTouch: 0, linear: 0 },
      { journeyId: 'winback', stepId: 'second', channel: 'sms', sent: 1, lastTouch: 1, linear: 0.5 },
    ]);
  });

  it('times trigger to first message from the trigger event when the history has it', () => {
    // Ana from her cart event, Bruno and Carla from their entries: 1h, 1h, 10h.
    expect(winback?.firstMessage).toEqual({
      samples: 3,
      p50Seconds: 3600,
      p95Seconds: 36_000,
      fromTriggerEvent: 1,
    });
    const quietReport = report.journeys.find((candidate) => candidate.journeyId === 'quiet');
    expect(quietReport?.firstMessage).toEqual({
      samples: 0,
      p50Seconds: null,
      p95Seconds: null,
      fromTriggerEvent: 0,
    });
    expect(quietReport).toMatchObject({ entered: 0, hasGoal: false, conversionRate: null });
    expect(quietReport?.funnel.map((stage) => stage.label)).not.toContain('Converted');
  });

  it('counts caps, quiet-hours deferrals and the deferrals that sent later', () => {
    expect(report.notSent.byStatus).toEqual({
      capped: 1,
      deferred: 1,
      'rate-limited': 0,
      'opted-out': 0,
      'no-address': 0,
      failed: 0,
    });
    expect(report.notSent.byCap).toEqual({ daily: 1 });
    expect(report.notSent.deferredThenSent).toBe(1);
    expect(report.notSent.rows).toEqual([
      {
        journeyId: 'winback',
        channel: 'sms',
        capped: 1,
        deferred: 0,
        rateLimited: 0,
        optedOut: 0,
        noAddress: 0,
        failed: 0,
      },
      {
        journeyId: 'winback',
        channel: 'push',
        capped: 0,
        deferred: 1,
        rateLimited: 0,
        optedOut: 0,
        noAddress: 0,
        failed: 0,
      },
    ]);
  });

  it('keeps a journey the files no longer define, and checks every message for compliance', () => {
    expect(report.journeys.map((candidate) => [candidate.journeyId, candidate.defined])).toEqual([
      ['winback', true],
      ['quiet', true],
      ['retired', false],
    ]);
    // Dora's message went out without any consent on record.
    expect(report.compliance).toMatchObject({ messagesChecked: 5, violations: 1 });
    expect(report.sources).toMatchObject({ customers: 4, executions: 3, executionsLimited: [] });
  });

  it('counts coordination per customer-day, and takes what was held back from the not-sent counts', () => {
    // No stored profiles: every day is a UTC day. Ana's two messages are a day apart.
    expect(report.coordination).toMatchObject({
      customersMessaged: 4,
      messages: 5,
      messagesPerCustomer: 1.25,
      customerDays: 5,
      maxPerCustomerDay: 1,
      multiJourneyDays: 0,
      multiChannelDays: 0,
      customersInUtc: 4,
      heldBack: { capped: 1, deferred: 1 },
    });
    expect(report.coordination.heldBack).toEqual({
      capped: report.notSent.byStatus.capped,
      deferred: report.notSent.byStatus.deferred,
    });
  });
});
