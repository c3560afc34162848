/**
 * A hand-worked set of history entries for the figures' tests, every kind the counters read, with
 * what each figure must come to (worked out by hand in the comments, not by the code under test).
 */
import type { HistoryEntry, HistoryEntryOf } from '../../shared/customer/history.ts';
import { executionTag } from '../../shared/channels/tags.ts';
import { journeySchema } from '../../shared/journey/schema.ts';
import type { ExecutionPosition } from '../../shared/report/types.ts';
import type { CustomerOverview } from '../../shared/store/overview.ts';
import { at, customer, message } from '../report/fixtures.ts';

export const JOURNEY = journeySchema.parse({
  id: 'winback',
  name: 'Win back',
  version: 1,
  status: 'active',
  trigger: { event: 'cart.abandoned' },
  exitOn: [{ event: 'order.placed', goal: true }],
  start: 'pause',
  steps: {
    pause: { type: 'wait', duration: '1h', next: 'first' },
    first: { type: 'send', channel: ['email', 'push'], template: 't', category: 'marketing', next: 'await' },
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

/** A broadcast member's execution is named after its run (shared/audience/members.ts). */
const BROADCAST_EXECUTION = `arn:aws:states:us-east-1:1:execution:waymark-dev-winback:b20261118T1000-${'a'.repeat(40)}`;
const REFUSED_MEMBER = `arn:aws:states:us-east-1:1:execution:waymark-dev-winback:b20261118T1000-${'b'.repeat(40)}`;

function cart(minutes: number, eventId: string, starts: string[] = ['winback']): HistoryEntry {
  return {
    kind: 'event',
    time: at(minutes),
    eventId,
    detailType: 'cart.abandoned',
    source: 'shop',
    detail: { cartId: eventId },
    ...(starts.length === 0 ? {} : { starts }),
  };
}

function journey(
  minutes: number,
  executionId: string,
  action: HistoryEntryOf<'journey'>['action'],
  extra: { reason?: string; eventId?: string; copy?: true } = {},
): HistoryEntry {
  return { kind: 'journey', time: at(minutes), journeyId: 'winback', executionId, action, ...extra };
}

function engaged(
  minutes: number,
  sent: HistoryEntryOf<'message'>,
  action: HistoryEntryOf<'engagement'>['action'],
): HistoryEntry {
  return {
    kind: 'engagement',
    time: at(minutes),
    journeyId: sent.journeyId,
    stepId: sent.stepId,
    execution: executionTag(sent.executionId),
    channel: sent.channel,
    action,
    messageId: sent.messageId,
  };
}

function conversion(minutes: number, executionId: string, eventId: string, lastTouch: boolean): HistoryEntry {
  const touch = (stepId: string, channel: 'email' | 'sms', time: number) => ({
    journeyId: 'winback',
    executionId,
    stepId,
    channel,
    time: at(time),
  });
  return {
    kind: 'conversion',
    time: at(minutes),
    journeyId: 'winback',
    executionId,
    eventId,
    detailType: 'order.placed',
    lastTouch: lastTouch ? touch('second', 'sms', 1500) : null,
    linear: lastTouch
      ? [
          { ...touch('first', 'email', 60), weight: 0.5 },
          { ...touch('second', 'sms', 1500), weight: 0.5 },
        ]
      : [],
  };
}

const anaFirst = message(60, 'first', 'email', { executionId: 'e1', messageId: 'm-ana-1' });
const brunoFirst = message(120, 'first', 'email', { executionId: 'e2', messageId: 'm-bruno-1' });
const eveFirst = message(60, 'first', 'email', { executionId: 'e8', messageId: 'm-eve-1' });

export const CUSTOMERS: CustomerOverview[] = [
  customer('ana', [
    cart(0, 'cart-1'), // triggered 1
    // EventBridge delivered the cart twice: the second execution is turned away as a copy, nothing counts.
    journey(0, 'e1-copy', 'not-entered', { reason: 'duplicate-event', eventId: 'cart-1', copy: true }),
    anaFirst, // messaged 1, first: sent email 1, sentOnce 1, engagement sent 1
    engaged(61, anaFirst, 'delivered'), // delivered 1
    engaged(62, anaFirst, 'clicked'), // clicked 1, opened 1 (a click implies the open)
    engaged(63, anaFirst, 'opened'), // nothing new: opened already
    message(1500, 'second', 'sms', { executionId: 'e1', messageId: 'm-ana-2' }), // second: sent sms 1, sentOnce 1
    journey(1600, 'e1', 'exited', { reason: 'order.placed (goal)' }), // exited 1
    journey(1601, 'e1', 'exited', { reason: 'order.placed (goal)' }), // the same execution: nothing
    conversion(1600, 'e1', 'order-1', true), // conversions 1, converted 1, last touch second/sms
    conversion(1700, 'e1', 'order-2', true), // conversions 2, converted still 1 (the same execution)
    cart(2000, 'cart-2'), // triggered 2
    journey(2000, 'e9', 'not-entered', { reason: 're-entry', eventId: 'cart-2' }), // notEntered 1: its start counted
  ]),
  customer('bruno', [
    cart(0, 'cart-b'), // triggered 3
    {
      kind: 'skipped',
      time: at(60),
      journeyId: 'winback',
      executionId: 'e2',
      stepId: 'first',
      status: 'deferred',
      reason: 'quiet hours',
      channel: 'email',
      resumeAt: at(120),
    }, // deferred 1 (email)
    brunoFirst, // deferredThenSent 1; messaged 2; first: sent email 2
    {
      kind: 'skipped',
      time: at(1500),
      journeyId: 'winback',
      executionId: 'e2',
      stepId: 'second',
      status: 'capped',
      reason: 'weekly cap',
      channel: 'sms',
      capId: 'sms-weekly',
      completes: true,
    }, // capped 1 (sms, sms-weekly); completed 1
  ]),
  customer('carla', [
    journey(0, BROADCAST_EXECUTION, 'entered'), // a broadcast member: triggered 4
    message(60, 'first', 'push', { executionId: BROADCAST_EXECUTION, messageId: 'm-carla-1' }), // messaged 3
    {
      ...message(61, 'second', 'sms', { executionId: BROADCAST_EXECUTION, messageId: 'm-carla-2' }),
      completes: true,
    }, // completed 2
  ]),
  customer('dan', [
    journey(0, REFUSED_MEMBER, 'not-entered', { reason: 'concurrency-limit' }), // triggered 5, notEntered 2
    journey(1, 'e5', 'not-entered', { reason: 'invalid-event: detail.cartId: Required' }), // triggered 6, notEntered 3
    engaged(
      2,
      message(1, 'first', 'email', { executionId: 'e-gone', messageId: 'm-never-recorded' }),
      'opened',
    ), // unmatched 1
    cart(10, 'cart-d'), // triggered 7
    journey(11, 'e6', 'failed', { reason: 'States.Timeout' }), // failed 1
    cart(20, 'cart-d2'), // triggered 8
    journey(21, 'e7', 'stopped'), // stopped 1
    conversion(3000, '', 'order-d', false), // conversions 3, converted 2 (out of any execution)
    cart(3100, 'cart-d3', []), // no start: nothing
  ]),
  customer('eve', [
    cart(0, 'cart-e'), // triggered 9
    // The provider's delivery written before the message's own entry: unmatched until it comes.
    engaged(61, eveFirst, 'delivered'),
    eveFirst, // messaged 4; still active; delivered 2 (Eve's, counted with her message), no longer unmatched
    { kind: 'preference', time: at(70), action: 'unsubscribed', channel: 'email', reason: 'link' },
  ]),
];

/** Entries in all: what `entries` counts. */
export const ENTRIES = CUSTOMERS.reduce((sum, one) => sum + one.history.length, 0);

/** Where two executions are now. */
export const POSITIONS: ExecutionPosition[] = [
  {
    journeyId: 'winback',
    executionId: 'e8',
    customerId: 'eve',
    status: 'running',
    visited: ['pause', 'first', 'await'],
    current: 'await',
    startedAt: at(0),
  },
  {
    journeyId: 'winback',
    executionId: 'e1',
    customerId: 'ana',
    status: 'stopped',
    visited: ['pause', 'first', 'await', 'second', 'await'],
    startedAt: at(0),
  },
];

/** What the figures come to, worked out above. */
export const EXPECTED = {
  triggered: 9,
  notEntered: 3,
  entered: 6,
  completed: 2,
  failed: 1,
  stopped: 1,
  exited: 1,
  // 6 entered - (2 completed + 1 failed + 1 stopped + 1 exited): Eve's execution.
  active: 1,
  conversions: 3,
  converted: 2,
  funnel: [
    ['Triggered', 9],
    ['Entered', 6],
    ['Received a message', 4],
    ['Sent at step "first"', 4],
    ['Sent at step "second"', 2],
    ['Converted', 2],
  ],
} as const;
