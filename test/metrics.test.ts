/**
 * The report's figures from hand-built histories: each case is one a wrong count would get wrong
 * (a send after an opt-out, a quiet-hours retry counted twice, linear shares that do not add up).
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../shared/customer/history.ts';
import { customerProfileSchema } from '../shared/customer/profile.ts';
import { journeySchema } from '../shared/journey/schema.ts';
import { checkCompliance } from '../shared/report/compliance.ts';
import { checkCoordination } from '../shared/report/coordination.ts';
import { nearestRank } from '../shared/report/percentile.ts';
import { journeyOfStateMachine } from '../shared/aws/names.ts';
import { stepsOf } from '../shared/report/positions.ts';
import { buildReport } from '../shared/report/report.ts';
import type { ExecutionPosition } from '../shared/report/types.ts';
import type { CustomerRead } from '../shared/store/customers.ts';
import type { CustomerOverview } from '../shared/store/overview.ts';

const T0 = Date.parse('2026-03-02T12:00:00.000Z');
/** An ISO time `minutes` after T0. */
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

function customer(
  customerId: string,
  entries: HistoryEntry[],
  options: { stored?: CustomerRead; active?: Record<string, string[]> } = {},
): CustomerOverview {
  return {
    customerId,
    customer: options.stored ?? { found: false },
    history: entries.map((entry, index) => ({ sortKey: `H#${entry.time}#${index}`, entry })),
    journeys: Object.entries(options.active ?? {}).map(([journeyId, active]) => ({
      journeyId,
      membership: { active },
    })),
  };
}

function profileUpdate(minutes: number, detail: Record<string, unknown>, problems?: string[]): HistoryEntry {
  return {
    kind: 'event',
    time: at(minutes),
    eventId: `profile-${minutes}`,
    detailType: 'customer.profile.updated',
    source: 'crm',
    detail: { customerId: 'c', ...detail },
    ...(problems === undefined ? {} : { problems }),
  };
}

function message(
  minutes: number,
  stepId: string,
  channel: 'email' | 'sms' | 'push',
  options: { executionId?: string; category?: 'marketing' | 'transactional'; journeyId?: string } = {},
): HistoryEntry {
  return {
    kind: 'message',
    time: at(minutes),
    journeyId: options.journeyId ?? 'winback',
    executionId: options.executionId ?? 'exec-1',
    stepId,
    channel,
    category: options.category ?? 'marketing',
    messageId: `m-${minutes}`,
    headline: 'Hello',
    preview: 'Hello',
  };
}

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

describe('nearest-rank percentiles', () => {
  it('answers one of the samples, at rank ⌈p/100 × n⌉', () => {
    const samples = [50, 15, 40, 20, 35];
    expect(nearestRank(samples, 30)).toBe(20);
    expect(nearestRank(samples, 40)).toBe(20);
    expect(nearestRank(samples, 50)).toBe(35);
    expect(nearestRank(samples, 100)).toBe(50);
    const oneToTen = Array.from({ length: 10 }, (_, index) => index + 1);
    expect(nearestRank(oneToTen, 50)).toBe(5);
    expect(nearestRank(oneToTen, 95)).toBe(10);
    expect(nearestRank([7], 95)).toBe(7);
  });

  it('has no percentile of nothing', () => {
    expect(nearestRank([], 50)).toBeUndefined();
  });
});

describe('preference compliance, replayed from the history', () => {
  const optedIn = { consent: { email: 'opted-in', sms: 'opted-in', push: 'opted-in' } };

  it('counts a message sent after an unsubscribe, and not the one before', () => {
    const report = checkCompliance([
      customer('ana', [
        profileUpdate(0, optedIn),
        message(10, 'first', 'email'),
        { kind: 'preference', time: at(20), action: 'unsubscribed', channel: 'email', reason: 'link' },
        message(30, 'second', 'email'),
        message(40, 'second', 'sms'),
      ]),
    ]);
    expect(report).toMatchObject({ messagesChecked: 3, violations: 1 });
    expect(report.byRule['opted-out']).toBe(1);
    expect(report.examples).toEqual([
      expect.objectContaining({ customerId: 'ana', stepId: 'second', channel: 'email', since: at(20) }),
    ]);
  });

  it('takes an opt-out at the same instant as a send against it, whatever the time format', () => {
    const report = checkCompliance([
      customer('bia', [
        profileUpdate(0, optedIn),
        // The event keeps the producer's time without milliseconds; the message has them.
        { ...profileUpdate(10, { consent: { sms: 'opted-out' } }), time: at(10).replace('.000Z', 'Z') },
        message(10, 'first', 'sms'),
      ]),
    ]);
    expect(report.violations).toBe(1);
  });

  it('lets transactional messages through without an opt-in, but not marketing ones', () => {
    const report = checkCompliance([
      customer('caio', [
        message(10, 'receipt', 'email', { category: 'transactional' }),
        message(20, 'offer', 'email'),
        profileUpdate(30, { consent: { email: 'opted-out' } }),
        message(40, 'receipt', 'email', { category: 'transactional' }),
      ]),
    ]);
    expect(report).toMatchObject({ marketingChecked: 1, transactionalChecked: 2, violations: 2 });
    expect(report.byRule).toEqual({ 'opted-out': 1, suppressed: 0, 'no-marketing-consent': 1 });
  });

  it('follows a new opt-in after an unsubscribe', () => {
    const report = checkCompliance([
      customer('davi', [
        profileUpdate(0, optedIn),
        { kind: 'preference', time: at(5), action: 'unsubscribed', channel: 'email', reason: 'link' },
        profileUpdate(10, { consent: { email: 'opted-in' } }),
        message(20, 'offer', 'email'),
      ]),
    ]);
    expect(report.violations).toBe(0);
  });

  it('holds a suppression until the profile has another address', () => {
    const report = checkCompliance([
      customer('edu', [
        profileUpdate(0, { ...optedIn, email: 'edu@example.com' }),
        { kind: 'preference', time: at(5), action: 'suppressed', channel: 'email', reason: 'bounce' },
        message(10, 'offer', 'email', { category: 'transactional' }),
        profileUpdate(20, { email: 'edu@example.com' }),
        message(25, 'offer', 'email'),
        profileUpdate(30, { email: 'edu.new@example.com' }),
        message(40, 'offer', 'email'),
      ]),
    ]);
    expect(report.byRule.suppressed).toBe(2);
    expect(report.violations).toBe(2);
  });

  it('reads a partly invalid profile update as record applied it: its valid consent counts', () => {
    const report = checkCompliance([
      customer('fia', [
        profileUpdate(0, { consent: { email: 'opted-in' }, phone: '12345' }, ['phone: not E.164']),
        message(10, 'offer', 'email'),
      ]),
    ]);
    expect(report.byRule['no-marketing-consent']).toBe(0);
  });

  it('keeps an opt-out over an opt-in of the same instant, as the profile does, whatever their order in the history', () => {
    const report = checkCompliance([
      customer('fay', [
        profileUpdate(0, { consent: { email: 'opted-in' } }),
        profileUpdate(5, { consent: { email: 'opted-out' } }),
        profileUpdate(5, { consent: { email: 'opted-in' } }),
        message(10, 'offer', 'email'),
      ]),
    ]);
    expect(report.byRule['opted-out']).toBe(1);
  });

  it('ignores a profile update with nothing valid in it: it never reached the profile', () => {
    const report = checkCompliance([
      customer('fio', [
        profileUpdate(0, { consent: { email: 'yes please' } }, ['consent.email: invalid']),
        message(10, 'offer', 'email'),
      ]),
    ]);
    expect(report.byRule['no-marketing-consent']).toBe(1);
  });

  it("holds the stored profile's consent for a channel the retained history never changes", () => {
    const profile = customerProfileSchema.parse({ customerId: 'gil', consent: { email: 'opted-in' } });
    const stored: CustomerRead = {
      found: true,
      customer: {
        profile,
        profileVersion: 1,
        ledger: { version: 0, sends: [] },
        suppressions: {},
        engagementByHour: new Array<number>(24).fill(0),
        fieldStamps: { 'consent.email': { at: '2025-01-01T00:00:00.000Z', by: 'e-1' } },
      },
    };
    const report = checkCompliance([
      customer('gil', [message(10, 'offer', 'email'), message(20, 'offer', 'sms')], { stored }),
    ]);
    expect(report.violations).toBe(1);
    expect(report.examples[0]).toMatchObject({ channel: 'sms', rule: 'no-marketing-consent' });
  });
});

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
  };

  const customers = [
    // Ana: first and second message, then an order: last touch the SMS, linear half each.
    customer('ana', [
      profileUpdate(-10, optedIn),
      cart,
      journeyEntry(0, 'e1', 'entered'),
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
        // Turned away: one journey at a time.
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
      sent: { email: 2, sms: 0, push: 1 },
      capped: 0,
      deferred: 1,
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
      'opted-out': 0,
      'no-address': 0,
      failed: 0,
    });
    expect(report.notSent.byCap).toEqual({ daily: 1 });
    expect(report.notSent.deferredThenSent).toBe(1);
    expect(report.notSent.rows).toEqual([
      { journeyId: 'winback', channel: 'sms', capped: 1, deferred: 0, optedOut: 0, noAddress: 0, failed: 0 },
      { journeyId: 'winback', channel: 'push', capped: 0, deferred: 1, optedOut: 0, noAddress: 0, failed: 0 },
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

describe('coordination across channels', () => {
  const noneHeldBack = {
    byStatus: { capped: 0, deferred: 0, 'opted-out': 0, 'no-address': 0, failed: 0 },
  };
  function storedIn(customerId: string, timeZone: string): CustomerRead {
    return {
      found: true,
      customer: {
        profile: customerProfileSchema.parse({ customerId, timeZone }),
        profileVersion: 1,
        ledger: { version: 0, sends: [] },
        suppressions: {},
        engagementByHour: new Array<number>(24).fill(0),
        fieldStamps: {},
      },
    };
  }

  it('tells two journeys on one day from one journey twice, and counts channels apart', () => {
    const report = checkCoordination(
      [
        // Two journeys, two channels, one day: one overlap day, one two-channel day.
        customer('ana', [
          message(0, 'remind', 'email', { journeyId: 'cart' }),
          message(120, 'survey', 'sms', { journeyId: 'support', executionId: 'exec-2' }),
        ]),
        // One journey twice on one channel: neither.
        customer('bia', [
          message(0, 'remind', 'email', { journeyId: 'cart' }),
          message(60, 'remind', 'email', { journeyId: 'cart', executionId: 'exec-2' }),
        ]),
        // One journey on two channels, three messages: a two-channel day, no overlap.
        customer('caio', [
          message(0, 'first', 'email', { journeyId: 'cart' }),
          message(30, 'second', 'push', { journeyId: 'cart' }),
          message(60, 'third', 'push', { journeyId: 'cart' }),
        ]),
        // No message at all: not a messaged customer, no day.
        customer('dani', [profileUpdate(0, { email: 'dani@example.com' })]),
      ],
      noneHeldBack,
    );
    expect(report).toEqual({
      customersMessaged: 3,
      messages: 7,
      messagesPerCustomer: 7 / 3,
      customerDays: 3,
      maxPerCustomerDay: 3,
      p95PerCustomerDay: 3,
      multiJourneyDays: 1,
      multiChannelDays: 2,
      customersInUtc: 3,
      busiest: {
        customerId: 'caio',
        day: '2026-03-02',
        timeZone: 'UTC',
        messages: 3,
        journeys: 1,
        channels: 2,
      },
      heldBack: { capped: 0, deferred: 0 },
    });
  });

  it("draws day boundaries on the customer's own clock, and in UTC without a time zone", () => {
    // 23:30Z and 01:30Z the next day: 20:30 and 22:30 of one evening in São Paulo (UTC-3), two UTC days.
    const lateEvening = [
      message(690, 'remind', 'email', { journeyId: 'cart' }),
      message(810, 'survey', 'sms', { journeyId: 'support', executionId: 'exec-2' }),
    ];
    const inSaoPaulo = checkCoordination(
      [customer('sp', lateEvening, { stored: storedIn('sp', 'America/Sao_Paulo') })],
      noneHeldBack,
    );
    expect(inSaoPaulo).toMatchObject({
      customerDays: 1,
      maxPerCustomerDay: 2,
      multiJourneyDays: 1,
      multiChannelDays: 1,
      customersInUtc: 0,
      busiest: { customerId: 'sp', day: '2026-03-02', timeZone: 'America/Sao_Paulo' },
    });
    const inUtc = checkCoordination(
      [
        customer('nozone', lateEvening, { stored: storedIn('nozone', 'UTC') }),
        customer('unknown', lateEvening),
        customer('damaged', lateEvening, { stored: { found: 'damaged', reason: 'bad json' } }),
      ],
      noneHeldBack,
    );
    expect(inUtc).toMatchObject({
      customerDays: 6,
      maxPerCustomerDay: 1,
      multiJourneyDays: 0,
      multiChannelDays: 0,
      // A profile that names UTC has a zone; the other two have none.
      customersInUtc: 2,
    });
    // 02:00Z and 04:00Z: one UTC day, but 23:00 and 01:00 in São Paulo, either side of midnight.
    const aroundMidnight = checkCoordination(
      [
        customer(
          'sp',
          [
            message(840, 'remind', 'email', { journeyId: 'cart' }),
            message(960, 'survey', 'sms', { journeyId: 'support', executionId: 'exec-2' }),
          ],
          { stored: storedIn('sp', 'America/Sao_Paulo') },
        ),
      ],
      noneHeldBack,
    );
    expect(aroundMidnight).toMatchObject({ customerDays: 2, maxPerCustomerDay: 1, multiJourneyDays: 0 });
  });

  it('takes the p95 over customer-days with a message, not over customers', () => {
    // One customer: a message on each of 19 days, and 5 on the 20th.
    const days = Array.from({ length: 19 }, (_, index) =>
      message(index * 1440, 'daily', 'email', { executionId: `exec-${index}` }),
    );
    const burst = Array.from({ length: 5 }, (_, index) =>
      message(19 * 1440 + index, 'burst', 'email', { executionId: 'exec-burst' }),
    );
    const report = checkCoordination([customer('eli', [...days, ...burst])], noneHeldBack);
    expect(report).toMatchObject({
      customersMessaged: 1,
      messages: 24,
      messagesPerCustomer: 24,
      customerDays: 20,
      maxPerCustomerDay: 5,
      // Rank ⌈0.95 × 20⌉ = 19 of [1 × 19, 5]: the busy day is the only one above it.
      p95PerCustomerDay: 1,
      busiest: { day: '2026-03-21', messages: 5 },
    });
  });

  it('answers nulls and zeros when nobody got a message, and passes on what was held back', () => {
    const heldBack = { byStatus: { ...noneHeldBack.byStatus, capped: 2, deferred: 3, failed: 4 } };
    const expected = {
      customersMessaged: 0,
      messages: 0,
      messagesPerCustomer: null,
      customerDays: 0,
      maxPerCustomerDay: null,
      p95PerCustomerDay: null,
      multiJourneyDays: 0,
      multiChannelDays: 0,
      customersInUtc: 0,
      busiest: null,
      heldBack: { capped: 2, deferred: 3 },
    };
    expect(checkCoordination([], heldBack)).toEqual(expected);
    expect(
      checkCoordination(
        [
          customer('fil', [
            profileUpdate(0, { email: 'fil@example.com' }),
            {
              kind: 'skipped',
              time: at(10),
              journeyId: 'cart',
              executionId: 'exec-1',
              stepId: 'remind',
              status: 'capped',
              reason: 'email: daily cap',
              channel: 'email',
            },
          ]),
        ],
        heldBack,
      ),
    ).toEqual(expected);
  });
});

describe('execution positions from Step Functions history', () => {
  const entered = (name: string): HistoryEvent => ({
    type: name.includes('.') ? 'ChoiceStateEntered' : 'TaskStateEntered',
    id: 0,
    timestamp: new Date(T0),
    stateEnteredEventDetails: { name },
  });

  it("counts a send retried after quiet hours as one visit, and maps the compiler's states to their step", () => {
    const events = [
      'Waymark.Start',
      'Waymark.Enter',
      'nudge',
      'nudge.outcome',
      'nudge.quietHours',
      'nudge',
    ].map(entered);
    expect(stepsOf(events)).toEqual({ visited: ['nudge'], current: 'nudge' });
    expect(stepsOf([...events, entered('nudge.outcome'), entered('retarget'), entered('nudge')])).toEqual({
      visited: ['nudge', 'retarget', 'nudge'],
      current: 'nudge',
    });
    expect(stepsOf([entered('Waymark.Start'), entered('Waymark.Enter')])).toEqual({
      visited: [],
      current: undefined,
    });
    expect(stepsOf([entered('wait-a-day'), entered('wait-a-day.wait')]).current).toBe('wait-a-day');
  });

  it('names the journey of a state machine, locally and on AWS', () => {
    const ids = ['abandonment', 'cart-abandonment'];
    expect(journeyOfStateMachine('cart-abandonment', ids, '')).toBe('cart-abandonment');
    expect(journeyOfStateMachine('waymark-dev-cart-abandonment', ids, undefined)).toBe('cart-abandonment');
    expect(journeyOfStateMachine('waymark-dev-cart-abandonment_express', ids, 'waymark-dev-')).toBe(
      'cart-abandonment',
    );
    expect(journeyOfStateMachine('waymark-prod-cart-abandonment', ids, 'waymark-dev-')).toBeUndefined();
    expect(journeyOfStateMachine('someone-elses-machine', ids, undefined)).toBeUndefined();
  });
});
